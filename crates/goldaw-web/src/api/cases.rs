//! `/api/v1/cases`, `/api/v1/tasks`, `/api/v1/caseload`: the case workflow.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use goldaw_core::codes::CaseStatus;
use goldaw_store::audit::AuditRow;
use goldaw_store::cases::{
    ActionRequest, CaseEvent, CaseNote, CasePage, CaseQuery, CaseRecord, NewReferral, NoteKind,
    PlanInput, PlanRecord, ReviewInput, ReviewRecord, TaskPage, TaskQuery, WorkerLoad,
};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list).post(register))
        .route("/cases/{id}", get(read))
        .route("/cases/{id}/actions", post(act))
        .route("/cases/{id}/allocation", put(allocate))
        .route("/cases/{id}/notes", get(notes).post(add_note))
        .route("/cases/{id}/events", get(events))
        .route("/cases/{id}/access", get(access))
        .route("/cases/{id}/plans", get(plans))
        .route("/cases/{id}/plans/draft", put(save_draft))
        .route("/plans/{id}/agreement", post(agreement))
        .route("/plans/{id}/submit", post(submit))
        .route("/cases/{id}/reviews", get(reviews).post(add_review))
        .route("/tasks", get(tasks))
        .route("/caseload", get(caseload))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseParams {
    /// Only cases in this status (closed ones only when asked for).
    pub status: Option<CaseStatus>,
    /// Only the cases assigned to you.
    #[serde(default)]
    pub mine: bool,
    /// Only cases without a worker.
    #[serde(default)]
    pub unallocated: bool,
    /// The case number, exactly (`A-01/2026/0001`).
    pub number: Option<String>,
    /// Cases on the page (1 to 200; default 50).
    pub limit: Option<u32>,
    /// Cases to skip (older clients; `after` costs the same on every page).
    pub offset: Option<u32>,
    /// The `next` of the page before; leave out for the first page.
    pub after: Option<String>,
}

/// Open cases in your scope (the hotline: the calls it registered).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseParams),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<CaseParams>, QueryRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let Query(p) = params?;
    let query = CaseQuery {
        status: p.status,
        mine: p.mine,
        unallocated: p.unallocated,
        number: p.number,
        include_closed: false,
        limit: p.limit.unwrap_or(50),
        offset: p.offset.unwrap_or(0),
        after: p.after,
    };
    Ok(Json(state.store.case_page(&principal, &query).await?))
}

/// Register a referral: a new case in `referred`, with its readable number.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewReferral,
    responses((status = 201, body = CaseRecord), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewReferral>, JsonRejection>,
) -> Result<(StatusCode, Json<CaseRecord>), ApiError> {
    let Json(body) = body?;
    let case = state.store.register_referral(&principal, body).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// One case, with the steps due and the actions you may take now.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseRecord), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<CaseRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case(&principal, id).await?))
}

/// Move the case along the workflow. A refusal answers 409 with the rule's code (for example
/// `out_of_order`) and why; a stale `version` answers 409 `conflict`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", params(("id" = Uuid, Path)), request_body = ActionRequest,
    responses((status = 200, body = CaseRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<Json<CaseRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.act_on_case(&principal, id, body).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The username of the social worker who takes the case.
    pub worker: String,
    pub version: i32,
}

/// Assign the case to a social worker of its etrap (supervisors).
#[utoipa::path(put, path = "/api/v1/cases/{id}/allocation", tag = "cases", params(("id" = Uuid, Path)), request_body = Allocation,
    responses((status = 200, body = CaseRecord), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn allocate(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<Allocation>, JsonRejection>,
) -> Result<Json<CaseRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .allocate_case(&principal, id, body.version, &body.worker)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub kind: NoteKind,
    /// When it happened; now if absent.
    pub happened_at: Option<DateTime<Utc>>,
    pub text: String,
}

/// The case's notes, newest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/notes", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CaseNote>), (status = 404, body = ErrorBody)))]
pub async fn notes(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<CaseNote>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_notes(&principal, id).await?))
}

