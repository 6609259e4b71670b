//! Retention of closed cases (issue #20, item 4; docs/operations.md, "Retention"):
//! `/api/v1/retention/...` the ministry's years per kind of case and the dry run;
//! `/api/v1/cases/{id}/legal-holds` a supervisor's legal holds. The run itself is the operator's
//! `goldaw retention --apply`.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use goldaw_core::retention::{may_hold, CaseKind};
use goldaw_store::retention::{LegalHold, RetentionPlan, RetentionSetting};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/retention/settings", get(settings))
        .route("/retention/settings/{kind}", put(set_years))
        .route("/retention/plan", get(plan))
        .route("/cases/{id}/legal-holds", get(holds).post(hold))
        .route("/cases/{id}/legal-holds/lift", post(lift))
}

/// The years a kind of case is kept after closure.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearsChange {
    /// 1 to 100.
    pub years: u32,
    /// The setting's version as read.
    pub version: i32,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanParams {
    /// The day the run is imagined on (YYYY-MM-DD); today when absent.
    pub as_of: Option<NaiveDate>,
}

/// A legal hold's reason.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHold {
    /// Why the case must be kept (a court order, a complaint, an inquiry): required.
    pub reason: String,
}

/// Lifting the hold in force.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldLift {
    /// The hold's version as read.
    pub version: i32,
    /// Why it no longer applies: required.
    pub reason: String,
}

/// The years after closure per kind of case (`general`, `child`, `sensitive`): the ministry.
#[utoipa::path(get, path = "/api/v1/retention/settings", tag = "retention",
    responses((status = 200, body = Vec<RetentionSetting>), (status = 403, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<RetentionSetting>>, ApiError> {
    Ok(Json(state.store.retention_settings(&principal).await?))
}

/// Set the years a kind of case is kept after closure (the ministry); 409 on a stale version,
/// 422 outside 1 to 100.
#[utoipa::path(put, path = "/api/v1/retention/settings/{kind}", tag = "retention",
    params(("kind" = String, Path, description = "general, child or sensitive")), request_body = YearsChange,
    responses((status = 200, body = RetentionSetting), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_years(
    State(state): State<AppState>,
    Caller(principal): Caller,
    kind: Result<Path<String>, PathRejection>,
    body: Result<Json<YearsChange>, JsonRejection>,
) -> Result<Json<RetentionSetting>, ApiError> {
    let Path(kind) = kind?;
    if !goldaw_core::retention::may_set_years(&principal) {
        return Err(goldaw_store::StoreError::Forbidden(
            "retention periods are the ministry's to set".into(),
        )
        .into());
    }
    let kind = CaseKind::parse(&kind).ok_or(goldaw_store::StoreError::NotFound)?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .set_retention_years(&principal, kind, body.years, body.version)
            .await?,
    ))
}

/// The dry run: the closed cases a run would anonymise (text removed), the people (name and
/// birth date to the year), and the cases a legal hold keeps. The ministry, in its scope.
#[utoipa::path(get, path = "/api/v1/retention/plan", tag = "retention", params(PlanParams),
    responses((status = 200, body = RetentionPlan), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<PlanParams>, QueryRejection>,
) -> Result<Json<RetentionPlan>, ApiError> {
    let Query(p) = params?;
    let as_of = p.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    Ok(Json(state.store.retention_plan(&principal, as_of).await?))
}

/// The case's legal holds, newest first (supervisors, in scope).
#[utoipa::path(get, path = "/api/v1/cases/{id}/legal-holds", tag = "retention", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<LegalHold>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn holds(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<LegalHold>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.legal_holds(&principal, id).await?))
}

fn hold_forbidden() -> ApiError {
    goldaw_store::StoreError::Forbidden("legal holds are set and lifted by supervisors".into())
        .into()
}

/// Put the case under a legal hold: retention leaves it (and its person) as they are until the
/// hold is lifted. Supervisors, in scope; 422 when a hold is in force already or no reason is
/// given.
#[utoipa::path(post, path = "/api/v1/cases/{id}/legal-holds", tag = "retention", params(("id" = Uuid, Path)), request_body = NewHold,
    responses((status = 201, body = LegalHold), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hold(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewHold>, JsonRejection>,
) -> Result<(StatusCode, Json<LegalHold>), ApiError> {
    let Path(id) = id?;
    if !may_hold(&principal) {
        return Err(hold_forbidden());
    }
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .store
                .set_legal_hold(&principal, id, &body.reason)
                .await?,
        ),
    ))
}

/// Lift the hold in force (supervisors, in scope; a reason is required; 409 on a stale version).
#[utoipa::path(post, path = "/api/v1/cases/{id}/legal-holds/lift", tag = "retention", params(("id" = Uuid, Path)), request_body = HoldLift,
    responses((status = 200, body = LegalHold), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lift(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<HoldLift>, JsonRejection>,
) -> Result<Json<LegalHold>, ApiError> {
    let Path(id) = id?;
    if !may_hold(&principal) {
        return Err(hold_forbidden());
    }
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    Ok(Json(
        state
            .store
            .lift_legal_hold(&principal, id, body.version, &body.reason)
            .await?,
    ))
}
