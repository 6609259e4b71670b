//! `/api/v1/workforce/...`: the social workforce register (docs/workforce.md). Staff records and
//! everything they hold are personal data: read and changed as `goldaw_core::workforce::
//! staff_rights` allows (outside it, 404); the establishment, courses, supervision and the register
//! against the plan.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use goldaw_core::ids::AdminUnitCode;
use goldaw_store::workforce::StaffRecord;
use goldaw_store::workforce::{
    AttendanceInput, CertificationInput, CourseRecord, LeaveRequest, NewCourse, NewPost, NewStaff,
    NewSupervision, PostRecord, PromotionRequest, StaffFile, StaffSummary, SupervisionTask,
    WorkforceNorms, WorkforcePlan,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workforce/staff", get(list_staff).post(hire))
        .route("/workforce/staff/{id}", get(read_staff))
        .route("/workforce/staff/{id}/leave", post(leave))
        .route("/workforce/staff/{id}/promotions", post(promote))
        .route("/workforce/staff/{id}/training", post(training))
        .route("/workforce/staff/{id}/certifications", post(certify))
        .route("/workforce/posts", get(list_posts).post(create_post))
        .route("/workforce/posts/{id}/holder", put(fill_post))
        .route("/workforce/courses", get(list_courses).post(create_course))
        .route("/workforce/supervisions", post(supervise))
        .route("/workforce/supervision-tasks", get(supervision_tasks))
        .route("/workforce/plan", get(plan))
        .route("/workforce/norms", put(set_norms))
}

/// Which records a list holds.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    /// A unit inside the reader's scope (default: all of it).
    pub unit: Option<AdminUnitCode>,
    /// Only those in post today (default: everyone, those who left too).
    #[serde(default)]
    pub current: bool,
}

/// Staff records in the reader's sight: the ministry and supervisors their scope, a worker her own.
#[utoipa::path(get, path = "/api/v1/workforce/staff", tag = "workforce", params(StaffQuery),
    responses((status = 200, body = Vec<StaffSummary>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_staff(
    State(state): State<AppState>,
    Caller(principal): Caller,
    q: Result<Query<StaffQuery>, QueryRejection>,
) -> Result<Json<Vec<StaffSummary>>, ApiError> {
    let Query(q) = q?;
    Ok(Json(
        state
            .store
            .list_staff(&principal, q.unit.as_ref(), q.current)
            .await?,
    ))
}

/// Hire: a new staff record (the ministry; a supervisor in her scope).
#[utoipa::path(post, path = "/api/v1/workforce/staff", tag = "workforce", request_body = NewStaff,
    responses((status = 201, body = StaffRecord), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hire(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewStaff>, JsonRejection>,
) -> Result<(StatusCode, Json<StaffRecord>), ApiError> {
    let Json(body) = body?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.hire_staff(&principal, body).await?),
    ))
}

/// One staff record with its training, certification, CPD, supervision and career (audited).
#[utoipa::path(get, path = "/api/v1/workforce/staff/{id}", tag = "workforce", params(("id" = Uuid, Path)),
    responses((status = 200, body = StaffFile), (status = 404, body = ErrorBody)))]
pub async fn read_staff(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<StaffFile>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.staff_file(&principal, id).await?))
}

/// Someone leaves: her last day and the reason (the record stays; her post falls vacant).
#[utoipa::path(post, path = "/api/v1/workforce/staff/{id}/leave", tag = "workforce", params(("id" = Uuid, Path)), request_body = LeaveRequest,
    responses((status = 200, body = StaffRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn leave(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<LeaveRequest>, JsonRejection>,
) -> Result<Json<StaffRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.staff_leaves(&principal, id, body).await?))
}

/// A promotion along the career path.
#[utoipa::path(post, path = "/api/v1/workforce/staff/{id}/promotions", tag = "workforce", params(("id" = Uuid, Path)), request_body = PromotionRequest,
    responses((status = 200, body = StaffRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn promote(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PromotionRequest>, JsonRejection>,
) -> Result<Json<StaffRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.promote_staff(&principal, id, body).await?))
}

/// Attendance of a course (the worker herself, her supervisor, the ministry).
#[utoipa::path(post, path = "/api/v1/workforce/staff/{id}/training", tag = "workforce", params(("id" = Uuid, Path)), request_body = AttendanceInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn training(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<AttendanceInput>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    state.store.record_attendance(&principal, id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The id of what was made.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Made {
    pub id: Uuid,
}

/// A certification, with its expiry (her supervisor, the ministry).
#[utoipa::path(post, path = "/api/v1/workforce/staff/{id}/certifications", tag = "workforce", params(("id" = Uuid, Path)), request_body = CertificationInput,
    responses((status = 201, body = Made), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn certify(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<CertificationInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let made = state
        .store
        .record_certification(&principal, id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(Made { id: made })))
}

/// A unit inside the reader's scope.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    pub unit: Option<AdminUnitCode>,
}