/// Record a home visit, call, meeting or other event.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", params(("id" = Uuid, Path)), request_body = NewNote,
    responses((status = 201, body = CaseNote), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewNote>, JsonRejection>,
) -> Result<(StatusCode, Json<CaseNote>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let note = state
        .store
        .add_case_note(
            &principal,
            id,
            body.kind,
            body.happened_at.unwrap_or_else(Utc::now),
            &body.text,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// The case's history: transitions, allocations, transfers.
#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CaseEvent>), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<CaseEvent>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_events(&principal, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessParams {
    /// At most this many events, newest first (1 to 1,000; default 200).
    pub limit: Option<u32>,
}

/// Who opened or changed the case or its person, newest first: supervisors, on the cases in their
/// scope. Reading it is recorded in the audit log too.
#[utoipa::path(get, path = "/api/v1/cases/{id}/access", tag = "cases", params(("id" = Uuid, Path), AccessParams),
    responses((status = 200, body = Vec<AuditRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn access(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    params: Result<Query<AccessParams>, QueryRejection>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let Path(id) = id?;
    let Query(p) = params?;
    let limit = i64::from(p.limit.unwrap_or(200));
    Ok(Json(state.store.case_access(&principal, id, limit).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    /// The `next` of the page before; leave out for the first page.
    pub after: Option<String>,
    /// Tasks on the page (1 to 200; default 50).
    pub limit: Option<u32>,
    /// Only the steps already overdue.
    #[serde(default)]
    pub overdue: bool,
}

/// What you have to do, a page at a time: deadlines due and overdue (a social worker's by date),
/// and (supervisors) decisions waiting, grouped by worker. Follow `next` as `after`.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "cases", params(TaskParams),
    responses((status = 200, body = TaskPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tasks(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<TaskParams>, QueryRejection>,
) -> Result<Json<TaskPage>, ApiError> {
    let Query(p) = params?;
    let query = TaskQuery {
        after: p.after,
        limit: p.limit,
        overdue_only: p.overdue,
    };
    Ok(Json(state.store.task_page(&principal, &query).await?))
}

/// Caseloads against the norm of 25 intensive + 25 monitored cases (75 a year).
#[utoipa::path(get, path = "/api/v1/caseload", tag = "cases",
    responses((status = 200, body = Vec<WorkerLoad>), (status = 403, body = ErrorBody)))]
pub async fn caseload(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<WorkerLoad>>, ApiError> {
    Ok(Json(state.store.caseloads(&principal).await?))
}

/// The case's support plans, newest first (earlier versions kept).
#[utoipa::path(get, path = "/api/v1/cases/{id}/plans", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<PlanRecord>), (status = 404, body = ErrorBody)))]
pub async fn plans(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<PlanRecord>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_plans(&principal, id).await?))
}

/// A draft plan and the version it was read at (absent for a new draft).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DraftBody {
    pub version: Option<i32>,
    #[serde(flatten)]
    pub plan: PlanInput,
}

/// Write the draft support plan made with the person (replaces the case's draft).
#[utoipa::path(put, path = "/api/v1/cases/{id}/plans/draft", tag = "cases", params(("id" = Uuid, Path)), request_body = DraftBody,
    responses((status = 200, body = PlanRecord), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_draft(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<DraftBody>, JsonRejection>,
) -> Result<Json<PlanRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .save_plan_draft(&principal, id, body.version, body.plan)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    pub version: i32,
    pub agrees: bool,
    /// The person's views in their words; required when they disagree.
    pub views: Option<String>,
}

/// Record whether the person agrees with the draft plan.
#[utoipa::path(post, path = "/api/v1/plans/{id}/agreement", tag = "cases", params(("id" = Uuid, Path)), request_body = Agreement,
    responses((status = 200, body = PlanRecord), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn agreement(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<Agreement>, JsonRejection>,
) -> Result<Json<PlanRecord>, ApiError> {
    let Path(id) = id?;
    let Json(b) = body?;
    Ok(Json(
        state
            .store
            .record_plan_agreement(&principal, id, b.version, b.agrees, b.views.as_deref())
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Versioned {
    pub version: i32,
}

/// Submit the draft for the supervisor's approval (the case action `approve_plan`).
#[utoipa::path(post, path = "/api/v1/plans/{id}/submit", tag = "cases", params(("id" = Uuid, Path)), request_body = Versioned,
    responses((status = 200, body = PlanRecord), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<Versioned>, JsonRejection>,
) -> Result<Json<PlanRecord>, ApiError> {
    let Path(id) = id?;
    let Json(b) = body?;
    Ok(Json(
        state.store.submit_plan(&principal, id, b.version).await?,
    ))
}

/// The case's reviews and outcome follow-ups, newest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/reviews", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ReviewRecord>), (status = 404, body = ErrorBody)))]
pub async fn reviews(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<ReviewRecord>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_reviews(&principal, id).await?))
}

/// Record a plan review, the closing review or an outcome follow-up.
#[utoipa::path(post, path = "/api/v1/cases/{id}/reviews", tag = "cases", params(("id" = Uuid, Path)), request_body = ReviewInput,
    responses((status = 201, body = ReviewRecord), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_review(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ReviewInput>, JsonRejection>,
) -> Result<(StatusCode, Json<ReviewRecord>), ApiError> {
    let Path(id) = id?;
    let Json(b) = body?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.record_review(&principal, id, b).await?),
    ))
}
