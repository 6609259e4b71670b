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

use std::collections::BTreeMap;
use std::fmt;

use crate::spreadsheet::{Cell, SpreadsheetCsv};
use serde::Serialize;

/// The shipped cost model, `reference/costing.toml` (every money figure in it is composed: see its header).
pub const SHIPPED_COSTING_TOML: &str = include_str!("../../../../reference/costing.toml");

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

/// A cost model, delivery figures or budget request the model refuses, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostingError {
    /// The file is not valid TOML.
    #[error("{file}{}: {message}", at_line(.line))]
    Toml {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// A key is missing, unknown, of the wrong type or out of range.
    #[error("{file}: {key}: {why}")]
    Invalid {
        file: String,
        key: String,
        why: String,
    },
    /// A service code the model does not cost.
    #[error("service {service} is not in the cost model{}; add a [services.{service}] table to the model", context_suffix(.context))]
    UnknownService { service: String, context: String },
    /// A budget request that cannot be computed.
    #[error("budget: {0}")]
    Budget(String),
}

fn at_line(line: &Option<usize>) -> String {
    match line {
        Some(l) => format!(", line {l}"),
        None => String::new(),
    }
}

fn context_suffix(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!(" ({context})")
    }
}

/// Reads keys from a TOML table and names the file and the key in every refusal.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn invalid(&self, key: &str, why: impl Into<String>) -> CostingError {
        CostingError::Invalid {
            file: self.file.to_string(),
            key: key.to_string(),
            why: why.into(),
        }
    }

    fn only_keys(
        &self,
        table: &toml::Table,
        path: &str,
        allowed: &[&str],
    ) -> Result<(), CostingError> {
        for key in table.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(self.invalid(
                    &join(path, key),
                    format!("unknown key (expected one of: {})", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn value<'t>(
        &self,
        table: &'t toml::Table,
        path: &str,
        key: &str,
    ) -> Result<&'t toml::Value, CostingError> {
        table
            .get(key)
            .ok_or_else(|| self.invalid(&join(path, key), "missing"))
    }

    fn table<'t>(
        &self,
        table: &'t toml::Table,
        path: &str,
        key: &str,
    ) -> Result<&'t toml::Table, CostingError> {
        match self.value(table, path, key)? {
            toml::Value::Table(t) => Ok(t),
            other => Err(self.invalid(
                &join(path, key),
                format!("expected a table, got {}", kind(other)),
            )),
        }
    }

    fn string(&self, table: &toml::Table, path: &str, key: &str) -> Result<String, CostingError> {
        match self.value(table, path, key)? {
            toml::Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            toml::Value::String(_) => Err(self.invalid(&join(path, key), "must not be empty")),
            other => Err(self.invalid(
                &join(path, key),
                format!("expected text in quotes, got {}", kind(other)),
            )),
        }
    }

    fn optional_string(
        &self,
        table: &toml::Table,
        path: &str,
        key: &str,
    ) -> Result<String, CostingError> {
        if table.contains_key(key) {
            self.string(table, path, key)
        } else {
            Ok(String::new())
        }
    }

    fn number(&self, value: &toml::Value, key: &str) -> Result<f64, CostingError> {
        let x = match value {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) => *f,
            other => {
                return Err(self.invalid(key, format!("expected a number, got {}", kind(other))))
            }
        };
        if !x.is_finite() {
            return Err(self.invalid(key, format!("must be a finite number, got {x}")));
        }
        Ok(x)
    }

    /// A number that must not be negative.
    fn amount(&self, table: &toml::Table, path: &str, key: &str) -> Result<f64, CostingError> {
        let x = self.number(self.value(table, path, key)?, &join(path, key))?;
        if x < 0.0 {
            return Err(self.invalid(&join(path, key), format!("must be 0 or more, got {x}")));
        }
        Ok(x)
    }

    /// A number that must be more than 0 (a divisor).
    fn positive(&self, table: &toml::Table, path: &str, key: &str) -> Result<f64, CostingError> {
        let x = self.number(self.value(table, path, key)?, &join(path, key))?;
        if x <= 0.0 {
            return Err(self.invalid(&join(path, key), format!("must be more than 0, got {x}")));
        }
        Ok(x)
    }

    /// A share between 0 and 1.
    fn share(&self, value: &toml::Value, key: &str) -> Result<f64, CostingError> {
        let x = self.number(value, key)?;
        if !(0.0..=1.0).contains(&x) {
            return Err(self.invalid(
                key,
                format!("must be a share between 0 and 1 (0.25 = 25%), got {x}"),
            ));
        }
        Ok(x)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "text",
        toml::Value::Integer(_) => "a whole number",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

const SERVICE_KEYS: [&str; 9] = [
    "unit",
    "staff_hours_per_unit",
    "salary_per_month",
    "working_hours_per_month",
    "overhead_share",
    "transport_per_unit",
    "materials_per_unit",
    "units_per_user_year",
    "source",
];

impl CostModel {
    /// Reads and checks a cost model. `file` is how errors name the file (its path, as the user gave it).
    ///
    /// Refused, naming the file, the key and why: TOML syntax errors (with the line), unknown or missing keys,
    /// values of the wrong type, negative amounts, zero working hours, shares outside 0..=1, a residential service
    /// that is also a community service, and mix entries for services the model does not cost.
    pub fn from_toml(text: &str, file: &str) -> Result<CostModel, CostingError> {
        let root: toml::Table = toml::from_str(text).map_err(|e| CostingError::Toml {
            file: file.to_string(),
            line: e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().trim_end().to_string(),
        })?;
        let r = Reader { file };
        r.only_keys(
            &root,
            "",
            &["currency", "price_year", "services", "residential", "mix"],
        )?;
        let currency = r.string(&root, "", "currency")?;
        let price_year = match r.value(&root, "", "price_year")? {
            toml::Value::Integer(y) => i32::try_from(*y)
                .map_err(|_| r.invalid("price_year", format!("{y} is not a year")))?,
            other => {
                return Err(r.invalid(
                    "price_year",
                    format!("expected a whole number (a year), got {}", kind(other)),
                ))
            }
        };

        let mut services = BTreeMap::new();
        for (code, value) in r.table(&root, "", "services")? {
            let path = format!("services.{code}");
            let toml::Value::Table(t) = value else {
                return Err(r.invalid(
                    &path,
                    format!("expected a table [{path}], got {}", kind(value)),
                ));
            };
            r.only_keys(t, &path, &SERVICE_KEYS)?;
            let service = ServiceCost {
                unit: r.string(t, &path, "unit")?,
                staff_hours_per_unit: r.amount(t, &path, "staff_hours_per_unit")?,
                salary_per_month: r.amount(t, &path, "salary_per_month")?,
                working_hours_per_month: r.positive(t, &path, "working_hours_per_month")?,
                overhead_share: r.share(
                    r.value(t, &path, "overhead_share")?,
                    &join(&path, "overhead_share"),
                )?,
                transport_per_unit: r.amount(t, &path, "transport_per_unit")?,
                materials_per_unit: r.amount(t, &path, "materials_per_unit")?,
                units_per_user_year: r.amount(t, &path, "units_per_user_year")?,
                source: r.optional_string(t, &path, "source")?,
            };
            services.insert(code.clone(), service);
        }

        let res = r.table(&root, "", "residential")?;
        r.only_keys(
            res,
            "residential",
            &["service", "cost_per_person_year", "source"],
        )?;
        let residential = ResidentialCost {
            service: r.string(res, "residential", "service")?,
            cost_per_person_year: r.amount(res, "residential", "cost_per_person_year")?,
            source: r.optional_string(res, "residential", "source")?,
        };
        if services.contains_key(&residential.service) {
            return Err(r.invalid(
                "residential.service",
                format!(
                    "{} is also a [services.{}] table; cost residential care in one place only",
                    residential.service, residential.service
                ),
            ));
        }

        let mut mix = BTreeMap::new();
        if root.contains_key("mix") {
            for (code, value) in r.table(&root, "", "mix")? {
                let key = format!("mix.{code}");
                if !services.contains_key(code) && *code != residential.service {
                    return Err(r.invalid(
                        &key,
                        "this service is not in the model: add a [services] table for it first",
                    ));
                }
                mix.insert(code.clone(), r.share(value, &key)?);
            }
        }

        Ok(CostModel {
            currency,
            price_year,
            services,
            residential,
            mix,
        })
    }

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

/// One service's unit cost and its parts (residential care has only the total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCost {
    pub service: String,
    pub unit: String,
    pub staff: f64,
    pub overhead: f64,
    pub transport: f64,
    pub materials: f64,
    pub unit_cost: f64,
}

/// Units delivered by one service in a period, with the people and episodes they served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub service: String,
    pub units: f64,
    /// Distinct people served.
    pub users: u64,
    /// Service episodes (a person can have several).
    pub episodes: u64,
}

