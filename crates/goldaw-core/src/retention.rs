//! Retention of closed cases (issue #20, item 4; docs/operations.md, "Retention"): how long a
//! closed case is kept, by its kind, before it is anonymised; what a legal hold does; what
//! anonymising keeps for the statistics.
//!
//! **The kind of a case** (the decision, written in docs/operations.md): goldaw's cases carry no
//! service category of their own, so the kind is read from what every case has:
//!
//! - `sensitive`: the case is sensitive (gender-based violence, child protection, a hidden person);
//! - `child`: otherwise, its person was under 18 on the day it closed (or has no birth date
//!   recorded, so could be);
//! - `general`: every other case.
//!
//! The first that applies. The ministry sets the years after closure per kind
//! ([`RetentionYears`], 1 to 100); goldaw's defaults are ours (the seeds give none): general 5,
//! child 10, sensitive 10.
//!
//! **Due**: a closed case is due on the anniversary of its closure `years` later; a case under a
//! legal hold is never due; a case that is not closed is never due. A person is anonymised only
//! when every case naming them is due (none open, none held, none kept longer), and a case's text
//! only when the case is due.
//!
//! **What statistics keep**: the birth date goes to the year, stored as 1 July of that year (the
//! middle: an age from it is at most half a year off, either way). Age bands are counted at a
//! period's last day, and on 31 December anyone born in a year has the same age in full years
//! whatever their birthday: so a count by age band for any period ending on 31 December (the
//! yearly reports, DHIS2's yearly periods) is the same before and after; a period ending on
//! another day may move a person anonymised in the year they turn 18 or 60 by one band
//! ([`year_only_keeps_band`]). Sex, place, disability, target groups, services and dates stay.

use crate::access::{Permission, Principal};
use crate::accounts::is_valid_username;
use crate::codes::Priority;
use crate::statistics::AgeBand;
use crate::workflow::CaseAction;
use chrono::{Datelike, NaiveDate};

/// The kind of a case, for its retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseKind {
    General,
    Child,
    Sensitive,
}

impl CaseKind {
    pub const ALL: [CaseKind; 3] = [CaseKind::General, CaseKind::Child, CaseKind::Sensitive];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::General => "general",
            CaseKind::Child => "child",
            CaseKind::Sensitive => "sensitive",
        }
    }

    pub fn parse(s: &str) -> Option<CaseKind> {
        CaseKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The kind of a case that closed on `closed_on`: sensitive first, then a child's (under 18 that
/// day, or no birth date known), then general.
pub fn case_kind(sensitive: bool, birth_date: Option<NaiveDate>, closed_on: NaiveDate) -> CaseKind {
    if sensitive {
        return CaseKind::Sensitive;
    }
    let child = match birth_date {
        None => true,
        Some(b) => AgeBand::of(b, closed_on).is_none_or(|band| band == AgeBand::Child),
    };
    if child {
        CaseKind::Child
    } else {
        CaseKind::General
    }
}

/// The least and most years a ministry may set.
pub const MIN_YEARS: u32 = 1;
pub const MAX_YEARS: u32 = 100;

/// Years a closed case is kept, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionYears {
    pub general: u32,
    pub child: u32,
    pub sensitive: u32,
}

impl Default for RetentionYears {
    fn default() -> Self {
        RetentionYears {
            general: 5,
            child: 10,
            sensitive: 10,
        }
    }
}

impl RetentionYears {
    pub fn of(&self, kind: CaseKind) -> u32 {
        match kind {
            CaseKind::General => self.general,
            CaseKind::Child => self.child,
            CaseKind::Sensitive => self.sensitive,
        }
    }

    pub fn set(&mut self, kind: CaseKind, years: u32) {
        match kind {
            CaseKind::General => self.general = years,
            CaseKind::Child => self.child = years,
            CaseKind::Sensitive => self.sensitive = years,
        }
    }
}

/// Why a retention request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RetentionRefusal {
    #[error("years must be from 1 to 100")]
    YearsOutOfRange,
    #[error("a legal hold needs a reason")]
    ReasonMissing,
    #[error("the case is already under a legal hold")]
    AlreadyHeld,
    #[error("the case is not under a legal hold")]
    NotHeld,
    #[error("the case was anonymised")]
    Anonymised,
}

