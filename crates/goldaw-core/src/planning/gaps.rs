//! Need against supply, per etrap and service, and a costed draft service development plan.
//!
//! # The need estimate ([`need_estimate`])
//!
//! For each etrap and service the planner gives the people assessed as needing the service (from assessments
//! and support plans), the waiting list, the etrap's population, a population rate, and the places that exist.
//!
//! ```text
//! assessments available:  need = assessed + waiting
//! assessments missing:    need = max(waiting, round(population × rate))
//! gap                     = max(need − places, 0)
//! cost of the gap         = gap × cost of one place for a year (costing::CostModel::cost_per_place_year)
//! ```
//!
//! `assessed` counts people with an assessed need who are **not** on the waiting list (a person on both is
//! counted once, in `waiting`); where an etrap has assessed its population, that count is the need. Where it has
//! not (`assessed` is `None`), the need is estimated from the population with the rate (for example a prevalence
//! from a survey or from etraps that have assessed), rounded to the nearest person (halves up), and never below
//! the people already waiting. A place is one person served for a year, so a need of people is met by as many
//! places.
//!
//! # Velayats
//!
//! Etraps roll up to their velayat (or to Ashgabat, which has velayat status). The parent comes from
//! `reference/admin_units.csv`'s `parent_code` when the caller passes it; otherwise from the code itself: the
//! part before the last `-` (`TM-A-01` → `TM-A`), which is how every etrap and borough code in that file nests
//! ([`velayat_of`]; a test checks the file).

use std::collections::BTreeMap;

use serde::Serialize;

use super::costing::CostModel;
use crate::cell_key;
use crate::disclosure::{Published, Rule};

/// Need and supply for one service in one etrap, as the planner gives them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedInput {
    /// Etrap code, as in `reference/admin_units.csv` (`TM-A-01`).
    pub etrap: String,
    /// Service code, as in `reference/services.csv` (`S01`).
    pub service: String,
    /// People assessed as needing the service and not on the waiting list; `None` where there are no assessments.
    pub assessed: Option<u64>,
    /// People on the waiting list.
    pub waiting: u64,
    /// The etrap's population.
    pub population: u64,
    /// Share of the population needing the service, used where assessments are missing (0.0005 = 5 in 10,000).
    pub rate: f64,
    /// Places that exist (people the service can serve in a year).
    pub places: u64,
}

/// Which figure the need estimate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedBasis {
    /// assessed + waiting.
    Assessments,
    /// population × rate (assessments missing).
    PopulationRate,
    /// The waiting list, which exceeded population × rate (assessments missing).
    WaitingList,
}

/// Input the gap analysis refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GapError {
    #[error("{etrap} {service}: the rate must be a share between 0 and 1 (0.0005 = 5 in 10,000), got {rate}")]
    InvalidRate {
        etrap: String,
        service: String,
        rate: f64,
    },
    #[error("{etrap} {service}: service {service} is not in the cost model; add a [services.{service}] table to it")]
    UnknownService { etrap: String, service: String },
    #[error("{etrap} {service} is given twice; give each etrap and service once")]
    Duplicate { etrap: String, service: String },
    #[error(
        "{etrap}: its velayat is not known; pass its parent from admin_units.csv or use a code like TM-A-01"
    )]
    UnknownVelayat { etrap: String },
    #[error("{etrap}: its population is given as {first} and as {second}; give one population per etrap")]
    PopulationDiffers {
        etrap: String,
        first: u64,
        second: u64,
    },
}

