//! The published indicators of issue #5: what each one is, how it may be split, and which figures
//! each of its rows carries. Pure: the store gathers the records and publishes the tables; this
//! module names the indicators and says what they count (`docs/statistics.md` has the exact
//! definitions).
//!
//! An indicator's table has three kinds of columns, in this order:
//! 1. the dimensions the reader asked for ([`Dimension`], in the order asked), each of which must
//!    be one the indicator accepts ([`Indicator::dimensions`]);
//! 2. the indicator's own columns ([`Column`]), always present: the funnel's step, the priority,
//!    the referral source, the provider, the worker, the rating of a goal;
//! 3. its figures ([`Measure`]): counts, and numbers (rates, medians, shares) that are hidden
//!    whenever a count they are made of is hidden.

use crate::cell_key::{cell_key, RecordKeys};
use crate::codes::{code_enum, TargetGroup};
use crate::disclosure::Published;
use crate::statistics::{Dimension, Period, ServiceUse};
use crate::ParseError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

code_enum!(
    /// A published indicator. The codes are stable ids: the CLI (`goldaw report ID`), the API and
    /// the DHIS2 mapping name indicators by them.
    Indicator, "known indicator" {
        /// Distinct persons with a secondary-level service episode overlapping the period
        /// (INTERCHANGE.md, "Report semantics").
        ServiceUsers = "service_users",
        /// Service users per 100,000 and as a percentage of the population of the same cell.
        Coverage = "coverage",
        /// Cases reaching each step of the workflow in the period: referral, initial assessment,
        /// holistic assessment, approved support plan.
        Funnel = "funnel",
        /// Cases screened in the period, by the priority screening set.
        Priority = "priority",
        /// Cases referred in the period, by where the referral came from.
        ReferralSources = "referral_sources",
        /// Service episodes overlapping the period and the units delivered in it, by service and
        /// provider.
        Episodes = "episodes",
        /// Cases per social worker against the norm (25 intensive + 25 monitored; 75 a year).
        /// Internal: supervisors and the ministry only.
        Caseload = "caseload",
        /// Time from referral to each step, against the deadlines in force.
        Timeliness = "timeliness",
        /// Goals rated at reviews held in the period: achieved, partly, not achieved.
        Outcomes = "outcomes",
    }
);

/// The dimensions describing the person a case or an episode is about, and its place.
const PERSON_DIMENSIONS: &[Dimension] = &[
    Dimension::AdminUnit,
    Dimension::Velayat,
    Dimension::Sex,
    Dimension::AgeBand,
    Dimension::Disability,
    Dimension::TargetGroup,
    Dimension::Settlement,
];

