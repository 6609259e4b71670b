//! `/costing`: the cost model where people can use it (issue #21 item 7; docs/contracting.md
//! "Costing"), for planners and the ministry: the unit cost of every service, community services
//! against residential care (with a chart), the budget each year to reach a coverage target (a
//! form), and what the units delivered in the reader's area cost (a period). The same figures
//! as `/api/v1/costing/...` and `goldaw plan cost` / `plan budget`, from
//! `goldaw_core::planning::costing` and the shipped model.

use super::common::render;
use super::extract::Signed;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::PageResult;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate, Utc};
use goldaw_core::access::Permission;
use goldaw_core::planning::costing::{
    budget_by_year, community_vs_residential, round_money, BudgetInputs, CostModel,
    MAX_BUDGET_YEARS, SEEDS_BASIC_COVERAGE, SEEDS_PILOT_COVERAGE,
};
use goldaw_store::error::SayArg;
use goldaw_store::StoreError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/costing", get(page))
}

/// The forms' fields, as typed (empty: the defaults).
#[derive(Debug, Default, Deserialize)]
struct Params {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    population: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    first_year: String,
    #[serde(default)]
    last_year: String,
}

struct UnitLine {
    service: String,
    unit: String,
    staff: String,
    overhead: String,
    other: String,
    unit_cost: String,
    per_year: String,
}

struct CommunityLine {
    service: String,
    community: String,
    ratio: String,
}

struct BudgetLine {
    year: i32,
    coverage: String,
    users: u64,
    per_user: String,
    budget: String,
}

struct DeliveredLine {
    service: String,
    units: i64,
    people: String,
    total: String,
    per_user: String,
}

#[derive(Template)]
#[template(path = "costing.html")]
struct Page {
    t: Translator,
    user: Option<UserView>,
    units: Vec<UnitLine>,
    community: Vec<CommunityLine>,
    residential: String,
    chart: String,
    p: Params,
    budget: Vec<BudgetLine>,
    budget_error: String,
    delivered: Vec<DeliveredLine>,
    delivered_error: String,
}

fn money(v: f64) -> String {
    format!("{:.2}", round_money(v))
}

fn service_name(state: &AppState, t: &Translator, code: &str) -> String {
    state.store.catalogue().term("service", code).map_or_else(
        || code.to_owned(),
        |s| format!("{} ({code})", s.name(t.lang())),
    )
}

/// A refusal of a field as text in the reader's language.
fn field_error(t: &Translator, field: &'static str, key: &'static str) -> String {
    t.say(&goldaw_store::error::Say {
        key,
        args: vec![("field", SayArg::Text(field.to_owned()))],
    })
}