/// The need estimate for one input and the figure it came from (module docs).
pub fn need_estimate(input: &NeedInput) -> Result<(u64, NeedBasis), GapError> {
    if !(0.0..=1.0).contains(&input.rate) {
        return Err(GapError::InvalidRate {
            etrap: input.etrap.clone(),
            service: input.service.clone(),
            rate: input.rate,
        });
    }
    if let Some(assessed) = input.assessed {
        return Ok((
            assessed.saturating_add(input.waiting),
            NeedBasis::Assessments,
        ));
    }
    // rate ≤ 1, so this fits the population's u64.
    let from_rate = (input.population as f64 * input.rate + 0.5).floor() as u64;
    if input.waiting > from_rate {
        Ok((input.waiting, NeedBasis::WaitingList))
    } else {
        Ok((from_rate, NeedBasis::PopulationRate))
    }
}

/// A need input as a reader without the grant to see unsuppressed statistics gets it (issue #16,
/// item 10; docs/planning.md, "Who sees exact counts"). The people counted in the line (assessed
/// and waiting where the etrap has assessments, else waiting) are released like any statistic
/// ([`cell_key::release`]: the strict rule for the services for survivors of violence, S10 and
/// S11, the standard rule otherwise), `key` being the cell key of those people. A count shown is
/// perturbed and stands for the line's people (as assessed where the etrap has assessments, as
/// waiting elsewhere). A count withheld (small, or zero under the strict rule) is not used: the
/// line's need falls back to the population estimate, as for an etrap without assessments, which
/// says nothing about the people there. Returns the input and whether its count was withheld.
pub fn protected_input(input: &NeedInput, key: u32) -> (NeedInput, bool) {
    let rule = if crate::indicators::GBV_SERVICES.contains(&input.service.as_str()) {
        Rule::SENSITIVE
    } else {
        Rule::STANDARD
    };
    let people = input
        .assessed
        .map_or(input.waiting, |a| a.saturating_add(input.waiting));
    match cell_key::release(people, Some(key), rule) {
        Published::Shown { value } => {
            let published = match input.assessed {
                Some(_) => NeedInput {
                    assessed: Some(value),
                    waiting: 0,
                    ..input.clone()
                },
                None => NeedInput {
                    waiting: value,
                    ..input.clone()
                },
            };
            (published, false)
        }
        Published::Suppressed { .. } => (
            NeedInput {
                assessed: None,
                waiting: 0,
                ..input.clone()
            },
            true,
        ),
    }
}

/// The velayat of an etrap code by how the codes nest: the part before the last `-` (`TM-A-01` → `TM-A`,
/// `TM-S-02` → `TM-S`). `None` for a code without a velayat part (`TM`, `TM-A`).
pub fn velayat_of(etrap: &str) -> Option<&str> {
    let (parent, _) = etrap.rsplit_once('-')?;
    // The country "TM" is not a velayat: a code must have two dashes to be below a velayat.
    parent.contains('-').then_some(parent)
}

/// One service in one etrap: need, supply, gap and the cost of the places needed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapLine {
    pub etrap: String,
    pub velayat: String,
    pub service: String,
    pub population: u64,
    pub need: u64,
    pub basis: NeedBasis,
    pub places: u64,
    /// max(need − places, 0): places to open.
    pub gap: u64,
    pub cost_per_place_year: f64,
    /// gap × cost per place-year (unrounded).
    pub cost: f64,
}

/// Totals of a set of lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub need: u64,
    pub places: u64,
    pub gap: u64,
    /// Yearly cost of opening the gap's places (unrounded).
    pub cost: f64,
}

impl Totals {
    fn add(&mut self, need: u64, places: u64, gap: u64, cost: f64) {
        self.need = self.need.saturating_add(need);
        self.places = self.places.saturating_add(places);
        self.gap = self.gap.saturating_add(gap);
        self.cost += cost;
    }
}

/// The draft plan for one etrap: its lines in service-code order and their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EtrapPlan {
    pub etrap: String,
    pub velayat: String,
    pub population: u64,
    pub lines: Vec<GapLine>,
    pub totals: Totals,
}

/// The draft plan for one velayat: per service across its etraps, and in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VelayatPlan {
    pub velayat: String,
    pub etraps: Vec<String>,
    pub population: u64,
    /// Service code → totals across the velayat's etraps.
    pub by_service: BTreeMap<String, Totals>,
    pub totals: Totals,
}

