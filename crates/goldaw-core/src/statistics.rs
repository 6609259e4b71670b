//! What a statistics report counts and how it is split (issue #5; INTERCHANGE.md, "Report
//! semantics"). Pure: the store fetches the rows, this module says which cells each row falls in.

use crate::codes::Sex;
use crate::ParseError;
use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// The services whose episodes make someone a service user: the secondary level of the model,
/// the twelve specialized services and etrap social work (INTERCHANGE.md). Hotline calls,
/// residential care and universal services do not count.
pub const SERVICE_USER_SERVICES: [&str; 13] = [
    "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S12", "ETRAP_SW",
];

/// A way to split a report, as named on the command line and in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// The leaf unit of the person's record (an etrap, a city, a borough).
    AdminUnit,
    Velayat,
    Sex,
    AgeBand,
    /// By the Washington Group cut-off: `true` or `false`.
    Disability,
    /// A person in several target groups counts once in each; `none` for a person in none.
    TargetGroup,
    /// A person who used several services counts once in each.
    Service,
    /// `urban`, `rural`, or `unknown` where the record does not say.
    Settlement,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Dimension::AdminUnit,
        Dimension::Velayat,
        Dimension::Sex,
        Dimension::AgeBand,
        Dimension::Disability,
        Dimension::TargetGroup,
        Dimension::Service,
        Dimension::Settlement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::AdminUnit => "admin_unit",
            Dimension::Velayat => "velayat",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Disability => "disability",
            Dimension::TargetGroup => "target_group",
            Dimension::Service => "service",
            Dimension::Settlement => "settlement",
        }
    }

    /// Parses `admin_unit,sex,age_band`: known names, each once, in the order given.
    pub fn parse_list(list: &str) -> Result<Vec<Dimension>, ParseError> {
        let mut dims = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let dim: Dimension = name.parse()?;
            if dims.contains(&dim) {
                return Err(ParseError::new(format!("'{name}' is listed twice")));
            }
            dims.push(dim);
        }
        Ok(dims)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dimension {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
                ParseError::new(format!(
                    "unknown dimension '{s}': use any of {}",
                    names.join(", ")
                ))
            })
    }
}

/// Age bands of the reports, by age on the period's last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    Child,
    Adult,
    Older,
}

impl AgeBand {
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Child => "0-17",
            AgeBand::Adult => "18-59",
            AgeBand::Older => "60+",
        }
    }

    /// The band of someone born on `birth` on the day `on`; `None` if born after it.
    pub fn of(birth: NaiveDate, on: NaiveDate) -> Option<AgeBand> {
        let mut age = on.year() - birth.year();
        if (on.month(), on.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        match age {
            a if a < 0 => None,
            0..=17 => Some(AgeBand::Child),
            18..=59 => Some(AgeBand::Adult),
            _ => Some(AgeBand::Older),
        }
    }
}

