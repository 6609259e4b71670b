//! `/api/v1/hotline/...`, `/api/v1/cases/{id}/consents`, `/api/v1/consents/{id}/withdraw`,
//! `/api/v1/cases/{id}/consent-overrides`, `/api/v1/cases/{id}/disclosures`: the survivor's path
//! (issue #18, docs/survivors.md): the hotline's call log, consent records, overrides and
//! disclosures, `/api/v1/cases/{id}/incident-date` (the incident a sensitive case is about). Each
//! handler asks the store, which decides who may.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use goldaw_store::cases::{CaseRecord, IncidentDateChange};
use goldaw_store::consent::{
    CaseConsents, ConsentRecord, DisclosureRecord, NewConsent, NewDisclosure, NewOverride,
    OverrideRecord, Withdrawal,
};
use goldaw_store::gbv_statistics::{GbvMeasure, GbvQuery, GbvTable};
use goldaw_store::hotline::{CallRecord, CallToCase, Line, NewCall, NewLine, NewLineMember};
use goldaw_store::safety_plans::{NewSafetyPlan, SafetyPlan, SafetyPlanFile};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hotline/lines", post(add_line))
        .route("/hotline/lines/{code}/members", put(set_member))
        .route("/hotline/lines/{code}/calls", get(line_calls))
        .route("/hotline/lines/{code}/call-backs", get(call_backs))
        .route("/hotline/calls", post(log_call))
        .route("/hotline/calls/{id}", get(read_call))
        .route("/hotline/calls/{id}/case", post(call_to_case))
        .route(
            "/cases/{id}/consents",
            get(case_consents).post(record_consent),
        )
        .route("/consents/{id}/withdraw", post(withdraw))
        .route("/cases/{id}/consent-overrides", post(override_consent))
        .route("/cases/{id}/disclosures", post(disclose))
        .route("/cases/{id}/incident-date", put(set_incident_date))
        .route("/survivors/statistics", get(gbv_statistics))
        .route(
            "/cases/{id}/safety-plan",
            get(read_safety_plan).post(save_safety_plan),
        )
}

