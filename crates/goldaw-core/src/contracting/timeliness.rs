//! How promptly a provider answers the referrals made to it, and how long its waiting list is
//! (issue #21, item 6; docs/contracting.md, "Timeliness and the waiting list").
//!
//! The deadline for accepting a referral is WORKFLOW.md's first deadline after a referral
//! ("first contact after referral": 24 hours for a critical case, 3 working days for support),
//! the admin's `first_contact` rule by the case's priority ([`Deadlines::due`]); a case not yet
//! screened counts as `support`, priority `none` has no deadline. A referral is *accepted* when
//! it stands accepted, started or completed; its days to acceptance run from when it was sent to
//! the provider's accept (a referral that waited for a place counts until it was accepted).
//!
//! The share accepted within the deadline is taken over the referrals whose answer is known or
//! overdue: accepted (in time or late), declined, or still unanswered or waiting after their
//! deadline. A referral cancelled by its worker before acceptance, or still inside its
//! deadline, is in neither part. Counts of 1–4 are hidden with everything computed from them,
//! as every statistic (docs/statistics.md), unless the reader holds the unsuppressed grant.

use crate::codes::Priority;
use crate::deadlines::{local_date, Deadlines, Step};
use crate::service_referrals::ReferralStatus;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

/// Counts from 1 to this minus one are hidden (the standard rule of published tables).
pub const THRESHOLD: i64 = 5;

/// One referral, as far as its timeliness goes.
#[derive(Debug, Clone)]
pub struct ReferralTiming {
    pub sent_at: DateTime<Utc>,
    pub status: ReferralStatus,
    /// The provider's last decision (accept, wait, decline): for a referral accepted, started or
    /// completed, when it was accepted.
    pub decided_at: Option<DateTime<Utc>>,
    /// The case's priority; `None` before screening.
    pub priority: Option<Priority>,
}

/// The timeliness of a set of referrals. Every count is `None` when hidden (1–4 without the
/// grant), and so is what is computed from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Timeliness {
    /// Referrals made.
    pub referrals: Option<i64>,
    /// Accepted (accepted, started or completed now).
    pub accepted: Option<i64>,
    /// Accepted within the deadline.
    pub accepted_in_time: Option<i64>,
    /// The referrals whose answer is known or overdue (the share's divisor).
    pub due: Option<i64>,
    /// `accepted_in_time ÷ due`, 0–1, three decimals.
    pub share_in_time: Option<f64>,
    /// Days from sending to acceptance of the accepted ones: the median and the 90th percentile
    /// (nearest rank), one decimal.
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    pub declined: Option<i64>,
    /// Not answered yet (sent), and on the waiting list now.
    pub unanswered: Option<i64>,
    pub waiting: Option<i64>,
    /// Days since the oldest referral on the waiting list was sent, one decimal.
    pub oldest_waiting_days: Option<f64>,
    /// Some figure is hidden.
    pub suppressed: bool,
}

/// A count shown only from [`THRESHOLD`] on (or to a reader with the grant); zero is shown.
pub fn shown(n: i64, unsuppressed: bool) -> Option<i64> {
    (unsuppressed || n == 0 || n >= THRESHOLD).then_some(n)
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_seconds().max(0) as f64 / 86_400.0 * 10.0).round() / 10.0
}

/// The median (the mean of the middle two for an even count) of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some(((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 * 10.0).round() / 10.0),
    }
}