/// A report period, both days included; `from` is not after `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, ParseError> {
        if from > to {
            return Err(ParseError::new(format!(
                "the period starts ({from}) after it ends ({to})"
            )));
        }
        Ok(Period { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Whether an episode from `started` to `ended` (open if `None`) overlaps the period.
    pub fn overlaps(&self, started: NaiveDate, ended: Option<NaiveDate>) -> bool {
        started <= self.to && ended.is_none_or(|e| e >= self.from)
    }
}

/// One person's use of one service in the period, with what the dimensions need of the person.
#[derive(Debug, Clone)]
pub struct ServiceUse {
    pub person: uuid::Uuid,
    pub service: String,
    pub admin_unit: String,
    /// The velayat (or city with velayat status) the unit lies in.
    pub velayat: String,
    pub sex: Sex,
    pub birth_date: Option<NaiveDate>,
    pub disability: bool,
    /// The person's target group codes.
    pub target_groups: Vec<String>,
    pub settlement: Option<String>,
}

impl ServiceUse {
    /// The values of `dim` for this use: one, or one per target group.
    pub fn values(&self, dim: Dimension, period: &Period) -> Vec<String> {
        match dim {
            Dimension::AdminUnit => vec![self.admin_unit.clone()],
            Dimension::Velayat => vec![self.velayat.clone()],
            Dimension::Sex => vec![self.sex.as_str().to_owned()],
            Dimension::AgeBand => vec![self
                .birth_date
                .and_then(|b| AgeBand::of(b, period.to()))
                .map_or("unknown", AgeBand::as_str)
                .to_owned()],
            Dimension::Disability => vec![self.disability.to_string()],
            Dimension::TargetGroup if self.target_groups.is_empty() => vec!["none".to_owned()],
            Dimension::TargetGroup => self.target_groups.clone(),
            Dimension::Service => vec![self.service.clone()],
            Dimension::Settlement => {
                vec![self
                    .settlement
                    .clone()
                    .unwrap_or_else(|| "unknown".to_owned())]
            }
        }
    }

    /// Every cell (values in the order of `dims`) this use falls in.
    pub fn cells(&self, dims: &[Dimension], period: &Period) -> Vec<Vec<String>> {
        let mut cells = vec![Vec::with_capacity(dims.len())];
        for &dim in dims {
            let values = self.values(dim, period);
            cells = cells
                .into_iter()
                .flat_map(|cell| {
                    values.iter().map(move |v| {
                        let mut c = cell.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect();
        }
        cells
    }
}

/// Service users per cell: distinct persons, each counted once in every cell they fall in,
/// cells in the order of their values.
pub fn count_service_users(
    uses: &[ServiceUse],
    dims: &[Dimension],
    period: &Period,
) -> Vec<(Vec<String>, u64)> {
    let mut pairs: Vec<(Vec<String>, uuid::Uuid)> = uses
        .iter()
        .flat_map(|u| {
            u.cells(dims, period)
                .into_iter()
                .map(move |cell| (cell, u.person))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out: Vec<(Vec<String>, u64)> = Vec::new();
    for (cell, _) in pairs {
        match out.last_mut() {
            Some((last, n)) if *last == cell => *n += 1,
            _ => out.push((cell, 1)),
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

    fn use_of(person: u128, service: &str, groups: &[&str]) -> ServiceUse {
        ServiceUse {
            person: uuid::Uuid::from_u128(person),
            service: service.into(),
            admin_unit: "TM-A-01".into(),
            velayat: "TM-A".into(),
            sex: Sex::Female,
            birth_date: Some(d("2008-01-01")),
            disability: false,
            target_groups: groups.iter().map(|g| g.to_string()).collect(),
            settlement: None,
        }
    }

    #[test]
    fn dimensions_parse_in_order_and_refuse_unknown_or_repeated_names() {
        assert_eq!(
            Dimension::parse_list("sex,admin_unit, age_band").unwrap(),
            vec![Dimension::Sex, Dimension::AdminUnit, Dimension::AgeBand]
        );
        let e = Dimension::parse_list("sex,gender").unwrap_err().to_string();
        assert!(e.contains("'gender'") && e.contains("age_band"), "{e}");
        assert!(Dimension::parse_list("sex,sex").is_err());
        assert!(Dimension::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn age_is_taken_on_the_last_day_of_the_period() {
        assert_eq!(
            AgeBand::of(d("2007-12-31"), d("2025-12-31")),
            Some(AgeBand::Adult)
        );
        assert_eq!(
            AgeBand::of(d("2008-01-01"), d("2025-12-31")),
            Some(AgeBand::Child)
        );
        assert_eq!(
            AgeBand::of(d("1965-12-31"), d("2025-12-31")),
            Some(AgeBand::Older)
        );
        assert_eq!(
            AgeBand::of(d("1966-01-01"), d("2025-12-31")),
            Some(AgeBand::Adult)
        );
        assert_eq!(AgeBand::of(d("2026-01-01"), d("2025-12-31")), None);
        // Born on 29 February: 18 on 1 March of a common year.
        assert_eq!(
            AgeBand::of(d("2008-02-29"), d("2026-02-28")),
            Some(AgeBand::Child)
        );
        assert_eq!(
            AgeBand::of(d("2008-02-29"), d("2026-03-01")),
            Some(AgeBand::Adult)
        );
    }

    #[test]
    fn periods_overlap_inclusively_and_refuse_to_run_backwards() {
        let p = Period::new(d("2025-01-01"), d("2025-12-31")).unwrap();
        assert!(p.overlaps(d("2024-05-01"), None));
        assert!(p.overlaps(d("2024-05-01"), Some(d("2025-01-01"))));
        assert!(!p.overlaps(d("2024-05-01"), Some(d("2024-12-31"))));
        assert!(p.overlaps(d("2025-12-31"), None));
        assert!(!p.overlaps(d("2026-01-01"), None));
        assert!(Period::new(d("2025-02-01"), d("2025-01-31")).is_err());
    }

    #[test]
    fn a_person_counts_once_per_cell() {
        let p = Period::new(d("2025-01-01"), d("2025-12-31")).unwrap();
        let uses = vec![
            use_of(1, "S04", &["family_low_income", "child_disability"]),
            use_of(1, "ETRAP_SW", &["family_low_income", "child_disability"]),
            use_of(2, "ETRAP_SW", &[]),
        ];
        // No dimension: distinct persons.
        assert_eq!(count_service_users(&uses, &[], &p), vec![(vec![], 2)]);
        // By service: person 1 in both services.
        assert_eq!(
            count_service_users(&uses, &[Dimension::Service], &p),
            vec![(vec!["ETRAP_SW".into()], 2), (vec!["S04".into()], 1)]
        );
        // By target group: person 1 in each of her groups, person 2 under none.
        assert_eq!(
            count_service_users(&uses, &[Dimension::TargetGroup, Dimension::AgeBand], &p),
            vec![
                (vec!["child_disability".into(), "0-17".into()], 1),
                (vec!["family_low_income".into(), "0-17".into()], 1),
                (vec!["none".into(), "0-17".into()], 1),
            ]
        );
    }
}
