//! Posts from the case page: a workflow action, allocation to a worker, a note.

use super::optional;
use crate::pages::common::{after, refusal};
use crate::pages::error::PageResult;
use crate::pages::extract::{see_other, Posted};
use crate::AppState;
use axum::extract::{Path, State};
use chrono::Utc;
use goldaw_core::codes::Priority;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::workflow::{CaseAction, ClosureReason};
use goldaw_store::cases::{ActionRequest, NoteKind};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
pub(super) struct ActionForm {
    action: String,
    version: i32,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    transfer_to: String,
}

pub(super) async fn case_action(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ActionForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Ok(action) = form.action.parse::<CaseAction>() else {
        return Ok(signed.unreadable_form());
    };
    let (Ok(priority), Ok(reason), Ok(transfer_to)) = (
        optional::<Priority>(&form.priority),
        optional::<ClosureReason>(&form.reason),
        optional::<AdminUnitCode>(&form.transfer_to),
    ) else {
        return Ok(signed.unreadable_form());
    };
    let request = ActionRequest {
        action,
        version: form.version,
        priority,
        reason,
        transfer_to,
    };
    Ok(
        match state
            .store
            .act_on_case(signed.principal(), id, request)
            .await
        {
            Ok(_) => see_other(&format!("/cases/{id}")),
            // After an accepted transfer out of one's scope, or similar: back to the list.
            Err(StoreError::NotFound) if action == CaseAction::AcceptTransfer => {
                see_other("/cases")
            }
            Err(e) => refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
pub(super) struct AllocateForm {
    worker: String,
    version: i32,
}

pub(super) async fn allocate(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<AllocateForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    Ok(after(
        &signed,
        state
            .store
            .allocate_case(signed.principal(), id, form.version, &form.worker)
            .await,
        format!("/cases/{id}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
    kind: String,
    text: String,
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<NoteForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Some(kind) = NoteKind::parse(&form.kind) else {
        return Ok(signed.unreadable_form());
    };
    Ok(after(
        &signed,
        state
            .store
            .add_case_note(signed.principal(), id, kind, Utc::now(), &form.text)
            .await,
        format!("/cases/{id}#notes"),
    ))
}
