//! `/api/v1/statistics` and `/api/v1/dhis2`: published statistics for other systems (issue #5),
//! with the report pages' parameters. A hidden count is `null` with `suppressed: true` and the
//! reason; nothing else about it is given. Bad parameters answer 400 naming the parameter.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::statistics::{
    self, offered, parse_query, Figure, Indicator, ParamError, RawParams, StatTable,
};
use crate::statistics_export::{self, Dhis2Error};
use crate::AppState;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use goldaw_core::access::Permission;
use goldaw_core::disclosure::{Published, Reason};
use goldaw_core::periods::CalendarPeriod;
use goldaw_store::StoreError;
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statistics", get(indicators))
        .route("/statistics/{indicator}", get(table))
        .route("/dhis2/data-value-sets", get(dhis2))
}

/// The parameters of a table (the same as the report page's).
#[allow(dead_code)] // documents the query string; it is read as pairs so that `by` may repeat
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableParams {
    /// A calendar period in DHIS2's form: `2025`, `2025Q1` or `202501`. Instead of from/to.
    period: Option<String>,
    /// First day (YYYY-MM-DD), with `to`. Without the unsuppressed grant, from/to must span a
    /// whole calendar month, quarter or year (otherwise 422).
    from: Option<String>,
    /// Last day (YYYY-MM-DD), included.
    to: Option<String>,
    /// Comma list of dimensions, in the order wanted: admin_unit, velayat, sex, age_band,
    /// disability, target_group, service, settlement. May repeat. Empty: the total.
    by: Option<String>,
    /// Counts from 1 to k − 1 are hidden (default 5; 10 with zeros hidden for tables of
    /// sensitive target groups). Below 5, or 0 for none, needs the unsuppressed grant.
    min_cell: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IndicatorInfo {
    /// The name used in `/api/v1/statistics/{indicator}` and the DHIS2 mapping.
    pub name: String,
    /// The dimensions it may be split by.
    pub dimensions: Vec<String>,
    /// Its own columns, in every table after the dimensions asked for.
    pub columns: Vec<String>,
    /// Its figures, in the order of every row's `figures`.
    pub measures: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Indicators {
    /// The indicators you may read.
    pub indicators: Vec<IndicatorInfo>,
}

/// A published table.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatisticsTable {
    pub indicator: String,
    /// First day of the period.
    pub from: String,
    /// Last day of the period, included.
    pub to: String,
    /// The dimensions asked for, in order: with `columns`, the names of every row's `values`.
    pub dimensions: Vec<String>,
    /// The indicator's own columns, after the dimensions.
    pub columns: Vec<String>,
    /// The names of every row's `figures`.
    pub measures: Vec<String>,
    /// The rule applied: counts below `min_cell` are hidden (0 when nothing is).
    pub min_cell: u64,
    /// Whether zeros below the threshold are hidden too (the rule for sensitive tables).
    pub zeros_hidden: bool,
    /// What a reader must know to read the table right.
    pub notes: Vec<NoteJson>,
    /// One row per non-empty cell; a cell with no row is zero.
    pub rows: Vec<StatisticsRow>,
    /// The table's totals, published with the same suppression: `total` where a dimension or
    /// column is summed over, a velayat where its etraps are rolled up (not for every indicator).
    pub totals: Vec<StatisticsRow>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoteJson {
    /// `population_year`, `population_not_available`, `internal`, ...
    pub code: String,
    /// The note in English.
    pub text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatisticsRow {
    pub values: Vec<String>,
    pub figures: Vec<FigureJson>,
}

/// One figure: a count or a number; `null` with `suppressed: true` when hidden, `null` with
/// `suppressed: false` when not defined for the cell (no population, no case).
#[derive(Serialize, utoipa::ToSchema)]
pub struct FigureJson {
    pub value: Option<FigureValue>,
    pub suppressed: bool,
    /// Why it is hidden: `primary` (a small count) or `secondary` (it would reveal one).
    pub reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FigureValue {
    Count(u64),
    Number(f64),
}

fn published<T: Copy>(p: Published<T>, wrap: fn(T) -> FigureValue) -> FigureJson {
    FigureJson {
        value: p.value().map(wrap),
        suppressed: p.is_suppressed(),
        reason: match p {
            Published::Suppressed { reason } => Some(
                match reason {
                    Reason::Primary => "primary",
                    Reason::Secondary => "secondary",
                }
                .to_owned(),
            ),
            Published::Shown { .. } => None,
        },
    }
}

fn figure_json(f: Figure) -> FigureJson {
    match f {
        Figure::Count { value } => published(value, FigureValue::Count),
        Figure::Number { value } => published(value, FigureValue::Number),
        Figure::None => FigureJson {
            value: None,
            suppressed: false,
            reason: None,
        },
    }
}

impl From<StatTable> for StatisticsTable {
    fn from(t: StatTable) -> Self {
        let table = t.table;
        let names = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
        StatisticsTable {
            indicator: table.indicator.as_str().to_owned(),
            from: table.period.from().to_string(),
            to: table.period.to().to_string(),
            dimensions: names(table.dimensions.iter().map(|d| d.as_str()).collect()),
            columns: names(table.columns.iter().map(|c| c.as_str()).collect()),
            measures: names(table.measures.iter().map(|m| m.as_str()).collect()),
            min_cell: table.rule.threshold(),
            zeros_hidden: table.rule.hides_zeros(),
            notes: table
                .notes
                .iter()
                .map(|n| NoteJson {
                    code: n.code().to_owned(),
                    text: n.to_string(),
                })
                .collect(),
            rows: table
                .rows
                .into_iter()
                .map(|r| StatisticsRow {
                    values: r.values,
                    figures: r.figures.into_iter().map(figure_json).collect(),
                })
                .collect(),
            totals: table
                .totals
                .into_iter()
                .map(|r| StatisticsRow {
                    values: r.values,
                    figures: r.figures.into_iter().map(figure_json).collect(),
                })
                .collect(),
        }
    }
}

fn bad(e: ParamError) -> ApiError {
    ApiError::bad_request(e.to_string())
}

/// The store's refusals of a question: a bad split or threshold is the caller's parameter. A
/// period that is not a calendar month, quarter or year, asked without the unsuppressed grant,
/// is well-formed but not answered: 422.
fn refusal(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid { field, message, .. } if field == "period" => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("period: {message}"),
        ),
        StoreError::Invalid { field, message, .. } => {
            ApiError::bad_request(format!("{field}: {message}"))
        }
        other => other.into(),
    }
}

fn require_reader(principal: &goldaw_core::access::Principal) -> Result<(), ApiError> {
    if statistics::may_read(principal) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reading statistics needs a role that reads reports and an area (an etrap, a velayat or the nation)",
        ))
    }
}

