//! The provider's side of a referral: its inbox, one referral, actions and deliveries.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use goldaw_store::provider_inbox::InboxQuery;
use goldaw_store::referrals::{Delivery, ProviderAction, ProviderReferral, ReferralStatus};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxParams {
    pub status: Option<ReferralStatus>,
    /// The next page: the cursor of the `Link` header's `rel="next"` (issue #24).
    pub after: Option<String>,
    /// Referrals on a page: 50 if absent, at most 200.
    pub limit: Option<u32>,
}

/// Referrals to your organisation (providers): the waiting list first, oldest first, then new
/// ones, accepted, started and done; a page at a time: when more follow, the `Link` header names
/// the next page (`rel="next"`, RFC 8288).
#[utoipa::path(get, path = "/api/v1/provider/referrals", tag = "providers", params(InboxParams),
    responses((status = 200, body = Vec<ProviderReferral>, headers(("Link" = String, description = "The next page, when more follow: `</api/v1/...?after=...>; rel=\"next\"`"))),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<InboxParams>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<ProviderReferral>>), ApiError> {
    let Query(p) = params?;
    let page = state
        .store
        .provider_inbox_page(
            &principal,
            &InboxQuery {
                status: p.status,
                after: p.after,
                limit: p.limit,
            },
        )
        .await?;
    let path = match p.status {
        Some(s) => format!("/api/v1/provider/referrals?status={}", s.as_str()),
        None => "/api/v1/provider/referrals".to_owned(),
    };
    Ok((
        crate::api::paging::next_page_link(&path, p.limit, page.next.as_deref()),
        Json(page.items),
    ))
}

/// One referral to your organisation, with the minimum fields.
#[utoipa::path(get, path = "/api/v1/provider/referrals/{id}", tag = "providers", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProviderReferral), (status = 404, body = ErrorBody)))]
pub async fn provider_read(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ProviderReferral>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.provider_referral(&principal, id).await?))
}

/// Accept (the waiting list when no place is free), wait, decline with a reason, start, complete.
#[utoipa::path(post, path = "/api/v1/provider/referrals/{id}/actions", tag = "providers", params(("id" = Uuid, Path)), request_body = ProviderAction,
    responses((status = 200, body = ProviderReferral), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn provider_act(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ProviderAction>, JsonRejection>,
) -> Result<Json<ProviderReferral>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.provider_act(&principal, id, body).await?))
}

/// Record units delivered on a started service.
#[utoipa::path(post, path = "/api/v1/provider/referrals/{id}/deliveries", tag = "providers", params(("id" = Uuid, Path)), request_body = Delivery,
    responses((status = 201, body = ProviderReferral), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deliver(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<Delivery>, JsonRejection>,
) -> Result<(StatusCode, Json<ProviderReferral>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let r = state.store.record_delivery(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(r)))
}