/// What delivered units cost. The per-user and per-episode figures are `None` when there were none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveredCost {
    pub service: String,
    pub units: f64,
    pub users: u64,
    pub episodes: u64,
    pub unit_cost: f64,
    /// units × unit cost.
    pub total: f64,
    pub cost_per_user: Option<f64>,
    pub cost_per_episode: Option<f64>,
}

/// Costs delivered units with the model's unit costs. Refuses services the model does not cost and negative or
/// non-finite unit counts.
pub fn delivered_costs(
    model: &CostModel,
    deliveries: &[Delivery],
) -> Result<Vec<DeliveredCost>, CostingError> {
    deliveries
        .iter()
        .map(|d| {
            let unit_cost =
                model
                    .unit_cost(&d.service)
                    .ok_or_else(|| CostingError::UnknownService {
                        service: d.service.clone(),
                        context: "in the delivered units".to_string(),
                    })?;
            if !d.units.is_finite() || d.units < 0.0 {
                return Err(CostingError::Invalid {
                    file: "delivered units".to_string(),
                    key: format!("{}.units", d.service),
                    why: format!("must be a number, 0 or more, got {}", d.units),
                });
            }
            let total = d.units * unit_cost;
            let per = |n: u64| (n > 0).then(|| total / n as f64);
            Ok(DeliveredCost {
                service: d.service.clone(),
                units: d.units,
                users: d.users,
                episodes: d.episodes,
                unit_cost,
                total,
                cost_per_user: per(d.users),
                cost_per_episode: per(d.episodes),
            })
        })
        .collect()
}

