//! `/api/v1/persons/{id}/own-data`: everything goldaw holds about a person, produced on their
//! request by a supervisor (issue #20, item 5; the page is `/people/{id}/own-data`).

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use goldaw_store::subject_access::{OwnDataRecipient, SubjectAccess};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/persons/{id}/own-data", get(own_data))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OwnDataParams {
    /// Whom it is produced for: `person` (the default: her right of access) or
    /// `representative` (someone acting for her: needs her consent to `export`, or an override).
    #[serde(rename = "for", default)]
    #[param(value_type = Option<String>)]
    pub recipient: Option<OwnDataRecipient>,
}

/// A person's own data: the record, the household, every case naming them in your scope with
/// its history, notes (text opened), plans, reviews, referrals, assessments and consents, and
/// who read or changed any of it. Supervisors only (403 otherwise); 404 for a person outside your
/// scope or hidden from you. For a representative (`for=representative`) the person's consent to
/// `export` is needed, or a supervisor's override: 422 with the reason otherwise (audited as
/// `consent.refused`). Producing it is audited (`person.own_data`).
#[utoipa::path(get, path = "/api/v1/persons/{id}/own-data", tag = "people", params(("id" = Uuid, Path), OwnDataParams),
    responses((status = 200, body = SubjectAccess), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn own_data(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    params: Result<Query<OwnDataParams>, QueryRejection>,
) -> Result<Json<SubjectAccess>, ApiError> {
    let Path(id) = id?;
    let Query(p) = params?;
    let recipient = p.recipient.unwrap_or(OwnDataRecipient::Person);
    Ok(Json(
        state
            .store
            .subject_access_for(&principal, id, recipient)
            .await?,
    ))
}
