//! `/api/v1/persons/{id}/own-data`: everything goldaw holds about a person, produced on their
//! request by a supervisor (issue #20, item 5; the page is `/people/{id}/own-data`).

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use goldaw_store::subject_access::SubjectAccess;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/persons/{id}/own-data", get(own_data))
}

/// A person's own data: the record, the household, every case naming them in your scope with
/// its history, notes (text opened), plans, reviews, referrals, assessments and consents, and
/// who read or changed any of it. Supervisors only (403 otherwise); 404 for a person outside your
/// scope or hidden from you. Producing it is audited (`person.own_data`).
#[utoipa::path(get, path = "/api/v1/persons/{id}/own-data", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = SubjectAccess), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn own_data(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SubjectAccess>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.subject_access(&principal, id).await?))
}
