//! Deadlines as configuration (WORKFLOW.md, "Default deadlines"): a rule per step and priority,
//! counted in hours, working days, calendar days or months, on a working-day calendar of
//! weekends and public holidays.
//!
//! Times are stored in UTC and counted in Turkmenistan's time (UTC+5, no daylight saving): a
//! deadline in days falls at the end of the local day, so "3 working days" means the whole of
//! the third working day, wherever the server runs.

use crate::codes::code_enum;
use crate::codes::{CaseStatus, Priority};
use crate::ParseError;
use chrono::{
    DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

code_enum!(
    /// The steps that have a deadline.
    Step, "deadline step" {
        /// From referral to the first contact with the person.
        FirstContact = "first_contact",
        /// From referral to the end of screening.
        InitialAssessment = "initial_assessment",
        /// From referral (or reopening) to the end of the holistic assessment.
        HolisticAssessment = "holistic_assessment",
        /// From the end of the holistic assessment to the approved plan.
        SupportPlan = "support_plan",
        /// From the plan's approval or the last review to the next review.
        PlanReview = "plan_review",
        /// From closure to the first outcome follow-up (about 3 months).
        FollowUpShort = "follow_up_short",
        /// From closure to the second outcome follow-up (6 to 12 months).
        FollowUpLong = "follow_up_long",
    }
);

code_enum!(
    /// How a deadline's amount is counted.
    DeadlineUnit, "deadline unit" {
        Hours = "hours",
        WorkingDays = "working_days",
        Days = "days",
        Months = "months",
    }
);

/// Turkmenistan time (Asia/Ashgabat), in which days begin and end.
pub const LOCAL_OFFSET: FixedOffset = match FixedOffset::east_opt(5 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+5 is a valid offset"),
};

const LAST_SECOND: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => panic!("23:59:59 is a valid time"),
};

/// The local calendar date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&LOCAL_OFFSET).date_naive()
}

/// The last instant of a local day, in UTC.
fn end_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    // A fixed offset maps every local time to exactly one instant.
    (day.and_time(LAST_SECOND) - LOCAL_OFFSET).and_utc()
}

/// One deadline rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineRule {
    pub step: Step,
    pub priority: Priority,
    pub amount: u32,
    pub unit: DeadlineUnit,
}

impl DeadlineRule {
    /// Parses one row of `reference/deadlines.csv` or a settings form: step, priority, amount, unit.
    pub fn parse(step: &str, priority: &str, amount: &str, unit: &str) -> Result<Self, ParseError> {
        let priority: Priority = priority.parse()?;
        if priority == Priority::None {
            return Err(ParseError::new(
                "deadlines apply to critical and support cases only, not to priority 'none'",
            ));
        }
        let amount: u32 = amount.trim().parse().map_err(|_| {
            ParseError::new(format!(
                "the amount '{amount}' is not a whole number of 0 or more"
            ))
        })?;
        if amount > 1000 {
            return Err(ParseError::new(format!(
                "the amount {amount} is more than 1000: is the unit right?"
            )));
        }
        Ok(DeadlineRule {
            step: step.parse()?,
            priority,
            amount,
            unit: unit.parse()?,
        })
    }
}

/// Working days: Monday to Friday except the listed public holidays.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        Calendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// The public holidays, by date.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The `n`th working day after `day` (`n` = 0: `day` itself if it is a working day, else the
    /// next one).
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        if n == 0 {
            while !self.is_working_day(d) {
                d = d + Days::new(1);
            }
            return d;
        }
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

/// The rules in force, and the calendar they count on.
#[derive(Debug, Clone, Default)]
pub struct Deadlines {
    rules: HashMap<(Step, Priority), DeadlineRule>,
    pub calendar: Calendar,
}

impl Deadlines {
    pub fn new(rules: impl IntoIterator<Item = DeadlineRule>, calendar: Calendar) -> Deadlines {
        Deadlines {
            rules: rules
                .into_iter()
                .map(|r| ((r.step, r.priority), r))
                .collect(),
            calendar,
        }
    }

