//! The budget needed, year by year, to reach a coverage target (a linear ramp of coverage).

use serde::Serialize;

use super::file::CostingError;
use super::model::{CostModel, MAX_BUDGET_YEARS};

/// What [`budget_by_year`] needs. Coverage is a share of the population (0.001 = 0.1%).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetInputs {
    pub population: u64,
    /// Coverage in `from_year` (the seeds: 0.0002 = 0.02% after the pilots).
    pub start_coverage: f64,
    /// Coverage to reach in `to_year` (the seeds: 0.001 = 0.1% for basic coverage).
    pub target_coverage: f64,
    pub from_year: i32,
    pub to_year: i32,
}

/// The seeds' coverage after the pilots, 0.02% (seed 002).
pub const SEEDS_PILOT_COVERAGE: f64 = 0.0002;
/// The seeds' coverage for basic needs, 0.1% (seed 002).
pub const SEEDS_BASIC_COVERAGE: f64 = 0.001;

/// One year of the budget ramp. `budget` is unrounded (round only at output).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetYear {
    pub year: i32,
    pub coverage: f64,
    /// Service users to serve this year, whole people.
    pub users: u64,
    pub cost_per_user: f64,
    pub budget: f64,
}

/// The budget needed each year from `from_year` to `to_year` to ramp coverage linearly from the start to the
/// target (module docs, "The budget").
pub fn budget_by_year(
    model: &CostModel,
    inputs: &BudgetInputs,
) -> Result<Vec<BudgetYear>, CostingError> {
    for (name, c) in [
        ("start coverage", inputs.start_coverage),
        ("target coverage", inputs.target_coverage),
    ] {
        if !(0.0..=1.0).contains(&c) {
            return Err(CostingError::Budget(format!(
                "the {name} must be a share between 0 and 1 (0.001 = 0.1%), got {c}"
            )));
        }
    }
    if inputs.to_year < inputs.from_year {
        return Err(CostingError::Budget(format!(
            "the last year {} is before the first year {}",
            inputs.to_year, inputs.from_year
        )));
    }
    let span = i64::from(inputs.to_year) - i64::from(inputs.from_year);
    if span > MAX_BUDGET_YEARS {
        return Err(CostingError::Budget(format!(
            "{} to {} is longer than {MAX_BUDGET_YEARS} years",
            inputs.from_year, inputs.to_year
        )));
    }
    if model.mix.is_empty() {
        return Err(CostingError::Budget(
            "the cost model has no [mix]: say which services a user receives".to_string(),
        ));
    }
    let cost_per_user = model.cost_per_user_year_of_mix();
    let rows = (inputs.from_year..=inputs.to_year)
        .map(|year| {
            let coverage = if span == 0 {
                inputs.target_coverage
            } else {
                let step = (i64::from(year) - i64::from(inputs.from_year)) as f64 / span as f64;
                inputs.start_coverage + (inputs.target_coverage - inputs.start_coverage) * step
            };
            // Halves up; coverage ≤ 1 so this fits the population's u64.
            let users = (inputs.population as f64 * coverage + 0.5).floor() as u64;
            BudgetYear {
                year,
                coverage,
                users,
                cost_per_user,
                budget: users as f64 * cost_per_user,
            }
        })
        .collect();
    Ok(rows)
}