/// The indicators and how each may be split.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics",
    responses((status = 200, body = Indicators), (status = 403, body = ErrorBody)))]
pub async fn indicators(Caller(principal): Caller) -> Result<Json<Indicators>, ApiError> {
    require_reader(&principal)?;
    Ok(Json(Indicators {
        indicators: offered(&principal)
            .into_iter()
            .map(|i| IndicatorInfo {
                name: i.as_str().to_owned(),
                dimensions: i
                    .dimensions()
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect(),
                columns: i.columns().iter().map(|c| c.as_str().to_owned()).collect(),
                measures: i.measures().iter().map(|m| m.as_str().to_owned()).collect(),
            })
            .collect(),
    }))
}

/// An indicator over a period, split by dimensions, in your area, small counts suppressed.
#[utoipa::path(get, path = "/api/v1/statistics/{indicator}", tag = "statistics",
    params(("indicator" = String, Path, description = "service_users, coverage, funnel, priority, referral_sources, episodes, caseload, timeliness, outcomes (GET /api/v1/statistics lists yours)"), TableParams),
    responses((status = 200, body = StatisticsTable), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "Without the unsuppressed grant: a period that is not a whole calendar month, quarter or year")))]
pub async fn table(
    State(state): State<AppState>,
    Caller(principal): Caller,
    indicator: Result<Path<String>, PathRejection>,
    params: Result<Query<RawParams>, QueryRejection>,
) -> Result<Json<StatisticsTable>, ApiError> {
    require_reader(&principal)?;
    let Ok(Path(name)) = indicator else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such indicator",
        ));
    };
    let indicator: Indicator = name.parse().map_err(|e: goldaw_core::ParseError| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
    })?;
    let Query(params) = params?;
    let query = parse_query(&params, indicator, None, &[]).map_err(bad)?;
    let table = statistics::run(&state.store, &principal, &query)
        .await
        .map_err(refusal)?;
    Ok(Json(table.into()))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Dhis2Params {
    /// `2025`, `2025Q1` or `202501`.
    pub period: String,
}

/// The DHIS2 data value set of a period for your area (planners and the ministry), by the
/// configured mapping (docs/dhis2.md). Hidden counts are left out.
#[utoipa::path(get, path = "/api/v1/dhis2/data-value-sets", tag = "statistics", params(Dhis2Params),
    responses((status = 200, description = "A DHIS2 dataValueSets document", content_type = "application/json"),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn dhis2(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<Dhis2Params>, QueryRejection>,
) -> Result<Json<goldaw_core::dhis2::DataValueSet>, ApiError> {
    require_reader(&principal)?;
    if !principal.may(Permission::Dhis2Export) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the DHIS2 export is for planners and the ministry",
        ));
    }
    let Query(params) = params?;
    let period: CalendarPeriod = params
        .period
        .trim()
        .parse()
        .map_err(|e: goldaw_core::ParseError| ApiError::bad_request(format!("period: {e}")))?;
    let mapping =
        statistics_export::configured_mapping(state.dhis2_mapping.as_deref()).map_err(|e| {
            tracing::error!(error = %e, "the DHIS2 mapping is unusable");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server's DHIS2 mapping cannot be read; it has been logged",
            )
        })?;
    match statistics_export::dhis2(&state.store, &principal, &mapping, period).await {
        Ok(set) => Ok(Json(set)),
        Err(Dhis2Error::Mapping(m)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("the DHIS2 mapping does not fit the data: {m}"),
        )),
        Err(Dhis2Error::Store(e)) => Err(refusal(e)),
    }
}