/// A costed draft service development plan: per etrap, per velayat and for the country.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevelopmentPlan {
    /// Currency and price year of every cost (from the cost model).
    pub currency: String,
    pub price_year: i32,
    /// In etrap-code order.
    pub etraps: Vec<EtrapPlan>,
    /// In velayat-code order.
    pub velayats: Vec<VelayatPlan>,
    pub by_service: BTreeMap<String, Totals>,
    pub totals: Totals,
}

impl DevelopmentPlan {
    /// Every line, etrap by etrap.
    pub fn lines(&self) -> impl Iterator<Item = &GapLine> {
        self.etraps.iter().flat_map(|e| e.lines.iter())
    }
}

/// Works out need, gap and cost for every input and rolls them up per etrap, velayat and country.
///
/// `parents` maps etrap codes to their velayat (from `admin_units.csv`'s `parent_code`); etraps not in it use
/// [`velayat_of`]. Pass an empty map to use the codes alone. Each (etrap, service) must be given once, and every
/// service must be in the cost model.
pub fn development_plan(
    model: &CostModel,
    inputs: &[NeedInput],
    parents: &BTreeMap<String, String>,
) -> Result<DevelopmentPlan, GapError> {
    let mut etraps: BTreeMap<String, EtrapPlan> = BTreeMap::new();
    for input in inputs {
        let (need, basis) = need_estimate(input)?;
        let cost_per_place_year =
            model
                .cost_per_place_year(&input.service)
                .ok_or_else(|| GapError::UnknownService {
                    etrap: input.etrap.clone(),
                    service: input.service.clone(),
                })?;
        let velayat = match parents.get(&input.etrap) {
            Some(p) => p.clone(),
            None => velayat_of(&input.etrap)
                .ok_or_else(|| GapError::UnknownVelayat {
                    etrap: input.etrap.clone(),
                })?
                .to_string(),
        };
        let gap = need.saturating_sub(input.places);
        let line = GapLine {
            etrap: input.etrap.clone(),
            velayat: velayat.clone(),
            service: input.service.clone(),
            population: input.population,
            need,
            basis,
            places: input.places,
            gap,
            cost_per_place_year,
            cost: gap as f64 * cost_per_place_year,
        };
        let plan = etraps
            .entry(input.etrap.clone())
            .or_insert_with(|| EtrapPlan {
                etrap: input.etrap.clone(),
                velayat,
                population: input.population,
                lines: Vec::new(),
                totals: Totals::default(),
            });
        if plan.population != input.population {
            return Err(GapError::PopulationDiffers {
                etrap: input.etrap.clone(),
                first: plan.population,
                second: input.population,
            });
        }
        if plan.lines.iter().any(|l| l.service == input.service) {
            return Err(GapError::Duplicate {
                etrap: input.etrap.clone(),
                service: input.service.clone(),
            });
        }
        plan.totals.add(need, input.places, gap, line.cost);
        plan.lines.push(line);
    }

    let mut velayats: BTreeMap<String, VelayatPlan> = BTreeMap::new();
    let mut by_service: BTreeMap<String, Totals> = BTreeMap::new();
    let mut totals = Totals::default();
    for plan in etraps.values_mut() {
        plan.lines.sort_by(|a, b| a.service.cmp(&b.service));
        let v = velayats
            .entry(plan.velayat.clone())
            .or_insert_with(|| VelayatPlan {
                velayat: plan.velayat.clone(),
                etraps: Vec::new(),
                population: 0,
                by_service: BTreeMap::new(),
                totals: Totals::default(),
            });
        v.etraps.push(plan.etrap.clone());
        v.population = v.population.saturating_add(plan.population);
        for l in &plan.lines {
            v.by_service
                .entry(l.service.clone())
                .or_default()
                .add(l.need, l.places, l.gap, l.cost);
            v.totals.add(l.need, l.places, l.gap, l.cost);
            by_service
                .entry(l.service.clone())
                .or_default()
                .add(l.need, l.places, l.gap, l.cost);
            totals.add(l.need, l.places, l.gap, l.cost);
        }
    }

    Ok(DevelopmentPlan {
        currency: model.currency.clone(),
        price_year: model.price_year,
        etraps: etraps.into_values().collect(),
        velayats: velayats.into_values().collect(),
        by_service,
        totals,
    })
}

