//! The register of providers: providers, their service points and offers, and where a service
//! may be had.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use goldaw_core::cases::ServiceCode;
use goldaw_core::ids::AdminUnitCode;
use goldaw_store::referrals::{
    NewProvider, NewServicePoint, Offer, OfferRequest, Provider, ProviderChange, ServicePointChange,
};
use serde::Deserialize;
use uuid::Uuid;

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
#[into_params(parameter_in = Query)]
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