    pub fn rule(&self, step: Step, priority: Priority) -> Option<&DeadlineRule> {
        self.rules.get(&(step, priority))
    }

    /// When `step` is due, counting from `from`. Cases not yet screened count as `support`
    /// unless a provisional priority says otherwise; priority `none` has no deadlines.
    pub fn due(
        &self,
        step: Step,
        priority: Priority,
        from: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let rule = self.rule(step, priority)?;
        let amount = rule.amount;
        Some(match rule.unit {
            DeadlineUnit::Hours => from + TimeDelta::hours(i64::from(amount)),
            DeadlineUnit::WorkingDays => {
                end_of_local_day(self.calendar.add_working_days(local_date(from), amount))
            }
            DeadlineUnit::Days => end_of_local_day(local_date(from) + Days::new(u64::from(amount))),
            DeadlineUnit::Months => {
                let day = local_date(from)
                    .checked_add_months(Months::new(amount))
                    .unwrap_or(NaiveDate::MAX);
                end_of_local_day(day)
            }
        })
    }
}

/// The clocks of one case: when each milestone happened.
#[derive(Debug, Clone, Default)]
pub struct CaseClocks {
    pub status: Option<CaseStatus>,
    pub priority: Option<Priority>,
    pub referred_at: Option<DateTime<Utc>>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub holistic_done_at: Option<DateTime<Utc>>,
    pub plan_approved_at: Option<DateTime<Utc>>,
    pub last_review_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub follow_up_short_done: bool,
    pub follow_up_long_done: bool,
}

/// A step due on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Due {
    pub step: Step,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
}

