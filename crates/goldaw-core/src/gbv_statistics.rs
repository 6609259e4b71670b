//! Anonymised statistics for the survivors' services (issue #18, item 5), in the shape the
//! GBVIMS uses: survivors by type of violence, age band, sex, month and velayat; the services
//! they were referred to; the hotline's calls by line, category, outcome, velayat and month.
//!
//! Only what may be counted is counted: a survivor only with a consent to statistics in force
//! ([`crate::consent::ConsentPurpose::Statistics`]); a call is anonymous by nature (a code name,
//! an age band). No name or record id leaves: the figures are counts, suppressed with the
//! stricter rule goldaw applies to tables about violence ([`crate::disclosure::Rule::SENSITIVE`]:
//! counts 0–9 hidden, none narrowed to fewer than four values), unless the reader holds the
//! grant to see unsuppressed statistics.

use crate::access::{Permission, Principal};
use crate::codes::code_enum;
use crate::disclosure::Rule;
use crate::hotline::AgeBand;
use crate::ParseError;
use chrono::{Datelike, NaiveDate};

code_enum!(
    /// What is counted.
    GbvMeasure, "statistics measure" {
        /// Survivors (sensitive cases whose person consented to statistics), by when the case
        /// was opened.
        Survivors = "survivors",
        /// Referrals to services of those survivors, by when they were made.
        Referrals = "referrals",
        /// Hotline calls, by when they came in.
        Calls = "calls",
    }
);

code_enum!(
    /// A way to split a table.
    GbvDimension, "statistics dimension" {
        /// The type of violence (the category of the call the case came from; `not_from_call`).
        Category = "category",
        AgeBand = "age_band",
        Sex = "sex",
        /// `YYYY-MM`.
        Month = "month",
        Velayat = "velayat",
        /// Calls only: the line.
        Line = "line",
        /// Calls only: the outcome.
        Outcome = "outcome",
        /// Referrals only: the service.
        Service = "service",
        /// The time from the incident to its report ([`ReportDelay`]): for survivors and their
        /// referrals, from the case's incident date to the call it came from (or its
        /// registration); for calls, from the call's incident date to the call.
        ReportDelay = "report_delay",
    }
);

impl GbvMeasure {
    /// The dimensions a table of this measure may be split by.
    pub fn dimensions(self) -> &'static [GbvDimension] {
        use GbvDimension as D;
        match self {
            GbvMeasure::Survivors => &[
                D::Category,
                D::AgeBand,
                D::Sex,
                D::Month,
                D::Velayat,
                D::ReportDelay,
            ],
            GbvMeasure::Referrals => &[
                D::Service,
                D::Category,
                D::AgeBand,
                D::Sex,
                D::Month,
                D::Velayat,
                D::ReportDelay,
            ],
            GbvMeasure::Calls => &[
                D::Line,
                D::Category,
                D::Outcome,
                D::AgeBand,
                D::Sex,
                D::Month,
                D::Velayat,
                D::ReportDelay,
            ],
        }
    }
}

/// Why a table is refused as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GbvRefusal {
    /// A dimension this measure does not have.
    Dimension(GbvDimension),
    /// A dimension asked twice, or more than three.
    Shape,
    /// `to` before `from`, or a period longer than five years.
    Period,
}

impl GbvRefusal {
    pub fn key(self) -> &'static str {
        match self {
            GbvRefusal::Dimension(_) => "gbv-dimension-not-for-measure",
            GbvRefusal::Shape => "gbv-dimensions-shape",
            GbvRefusal::Period => "gbv-period",
        }
    }
}

/// The most dimensions one table is split by.
pub const MAX_DIMENSIONS: usize = 3;

