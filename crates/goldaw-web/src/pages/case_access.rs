//! Who opened a case: the audit events of one case and its person, for the case's supervisors
//! (WORKFLOW.md, "audit log: own team's access to own cases"). A page of its own, linked from the
//! case page, so that the case page itself stays one statement.

use super::common::local_time;
use super::common::render;
use super::extract::Signed;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use goldaw_core::access::Permission;
use uuid::Uuid;

/// Events shown on the page, newest first (the API takes up to 1,000).
const PAGE_EVENTS: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/access", get(case_access))
}

struct AccessLine {
    at: String,
    actor: String,
    source: String,
    action: String,
    /// The case or its person, in the reader's language.
    record: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "case_access.html")]
struct CaseAccessPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    events: Vec<AccessLine>,
}

async fn case_access(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    signed.require(Permission::ReadCaseAccess)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let rows = state
        .store
        .case_access(signed.principal(), id, PAGE_EVENTS)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let case_id = id.to_string();
    let events = rows
        .into_iter()
        .map(|e| AccessLine {
            at: local_time(e.at),
            record: if e.entity_id.as_deref() == Some(case_id.as_str()) {
                t.t("case-access-the-case")
            } else {
                t.t("case-access-the-person")
            },
            actor: e.actor,
            source: e.source,
            action: e.action,
            detail: e.detail.unwrap_or_default(),
        })
        .collect();
    Ok(render(CaseAccessPage {
        user: signed.user(),
        t: signed.t.clone_lang(),
        id,
        events,
    }))
}
