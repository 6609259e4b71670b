//! The statistics pages (issue #5; docs/statistics-outputs.md), for those who read reports:
//!
//! - `/statistics`: choose an indicator, a period (two dates, or a preset year, quarter or
//!   month) and the dimensions to split by (checkboxes, with a position each for the order);
//!   see the published table, hidden cells marked and explained, with two SVG charts drawn here
//!   (bars by place, bars over the months or quarters of the period). A GET form: it changes
//!   nothing. `/statistics.csv` and `/statistics.xlsx` download the same table.
//! - `/statistics/dashboard`: the headline figures of the caller's area (an etrap, a velayat,
//!   the nation) with a chart over this year's months and one by place.
//! - `/statistics/dhis2.json?period=2025Q1`: the DHIS2 data value set, for planners and the
//!   ministry.
//!
//! The table is the source of truth: every chart has a title and a description, and shows only
//! what the table publishes (a hidden bar is drawn as a mark, never as a height).

use super::extract::{message_page, Signed};
use super::i18n::Translator;
use super::planning::{count, xml};
use super::{render, server_error, UserView};
use crate::statistics::{
    self, chart_measure, offered, over_time, parse_indicator, parse_query, today, Figure,
    Indicator, Measure, ParamError, RawParams, StatQuery, StatTable,
};
use crate::statistics_export::{
    self, column_label, column_value_label, dimension_label, figure_reason, indicator_key,
    measure_label, note_text, rule_note, value_label,
};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::disclosure::Published;
use goldaw_core::periods::{buckets, CalendarPeriod, Step};
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::StoreError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statistics", get(report_page))
        .route("/statistics.csv", get(report_csv))
        .route("/statistics.xlsx", get(report_xlsx))
        .route("/statistics/dashboard", get(dashboard))
        .route("/statistics/dhis2.json", get(dhis2_download))
}

/// The mark a hidden figure shows instead of its value (explained under the table).
const HIDDEN_MARK: &str = "•";

/// The refusal page, unless the caller reads statistics (the permission and an area).
fn deny(signed: &Signed) -> Option<Response> {
    if statistics::may_read(signed.principal()) {
        return None;
    }
    Some(
        signed
            .deny_unless(Permission::ReadReports)
            .unwrap_or_else(|| {
                message_page(
                    &signed.t,
                    signed.user(),
                    StatusCode::FORBIDDEN,
                    "access-denied",
                    "stat-no-area",
                )
            }),
    )
}

// ----- numbers for people ----------------------------------------------------------------------

/// A decimal number with the page's separator: `10.5` in English, `10,5` in Russian and Turkmen.
fn decimal(x: f64, places: usize, lang: &str) -> String {
    let text = format!("{x:.places$}");
    if lang == "en" {
        text
    } else {
        text.replace('.', ",")
    }
}

/// A published figure for people: grouped digits for a count, one decimal for a rate or a
/// median (three for a percentage of the population, which is small), the hidden mark, or a
/// dash where the figure is not defined.
fn figure(f: Figure, measure: Measure, lang: &str) -> String {
    match f {
        Figure::Count {
            value: Published::Shown { value },
        } => count(value, lang),
        Figure::Number {
            value: Published::Shown { value },
        } => decimal(value, if measure == Measure::Percent { 3 } else { 1 }, lang),
        Figure::Count { .. } | Figure::Number { .. } => HIDDEN_MARK.to_owned(),
        Figure::None => "–".to_owned(),
    }
}

/// The length of a bar: `None` when there is nothing to draw (hidden or undefined).
fn bar_value(f: Figure) -> Option<f64> {
    match f {
        Figure::Count {
            value: Published::Shown { value },
        } => Some(value as f64),
        Figure::Number {
            value: Published::Shown { value },
        } => Some(value),
        _ => None,
    }
}

/// The area a principal's statistics cover, by name.
fn area_name(state: &AppState, principal: &Principal, t: &Translator) -> String {
    let code = principal
        .unit_scope()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    crate::planning_export::unit_name(&state.store.catalogue(), &code, t.lang())
}

/// By velayat for the nation, by unit below it otherwise (a velayat's etraps, an etrap's own
/// figure or its boroughs).
fn place_dimension(principal: &Principal) -> Dimension {
    match principal.unit_scope() {
        Some(code) if code.as_str() == "TM" => Dimension::Velayat,
        _ => Dimension::AdminUnit,
    }
}

// ----- charts ----------------------------------------------------------------------------------

/// One bar: its label and the published figure (a count or a rate).
struct Bar {
    label: String,
    value: Figure,
    measure: Measure,
}

/// Round steps for an axis (1, 2, 2.5 or 5 × a power of ten), at most about five of them.
fn axis(max: f64) -> (f64, usize) {
    let top = if max > 0.0 { max } else { 1.0 };
    let raw = top / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    // Counts have whole steps.
    let step = if max >= 5.0 || max == 0.0 {
        step.max(1.0)
    } else {
        step
    };
    let steps = (top / step).ceil().max(1.0) as usize;
    (step, steps)
}