/// Whether a table may be made as asked.
pub fn check_query(
    measure: GbvMeasure,
    by: &[GbvDimension],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(), GbvRefusal> {
    if let Some(d) = by.iter().find(|d| !measure.dimensions().contains(*d)) {
        return Err(GbvRefusal::Dimension(*d));
    }
    let twice = by.iter().enumerate().any(|(i, d)| by[..i].contains(d));
    if twice || by.len() > MAX_DIMENSIONS {
        return Err(GbvRefusal::Shape);
    }
    if to < from || (to - from).num_days() > 5 * 366 {
        return Err(GbvRefusal::Period);
    }
    Ok(())
}

/// Who may read these tables: those who read reports and have an area.
pub fn may_read(principal: &Principal) -> bool {
    principal.may(Permission::ReadReports) && principal.unit_scope().is_some()
}

/// The suppression rule: the stricter one for violence, or none for the unsuppressed grant.
pub fn rule(principal: &Principal) -> Rule {
    if principal.may(Permission::ReadUnsuppressed) {
        Rule::OFF
    } else {
        Rule::SENSITIVE
    }
}

/// The age band of someone born on `birth`, on `on` (the hotline's bands).
pub fn age_band(birth: Option<NaiveDate>, on: NaiveDate) -> AgeBand {
    let Some(birth) = birth else {
        return AgeBand::Unknown;
    };
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    match years {
        i32::MIN..=-1 => AgeBand::Unknown,
        0..=11 => AgeBand::Under12,
        12..=17 => AgeBand::Teen,
        18..=24 => AgeBand::Young,
        25..=59 => AgeBand::Adult,
        _ => AgeBand::Older,
    }
}

code_enum!(
    /// The time from an incident to its report (GBVIMS): how many days after the incident the
    /// survivor first reached a service (the call, or the case's opening).
    ReportDelay, "time from incident to report" {
        SameDay = "same_day",
        Days1To3 = "1_3_days",
        Days4To7 = "4_7_days",
        Days8To30 = "8_30_days",
        Over30Days = "over_30_days",
        /// No incident date recorded.
        Unknown = "unknown",
    }
);

/// The band of the time from `incident` to `reported`. An incident recorded after its report
/// cannot be (the date is checked when recorded): counted as unknown, never as same day.
pub fn report_delay(incident: Option<NaiveDate>, reported: NaiveDate) -> ReportDelay {
    let Some(incident) = incident else {
        return ReportDelay::Unknown;
    };
    match (reported - incident).num_days() {
        i64::MIN..=-1 => ReportDelay::Unknown,
        0 => ReportDelay::SameDay,
        1..=3 => ReportDelay::Days1To3,
        4..=7 => ReportDelay::Days4To7,
        8..=30 => ReportDelay::Days8To30,
        _ => ReportDelay::Over30Days,
    }
}

/// Why an incident date is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentDateRefusal {
    /// After today.
    Future,
    /// Before the person was born.
    BeforeBirth,
    /// On a case that is not sensitive (the incident date is for violence and child protection).
    NotSensitive,
}

impl IncidentDateRefusal {
    /// The stable code and translation key (`safety.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            IncidentDateRefusal::Future => "incident-date-future",
            IncidentDateRefusal::BeforeBirth => "incident-date-before-birth",
            IncidentDateRefusal::NotSensitive => "incident-date-not-sensitive",
        }
    }
}

/// Whether an incident date may be recorded on a case: only a sensitive one (gender-based
/// violence or child protection), whose incident the statistics count from. Who may is the case's
/// work rule (`crate::workflow::case_work`), asked by the store.
pub fn incident_date_open(sensitive: bool) -> Result<(), IncidentDateRefusal> {
    if sensitive {
        Ok(())
    } else {
        Err(IncidentDateRefusal::NotSensitive)
    }
}

/// Whether `incident` may be recorded as the date of the incident a case or call is about, on
/// `today`, for a person born on `birth` (if known).
pub fn check_incident_date(
    incident: NaiveDate,
    today: NaiveDate,
    birth: Option<NaiveDate>,
) -> Result<(), IncidentDateRefusal> {
    if incident > today {
        return Err(IncidentDateRefusal::Future);
    }
    if birth.is_some_and(|b| incident < b) {
        return Err(IncidentDateRefusal::BeforeBirth);
    }
    Ok(())
}

