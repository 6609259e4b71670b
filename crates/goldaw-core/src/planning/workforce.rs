//! How many social workers the country needs: the requirement calculator.
//!
//! # The model
//!
//! The etrap social work service is sized from need, not from population alone:
//!
//! ```text
//! urgent cases a year (unit)   = population × share receiving benefits × share of recipients needing urgent help
//! etrap social workers (unit)  = urgent cases ÷ caseload norm (cases one worker carries in a year)
//! caseload norm                = intensive cases × (12 ÷ months of intensive support) + monitored cases
//!                              = 25 × (12 ÷ 6) + 25 = 50 + 25 = 75 cases a year in the seeds
//! total                        = etrap social workers + the other staffing lines (centres, institutions, ...)
//! people per social worker     = population ÷ workers, rounded to the nearest person
//! ```
//!
//! All arithmetic is exact (integers and fractions in `u128`), so a figure that lands exactly on a whole
//! number of workers is never pushed over it by floating-point error; the only rounding is the one the
//! model names ([`Rounding`]).
//!
//! # What the seeds computed, and how they rounded
//!
//! The seed (`shared/seeds/002_596a45bacafcab1f.txt`, "Calculation of social worker requirements") says:
//! 6% of benefit recipients need urgent, critical intervention; "roughly 1 in 6 of the population receive
//! benefits, this represents 1 per cent of the total population"; one etrap social worker manages 75 cases a
//! year (25 intensively supported for six months = 50 a year, plus 25 monitored); "this leads to 807 etrap
//! social workers ... or 1 social worker per 7,476 population". Its table adds 90 + 27 + 122 + 59 + 136 other
//! posts: "Total: 1,241. This total equates to 1 social worker per 5,077 population by 2030". It does not
//! state the population it used. Working backwards:
//!
//! 1. **The population of the etrap line is about 6,033,000.** 807 × 7,476 = 6,033,132, and P ÷ 807 rounds
//!    to 7,476 only for 6,032,728.5 ≤ P < 6,033,535.5. (The seed's UN age table sums to 2,152,000 +
//!    3,390,000 + 489,000 = 6,031,000, which would give 1 per 7,473: close, but not the figure used.)
//! 2. **Exactly 1 in 6 cannot give 807.** 1/6 × 6% = 1%; 6,033,000 × 1% = 60,330 cases ÷ 75 = 804.4
//!    workers: 804 rounded to the nearest, 805 rounded up. To reach 807 with exactly 1% needs
//!    P > 6,045,000, and then P ÷ 807 ≥ 7,491, not 7,476.
//! 3. **"1 in 6" taken as 16.7%, rounded up, reproduces both figures.** 16.7% × 6% = 1.002%;
//!    6,033,000 × 1.002% = 60,450.66 cases ÷ 75 = 806.0088 workers, **rounded up: 807**; and
//!    6,033,000 ÷ 807 = 7,475.8 → **1 per 7,476**. Rounded to the nearest (or down) it would be 806, so the
//!    seeds rounded up, once, on the national figure. The window 806 < P × 1.002% ÷ 75 ≤ 807 is
//!    6,032,934 < P ≤ 6,040,419; with point 1 that leaves 6,032,935 ≤ P ≤ 6,033,535, and 6,033,000 is the
//!    only round thousand in it. [`RequirementInputs::seeds_2021`] therefore uses 6,033,000, 167/1000,
//!    6/100, 75 a year and [`Rounding::Up`] ([`SEEDS_ROUNDING`]).
//! 4. **1,241 = 807 + 434** (90 + 27 + 122 + 59 + 136), no rounding involved.
//! 5. **"1 per 5,077 by 2030" uses a 2030 population of about 6.3 million**, not the 6.03 million above:
//!    P ÷ 1,241 rounds to 5,077 only for 6,299,936.5 ≤ P < 6,301,177.5, and 6,300,000 ÷ 1,241 = 5,076.55
//!    → 5,077. (Against 6,033,000 the 1,241 posts would be 1 per 4,861.) The model keeps this second
//!    population apart, as the [`HorizonPopulation`].
//! 6. The "1 per N" ratios are rounded to the nearest person (7,475.8 → 7,476; 5,076.55 → 5,077; rounding
//!    up would give the same two figures, rounding down would not).
//!
//! Another reading also gives 807 and cannot be ruled out from the seed alone: exactly 1 in 6, with the
//! requirement worked out per velayat (five velayats and Ashgabat) and each rounded up; six round-ups add
//! about 3 on average to 804.4. The seed gives no velayat populations, so this cannot be checked; given
//! units, [`Requirement::etrap_workers_by_unit`] is exactly that computation.
//!
//! # National figure and per-unit figures
//!
//! The calculator reports both, because they answer different questions:
//!
//! - [`Requirement::etrap_workers_national`] is the seeds' way: add the unrounded need of every unit, then
//!   round once with the named [`RequirementInputs::national_rounding`]. It is the figure comparable with the
//!   seeds' 807 and with the national plan.
//! - [`UnitRequirement::workers`] rounds each unit **up**: a worker cannot be split between etraps, and an etrap
//!   with any need gets at least one. Their sum, [`Requirement::etrap_workers_by_unit`], is what hiring for every
//!   unit costs; it is at least the national figure (rounded up) and at most that plus one less than the number
//!   of units with need.

