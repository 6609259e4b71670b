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

    /// The age at which each band starts, youngest first.
    pub const STARTS: [(AgeBand, u32); 3] = [
        (AgeBand::Child, 0),
        (AgeBand::Adult, 18),
        (AgeBand::Older, 60),
    ];

    /// The age at which the band starts.
    pub fn start(self) -> u32 {
        AgeBand::STARTS
            .iter()
            .find(|(band, _)| *band == self)
            .map_or(0, |(_, years)| *years)
    }

    /// The band of someone born on `birth` on the day `on`; `None` if born after it.
    pub fn of(birth: NaiveDate, on: NaiveDate) -> Option<AgeBand> {
        let mut age = on.year() - birth.year();
        if (on.month(), on.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        let age = u32::try_from(age).ok()?;
        AgeBand::STARTS
            .iter()
            .rev()
            .find(|(_, from)| age >= *from)
            .map(|(band, _)| *band)
    }
}

/// The latest birth date of someone at least `years` old on the day `on`, so that a database
/// can band ages by comparing dates: aged `years` or more exactly when born on or before it.
/// Someone born on 29 February comes of age on 1 March in a common year, so on 28 February of a
/// common year the limit for `on` = 29 February is the 28th. `None` before year 1.
pub fn born_by(on: NaiveDate, years: u32) -> Option<NaiveDate> {
    let year = on.year().checked_sub(i32::try_from(years).ok()?)?;
    NaiveDate::from_ymd_opt(year, on.month(), on.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
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

/// What the database groups a report by: each dimension reads one attribute of a person's use
/// of a service (velayat is read from the unit). Values as text: the unit's code, `F`/`M`, the
/// age band (`unknown` without a birth date), `true`/`false`, the person's target group codes
/// joined by `;` (empty for none), the service code, `urban`/`rural`/`unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attribute {
    AdminUnit,
    Sex,
    AgeBand,
    Disability,
    TargetGroups,
    Service,
    Settlement,
}

impl Dimension {
    pub fn attribute(self) -> Attribute {
        match self {
            Dimension::AdminUnit | Dimension::Velayat => Attribute::AdminUnit,
            Dimension::Sex => Attribute::Sex,
            Dimension::AgeBand => Attribute::AgeBand,
            Dimension::Disability => Attribute::Disability,
            Dimension::TargetGroup => Attribute::TargetGroups,
            Dimension::Service => Attribute::Service,
            Dimension::Settlement => Attribute::Settlement,
        }
    }
}

/// The attributes `dims` read, each once, in the order first read: what the database groups by.
pub fn attributes(dims: &[Dimension]) -> Vec<Attribute> {
    let mut out: Vec<Attribute> = Vec::with_capacity(dims.len());
    for a in dims.iter().map(|d| d.attribute()) {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Service users per cell from service users per group: `groups` are distinct persons counted
/// per combination of values of the [`attributes`] of `dims`, in that order. A person has one
/// value of each attribute (one unit, one list of target groups), so the groups that fall in a
/// cell hold different persons and their counts add up. The one attribute a person can have
/// several values of, the service, is grouped by in the database when asked for, so a person
/// using two services is in two groups, as in two cells. A group's list of target groups puts it
/// in each group's cell once (`none` when empty). `velayat` names the velayat of a unit. Only
/// cells with someone in them, in the order of their values, as [`count_service_users`] gives them.
/// A group's count is a `u64`, or a [`crate::cell_key::Counted`] that carries the sum of its
/// persons' record keys along (for cell-key perturbation): either adds up the same way.
pub fn cells_from_groups<C>(
    dims: &[Dimension],
    groups: impl IntoIterator<Item = (Vec<String>, C)>,
    velayat: impl Fn(&str) -> String,
) -> Vec<(Vec<String>, C)>
where
    C: Copy + Default + PartialEq + std::ops::AddAssign,
{
    let attrs = attributes(dims);
    // Where each dimension's attribute sits in a group's values (always found: attrs come from dims).
    let position: Vec<usize> = dims
        .iter()
        .map(|d| attrs.iter().position(|a| *a == d.attribute()).unwrap_or(0))
        .collect();
    let mut cells: std::collections::BTreeMap<Vec<String>, C> = Default::default();
    for (values, n) in groups.into_iter().filter(|(_, n)| *n != C::default()) {
        let mut keys: Vec<Vec<String>> = vec![Vec::with_capacity(dims.len())];
        for (dim, &i) in dims.iter().zip(&position) {
            let value = values.get(i).map(String::as_str).unwrap_or_default();
            let options: Vec<String> = match dim {
                Dimension::Velayat => vec![velayat(value)],
                Dimension::TargetGroup => {
                    let groups: std::collections::BTreeSet<&str> =
                        value.split(';').filter(|g| !g.is_empty()).collect();
                    if groups.is_empty() {
                        vec!["none".to_owned()]
                    } else {
                        groups.into_iter().map(str::to_owned).collect()
                    }
                }
                _ => vec![value.to_owned()],
            };
            keys = keys
                .into_iter()
                .flat_map(|key| {
                    options.iter().map(move |o| {
                        let mut k = key.clone();
                        k.push(o.clone());
                        k
                    })
                })
                .collect();
        }
        for key in keys {
            *cells.entry(key).or_default() += n;
        }
    }
    cells.into_iter().collect()
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
    fn birth_date_limits_band_ages_as_age_band_of_does() {
        // Every day of seven years (two of them leap years), births around each limit and on
        // 29 February of the years nearby: comparing with born_by gives AgeBand::of's band.
        let mut on = d("2023-01-01");
        while on <= d("2029-12-31") {
            let limits: Vec<NaiveDate> = AgeBand::STARTS
                .iter()
                .map(|(_, years)| born_by(on, *years).unwrap())
                .collect();
            let mut births: Vec<NaiveDate> = Vec::new();
            for limit in &limits {
                for shift in -3i64..=3 {
                    births.push(*limit + chrono::TimeDelta::days(shift));
                }
            }
            for year in [
                on.year() - 61,
                on.year() - 60,
                on.year() - 19,
                on.year() - 18,
            ] {
                births.extend(NaiveDate::from_ymd_opt(year, 2, 29));
            }
            for birth in births {
                let by_limits = if birth > limits[0] {
                    None
                } else if birth > limits[1] {
                    Some(AgeBand::Child)
                } else if birth > limits[2] {
                    Some(AgeBand::Adult)
                } else {
                    Some(AgeBand::Older)
                };
                assert_eq!(by_limits, AgeBand::of(birth, on), "born {birth}, on {on}");
            }
            on = on.succ_opt().unwrap();
        }
        assert_eq!(born_by(d("2028-02-29"), 18), Some(d("2010-02-28")));
        assert_eq!(born_by(d("2028-02-29"), 20), Some(d("2008-02-29")));
        assert_eq!(born_by(d("2025-12-31"), 0), Some(d("2025-12-31")));
    }

    /// Distinct persons per combination of attribute values, as the database's GROUP BY gives
    /// them: written here from the definition, not with the code under test.
    fn groups_of(
        uses: &[ServiceUse],
        attrs: &[Attribute],
        period: &Period,
    ) -> Vec<(Vec<String>, u64)> {
        let mut seen = std::collections::BTreeSet::new();
        for u in uses {
            let values: Vec<String> = attrs
                .iter()
                .map(|a| match a {
                    Attribute::AdminUnit => u.admin_unit.clone(),
                    Attribute::Sex => u.sex.as_str().to_owned(),
                    Attribute::AgeBand => u
                        .birth_date
                        .and_then(|b| AgeBand::of(b, period.to()))
                        .map_or("unknown", AgeBand::as_str)
                        .to_owned(),
                    Attribute::Disability => u.disability.to_string(),
                    Attribute::TargetGroups => u.target_groups.join(";"),
                    Attribute::Service => u.service.clone(),
                    Attribute::Settlement => {
                        u.settlement.clone().unwrap_or_else(|| "unknown".into())
                    }
                })
                .collect();
            seen.insert((values, u.person));
        }
        let mut counts: std::collections::BTreeMap<Vec<String>, u64> = Default::default();
        for (values, _) in seen {
            *counts.entry(values).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }

    #[test]
    fn counting_groups_then_cells_gives_the_counts_of_distinct_persons_per_cell() {
        let p = Period::new(d("2025-01-01"), d("2025-12-31")).unwrap();
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let groups = ["large_family", "chronic_illness", "woman_gbv"];
        let mut uses = Vec::new();
        for person in 0..300u128 {
            let unit = ["TM-A-01", "TM-A-02", "TM-B-01"][next(3) as usize];
            let mut base = use_of(person, "ETRAP_SW", &[]);
            base.admin_unit = unit.into();
            base.velayat = unit[..4].into();
            base.sex = if next(2) == 0 { Sex::Female } else { Sex::Male };
            base.birth_date = [
                None,
                Some(d("1950-06-01")),
                Some(d("1990-01-01")),
                Some(d("2010-03-03")),
            ][next(4) as usize];
            base.disability = next(5) == 0;
            base.settlement =
                [None, Some("urban"), Some("rural")][next(3) as usize].map(str::to_owned);
            base.target_groups = groups
                .iter()
                .filter(|_| next(3) == 0)
                .map(|g| g.to_string())
                .collect();
            // One to three uses, sometimes of the same service twice.
            for _ in 0..=next(3) {
                let mut u = base.clone();
                u.service = ["ETRAP_SW", "S01", "S04"][next(3) as usize].into();
                uses.push(u);
            }
        }
        let velayat = |unit: &str| unit[..4].to_owned();
        let mut checked = 0;
        for a in Dimension::ALL {
            for b in Dimension::ALL {
                for c in [None, Some(Dimension::Service), Some(Dimension::TargetGroup)] {
                    let mut dims = vec![a, b];
                    dims.extend(c);
                    dims.dedup();
                    if Dimension::parse_list(
                        &dims
                            .iter()
                            .map(|d| d.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    )
                    .is_err()
                    {
                        continue; // a dimension twice
                    }
                    let groups = groups_of(&uses, &attributes(&dims), &p);
                    assert_eq!(
                        cells_from_groups(&dims, groups, velayat),
                        count_service_users(&uses, &dims, &p),
                        "{dims:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked} tables");
        // No dimension: one group, the distinct persons; a count of nobody is no cell.
        assert_eq!(
            cells_from_groups(&[], groups_of(&uses, &[], &p), velayat),
            vec![(vec![], 300)]
        );
        assert!(cells_from_groups(&[], [(vec![], 0u64)], velayat).is_empty());
        // admin_unit and velayat read the same attribute: grouped by once.
        assert_eq!(
            attributes(&[Dimension::Velayat, Dimension::Sex, Dimension::AdminUnit]),
            vec![Attribute::AdminUnit, Attribute::Sex]
        );
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
