//! `/api/v1/persons`

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::people::PersonData;
use goldaw_store::people::{
    DuplicatePage, DuplicateQuery, PersonFile, PersonFilters, PersonQuery, PersonRecord,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons", get(search).post(create))
        .route("/persons/likely-duplicates", get(likely_duplicates))
        .route("/persons/probable-duplicates", get(probable_duplicates))
        .route("/persons/{id}", get(read).put(update))
        .route("/persons/{id}/file", get(file))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// A name or part of one, in Turkmen, Russian or Latin letters; a full name in either order.
    /// Best matches first: the whole name, then every word whole, then closest spellings.
    pub name: Option<String>,
    /// The id given at import (`person_id`).
    pub external_id: Option<String>,
    /// Only people in this unit (and below it).
    pub admin_unit: Option<AdminUnitCode>,
    /// Only people born this day (YYYY-MM-DD).
    pub birth_date: Option<NaiveDate>,
    /// Only people born this year.
    pub birth_year: Option<i32>,
    /// Only the members of this household (`household_id`).
    pub household_id: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// What is known of a person who may be registered already.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DuplicateParams {
    /// The given name as typed, in any spelling.
    pub given_name: String,
    /// The family name, if known.
    pub family_name: Option<String>,
    /// The birth date, if known (YYYY-MM-DD).
    pub birth_date: Option<NaiveDate>,
    /// Only people of this unit (and below it) are compared; without it, your whole scope.
    pub admin_unit: Option<AdminUnitCode>,
    /// The household (`household_id`), if known: the same counts.
    pub household_id: Option<String>,
}

/// One likely duplicate: who, and how likely (0-100).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateItem {
    pub id: Uuid,
    pub score: u8,
}

/// Likely duplicates, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateList {
    pub items: Vec<DuplicateItem>,
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

/// A page of people. A named type (not `List<PersonRecord>`): the generic list inlines its item's
/// schema, and the person's inline `allOf` (a closed object and its other fields) is what no
/// answer validated against; this refers to the merged `PersonRecord` component instead.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonList {
    pub items: Vec<PersonRecord>,
    pub limit: u32,
    pub offset: u32,
}

/// Find people by name or external id within your scope.
#[utoipa::path(get, path = "/api/v1/persons", tag = "people", params(SearchParams),
    responses((status = 200, body = PersonList), (status = 400, body = ErrorBody),
        (status = 422, description = "A filter out of its range (a birth year before 1850 or after 2200), or an offset past 10,000 (narrow the search instead)", body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<PersonList>, ApiError> {
    let Query(p) = params?;
    let query = PersonQuery {
        name: p.name,
        external_id: p.external_id,
        admin_unit: p.admin_unit,
        limit: p.limit.unwrap_or(50),
        offset: p.offset.unwrap_or(0),
    };
    let filters = PersonFilters {
        birth_date: p.birth_date,
        birth_year: p.birth_year,
        household: p.household_id,
    };
    let items = state
        .store
        .search_persons_by(&principal, &query, &filters)
        .await?;
    Ok(Json(PersonList {
        items,
        limit: query.limit.clamp(1, goldaw_store::people::MAX_PAGE),
        offset: query.offset,
    }))
}

/// People already registered who may be the person described: names in either order and any
/// spelling (Turkmen, Russian or Latin letters), a typo or two, a missing family name with the
/// same birth date, the same household. At most 10, best first, within your scope.
#[utoipa::path(get, path = "/api/v1/persons/likely-duplicates", tag = "people", params(DuplicateParams),
    responses((status = 200, body = DuplicateList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A name longer than 100 characters", body = ErrorBody)))]
pub async fn likely_duplicates(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<DuplicateParams>, QueryRejection>,
) -> Result<Json<DuplicateList>, ApiError> {
    let Query(p) = params?;
    let query = DuplicateQuery {
        given_name: p.given_name,
        family_name: p.family_name,
        birth_date: p.birth_date,
        admin_unit: p.admin_unit,
        household: p.household_id,
    };
    let found = state.store.find_duplicates(&principal, &query).await?;
    Ok(Json(DuplicateList {
        items: found
            .into_iter()
            .map(|c| DuplicateItem {
                id: c.id,
                score: c.score,
            })
            .collect(),
    }))
}

/// Where to walk the list of probable duplicates.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProbableParams {
    /// Only people of this unit (and below it); without it, your whole scope.
    pub admin_unit: Option<AdminUnitCode>,
    /// The `next` of the page before.
    pub after: Option<String>,
    /// Pairs wanted on the page (1-200, 50 if absent); a page may hold a few more or fewer.
    pub limit: Option<u32>,
}

/// Supervisors: pairs of people in scope who are probably the same person, each person checked
/// as the intake's duplicate check checks (candidates from the name and birth-date indexes:
/// names in any spelling or order, typos, a family name missing, a typo in the birth date, the
/// household) and scored the same way, a page at a time (at most 200 people checked a page:
/// `checked`); each pair once, and each can be merged (`POST /api/v1/persons/{id}/merge`).
/// Someone whose candidates were more than the bound (`incomplete`, "more than N") was compared
/// with the first N of them only: narrow to a unit.
#[utoipa::path(get, path = "/api/v1/persons/probable-duplicates", tag = "people", params(ProbableParams),
    responses((status = 200, body = DuplicatePage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn probable_duplicates(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<ProbableParams>, QueryRejection>,
) -> Result<Json<DuplicatePage>, ApiError> {
    let Query(p) = params?;
    Ok(Json(
        state
            .store
            .probable_duplicates(
                &principal,
                p.admin_unit.as_ref(),
                p.after.as_deref(),
                goldaw_core::paging::page_size(p.limit),
            )
            .await?,
    ))
}

/// A person whole: the record, the household and its members, the cases, referrals and
/// services in your scope, and the record's history of changes.
#[utoipa::path(get, path = "/api/v1/persons/{id}/file", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersonFile), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<PersonFile>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.person_file(&principal, id).await?))
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