use serde::{Deserialize, Serialize};

/// How a fractional number of workers becomes a whole number. Named, because the choice changes the answer:
/// with the seeds' inputs the unrounded need is 806.0088 workers, which is 807 [`Up`](Rounding::Up) but 806
/// [`HalfUp`](Rounding::HalfUp) or [`Down`](Rounding::Down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Ceiling: any fraction of a caseload needs a whole worker. The seeds' rule.
    Up,
    /// To the nearest whole number, halves rounded up.
    HalfUp,
    /// Floor: only full caseloads count.
    Down,
}

/// The rounding the seeds used for the national number of etrap social workers (see the module docs, point 3).
pub const SEEDS_ROUNDING: Rounding = Rounding::Up;

impl Rounding {
    /// `numerator / denominator` rounded by this rule; `denominator` must not be 0.
    fn apply(self, numerator: u128, denominator: u128) -> u128 {
        let quotient = numerator / denominator;
        let remainder = numerator % denominator;
        let up = match self {
            Rounding::Up => remainder > 0,
            // remainder / denominator ≥ 1/2, written so that it cannot overflow.
            Rounding::HalfUp => remainder >= denominator - remainder,
            Rounding::Down => false,
        };
        quotient + u128::from(up)
    }
}

/// An exact share such as 1/6 or 6/100. Exact so that the seeds' arithmetic is reproduced to the person and
/// a figure that is exactly whole is not rounded up by floating-point error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fraction {
    pub numerator: u64,
    pub denominator: u64,
}

impl Fraction {
    pub const fn new(numerator: u64, denominator: u64) -> Self {
        Fraction {
            numerator,
            denominator,
        }
    }

    /// For display only; the model computes with the exact fraction.
    pub fn to_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    fn check_share(self, what: &'static str) -> Result<(), RequirementError> {
        if self.denominator == 0 || self.numerator > self.denominator {
            return Err(RequirementError::InvalidShare {
                what,
                numerator: self.numerator,
                denominator: self.denominator,
            });
        }
        Ok(())
    }
}

/// The caseload one etrap social worker carries, as the seeds define it: a number of cases supported
/// intensively for a few months (so the same slot serves 12 ÷ months cases a year) plus a number of cases
/// monitored with less intensity through the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseloadNorm {
    pub intensive_cases: u32,
    /// How long intensive support lasts, 1 to 12 months.
    pub intensive_months: u32,
    pub monitored_cases: u32,
}

impl CaseloadNorm {
    /// The seeds' norm: 25 intensive for 6 months (counted twice a year, 50) + 25 monitored = 75 a year.
    pub const SEEDS: CaseloadNorm = CaseloadNorm {
        intensive_cases: 25,
        intensive_months: 6,
        monitored_cases: 25,
    };

    /// Cases a year as an exact fraction `(numerator, denominator)`; `intensive_months` must be 1..=12.
    fn cases_per_year_exact(self) -> (u128, u128) {
        let months = u128::from(self.intensive_months);
        (
            u128::from(self.intensive_cases) * 12 + u128::from(self.monitored_cases) * months,
            months,
        )
    }

    /// Cases one worker handles in a year (75 for [`CaseloadNorm::SEEDS`]); 0 if the months are invalid.
    pub fn cases_per_year(self) -> f64 {
        if !(1..=12).contains(&self.intensive_months) {
            return 0.0;
        }
        let (n, d) = self.cases_per_year_exact();
        n as f64 / d as f64
    }

    fn check(self) -> Result<(), RequirementError> {
        if !(1..=12).contains(&self.intensive_months) {
            return Err(RequirementError::InvalidIntensiveMonths(
                self.intensive_months,
            ));
        }
        if self.cases_per_year_exact().0 == 0 {
            return Err(RequirementError::ZeroCaseload);
        }
        Ok(())
    }
}

/// A population at a later year, for the "1 per N by 2030" ratio of all posts (the seeds used about 6.3
/// million for 2030, against about 6.03 million for the etrap line; module docs, point 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HorizonPopulation {
    pub year: i32,
    pub population: u64,
}