impl Indicator {
    /// The dimensions a table of this indicator may be split by.
    pub fn dimensions(self) -> &'static [Dimension] {
        match self {
            Indicator::ServiceUsers | Indicator::Episodes => &Dimension::ALL,
            // Population figures exist by place, sex and age band only.
            Indicator::Coverage => &[
                Dimension::AdminUnit,
                Dimension::Velayat,
                Dimension::Sex,
                Dimension::AgeBand,
            ],
            Indicator::Funnel
            | Indicator::Priority
            | Indicator::ReferralSources
            | Indicator::Timeliness
            | Indicator::Outcomes => PERSON_DIMENSIONS,
            // A worker's load is about the worker, not the people: by place only.
            Indicator::Caseload => &[Dimension::AdminUnit, Dimension::Velayat],
        }
    }

    /// The indicator's own columns, after the dimensions asked for.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Indicator::ServiceUsers | Indicator::Coverage => &[],
            Indicator::Funnel => &[Column::Step],
            Indicator::Priority => &[Column::Priority],
            Indicator::ReferralSources => &[Column::Source],
            Indicator::Episodes => &[Column::Provider],
            Indicator::Caseload => &[Column::Worker],
            Indicator::Timeliness => &[Column::Step, Column::Priority],
            Indicator::Outcomes => &[Column::Rating],
        }
    }

    /// The figures of each row, in order.
    pub fn measures(self) -> &'static [Measure] {
        use Measure::*;
        match self {
            Indicator::ServiceUsers => &[Users],
            Indicator::Coverage => &[Users, Population, Per100000, Percent],
            Indicator::Funnel => &[Cases],
            Indicator::Priority | Indicator::ReferralSources => &[Cases, Share],
            Indicator::Episodes => &[Episodes, Units],
            Indicator::Caseload => &[
                Cases,
                Assessment,
                Intensive,
                Monitored,
                IntensiveOfNorm,
                MonitoredOfNorm,
                YearOfNorm,
            ],
            Indicator::Timeliness => &[Cases, MedianDays, WithinDeadline, WithinDeadlineShare],
            Indicator::Outcomes => &[Goals, Share],
        }
    }

    /// Internal figures are not statistics about people but about the service's work; they are
    /// shown only to those who manage it (`Permission::ReadCaseload`) and are not suppressed.
    pub fn is_internal(self) -> bool {
        self == Indicator::Caseload
    }

    /// Checks that every dimension asked for is one this indicator accepts.
    pub fn check_dimensions(self, dims: &[Dimension]) -> Result<(), ParseError> {
        let accepted = self.dimensions();
        match dims.iter().find(|d| !accepted.contains(d)) {
            None => Ok(()),
            Some(d) => Err(ParseError::new(format!(
                "the {} indicator cannot be split by '{}': it accepts {}",
                self.as_str(),
                d.as_str(),
                accepted
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

code_enum!(
    /// An indicator's own column: always present in its table, after the dimensions asked for.
    Column, "indicator column" {
        /// A step of the workflow: `referral`, `initial_assessment`, `holistic_assessment`,
        /// `support_plan` (and `first_contact` for timeliness).
        Step = "step",
        /// `critical`, `support` or `none` (timeliness: `critical` or `support`).
        Priority = "priority",
        /// The referral source code (INTERCHANGE.md).
        Source = "source",
        /// The provider's id in the interchange files; `none` for episodes without one (etrap
        /// social work).
        Provider = "provider",
        /// The social worker's account name, or the worker code of an imported case;
        /// `unassigned` for cases nobody holds.
        Worker = "worker",
        /// `achieved`, `partly` or `not_achieved`.
        Rating = "rating",
    }
);

/// Whether a figure is a count (suppressed as such) or a number derived from counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    Count,
    Number,
}

code_enum!(
    /// One figure of an indicator's rows.
    Measure, "measure" {
        /// Distinct persons (service users).
        Users = "users",
        /// The population of the cell: a public denominator, never suppressed; absent where no
        /// figure exists for the cell.
        Population = "population",
        /// Users per 100,000 of the population.
        Per100000 = "per_100000",
        /// Users as a percentage of the population.
        Percent = "percent",
        /// Distinct cases.
        Cases = "cases",
        /// The row's count as a percentage of the count over all values of the indicator's own
        /// column(s) in the same cell of the dimensions.
        Share = "share",
        /// Service episodes overlapping the period.
        Episodes = "episodes",
        /// Units of service delivered in the period.
        Units = "units",
        /// Open cases in referral, screening, holistic assessment or planning at the period's end.
        Assessment = "assessment",
        /// Open cases in intensive support (`active`) at the period's end.
        Intensive = "intensive",
        /// Open cases in monitoring at the period's end.
        Monitored = "monitored",
        /// Intensive cases as a percentage of the norm (25).
        IntensiveOfNorm = "intensive_of_norm",
        /// Monitored cases as a percentage of the norm (25).
        MonitoredOfNorm = "monitored_of_norm",
        /// Cases held in the period as a percentage of the yearly norm (75) scaled to the period.
        YearOfNorm = "year_of_norm",
        /// Median calendar days from the clock's start to the step.
        MedianDays = "median_days",
        /// Cases that reached the step by its deadline.
        WithinDeadline = "within_deadline",
        /// Cases within the deadline as a percentage of the cases that reached the step.
        WithinDeadlineShare = "within_deadline_share",
        /// Goals rated.
        Goals = "goals",
    }
);

impl Measure {
    pub fn kind(self) -> MeasureKind {
        match self {
            Measure::Users
            | Measure::Population
            | Measure::Cases
            | Measure::Episodes
            | Measure::Units
            | Measure::Assessment
            | Measure::Intensive
            | Measure::Monitored
            | Measure::WithinDeadline
            | Measure::Goals => MeasureKind::Count,
            Measure::Per100000
            | Measure::Percent
            | Measure::Share
            | Measure::IntensiveOfNorm
            | Measure::MonitoredOfNorm
            | Measure::YearOfNorm
            | Measure::MedianDays
            | Measure::WithinDeadlineShare => MeasureKind::Number,
        }
    }
}

/// One figure of a published row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// A count, shown or suppressed.
    Count { value: Published<u64> },
    /// A rate, a median or a share, hidden whenever a count it is made of is hidden.
    Number { value: Published<f64> },
    /// Not defined for this cell: no population figure, no case to take a median of, a share
    /// of nothing.
    None,
}

impl Figure {
    pub fn count(n: u64) -> Figure {
        Figure::Count {
            value: Published::Shown { value: n },
        }
    }

    pub fn number(x: f64) -> Figure {
        Figure::Number {
            value: Published::Shown { value: x },
        }
    }

    /// Whether the figure is withheld by suppression.
    pub fn is_suppressed(&self) -> bool {
        match self {
            Figure::Count { value } => value.is_suppressed(),
            Figure::Number { value } => value.is_suppressed(),
            Figure::None => false,
        }
    }

    /// The figure as a CSV cell: counts as integers, numbers with up to two decimals (three
    /// significant digits below 1), an empty cell when withheld or not defined.
    pub fn csv(&self) -> String {
        match self {
            Figure::Count { value } => value.value().map(|n| n.to_string()).unwrap_or_default(),
            Figure::Number { value } => value
                .value()
                .map(|x| {
                    // Two decimals, or three significant digits below 1: coverage is
                    // hundredths of a per cent.
                    let decimals = if x != 0.0 && x.abs() < 1.0 {
                        ((-x.abs().log10().floor()) as usize + 2).min(12)
                    } else {
                        2
                    };
                    let s = format!("{x:.decimals$}");
                    s.trim_end_matches('0').trim_end_matches('.').to_owned()
                })
                .unwrap_or_default(),
            Figure::None => String::new(),
        }
    }
}

/// Something a reader must know to read a table right, published with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// The population denominators are those of this year (the latest at or before the period's
    /// end, else the earliest).
    PopulationYear { year: i32 },
    /// Population figures exist for these places only at a higher level (velayats, the nation):
    /// their rows have no population and no coverage, rather than an invented figure.
    PopulationNotAvailable { units: Vec<String> },
    /// The figures are internal and not suppressed (the caseload: counts of a worker's cases,
    /// with nothing about the people in them).
    Internal,
    /// Cases imported from another system carry no dates for their steps: they count on their
    /// opening day at the steps their status shows they reached, and have no times for the
    /// timeliness.
    ImportedCasesDatedAtOpening,
    /// The counts are perturbed (`crate::cell_key`): each shown count is off by up to 3, the
    /// same cell shows the same value in every table, and a total is not the sum of its rows.
    Perturbed,
}

impl Note {
    /// A stable code, for the translation files.
    pub fn code(&self) -> &'static str {
        match self {
            Note::PopulationYear { .. } => "population_year",
            Note::PopulationNotAvailable { .. } => "population_not_available",
            Note::Internal => "internal",
            Note::ImportedCasesDatedAtOpening => "imported_cases_dated_at_opening",
            Note::Perturbed => "perturbed",
        }
    }
}

impl std::fmt::Display for Note {
    /// In English, for the CLI (pages translate by [`Note::code`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::PopulationYear { year } => write!(f, "population figures of {year}"),
            Note::PopulationNotAvailable { units } => write!(
                f,
                "no population figure for {}: only velayat and national populations are known, so these rows have no coverage",
                units.join(", ")
            ),
            Note::Internal => f.write_str("internal figures for supervision, not suppressed"),
            Note::ImportedCasesDatedAtOpening => f.write_str(
                "imported cases have no dates for their steps: they count on their opening day, at the steps their status shows they reached",
            ),
            Note::Perturbed => f.write_str(
                "counts are perturbed by up to 3 so that tables cannot be subtracted to reveal a few people: the same cell shows the same value in every table, and a total is not the sum of its rows",
            ),
        }
    }
}

