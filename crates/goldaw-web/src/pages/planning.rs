//! The planning pages (planners, the ministry, admins; docs/planning.md):
//!
//! - `/planning`: the social-work workforce projected year by year against the requirement, as an SVG chart
//!   drawn here (no script) with the gap shaded, and a table; the scenario is a GET form (it changes nothing),
//!   defaulting to the seeds' scenario. Bad input is named field by field and the form keeps what was typed.
//! - `/planning/velayat`: a chooser of the velayats in the caller's scope.
//! - `/planning/velayat/{velayat}`: the costed draft service development plan of one velayat from the database
//!   (need, places, gap, places to open and their cost per etrap and service), with the optimiser under a budget;
//!   `/print` is the same plan laid out for paper, `/plan.xlsx` the workbook.

use super::common::{count, render, server_error, xml};
use super::extract::Signed;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::PageResult;
use crate::planning_export::{service_name, unit_name, velayat_plan_xlsx};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::planning::costing::{round_money, to_tiyn, CostModel, SEEDS_BASIC_COVERAGE};
use goldaw_core::planning::gaps::{development_plan, rates_from_mix, DevelopmentPlan, Totals};
use goldaw_core::planning::optimise::{candidates_from_plan, compare};
use goldaw_core::planning::projection::{project, Scenario, YearRow};
use goldaw_core::planning::workforce::RequirementInputs;
use goldaw_store::planning::NeedsAndSupply;
use goldaw_store::StoreError;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/planning", get(workforce))
        .route("/planning/velayat", get(chooser))
        .route("/planning/velayat/{velayat}", get(velayat_plan))
        .route("/planning/velayat/{velayat}/print", get(velayat_print))
        .route("/planning/velayat/{velayat}/plan.xlsx", get(velayat_xlsx))
}

// ----- numbers for people ----------------------------------------------------------------------

/// An amount in manat to the tiyn: `12,345.60` in English, `12 345,60` in Russian and Turkmen.
fn money(amount: f64, lang: &str) -> String {
    let tiyn = to_tiyn(round_money(amount)).unwrap_or(0);
    money_tiyn(tiyn, lang)
}

fn money_tiyn(tiyn: u64, lang: &str) -> String {
    let point = if lang == "en" { "." } else { "," };
    format!("{}{point}{:02}", count(tiyn / 100, lang), tiyn % 100)
}

// ----- the workforce page ----------------------------------------------------------------------

/// The scenario form as typed (strings, so that nothing typed is lost when a field is refused).
struct ScenarioForm {
    start_year: String,
    start_stock: String,
    attrition: String,
    until: String,
    /// (year, inflow as typed), one per year after the start year.
    inflow: Vec<(i32, String)>,
}

/// The longest projection the page draws, in years.
const MAX_PAGE_YEARS: i32 = 60;

fn number_text(x: f64) -> String {
    // 0.2 × 100 is 20.000000000000004 in f64: show what a person would type.
    let r = (x * 1e6).round() / 1e6;
    format!("{r}")
}

impl ScenarioForm {
    /// From the query; a missing field takes the seeds' value.
    fn from_query(q: &BTreeMap<String, String>) -> ScenarioForm {
        let seeds = Scenario::seeds_2021();
        let field = |name: &str, default: String| q.get(name).cloned().unwrap_or(default);
        let start_year = field("start_year", seeds.start_year.to_string());
        let until = field("until", "2030".to_owned());
        let years = match (
            start_year.trim().parse::<i32>(),
            until.trim().parse::<i32>(),
        ) {
            (Ok(s), Ok(u)) if s < u && u - s <= MAX_PAGE_YEARS => (s + 1..=u).collect(),
            // Keep the inflow fields that were sent, so that nothing typed is lost.
            _ => {
                let mut sent: Vec<i32> = q
                    .keys()
                    .filter_map(|k| k.strip_prefix("inflow_")?.parse().ok())
                    .collect();
                if sent.is_empty() {
                    sent = seeds.inflow.keys().copied().collect();
                }
                sent
            }
        };
        let inflow = years
            .into_iter()
            .map(|y: i32| {
                let default = number_text(seeds.inflow_in(y));
                (y, field(&format!("inflow_{y}"), default))
            })
            .collect();
        ScenarioForm {
            start_year,
            start_stock: field("start_stock", number_text(seeds.start_stock)),
            attrition: field("attrition", number_text(seeds.attrition * 100.0)),
            until,
            inflow,
        }
    }

