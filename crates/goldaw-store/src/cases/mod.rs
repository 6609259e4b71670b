//! Cases in the statutory workflow, one use case a module:
//!
//! - [`intake`]: a new case comes in (registered by a worker or the hotline), and the people it may
//!   already be about;
//! - [`read`]: the one scoped read of a case (`load_case_row`), and the case as its reader sees it;
//! - [`list`]: the cases in scope; [`file`]: everything the case page shows; [`history`]: the
//!   case's history and who opened it;
//! - [`act`]: the workflow's actions (the rule is `goldaw_core::workflow`);
//! - [`allocation`], [`notes`], [`tasks`], [`caseloads`];
//! - [`assessments`], [`plans`], [`reviews`], [`attachments`]: the records a case holds;
//! - [`survivor`]: a sensitive case's incident date and survivor code (issue #18).
//!
//! "Referral" means a referral to a service (`crate::referrals`). A new case comes in by
//! *intake*; its older public names (`NewReferral`, `Store::register_referral`) are kept, since
//! the API and the tests use them.
//!
//! Who sees a case (WORKFLOW.md): social workers and supervisors by the case's place within their
//! scope; a supervisor also sees a case being transferred into their scope; the hotline sees the
//! calls it registered. Sensitive cases (gender-based violence, child protection) show their
//! number and codes to everyone in scope, and names and text only to principals with the
//! sensitive permission. Free text is sealed with the operator's key, bound to its column and row.
//!
//! Who may work on a case is one rule, `goldaw_core::workflow::case_work`, asked through
//! [`Store::may_act`](crate::Store) by every use case that changes a case.
//!
//! Every write has one shape (see `act::act_on_case`): a transaction that starts with the audit
//! event, then the checks that read the database, then the writes (the case's under its version),
//! then commit.

mod act;
mod allocation;
mod assessments;
mod attachments;
mod caseloads;
mod file;
mod history;
mod intake;
mod list;
mod notes;
mod plans;
mod read;
mod reviews;
mod survivor;
mod tasks;

pub use act::ActionRequest;
pub use allocation::Assignable;
pub use assessments::{
    AnswerInput, AnswerRecord, AssessedPerson, AssessmentRecord, AssessmentSave, AssessmentStatus,
    AssessmentSummary, DomainNeedRecord, ItemRef, NewAssessment, RawAnswer, MAX_PERSONS,
};
pub use attachments::{AttachmentContent, AttachmentRecord};
pub use caseloads::{WorkerLoad, NORM_INTENSIVE, NORM_MONITORED, NORM_PER_YEAR};
pub use file::CaseFile;
pub use history::CaseEvent;
pub use intake::{Candidate, NewReferral};
pub use list::{CasePage, CaseQuery, CaseSummary};
pub use notes::{CaseNote, NoteKind};
pub use plans::{ActionInput, Goal, GoalInput, PlanAction, PlanInput, PlanRecord};
pub use read::CaseRecord;
pub(crate) use read::CaseRow;
pub use reviews::{
    GoalRating, GoalReview, GoalReviewInput, IncomeChange, ReviewInput, ReviewKind, ReviewRecord,
};
pub(crate) use survivor::check_incident;
pub use survivor::IncidentDateChange;
pub use tasks::{Task, TaskKind, TaskPage, TaskQuery};

use crate::error::{SayArg, StoreError, StoreResult};
use goldaw_core::workflow::Refusal;

/// The longest free text kept in one field (a note, a concern): about ten pages.
pub const MAX_TEXT: usize = 20_000;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Free text from a form or the API: trimmed, empty is none, bounded.
pub fn clean_text(field: &str, text: Option<&str>) -> StoreResult<Option<String>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > MAX_TEXT {
        return Err(StoreError::refuse(
            field,
            "store-text-too-long",
            vec![("limit", SayArg::Number(MAX_TEXT as i64))],
        ));
    }
    Ok(Some(t.to_owned()))
}

fn refused(r: Refusal) -> StoreError {
    StoreError::Refused(r)
}

fn parse_opt<T: std::str::FromStr>(what: &str, v: Option<&str>) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse().map_err(|e| corrupt(what, e)))
        .transpose()
}

fn full_name(given: &str, family: Option<&str>) -> String {
    match family {
        Some(f) if !f.is_empty() => format!("{given} {f}"),
        _ => given.to_owned(),
    }
}
