//! `/api/v1/cases/{id}/assessments`, `/api/v1/assessments/{id}`, `/api/v1/instruments`: assessments
//! recorded against the instruments, and the instruments themselves (docs/instruments.md).

use crate::api::cases::Versioned;
use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use goldaw_core::instruments::{Instrument, Text};
use goldaw_store::cases::{AssessmentRecord, AssessmentSave, AssessmentSummary, NewAssessment};
use serde::Serialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/assessments", get(list).post(start))
        .route("/assessments/{id}", get(read).put(save))
        .route("/assessments/{id}/complete", post(complete))
        .route("/instruments", get(instruments))
        .route("/instruments/{code}/{version}", get(instrument))
}

/// The case's assessments, newest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/assessments", tag = "assessments", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AssessmentSummary>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<AssessmentSummary>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_assessments(&principal, id).await?))
}

/// Start an assessment with the version in force of an instrument: the initial assessment during
/// screening, a holistic one in its step (else 409 `assessment_not_now`). The answer lists the
/// required answers still `missing`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assessments", tag = "assessments", params(("id" = Uuid, Path)), request_body = NewAssessment,
    responses((status = 201, body = AssessmentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewAssessment>, JsonRejection>,
) -> Result<(StatusCode, Json<AssessmentRecord>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let record = state.store.start_assessment(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// One assessment with its people and answers (withheld on a sensitive case without the permission).
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "assessments", params(("id" = Uuid, Path)),
    responses((status = 200, body = AssessmentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<AssessmentRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.assessment(&principal, id).await?))
}

/// Save answers to a draft, under the version read (a stale one: 409 `conflict`). Each answer
/// replaces what was recorded for its person and item; a bad one is refused (422) naming the item
/// and the person, and nothing is written.
#[utoipa::path(put, path = "/api/v1/assessments/{id}", tag = "assessments", params(("id" = Uuid, Path)), request_body = AssessmentSave,
    responses((status = 200, body = AssessmentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<AssessmentSave>, JsonRejection>,
) -> Result<Json<AssessmentRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state.store.save_assessment(&principal, id, body).await?,
    ))
}

/// Complete a draft: refused (422) while a required answer is missing, naming item and person.
/// The Washington Group answers are written to the people's records.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/complete", tag = "assessments", params(("id" = Uuid, Path)), request_body = Versioned,
    responses((status = 200, body = AssessmentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<Versioned>, JsonRejection>,
) -> Result<Json<AssessmentRecord>, ApiError> {
    let Path(id) = id?;
    let Json(b) = body?;
    Ok(Json(
        state
            .store
            .complete_assessment(&principal, id, b.version)
            .await?,
    ))
}

/// One version of an instrument the database holds.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InstrumentVersion {
    pub code: String,
    pub version: u32,
    /// initial, holistic or review.
    pub kind: String,
    /// adult, child, household or any.
    pub applies_to: String,
    pub title: Text,
    /// New assessments use this version.
    pub in_force: bool,
}

/// Every version of every instrument held, old versions included (reference data: any signed-in
/// caller may read it).
#[utoipa::path(get, path = "/api/v1/instruments", tag = "assessments",
    responses((status = 200, body = Vec<InstrumentVersion>), (status = 401, body = ErrorBody)))]
pub async fn instruments(
    State(state): State<AppState>,
    Caller(_caller): Caller,
) -> Json<Vec<InstrumentVersion>> {
    let held = state.store.instruments();
    Json(
        held.all()
            .iter()
            .map(|i| InstrumentVersion {
                code: i.code.clone(),
                version: i.version,
                kind: i.kind.to_string(),
                applies_to: i.applies_to.to_string(),
                title: i.title.clone(),
                in_force: held.in_force(&i.code).map(|f| f.version) == Some(i.version),
            })
            .collect(),
    )
}

/// One version of an instrument: its domains and items with their wording in tk, ru and en.
#[utoipa::path(get, path = "/api/v1/instruments/{code}/{version}", tag = "assessments",
    params(("code" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = Instrument), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn instrument(
    State(state): State<AppState>,
    Caller(_caller): Caller,
    path: Result<Path<(String, u32)>, PathRejection>,
) -> Result<Json<Instrument>, ApiError> {
    let Path((code, version)) = path?;
    state
        .store
        .instruments()
        .get(&code, version)
        .cloned()
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no instrument '{code}' version {version}"),
            )
        })
}