    /// The scenario and the last year, or every refused field as (field label, reason), translated.
    fn parse(&self, t: &Translator) -> Result<(Scenario, i32), Vec<String>> {
        let mut errors = Vec::new();
        let mut refuse = |label: String, reason: &str, value: &str| {
            errors.push(t.t_with(
                "planning-invalid-field",
                &[
                    ("field", label.into()),
                    ("detail", t.t(reason).into()),
                    ("value", value.to_owned().into()),
                ],
            ))
        };
        let number = |s: &str| -> Option<f64> {
            let x: f64 = s.trim().replace(',', ".").parse().ok()?;
            (x.is_finite() && x >= 0.0).then_some(x)
        };
        let start_year = self
            .start_year
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2200).contains(y));
        if start_year.is_none() {
            refuse(
                t.t("planning-start-year"),
                "planning-error-year",
                &self.start_year,
            );
        }
        let start_stock = number(&self.start_stock).filter(|x| *x <= 1e7);
        if start_stock.is_none() {
            refuse(
                t.t("planning-start-stock"),
                "planning-error-count",
                &self.start_stock,
            );
        }
        let attrition = number(&self.attrition).filter(|x| *x <= 100.0);
        if attrition.is_none() {
            refuse(
                t.t("planning-attrition"),
                "planning-error-percent",
                &self.attrition,
            );
        }
        let until = self
            .until
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|u| match start_year {
                Some(s) => *u >= s && *u - s <= MAX_PAGE_YEARS,
                None => (1900..=2260).contains(u),
            });
        if until.is_none() {
            refuse(t.t("planning-until"), "planning-error-until", &self.until);
        }
        let mut inflow = BTreeMap::new();
        for (year, raw) in &self.inflow {
            match number(raw).filter(|x| *x <= 1e7) {
                Some(x) => {
                    inflow.insert(*year, x);
                }
                None => refuse(
                    t.t_with("planning-inflow-in", &[("year", (*year).into())]),
                    "planning-error-count",
                    raw,
                ),
            }
        }
        match (start_year, start_stock, attrition, until) {
            (Some(start_year), Some(start_stock), Some(attrition), Some(until))
                if errors.is_empty() =>
            {
                inflow.retain(|y, _| *y > start_year);
                Ok((
                    Scenario {
                        start_year,
                        start_stock,
                        attrition: attrition / 100.0,
                        inflow,
                    },
                    until,
                ))
            }
            _ => Err(errors),
        }
    }
}

struct YearView {
    year: i32,
    inflow: String,
    leavers: String,
    stock: String,
    requirement: String,
    gap: String,
}

#[derive(Template)]
#[template(path = "planning.html")]
struct WorkforcePage {
    t: Translator,
    user: Option<UserView>,
    form: ScenarioForm,
    errors: Vec<String>,
    chart: String,
    years: Vec<YearView>,
    requirement_text: String,
    summary: String,
    /// The workforce register against the plan (issue #22, pages/workforce.rs).
    register: Option<super::workforce::PlanRegisterView>,
}

