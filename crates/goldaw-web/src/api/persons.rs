//! `/api/v1/persons`

use crate::api::List;
use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::people::PersonData;
use goldaw_store::people::{PersonQuery, PersonRecord};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons", get(search).post(create))
        .route("/persons/{id}", get(read).put(update))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Part of a name, in Turkmen, Russian or Latin letters.
    pub name: Option<String>,
    /// The id given at import (`person_id`).
    pub external_id: Option<String>,
    /// Only people in this unit (and below it).
    pub admin_unit: Option<AdminUnitCode>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A new person: their data, and optionally the id another system knows them by.
#[derive(Debug, utoipa::ToSchema)]
pub struct PersonCreate {
    /// If absent, goldaw uses its own id.
    pub person_id: Option<ExternalId>,
    #[serde(flatten)]
    pub data: PersonData,
}

/// A person's data as it should now be, with the version it was read at.
#[derive(Debug, utoipa::ToSchema)]
pub struct PersonUpdate {
    pub version: i32,
    #[serde(flatten)]
    pub data: PersonData,
}

/// Find people by name or external id within your scope.
#[utoipa::path(get, path = "/api/v1/persons", tag = "people", params(SearchParams),
    responses((status = 200, body = List<PersonRecord>), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<List<PersonRecord>>, ApiError> {
    let Query(p) = params?;
    let query = PersonQuery {
        name: p.name,
        external_id: p.external_id,
        admin_unit: p.admin_unit,
        limit: p.limit.unwrap_or(50),
        offset: p.offset.unwrap_or(0),
    };
    let items = state.store.search_persons(&principal, &query).await?;
    Ok(Json(List {
        items,
        limit: query.limit.clamp(1, goldaw_store::people::MAX_PAGE),
        offset: query.offset,
    }))
}

/// One person.
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersonRecord), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<PersonRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.person(&principal, id).await?))
}

/// Register a person.
#[utoipa::path(post, path = "/api/v1/persons", tag = "people", request_body = PersonCreate,
    responses((status = 201, body = PersonRecord), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<PersonCreate>, JsonRejection>,
) -> Result<(StatusCode, Json<PersonRecord>), ApiError> {
    let Json(body) = body?;
    let record = state
        .store
        .create_person(&principal, body.person_id, body.data)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Change a person; refused with 409 if someone else changed them since `version`.
#[utoipa::path(put, path = "/api/v1/persons/{id}", tag = "people", params(("id" = Uuid, Path)), request_body = PersonUpdate,
    responses((status = 200, body = PersonRecord), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PersonUpdate>, JsonRejection>,
) -> Result<Json<PersonRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .update_person(&principal, id, body.version, body.data)
            .await?,
    ))
}

// The data types refuse unknown fields, which serde cannot do through `flatten`: so the extra
// field is taken out of the JSON object first and the rest is parsed as the data type.
impl<'de> Deserialize<'de> for PersonCreate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (person_id, data) = crate::api::split_field(d, "person_id")?;
        Ok(PersonCreate { person_id, data })
    }
}

impl<'de> Deserialize<'de> for PersonUpdate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (version, data) = crate::api::split_field::<D, Option<i32>, _>(d, "version")?;
        let version = version.ok_or_else(|| serde::de::Error::missing_field("version"))?;
        Ok(PersonUpdate { version, data })
    }
}