impl Deadlines {
    /// The steps the case owes now, soonest first.
    pub fn pending(&self, c: &CaseClocks, now: DateTime<Utc>) -> Vec<Due> {
        let Some(status) = c.status else {
            return Vec::new();
        };
        let priority = match c.priority {
            Some(Priority::None) => return Vec::new(),
            Some(p) => p,
            None => Priority::Support,
        };
        let start = c.reopened_at.or(c.referred_at);
        let mut owed: Vec<(Step, Option<DateTime<Utc>>)> = Vec::new();
        match status {
            CaseStatus::Referred => {
                owed.push((Step::FirstContact, c.referred_at));
                owed.push((Step::InitialAssessment, c.referred_at));
            }
            CaseStatus::InitialAssessment => owed.push((Step::InitialAssessment, c.referred_at)),
            CaseStatus::HolisticAssessment => owed.push((Step::HolisticAssessment, start)),
            CaseStatus::SupportPlan => owed.push((Step::SupportPlan, c.holistic_done_at)),
            CaseStatus::Active | CaseStatus::Monitoring => owed.push((
                Step::PlanReview,
                c.last_review_at.into_iter().chain(c.plan_approved_at).max(),
            )),
            CaseStatus::Closed => {
                if !c.follow_up_short_done {
                    owed.push((Step::FollowUpShort, c.closed_at));
                }
                if !c.follow_up_long_done {
                    owed.push((Step::FollowUpLong, c.closed_at));
                }
            }
        }
        let mut due: Vec<Due> = owed
            .into_iter()
            .filter_map(|(step, from)| {
                let due_at = self.due(step, priority, from?)?;
                Some(Due {
                    step,
                    due_at,
                    overdue: now > due_at,
                })
            })
            .collect();
        due.sort_by_key(|d| d.due_at);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn defaults() -> Deadlines {
        let rows = [
            ("first_contact", "critical", "24", "hours"),
            ("first_contact", "support", "3", "working_days"),
            ("initial_assessment", "critical", "1", "working_days"),
            ("initial_assessment", "support", "3", "working_days"),
            ("holistic_assessment", "support", "45", "working_days"),
            ("support_plan", "support", "10", "working_days"),
            ("plan_review", "critical", "1", "months"),
            ("plan_review", "support", "3", "months"),
            ("follow_up_short", "support", "3", "months"),
        ];
        // 2026-05-18 (Monday) is a holiday in this calendar.
        Deadlines::new(
            rows.iter()
                .map(|(s, p, a, u)| DeadlineRule::parse(s, p, a, u).unwrap()),
            Calendar::new([day("2026-05-18")]),
        )
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cal = defaults().calendar;
        // Thursday 14 May + 3 working days: Fri 15, (Sat, Sun, holiday Mon 18) Tue 19, Wed 20.
        assert_eq!(
            cal.add_working_days(day("2026-05-14"), 3),
            day("2026-05-20")
        );
        assert_eq!(
            cal.add_working_days(day("2026-05-16"), 0),
            day("2026-05-19")
        );
        assert!(!cal.is_working_day(day("2026-05-17")));
        assert!(cal.is_working_day(day("2026-05-19")));
    }

    #[test]
    fn deadlines_count_in_local_days_and_hours() {
        let d = defaults();
        // Referred 21:00 UTC on Wednesday 13 May = 02:00 on Thursday 14 May in Ashgabat.
        let referred = at("2026-05-13T21:00:00Z");
        assert_eq!(
            d.due(Step::FirstContact, Priority::Critical, referred),
            Some(at("2026-05-14T21:00:00Z"))
        );
        // 3 working days from Thursday 14 May (local) = Wednesday 20 May, 23:59:59 local.
        assert_eq!(
            d.due(Step::FirstContact, Priority::Support, referred),
            Some(at("2026-05-20T18:59:59Z"))
        );
        assert_eq!(
            d.due(
                Step::PlanReview,
                Priority::Support,
                at("2026-01-31T10:00:00Z")
            ),
            Some(at("2026-04-30T18:59:59Z"))
        );
        // No rule, no deadline.
        assert_eq!(
            d.due(Step::HolisticAssessment, Priority::Critical, referred),
            None
        );
    }

    #[test]
    fn pending_steps_follow_the_status_and_mark_overdue() {
        let d = defaults();
        let referred = at("2026-05-13T21:00:00Z");
        let c = CaseClocks {
            status: Some(CaseStatus::Referred),
            priority: Some(Priority::Critical),
            referred_at: Some(referred),
            ..CaseClocks::default()
        };
        let now = at("2026-05-15T09:00:00Z");
        let p = d.pending(&c, now);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].step, Step::FirstContact);
        assert!(p[0].overdue);
        // Critical initial assessment: 1 working day from Thu 14 → Fri 15 end of day: not yet.
        assert_eq!(p[1].step, Step::InitialAssessment);
        assert!(!p[1].overdue);
        let screened_none = CaseClocks {
            priority: Some(Priority::None),
            ..c.clone()
        };
        assert!(d.pending(&screened_none, now).is_empty());
        let active = CaseClocks {
            status: Some(CaseStatus::Active),
            priority: Some(Priority::Support),
            plan_approved_at: Some(at("2026-01-10T08:00:00Z")),
            last_review_at: Some(at("2026-03-02T08:00:00Z")),
            ..CaseClocks::default()
        };
        let p = d.pending(&active, now);
        assert_eq!(p[0].step, Step::PlanReview);
        assert_eq!(p[0].due_at, at("2026-06-02T18:59:59Z"));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        assert!(DeadlineRule::parse("first_contact", "none", "1", "hours")
            .unwrap_err()
            .0
            .contains("critical and support"));
        assert!(
            DeadlineRule::parse("first_contact", "critical", "-1", "hours")
                .unwrap_err()
                .0
                .contains("whole number")
        );
        assert!(DeadlineRule::parse("lunch", "critical", "1", "hours")
            .unwrap_err()
            .0
            .contains("deadline step"));
        assert!(
            DeadlineRule::parse("first_contact", "critical", "1", "weeks")
                .unwrap_err()
                .0
                .contains("deadline unit")
        );
    }
}