/// The projection against the requirement as SVG: the stock as a line with dots, the requirement of all posts
/// (1,241 in the seeds) and of etrap social workers (807) as dashed lines, and the gap between the stock and
/// the requirement shaded and labelled in the last year.
fn workforce_chart(rows: &[YearRow], requirement: u64, etrap: u64, t: &Translator) -> String {
    let (w, h) = (720.0_f64, 360.0_f64);
    let (left, right, top, bottom) = (56.0, 200.0, 20.0, 40.0);
    let max_stock = rows.iter().map(|r| r.stock).fold(0.0_f64, f64::max);
    let top_value = max_stock.max(requirement as f64) * 1.1;
    // Round steps for the axis (1, 2, 2.5 or 5 × a power of ten), at most six of them.
    let step = {
        let raw = (top_value / 6.0).max(1.0);
        let magnitude = 10f64.powf(raw.log10().floor());
        [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(raw)
    };
    let steps = (top_value / step).ceil().max(1.0) as usize;
    let y_max = step * steps as f64;
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = rows.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - v / y_max);
    let lang = t.lang();
    let mut s = String::new();
    s.push_str(&format!(
        r#"<svg id="workforce-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="chart-title chart-desc">"#
    ));
    s.push_str(&format!(
        r#"<title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        xml(&t.t("planning-chart-title")),
        xml(&t.t("planning-chart-desc"))
    ));
    // Grid and y axis labels.
    for k in 0..=steps {
        let v = step * k as f64;
        let yy = y(v);
        s.push_str(&format!(
            r##"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#cfd6de" stroke-width="1"/>"##,
            left + plot_w
        ));
        s.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#4a5561">{}</text>"##,
            left - 6.0,
            yy + 4.0,
            count(v as u64, lang)
        ));
    }
    // X axis labels: every year while they fit, else every other (or more).
    let every = n.div_ceil(16).max(1);
    for (i, r) in rows.iter().enumerate() {
        if i % every == 0 || i == n - 1 {
            s.push_str(&format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#4a5561">{}</text>"##,
                x(i),
                h - bottom + 18.0,
                r.year
            ));
        }
    }
    let req = requirement as f64;
    // The gap: between the requirement and the stock, where the stock is below it.
    if rows.iter().any(|r| r.stock < req) {
        let mut points: Vec<String> = (0..rows.len())
            .map(|i| format!("{:.1},{:.1}", x(i), y(req)))
            .collect();
        for (i, r) in rows.iter().enumerate().rev() {
            points.push(format!("{:.1},{:.1}", x(i), y(r.stock.min(req))));
        }
        s.push_str(&format!(
            r##"<polygon id="gap-area" points="{}" fill="#f0a202" fill-opacity="0.25"><title>{}</title></polygon>"##,
            points.join(" "),
            xml(&t.t("planning-gap"))
        ));
    }
    // The requirement lines.
    for (value, id, key, dash) in [
        (
            req,
            "requirement-line",
            "planning-legend-requirement",
            "8 4",
        ),
        (etrap as f64, "etrap-line", "planning-legend-etrap", "2 4"),
    ] {
        let yy = y(value);
        s.push_str(&format!(
            r##"<line id="{id}" x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#a4161a" stroke-width="2" stroke-dasharray="{dash}"/>"##,
            left + plot_w
        ));
        s.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#a4161a">{} {}</text>"##,
            left + plot_w + 6.0,
            yy + 4.0,
            xml(&t.t(key)),
            count(value as u64, lang)
        ));
    }
    // The stock.
    let line: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{:.1},{:.1}", x(i), y(r.stock)))
        .collect();
    s.push_str(&format!(
        r##"<polyline id="stock-line" points="{}" fill="none" stroke="#0b5cad" stroke-width="3"/>"##,
        line.join(" ")
    ));
    for (i, r) in rows.iter().enumerate() {
        s.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#0b5cad"><title>{}: {}</title></circle>"##,
            x(i),
            y(r.stock),
            r.year,
            count(r.stock.round() as u64, lang)
        ));
    }
    if let Some(last) = rows.last() {
        let i = rows.len() - 1;
        s.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#0b5cad">{} {}</text>"##,
            x(i) + 6.0,
            y(last.stock) + 16.0,
            xml(&t.t("planning-legend-stock")),
            count(last.stock.round() as u64, lang)
        ));
        let gap = req - last.stock.round();
        if gap > 0.0 {
            s.push_str(&format!(
                r##"<text id="gap-label" x="{:.1}" y="{:.1}" font-size="13" font-weight="700" text-anchor="end" fill="#7a4f00">{}</text>"##,
                x(i) - 6.0,
                (y(req) + y(last.stock)) / 2.0 + 4.0,
                xml(&t.t_with(
                    "planning-gap-in",
                    &[("year", last.year.into()), ("count", (gap as u64).into())]
                ))
            ));
        }
    }
    s.push_str("</svg>");
    s
}

