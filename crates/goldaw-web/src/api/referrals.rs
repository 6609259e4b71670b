//! `/api/v1/providers`, `/api/v1/offers`, `/api/v1/cases/{id}/referrals`,
//! `/api/v1/referrals`: the register of providers and referrals to services (docs/referrals.md).

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use goldaw_core::cases::ServiceCode;
use goldaw_core::ids::AdminUnitCode;
use goldaw_store::referrals::{
    Delivery, LegalBasis, NewLegalBasis, NewProvider, NewServicePoint, NewServiceReferral, Offer,
    OfferRequest, Provider, ProviderAction, ProviderChange, ProviderReferral, ReferralRecord,
    ReferralStatus, ServicePointChange,
};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/providers", get(list_providers).post(create_provider))
        .route("/providers/{id}", get(read_provider).put(update_provider))
        .route("/providers/{id}/points", post(add_point))
        .route("/providers/{id}/points/{point}", put(update_point))
        .route("/providers/{id}/offers", put(set_offer))
        .route("/offers", get(offers))
        .route("/cases/{id}/referrals", get(case_referrals).post(refer))
        .route("/cases/{id}/legal-bases", post(legal_basis))
        .route("/referrals/{id}/cancel", post(cancel))
        .route("/provider/referrals", get(inbox))
        .route("/provider/referrals/{id}", get(provider_read))
        .route("/provider/referrals/{id}/actions", post(provider_act))
        .route("/provider/referrals/{id}/deliveries", post(deliver))
}

/// Providers, by name (admins and the ministry).
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers",
    responses((status = 200, body = Vec<Provider>), (status = 403, body = ErrorBody)))]
pub async fn list_providers(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<Provider>>, ApiError> {
    Ok(Json(state.store.list_providers(&principal).await?))
}

/// Register a provider organisation.
#[utoipa::path(post, path = "/api/v1/providers", tag = "providers", request_body = NewProvider,
    responses((status = 201, body = Provider), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_provider(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewProvider>, JsonRejection>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    let Json(body) = body?;
    let p = state.store.create_provider(&principal, body).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// One provider with its service points and offers.
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Provider), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_provider(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Provider>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.provider(&principal, id).await?))
}

/// Change a provider's details; a stale `version` answers 409 `conflict`.
#[utoipa::path(put, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path)), request_body = ProviderChange,
    responses((status = 200, body = Provider), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_provider(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ProviderChange>, JsonRejection>,
) -> Result<Json<Provider>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state.store.update_provider(&principal, id, body).await?,
    ))
}

/// Add a service point (where the provider serves people).
#[utoipa::path(post, path = "/api/v1/providers/{id}/points", tag = "providers", params(("id" = Uuid, Path)), request_body = NewServicePoint,
    responses((status = 201, body = Provider), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_point(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewServicePoint>, JsonRejection>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let p = state.store.add_service_point(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Change a service point, or end it (`active: false`; refused while an active offer is
/// delivered there). `version` is the provider's.
#[utoipa::path(put, path = "/api/v1/providers/{id}/points/{point}", tag = "providers",
    params(("id" = Uuid, Path), ("point" = Uuid, Path)), request_body = ServicePointChange,
    responses((status = 200, body = Provider), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_point(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
    body: Result<Json<ServicePointChange>, JsonRejection>,
) -> Result<Json<Provider>, ApiError> {
    let Path((id, point)) = ids?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .update_service_point(&principal, id, point, body)
            .await?,
    ))
}

/// Set the provider's offer of a service in a unit, with its places (absent = not limited).
#[utoipa::path(put, path = "/api/v1/providers/{id}/offers", tag = "providers", params(("id" = Uuid, Path)), request_body = OfferRequest,
    responses((status = 200, body = Offer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_offer(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<OfferRequest>, JsonRejection>,
) -> Result<Json<Offer>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.set_offer(&principal, id, body).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OfferParams {
    /// The service (S01..S12, RES_CARE).
    #[param(value_type = String)]
    pub service: ServiceCode,
    /// The etrap of the case.
    #[param(value_type = String)]
    pub admin_unit: AdminUnitCode,
}

/// Where a service may be had for the people of an etrap, with free places.
#[utoipa::path(get, path = "/api/v1/offers", tag = "providers", params(OfferParams),
    responses((status = 200, body = Vec<Offer>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn offers(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<OfferParams>, QueryRejection>,
) -> Result<Json<Vec<Offer>>, ApiError> {
    let Query(p) = params?;
    Ok(Json(
        state
            .store
            .offers_for(&principal, &p.service, &p.admin_unit)
            .await?,
    ))
}

/// The referrals made from a case, newest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/referrals", tag = "providers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ReferralRecord>), (status = 404, body = ErrorBody)))]
pub async fn case_referrals(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<ReferralRecord>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_referrals(&principal, id).await?))
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxParams {
    pub status: Option<ReferralStatus>,
}

/// Referrals to your organisation (providers): the waiting list first, oldest first.
#[utoipa::path(get, path = "/api/v1/provider/referrals", tag = "providers", params(InboxParams),
    responses((status = 200, body = Vec<ProviderReferral>), (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<InboxParams>, QueryRejection>,
) -> Result<Json<Vec<ProviderReferral>>, ApiError> {
    let Query(p) = params?;
    Ok(Json(
        state.store.provider_inbox(&principal, p.status).await?,
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
