//! What a case owes, kept with the case (issue #24): the rule that turns a case's facts into its
//! task rows — each step due and when, and each decision waiting for a supervisor — so that the
//! store can keep them in a table on every write that moves the case, and a task list is one
//! indexed range instead of the deadlines of every case in scope computed on every view.
//!
//! The rows depend on the case and on the deadline rules and calendar, never on the clock: a due
//! date is the same whenever it is computed, and "overdue" is decided when the list is read
//! (`due_at < now`). The rules and calendar a row was computed with are named by
//! [`fingerprint`], so rows computed before a rule or a holiday changed are found and redone.

use crate::codes::code_enum;
use crate::codes::{CaseStatus, Priority};
use crate::deadlines::{CaseClocks, Deadlines, Step};
use crate::ParseError;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

code_enum!(
    /// What kind of thing there is to do on a case.
    TaskKind, "task kind" {
        /// A step of the workflow with a deadline.
        Deadline = "deadline",
        /// A case waiting for a worker (supervisors).
        Allocate = "allocate",
        /// A plan waiting for approval (supervisors).
        ApprovePlan = "approve_plan",
        /// A closure request waiting for approval (supervisors).
        ApproveClosure = "approve_closure",
        /// A case being transferred into the supervisor's scope.
        AcceptTransfer = "accept_transfer",
    }
);

/// A closed case owes its outcome follow-ups for this long after closure (the long follow-up is
/// due 6 to 12 months after it); older ones leave the task lists.
pub const FOLLOW_UPS_SHOWN_FOR_DAYS: i64 = 400;

/// What the rule needs to know of a case.
#[derive(Debug, Clone)]
pub struct TaskFacts {
    /// The case's clocks, with whether the follow-ups since closure were held.
    pub clocks: CaseClocks,
    /// Where the case is.
    pub admin_unit: String,
    /// The etrap a transfer waits to be accepted by.
    pub transfer_to: Option<String>,
    pub worker: Option<Uuid>,
    /// A worker asked to close the case and waits for the supervisor.
    pub closure_requested: bool,
    /// A plan was submitted with the person's agreement and waits for approval.
    pub plan_submitted: bool,
}

/// One row of what a case owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub kind: TaskKind,
    /// The step, for a deadline.
    pub step: Option<Step>,
    /// The admin unit whose scope sees the task: the case's own, or (a transfer) the unit it goes to.
    pub unit: String,
    /// When it is due; `None` for a decision, which waits from now.
    pub due_at: Option<DateTime<Utc>>,
    /// The task leaves the lists after this instant (a closed case's follow-ups).
    pub shown_until: Option<DateTime<Utc>>,
}

impl TaskRow {
    /// The sort key stored with the row: the due date in whole seconds since 1970 (rounded
    /// down), 0 for a decision, so decisions come first and deadlines by date.
    pub fn due_key(&self) -> i64 {
        self.due_at.map_or(0, |d| d.timestamp())
    }

    /// The step as stored: its code, or empty for a decision.
    pub fn step_code(&self) -> &'static str {
        self.step.map_or("", Step::as_str)
    }
}

/// Everything the case owes now, in no particular order: the steps due (from
/// [`Deadlines::pending`], which is the one rule of what is due) and the supervisor's decisions
/// waiting. A case being transferred owes the receiving etrap its acceptance.
pub fn case_tasks(f: &TaskFacts, deadlines: &Deadlines) -> Vec<TaskRow> {
    let Some(status) = f.clocks.status else {
        return Vec::new();
    };
    let shown_until = if status == CaseStatus::Closed {
        match f.clocks.closed_at {
            Some(at) => Some(at + TimeDelta::days(FOLLOW_UPS_SHOWN_FOR_DAYS)),
            // A closed case with no closing time owes nothing we can date.
            None => return Vec::new(),
        }
    } else {
        None
    };
    let row = |kind, step, unit: &str, due_at| TaskRow {
        kind,
        step,
        unit: unit.to_owned(),
        due_at,
        shown_until,
    };
    let mut out = Vec::new();
    if let Some(to) = &f.transfer_to {
        out.push(row(TaskKind::AcceptTransfer, None, to, None));
    }
    if f.worker.is_none() && status != CaseStatus::Closed {
        out.push(row(TaskKind::Allocate, None, &f.admin_unit, None));
    }
    if f.closure_requested {
        out.push(row(TaskKind::ApproveClosure, None, &f.admin_unit, None));
    }
    if f.plan_submitted
        && matches!(
            status,
            CaseStatus::SupportPlan | CaseStatus::Active | CaseStatus::Monitoring
        )
    {
        out.push(row(TaskKind::ApprovePlan, None, &f.admin_unit, None));
    }
    // `pending` reads the clock only to mark what is overdue; the dates do not depend on it.
    for due in deadlines.pending(&f.clocks, DateTime::<Utc>::UNIX_EPOCH) {
        out.push(row(
            TaskKind::Deadline,
            Some(due.step),
            &f.admin_unit,
            Some(due.due_at),
        ));
    }
    out
}