/// Add a hotline line (admins).
#[utoipa::path(post, path = "/api/v1/hotline/lines", tag = "survivors", request_body = NewLine,
    responses((status = 201, body = Line), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_line(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewLine>, JsonRejection>,
) -> Result<(StatusCode, Json<Line>), ApiError> {
    let Json(body) = body?;
    let line = state.store.add_hotline_line(&principal, body).await?;
    Ok((StatusCode::CREATED, Json(line)))
}

/// Make an account a member of a line, operator or supervisor (admins).
#[utoipa::path(put, path = "/api/v1/hotline/lines/{code}/members", tag = "survivors", params(("code" = String, Path)),
    request_body = NewLineMember,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_member(
    State(state): State<AppState>,
    Caller(principal): Caller,
    code: Result<Path<String>, PathRejection>,
    body: Result<Json<NewLineMember>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(code) = code?;
    let Json(body) = body?;
    state.store.set_line_member(&principal, &code, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest calls of a line (its staff).
#[utoipa::path(get, path = "/api/v1/hotline/lines/{code}/calls", tag = "survivors", params(("code" = String, Path)),
    responses((status = 200, body = Vec<CallRecord>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn line_calls(
    State(state): State<AppState>,
    Caller(principal): Caller,
    code: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<CallRecord>>, ApiError> {
    let Path(code) = code?;
    Ok(Json(state.store.line_calls(&principal, &code).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Until {
    /// Call-backs due by then (now if absent).
    pub until: Option<DateTime<Utc>>,
}

/// The line's call-backs due (its supervisors).
#[utoipa::path(get, path = "/api/v1/hotline/lines/{code}/call-backs", tag = "survivors", params(("code" = String, Path), Until),
    responses((status = 200, body = Vec<CallRecord>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn call_backs(
    State(state): State<AppState>,
    Caller(principal): Caller,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<Until>, QueryRejection>,
) -> Result<Json<Vec<CallRecord>>, ApiError> {
    let Path(code) = code?;
    let Query(q) = q?;
    let until = q.until.unwrap_or_else(Utc::now);
    Ok(Json(
        state.store.call_backs_due(&principal, &code, until).await?,
    ))
}

/// Log a call on a line the caller works on.
#[utoipa::path(post, path = "/api/v1/hotline/calls", tag = "survivors", request_body = NewCall,
    responses((status = 201, body = CallRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_call(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: Result<Json<NewCall>, JsonRejection>,
) -> Result<(StatusCode, Json<CallRecord>), ApiError> {
    let Json(body) = body?;
    let call = state.store.log_call(&principal, body).await?;
    Ok((StatusCode::CREATED, Json(call)))
}

/// One call (its line's staff).
#[utoipa::path(get, path = "/api/v1/hotline/calls/{id}", tag = "survivors", params(("id" = Uuid, Path)),
    responses((status = 200, body = CallRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_call(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<CallRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.call(&principal, id).await?))
}

/// Open a case from a call in one step, with the consents given on it.
#[utoipa::path(post, path = "/api/v1/hotline/calls/{id}/case", tag = "survivors", params(("id" = Uuid, Path)), request_body = CallToCase,
    responses((status = 201, body = CaseRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn call_to_case(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<CallToCase>, JsonRejection>,
) -> Result<(StatusCode, Json<CaseRecord>), ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let case = state.store.call_to_case(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// The consents of the case's people, the overrides and the disclosures.
#[utoipa::path(get, path = "/api/v1/cases/{id}/consents", tag = "survivors", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseConsents), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_consents(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<CaseConsents>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_consents(&principal, id).await?))
}

/// Record a consent of a person of the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "survivors", params(("id" = Uuid, Path)), request_body = NewConsent,
    responses((status = 201, body = ConsentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_consent(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewConsent>, JsonRejection>,
) -> Result<(StatusCode, Json<ConsentRecord>), ApiError> {
    let Path(id) = id?;
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    let c = state.store.record_consent(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// The case the consent was recorded on (or of its person).
    pub case: Uuid,
    /// The consent's version read.
    pub version: i32,
}

/// Withdraw a consent: future sharing stops, and providers holding a referral under it see it
/// closed.
#[utoipa::path(post, path = "/api/v1/consents/{id}/withdraw", tag = "survivors", params(("id" = Uuid, Path)), request_body = WithdrawBody,
    responses((status = 200, body = ConsentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<WithdrawBody>, JsonRejection>,
) -> Result<Json<ConsentRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let w = Withdrawal {
        version: body.version,
    };
    Ok(Json(
        state
            .store
            .withdraw_consent(&principal, body.case, id, w)
            .await?,
    ))
}

/// Share without consent for a reason the law allows (supervisors; reason and note required).
#[utoipa::path(post, path = "/api/v1/cases/{id}/consent-overrides", tag = "survivors", params(("id" = Uuid, Path)), request_body = NewOverride,
    responses((status = 201, body = OverrideRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn override_consent(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewOverride>, JsonRejection>,
) -> Result<(StatusCode, Json<OverrideRecord>), ApiError> {
    let Path(id) = id?;
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    let o = state.store.override_consent(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// Record information shared with the police or health: refused (422 `consent-refused-…`)
/// without a valid consent or an override.
#[utoipa::path(post, path = "/api/v1/cases/{id}/disclosures", tag = "survivors", params(("id" = Uuid, Path)), request_body = NewDisclosure,
    responses((status = 201, body = DisclosureRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn disclose(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewDisclosure>, JsonRejection>,
) -> Result<(StatusCode, Json<DisclosureRecord>), ApiError> {
    let Path(id) = id?;
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    let d = state.store.disclose(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Set or clear the date of the incident a sensitive case is about (who works on the case; the
/// case's version read). Refused (422) in the future, before the person's birth, or on a case that
/// is not sensitive; 409 on a stale version.
#[utoipa::path(put, path = "/api/v1/cases/{id}/incident-date", tag = "survivors", params(("id" = Uuid, Path)), request_body = IncidentDateChange,
    responses((status = 200, body = CaseRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_incident_date(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<IncidentDateChange>, JsonRejection>,
) -> Result<Json<CaseRecord>, ApiError> {
    let Path(id) = id?;
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    Ok(Json(
        state.store.set_incident_date(&principal, id, body).await?,
    ))
}

/// The case's safety plan (the latest revision, sealed at rest) and its revisions.
#[utoipa::path(get, path = "/api/v1/cases/{id}/safety-plan", tag = "survivors", params(("id" = Uuid, Path)),
    responses((status = 200, body = SafetyPlanFile), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_safety_plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SafetyPlanFile>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.safety_plan(&principal, id).await?))
}

/// Make or review the safety plan (a new revision; `revision` is the one read, 0 for the first).
/// A high risk raises the case to the critical deadlines.
#[utoipa::path(post, path = "/api/v1/cases/{id}/safety-plan", tag = "survivors", params(("id" = Uuid, Path)), request_body = NewSafetyPlan,
    responses((status = 201, body = SafetyPlan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_safety_plan(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewSafetyPlan>, JsonRejection>,
) -> Result<(StatusCode, Json<SafetyPlan>), ApiError> {
    let Path(id) = id?;
    state.store.case_reachable(&principal, id).await?;
    let Json(body) = body?;
    let plan = state.store.save_safety_plan(&principal, id, body).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GbvParams {
    /// `survivors`, `referrals` or `calls`.
    #[param(value_type = String)]
    pub measure: GbvMeasure,
    /// First day (local), inclusive.
    pub from: chrono::NaiveDate,
    /// Last day (local), inclusive.
    pub to: chrono::NaiveDate,
    /// Up to three of `category`, `age_band`, `sex`, `month`, `velayat`, `line`, `outcome`,
    /// `service`, `report_delay` (the time from incident to report: `same_day`, `1_3_days`,
    /// `4_7_days`, `8_30_days`, `over_30_days`, `unknown`), comma-separated (by month if absent).
    pub by: Option<String>,
}

/// Anonymised statistics for the survivors' services (GBVIMS-shaped): counts only, survivors
/// only with their consent to statistics, suppressed with the stricter rule for violence.
#[utoipa::path(get, path = "/api/v1/survivors/statistics", tag = "survivors", params(GbvParams),
    responses((status = 200, body = GbvTable), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn gbv_statistics(
    State(state): State<AppState>,
    Caller(principal): Caller,
    q: Result<Query<GbvParams>, QueryRejection>,
) -> Result<Json<GbvTable>, ApiError> {
    let Query(q) = q?;
    let by = goldaw_store::gbv_statistics::parse_dimensions(q.by.as_deref())?;
    Ok(Json(
        state
            .store
            .gbv_statistics(
                &principal,
                GbvQuery {
                    measure: q.measure,
                    from: q.from,
                    to: q.to,
                    by,
                },
            )
            .await?,
    ))
}