/// The caseload norm per etrap social worker (DOMAIN.md, "Workforce"): 25 cases supported
/// intensively, 25 monitored, 75 cases a year (the planning module's `CaseloadNorm::SEEDS`).
pub const NORM_INTENSIVE: u64 = 25;
pub const NORM_MONITORED: u64 = 25;
pub const NORM_CASES_A_YEAR: u64 = 75;

/// Whether a value of a dimension marks a cell about gender-based violence or child protection:
/// the services for survivors of violence (S10 support, S11 crisis shelter), the target groups of
/// women at risk (`woman_*`) and the sensitive groups of child protection. A table that shows
/// such a cell is published under the strict rule.
pub fn is_gbv_value(dim: Dimension, value: &str) -> bool {
    match dim {
        Dimension::Service => GBV_SERVICES.contains(&value),
        Dimension::TargetGroup => {
            value.starts_with("woman_")
                || value
                    .parse::<TargetGroup>()
                    .is_ok_and(TargetGroup::is_sensitive)
        }
        _ => false,
    }
}

/// The services whose users are survivors of gender-based violence.
pub const GBV_SERVICES: [&str; 2] = ["S10", "S11"];

/// One thing an indicator counts (a case at a step, an episode, a rated goal), with the person
/// and place it is about and its values of the indicator's own columns.
#[derive(Debug, Clone)]
pub struct Record {
    /// What is counted once per cell: the case, the episode, the goal.
    pub id: Uuid,
    /// The person and place the dimensions are taken from (the service only for episodes).
    pub facts: ServiceUse,
    /// Values of the indicator's own columns, in order.
    pub own: Vec<String>,
    /// Units of service delivered in the period (episodes).
    pub units: u64,
    /// Days from the clock's start to the step (timeliness).
    pub days: Option<f64>,
    /// Whether the step was reached by its deadline; `None` when no deadline applies.
    pub within: Option<bool>,
}