/// Names the deadline rules and the calendar: rows computed under another fingerprint are out
/// of date and are computed again.
pub fn fingerprint(deadlines: &Deadlines) -> String {
    let mut h = Sha256::new();
    for step in Step::ALL {
        for priority in Priority::ALL {
            if let Some(r) = deadlines.rule(*step, *priority) {
                h.update(format!("{step}/{priority}={}{};", r.amount, r.unit).as_bytes());
            }
        }
    }
    for day in deadlines.calendar.holidays() {
        h.update(format!("h{day};").as_bytes());
    }
    let digest = h.finalize();
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a stored step ("" is none).
pub fn parse_step(code: &str) -> Result<Option<Step>, ParseError> {
    if code.is_empty() {
        Ok(None)
    } else {
        code.parse().map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::{Calendar, DeadlineRule};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rules(holidays: &[&str]) -> Deadlines {
        let rows = [
            ("first_contact", "support", "3", "working_days"),
            ("initial_assessment", "support", "3", "working_days"),
            ("follow_up_short", "support", "3", "months"),
            ("follow_up_long", "support", "12", "months"),
        ];
        Deadlines::new(
            rows.iter()
                .map(|(s, p, a, u)| DeadlineRule::parse(s, p, a, u).unwrap()),
            Calendar::new(holidays.iter().map(|d| d.parse().unwrap())),
        )
    }

    fn referred() -> TaskFacts {
        TaskFacts {
            clocks: CaseClocks {
                status: Some(CaseStatus::Referred),
                priority: Some(Priority::Support),
                referred_at: Some(at("2026-05-13T21:00:00Z")),
                ..CaseClocks::default()
            },
            admin_unit: "TM-A-01".into(),
            transfer_to: None,
            worker: None,
            closure_requested: false,
            plan_submitted: false,
        }
    }

    #[test]
    fn a_new_case_owes_allocation_and_its_first_steps() {
        let rows = case_tasks(&referred(), &rules(&[]));
        let kinds: Vec<_> = rows.iter().map(|r| (r.kind, r.step)).collect();
        assert_eq!(
            kinds,
            vec![
                (TaskKind::Allocate, None),
                (TaskKind::Deadline, Some(Step::FirstContact)),
                (TaskKind::Deadline, Some(Step::InitialAssessment)),
            ]
        );
        assert_eq!(rows[0].due_key(), 0);
        assert_eq!(rows[1].due_at, Some(at("2026-05-19T18:59:59Z")));
        assert!(rows.iter().all(|r| r.shown_until.is_none()));
    }

    #[test]
    fn a_holiday_moves_the_due_date_and_the_fingerprint() {
        let plain = rules(&[]);
        let holiday = rules(&["2026-05-18"]);
        assert_ne!(fingerprint(&plain), fingerprint(&holiday));
        assert_eq!(fingerprint(&plain), fingerprint(&rules(&[])));
        let f = referred();
        assert_eq!(
            case_tasks(&f, &holiday)[1].due_at,
            Some(at("2026-05-20T18:59:59Z"))
        );
    }

    #[test]
    fn a_transfer_goes_to_the_receiving_unit_and_closed_cases_expire() {
        let mut f = referred();
        f.worker = Some(Uuid::nil());
        f.transfer_to = Some("TM-B-02".into());
        let rows = case_tasks(&f, &rules(&[]));
        assert_eq!(rows[0].kind, TaskKind::AcceptTransfer);
        assert_eq!(rows[0].unit, "TM-B-02");
        assert!(rows[1..].iter().all(|r| r.unit == "TM-A-01"));

        let mut closed = referred();
        closed.clocks.status = Some(CaseStatus::Closed);
        closed.clocks.closed_at = Some(at("2026-06-01T10:00:00Z"));
        closed.clocks.follow_up_short_done = true;
        let rows = case_tasks(&closed, &rules(&[]));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].step, Some(Step::FollowUpLong));
        assert_eq!(rows[0].shown_until, Some(at("2027-07-06T10:00:00Z")));
    }

    #[test]
    fn stored_steps_parse_back() {
        assert_eq!(parse_step("").unwrap(), None);
        assert_eq!(parse_step("plan_review").unwrap(), Some(Step::PlanReview));
        assert!(parse_step("lunch").is_err());
    }
}