/// One community service against residential care, per person-year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityVsResidential {
    pub service: String,
    /// Unit cost × units per user-year.
    pub community_per_user_year: f64,
    pub residential_per_person_year: f64,
    /// community ÷ residential (`None` if residential care costs 0).
    pub ratio: Option<f64>,
}

/// Every community service's cost per user-year against residential care's cost per person-year.
pub fn community_vs_residential(model: &CostModel) -> Vec<CommunityVsResidential> {
    let residential = model.residential.cost_per_person_year;
    model
        .services
        .iter()
        .map(|(code, s)| {
            let community = s.cost_per_user_year();
            CommunityVsResidential {
                service: code.clone(),
                community_per_user_year: community,
                residential_per_person_year: residential,
                ratio: (residential > 0.0).then(|| community / residential),
            }
        })
        .collect()
}

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

/// An amount rounded to the tiyn (2 decimals), halves away from zero. For output only.
pub fn round_money(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// An amount in whole tiyn (1 manat = 100 tiyn), rounded to the nearest; `None` if negative, not finite or too
/// large.
pub fn to_tiyn(amount: f64) -> Option<u64> {
    let t = (amount * 100.0).round();
    (t.is_finite() && t >= 0.0 && t < u64::MAX as f64).then_some(t as u64)
}

/// An amount for CSV: rounded to the tiyn, always two decimals, no thousands separator.
pub struct Money(pub f64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = round_money(self.0);
        // -0.00 would surprise a reader.
        write!(f, "{:.2}", if r == 0.0 { 0.0 } else { r })
    }
}