/// An axis label: whole numbers grouped, small steps with one decimal.
fn tick(v: f64, step: f64, lang: &str) -> String {
    if step >= 1.0 {
        count(v.round() as u64, lang)
    } else {
        decimal(v, 1, lang)
    }
}

fn bars_max(bars: &[Bar]) -> f64 {
    bars.iter()
        .filter_map(|b| bar_value(b.value))
        .fold(0.0, f64::max)
}

/// The chart's figures as a sentence for its description: the table's figures in words.
fn chart_desc(t: &Translator, bars: &[Bar]) -> String {
    let parts: Vec<String> = bars
        .iter()
        .map(|b| {
            let text = if b.value.is_suppressed() {
                t.t("stat-hidden")
            } else {
                figure(b.value, b.measure, t.lang())
            };
            format!("{}: {text}", b.label)
        })
        .collect();
    if parts.is_empty() {
        t.t("no-data")
    } else {
        parts.join("; ")
    }
}

fn svg_open(id: &str, w: f64, h: f64, title: &str, desc: &str) -> String {
    format!(
        r#"<svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        xml(title),
        xml(desc)
    )
}

/// Horizontal bars, one per row (places: long names read best beside the bar).
fn horizontal_bars(id: &str, title: &str, bars: &[Bar], t: &Translator) -> String {
    let lang = t.lang();
    let row_h = 28.0_f64;
    let (left, right, top, bottom) = (190.0_f64, 70.0_f64, 8.0_f64, 28.0_f64);
    let w = 720.0_f64;
    let h = top + bottom + row_h * bars.len().max(1) as f64;
    let plot_w = w - left - right;
    let (step, steps) = axis(bars_max(bars));
    let x_max = step * steps as f64;
    let x = |v: f64| left + plot_w * v / x_max;
    let mut s = svg_open(id, w, h, title, &chart_desc(t, bars));
    for k in 0..=steps {
        let v = step * k as f64;
        s.push_str(&format!(
            r##"<line x1="{0:.1}" y1="{top}" x2="{0:.1}" y2="{1:.1}" stroke="#cfd6de"/><text x="{0:.1}" y="{2:.1}" font-size="12" text-anchor="middle" fill="#4a5561">{3}</text>"##,
            x(v),
            h - bottom,
            h - bottom + 16.0,
            tick(v, step, lang)
        ));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let mid = y + row_h / 2.0 + 4.0;
        let label: String = b.label.chars().take(28).collect();
        s.push_str(&format!(
            r##"<text x="{:.1}" y="{mid:.1}" font-size="12" text-anchor="end" fill="#1b1f24">{}</text>"##,
            left - 6.0,
            xml(&label)
        ));
        let text = figure(b.value, b.measure, lang);
        match bar_value(b.value) {
            Some(value) => s.push_str(&format!(
                r##"<rect class="bar" x="{left}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#0b5cad"><title>{}: {text}</title></rect><text x="{:.1}" y="{mid:.1}" font-size="12" fill="#1b1f24">{text}</text>"##,
                y + 4.0,
                x(value) - left,
                row_h - 8.0,
                xml(&b.label),
                x(value) + 4.0,
            )),
            None if b.value.is_suppressed() => s.push_str(&format!(
                r##"<text class="hidden-bar" x="{:.1}" y="{mid:.1}" font-size="12" fill="#a4161a">{HIDDEN_MARK} {}</text>"##,
                left + 4.0,
                xml(&t.t("stat-hidden"))
            )),
            None => s.push_str(&format!(
                r##"<text x="{:.1}" y="{mid:.1}" font-size="12" fill="#4a5561">{text}</text>"##,
                left + 4.0
            )),
        }
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars in time order (months or quarters).
fn vertical_bars(id: &str, title: &str, bars: &[Bar], t: &Translator) -> String {
    let lang = t.lang();
    let (w, h) = (720.0_f64, 300.0_f64);
    let (left, right, top, bottom) = (56.0_f64, 12.0_f64, 16.0_f64, 44.0_f64);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let (step, steps) = axis(bars_max(bars));
    let y_max = step * steps as f64;
    let y = |v: f64| top + plot_h * (1.0 - v / y_max);
    let slot = plot_w / bars.len().max(1) as f64;
    let bw = (slot * 0.7).min(48.0);
    let mut s = svg_open(id, w, h, title, &chart_desc(t, bars));
    for k in 0..=steps {
        let v = step * k as f64;
        s.push_str(&format!(
            r##"<line x1="{left}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#cfd6de"/><text x="{2:.1}" y="{3:.1}" font-size="12" text-anchor="end" fill="#4a5561">{4}</text>"##,
            y(v),
            left + plot_w,
            left - 6.0,
            y(v) + 4.0,
            tick(v, step, lang)
        ));
    }
    // Every label while they fit, else every other (or more).
    let every = bars.len().div_ceil(14).max(1);
    for (i, b) in bars.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        if i % every == 0 {
            s.push_str(&format!(
                r##"<text x="{cx:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#4a5561">{}</text>"##,
                h - bottom + 18.0,
                xml(&b.label)
            ));
        }
        match bar_value(b.value) {
            Some(value) => s.push_str(&format!(
                r##"<rect class="bar" x="{:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="#0b5cad"><title>{}: {}</title></rect>"##,
                cx - bw / 2.0,
                y(value),
                top + plot_h - y(value),
                xml(&b.label),
                figure(b.value, b.measure, lang)
            )),
            None if b.value.is_suppressed() => s.push_str(&format!(
                r##"<text class="hidden-bar" x="{cx:.1}" y="{:.1}" font-size="14" text-anchor="middle" fill="#a4161a">{HIDDEN_MARK}<title>{}: {}</title></text>"##,
                top + plot_h - 6.0,
                xml(&b.label),
                xml(&t.t("stat-hidden"))
            )),
            None => {}
        }
    }
    s.push_str("</svg>");
    s
}

/// A month or quarter as a short label: `2025-01`, `2025 Q1`.
fn bucket_label(p: CalendarPeriod) -> String {
    match p {
        CalendarPeriod::Year(y) => y.to_string(),
        CalendarPeriod::Quarter(y, q) => format!("{y} Q{q}"),
        CalendarPeriod::Month(y, m) => format!("{y}-{m:02}"),
    }
}

/// The values of a row as people read them: the dimensions', then the own columns'.
fn row_labels(
    state: &AppState,
    t: &Translator,
    table: &StatTable,
    values: &[String],
) -> Vec<String> {
    let catalogue = state.store.catalogue();
    let dims = &table.query.dims;
    let columns = table.query.indicator.columns();
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match dims.get(i) {
            Some(d) => value_label(&catalogue, t, *d, v),
            None => columns
                .get(i - dims.len())
                .map_or_else(|| v.clone(), |c| column_value_label(&catalogue, t, *c, v)),
        })
        .collect()
}