/// The `p`-th percentile (0–100) by nearest rank: the smallest value with at least p% of the
/// values at or below it.
fn nearest_rank(sorted: &[f64], p: u32) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (n * p as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The timeliness of `referrals` at `now`, against `deadlines`.
pub fn timeliness(
    referrals: &[ReferralTiming],
    deadlines: &Deadlines,
    now: DateTime<Utc>,
    unsuppressed: bool,
) -> Timeliness {
    let mut accepted_days = Vec::new();
    let (mut in_time, mut due, mut declined, mut unanswered, mut waiting) = (0, 0, 0, 0, 0);
    let mut oldest_waiting: Option<DateTime<Utc>> = None;
    for r in referrals {
        let deadline = deadlines.due(
            Step::FirstContact,
            r.priority.unwrap_or(Priority::Support),
            r.sent_at,
        );
        let accepted_at = match r.status {
            ReferralStatus::Accepted | ReferralStatus::Started | ReferralStatus::Completed => {
                r.decided_at
            }
            _ => None,
        };
        match r.status {
            ReferralStatus::Declined => declined += 1,
            ReferralStatus::Sent => unanswered += 1,
            ReferralStatus::Waiting => {
                waiting += 1;
                oldest_waiting = Some(oldest_waiting.map_or(r.sent_at, |o| o.min(r.sent_at)));
            }
            _ => {}
        }
        if let Some(at) = accepted_at {
            accepted_days.push(days(r.sent_at, at));
        }
        let Some(deadline) = deadline else { continue };
        let known_or_overdue = match r.status {
            ReferralStatus::Declined => true,
            ReferralStatus::Sent | ReferralStatus::Waiting => deadline < now,
            ReferralStatus::Cancelled => false,
            _ => accepted_at.is_some(),
        };
        if known_or_overdue {
            due += 1;
            if accepted_at.is_some_and(|at| at <= deadline) {
                in_time += 1;
            }
        }
    }
    accepted_days.sort_by(f64::total_cmp);
    let total = referrals.len() as i64;
    let accepted = accepted_days.len() as i64;
    let show = |n: i64| shown(n, unsuppressed);
    let referrals_shown = show(total);
    let accepted_shown = show(accepted).filter(|_| referrals_shown.is_some());
    let due_shown = show(due).filter(|_| referrals_shown.is_some());
    let in_time_shown = show(in_time).filter(|_| due_shown.is_some());
    let waiting_shown = show(waiting).filter(|_| referrals_shown.is_some());
    let out = Timeliness {
        referrals: referrals_shown,
        accepted: accepted_shown,
        accepted_in_time: in_time_shown,
        due: due_shown,
        share_in_time: match (in_time_shown, due_shown) {
            (Some(k), Some(n)) if n > 0 => Some((k as f64 / n as f64 * 1000.0).round() / 1000.0),
            _ => None,
        },
        median_days: accepted_shown.and_then(|_| median(&accepted_days)),
        p90_days: accepted_shown.and_then(|_| nearest_rank(&accepted_days, 90)),
        declined: show(declined).filter(|_| referrals_shown.is_some()),
        unanswered: show(unanswered).filter(|_| referrals_shown.is_some()),
        waiting: waiting_shown,
        oldest_waiting_days: waiting_shown
            .and(oldest_waiting)
            .map(|sent| days(sent, now)),
        suppressed: false,
    };
    let suppressed = [
        (out.referrals, total),
        (out.accepted, accepted),
        (out.accepted_in_time, in_time),
        (out.due, due),
        (out.declined, declined),
        (out.unanswered, unanswered),
        (out.waiting, waiting),
    ]
    .iter()
    .any(|(shown, n)| shown.is_none() && *n > 0);
    Timeliness { suppressed, ..out }
}

/// A contract's period and its targets for the whole of it.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub people: i64,
    pub units: i64,
}

/// What was delivered on a contract's referrals, by day, counted in SQL: units delivered; people
/// first served (the day of each person's first delivery); plan goals first rated achieved.
#[derive(Debug, Clone, Default)]
pub struct DeliveredByDay {
    pub units: Vec<(NaiveDate, i64)>,
    pub first_served: Vec<(NaiveDate, i64)>,
    pub goals_achieved: Vec<(NaiveDate, i64)>,
}

/// One month of a contract: the referrals sent in it and their timeliness, what was delivered,
/// and the running totals against the targets. People and goals are hidden at 1–4.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MonthPerformance {
    /// The month's first day.
    pub month: NaiveDate,
    /// Of the referrals sent in the month.
    pub timeliness: Timeliness,
    pub units: i64,
    pub units_to_date: i64,
    /// `units_to_date ÷` the target, three decimals.
    pub units_of_target: Option<f64>,
    /// People first served in the month, and since the contract began.
    pub people_new: Option<i64>,
    pub people_to_date: Option<i64>,
    pub people_of_target: Option<f64>,
    /// Plan goals (of the contract's referrals) first rated achieved in the month, and to date.
    pub goals_achieved: Option<i64>,
    pub goals_achieved_to_date: Option<i64>,
}

/// A contract's performance: the timeliness of all its referrals, and month by month.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Performance {
    pub timeliness: Timeliness,
    pub months: Vec<MonthPerformance>,
}

fn share(n: Option<i64>, of: i64) -> Option<f64> {
    n.filter(|_| of > 0)
        .map(|n| (n as f64 / of as f64 * 1000.0).round() / 1000.0)
}