/// `service,unit,unit_cost`: one row per service in [`CostModel::unit_costs`] order, unit cost rounded to the tiyn.
/// Written for a spreadsheet ([`SpreadsheetCsv`]): a name from the cost model that could be read
/// as a formula is quoted.
pub fn render_unit_costs_csv(model: &CostModel) -> String {
    let mut w = SpreadsheetCsv::new();
    w.row(UNIT_COSTS_CSV_HEADER.split(','));
    for row in model.unit_costs() {
        let cost = Money(row.unit_cost).to_string();
        w.row([
            Cell::Text(&row.service),
            Cell::Text(&row.unit),
            Cell::Number(&cost),
        ]);
    }
    w.finish()
}

/// `year,users,budget`: users whole, budget rounded to the tiyn.
pub fn render_budget_csv(rows: &[BudgetYear]) -> String {
    let mut w = SpreadsheetCsv::new();
    w.row(BUDGET_CSV_HEADER.split(','));
    for row in rows {
        let (year, users, budget) = (
            row.year.to_string(),
            row.users.to_string(),
            Money(row.budget).to_string(),
        );
        w.row([year, users, budget].iter().map(|n| Cell::Number(n)));
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small model with round figures, so the expectations below can be worked out by hand.
    const SMALL: &str = r#"
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
staff_hours_per_unit = 1.5
salary_per_month = 1200
working_hours_per_month = 150
overhead_share = 0.5
transport_per_unit = 0
materials_per_unit = 0.5
units_per_user_year = 100
source = "test"

[residential]
service = "RES"
cost_per_person_year = 36500

[mix]
A = 1.0
B = 0.5
"#;

    fn small() -> CostModel {
        CostModel::from_toml(SMALL, "small.toml").unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn unit_cost_by_hand() {
        let m = small();
        // A: staff 2 h × (1600 ÷ 160 = 10/h) = 20; overhead 25% of 20 = 5; + transport 4 + materials 1 = 30.
        let a = &m.services["A"];
        assert!(close(a.staff_cost_per_unit(), 20.0));
        assert!(close(a.overhead_per_unit(), 5.0));
        assert!(close(a.unit_cost(), 30.0));
        // A place-year: 30 × 10 units = 300.
        assert!(close(a.cost_per_user_year(), 300.0));
        // B: 1.5 h × (1200 ÷ 150 = 8/h) = 12; overhead 50% = 6; + 0 + 0.5 = 18.5; × 100 = 1850.
        assert!(close(m.unit_cost("B").unwrap(), 18.5));
        assert!(close(m.cost_per_place_year("B").unwrap(), 1850.0));
        // Residential: 36,500 a person-year = 100 a bed-night; a place-year is the person-year.
        assert!(close(m.unit_cost("RES").unwrap(), 100.0));
        assert!(close(m.cost_per_place_year("RES").unwrap(), 36500.0));
        assert_eq!(m.unit_cost("C"), None);
        assert_eq!(m.services["A"].source, "");
        assert_eq!(m.services["B"].source, "test");
    }

    #[test]
    fn unit_costs_csv_lists_services_then_residential() {
        assert_eq!(
            render_unit_costs_csv(&small()),
            "service,unit,unit_cost\nA,visit,30.00\nB,hour,18.50\nRES,bed_night,100.00\n"
        );
    }

    #[test]
    fn shipped_model_unit_costs_by_hand() {
        let m = CostModel::shipped().unwrap();
        assert_eq!(m.currency, "TMT");
        // S01: 1.25 h × 1200/160 (7.5) = 9.375; × 1.20 = 11.25; + 3 transport = 14.25.
        assert!(close(m.unit_cost("S01").unwrap(), 14.25));
        // S03: 1.5 × 1500/160 (9.375) = 14.0625; × 1.25 = 17.578125; + 5 + 10 = 32.578125.
        assert!(close(m.unit_cost("S03").unwrap(), 32.578125));
        // S05: 2 × 1400/160 (8.75) = 17.5; × 1.35 = 23.625; + 5 + 8 = 36.625 (→ 36.63, halves away from zero).
        assert!(close(m.unit_cost("S05").unwrap(), 36.625));
        // S11: 3 × 8.75 = 26.25; × 1.5 = 39.375; + 15 = 54.375.
        assert!(close(m.unit_cost("S11").unwrap(), 54.375));
        // ETRAP_SW: 2 × 10 = 20; × 1.25 = 25; + 5 + 1 = 31; × 12 visits = 372 a case-year.
        assert!(close(m.cost_per_place_year("ETRAP_SW").unwrap(), 372.0));
        // RES_CARE: 36,000 ÷ 365 = 98.6301... → 98.63.
        let csv = render_unit_costs_csv(&m);
        assert!(csv.contains("\nS01,hour,14.25\n"), "{csv}");
        assert!(csv.contains("\nS03,visit,32.58\n"), "{csv}");
        assert!(csv.contains("\nS05,day,36.63\n"), "{csv}");
        assert!(csv.contains("\nS11,bed_night,54.38\n"), "{csv}");
        assert!(csv.ends_with("\nRES_CARE,bed_night,98.63\n"), "{csv}");
        // The mix, by hand (share × unit cost × units a year):
        // ETRAP_SW 1×372 + S01 .08×6840 + S02 .12×4104 + S03 .10×3127.5 + S04 .20×1152 + S05 .05×8057.5
        // + S06 .02×1728.125 + S07 .03×1140 + S08 .08×855 + S09 .04×598.125 + S10 .08×514.375 + S11 .03×1631.25
        // + S12 .04×299.0625 = 2,620.8425.
        assert!((m.cost_per_user_year_of_mix() - 2620.8425).abs() < 1e-6);
    }

    #[test]
    fn shipped_model_matches_the_service_catalogue_and_says_where_figures_come_from() {
        let m = CostModel::shipped().unwrap();
        let catalogue = include_str!("../../../../reference/services.csv");
        let mut rows = csv::Reader::from_reader(catalogue.as_bytes());
        let mut units = BTreeMap::new();
        for row in rows.records() {
            let row = row.unwrap();
            units.insert(row[0].to_string(), row[4].to_string());
        }
        for (code, s) in &m.services {
            assert_eq!(
                units.get(code),
                Some(&s.unit),
                "{code}: unit differs from services.csv"
            );
            assert!(!s.source.is_empty(), "{code} has no source");
        }
        assert_eq!(
            units.get(&m.residential.service).map(String::as_str),
            Some("bed_night")
        );
        assert!(!m.residential.source.is_empty());
        for code in (1..=12)
            .map(|i| format!("S{i:02}"))
            .chain(["ETRAP_SW".to_string()])
        {
            assert!(m.services.contains_key(&code), "{code} is not costed");
            assert!(m.mix.contains_key(&code), "{code} is not in the mix");
        }
        // Hotline callers are not service users.
        assert!(!m.mix.contains_key("HOTLINE"));
    }

    #[test]
    fn delivered_costs_per_user_and_episode() {
        let m = small();
        let rows = delivered_costs(
            &m,
            &[
                Delivery {
                    service: "A".into(),
                    units: 120.0,
                    users: 8,
                    episodes: 10,
                },
                Delivery {
                    service: "RES".into(),
                    units: 730.0,
                    users: 2,
                    episodes: 0,
                },
            ],
        )
        .unwrap();
        // A: 120 × 30 = 3,600; ÷ 8 users = 450; ÷ 10 episodes = 360.
        assert!(close(rows[0].total, 3600.0));
        assert!(close(rows[0].cost_per_user.unwrap(), 450.0));
        assert!(close(rows[0].cost_per_episode.unwrap(), 360.0));
        // RES: 730 bed-nights × 100 = 73,000; ÷ 2 = 36,500 (two person-years); no episodes.
        assert!(close(rows[1].total, 73000.0));
        assert!(close(rows[1].cost_per_user.unwrap(), 36500.0));
        assert_eq!(rows[1].cost_per_episode, None);

        let e = delivered_costs(
            &m,
            &[Delivery {
                service: "Z".into(),
                units: 1.0,
                users: 1,
                episodes: 1,
            }],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("service Z is not in the cost model"),
            "{e}"
        );
        let e = delivered_costs(
            &m,
            &[Delivery {
                service: "A".into(),
                units: -1.0,
                users: 1,
                episodes: 1,
            }],
        )
        .unwrap_err();
        assert!(e.to_string().contains("A.units"), "{e}");
    }

    #[test]
    fn community_against_residential() {
        let rows = community_vs_residential(&small());
        // A: 300 a user-year against 36,500: 300/36500. B: 1850/36500.
        assert_eq!(rows.len(), 2);
        assert!(close(rows[0].community_per_user_year, 300.0));
        assert!(close(rows[0].ratio.unwrap(), 300.0 / 36500.0));
        assert!(close(rows[1].community_per_user_year, 1850.0));
        assert!(close(rows[1].residential_per_person_year, 36500.0));
    }

    #[test]
    fn budget_ramps_linearly() {
        let m = small();
        // Mix: A 1.0 × 300 + B 0.5 × 1850 = 300 + 925 = 1,225 a user-year.
        assert!(close(m.cost_per_user_year_of_mix(), 1225.0));
        let rows = budget_by_year(
            &m,
            &BudgetInputs {
                population: 1_000_000,
                start_coverage: 0.0002,
                target_coverage: 0.001,
                from_year: 2026,
                to_year: 2030,
            },
        )
        .unwrap();
        // Coverage 0.02%, 0.04%, 0.06%, 0.08%, 0.1% of 1,000,000 = 200, 400, 600, 800, 1,000 users.
        let users: Vec<u64> = rows.iter().map(|r| r.users).collect();
        assert_eq!(users, [200, 400, 600, 800, 1000]);
        assert_eq!(
            render_budget_csv(&rows),
            "year,users,budget\n2026,200,245000.00\n2027,400,490000.00\n2028,600,735000.00\n\
             2029,800,980000.00\n2030,1000,1225000.00\n"
        );
    }

    #[test]
    fn budget_users_round_halves_up_and_one_year_means_the_target() {
        let m = small();
        let rows = budget_by_year(
            &m,
            &BudgetInputs {
                population: 7_057_841,
                start_coverage: 0.0,
                target_coverage: 0.001,
                from_year: 2030,
                to_year: 2030,
            },
        )
        .unwrap();
        // 7,057,841 × 0.1% = 7,057.841 → 7,058 users; × 1,225 = 8,646,050.
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].users, 7058);
        assert!(close(rows[0].budget, 8_646_050.0));
        let half = budget_by_year(
            &m,
            &BudgetInputs {
                population: 2500,
                start_coverage: 0.0,
                target_coverage: 0.001,
                from_year: 2030,
                to_year: 2030,
            },
        )
        .unwrap();
        // 2.5 → 3.
        assert_eq!(half[0].users, 3);
    }

    #[test]
    fn budget_refusals() {
        let m = small();
        let ok = BudgetInputs {
            population: 1000,
            start_coverage: 0.0,
            target_coverage: 0.001,
            from_year: 2025,
            to_year: 2030,
        };
        let bad = |f: fn(&mut BudgetInputs)| {
            let mut i = ok.clone();
            f(&mut i);
            budget_by_year(&m, &i).unwrap_err().to_string()
        };
        assert!(bad(|i| i.target_coverage = 1.5).contains("target coverage"));
        assert!(bad(|i| i.start_coverage = -0.1).contains("start coverage"));
        assert!(bad(|i| i.to_year = 2020).contains("before the first year"));
        assert!(bad(|i| i.to_year = 9999).contains("longer than"));
        let mut no_mix = m.clone();
        no_mix.mix.clear();
        assert!(budget_by_year(&no_mix, &ok)
            .unwrap_err()
            .to_string()
            .contains("no [mix]"));
    }

    fn refusal(text: &str) -> String {
        CostModel::from_toml(text, "my.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parse_errors_name_the_file_the_key_and_why() {
        let e = refusal(&SMALL.replace("overhead_share = 0.25", "overhead_share = 1.5"));
        assert_eq!(e, "my.toml: services.A.overhead_share: must be a share between 0 and 1 (0.25 = 25%), got 1.5");
        let e = refusal(&SMALL.replace("salary_per_month = 1600", "salary_per_month = \"lots\""));
        assert_eq!(
            e,
            "my.toml: services.A.salary_per_month: expected a number, got text"
        );
        let e = refusal(&SMALL.replace("transport_per_unit = 4", "transport_per_unit = -4"));
        assert_eq!(
            e,
            "my.toml: services.A.transport_per_unit: must be 0 or more, got -4"
        );
        let e = refusal(&SMALL.replace(
            "working_hours_per_month = 160",
            "working_hours_per_month = 0",
        ));
        assert_eq!(
            e,
            "my.toml: services.A.working_hours_per_month: must be more than 0, got 0"
        );
        let e = refusal(&SMALL.replace("materials_per_unit = 1\n", ""));
        assert_eq!(e, "my.toml: services.A.materials_per_unit: missing");
        let e = refusal(&SMALL.replace(
            "materials_per_unit = 1\n",
            "materials_per_unit = 1\nmaterial = 2\n",
        ));
        assert!(
            e.starts_with("my.toml: services.A.material: unknown key (expected one of: unit, "),
            "{e}"
        );
        let e = refusal(&SMALL.replace("A = 1.0", "Q = 1.0"));
        assert!(
            e.starts_with("my.toml: mix.Q: this service is not in the model"),
            "{e}"
        );
        let e = refusal(&SMALL.replace("B = 0.5", "B = 2"));
        assert!(e.starts_with("my.toml: mix.B: must be a share"), "{e}");
        let e = refusal(&SMALL.replace("service = \"RES\"", "service = \"A\""));
        assert!(
            e.starts_with("my.toml: residential.service: A is also a [services.A] table"),
            "{e}"
        );
        let e = refusal(&SMALL.replace("price_year = 2024", "price_year = \"2024\""));
        assert!(
            e.starts_with("my.toml: price_year: expected a whole number"),
            "{e}"
        );
        let e = refusal(&SMALL.replace("[residential]", "[residentail]"));
        assert!(e.starts_with("my.toml: residentail: unknown key"), "{e}");
        let e = refusal(&SMALL.replace("unit = \"visit\"", "unit = \"\""));
        assert_eq!(e, "my.toml: services.A.unit: must not be empty");
    }

    #[test]
    fn toml_syntax_errors_give_the_line() {
        let e = refusal("currency = \"TMT\"\nprice_year = = 2024\n");
        assert!(e.starts_with("my.toml, line 2: "), "{e}");
    }

    #[test]
    fn money_rounds_at_output_only() {
        assert_eq!(Money(2.675).to_string(), "2.68"); // 267.49999… × 100 rounds to 267.5 → 268 (halves away)
        assert_eq!(Money(-0.001).to_string(), "0.00");
        assert_eq!(Money(1234567.891).to_string(), "1234567.89");
        assert_eq!(to_tiyn(12.345), Some(1235));
        assert_eq!(to_tiyn(-1.0), None);
        assert_eq!(to_tiyn(f64::NAN), None);
    }
}