/// The months from `from` to `to`, as `YYYY-MM`.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_time_from_incident_to_report_falls_in_the_gbvims_bands() {
        let reported = d("2026-03-31");
        for (incident, band) in [
            (Some("2026-03-31"), ReportDelay::SameDay),
            (Some("2026-03-30"), ReportDelay::Days1To3),
            (Some("2026-03-28"), ReportDelay::Days1To3),
            (Some("2026-03-27"), ReportDelay::Days4To7),
            (Some("2026-03-24"), ReportDelay::Days4To7),
            (Some("2026-03-23"), ReportDelay::Days8To30),
            (Some("2026-03-01"), ReportDelay::Days8To30),
            (Some("2026-02-28"), ReportDelay::Over30Days),
            (Some("2020-01-01"), ReportDelay::Over30Days),
            (Some("2026-04-01"), ReportDelay::Unknown),
            (None, ReportDelay::Unknown),
        ] {
            assert_eq!(
                report_delay(incident.map(d), reported),
                band,
                "{incident:?}"
            );
        }
    }

    #[test]
    fn an_incident_date_is_not_in_the_future_nor_before_birth() {
        let today = d("2026-03-31");
        let born = Some(d("1990-04-02"));
        assert_eq!(check_incident_date(today, today, born), Ok(()));
        assert_eq!(check_incident_date(d("1990-04-02"), today, born), Ok(()));
        assert_eq!(check_incident_date(d("1985-01-01"), today, None), Ok(()));
        assert_eq!(
            check_incident_date(d("2026-04-01"), today, born),
            Err(IncidentDateRefusal::Future)
        );
        assert_eq!(
            check_incident_date(d("1990-04-01"), today, born),
            Err(IncidentDateRefusal::BeforeBirth)
        );
        assert_eq!(incident_date_open(true), Ok(()));
        assert_eq!(
            incident_date_open(false),
            Err(IncidentDateRefusal::NotSensitive)
        );
        assert_eq!(
            IncidentDateRefusal::BeforeBirth.key(),
            "incident-date-before-birth"
        );
    }

    #[test]
    fn a_table_is_asked_for_with_the_measures_dimensions_once_each() {
        use GbvDimension::{Category, Line, Month, Sex, Velayat};
        let (from, to) = (d("2026-01-01"), d("2026-12-31"));
        assert_eq!(
            check_query(
                GbvMeasure::Survivors,
                &[Category, GbvDimension::AgeBand],
                from,
                to
            ),
            Ok(())
        );
        for m in GbvMeasure::ALL {
            assert_eq!(
                check_query(*m, &[GbvDimension::ReportDelay, Sex], from, to),
                Ok(())
            );
        }
        assert_eq!(
            check_query(GbvMeasure::Survivors, &[Line], from, to),
            Err(GbvRefusal::Dimension(Line))
        );
        assert_eq!(
            check_query(GbvMeasure::Calls, &[Sex, Sex], from, to),
            Err(GbvRefusal::Shape)
        );
        assert_eq!(
            check_query(GbvMeasure::Calls, &[Sex, Month, Line, Velayat], from, to),
            Err(GbvRefusal::Shape)
        );
        assert_eq!(
            check_query(GbvMeasure::Calls, &[], to, from),
            Err(GbvRefusal::Period)
        );
    }

    #[test]
    fn age_bands_and_months() {
        assert_eq!(
            age_band(Some(d("1990-06-02")), d("2026-06-01")),
            AgeBand::Adult
        );
        assert_eq!(
            age_band(Some(d("2008-06-02")), d("2026-06-01")),
            AgeBand::Teen
        );
        assert_eq!(
            age_band(Some(d("2008-06-01")), d("2026-06-01")),
            AgeBand::Young
        );
        assert_eq!(age_band(None, d("2026-06-01")), AgeBand::Unknown);
        assert_eq!(
            months(d("2025-11-15"), d("2026-02-01")),
            vec!["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }

    #[test]
    fn the_stricter_rule_applies_to_everyone_without_the_grant() {
        use crate::access::Scope;
        use crate::codes::Role;
        let p = Principal::user(
            uuid::Uuid::nil(),
            "p",
            Role::Planner,
            Scope::Unit(crate::access::nation()),
            false,
        );
        assert_eq!(rule(&p), Rule::SENSITIVE);
        assert_eq!(rule(&p.clone().with_unsuppressed(true)), Rule::OFF);
        assert!(may_read(&p));
    }
}