/// The performance of a contract at `now` (month by month over its period; months after today's
/// are not listed), from its referrals and what was delivered on them.
pub fn performance(
    targets: Targets,
    referrals: &[ReferralTiming],
    delivered: &DeliveredByDay,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
    unsuppressed: bool,
) -> Performance {
    let last = super::month_of(targets.to.min(local_date(now)));
    let in_month = |day: NaiveDate, month: NaiveDate| super::month_of(day) == month;
    let sum = |days: &[(NaiveDate, i64)], month: NaiveDate| -> i64 {
        days.iter()
            .filter(|(d, _)| in_month(*d, month))
            .map(|(_, n)| n)
            .sum()
    };
    let mut months = Vec::new();
    let (mut units_to_date, mut people_to_date, mut goals_to_date) = (0, 0, 0);
    let mut month = super::month_of(targets.from);
    while month <= last {
        let sent: Vec<ReferralTiming> = referrals
            .iter()
            .filter(|r| in_month(local_date(r.sent_at), month))
            .cloned()
            .collect();
        let units = sum(&delivered.units, month);
        let people = sum(&delivered.first_served, month);
        let goals = sum(&delivered.goals_achieved, month);
        units_to_date += units;
        people_to_date += people;
        goals_to_date += goals;
        let people_shown = shown(people_to_date, unsuppressed);
        months.push(MonthPerformance {
            month,
            timeliness: timeliness(&sent, deadlines, now, unsuppressed),
            units,
            units_to_date,
            units_of_target: share(Some(units_to_date), targets.units),
            people_new: shown(people, unsuppressed),
            people_to_date: people_shown,
            people_of_target: share(people_shown, targets.people),
            goals_achieved: shown(goals, unsuppressed),
            goals_achieved_to_date: shown(goals_to_date, unsuppressed),
        });
        match month.checked_add_months(Months::new(1)) {
            Some(m) => month = m,
            None => break,
        }
    }
    Performance {
        timeliness: timeliness(referrals, deadlines, now, unsuppressed),
        months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::{Calendar, DeadlineRule};
    use chrono::{NaiveDate, TimeZone};

    fn deadlines() -> Deadlines {
        Deadlines::new(
            [
                DeadlineRule::parse("first_contact", "critical", "24", "hours").unwrap(),
                DeadlineRule::parse("first_contact", "support", "3", "working_days").unwrap(),
            ],
            Calendar::new([NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()]),
        )
    }

    /// Tuesday 1 December 2026, 09:00 in Ashgabat, and `hours` after.
    fn tuesday(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 4, 0, 0).unwrap() + chrono::Duration::hours(hours)
    }

    fn r(
        status: ReferralStatus,
        decided: Option<i64>,
        priority: Option<Priority>,
    ) -> ReferralTiming {
        ReferralTiming {
            sent_at: tuesday(0),
            status,
            decided_at: decided.map(tuesday),
            priority,
        }
    }

    #[test]
    fn the_deadline_follows_the_priority_and_the_working_days() {
        use ReferralStatus as S;
        // Support: 3 working days from Tuesday 1 December, Thursday 3rd a holiday: the end of
        // Monday 7th local (158 h 59 min on); accepted at 158 h (in time), at 159 h (late).
        let support = [
            r(S::Accepted, Some(158), None),
            r(S::Started, Some(159), Some(Priority::Support)),
        ];
        // Critical: 24 hours.
        let critical = [
            r(S::Completed, Some(23), Some(Priority::Critical)),
            r(S::Accepted, Some(25), Some(Priority::Critical)),
        ];
        let none = [r(S::Accepted, Some(1), Some(Priority::None))];
        let all: Vec<_> = support
            .iter()
            .chain(&critical)
            .chain(&none)
            .cloned()
            .collect();
        let t = timeliness(&all, &deadlines(), tuesday(30 * 24), true);
        assert_eq!(t.referrals, Some(5));
        assert_eq!(t.accepted, Some(5));
        assert_eq!(t.due, Some(4), "priority none has no deadline");
        assert_eq!(t.accepted_in_time, Some(2));
        assert_eq!(t.share_in_time, Some(0.5));
        // Days (one decimal): 1/24, 23/24, 25/24, 158/24, 159/24 → 0.0, 1.0, 1.0, 6.6, 6.6.
        assert_eq!(t.median_days, Some(1.0));
        assert_eq!(t.p90_days, Some(6.6));
        assert!(!t.suppressed);
    }

    #[test]
    fn the_waiting_list_and_the_overdue_count_in_the_share() {
        use ReferralStatus as S;
        let mut waiting_old = r(S::Waiting, Some(1), None);
        waiting_old.sent_at = tuesday(-48);
        let list = [
            waiting_old,
            r(S::Waiting, Some(2), None),
            r(S::Sent, None, Some(Priority::Critical)),
            r(S::Sent, None, None),
            r(S::Declined, Some(5), None),
            r(S::Cancelled, None, None),
            r(S::Accepted, Some(2), None),
        ];
        // Two days on: the critical unanswered one is overdue, the support ones are not yet.
        let t = timeliness(&list, &deadlines(), tuesday(48), true);
        assert_eq!(t.referrals, Some(7));
        assert_eq!(t.waiting, Some(2));
        assert_eq!(t.unanswered, Some(2));
        assert_eq!(t.declined, Some(1));
        assert_eq!(t.oldest_waiting_days, Some(4.0));
        // Divisor: the accepted one, the declined one, the overdue critical one, and the older
        // waiting one (sent on Sunday 29 November: due at the end of Wednesday 2nd) → 4.
        assert_eq!(t.due, Some(4));
        assert_eq!(t.accepted_in_time, Some(1));
        assert_eq!(t.share_in_time, Some(0.25));
        assert_eq!(t.median_days, Some(0.1));
    }

    #[test]
    fn small_counts_are_hidden_with_what_is_computed_from_them() {
        use ReferralStatus as S;
        let list: Vec<_> = (0..6)
            .map(|i| r(S::Accepted, Some(i), None))
            .chain([r(S::Waiting, Some(1), None), r(S::Declined, Some(1), None)])
            .collect();
        let t = timeliness(&list, &deadlines(), tuesday(24 * 10), false);
        assert_eq!(t.referrals, Some(8));
        assert_eq!(t.accepted, Some(6));
        assert_eq!(t.median_days, Some(0.1));
        assert_eq!(t.waiting, None);
        assert_eq!(t.oldest_waiting_days, None);
        assert_eq!(t.declined, None);
        assert!(t.suppressed);
        // Three referrals in all: nothing but zeros is shown.
        let t = timeliness(&list[..3], &deadlines(), tuesday(24 * 10), false);
        assert_eq!(
            (t.referrals, t.accepted, t.median_days, t.share_in_time),
            (None, None, None, None)
        );
        assert!(t.suppressed);
        // With the grant, everything.
        let t = timeliness(&list[..3], &deadlines(), tuesday(24 * 10), true);
        assert_eq!((t.referrals, t.accepted), (Some(3), Some(3)));
        assert!(!t.suppressed);
        // None at all: zeros, nothing hidden.
        let t = timeliness(&[], &deadlines(), tuesday(0), false);
        assert_eq!(
            (t.referrals, t.median_days, t.suppressed),
            (Some(0), None, false)
        );
    }
    #[test]
    fn a_contract_month_by_month_against_its_targets() {
        use ReferralStatus as S;
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let targets = Targets {
            from: day(10, 15),
            to: day(12, 31),
            people: 20,
            units: 200,
        };
        // Six referrals sent in November (accepted within a day), one in December, waiting.
        let mut referrals: Vec<_> = (0..6)
            .map(|i| {
                let mut x = r(S::Accepted, Some(-30 * 24 + i), None);
                x.sent_at = tuesday(-30 * 24);
                x
            })
            .collect();
        referrals.push(r(S::Waiting, Some(1), None));
        let delivered = DeliveredByDay {
            units: vec![(day(11, 2), 30), (day(11, 20), 10), (day(12, 1), 5)],
            first_served: vec![(day(11, 2), 5), (day(12, 1), 1)],
            goals_achieved: vec![(day(12, 1), 2)],
        };
        let p = performance(
            targets,
            &referrals,
            &delivered,
            &deadlines(),
            tuesday(24),
            false,
        );
        // October (from the 15th), November, December: the months up to today.
        let months: Vec<_> = p.months.iter().map(|m| m.month).collect();
        assert_eq!(months, [day(10, 1), day(11, 1), day(12, 1)]);
        let (oct, nov, dec) = (&p.months[0], &p.months[1], &p.months[2]);
        assert_eq!(
            (oct.units, oct.units_to_date, oct.people_to_date),
            (0, 0, Some(0))
        );
        assert_eq!(oct.timeliness.referrals, Some(0));
        assert_eq!(
            (nov.units, nov.units_to_date, nov.units_of_target),
            (40, 40, Some(0.2))
        );
        assert_eq!(
            (nov.people_new, nov.people_to_date, nov.people_of_target),
            (Some(5), Some(5), Some(0.25))
        );
        assert_eq!(nov.timeliness.referrals, Some(6));
        assert_eq!(nov.timeliness.share_in_time, Some(1.0));
        assert_eq!((dec.units, dec.units_to_date), (5, 45));
        // One new person in December is hidden, the six to date are not; two goals are hidden.
        assert_eq!(
            (dec.people_new, dec.people_to_date, dec.people_of_target),
            (None, Some(6), Some(0.3))
        );
        assert_eq!(
            (dec.goals_achieved, dec.goals_achieved_to_date),
            (None, None)
        );
        assert_eq!(dec.timeliness.referrals, None);
        // The whole: seven referrals, one waiting (hidden).
        assert_eq!(p.timeliness.referrals, Some(7));
        assert_eq!(p.timeliness.waiting, None);
        assert!(p.timeliness.suppressed);
    }
}