/// The budget table from the form, or what is wrong with the form.
fn budget(model: &CostModel, t: &Translator, p: &Params) -> Result<Vec<BudgetLine>, String> {
    let number = |field: &'static str, text: &str| -> Result<f64, String> {
        text.trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| field_error(t, field, "costing-form-number"))
    };
    let population: u64 = p
        .population
        .trim()
        .parse()
        .map_err(|_| field_error(t, "population", "costing-form-number"))?;
    let start = number("start", &p.start)? / 100.0;
    let target = number("target", &p.target)? / 100.0;
    let first: i32 = p
        .first_year
        .trim()
        .parse()
        .map_err(|_| field_error(t, "first_year", "costing-form-number"))?;
    let last: i32 = p
        .last_year
        .trim()
        .parse()
        .map_err(|_| field_error(t, "last_year", "costing-form-number"))?;
    if !(0.0..=1.0).contains(&start) || !(0.0..=1.0).contains(&target) {
        return Err(t.t("costing-coverage-range"));
    }
    if last < first || i64::from(last) - i64::from(first) > MAX_BUDGET_YEARS {
        return Err(t.t_with(
            "costing-years-range",
            &[("limit", (MAX_BUDGET_YEARS + 1).into())],
        ));
    }
    let rows = budget_by_year(
        model,
        &BudgetInputs {
            population,
            start_coverage: start,
            target_coverage: target,
            from_year: first,
            to_year: last,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .map(|y| BudgetLine {
            year: y.year,
            coverage: format!("{:.3}%", y.coverage * 100.0),
            users: y.users,
            per_user: money(y.cost_per_user),
            budget: money(y.budget),
        })
        .collect())
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<Params>, QueryRejection>,
) -> PageResult {
    let p = signed.principal().clone();
    if !p.may(Permission::Planning) && !p.may(Permission::Contracting) {
        signed.require(Permission::Planning)?;
    }
    let mut q = params.map(|Query(q)| q).unwrap_or_default();
    let t = &signed.t;
    let model =
        CostModel::shipped().map_err(|e| signed.fail(StoreError::Reference(e.to_string())))?;
    let units = model
        .unit_costs()
        .into_iter()
        .map(|u| UnitLine {
            per_year: model
                .cost_per_place_year(&u.service)
                .map(money)
                .unwrap_or_default(),
            service: service_name(&state, t, &u.service),
            unit: u.unit,
            staff: money(u.staff),
            overhead: money(u.overhead),
            other: money(u.transport + u.materials),
            unit_cost: money(u.unit_cost),
        })
        .collect();
    let versus = community_vs_residential(&model);
    let residential = versus
        .first()
        .map(|c| money(c.residential_per_person_year))
        .unwrap_or_default();
    let bars: Vec<super::contracting::ChartBar> = versus
        .iter()
        .map(|c| super::contracting::ChartBar {
            label: c.service.clone(),
            value: c.ratio.map(|r| r * 100.0),
            text: c
                .ratio
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_default(),
        })
        .collect();
    let chart = super::contracting::chart_bars("chart-community", &t.t("costing-chart"), &bars);
    let community = versus
        .into_iter()
        .map(|c| CommunityLine {
            service: service_name(&state, t, &c.service),
            community: money(c.community_per_user_year),
            ratio: c
                .ratio
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_default(),
        })
        .collect();
    // The budget form: the seeds' ramp (0.02% to 0.1%) over five years by default.
    let year = Utc::now().year();
    if q.population.trim().is_empty() {
        q.population = "7000000".into();
    }
    if q.start.trim().is_empty() {
        q.start = format!("{}", SEEDS_PILOT_COVERAGE * 100.0);
    }
    if q.target.trim().is_empty() {
        q.target = format!("{}", SEEDS_BASIC_COVERAGE * 100.0);
    }
    if q.first_year.trim().is_empty() {
        q.first_year = year.to_string();
    }
    if q.last_year.trim().is_empty() {
        q.last_year = (year + 4).to_string();
    }
    let (budget, budget_error) = match budget(&model, t, &q) {
        Ok(b) => (b, String::new()),
        Err(e) => (vec![], e),
    };
    // The units delivered in the reader's area: this year so far by default.
    let today = goldaw_core::deadlines::local_date(Utc::now());
    let parse_date = |field: &'static str, text: &str, default: NaiveDate| {
        if text.trim().is_empty() {
            Ok(default)
        } else {
            text.trim()
                .parse::<NaiveDate>()
                .map_err(|_| field_error(t, field, "contracting-form-date"))
        }
    };
    let year_start = today.with_ordinal(1).unwrap_or(today);
    let period = parse_date("from", &q.from, year_start)
        .and_then(|f| Ok((f, parse_date("to", &q.to, today)?)));
    let (delivered, delivered_error) = match period {
        Ok((from, to)) => {
            q.from = from.to_string();
            q.to = to.to_string();
            match state.store.delivered_units(&p, from, to).await {
                Ok(rows) => (
                    crate::api::costing::delivered_rows(&model, rows)
                        .into_iter()
                        .map(|r| DeliveredLine {
                            service: service_name(&state, t, &r.service),
                            units: r.units,
                            people: r
                                .people
                                .map_or_else(|| t.t("contracting-suppressed"), |n| n.to_string()),
                            total: r.total.map(money).unwrap_or_default(),
                            per_user: r.cost_per_user.map(money).unwrap_or_default(),
                        })
                        .collect(),
                    String::new(),
                ),
                Err(StoreError::Invalid { say: Some(say), .. }) => (vec![], t.say(&say)),
                Err(e) => return Err(signed.fail(e)),
            }
        }
        Err(e) => (vec![], e),
    };
    let page = Page {
        user: signed.user(),
        units,
        community,
        residential,
        chart,
        p: q,
        budget,
        budget_error,
        delivered,
        delivered_error,
        t: t.clone_lang(),
    };
    Ok(render(page))
}