/// The bars of a table: one per row, labelled by its values.
fn table_bars(state: &AppState, t: &Translator, table: &StatTable) -> Vec<Bar> {
    let measure = chart_measure(table.query.indicator);
    table
        .table
        .rows
        .iter()
        .map(|r| Bar {
            label: row_labels(state, t, table, &r.values).join(", "),
            value: table.table.figure(r, measure).unwrap_or(Figure::None),
            measure,
        })
        .collect()
}

/// Bars by place for `period` (one published table by velayat or unit), or, for an indicator
/// with its own columns, by those columns for the whole area (the funnel's steps).
async fn place_or_column_bars(
    state: &AppState,
    principal: &Principal,
    t: &Translator,
    indicator: Indicator,
    period: Period,
) -> Result<(String, Vec<Bar>), StoreError> {
    let by_column = !indicator.columns().is_empty();
    let dims = if by_column {
        Vec::new()
    } else {
        vec![place_dimension(principal)]
    };
    let query = StatQuery {
        indicator,
        period,
        dims,
        min_cell: None,
    };
    let table = statistics::run(&state.store, principal, &query).await?;
    let name = t.t(&indicator_key(indicator));
    let split = if by_column {
        indicator
            .columns()
            .iter()
            .map(|c| column_label(t, *c))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        dimension_label(t, place_dimension(principal))
    };
    let title = t.t_with(
        "stat-chart-place",
        &[("indicator", name.into()), ("dimension", split.into())],
    );
    Ok((title, table_bars(state, t, &table)))
}

/// Bars over the months or quarters of the period; none for an indicator with own columns
/// (its table has several rows for each).
async fn time_bars(
    state: &AppState,
    principal: &Principal,
    t: &Translator,
    indicator: Indicator,
    period: &Period,
    step: Step,
) -> Result<Option<(String, Vec<Bar>)>, StoreError> {
    if !indicator.columns().is_empty() {
        return Ok(None);
    }
    let cut = buckets(period, step).map_err(|e| StoreError::invalid("step", e.to_string()))?;
    let measure = chart_measure(indicator);
    let bars = over_time(&state.store, principal, indicator, &cut)
        .await?
        .into_iter()
        .map(|(p, value)| Bar {
            label: bucket_label(p),
            value,
            measure,
        })
        .collect();
    let key = match step {
        Step::Month => "stat-chart-months",
        Step::Quarter => "stat-chart-quarters",
    };
    let title = t.t_with(key, &[("indicator", t.t(&indicator_key(indicator)).into())]);
    Ok(Some((title, bars)))
}

// ----- the report page -------------------------------------------------------------------------

struct DimChoice {
    name: &'static str,
    label: String,
    checked: bool,
    order: String,
}

struct Preset {
    id: String,
    label: String,
    href: String,
}

struct CellView {
    text: String,
    /// Why the figure is hidden, if it is.
    hidden: Option<String>,
}

struct RowView {
    labels: Vec<String>,
    figures: Vec<CellView>,
    /// A total published with the table (rolled up, or summed over a column).
    total: bool,
}

