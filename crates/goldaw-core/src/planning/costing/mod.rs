//! What services cost: unit costs, cost per user and per episode, community against residential care, and the
//! budget needed to reach a coverage target.
//!
//! # The model
//!
//! The cost model is data ([`CostModel`], read from TOML with [`CostModel::from_toml`]; the shipped defaults are
//! `reference/costing.toml`, [`SHIPPED_COSTING_TOML`]). For each service:
//!
//! ```text
//! staff cost per unit = staff_hours_per_unit × salary_per_month ÷ working_hours_per_month
//! unit cost           = staff cost per unit × (1 + overhead_share) + transport_per_unit + materials_per_unit
//! cost per user-year  = unit cost × units_per_user_year        (also the cost of one place for a year)
//! ```
//!
//! Residential care (`RES_CARE`) is costed per person-year directly; its cost per bed-night is that ÷ 365.
//!
//! From delivered units ([`delivered_costs`]): cost = units × unit cost; cost per user = cost ÷ users; cost per
//! episode = cost ÷ episodes.
//!
//! # The budget to reach a coverage target ([`budget_by_year`])
//!
//! ```text
//! coverage(y)      = start + (target − start) × (y − from) ÷ (to − from)   (a linear ramp; = target if from = to)
//! users(y)         = population × coverage(y), rounded to the nearest person (halves up)
//! cost per user    = Σ over the mix: share of users receiving the service × units per user × unit cost
//! budget(y)        = users(y) × cost per user
//! ```
//!
//! Assumptions, stated so a planner can disagree with them: the population is constant over the ramp (pass the
//! population of the target year to be prudent); coverage grows by the same number of percentage points each year;
//! prices are constant (the model's `price_year`; no inflation); every user of the year is served for the whole year.
//!
//! # Money
//!
//! Rates and amounts are `f64` manat inside the model and are **rounded to the tiyn (2 decimals) only at output**
//! ([`round_money`], [`render_unit_costs_csv`], [`render_budget_csv`]), so rounding never compounds. Where money is
//! compared against a budget and must never exceed it (the optimiser), it is converted once to whole tiyn
//! ([`to_tiyn`]) and added up exactly in integers.

mod budget;
mod delivered;
mod file;
mod model;
mod money;
#[cfg(test)]
mod tests;

pub use budget::{
    budget_by_year, BudgetInputs, BudgetYear, SEEDS_BASIC_COVERAGE, SEEDS_PILOT_COVERAGE,
};
pub use delivered::{
    community_vs_residential, delivered_costs, CommunityVsResidential, DeliveredCost, Delivery,
    UnitCost,
};
pub use file::CostingError;
pub use model::{
    CostModel, ResidentialCost, ServiceCost, BED_NIGHTS_PER_YEAR, BUDGET_CSV_HEADER,
    MAX_BUDGET_YEARS, SHIPPED_COSTING_NAME, SHIPPED_COSTING_TOML, UNIT_COSTS_CSV_HEADER,
};
pub use money::{render_budget_csv, render_unit_costs_csv, round_money, to_tiyn, Money};