/// The services a service development plan covers: the twelve specialised community services. Residential care
/// (`RES_CARE`) is left out on purpose (family integrity first, residential care last: a plan does not open
/// institution places), and so are the etrap social work service (sized by the workforce model), the hotline and
/// the universal services of other sectors.
pub const PLANNED_SERVICES: [&str; 12] = [
    "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S12",
];

/// Population rates for the need estimate where assessments are missing: for each planned service, the share
/// of the population needing it = `coverage` (the share of the population needing social services at all; the
/// seeds' basic coverage is 0.1%, [`super::costing::SEEDS_BASIC_COVERAGE`]) × the service's share of users in the
/// cost model's `[mix]`. A service missing from the mix gets rate 0. With the shipped model (composed shares),
/// S04 family support: 0.001 × 0.20 = 0.0002, 20 people in 100,000.
pub fn rates_from_mix(model: &CostModel, coverage: f64) -> BTreeMap<String, f64> {
    PLANNED_SERVICES
        .iter()
        .map(|s| {
            let share = model.mix.get(*s).copied().unwrap_or(0.0);
            (s.to_string(), coverage * share)
        })
        .collect()
}

/// The first line of [`render_plan_csv`]'s output.
pub const PLAN_CSV_HEADER: &str =
    "velayat,etrap,service,population,need,basis,places,gap,cost_per_place_year,cost";

impl NeedBasis {
    /// The code written in CSV files and used in translation keys.
    pub fn as_str(self) -> &'static str {
        match self {
            NeedBasis::Assessments => "assessments",
            NeedBasis::PopulationRate => "population_rate",
            NeedBasis::WaitingList => "waiting_list",
        }
    }
}