async fn workforce(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<BTreeMap<String, String>>,
) -> PageResult {
    signed.require(Permission::Planning)?;
    let t = &signed.t;
    let lang = t.lang();
    let form = ScenarioForm::from_query(&q);
    let requirement = match RequirementInputs::seeds_2021().compute() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "the seeds' requirement failed");
            return Ok((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response());
        }
    };
    let (total, etrap) = (
        requirement.total_national,
        requirement.etrap_workers_national,
    );
    let requirement_text = t.t_with(
        "planning-requirement-text",
        &[
            ("etrap", count(etrap, lang).into()),
            ("count", count(total, lang).into()),
        ],
    );
    let result = form.parse(t);
    let register = match &result {
        Ok((scenario, until)) => {
            super::workforce::plan_register(&state, &signed, *until, &scenario.inflow).await
        }
        Err(_) => None,
    };
    let result = result.and_then(|(s, until)| project(&s, until).map_err(|e| vec![e.to_string()]));
    let (status, errors, rows) = match result {
        Ok(rows) => (StatusCode::OK, Vec::new(), rows),
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, Vec::new()),
    };
    let years = rows
        .iter()
        .map(|r| {
            let stock = r.stock.round();
            YearView {
                year: r.year,
                inflow: count(r.inflow.round() as u64, lang),
                leavers: count(r.leavers.round() as u64, lang),
                stock: count(stock as u64, lang),
                requirement: count(total, lang),
                gap: count((total as f64 - stock).max(0.0) as u64, lang),
            }
        })
        .collect();
    let summary = match rows.last() {
        Some(last) => t.t_with(
            "planning-summary",
            &[
                ("year", last.year.into()),
                ("stock", count(last.stock.round() as u64, lang).into()),
                ("count", count(total, lang).into()),
                (
                    "gap",
                    count((total as f64 - last.stock.round()).max(0.0) as u64, lang).into(),
                ),
            ],
        ),
        None => String::new(),
    };
    let chart = if rows.is_empty() {
        String::new()
    } else {
        workforce_chart(&rows, total, etrap, t)
    };
    let mut response = render(WorkforcePage {
        user: signed.user(),
        form,
        errors,
        chart,
        years,
        requirement_text,
        summary,
        register,
        t: t.clone_lang(),
    });
    *response.status_mut() = status;
    Ok(response)
}

// ----- the velayat chooser ---------------------------------------------------------------------

struct VelayatLink {
    code: String,
    name: String,
}

#[derive(Template)]
#[template(path = "planning_velayats.html")]
struct ChooserPage {
    t: Translator,
    user: Option<UserView>,
    velayats: Vec<VelayatLink>,
}

/// The velayats (and Ashgabat): the units directly under the country.
fn velayat_codes(state: &AppState) -> Vec<(String, String)> {
    let catalogue = state.store.catalogue();
    let root: Vec<&str> = catalogue
        .admin_units
        .iter()
        .filter(|u| u.parent_code.is_none())
        .map(|u| u.code.as_str())
        .collect();
    catalogue
        .admin_units
        .iter()
        .filter(|u| u.parent_code.as_deref().is_some_and(|p| root.contains(&p)))
        .map(|u| (u.code.clone(), u.code.clone()))
        .collect()
}

async fn chooser(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::Planning)?;
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let scope = signed.principal().unit_scope().cloned();
    let velayats = velayat_codes(&state)
        .into_iter()
        .filter(|(code, _)| {
            let v = AdminUnitCode::from_stored(code.clone());
            scope
                .as_ref()
                .is_some_and(|s| v.is_within(s) || s.is_within(&v))
        })
        .map(|(code, _)| VelayatLink {
            name: unit_name(&catalogue, &code, t.lang()),
            code,
        })
        .collect();
    Ok(render(ChooserPage {
        user: signed.user(),
        velayats,
        t: t.clone_lang(),
    }))
}

