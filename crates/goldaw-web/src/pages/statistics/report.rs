//! The report page (`/statistics`): the question as a GET form, the published table and its
//! charts.

use super::charts::{
    bucket_label, horizontal_bars, place_or_column_bars, row_labels, time_bars, vertical_bars,
};
use super::{deny, figure};
use crate::i18n::Translator;
use crate::pages::common::{render, server_error};
use crate::pages::error::PageResult;
use crate::pages::extract::Signed;
use crate::pages::UserView;
use crate::statistics::{
    self, offered, parse_indicator, parse_query, today, Indicator, ParamError, RawParams,
    StatQuery, StatTable,
};
use crate::statistics_export::{
    self, column_label, dimension_label, figure_reason, indicator_key, measure_label, note_text,
    rule_note,
};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use goldaw_core::access::Permission;
use goldaw_core::periods::{CalendarPeriod, Step};
use goldaw_core::statistics::Dimension;
use goldaw_store::StoreError;

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

pub(super) fn raw<'a>(params: &'a RawParams, name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The query as asked, or the page's default (service users this calendar year, no split: a
/// whole year, which every reader may ask for).
pub(super) fn page_query(params: &RawParams) -> Result<StatQuery, ParamError> {
    let indicator = parse_indicator(params, Indicator::ServiceUsers)?;
    parse_query(
        params,
        indicator,
        Some(CalendarPeriod::year_of(today()).period()),
        &["step"],
    )
}

/// A parameter error as a sentence in the page's language.
pub(super) fn param_message(t: &Translator, e: &ParamError) -> String {
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
pub(super) fn store_refusal(signed: &Signed, e: StoreError) -> Result<String, Response> {
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

pub(super) async fn report_page(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<RawParams>, QueryRejection>,
) -> PageResult {
    if let Some(r) = deny(&signed) {
        return Ok(r);
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
            Err(response) => return Ok(response),
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
    Ok(response)
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