/// Every line of a plan as CSV, byte for byte what other tools read: the header [`PLAN_CSV_HEADER`], then one
/// line per etrap and service in etrap then service order, each ending in `\n`. Counts are whole numbers; `basis`
/// is `assessments`, `population_rate` or `waiting_list`; `cost_per_place_year` and `cost` are in the plan's
/// currency rounded to the tiyn with two decimals, a dot and no thousands separator. No totals line: a tool
/// adds the columns up.
///
/// Written for a spreadsheet ([`SpreadsheetCsv`]): text that could be read as a formula is quoted
/// (codes never are).
pub fn render_plan_csv(plan: &DevelopmentPlan) -> String {
    use super::costing::Money;
    use crate::spreadsheet::{Cell, SpreadsheetCsv};
    let mut w = SpreadsheetCsv::new();
    w.row(PLAN_CSV_HEADER.split(','));
    for l in plan.lines() {
        let figures = [
            l.population.to_string(),
            l.need.to_string(),
            l.places.to_string(),
            l.gap.to_string(),
            Money(l.cost_per_place_year).to_string(),
            Money(l.cost).to_string(),
        ];
        let [population, need, places, gap, cost_per_place, cost] = &figures;
        w.row([
            Cell::Text(&l.velayat),
            Cell::Text(&l.etrap),
            Cell::Text(&l.service),
            Cell::Number(population),
            Cell::Number(need),
            Cell::Text(l.basis.as_str()),
            Cell::Number(places),
            Cell::Number(gap),
            Cell::Number(cost_per_place),
            Cell::Number(cost),
        ]);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_without_the_grant_gets_perturbed_counts_or_the_population_estimate() {
        let line = |service: &str, assessed: Option<u64>, waiting: u64| NeedInput {
            etrap: "TM-A-01".into(),
            service: service.into(),
            assessed,
            waiting,
            population: 60_000,
            rate: 0.0002,
            places: 3,
        };
        // The noise of these keys: -3 and +3 (goldaw_core::cell_key).
        let (down, up) = (0, u32::MAX);
        // Assessed: the people (assessed and waiting) perturbed, as assessed.
        let (p, withheld) = protected_input(&line("S04", Some(20), 5), up);
        assert!(!withheld);
        assert_eq!((p.assessed, p.waiting), (Some(28), 0));
        assert_eq!(need_estimate(&p).unwrap(), (28, NeedBasis::Assessments));
        // Not assessed: the waiting list perturbed; the need is still the larger of it and the
        // estimate (12).
        let (p, _) = protected_input(&line("S04", None, 30), down);
        assert_eq!(need_estimate(&p).unwrap(), (27, NeedBasis::WaitingList));
        let (p, _) = protected_input(&line("S04", None, 9), down);
        assert_eq!(need_estimate(&p).unwrap(), (12, NeedBasis::PopulationRate));
        // A small count is withheld: the estimate stands in, whatever the true count.
        for n in 1..5 {
            for key in [down, up, 1 << 31] {
                let (p, withheld) = protected_input(&line("S04", Some(n), 0), key);
                assert!(withheld);
                assert_eq!(need_estimate(&p).unwrap(), (12, NeedBasis::PopulationRate));
            }
        }
        // A zero is shown under the standard rule, not for survivors of violence (S10, S11),
        // where everything below 10 is withheld.
        let (p, withheld) = protected_input(&line("S04", Some(0), 0), up);
        assert_eq!((withheld, p.assessed), (false, Some(0)));
        for n in [0, 1, 9] {
            let (p, withheld) = protected_input(&line("S10", Some(n), 0), up);
            assert!(withheld, "S10 {n}");
            assert_eq!(need_estimate(&p).unwrap().1, NeedBasis::PopulationRate);
        }
        let (p, withheld) = protected_input(&line("S11", Some(40), 0), down);
        assert_eq!((withheld, p.assessed), (false, Some(37)));
    }

    fn model() -> CostModel {
        CostModel::from_toml(
            r#"
currency = "TMT"
price_year = 2024
[services.A]
unit = "visit"
staff_hours_per_unit = 2
salary_per_month = 1600
working_hours_per_month = 160
overhead_share = 0.25
transport_per_unit = 4
materials_per_unit = 1
units_per_user_year = 10
[services.B]
unit = "hour"
staff_hours_per_unit = 1
salary_per_month = 1600
working_hours_per_month = 160
overhead_share = 0
transport_per_unit = 0
materials_per_unit = 0
units_per_user_year = 100
[residential]
service = "RES"
cost_per_person_year = 36500
"#,
            "test.toml",
        )
        .unwrap()
    }

    fn input(
        etrap: &str,
        service: &str,
        assessed: Option<u64>,
        waiting: u64,
        population: u64,
        rate: f64,
        places: u64,
    ) -> NeedInput {
        NeedInput {
            etrap: etrap.into(),
            service: service.into(),
            assessed,
            waiting,
            population,
            rate,
            places,
        }
    }

    #[test]
    fn the_need_rule() {
        // Assessments: 12 + 3 = 15, whatever the rate says.
        assert_eq!(
            need_estimate(&input("TM-A-01", "A", Some(12), 3, 100_000, 0.001, 0)).unwrap(),
            (15, NeedBasis::Assessments)
        );
        // No assessments: 100,000 × 0.0005 = 50 > 3 waiting.
        assert_eq!(
            need_estimate(&input("TM-A-01", "A", None, 3, 100_000, 0.0005, 0)).unwrap(),
            (50, NeedBasis::PopulationRate)
        );
        // No assessments, more waiting (70) than the rate gives (50).
        assert_eq!(
            need_estimate(&input("TM-A-01", "A", None, 70, 100_000, 0.0005, 0)).unwrap(),
            (70, NeedBasis::WaitingList)
        );
        // 12,345 × 0.0002 = 2.469 → 2; 12,500 × 0.0002 = 2.5 → 3 (halves up).
        assert_eq!(
            need_estimate(&input("X-Y-1", "A", None, 0, 12_345, 0.0002, 0))
                .unwrap()
                .0,
            2
        );
        assert_eq!(
            need_estimate(&input("X-Y-1", "A", None, 0, 12_500, 0.0002, 0))
                .unwrap()
                .0,
            3
        );
        // 1,000 × 0.003 is 3.0000000000000004 in f64: still 3, not 4.
        assert_eq!(
            need_estimate(&input("X-Y-1", "A", None, 0, 1_000, 0.003, 0))
                .unwrap()
                .0,
            3
        );
        let e = need_estimate(&input("TM-A-01", "A", None, 0, 1, 1.5, 0)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("TM-A-01 A: the rate must be a share"),
            "{e}"
        );
    }

    #[test]
    fn velayats_from_codes() {
        assert_eq!(velayat_of("TM-A-01"), Some("TM-A"));
        assert_eq!(velayat_of("TM-S-04"), Some("TM-S"));
        assert_eq!(velayat_of("TM-A"), None);
        assert_eq!(velayat_of("TM"), None);
    }

    #[test]
    fn every_etrap_code_in_admin_units_nests_under_its_parent() {
        let text = include_str!("../../../../reference/admin_units.csv");
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let mut checked = 0;
        for row in rows.records() {
            let row = row.unwrap();
            let (code, level, parent) = (&row[0], &row[4], &row[5]);
            if matches!(level, "etrap" | "borough" | "city_etrap_status") {
                assert_eq!(velayat_of(code), Some(parent), "{code}");
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn a_costed_plan_by_hand() {
        let m = model();
        // A costs 30 a unit × 10 = 300 a place-year; B 10 × 100 = 1,000; RES 36,500.
        let inputs = vec![
            input("TM-A-01", "A", Some(20), 5, 50_000, 0.0, 10), // need 25, gap 15, 4,500
            input("TM-A-01", "B", None, 0, 50_000, 0.0002, 4),   // need 10, gap 6, 6,000
            input("TM-A-02", "A", None, 2, 30_000, 0.0001, 5),   // need 3 (3 > 2), gap 0, 0
            input("TM-B-01", "RES", Some(1), 0, 10_000, 0.0, 0), // need 1, gap 1, 36,500
            input("TM-B-01", "A", None, 8, 10_000, 0.0005, 1), // need 8 (waiting > 5), gap 7, 2,100
        ];
        let plan = development_plan(&m, &inputs, &BTreeMap::new()).unwrap();
        assert_eq!(plan.etraps.len(), 3);
        let e1 = &plan.etraps[0];
        assert_eq!(
            (e1.etrap.as_str(), e1.velayat.as_str()),
            ("TM-A-01", "TM-A")
        );
        assert_eq!(
            e1.totals,
            Totals {
                need: 35,
                places: 14,
                gap: 21,
                cost: 10_500.0
            }
        );
        assert_eq!(
            plan.etraps[1].totals,
            Totals {
                need: 3,
                places: 5,
                gap: 0,
                cost: 0.0
            }
        );
        let e3 = &plan.etraps[2];
        // Lines sorted by service: A before RES.
        assert_eq!(e3.lines[0].service, "A");
        assert_eq!(e3.lines[0].basis, NeedBasis::WaitingList);
        assert_eq!(
            e3.totals,
            Totals {
                need: 9,
                places: 1,
                gap: 8,
                cost: 38_600.0
            }
        );

        assert_eq!(plan.velayats.len(), 2);
        let a = &plan.velayats[0];
        assert_eq!(a.velayat, "TM-A");
        assert_eq!(a.etraps, ["TM-A-01", "TM-A-02"]);
        assert_eq!(a.population, 80_000);
        assert_eq!(
            a.by_service["A"],
            Totals {
                need: 28,
                places: 15,
                gap: 15,
                cost: 4_500.0
            }
        );
        assert_eq!(
            a.totals,
            Totals {
                need: 38,
                places: 19,
                gap: 21,
                cost: 10_500.0
            }
        );
        assert_eq!(plan.velayats[1].totals.cost, 38_600.0);
        assert_eq!(
            plan.totals,
            Totals {
                need: 47,
                places: 20,
                gap: 29,
                cost: 49_100.0
            }
        );
        assert_eq!(plan.by_service["A"].gap, 22);
        assert_eq!(plan.lines().count(), 5);
    }

    #[test]
    fn parents_override_the_codes() {
        let parents = BTreeMap::from([("ODD".to_string(), "TM-L".to_string())]);
        let plan = development_plan(
            &model(),
            &[input("ODD", "A", Some(1), 0, 10, 0.0, 0)],
            &parents,
        )
        .unwrap();
        assert_eq!(plan.velayats[0].velayat, "TM-L");
    }

    #[test]
    fn refusals() {
        let m = model();
        let none = BTreeMap::new();
        let e = development_plan(&m, &[input("TM-A-01", "Z", Some(1), 0, 10, 0.0, 0)], &none)
            .unwrap_err();
        assert!(
            e.to_string().contains("service Z is not in the cost model"),
            "{e}"
        );
        let e =
            development_plan(&m, &[input("ODD", "A", Some(1), 0, 10, 0.0, 0)], &none).unwrap_err();
        assert_eq!(
            e,
            GapError::UnknownVelayat {
                etrap: "ODD".into()
            }
        );
        let twice = [
            input("TM-A-01", "A", Some(1), 0, 10, 0.0, 0),
            input("TM-A-01", "A", Some(2), 0, 10, 0.0, 0),
        ];
        assert!(matches!(
            development_plan(&m, &twice, &none),
            Err(GapError::Duplicate { .. })
        ));
        let pops = [
            input("TM-A-01", "A", Some(1), 0, 10, 0.0, 0),
            input("TM-A-01", "B", Some(2), 0, 11, 0.0, 0),
        ];
        assert!(matches!(
            development_plan(&m, &pops, &none),
            Err(GapError::PopulationDiffers { .. })
        ));
    }

    #[test]
    fn rates_come_from_the_basic_coverage_and_the_mix() {
        let m = CostModel::shipped().unwrap();
        let rates = rates_from_mix(&m, 0.001);
        assert_eq!(rates.len(), 12);
        assert!((rates["S04"] - 0.0002).abs() < 1e-15);
        assert!((rates["S01"] - 0.00008).abs() < 1e-15);
        assert!(!rates.contains_key("RES_CARE") && !rates.contains_key("ETRAP_SW"));
    }

    #[test]
    fn the_plan_as_csv() {
        let m = model();
        let inputs = vec![
            input("TM-A-01", "B", None, 0, 50_000, 0.0002, 4),
            input("TM-A-01", "A", Some(20), 5, 50_000, 0.0, 10),
            input("TM-B-01", "A", None, 8, 10_000, 0.0005, 1),
        ];
        let plan = development_plan(&m, &inputs, &BTreeMap::new()).unwrap();
        assert_eq!(
            render_plan_csv(&plan),
            "velayat,etrap,service,population,need,basis,places,gap,cost_per_place_year,cost\n\
             TM-A,TM-A-01,A,50000,25,assessments,10,15,300.00,4500.00\n\
             TM-A,TM-A-01,B,50000,10,population_rate,4,6,1000.00,6000.00\n\
             TM-B,TM-B-01,A,10000,8,waiting_list,1,7,300.00,2100.00\n"
        );
    }
}