// ----- the costed plan of one velayat ----------------------------------------------------------

/// The plan of a velayat from the database, or the page to send instead.
async fn load_plan(
    state: &AppState,
    signed: &Signed,
    velayat: &str,
) -> Result<(DevelopmentPlan, NeedsAndSupply, CostModel), Response> {
    if let Some(r) = signed.deny_unless(Permission::Planning) {
        return Err(r);
    }
    let Some(code) = velayat_codes(state)
        .into_iter()
        .map(|(c, _)| c)
        .find(|c| c == velayat)
    else {
        return Err(signed.not_found());
    };
    let model = CostModel::shipped().map_err(|e| {
        tracing::error!(error = %e, "the shipped cost model is invalid");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    })?;
    let rates = rates_from_mix(&model, SEEDS_BASIC_COVERAGE);
    let facts = match state
        .store
        .needs_and_supply(
            signed.principal(),
            &AdminUnitCode::from_stored(code),
            &rates,
        )
        .await
    {
        Ok(f) => f,
        Err(StoreError::NotFound) => return Err(signed.not_found()),
        Err(StoreError::Forbidden(_)) => {
            return Err(signed
                .deny_unless(Permission::Planning)
                .unwrap_or_else(|| signed.not_found()))
        }
        Err(e) => return Err(server_error(e)),
    };
    let plan = development_plan(&model, &facts.inputs, &facts.parents).map_err(|e| {
        tracing::error!(error = %e, "the development plan failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    })?;
    Ok((plan, facts, model))
}

struct LineView {
    service: String,
    service_name: String,
    need: String,
    basis: String,
    places: String,
    gap: String,
    cost_per_place: String,
    cost: String,
    has_gap: bool,
}

struct TotalsView {
    need: String,
    places: String,
    gap: String,
    cost: String,
}

impl TotalsView {
    fn of(t: &Totals, lang: &str) -> TotalsView {
        TotalsView {
            need: count(t.need, lang),
            places: count(t.places, lang),
            gap: count(t.gap, lang),
            cost: money(t.cost, lang),
        }
    }
}

struct EtrapView {
    code: String,
    name: String,
    population: String,
    population_note: String,
    need_note: String,
    lines: Vec<LineView>,
    totals: TotalsView,
}

struct ServiceTotalView {
    service: String,
    service_name: String,
    totals: TotalsView,
}

struct OpenedView {
    etrap: String,
    service: String,
    gap: String,
    optimised: String,
    baseline: String,
}

struct OptimiserView {
    budget: String,
    summary: String,
    optimised_met: String,
    baseline_met: String,
    extra: String,
    optimised_spent: String,
    baseline_spent: String,
    lines: Vec<OpenedView>,
}

#[derive(Template)]
#[template(path = "planning_plan.html")]
struct PlanPage {
    t: Translator,
    user: Option<UserView>,
    view: PlanView,
}

#[derive(Template)]
#[template(path = "planning_print.html")]
struct PrintPage {
    t: Translator,
    view: PlanView,
}

struct PlanView {
    code: String,
    title: String,
    /// The counts of people are protected (a reader without the unsuppressed grant): perturbed,
    /// or withheld where small.
    protected: bool,
    population: String,
    basis_text: String,
    unlimited_text: String,
    etraps: Vec<EtrapView>,
    services: Vec<ServiceTotalView>,
    totals: TotalsView,
    budget_input: String,
    budget_error: Option<String>,
    optimiser: Option<OptimiserView>,
}

/// A budget as typed: manat, a dot or comma before the tiyn, spaces allowed between digit groups.
fn parse_budget(raw: &str) -> Option<u64> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect::<String>()
        .replace(',', ".");
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let amount: f64 = cleaned.parse().ok()?;
    (amount <= 1e12).then(|| to_tiyn(amount)).flatten()
}

fn plan_view(
    state: &AppState,
    t: &Translator,
    plan: &DevelopmentPlan,
    facts: &NeedsAndSupply,
    velayat: &str,
    budget: Option<&str>,
) -> PlanView {
    let lang = t.lang();
    let catalogue = state.store.catalogue();
    let name = unit_name(&catalogue, velayat, lang);
    let etraps: Vec<EtrapView> = plan
        .etraps
        .iter()
        .filter(|e| e.velayat == velayat)
        .map(|e| {
            let facts_of = facts.etraps.iter().find(|f| f.code == e.etrap);
            EtrapView {
                code: e.etrap.clone(),
                name: unit_name(&catalogue, &e.etrap, lang),
                population: count(e.population, lang),
                population_note: facts_of.map_or_else(String::new, |f| {
                    t.t(&format!(
                        "planning-population-{}",
                        f.population_basis.as_str()
                    ))
                }),
                need_note: t.t(if facts_of.is_some_and(|f| f.assessed) {
                    "planning-etrap-assessed"
                } else {
                    "planning-etrap-not-assessed"
                }),
                lines: e
                    .lines
                    .iter()
                    .map(|l| LineView {
                        service: l.service.clone(),
                        service_name: service_name(&catalogue, &l.service, lang),
                        need: count(l.need, lang),
                        basis: if facts
                            .withheld
                            .contains(&(l.etrap.clone(), l.service.clone()))
                        {
                            t.t("disclosure-planning-withheld")
                        } else {
                            t.t(&format!("planning-basis-{}", l.basis.as_str()))
                        },
                        places: count(l.places, lang),
                        gap: count(l.gap, lang),
                        cost_per_place: money(l.cost_per_place_year, lang),
                        cost: money(l.cost, lang),
                        has_gap: l.gap > 0,
                    })
                    .collect(),
                totals: TotalsView::of(&e.totals, lang),
            }
        })
        .collect();
    let v = plan.velayats.iter().find(|v| v.velayat == velayat);
    let services = v
        .map(|v| {
            v.by_service
                .iter()
                .map(|(code, totals)| ServiceTotalView {
                    service: code.clone(),
                    service_name: service_name(&catalogue, code, lang),
                    totals: TotalsView::of(totals, lang),
                })
                .collect()
        })
        .unwrap_or_default();
    let totals = TotalsView::of(&v.map(|v| v.totals).unwrap_or_default(), lang);
    let assessed = facts.etraps.iter().filter(|e| e.assessed).count();
    let basis_text = t.t_with(
        "planning-basis-text",
        &[
            ("assessed", assessed.into()),
            ("count", facts.etraps.len().into()),
        ],
    );
    let unlimited_text = if facts.unlimited_offers > 0 {
        t.t_with(
            "planning-unlimited-offers",
            &[("count", facts.unlimited_offers.into())],
        )
    } else {
        String::new()
    };

    let budget_input = budget.unwrap_or_default().to_owned();
    let mut budget_error = None;
    let mut optimiser = None;
    if !budget_input.trim().is_empty() {
        match parse_budget(&budget_input) {
            None => {
                budget_error = Some(t.t_with(
                    "planning-invalid-field",
                    &[
                        ("field", t.t("planning-budget").into()),
                        ("detail", t.t("planning-error-budget").into()),
                        ("value", budget_input.clone().into()),
                    ],
                ))
            }
            Some(budget_tiyn) => {
                let candidates: Vec<_> = candidates_from_plan(plan)
                    .into_iter()
                    .filter(|c| etraps.iter().any(|e| e.code == c.etrap))
                    .collect();
                let c = compare(budget_tiyn, &candidates);
                let lines = candidates
                    .iter()
                    .zip(c.optimised.lines.iter().zip(&c.baseline.lines))
                    .filter(|(_, (o, b))| o.places > 0 || b.places > 0)
                    .map(|(cand, (o, b))| OpenedView {
                        etrap: unit_name(&catalogue, &cand.etrap, lang),
                        service: format!(
                            "{} {}",
                            cand.service,
                            service_name(&catalogue, &cand.service, lang)
                        ),
                        gap: count(cand.need, lang),
                        optimised: count(o.places, lang),
                        baseline: count(b.places, lang),
                    })
                    .collect();
                optimiser = Some(OptimiserView {
                    budget: money_tiyn(budget_tiyn, lang),
                    summary: t.t_with(
                        "planning-optimiser-summary",
                        &[
                            ("optimised", count(c.optimised.need_met, lang).into()),
                            ("baseline", count(c.baseline.need_met, lang).into()),
                            ("count", count(c.need_total, lang).into()),
                            ("extra", count(c.extra_need_met, lang).into()),
                        ],
                    ),
                    optimised_met: count(c.optimised.need_met, lang),
                    baseline_met: count(c.baseline.need_met, lang),
                    extra: count(c.extra_need_met, lang),
                    optimised_spent: money_tiyn(c.optimised.spent_tiyn, lang),
                    baseline_spent: money_tiyn(c.baseline.spent_tiyn, lang),
                    lines,
                });
            }
        }
    }
    PlanView {
        code: velayat.to_owned(),
        title: t.t_with(
            "planning-plan-title",
            &[("name", name.into()), ("unit", velayat.to_owned().into())],
        ),
        protected: facts.protected,
        population: count(v.map_or(0, |v| v.population), lang),
        basis_text,
        unlimited_text,
        etraps,
        services,
        totals,
        budget_input,
        budget_error,
        optimiser,
    }
}

#[derive(serde::Deserialize)]
struct PlanQuery {
    budget: Option<String>,
}

async fn velayat_plan(
    State(state): State<AppState>,
    signed: Signed,
    Path(velayat): Path<String>,
    Query(q): Query<PlanQuery>,
) -> PageResult {
    let (plan, facts, _) = match load_plan(&state, &signed, &velayat).await {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let view = plan_view(
        &state,
        &signed.t,
        &plan,
        &facts,
        &velayat,
        q.budget.as_deref(),
    );
    let status = if view.budget_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = render(PlanPage {
        user: signed.user(),
        view,
        t: signed.t.clone_lang(),
    });
    *response.status_mut() = status;
    Ok(response)
}

async fn velayat_print(
    State(state): State<AppState>,
    signed: Signed,
    Path(velayat): Path<String>,
) -> PageResult {
    let (plan, facts, _) = match load_plan(&state, &signed, &velayat).await {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let view = plan_view(&state, &signed.t, &plan, &facts, &velayat, None);
    Ok(render(PrintPage {
        view,
        t: signed.t.clone_lang(),
    }))
}

async fn velayat_xlsx(
    State(state): State<AppState>,
    signed: Signed,
    Path(velayat): Path<String>,
) -> PageResult {
    let (plan, facts, _) = match load_plan(&state, &signed, &velayat).await {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let catalogue = state.store.catalogue();
    Ok(
        match velayat_plan_xlsx(
            &plan,
            &velayat,
            &catalogue,
            signed.t.lang(),
            facts.protected,
        ) {
            Ok(bytes) => {
                let mut response = bytes.into_response();
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                );
                // The code is a known velayat's (letters, digits, dashes): safe in a header.
                if let Ok(v) =
                    HeaderValue::from_str(&format!("attachment; filename=\"plan-{velayat}.xlsx\""))
                {
                    headers.insert(header::CONTENT_DISPOSITION, v);
                }
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "the plan workbook failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_for_people() {
        assert_eq!(count(0, "en"), "0");
        assert_eq!(count(999, "en"), "999");
        assert_eq!(count(1_241, "en"), "1,241");
        assert_eq!(count(1_030_063, "en"), "1,030,063");
        assert_eq!(count(12_345, "ru"), "12\u{a0}345");
        assert_eq!(money(48_384.0, "en"), "48,384.00");
        assert_eq!(money(1_728.125, "tk"), "1\u{a0}728,13");
        assert_eq!(parse_budget("200 000,50"), Some(20_000_050));
        assert_eq!(parse_budget("-5"), None);
        assert_eq!(parse_budget("abc"), None);
    }
}