impl Record {
    /// A record counted once, with nothing else to add up.
    pub fn new(id: Uuid, facts: ServiceUse, own: Vec<String>) -> Record {
        Record {
            id,
            facts,
            own,
            units: 0,
            days: None,
            within: None,
        }
    }
}

/// What the records of one cell add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Distinct records.
    pub count: u64,
    pub units: u64,
    /// The days of each distinct record that has them.
    pub days: Vec<f64>,
    /// Records reached within / after their deadline.
    pub within: u64,
    pub late: u64,
    /// The sums of the record keys (`crate::cell_key`) of the distinct records, of those within
    /// and of those late, modulo 2³²; zero when counted without keys.
    pub keys: u64,
    pub within_keys: u64,
    pub late_keys: u64,
}

impl Tally {
    /// The median of [`Tally::days`]; `None` when there are none.
    pub fn median_days(&self) -> Option<f64> {
        let mut d = self.days.clone();
        d.sort_by(f64::total_cmp);
        match d.len() {
            0 => None,
            n if n % 2 == 1 => Some(d[n / 2]),
            n => Some((d[n / 2 - 1] + d[n / 2]) / 2.0),
        }
    }
}

/// Adds the records up per cell: the values of `dims` (in order; a person in several target
/// groups is in several cells), then the record's own columns. A record counts once per cell
/// however often it is listed. With `keys`, each cell also sums its records' keys, for cell-key
/// perturbation.
pub fn tally(
    records: &[Record],
    dims: &[Dimension],
    period: &Period,
    keys: Option<&RecordKeys>,
) -> BTreeMap<Vec<String>, Tally> {
    let mut seen: BTreeSet<(Vec<String>, Uuid)> = BTreeSet::new();
    let mut out: BTreeMap<Vec<String>, Tally> = BTreeMap::new();
    let add = |sum: &mut u64, key: u64| *sum = u64::from(cell_key(sum.wrapping_add(key)));
    for r in records {
        let key = keys.map_or(0, |k| u64::from(k.of(&r.id)));
        for mut cell in r.facts.cells(dims, period) {
            cell.extend(r.own.iter().cloned());
            let t = out.entry(cell.clone()).or_default();
            t.units += r.units;
            if !seen.insert((cell, r.id)) {
                continue;
            }
            t.count += 1;
            add(&mut t.keys, key);
            t.days.extend(r.days);
            match r.within {
                Some(true) => {
                    t.within += 1;
                    add(&mut t.within_keys, key);
                }
                Some(false) => {
                    t.late += 1;
                    add(&mut t.late_keys, key);
                }
                None => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ones_are_refused_with_the_list() {
        for i in Indicator::ALL {
            assert_eq!(i.as_str().parse::<Indicator>().unwrap(), *i);
            assert_eq!(
                i.measures().len(),
                i.measures()
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            );
        }
        let e = "users".parse::<Indicator>().unwrap_err().to_string();
        assert!(
            e.contains("'users'") && e.contains("referral_sources"),
            "{e}"
        );
    }

    #[test]
    fn dimensions_an_indicator_does_not_accept_are_refused_by_name() {
        assert!(Indicator::ServiceUsers
            .check_dimensions(&Dimension::ALL)
            .is_ok());
        let e = Indicator::Coverage
            .check_dimensions(&[Dimension::Sex, Dimension::Disability])
            .unwrap_err()
            .to_string();
        assert!(e.contains("'disability'") && e.contains("age_band"), "{e}");
        assert!(Indicator::Caseload
            .check_dimensions(&[Dimension::Sex])
            .is_err());
    }

    fn facts(person: u128, unit: &str, groups: &[&str]) -> ServiceUse {
        ServiceUse {
            person: Uuid::from_u128(person),
            service: String::new(),
            admin_unit: unit.into(),
            velayat: unit[..4].into(),
            sex: crate::codes::Sex::Female,
            birth_date: None,
            disability: false,
            target_groups: groups.iter().map(|g| g.to_string()).collect(),
            settlement: None,
        }
    }

    #[test]
    fn a_record_counts_once_per_cell_and_its_times_give_the_median() {
        let period =
            Period::new("2025-01-01".parse().unwrap(), "2025-12-31".parse().unwrap()).unwrap();
        let rec =
            |id: u128, unit: &str, groups: &[&str], step: &str, days: f64, within: bool| Record {
                days: Some(days),
                within: Some(within),
                units: 2,
                ..Record::new(
                    Uuid::from_u128(id),
                    facts(id, unit, groups),
                    vec![step.into()],
                )
            };
        let records = vec![
            rec(
                1,
                "TM-A-01",
                &["woman_gbv", "large_family"],
                "initial",
                1.0,
                true,
            ),
            // Listed twice: still one case.
            rec(
                1,
                "TM-A-01",
                &["woman_gbv", "large_family"],
                "initial",
                1.0,
                true,
            ),
            rec(2, "TM-A-02", &[], "initial", 4.0, false),
            rec(3, "TM-A-02", &["large_family"], "initial", 2.0, true),
            rec(3, "TM-A-02", &["large_family"], "holistic", 30.0, true),
        ];
        let t = tally(&records, &[], &period, None);
        let initial = &t[&vec!["initial".to_owned()]];
        assert_eq!((initial.count, initial.within, initial.late), (3, 2, 1));
        assert_eq!(initial.median_days(), Some(2.0));
        // Units add up per listing (an episode is listed once by the store).
        assert_eq!(initial.units, 8);
        // With keys: each cell sums the keys of its distinct records (record 3 once).
        let keys = RecordKeys::new([3; 32]);
        let keyed = tally(&records, &[], &period, Some(&keys));
        let initial_keyed = &keyed[&vec!["initial".to_owned()]];
        let key = |i: u128| u64::from(keys.of(&Uuid::from_u128(i)));
        assert_eq!(
            cell_key(initial_keyed.keys),
            cell_key(key(1) + key(2) + key(3))
        );
        assert_eq!(
            cell_key(initial_keyed.within_keys),
            cell_key(key(1) + key(3))
        );
        assert_eq!(cell_key(initial_keyed.late_keys), cell_key(key(2)));
        assert_eq!(initial_keyed.count, initial.count);
        assert_eq!(initial.keys, 0, "no keys asked for");
        let by_group = tally(&records, &[Dimension::TargetGroup], &period, None);
        assert_eq!(
            by_group[&vec!["large_family".to_owned(), "initial".to_owned()]].count,
            2
        );
        assert_eq!(
            by_group[&vec!["woman_gbv".to_owned(), "initial".to_owned()]].count,
            1
        );
        assert_eq!(
            by_group[&vec!["none".to_owned(), "initial".to_owned()]].count,
            1
        );
        let two = Tally {
            days: vec![3.0, 1.0],
            ..Tally::default()
        };
        assert_eq!(two.median_days(), Some(2.0));
        assert_eq!(Tally::default().median_days(), None);
    }

    #[test]
    fn gbv_cells_are_recognised_by_service_and_target_group() {
        assert!(is_gbv_value(Dimension::Service, "S10"));
        assert!(is_gbv_value(Dimension::Service, "S11"));
        assert!(!is_gbv_value(Dimension::Service, "S12"));
        assert!(is_gbv_value(
            Dimension::TargetGroup,
            "woman_unintended_pregnancy"
        ));
        assert!(is_gbv_value(
            Dimension::TargetGroup,
            "child_no_parental_care"
        ));
        assert!(!is_gbv_value(Dimension::TargetGroup, "large_family"));
        assert!(!is_gbv_value(Dimension::Sex, "F"));
    }

    #[test]
    fn figures_print_as_csv_cells() {
        assert_eq!(Figure::count(12).csv(), "12");
        assert_eq!(Figure::number(12.5).csv(), "12.5");
        assert_eq!(Figure::number(1.0 / 3.0).csv(), "0.333");
        assert_eq!(Figure::number(0.000_552_7).csv(), "0.000553");
        assert_eq!(Figure::number(0.0).csv(), "0");
        assert_eq!(Figure::number(123.456).csv(), "123.46");
        assert_eq!(Figure::number(40.0).csv(), "40");
        assert_eq!(Figure::None.csv(), "");
        let hidden = Figure::Count {
            value: Published::Suppressed {
                reason: crate::disclosure::Reason::Primary,
            },
        };
        assert_eq!(hidden.csv(), "");
        assert!(hidden.is_suppressed());
    }
}