/// Everything the calculator needs, as plain data (a planner can change any figure and see the effect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementInputs {
    /// Population per unit, as (unit code, population). One unit for the whole country, or one per velayat
    /// or etrap; each code once.
    pub population: Vec<(String, u64)>,
    /// Share of the population receiving benefits ("roughly 1 in 6"; the seeds' figures need 16.7%).
    pub benefit_share: Fraction,
    /// Share of benefit recipients needing urgent, critical intervention (6% in the seeds).
    pub urgent_share: Fraction,
    pub caseload: CaseloadNorm,
    /// The other staffing lines, as (name, number of social workers); each name once.
    pub other_lines: Vec<(String, u64)>,
    /// How the national number of etrap social workers is rounded ([`SEEDS_ROUNDING`] in the seeds).
    /// Per-unit figures are always rounded up (module docs).
    pub national_rounding: Rounding,
    /// Population at the planning horizon, for the "1 per N by 2030" ratio of all posts; `None` to use none.
    pub horizon: Option<HorizonPopulation>,
}

/// The population behind the seeds' etrap line, inferred (module docs, points 1 and 3).
pub const SEEDS_POPULATION_2021: u64 = 6_033_000;
/// The population behind the seeds' "1 per 5,077 by 2030", inferred (module docs, point 5).
pub const SEEDS_POPULATION_2030: u64 = 6_300_000;
/// The seeds' "roughly 1 in 6" receiving benefits, as the figures need it: 16.7% (module docs, points 2-3).
pub const SEEDS_BENEFIT_SHARE: Fraction = Fraction::new(167, 1000);
/// The seeds' 6% of benefit recipients needing urgent, critical intervention.
pub const SEEDS_URGENT_SHARE: Fraction = Fraction::new(6, 100);

/// The seeds' other staffing lines ("Looking forward: potential requirement for social workers, 2022-2030"):
/// - MLSP velayat centres: 90 = 15 in each of 6 centres (5 velayats and Ashgabat);
/// - MLSP residential institutions: 27 = 3 in each of 9 institutions for adults and infants;
/// - Ministry of Education: 122 = 3 in each of 17 children's institutions + 2 in each of 6
///   medical-pedagogical commissions + 1 per etrap (59) for special needs education;
/// - Ministry of Internal Affairs: 59 = 1 per etrap, for youth and groups at risk of domestic violence;
/// - other specialized services piloted in the Joint Programme: 136 = 100 for youth and children + 36 for
///   gender-based violence and reproductive health services.
pub const SEEDS_OTHER_LINES: [(&str, u64); 5] = [
    ("MLSP velayat centres", 90),
    ("MLSP residential institutions", 27),
    ("Ministry of Education", 122),
    ("Ministry of Internal Affairs", 59),
    ("Other specialized services", 136),
];

impl RequirementInputs {
    /// The seeds' inputs: one national unit `TM` of 6,033,000 people, 16.7% receiving benefits, 6% of them
    /// needing urgent intervention, 75 cases a year, the five other lines, rounded up, and 6.3 million people
    /// in 2030. Gives 807 etrap social workers (1 per 7,476) and 1,241 in all (1 per 5,077 by 2030).
    pub fn seeds_2021() -> Self {
        RequirementInputs {
            population: vec![("TM".to_string(), SEEDS_POPULATION_2021)],
            benefit_share: SEEDS_BENEFIT_SHARE,
            urgent_share: SEEDS_URGENT_SHARE,
            caseload: CaseloadNorm::SEEDS,
            other_lines: SEEDS_OTHER_LINES
                .iter()
                .map(|(name, n)| (name.to_string(), *n))
                .collect(),
            national_rounding: SEEDS_ROUNDING,
            horizon: Some(HorizonPopulation {
                year: 2030,
                population: SEEDS_POPULATION_2030,
            }),
        }
    }

    /// Same as [`requirement`].
    pub fn compute(&self) -> Result<Requirement, RequirementError> {
        requirement(self)
    }
}

/// The requirement for one unit. `workers` is rounded up: a unit with any need gets at least one worker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRequirement {
    pub code: String,
    pub population: u64,
    /// Urgent cases a year, unrounded.
    pub urgent_cases: f64,
    /// Etrap social workers, unrounded.
    pub workers_exact: f64,
    /// Etrap social workers, rounded up.
    pub workers: u64,
    /// Population ÷ `workers`, to the nearest person; `None` when no worker is needed.
    pub people_per_worker: Option<u64>,
}

/// The ratio of all posts to the horizon population ("1 per 5,077 by 2030").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HorizonRatio {
    pub year: i32,
    pub population: u64,
    /// Horizon population ÷ [`Requirement::total_national`], to the nearest person.
    pub people_per_worker: Option<u64>,
}

