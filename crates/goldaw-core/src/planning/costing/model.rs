//! The cost model: what each service's unit costs and how residential care is costed, with the
//! unit costs and costs per place and per user derived from it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::delivered::UnitCost;
use super::file::CostingError;

/// The shipped cost model, `reference/costing.toml` (every money figure in it is composed: see its header).
pub const SHIPPED_COSTING_TOML: &str = include_str!("../../../../../reference/costing.toml");

/// The name [`CostModel::shipped`] gives the built-in file in its errors.
pub const SHIPPED_COSTING_NAME: &str = "reference/costing.toml";

/// The first line of [`render_unit_costs_csv`]'s output.
pub const UNIT_COSTS_CSV_HEADER: &str = "service,unit,unit_cost";

/// The first line of [`render_budget_csv`]'s output.
pub const BUDGET_CSV_HEADER: &str = "year,users,budget";

/// Days in a person-year of residential care, to turn its cost per person-year into a cost per bed-night.
pub const BED_NIGHTS_PER_YEAR: f64 = 365.0;

/// The longest ramp [`budget_by_year`] computes, in years; guards against a mistyped year.
pub const MAX_BUDGET_YEARS: i64 = 200;

/// How one service's unit is costed. All amounts in the model's currency at its `price_year`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceCost {
    /// The unit of service, as in `reference/services.csv` (`hour`, `visit`, `day`, `session`, `bed_night`, `call`).
    pub unit: String,
    /// Staff hours one unit takes, including travel and records.
    pub staff_hours_per_unit: f64,
    /// Employer's full monthly cost of the post (salary norm and contributions).
    pub salary_per_month: f64,
    /// Working hours in a month of that post.
    pub working_hours_per_month: f64,
    /// Management, supervision, premises and administration, as a share of the staff cost (0.25 = 25%).
    pub overhead_share: f64,
    pub transport_per_unit: f64,
    pub materials_per_unit: f64,
    /// Units one user typically receives in a year; a place is one user served for a year.
    pub units_per_user_year: f64,
    /// Where the figures come from (a seed, a norm, or "composed: a placeholder to revise").
    pub source: String,
}

impl ServiceCost {
    /// Staff cost of one unit: staff hours × (salary per month ÷ working hours per month).
    pub fn staff_cost_per_unit(&self) -> f64 {
        self.staff_hours_per_unit * self.salary_per_month / self.working_hours_per_month
    }

    /// Overhead of one unit: overhead share × staff cost.
    pub fn overhead_per_unit(&self) -> f64 {
        self.overhead_share * self.staff_cost_per_unit()
    }

    /// Full cost of one unit: staff + overhead + transport + materials.
    pub fn unit_cost(&self) -> f64 {
        self.staff_cost_per_unit()
            + self.overhead_per_unit()
            + self.transport_per_unit
            + self.materials_per_unit
    }

    /// Cost of serving one user for a year (= one place for a year): unit cost × units per user-year.
    pub fn cost_per_user_year(&self) -> f64 {
        self.unit_cost() * self.units_per_user_year
    }
}

/// Residential (alternative) care, costed per person-year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResidentialCost {
    /// Its service code (`RES_CARE`).
    pub service: String,
    pub cost_per_person_year: f64,
    pub source: String,
}

/// The cost model: unit costs of community services, residential care, and the budget mix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostModel {
    /// Currency code of every amount (`TMT`).
    pub currency: String,
    /// The year whose prices the amounts are.
    pub price_year: i32,
    /// Service code → how its unit is costed.
    pub services: BTreeMap<String, ServiceCost>,
    pub residential: ResidentialCost,
    /// Service code → share of service users receiving that service in a year (the budget mix).
    pub mix: BTreeMap<String, f64>,
}

impl CostModel {
    /// The shipped model, `reference/costing.toml`. Only fails if that file was edited into an invalid one
    /// before the build (a test guards it).
    pub fn shipped() -> Result<CostModel, CostingError> {
        CostModel::from_toml(SHIPPED_COSTING_TOML, SHIPPED_COSTING_NAME)
    }

    /// The unit cost of a service: [`ServiceCost::unit_cost`], or for residential care its cost per bed-night.
    pub fn unit_cost(&self, service: &str) -> Option<f64> {
        if service == self.residential.service {
            return Some(self.residential.cost_per_person_year / BED_NIGHTS_PER_YEAR);
        }
        self.services.get(service).map(ServiceCost::unit_cost)
    }

    /// The cost of one place for a year (one user served for a year): [`ServiceCost::cost_per_user_year`], or for
    /// residential care its cost per person-year.
    pub fn cost_per_place_year(&self, service: &str) -> Option<f64> {
        if service == self.residential.service {
            return Some(self.residential.cost_per_person_year);
        }
        self.services
            .get(service)
            .map(ServiceCost::cost_per_user_year)
    }

    /// Unit costs of every service, community services in code order, then residential care (per bed-night).
    pub fn unit_costs(&self) -> Vec<UnitCost> {
        let mut rows: Vec<UnitCost> = self
            .services
            .iter()
            .map(|(code, s)| UnitCost {
                service: code.clone(),
                unit: s.unit.clone(),
                staff: s.staff_cost_per_unit(),
                overhead: s.overhead_per_unit(),
                transport: s.transport_per_unit,
                materials: s.materials_per_unit,
                unit_cost: s.unit_cost(),
            })
            .collect();
        let per_night = self.residential.cost_per_person_year / BED_NIGHTS_PER_YEAR;
        rows.push(UnitCost {
            service: self.residential.service.clone(),
            unit: "bed_night".to_string(),
            staff: 0.0,
            overhead: 0.0,
            transport: 0.0,
            materials: 0.0,
            unit_cost: per_night,
        });
        rows
    }

    /// The cost of serving one user for a year under the model's budget mix: Σ share × units per user-year × unit
    /// cost (residential care in the mix counts share × cost per person-year).
    pub fn cost_per_user_year_of_mix(&self) -> f64 {
        self.mix
            .iter()
            .map(|(code, share)| share * self.cost_per_place_year(code).unwrap_or(0.0))
            .sum()
    }
}
