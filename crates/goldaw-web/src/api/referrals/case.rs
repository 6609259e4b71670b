//! Referrals to services from a case: the list, referring, a legal basis, cancelling.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use goldaw_store::referrals::{LegalBasis, NewLegalBasis, NewServiceReferral, ReferralRecord};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseReferralParams {
    /// The next page: the cursor of the `Link` header's `rel="next"` (issue #24).
    pub after: Option<String>,
    /// Referrals on a page: 50 if absent, at most 200.
    pub limit: Option<u32>,
}

/// The referrals made from a case, newest first, a page at a time: when more follow, the
/// `Link` header names the next page (`rel="next"`, RFC 8288).
#[utoipa::path(get, path = "/api/v1/cases/{id}/referrals", tag = "providers", params(("id" = Uuid, Path), CaseReferralParams),
    responses((status = 200, body = Vec<ReferralRecord>, headers(("Link" = String, description = "The next page, when more follow: `</api/v1/...?after=...>; rel=\"next\"`"))),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn case_referrals(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    params: Result<Query<CaseReferralParams>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<ReferralRecord>>), ApiError> {
    let Path(id) = id?;
    let Query(p) = params?;
    let page = state
        .store
        .case_referral_page(&principal, id, p.after.as_deref(), p.limit)
        .await?;
    Ok((
        crate::api::paging::next_page_link(
            &format!("/api/v1/cases/{id}/referrals"),
            p.limit,
            page.next.as_deref(),
        ),
        Json(page.items),
    ))
}

/// Refer a person of the case to a service. Residential care without a legal basis answers 409
/// `residential_needs_legal_basis`; a case not yet assessed (or closed) 409 `referral_not_now`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "providers", params(("id" = Uuid, Path)), request_body = NewServiceReferral,
    responses((status = 201, body = ReferralRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refer(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewServiceReferral>, JsonRejection>,
) -> Result<(StatusCode, Json<ReferralRecord>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let r = state.store.refer(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Record a court order or a ministry referral on the case (supervisors).
#[utoipa::path(post, path = "/api/v1/cases/{id}/legal-bases", tag = "providers", params(("id" = Uuid, Path)), request_body = NewLegalBasis,
    responses((status = 201, body = LegalBasis), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn legal_basis(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewLegalBasis>, JsonRejection>,
) -> Result<(StatusCode, Json<LegalBasis>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let b = state.store.record_legal_basis(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub version: i32,
}

/// Cancel an open referral (the case's worker or a supervisor).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/cancel", tag = "providers", params(("id" = Uuid, Path)), request_body = Cancel,
    responses((status = 200, body = ReferralRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<Cancel>, JsonRejection>,
) -> Result<Json<ReferralRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .cancel_referral(&principal, id, body.version)
            .await?,
    ))
}