struct ResultView {
    title: String,
    rule_note: String,
    notes: Vec<String>,
    /// Dimension and own-column headers, then figure headers.
    label_header: Vec<String>,
    figure_header: Vec<String>,
    rows: Vec<RowView>,
    hidden_rows: usize,
    hidden_text: String,
    query_string: String,
    place_chart: String,
    time_chart: String,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct ReportPage {
    t: Translator,
    user: Option<UserView>,
    indicators: Vec<(&'static str, String, bool)>,
    from: String,
    to: String,
    dims: Vec<DimChoice>,
    min_cell: String,
    shows_min_cell: bool,
    presets: Vec<Preset>,
    errors: Vec<String>,
    result: Option<ResultView>,
    may_dhis2: bool,
    dhis2_period: String,
}

fn raw<'a>(params: &'a RawParams, name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The query as asked, or the page's default (service users this calendar year, no split: a
/// whole year, which every reader may ask for).
fn page_query(params: &RawParams) -> Result<StatQuery, ParamError> {
    let indicator = parse_indicator(params, Indicator::ServiceUsers)?;
    parse_query(
        params,
        indicator,
        Some(CalendarPeriod::year_of(today()).period()),
        &["step"],
    )
}

/// A parameter error as a sentence in the page's language.
fn param_message(t: &Translator, e: &ParamError) -> String {
    t.t_with(
        "stat-bad-param",
        &[
            ("field", t.t(&format!("stat-param-{}", e.param)).into()),
            ("detail", e.message.clone().into()),
        ],
    )
}

/// A store refusal as a sentence, or the response to send instead.
// The error is the page to send (a `Response`, large): built once per request, never copied.
#[allow(clippy::result_large_err)]
fn store_refusal(signed: &Signed, e: StoreError) -> Result<String, Response> {
    match e {
        // A refusal the store words itself (a period that is not a calendar one, without the
        // unsuppressed grant), in the reader's language.
        StoreError::Invalid { say: Some(say), .. } => Ok(signed.t.say(&say)),
        StoreError::Invalid { field, message, .. } => {
            let param = match field.as_str() {
                "min_cell" => "min_cell",
                "indicator" => "indicator",
                "step" => "step",
                _ => "by",
            };
            Ok(param_message(&signed.t, &ParamError { param, message }))
        }
        StoreError::Forbidden(_) => Ok(signed.t.t("stat-forbidden")),
        StoreError::NotFound => Err(signed.not_found()),
        other => Err(server_error(other)),
    }
}

async fn report_page(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> Response {
    if let Some(r) = deny(&signed) {
        return r;
    }
    let t = &signed.t;
    let lang = t.lang();
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let principal = signed.principal();
    let parsed = page_query(&params);
    let mut errors = Vec::new();
    let mut result = None;
    match &parsed {
        Err(e) => errors.push(param_message(t, e)),
        Ok(query) if !offered(principal).contains(&query.indicator) => {
            errors.push(t.t("stat-forbidden"))
        }
        Ok(query) => match build_result(&state, &signed, query, &params).await {
            Ok(Ok(view)) => result = Some(view),
            Ok(Err(message)) => errors.push(message),
            Err(response) => return response,
        },
    }
    let base = parsed.clone().unwrap_or_else(|_| StatQuery {
        indicator: Indicator::ServiceUsers,
        period: CalendarPeriod::year_of(today()).period(),
        dims: Vec::new(),
        min_cell: None,
    });
    let chosen = base.indicator;
    let now = today();
    let presets = [
        ("preset-this-year", CalendarPeriod::year_of(now)),
        ("preset-last-year", CalendarPeriod::year_of(now).previous()),
        ("preset-this-quarter", CalendarPeriod::quarter_of(now)),
        (
            "preset-last-quarter",
            CalendarPeriod::quarter_of(now).previous(),
        ),
        ("preset-this-month", CalendarPeriod::month_of(now)),
        (
            "preset-last-month",
            CalendarPeriod::month_of(now).previous(),
        ),
    ]
    .into_iter()
    .map(|(key, p)| Preset {
        id: key.to_owned(),
        label: t.t_with(
            &format!("stat-{key}"),
            &[("period", bucket_label(p).into())],
        ),
        href: format!(
            "/statistics?{}",
            StatQuery {
                period: p.period(),
                ..base.clone()
            }
            .to_query_string()
        ),
    })
    .collect();
    // The form keeps what was typed: the dates as sent (or the period's), the boxes as ticked.
    let (from, to) = match (&parsed, raw(&params, "from"), raw(&params, "to")) {
        (Ok(q), _, _) => (q.period.from().to_string(), q.period.to().to_string()),
        (Err(_), f, to) => (f.to_owned(), to.to_owned()),
    };
    let ticked: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "by")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    // Every dimension any indicator takes, so that a choice survives a change of indicator.
    let dims = Dimension::ALL
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let position = base.dims.iter().position(|x| x == d);
            DimChoice {
                name: d.as_str(),
                label: dimension_label(t, *d),
                checked: position.is_some() || ticked.contains(&d.as_str()),
                order: match raw(&params, &format!("order_{}", d.as_str())) {
                    "" => (position.unwrap_or(i) + 1).to_string(),
                    typed => typed.to_owned(),
                },
            }
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = render(ReportPage {
        user: signed.user(),
        indicators: offered(principal)
            .into_iter()
            .map(|i| (i.as_str(), t.t(&indicator_key(i)), i == chosen))
            .collect(),
        from,
        to,
        dims,
        min_cell: raw(&params, "min_cell").to_owned(),
        shows_min_cell: principal.may(Permission::ReadUnsuppressed),
        presets,
        errors,
        result,
        may_dhis2: principal.may(Permission::Dhis2Export),
        dhis2_period: CalendarPeriod::quarter_of(now).previous().to_string(),
        t: Translator::new(Some(lang)),
    });
    *response.status_mut() = status;
    response
}

/// The table and its charts; `Ok(Err(message))` when the store refuses the question.
async fn build_result(
    state: &AppState,
    signed: &Signed,
    query: &StatQuery,
    params: &RawParams,
) -> Result<Result<ResultView, String>, Response> {
    let t = &signed.t;
    let principal = signed.principal();
    let step = match raw(params, "step") {
        "" => Step::for_period(&query.period),
        s => match s.parse::<Step>() {
            Ok(step) => step,
            Err(e) => {
                let e = ParamError {
                    param: "step",
                    message: e.to_string(),
                };
                return Ok(Err(param_message(t, &e)));
            }
        },
    };
    let table = match statistics::run(&state.store, principal, query).await {
        Ok(table) => table,
        Err(e) => return store_refusal(signed, e).map(Err),
    };
    let (place, time) = tokio::join!(
        place_or_column_bars(state, principal, t, query.indicator, query.period),
        time_bars(state, principal, t, query.indicator, &query.period, step),
    );
    let (place, time) = match (place, time) {
        (Ok(p), Ok(t)) => (p, t),
        (Err(e), _) | (_, Err(e)) => return store_refusal(signed, e).map(Err),
    };
    let place_chart = horizontal_bars("place-chart", &place.0, &place.1, t);
    let time_chart = time
        .map(|(title, bars)| vertical_bars("time-chart", &title, &bars, t))
        .unwrap_or_default();
    Ok(Ok(result_view(state, t, &table, place_chart, time_chart)))
}

fn result_view(
    state: &AppState,
    t: &Translator,
    table: &StatTable,
    place_chart: String,
    time_chart: String,
) -> ResultView {
    let lang = t.lang();
    let dims = &table.query.dims;
    let columns = table.query.indicator.columns();
    let measures = &table.table.measures;
    let rows = table
        .table
        .rows
        .iter()
        .map(|r| (r, false))
        .chain(table.table.totals.iter().map(|r| (r, true)))
        .map(|(r, total)| RowView {
            total,
            labels: row_labels(state, t, table, &r.values),
            figures: r
                .figures
                .iter()
                .zip(measures)
                .map(|(f, m)| CellView {
                    text: figure(*f, *m, lang),
                    hidden: figure_reason(*f)
                        .map(|reason| statistics_export::reason_label(t, reason)),
                })
                .collect(),
        })
        .collect();
    let hidden_rows = table.hidden_rows();
    ResultView {
        title: statistics_export::title(t, &table.query),
        rule_note: rule_note(t, table.table.rule, table.query.indicator),
        notes: table.table.notes.iter().map(|n| note_text(t, n)).collect(),
        label_header: dims
            .iter()
            .map(|d| dimension_label(t, *d))
            .chain(columns.iter().map(|c| column_label(t, *c)))
            .collect(),
        figure_header: measures.iter().map(|m| measure_label(t, *m)).collect(),
        rows,
        hidden_rows,
        hidden_text: t.t_with("stat-hidden-count", &[("count", hidden_rows.into())]),
        query_string: table.query.to_query_string(),
        place_chart,
        time_chart,
    }
}

// ----- downloads -------------------------------------------------------------------------------

/// The table asked for by a download link, or the page that says why not.
async fn download_table(
    state: &AppState,
    signed: &Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> Result<StatTable, Response> {
    if let Some(r) = deny(signed) {
        return Err(r);
    }
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let query = page_query(&params)
        .map_err(|e| signed.refuse(StatusCode::BAD_REQUEST, param_message(&signed.t, &e)))?;
    match statistics::run(&state.store, signed.principal(), &query).await {
        Ok(table) => Ok(table),
        Err(e) => {
            let status = match e {
                StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            Err(match store_refusal(signed, e) {
                Ok(message) => signed.refuse(status, message),
                Err(response) => response,
            })
        }
    }
}

/// A file to download: its type and name (made of known codes and dates only).
fn attachment(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn file_stem(q: &StatQuery) -> String {
    format!("{}-{}-{}", q.indicator, q.period.from(), q.period.to())
}

fn internal(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

async fn report_csv(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> Response {
    let table = match download_table(&state, &signed, params).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    attachment(
        statistics_export::csv(&table).into_bytes(),
        "text/csv; charset=utf-8",
        &format!("{}.csv", file_stem(&table.query)),
    )
}

async fn report_xlsx(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> Response {
    let table = match download_table(&state, &signed, params).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match statistics_export::xlsx(&table, &state.store.catalogue(), signed.t.lang()) {
        Ok(bytes) => attachment(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{}.xlsx", file_stem(&table.query)),
        ),
        Err(e) => internal("the statistics workbook", e),
    }
}

#[derive(serde::Deserialize)]
struct Dhis2Query {
    period: Option<String>,
}

async fn dhis2_download(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<Dhis2Query>, QueryRejection>,
) -> Response {
    if let Some(r) = deny(&signed) {
        return r;
    }
    if let Some(r) = signed.deny_unless(Permission::Dhis2Export) {
        return r;
    }
    let t = &signed.t;
    let raw_period = query.ok().and_then(|Query(q)| q.period).unwrap_or_default();
    let period: CalendarPeriod = match raw_period.trim().parse() {
        Ok(p) => p,
        Err(e) => {
            let e = ParamError {
                param: "period",
                message: goldaw_core::ParseError::to_string(&e),
            };
            return signed.refuse(StatusCode::BAD_REQUEST, param_message(t, &e));
        }
    };
    let mapping = match statistics_export::configured_mapping() {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "the DHIS2 mapping is unusable");
            return signed.refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                t.t_with("stat-dhis2-mapping-broken", &[("detail", e.into())]),
            );
        }
    };
    match statistics_export::dhis2(&state.store, signed.principal(), &mapping, period).await {
        Ok(set) => match serde_json::to_vec_pretty(&set) {
            Ok(body) => attachment(
                body,
                "application/json",
                &format!("dhis2-dataValueSets-{period}.json"),
            ),
            Err(e) => internal("the DHIS2 document", e),
        },
        Err(statistics_export::Dhis2Error::Mapping(detail)) => signed.refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t_with("stat-dhis2-mapping-broken", &[("detail", detail.into())]),
        ),
        Err(statistics_export::Dhis2Error::Store(e)) => match store_refusal(&signed, e) {
            Ok(message) => signed.refuse(StatusCode::BAD_REQUEST, message),
            Err(response) => response,
        },
    }
}

// ----- the dashboard ---------------------------------------------------------------------------

struct Headline {
    id: &'static str,
    label: String,
    value: String,
    note: String,
}

#[derive(Template)]
#[template(path = "statistics_dashboard.html")]
struct DashboardPage {
    t: Translator,
    user: Option<UserView>,
    title: String,
    headlines: Vec<Headline>,
    charts: Vec<String>,
    report_href: String,
}

async fn dashboard(State(state): State<AppState>, signed: Signed) -> Response {
    if let Some(r) = deny(&signed) {
        return r;
    }
    let data = match dashboard_data(&state, signed.principal()).await {
        Ok(d) => d,
        Err(e) => {
            return match store_refusal(&signed, e) {
                Ok(message) => signed.refuse(StatusCode::BAD_REQUEST, message),
                Err(response) => response,
            }
        }
    };
    render(dashboard_page(&state, &signed, &data))
}

/// An indicator the store does not compute yet answers `Invalid { field: "indicator" }`: the
/// dashboard shows a dash for it rather than failing.
fn unless_unbuilt<T>(r: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::Invalid { field, .. }) if field == "indicator" => Ok(None),
        Err(e) => Err(e),
    }
}

/// The published tables a dashboard shows, before they are put into words.
struct DashboardData {
    this_year: Period,
    last_year: Period,
    current: StatTable,
    previous: StatTable,
    coverage: Option<StatTable>,
    open: Published<u64>,
    place: StatTable,
    time: Vec<(CalendarPeriod, Figure)>,
    funnel: Option<StatTable>,
}

/// How long a dashboard is served from memory by default: new episodes show within this time.
const DASHBOARD_FRESH: std::time::Duration = std::time::Duration::from_secs(600);

/// How long a dashboard is served from memory: `GOLDAW_DASHBOARD_CACHE_SECONDS` if set to a
/// whole number (0 makes every view from the store: for measuring, or for an operator who wants
/// fresh figures), else [`DASHBOARD_FRESH`]. Read once, at the first dashboard.
fn dashboard_fresh() -> std::time::Duration {
    static FRESH: std::sync::LazyLock<std::time::Duration> = std::sync::LazyLock::new(|| {
        match std::env::var("GOLDAW_DASHBOARD_CACHE_SECONDS") {
            Ok(v) => match v.trim().parse::<u64>() {
                Ok(s) => std::time::Duration::from_secs(s),
                Err(_) => {
                    tracing::warn!(value = %v, "GOLDAW_DASHBOARD_CACHE_SECONDS is not a whole number of seconds; using 600");
                    DASHBOARD_FRESH
                }
            },
            Err(_) => DASHBOARD_FRESH,
        }
    });
    *FRESH
}

/// Awaits one of the dashboard's tables and logs how long it took (debug level, target
/// `goldaw_web::pages::statistics`): the tables run side by side, so this is the time until
/// the table was ready, which shows the one the page waits for.
async fn timed<T>(table: &'static str, work: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let out = work.await;
    tracing::debug!(
        table,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "dashboard table"
    );
    out
}

/// Dashboards by (database, area, release, day in Ashgabat), with when they were made. A
/// dashboard is the same for everyone who reads reports in an area with the same release (the
/// standard rule, no caseload; exact counts with the unsuppressed grant, perturbed ones without:
/// `goldaw_core::cell_key::Release`, and the exact ones must never be served to a reader without
/// the grant), so those are the key; the day in the key ends every entry at midnight, when the
/// year may change; the freshness limit bounds how old a figure can be within the day. At
/// national scale a dashboard is some fifteen published tables (seconds on a loaded machine;
/// docs/statistics-outputs.md, "Speed"), served from here in milliseconds.
type DashboardKey = (
    String,
    String,
    goldaw_core::cell_key::Release,
    chrono::NaiveDate,
);
type Dashboards =
    std::collections::HashMap<DashboardKey, (std::time::Instant, std::sync::Arc<DashboardData>)>;
static DASHBOARDS: std::sync::LazyLock<std::sync::Mutex<Dashboards>> =
    std::sync::LazyLock::new(Default::default);

async fn dashboard_data(
    state: &AppState,
    principal: &Principal,
) -> Result<std::sync::Arc<DashboardData>, StoreError> {
    let now = today();
    let area = principal
        .unit_scope()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    let release = goldaw_core::cell_key::Release::of(principal);
    let key: DashboardKey = (state.store.url().to_string(), area.clone(), release, now);
    let cached = DASHBOARDS.lock().ok().and_then(|map| {
        map.get(&key)
            .filter(|(made, _)| made.elapsed() < dashboard_fresh())
            .map(|(_, data)| data.clone())
    });
    if let Some(data) = cached {
        // Served from memory, the view is still on the record.
        state
            .store
            .audit(
                principal,
                goldaw_store::audit::AuditEvent::plain("report.dashboard")
                    .with_detail(format!("{area}, cached")),
            )
            .await?;
        return Ok(data);
    }
    let started = std::time::Instant::now();
    let data = std::sync::Arc::new(build_dashboard(state, principal, now).await?);
    tracing::debug!(
        area = %area,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "dashboard made from the store"
    );
    if let Ok(mut map) = DASHBOARDS.lock() {
        map.retain(|(_, _, _, day), (made, _)| *day == now && made.elapsed() < dashboard_fresh());
        if !dashboard_fresh().is_zero() {
            map.insert(key, (std::time::Instant::now(), data.clone()));
        }
    }
    Ok(data)
}

async fn build_dashboard(
    state: &AppState,
    principal: &Principal,
    now: chrono::NaiveDate,
) -> Result<DashboardData, StoreError> {
    // Whole calendar years, which every reader may ask for (a year so far would move every day,
    // and two days' figures would tell who started in between).
    let this_year = CalendarPeriod::year_of(now).period();
    let last_year = CalendarPeriod::year_of(now).previous().period();
    let total = |indicator, period| StatQuery {
        indicator,
        period,
        dims: Vec::new(),
        min_cell: None,
    };
    let (users_now, users_before, cover, funnel) = (
        total(Indicator::ServiceUsers, this_year),
        total(Indicator::ServiceUsers, last_year),
        total(Indicator::Coverage, this_year),
        total(Indicator::Funnel, this_year),
    );
    let place_query = StatQuery {
        dims: vec![place_dimension(principal)],
        ..total(Indicator::ServiceUsers, this_year)
    };
    let mut cut =
        buckets(&this_year, Step::Month).map_err(|e| StoreError::invalid("step", e.to_string()))?;
    // The months begun so far, each a whole month.
    cut.retain(|(_, month)| month.from() <= now);
    let (current, previous, coverage, open, place, time, funnel) = tokio::join!(
        timed(
            "users this year",
            statistics::run(&state.store, principal, &users_now)
        ),
        timed(
            "users last year",
            statistics::run(&state.store, principal, &users_before)
        ),
        timed("coverage", statistics::run(&state.store, principal, &cover)),
        timed("open cases", state.store.open_cases(principal)),
        timed(
            "users by place",
            statistics::run(&state.store, principal, &place_query)
        ),
        timed(
            "users by month",
            over_time(&state.store, principal, Indicator::ServiceUsers, &cut)
        ),
        timed("funnel", statistics::run(&state.store, principal, &funnel)),
    );
    Ok(DashboardData {
        this_year,
        last_year,
        current: current?,
        previous: previous?,
        coverage: unless_unbuilt(coverage)?,
        open: open?,
        place: place?,
        time: time?,
        funnel: unless_unbuilt(funnel)?,
    })
}

fn dashboard_page(state: &AppState, signed: &Signed, data: &DashboardData) -> DashboardPage {
    let t = &signed.t;
    let lang = t.lang();
    let principal = signed.principal();
    let users = |table: &StatTable| {
        figure(
            statistics::total_of(table, Measure::Users),
            Measure::Users,
            lang,
        )
    };
    let coverage_text = data.coverage.as_ref().map_or_else(
        || "–".to_owned(),
        |c| {
            let per = statistics::total_of(c, Measure::Per100000);
            let pct = statistics::total_of(c, Measure::Percent);
            if per.is_suppressed() || pct.is_suppressed() {
                HIDDEN_MARK.to_owned()
            } else if matches!(per, Figure::None) {
                "–".to_owned()
            } else {
                t.t_with(
                    "stat-coverage-value",
                    &[
                        ("rate", figure(per, Measure::Per100000, lang).into()),
                        ("percent", figure(pct, Measure::Percent, lang).into()),
                    ],
                )
            }
        },
    );
    let year = |p: &Period| p.from().format("%Y").to_string();
    let headlines = vec![
        Headline {
            id: "users-this-year",
            label: t.t_with(
                "stat-users-this-year",
                &[("year", year(&data.this_year).into())],
            ),
            value: users(&data.current),
            note: t.t_with(
                "stat-period-note",
                &[
                    ("from", data.this_year.from().to_string().into()),
                    ("to", data.this_year.to().to_string().into()),
                ],
            ),
        },
        Headline {
            id: "users-last-year",
            label: t.t_with(
                "stat-users-last-year",
                &[("year", year(&data.last_year).into())],
            ),
            value: users(&data.previous),
            note: String::new(),
        },
        Headline {
            id: "coverage",
            label: t.t("stat-coverage"),
            value: coverage_text,
            note: data
                .coverage
                .as_ref()
                .map(|c| statistics::total_of(c, Measure::Population))
                .and_then(statistics::as_count)
                .and_then(|p| p.value())
                .map(|p| t.t_with("stat-population", &[("count", count(p, lang).into())]))
                .unwrap_or_default(),
        },
        Headline {
            id: "cases-open",
            label: t.t("stat-cases-open"),
            value: figure(Figure::Count { value: data.open }, Measure::Cases, lang),
            note: String::new(),
        },
    ];
    let name = t.t(&indicator_key(Indicator::ServiceUsers));
    let time: Vec<Bar> = data
        .time
        .iter()
        .map(|(p, value)| Bar {
            label: bucket_label(*p),
            value: *value,
            measure: Measure::Users,
        })
        .collect();
    let mut charts = vec![
        vertical_bars(
            "time-chart",
            &t.t_with("stat-chart-months", &[("indicator", name.clone().into())]),
            &time,
            t,
        ),
        horizontal_bars(
            "place-chart",
            &t.t_with(
                "stat-chart-place",
                &[
                    ("indicator", name.into()),
                    (
                        "dimension",
                        dimension_label(t, place_dimension(principal)).into(),
                    ),
                ],
            ),
            &table_bars(state, t, &data.place),
            t,
        ),
    ];
    if let Some(funnel) = &data.funnel {
        let split: Vec<String> = Indicator::Funnel
            .columns()
            .iter()
            .map(|c| column_label(t, *c))
            .collect();
        charts.push(horizontal_bars(
            "funnel-chart",
            &t.t_with(
                "stat-chart-place",
                &[
                    ("indicator", t.t(&indicator_key(Indicator::Funnel)).into()),
                    ("dimension", split.join(", ").into()),
                ],
            ),
            &table_bars(state, t, funnel),
            t,
        ));
    }
    DashboardPage {
        title: t.t_with(
            "stat-dashboard-title",
            &[("area", area_name(state, principal, t).into())],
        ),
        headlines,
        charts,
        report_href: format!("/statistics?{}", data.place.query.to_query_string()),
        user: signed.user(),
        t: Translator::new(Some(lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldaw_core::disclosure::Reason;

    #[test]
    fn charts_draw_shown_bars_and_mark_hidden_ones() {
        let t = Translator::new(Some("en"));
        let bars = vec![
            Bar {
                label: "Ahal".into(),
                value: Figure::count(1_240),
                measure: Measure::Users,
            },
            Bar {
                label: "Balkan".into(),
                value: Figure::Count {
                    value: Published::Suppressed {
                        reason: Reason::Primary,
                    },
                },
                measure: Measure::Users,
            },
        ];
        for svg in [
            horizontal_bars("c", "Title <1>", &bars, &t),
            vertical_bars("c", "Title <1>", &bars, &t),
        ] {
            assert_eq!(svg.matches(r#"class="bar""#).count(), 1, "{svg}");
            assert_eq!(svg.matches(r#"class="hidden-bar""#).count(), 1);
            assert!(svg.contains("<title id=\"c-title\">Title &lt;1&gt;</title>"));
            assert!(svg.contains("Ahal: 1,240; Balkan: hidden"), "{svg}");
            assert!(svg.contains(r#"role="img""#));
        }
        assert_eq!(axis(1_240.0), (250.0, 5));
        assert_eq!(axis(0.0), (1.0, 1));
        assert_eq!(axis(2.0), (0.5, 4), "a small rate gets steps below one");
        assert_eq!(decimal(10.04, 1, "ru"), "10,0");
        assert_eq!(
            figure(Figure::number(0.0123), Measure::Percent, "en"),
            "0.012"
        );
        assert_eq!(figure(Figure::None, Measure::Share, "en"), "–");
        assert_eq!(bucket_label(CalendarPeriod::Quarter(2025, 2)), "2025 Q2");
    }
}
