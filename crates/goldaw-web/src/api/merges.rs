//! `/api/v1/persons/{id}/merge`: merging a duplicate record of a person into the kept one;
//! `/api/v1/merges/{id}`: a merge as recorded, and undoing it.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use goldaw_store::merges::{MergeRecord, MergeRequest, UndoRequest};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons/{id}/merge", post(merge))
        .route("/merges/{id}", get(read))
        .route("/merges/{id}/undo", post(undo))
}

/// Merge the duplicate `merged` into this person (supervisors, both records and every case of
/// the duplicate in scope). Cases, service episodes, referrals and assessment items move; the
/// duplicate is kept, marked merged, and reading it answers with this person. Records that
/// disagree on who the person is are refused with 409 and the rule's code (`merge_sex_differs`,
/// `merge_birth_dates_differ`, `merge_households_differ`, `merge_same_person`,
/// `merge_already_merged`, `merge_assessments_overlap`); a stale version is 409 `conflict`.
#[utoipa::path(post, path = "/api/v1/persons/{id}/merge", tag = "people", params(("id" = Uuid, Path, description = "The person kept")),
    request_body = MergeRequest,
    responses((status = 200, body = MergeRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<MergeRequest>, JsonRejection>,
) -> Result<Json<MergeRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.merge_persons(&principal, id, body).await?))
}

/// A merge as recorded: who, when, and exactly what moved (supervisors who can see both records).
#[utoipa::path(get, path = "/api/v1/merges/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = MergeRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<MergeRecord>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.merge_record(&principal, id).await?))
}

/// Undo a merge: the duplicate is a record of its own again and takes back what moved; the kept
/// record gives back the household, birth date and target groups it took. Refused with 422 when
/// the merge was already undone or a later merge of either record stands (undo that first); a
/// stale `kept_version` is 409 `conflict`.
#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "people", params(("id" = Uuid, Path)),
    request_body = UndoRequest,
    responses((status = 200, body = MergeRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn undo(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<UndoRequest>, JsonRejection>,
) -> Result<Json<MergeRecord>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    Ok(Json(state.store.undo_merge(&principal, id, body).await?))
}
