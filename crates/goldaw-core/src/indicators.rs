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

use crate::codes::code_enum;
use crate::disclosure::Published;
use crate::statistics::Dimension;
use crate::ParseError;
use serde::Serialize;

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

    /// The figure as a CSV cell: counts as integers, numbers with up to two decimals, an empty
    /// cell when withheld or not defined.
    pub fn csv(&self) -> String {
        match self {
            Figure::Count { value } => value.value().map(|n| n.to_string()).unwrap_or_default(),
            Figure::Number { value } => value
                .value()
                .map(|x| {
                    let s = format!("{x:.2}");
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
    /// Cases imported from another system carry no dates for the steps after referral; they
    /// count at referral only.
    ImportedCasesAtReferralOnly,
}

impl Note {
    /// A stable code, for the translation files.
    pub fn code(&self) -> &'static str {
        match self {
            Note::PopulationYear { .. } => "population_year",
            Note::PopulationNotAvailable { .. } => "population_not_available",
            Note::Internal => "internal",
            Note::ImportedCasesAtReferralOnly => "imported_cases_at_referral_only",
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
            Note::ImportedCasesAtReferralOnly => f.write_str(
                "imported cases have no dates for the steps after referral and count at referral only",
            ),
        }
    }
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

    #[test]
    fn figures_print_as_csv_cells() {
        assert_eq!(Figure::count(12).csv(), "12");
        assert_eq!(Figure::number(12.5).csv(), "12.5");
        assert_eq!(Figure::number(1.0 / 3.0).csv(), "0.33");
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