/// The calculator's answer. "National" figures are the seeds' way (one rounding of the national need);
/// "by unit" figures add up per-unit round-ups (module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub units: Vec<UnitRequirement>,
    /// Total population of the units.
    pub population: u64,
    /// Urgent cases a year in all units, unrounded (60,450.66 in the seeds).
    pub urgent_cases: f64,
    /// Etrap social workers in all units, unrounded (806.0088 in the seeds).
    pub etrap_workers_exact: f64,
    /// The rule used for [`Requirement::etrap_workers_national`].
    pub national_rounding: Rounding,
    /// Etrap social workers, the national need rounded once (807 in the seeds).
    pub etrap_workers_national: u64,
    /// Sum of the per-unit figures, each rounded up.
    pub etrap_workers_by_unit: u64,
    /// Population ÷ [`Requirement::etrap_workers_national`], to the nearest person (7,476 in the seeds).
    pub people_per_etrap_worker: Option<u64>,
    pub other_lines: Vec<(String, u64)>,
    /// Sum of the other lines (434 in the seeds).
    pub other_lines_total: u64,
    /// National etrap social workers + other lines (1,241 in the seeds).
    pub total_national: u64,
    /// Per-unit etrap social workers + other lines.
    pub total_by_unit: u64,
    /// Population ÷ [`Requirement::total_national`], to the nearest person (4,861 in the seeds).
    pub people_per_worker: Option<u64>,
    /// [`Requirement::total_national`] against the horizon population (1 per 5,077 by 2030 in the seeds).
    pub horizon: Option<HorizonRatio>,
}

/// Inputs the calculator refuses, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    #[error(
        "no population given: list at least one unit (the country, a velayat or an etrap) with its population"
    )]
    NoUnits,
    #[error("a unit in the population list has an empty code: give each unit its code, for example TM-A")]
    EmptyUnitCode,
    #[error("unit {0} is listed more than once in the population list: give each unit once")]
    DuplicateUnit(String),
    #[error(
        "{what} must be a fraction between 0 and 1 with a denominator above 0, got {numerator}/{denominator}"
    )]
    InvalidShare {
        what: &'static str,
        numerator: u64,
        denominator: u64,
    },
    #[error("intensive support in the caseload norm must last 1 to 12 months, got {0}")]
    InvalidIntensiveMonths(u32),
    #[error(
        "the caseload norm is zero cases a year: a social worker must carry at least one case"
    )]
    ZeroCaseload,
    #[error(
        "a staffing line has an empty name: name each line, for example \"MLSP velayat centres\""
    )]
    EmptyLineName,
    #[error("staffing line \"{0}\" is listed more than once: give each line once")]
    DuplicateLine(String),
    #[error(
        "the figures are too large to compute: check the populations, shares and staffing lines"
    )]
    TooLarge,
}

/// Population ÷ workers to the nearest person (halves up); `None` for no workers.
fn people_per(population: u64, workers: u64) -> Option<u64> {
    if workers == 0 {
        return None;
    }
    let rounded = Rounding::HalfUp.apply(u128::from(population), u128::from(workers));
    // rounded ≤ population + 1 ≤ u64::MAX + 1; saturate the one impossible-in-practice case.
    Some(u64::try_from(rounded).unwrap_or(u64::MAX))
}

fn ratio_f64(numerator: u128, denominator: u128) -> f64 {
    numerator as f64 / denominator as f64
}