impl RetentionRefusal {
    /// Stable: the API and the logs.
    pub fn code(self) -> &'static str {
        match self {
            RetentionRefusal::YearsOutOfRange => "retention_years_out_of_range",
            RetentionRefusal::ReasonMissing => "retention_reason_missing",
            RetentionRefusal::AlreadyHeld => "retention_already_held",
            RetentionRefusal::NotHeld => "retention_not_held",
            RetentionRefusal::Anonymised => "retention_anonymised",
        }
    }

    /// The translation key (`retention.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            RetentionRefusal::YearsOutOfRange => "store-retention-years-out-of-range",
            RetentionRefusal::ReasonMissing => "store-retention-reason-missing",
            RetentionRefusal::AlreadyHeld => "store-retention-already-held",
            RetentionRefusal::NotHeld => "store-retention-not-held",
            RetentionRefusal::Anonymised => "store-retention-anonymised",
        }
    }
}

/// Checks a number of years the ministry sets.
pub fn check_years(years: u32) -> Result<u32, RetentionRefusal> {
    if (MIN_YEARS..=MAX_YEARS).contains(&years) {
        Ok(years)
    } else {
        Err(RetentionRefusal::YearsOutOfRange)
    }
}

/// The day a case closed on `closed_on` and kept `years` becomes due (29 February: the 28th in a
/// common year).
pub fn due_on(closed_on: NaiveDate, years: u32) -> NaiveDate {
    closed_on
        .checked_add_months(chrono::Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// What retention does with a case today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Open (or never closed): kept.
    Open,
    /// Closed, kept until the day given.
    KeptUntil(NaiveDate),
    /// A legal hold stops it.
    Held,
    /// Due: anonymised by the next run.
    Due,
}

/// The verdict for a case closed on `closed_on` (None: not closed) of `kind`, held or not.
pub fn verdict(
    closed_on: Option<NaiveDate>,
    kind: CaseKind,
    years: &RetentionYears,
    held: bool,
    today: NaiveDate,
) -> Verdict {
    let Some(closed) = closed_on else {
        return Verdict::Open;
    };
    if held {
        return Verdict::Held;
    }
    let due = due_on(closed, years.of(kind));
    if today >= due {
        Verdict::Due
    } else {
        Verdict::KeptUntil(due)
    }
}

/// A person may be anonymised when they are named in at least one case and every case naming them
/// is due.
pub fn person_due(verdicts: &[Verdict]) -> bool {
    !verdicts.is_empty() && verdicts.iter().all(|v| *v == Verdict::Due)
}

/// The birth date kept after anonymising: 1 July of the year.
pub fn year_only(birth: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(birth.year(), 7, 1).unwrap_or(birth)
}

/// Whether the age band on day `on` is the same from the year alone as from the birth date.
pub fn year_only_keeps_band(birth: NaiveDate, on: NaiveDate) -> bool {
    AgeBand::of(birth, on) == AgeBand::of(year_only(birth), on)
}

/// The case history's event that records the worker a case was allocated to.
pub const ALLOCATE_EVENT: &str = "allocate";

/// Whether an event of an anonymised case keeps its detail (`case_events.detail`). Only what the
/// statistics replay from the history stays, and only when it is the code they read: the
/// priority found at screening (`complete_initial`: the screening and timeliness indicators) and
/// the username of the worker a case was allocated to (`allocate`: the caseload; staff, not the
/// person). Every other detail goes: reasons, instruments, merge references, and any free text
/// an older version, an import or a hand edit put there.
pub fn keeps_event_detail(action: &str, detail: &str) -> bool {
    if action == CaseAction::CompleteInitial.as_str() {
        detail.parse::<Priority>().is_ok()
    } else if action == ALLOCATE_EVENT {
        is_valid_username(detail)
    } else {
        false
    }
}

/// The external id an anonymised person is given (the source system's id goes with the name):
/// `~` and goldaw's own id. No import can name it (an imported id cannot start with `~`), so a
/// later import of the same source id makes a new person instead of naming this one again.
pub fn anonymised_external_id(id: uuid::Uuid) -> String {
    format!("{}{id}", crate::ids::IMPLICIT_HOUSEHOLD_PREFIX)
}

/// Who may set a legal hold on a case in their scope, or lift one: supervisors.
pub fn may_hold(principal: &Principal) -> bool {
    principal.may(Permission::LegalHold)
}

/// Who may set the years and see the dry run: the ministry (and the operator's CLI).
pub fn may_set_years(principal: &Principal) -> bool {
    principal.may(Permission::Retention)
}

/// The reason of a hold, trimmed: refused when empty or over 500 characters of nothing but
/// spaces. Control characters other than line breaks are removed.
pub fn clean_reason(reason: &str) -> Result<String, RetentionRefusal> {
    let cleaned: String = reason
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(500)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        Err(RetentionRefusal::ReasonMissing)
    } else {
        Ok(cleaned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_kind_is_sensitive_then_a_childs_then_general() {
        let closed = d("2020-06-30");
        assert_eq!(
            case_kind(true, Some(d("1980-01-01")), closed),
            CaseKind::Sensitive
        );
        assert_eq!(
            case_kind(false, Some(d("2003-07-01")), closed),
            CaseKind::Child
        );
        assert_eq!(
            case_kind(false, Some(d("2002-06-30")), closed),
            CaseKind::General
        );
        assert_eq!(case_kind(false, None, closed), CaseKind::Child);
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(CaseKind::parse("other"), None);
    }

    #[test]
    fn a_closed_case_is_due_on_the_anniversary_unless_held() {
        let years = RetentionYears::default();
        let closed = Some(d("2018-03-15"));
        assert_eq!(
            verdict(closed, CaseKind::General, &years, false, d("2023-03-14")),
            Verdict::KeptUntil(d("2023-03-15"))
        );
        assert_eq!(
            verdict(closed, CaseKind::General, &years, false, d("2023-03-15")),
            Verdict::Due
        );
        assert_eq!(
            verdict(closed, CaseKind::General, &years, true, d("2030-01-01")),
            Verdict::Held
        );
        assert_eq!(
            verdict(closed, CaseKind::Child, &years, false, d("2023-03-15")),
            Verdict::KeptUntil(d("2028-03-15"))
        );
        assert_eq!(
            verdict(None, CaseKind::General, &years, false, d("2099-01-01")),
            Verdict::Open
        );
        assert_eq!(due_on(d("2020-02-29"), 1), d("2021-02-28"));
        assert!(person_due(&[Verdict::Due, Verdict::Due]));
        assert!(!person_due(&[Verdict::Due, Verdict::Held]));
        assert!(!person_due(&[Verdict::Due, Verdict::Open]));
        assert!(!person_due(&[]));
    }

    #[test]
    fn an_anonymised_case_keeps_only_the_codes_the_statistics_read() {
        assert!(keeps_event_detail("complete_initial", "critical"));
        assert!(keeps_event_detail("complete_initial", "none"));
        assert!(!keeps_event_detail(
            "complete_initial",
            "she told us about her uncle"
        ));
        assert!(keeps_event_detail("allocate", "aman.orazow"));
        assert!(!keeps_event_detail("allocate", "Aman Orazow, by phone"));
        for (action, detail) in [
            ("register", "school"),
            ("request_closure", "goals_met"),
            ("approve_closure", "goals_met"),
            ("assessment_started", "WG-SS"),
            (
                "person_merged",
                "merge 0190a3c4-0000-7000-8000-000000000000",
            ),
            ("reopen", "critical"),
        ] {
            assert!(!keeps_event_detail(action, detail), "{action}");
        }
        let id = uuid::Uuid::now_v7();
        let anon = anonymised_external_id(id);
        assert!(anon.starts_with('~') && anon.ends_with(&id.to_string()));
        assert!(
            anon.parse::<crate::ids::ExternalId>().is_err(),
            "no import can name it"
        );
    }

    #[test]
    fn years_are_bounded_and_reasons_needed() {
        assert_eq!(check_years(0), Err(RetentionRefusal::YearsOutOfRange));
        assert_eq!(check_years(101), Err(RetentionRefusal::YearsOutOfRange));
        assert_eq!(check_years(7), Ok(7));
        assert_eq!(
            clean_reason("  \u{7}  "),
            Err(RetentionRefusal::ReasonMissing)
        );
        assert_eq!(
            clean_reason(" court order 12/2026 ").unwrap(),
            "court order 12/2026"
        );
        assert_eq!(clean_reason(&"x".repeat(900)).unwrap().len(), 500);
    }

    #[test]
    fn the_year_alone_keeps_every_band_on_the_last_day_of_a_year() {
        // Born any day of 2008: on 31 December 2025 (turning 18 that year) and of 2067 (60).
        let mut birth = d("2008-01-01");
        while birth.year() == 2008 {
            for on in [
                d("2025-12-31"),
                d("2026-12-31"),
                d("2067-12-31"),
                d("2068-12-31"),
            ] {
                assert!(year_only_keeps_band(birth, on), "{birth} on {on}");
            }
            birth = birth.succ_opt().unwrap();
        }
        // On another day of the year they turn 18, it may not.
        assert!(!year_only_keeps_band(d("2008-12-01"), d("2026-07-31")));
        assert_eq!(year_only(d("1990-11-05")), d("1990-07-01"));
    }
}
