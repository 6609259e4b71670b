//! `/api/v1/households`

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::people::HouseholdData;
use goldaw_store::households::{HouseholdQuery, HouseholdRecord};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/households", get(search).post(create))
        .route("/households/{id}", get(read).put(update))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The id given at import (`household_id`).
    pub external_id: Option<String>,
    /// Only households in this unit (and below it).
    pub admin_unit: Option<AdminUnitCode>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(Debug, utoipa::ToSchema)]
pub struct HouseholdCreate {
    /// If absent, goldaw uses its own id.
    pub household_id: Option<ExternalId>,
    #[serde(flatten)]
    pub data: HouseholdData,
}

/// A household as it should now be, with the version it was read at.
#[derive(Debug, utoipa::ToSchema)]
pub struct HouseholdUpdate {
    pub version: i32,
    #[serde(flatten)]
    pub data: HouseholdData,
}

/// A page of households. A named type, not `List<HouseholdRecord>`, so the items refer to the
/// merged `HouseholdRecord` component (see `PersonList`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdList {
    pub items: Vec<HouseholdRecord>,
    pub limit: u32,
    pub offset: u32,
}

/// Find households by external id or place within your scope.
#[utoipa::path(get, path = "/api/v1/households", tag = "people", params(SearchParams),
    responses((status = 200, body = HouseholdList), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<HouseholdList>, ApiError> {
    let Query(p) = params?;
    let query = HouseholdQuery {
        external_id: p.external_id,
        admin_unit: p.admin_unit,
        limit: p.limit.unwrap_or(50),
        offset: p.offset.unwrap_or(0),
    };
    let items = state.store.search_households(&principal, &query).await?;
    Ok(Json(HouseholdList {
        items,
        limit: query.limit.clamp(1, goldaw_store::people::MAX_PAGE),
        offset: query.offset,
    }))
}

/// One household with the members you may see.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = HouseholdRecord), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<HouseholdRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.household(&principal, id).await?))
}

/// Register a household.
#[utoipa::path(post, path = "/api/v1/households", tag = "people", request_body = HouseholdCreate,
    responses((status = 201, body = HouseholdRecord), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<HouseholdCreate>, JsonRejection>,
) -> Result<(StatusCode, Json<HouseholdRecord>), ApiError> {
    let Json(body) = body?;
    let record = state
        .store
        .create_household(&principal, body.household_id, body.data)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Change a household; refused with 409 if someone else changed it since `version`.
#[utoipa::path(put, path = "/api/v1/households/{id}", tag = "people", params(("id" = Uuid, Path)), request_body = HouseholdUpdate,
    responses((status = 200, body = HouseholdRecord), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<HouseholdUpdate>, JsonRejection>,
) -> Result<Json<HouseholdRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .update_household(&principal, id, body.version, body.data)
            .await?,
    ))
}

// The data types refuse unknown fields, which serde cannot do through `flatten`: so the extra
// field is taken out of the JSON object first and the rest is parsed as the data type.
impl<'de> Deserialize<'de> for HouseholdCreate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (household_id, data) = crate::api::split_field(d, "household_id")?;
        Ok(HouseholdCreate { household_id, data })
    }
}

impl<'de> Deserialize<'de> for HouseholdUpdate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (version, data) = crate::api::split_field::<D, Option<i32>, _>(d, "version")?;
        let version = version.ok_or_else(|| serde::de::Error::missing_field("version"))?;
        Ok(HouseholdUpdate { version, data })
    }
}