/// Computes the requirement (see the module docs for the model and the seeds' rounding).
pub fn requirement(inputs: &RequirementInputs) -> Result<Requirement, RequirementError> {
    if inputs.population.is_empty() {
        return Err(RequirementError::NoUnits);
    }
    inputs
        .benefit_share
        .check_share("the share of the population receiving benefits")?;
    inputs
        .urgent_share
        .check_share("the share of benefit recipients needing urgent intervention")?;
    inputs.caseload.check()?;

    let mut seen_units = std::collections::BTreeSet::new();
    for (code, _) in &inputs.population {
        if code.trim().is_empty() {
            return Err(RequirementError::EmptyUnitCode);
        }
        if !seen_units.insert(code.as_str()) {
            return Err(RequirementError::DuplicateUnit(code.clone()));
        }
    }
    let mut seen_lines = std::collections::BTreeSet::new();
    for (name, _) in &inputs.other_lines {
        if name.trim().is_empty() {
            return Err(RequirementError::EmptyLineName);
        }
        if !seen_lines.insert(name.as_str()) {
            return Err(RequirementError::DuplicateLine(name.clone()));
        }
    }

    let b = inputs.benefit_share;
    let u = inputs.urgent_share;
    let (cases_num, cases_den) = inputs.caseload.cases_per_year_exact();
    let too_large = || RequirementError::TooLarge;
    // urgent cases = population × share_num / share_den
    let share_num = u128::from(b.numerator) * u128::from(u.numerator);
    let share_den = u128::from(b.denominator) * u128::from(u.denominator);
    // workers = population × worker_num / worker_den = urgent cases × cases_den / cases_num
    let worker_num = share_num.checked_mul(cases_den).ok_or_else(too_large)?;
    let worker_den = share_den.checked_mul(cases_num).ok_or_else(too_large)?;

    let mut units = Vec::with_capacity(inputs.population.len());
    let mut population: u64 = 0;
    let mut by_unit: u64 = 0;
    for (code, unit_population) in &inputs.population {
        let p = u128::from(*unit_population);
        population = population
            .checked_add(*unit_population)
            .ok_or_else(too_large)?;
        let cases = p.checked_mul(share_num).ok_or_else(too_large)?;
        let workers_scaled = p.checked_mul(worker_num).ok_or_else(too_large)?;
        let workers = u64::try_from(Rounding::Up.apply(workers_scaled, worker_den))
            .map_err(|_| too_large())?;
        by_unit = by_unit.checked_add(workers).ok_or_else(too_large)?;
        units.push(UnitRequirement {
            code: code.clone(),
            population: *unit_population,
            urgent_cases: ratio_f64(cases, share_den),
            workers_exact: ratio_f64(workers_scaled, worker_den),
            workers,
            people_per_worker: people_per(*unit_population, workers),
        });
    }

    // The seeds' way: one rounding of the exact national need (the sum of the exact unit needs).
    let p = u128::from(population);
    let cases = p.checked_mul(share_num).ok_or_else(too_large)?;
    let workers_scaled = p.checked_mul(worker_num).ok_or_else(too_large)?;
    let national = u64::try_from(inputs.national_rounding.apply(workers_scaled, worker_den))
        .map_err(|_| too_large())?;

    let mut other_lines_total: u64 = 0;
    for (_, count) in &inputs.other_lines {
        other_lines_total = other_lines_total
            .checked_add(*count)
            .ok_or_else(too_large)?;
    }
    let total_national = national
        .checked_add(other_lines_total)
        .ok_or_else(too_large)?;
    let total_by_unit = by_unit
        .checked_add(other_lines_total)
        .ok_or_else(too_large)?;

    Ok(Requirement {
        units,
        population,
        urgent_cases: ratio_f64(cases, share_den),
        etrap_workers_exact: ratio_f64(workers_scaled, worker_den),
        national_rounding: inputs.national_rounding,
        etrap_workers_national: national,
        etrap_workers_by_unit: by_unit,
        people_per_etrap_worker: people_per(population, national),
        other_lines: inputs.other_lines.clone(),
        other_lines_total,
        total_national,
        total_by_unit,
        people_per_worker: people_per(population, total_national),
        horizon: inputs.horizon.map(|h| HorizonRatio {
            year: h.year,
            population: h.population,
            people_per_worker: people_per(h.population, total_national),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds() -> Requirement {
        requirement(&RequirementInputs::seeds_2021()).expect("the seeds' inputs are valid")
    }

    fn national(population: u64) -> RequirementInputs {
        RequirementInputs {
            population: vec![("TM".to_string(), population)],
            ..RequirementInputs::seeds_2021()
        }
    }

    #[test]
    fn seeds_reproduce_807_etrap_social_workers_one_per_7476() {
        let r = seeds();
        assert_eq!(r.population, 6_033_000);
        assert_eq!(r.etrap_workers_national, 807);
        assert_eq!(r.people_per_etrap_worker, Some(7_476));
    }

    #[test]
    fn seeds_reproduce_1241_in_all_one_per_5077_by_2030() {
        let r = seeds();
        assert_eq!(r.other_lines_total, 434);
        assert_eq!(r.total_national, 1_241);
        let h = r.horizon.expect("the seeds give a 2030 population");
        assert_eq!(h.year, 2030);
        assert_eq!(h.people_per_worker, Some(5_077));
        // Against the 2021 population the same posts are 1 per 4,861 (module docs, point 5).
        assert_eq!(r.people_per_worker, Some(4_861));
    }

    #[test]
    fn seeds_unrounded_figures_match_the_documented_arithmetic() {
        let r = seeds();
        // 6,033,000 × 0.167 × 0.06 = 60,450.66 cases; ÷ 75 = 806.0088 workers.
        assert!(
            (r.urgent_cases - 60_450.66).abs() < 1e-6,
            "{}",
            r.urgent_cases
        );
        assert!((r.etrap_workers_exact - 806.0088).abs() < 1e-9);
        assert_eq!(r.units.len(), 1);
        assert_eq!(r.units[0].workers, 807);
        assert_eq!(r.etrap_workers_by_unit, 807);
        assert_eq!(r.total_by_unit, 1_241);
    }

    #[test]
    fn the_seeds_rounded_up_nearest_or_down_would_give_806() {
        for (rule, expected) in [
            (Rounding::Up, 807),
            (Rounding::HalfUp, 806),
            (Rounding::Down, 806),
        ] {
            let inputs = RequirementInputs {
                national_rounding: rule,
                ..RequirementInputs::seeds_2021()
            };
            assert_eq!(
                requirement(&inputs).unwrap().etrap_workers_national,
                expected,
                "{rule:?}"
            );
        }
        assert_eq!(SEEDS_ROUNDING, Rounding::Up);
    }

    #[test]
    fn exactly_one_in_six_cannot_reproduce_807_with_6_03_million() {
        let inputs = RequirementInputs {
            benefit_share: Fraction::new(1, 6),
            ..RequirementInputs::seeds_2021()
        };
        let r = requirement(&inputs).unwrap();
        assert!((r.urgent_cases - 60_330.0).abs() < 1e-9);
        assert_eq!(r.etrap_workers_national, 805); // 804.4 rounded up
                                                   // Exactly 1% needs more than 6,045,000 people for 807 rounded up ...
        let mut at = RequirementInputs {
            population: vec![("TM".into(), 6_045_000)],
            ..inputs.clone()
        };
        assert_eq!(requirement(&at).unwrap().etrap_workers_national, 806);
        at.population[0].1 = 6_045_001;
        let r = requirement(&at).unwrap();
        assert_eq!(r.etrap_workers_national, 807);
        // ... and then the ratio is 1 per 7,491, not 7,476.
        assert_eq!(r.people_per_etrap_worker, Some(7_491));
    }

    #[test]
    fn the_un_age_table_population_gives_806_so_it_was_not_the_figure_used() {
        // 2,152,000 + 3,390,000 + 489,000 = 6,031,000; × 1.002% ÷ 75 = 805.74 → 806, 1 per 7,483.
        let r = requirement(&national(2_152_000 + 3_390_000 + 489_000)).unwrap();
        assert_eq!(r.etrap_workers_national, 806);
        assert_eq!(r.people_per_etrap_worker, Some(7_483));
    }

    #[test]
    fn the_window_of_populations_consistent_with_the_seeds_is_as_documented() {
        let fits = |p: u64| {
            let r = requirement(&national(p)).unwrap();
            r.etrap_workers_national == 807 && r.people_per_etrap_worker == Some(7_476)
        };
        assert!(!fits(6_032_934));
        assert!(fits(6_032_935));
        assert!(fits(6_033_535));
        assert!(!fits(6_033_536));
        let round_thousands: Vec<u64> = (6_000..6_100)
            .map(|k| k * 1_000)
            .filter(|p| fits(*p))
            .collect();
        assert_eq!(round_thousands, vec![6_033_000]);
    }

    #[test]
    fn the_2030_population_window_is_as_documented() {
        let ratio = |p: u64| people_per(p, 1_241);
        assert_eq!(ratio(6_299_936), Some(5_076));
        assert_eq!(ratio(6_299_937), Some(5_077));
        assert_eq!(ratio(6_301_177), Some(5_077));
        assert_eq!(ratio(6_301_178), Some(5_078));
        assert_eq!(ratio(SEEDS_POPULATION_2030), Some(5_077));
    }

    #[test]
    fn seeds_other_lines_follow_their_stated_derivations() {
        let etraps = 59;
        let lines: std::collections::BTreeMap<&str, u64> =
            SEEDS_OTHER_LINES.iter().copied().collect();
        assert_eq!(lines["MLSP velayat centres"], 15 * 6);
        assert_eq!(lines["MLSP residential institutions"], 3 * 9);
        assert_eq!(lines["Ministry of Education"], 3 * 17 + 2 * 6 + etraps);
        assert_eq!(lines["Ministry of Internal Affairs"], etraps);
        assert_eq!(lines["Other specialized services"], 100 + 36);
        assert_eq!(lines.values().sum::<u64>(), 434);
    }

    #[test]
    fn caseload_norm_is_75_a_year() {
        assert_eq!(CaseloadNorm::SEEDS.cases_per_year(), 75.0);
        let quarterly = CaseloadNorm {
            intensive_cases: 10,
            intensive_months: 3,
            monitored_cases: 5,
        };
        assert_eq!(quarterly.cases_per_year(), 45.0);
        let odd = CaseloadNorm {
            intensive_cases: 7,
            intensive_months: 5,
            monitored_cases: 0,
        };
        assert!((odd.cases_per_year() - 16.8).abs() < 1e-12);
        let invalid = CaseloadNorm {
            intensive_months: 0,
            ..CaseloadNorm::SEEDS
        };
        assert_eq!(invalid.cases_per_year(), 0.0);
    }

    #[test]
    fn fractional_caseload_is_exact() {
        // 7 intensive cases for 5 months = 16.8 cases a year; 84 cases need exactly 5 workers.
        let inputs = RequirementInputs {
            population: vec![("X".into(), 84)],
            benefit_share: Fraction::new(1, 1),
            urgent_share: Fraction::new(1, 1),
            caseload: CaseloadNorm {
                intensive_cases: 7,
                intensive_months: 5,
                monitored_cases: 0,
            },
            other_lines: vec![],
            national_rounding: Rounding::Up,
            horizon: None,
        };
        let r = requirement(&inputs).unwrap();
        assert_eq!(r.etrap_workers_national, 5);
        assert_eq!(r.units[0].workers, 5);
    }

    #[test]
    fn exactly_whole_need_is_not_rounded_up() {
        // 1% of 7,500 people = 75 cases = exactly one caseload.
        let inputs = RequirementInputs {
            population: vec![("A".into(), 7_500), ("B".into(), 15_000)],
            benefit_share: Fraction::new(1, 6),
            horizon: None,
            ..RequirementInputs::seeds_2021()
        };
        let r = requirement(&inputs).unwrap();
        assert_eq!(r.units[0].workers, 1);
        assert_eq!(r.units[1].workers, 2);
        assert_eq!(r.etrap_workers_national, 3);
        assert_eq!(r.etrap_workers_by_unit, 3);
        assert_eq!(r.people_per_etrap_worker, Some(7_500));
        assert_eq!(r.total_national, 3 + 434);
        assert_eq!(r.horizon, None);
    }

    #[test]
    fn any_need_in_a_unit_gets_at_least_one_worker() {
        let inputs = RequirementInputs {
            population: vec![("tiny".into(), 1), ("empty".into(), 0)],
            other_lines: vec![],
            ..RequirementInputs::seeds_2021()
        };
        let r = requirement(&inputs).unwrap();
        assert_eq!(r.units[0].workers, 1);
        assert_eq!(r.units[0].people_per_worker, Some(1));
        assert_eq!(r.units[1].workers, 0);
        assert_eq!(r.units[1].people_per_worker, None);
        assert_eq!(r.units[1].urgent_cases, 0.0);
        assert_eq!(r.etrap_workers_by_unit, 1);
        // Nationally 1 person is a tiny fraction of a caseload: 1 up, 0 to the nearest.
        assert_eq!(r.etrap_workers_national, 1);
        let nearest = RequirementInputs {
            national_rounding: Rounding::HalfUp,
            ..inputs
        };
        let r = requirement(&nearest).unwrap();
        assert_eq!(r.etrap_workers_national, 0);
        assert_eq!(r.people_per_etrap_worker, None);
        assert_eq!(r.total_national, 0);
        assert_eq!(r.people_per_worker, None);
        assert_eq!(r.horizon.unwrap().people_per_worker, None);
    }

    #[test]
    fn per_unit_figures_round_up_and_bound_the_national_figure() {
        // The 2022 census velayat populations (shared/data/admin_units.csv), with the seeds' shares.
        let velayats = [
            ("TM-S", 1_030_063),
            ("TM-A", 886_845),
            ("TM-B", 529_895),
            ("TM-D", 1_550_354),
            ("TM-L", 1_447_298),
            ("TM-M", 1_613_386),
        ];
        let inputs = RequirementInputs {
            population: velayats.iter().map(|(c, p)| (c.to_string(), *p)).collect(),
            ..RequirementInputs::seeds_2021()
        };
        let r = requirement(&inputs).unwrap();
        assert_eq!(r.population, 7_057_841);
        for unit in &r.units {
            assert_eq!(
                unit.workers,
                unit.workers_exact.ceil() as u64,
                "{}",
                unit.code
            );
        }
        let sum_exact: f64 = r.units.iter().map(|u| u.workers_exact).sum();
        assert!((sum_exact - r.etrap_workers_exact).abs() < 1e-9);
        assert!(r.etrap_workers_by_unit >= r.etrap_workers_national);
        assert!(r.etrap_workers_by_unit < r.etrap_workers_national + 6);
        assert_eq!(r.total_by_unit, r.etrap_workers_by_unit + 434);
    }

    #[test]
    fn rounding_rules_on_a_grid() {
        for den in 1u128..=12 {
            for num in 0u128..=60 {
                let exact = num as f64 / den as f64;
                assert_eq!(Rounding::Up.apply(num, den) as f64, exact.ceil());
                assert_eq!(Rounding::Down.apply(num, den) as f64, exact.floor());
                // halves round up (f64::round rounds halves away from zero; all values here are ≥ 0)
                assert_eq!(Rounding::HalfUp.apply(num, den) as f64, exact.round());
            }
        }
        assert_eq!(Rounding::HalfUp.apply(u128::MAX, u128::MAX), 1);
        assert_eq!(Rounding::Up.apply(u128::MAX, 2), u128::MAX / 2 + 1);
    }

    #[test]
    fn property_grid_of_populations_and_shares() {
        // Deterministic LCG: population lists, shares and caseloads from a fixed seed.
        let mut state: u64 = 0x2021_0807_1241;
        let mut next = |bound: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % bound
        };
        for _ in 0..300 {
            let units = 1 + next(8) as usize;
            let population: Vec<(String, u64)> = (0..units)
                .map(|i| (format!("U{i}"), next(2_000_000)))
                .collect();
            let inputs = RequirementInputs {
                population,
                benefit_share: Fraction::new(next(7), 6),
                urgent_share: Fraction::new(next(101), 100),
                caseload: CaseloadNorm {
                    intensive_cases: 1 + next(40) as u32,
                    intensive_months: 1 + next(12) as u32,
                    monitored_cases: next(40) as u32,
                },
                other_lines: vec![("a".into(), next(100)), ("b".into(), next(100))],
                national_rounding: [Rounding::Up, Rounding::HalfUp, Rounding::Down]
                    [next(3) as usize],
                horizon: None,
            };
            let r = requirement(&inputs).unwrap();
            let n = r.etrap_workers_national as f64;
            let x = r.etrap_workers_exact;
            assert!(n >= x.floor() - 1e-6 && n <= x.ceil() + 1e-6);
            let ceil_national = requirement(&RequirementInputs {
                national_rounding: Rounding::Up,
                ..inputs.clone()
            })
            .unwrap()
            .etrap_workers_national;
            let needy = r.units.iter().filter(|u| u.workers > 0).count() as u64;
            assert!(r.etrap_workers_by_unit >= ceil_national);
            assert!(r.etrap_workers_by_unit <= ceil_national + needy.saturating_sub(1));
            assert_eq!(
                r.etrap_workers_by_unit,
                r.units.iter().map(|u| u.workers).sum::<u64>()
            );
            assert_eq!(
                r.total_national,
                r.etrap_workers_national + r.other_lines_total
            );
            for u in &r.units {
                assert_eq!(u.workers > 0, u.workers_exact > 0.0);
                assert!(u.workers as f64 >= u.workers_exact - 1e-9);
                assert!((u.workers as f64) < u.workers_exact + 1.0);
            }
        }
    }

    #[test]
    fn refuses_bad_inputs_with_clear_errors() {
        let base = RequirementInputs::seeds_2021();
        let err = |inputs: RequirementInputs| requirement(&inputs).unwrap_err();

        let e = err(RequirementInputs {
            population: vec![],
            ..base.clone()
        });
        assert_eq!(e, RequirementError::NoUnits);
        assert!(e.to_string().contains("at least one unit"));

        let e = err(RequirementInputs {
            population: vec![(" ".into(), 5)],
            ..base.clone()
        });
        assert_eq!(e, RequirementError::EmptyUnitCode);

        let e = err(RequirementInputs {
            population: vec![("TM-A".into(), 5), ("TM-A".into(), 6)],
            ..base.clone()
        });
        assert_eq!(e, RequirementError::DuplicateUnit("TM-A".into()));
        assert!(e.to_string().contains("TM-A is listed more than once"));

        let e = err(RequirementInputs {
            benefit_share: Fraction::new(1, 0),
            ..base.clone()
        });
        assert_eq!(
            e.to_string(),
            "the share of the population receiving benefits must be a fraction between 0 and 1 \
             with a denominator above 0, got 1/0"
        );
        let e = err(RequirementInputs {
            urgent_share: Fraction::new(7, 6),
            ..base.clone()
        });
        assert!(matches!(
            e,
            RequirementError::InvalidShare {
                numerator: 7,
                denominator: 6,
                ..
            }
        ));
        assert!(e.to_string().contains("benefit recipients needing urgent"));

        let e = err(RequirementInputs {
            caseload: CaseloadNorm {
                intensive_months: 13,
                ..CaseloadNorm::SEEDS
            },
            ..base.clone()
        });
        assert_eq!(e, RequirementError::InvalidIntensiveMonths(13));
        assert!(e.to_string().contains("1 to 12 months, got 13"));

        let e = err(RequirementInputs {
            caseload: CaseloadNorm {
                intensive_cases: 0,
                intensive_months: 6,
                monitored_cases: 0,
            },
            ..base.clone()
        });
        assert_eq!(e, RequirementError::ZeroCaseload);

        let e = err(RequirementInputs {
            other_lines: vec![("".into(), 1)],
            ..base.clone()
        });
        assert_eq!(e, RequirementError::EmptyLineName);

        let e = err(RequirementInputs {
            other_lines: vec![("x".into(), 1), ("x".into(), 2)],
            ..base.clone()
        });
        assert_eq!(e, RequirementError::DuplicateLine("x".into()));

        let e = err(RequirementInputs {
            population: vec![("A".into(), u64::MAX), ("B".into(), 1)],
            ..base.clone()
        });
        assert_eq!(e, RequirementError::TooLarge);
        let e = err(RequirementInputs {
            benefit_share: Fraction::new(u64::MAX, u64::MAX),
            urgent_share: Fraction::new(u64::MAX, u64::MAX),
            ..base.clone()
        });
        assert_eq!(e, RequirementError::TooLarge);
        let e = err(RequirementInputs {
            other_lines: vec![("a".into(), u64::MAX), ("b".into(), 1)],
            ..base
        });
        assert_eq!(e, RequirementError::TooLarge);
    }

    #[test]
    fn inputs_round_trip_through_toml() {
        let inputs = RequirementInputs::seeds_2021();
        let text = toml::to_string(&inputs).expect("serialises");
        let back: RequirementInputs = toml::from_str(&text).expect("parses");
        assert_eq!(back, inputs);
        assert_eq!(back.compute().unwrap().etrap_workers_national, 807);
    }
}
