//! Case pages, by use case: the list (`list`), intake of a new case with the duplicate check
//! (`intake`), the case page (`page`), its actions, allocation and notes (`actions`), the support
//! plan and reviews (`plan`), the task list (`tasks`) and the caseload against the norm
//! (`caseload`). This module holds the routes and what several of those pages share.
//!
//! Every handler starts from `Signed`/`Posted` and asks the store, which checks permission and
//! scope again and audits the access: the page checks only decide what to offer.

mod actions;
mod caseload;
mod intake;
mod list;
mod page;
mod plan;
mod tasks;

use self::actions::{add_note, allocate, case_action};
use self::caseload::caseload;
use self::intake::{intake, intake_form};
use self::list::case_list;
use self::page::case_page;
use self::plan::{add_review, plan_agreement, plan_submit, save_plan};
use self::tasks::tasks;
use crate::i18n::Translator;
use crate::pages::common::local_time;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::deadlines::Due;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(case_list))
        .route("/cases/new", get(intake_form).post(intake))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/action", post(case_action))
        .route("/cases/{id}/allocate", post(allocate))
        .route("/cases/{id}/notes", post(add_note))
        .route("/cases/{id}/plan", post(save_plan))
        .route("/cases/{id}/plan/agreement", post(plan_agreement))
        .route("/cases/{id}/plan/submit", post(plan_submit))
        .route("/cases/{id}/reviews", post(add_review))
        .route("/tasks", get(tasks))
        .route("/caseload", get(caseload))
}

pub(super) fn due_text(t: &Translator, due: &Due) -> String {
    t.t_with(
        if due.overdue { "due-overdue" } else { "due-by" },
        &[
            ("step", t.t(&format!("step-{}", due.step)).into()),
            ("date", local_time(due.due_at).into()),
        ],
    )
}
/// An option of a select: code, label, selected.
pub(super) struct Choice {
    pub(super) code: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

pub(super) fn choices<'a>(
    items: impl IntoIterator<Item = (&'a str, String)>,
    selected: &str,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(code, label)| Choice {
            selected: code == selected,
            code: code.to_owned(),
            label,
        })
        .collect()
}
pub(super) fn optional<T: std::str::FromStr>(s: &str) -> Result<Option<T>, ()> {
    match s.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| ()),
    }
}