/// The establishment: funded posts, filled or vacant since when (holders' names for the ministry and
/// supervisors; planners get the posts without names).
#[utoipa::path(get, path = "/api/v1/workforce/posts", tag = "workforce", params(UnitQuery),
    responses((status = 200, body = Vec<PostRecord>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_posts(
    State(state): State<AppState>,
    Caller(principal): Caller,
    q: Result<Query<UnitQuery>, QueryRejection>,
) -> Result<Json<Vec<PostRecord>>, ApiError> {
    let Query(q) = q?;
    Ok(Json(
        state.store.list_posts(&principal, q.unit.as_ref()).await?,
    ))
}

/// A funded post (the ministry).
#[utoipa::path(post, path = "/api/v1/workforce/posts", tag = "workforce", request_body = NewPost,
    responses((status = 201, body = PostRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_post(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewPost>, JsonRejection>,
) -> Result<(StatusCode, Json<PostRecord>), ApiError> {
    let Json(body) = body?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_post(&principal, body).await?),
    ))
}

/// Who fills a vacant post, from when.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FillPost {
    pub version: i32,
    pub staff_id: Uuid,
    pub since: chrono::NaiveDate,
}

/// Fill a vacant post (the ministry; a supervisor in her scope).
#[utoipa::path(put, path = "/api/v1/workforce/posts/{id}/holder", tag = "workforce", params(("id" = Uuid, Path)), request_body = FillPost,
    responses((status = 200, body = PostRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn fill_post(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<FillPost>, JsonRejection>,
) -> Result<Json<PostRecord>, ApiError> {
    let Path(id) = id?;
    let Json(b) = body?;
    Ok(Json(
        state
            .store
            .fill_post(&principal, id, b.version, b.staff_id, b.since)
            .await?,
    ))
}

/// The courses (those who read staff records).
#[utoipa::path(get, path = "/api/v1/workforce/courses", tag = "workforce",
    responses((status = 200, body = Vec<CourseRecord>), (status = 403, body = ErrorBody)))]
pub async fn list_courses(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<CourseRecord>>, ApiError> {
    Ok(Json(state.store.list_courses(&principal).await?))
}

/// A course (the ministry, supervisors).
#[utoipa::path(post, path = "/api/v1/workforce/courses", tag = "workforce", request_body = NewCourse,
    responses((status = 201, body = CourseRecord), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_course(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewCourse>, JsonRejection>,
) -> Result<(StatusCode, Json<CourseRecord>), ApiError> {
    let Json(body) = body?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_course(&principal, body).await?),
    ))
}

/// A supervision session (supervisors, with workers of their scope).
#[utoipa::path(post, path = "/api/v1/workforce/supervisions", tag = "workforce", request_body = NewSupervision,
    responses((status = 201, body = Made), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supervise(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewSupervision>, JsonRejection>,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    let Json(body) = body?;
    let id = state.store.record_supervision(&principal, body).await?;
    Ok((StatusCode::CREATED, Json(Made { id })))
}

/// Supervision overdue by the norm: the supervisor's tasks (her team), the ministry's (its scope).
#[utoipa::path(get, path = "/api/v1/workforce/supervision-tasks", tag = "workforce",
    responses((status = 200, body = Vec<SupervisionTask>), (status = 403, body = ErrorBody)))]
pub async fn supervision_tasks(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<SupervisionTask>>, ApiError> {
    Ok(Json(state.store.supervision_tasks(&principal).await?))
}

/// The register against the plan.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// Default: the reader's scope.
    pub unit: Option<AdminUnitCode>,
    /// The year whose leaving rate is observed (default: the last complete year).
    pub year: Option<i32>,
    /// The last year projected (default 2030).
    pub until: Option<i32>,
    /// Planned inflow by year, `2027:40,2028:40` (default: none).
    pub inflow: Option<String>,
}

/// Parses `2027:40,2028:40`.
pub(crate) fn parse_inflow(text: &str) -> Option<BTreeMap<i32, f64>> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (y, n) = part.split_once(':')?;
        let n: f64 = n.trim().parse().ok()?;
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        out.insert(y.trim().parse().ok()?, n);
    }
    Some(out)
}

/// Per etrap, velayat and the unit: posts, filled, vacant, staff, FTE, trained, certified, the
/// requirement, open cases per FTE, and the projection from the actual stock and the observed
/// leaving rate (planners and the ministry).
#[utoipa::path(get, path = "/api/v1/workforce/plan", tag = "workforce", params(PlanQuery),
    responses((status = 200, body = WorkforcePlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    q: Result<Query<PlanQuery>, QueryRejection>,
) -> Result<Json<WorkforcePlan>, ApiError> {
    let Query(q) = q?;
    let unit = match q.unit.or_else(|| principal.unit_scope().cloned()) {
        Some(u) => u,
        None => return Err(goldaw_store::StoreError::Forbidden("no area".into()).into()),
    };
    let inflow = match q.inflow.as_deref() {
        None => BTreeMap::new(),
        Some(text) => parse_inflow(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_inflow",
                "inflow is year:number pairs separated by commas, e.g. 2027:40,2028:40",
            )
        })?,
    };
    Ok(Json(
        state
            .store
            .workforce_against_plan(&principal, &unit, q.year, q.until.unwrap_or(2030), &inflow)
            .await?,
    ))
}

/// Set the ministry's norms: CPD hours a year, supervisions a month (the ministry).
#[utoipa::path(put, path = "/api/v1/workforce/norms", tag = "workforce", request_body = WorkforceNorms,
    responses((status = 200, body = WorkforceNorms), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_norms(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<WorkforceNorms>, JsonRejection>,
) -> Result<Json<WorkforceNorms>, ApiError> {
    let Json(body) = body?;
    state.store.set_workforce_norms(&principal, body).await?;
    Ok(Json(state.store.workforce_norms().await?))
}
