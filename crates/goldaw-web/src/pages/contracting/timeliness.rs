//! The timeliness of referrals and the waiting list as a page shows them (a contract's page, the
//! comparison by way of delivery): each figure a number, the hidden word when suppressed, a dash
//! when there is nothing to compute it from.

use crate::i18n::Translator;
use goldaw_core::contracting::timeliness::Timeliness;

/// One line of timeliness figures, as text.
pub(super) struct TimelinessLine {
    pub(super) referrals: String,
    /// "k of n (p%)": accepted within the deadline of those whose answer is known or overdue.
    pub(super) in_time: String,
    /// "median / 90th percentile" days to acceptance.
    pub(super) days: String,
    pub(super) declined: String,
    pub(super) unanswered: String,
    pub(super) waiting: String,
    /// Days the oldest on the waiting list has waited.
    pub(super) oldest: String,
}

pub(super) fn line(x: &Timeliness, t: &Translator) -> TimelinessLine {
    let hidden = t.t("contracting-suppressed");
    let none = t.t("contracting-none");
    let count = |n: Option<i64>| n.map_or_else(|| hidden.clone(), |n| n.to_string());
    let in_time = match (x.accepted_in_time, x.due, x.share_in_time) {
        (Some(k), Some(n), Some(s)) => format!("{k} / {n} ({:.0}%)", s * 100.0),
        (Some(_), Some(0), _) => none.clone(),
        _ if x.referrals == Some(0) => none.clone(),
        _ => hidden.clone(),
    };
    let days = match (x.median_days, x.p90_days) {
        (Some(m), Some(p)) => format!("{m:.1} / {p:.1}"),
        _ if x.accepted.is_none() => hidden.clone(),
        _ => none.clone(),
    };
    let oldest = match (x.waiting, x.oldest_waiting_days) {
        (Some(_), Some(d)) => format!("{d:.1}"),
        (None, _) => hidden.clone(),
        _ => none.clone(),
    };
    TimelinessLine {
        referrals: count(x.referrals),
        in_time,
        days,
        declined: count(x.declined),
        unanswered: count(x.unanswered),
        waiting: count(x.waiting),
        oldest,
    }
}
