//! `/api/v1/partner/...`: a partner agency's referrals (issue #23, docs/partners.md). A partner
//! system (a school's, a police department's) sends `Authorization: Bearer gpk_...`, its
//! organisation's key; a user's token is not a partner's and is refused 401 here, as a
//! partner's key is everywhere else. A partner reads only its own referrals: anything else is
//! 404, the same as a referral that does not exist.

use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use goldaw_core::access::Principal;
use goldaw_store::partners::{PartnerReferralInput, PartnerReferralQuery, PartnerReferralView};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partner/referrals", get(list).post(refer))
        .route("/partner/referrals/{id}", get(read))
}

/// The partner organisation a request's key stands for.
pub struct PartnerCaller(pub Principal);

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

impl FromRequestParts<AppState> for PartnerCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let source = ClientAddr::of(parts, state).to_string();
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("send Authorization: Bearer <your organisation's key>"))?;
        match state.store.principal_for_partner_key(key, &source).await? {
            Some(p) => Ok(PartnerCaller(p)),
            None => Err(unauthorized(
                "the key is not valid (unknown, revoked, expired, or the organisation has ended)",
            )),
        }
    }
}

/// Refer a family: the person and the concern become an intake referral in the etrap's queue
/// (the etrap must lie in the partner's area; absent, the partner's own etrap). Answers the
/// referral with goldaw's reference and its status (`received`). A field that is wrong is 422
/// with its name; nothing is written.
#[utoipa::path(post, path = "/api/v1/partner/referrals", tag = "partners",
    request_body = PartnerReferralInput,
    responses((status = 200, body = PartnerReferralView), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn refer(
    State(state): State<AppState>,
    PartnerCaller(principal): PartnerCaller,
    body: Result<Json<PartnerReferralInput>, JsonRejection>,
) -> Result<Json<PartnerReferralView>, ApiError> {
    let Json(body) = body?;
    Ok(Json(state.store.partner_refer(&principal, body).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnerListParams {
    /// The next page: the cursor of the `Link` header's `rel="next"`.
    pub after: Option<String>,
    /// Referrals on a page: 50 if absent, at most 200.
    pub limit: Option<u32>,
}

/// The partner's own referrals, newest first: the status (`received`, `being_assessed`,
/// `support_under_way`, `closed`) and the outcome summary only when the family agreed to share it.
/// A page at a time: when more follow, the `Link` header names the next page (`rel="next"`,
/// RFC 8288).
#[utoipa::path(get, path = "/api/v1/partner/referrals", tag = "partners", params(PartnerListParams),
    responses((status = 200, body = [PartnerReferralView], headers(("Link" = String, description = "The next page, when more follow: `</api/v1/partner/referrals?after=...>; rel=\"next\"`"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    PartnerCaller(principal): PartnerCaller,
    params: Result<Query<PartnerListParams>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<PartnerReferralView>>), ApiError> {
    let Query(p) = params?;
    let page = state
        .store
        .partner_referrals_page(
            &principal,
            &PartnerReferralQuery {
                after: p.after,
                limit: p.limit,
            },
        )
        .await?;
    Ok((
        crate::api::paging::next_page_link(
            "/api/v1/partner/referrals",
            p.limit,
            page.next.as_deref(),
        ),
        Json(page.items),
    ))
}

/// One of the partner's own referrals; 404 for any other (another organisation's, or none).
#[utoipa::path(get, path = "/api/v1/partner/referrals/{id}", tag = "partners", params(("id" = Uuid, Path)),
    responses((status = 200, body = PartnerReferralView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    PartnerCaller(principal): PartnerCaller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<PartnerReferralView>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.partner_referral(&principal, id).await?))
}
