//! What every statistics output shares (issue #5): the report pages, their CSV and XLSX
//! downloads, the JSON API and the DHIS2 export ask the same question (an indicator, a period,
//! a split) with the same parameters, and show the store's published table exactly as it comes:
//! a hidden cell stays hidden everywhere, and nothing here works a hidden figure out again.

use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::disclosure::Published;
use goldaw_core::periods::CalendarPeriod;
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::statistics::Suppression;
use goldaw_store::{Store, StoreError};
use std::fmt;

pub use goldaw_core::indicators::{Figure, Indicator, Measure, MeasureKind};
pub use goldaw_store::indicators::{Table, TableRow};

/// The indicators a principal may ask for: the internal caseload only for those who manage it.
pub fn offered(principal: &Principal) -> Vec<Indicator> {
    Indicator::ALL
        .iter()
        .copied()
        .filter(|i| !i.is_internal() || principal.may(Permission::ReadCaseload))
        .collect()
}

/// The figure a chart draws for an indicator: its rate for coverage, else its first figure.
pub fn chart_measure(indicator: Indicator) -> Measure {
    if indicator.measures().contains(&Measure::Per100000) {
        Measure::Per100000
    } else {
        indicator.measures()[0]
    }
}

/// A parameter that could not be used: which one, and why (the API answers 400 with both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

impl ParamError {
    fn new(param: &'static str, message: impl Into<String>) -> ParamError {
        ParamError {
            param,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

/// One statistics question, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct StatQuery {
    pub indicator: Indicator,
    pub period: Period,
    /// The split, in the order asked.
    pub dims: Vec<Dimension>,
    /// `min_cell`: counts from 1 to k − 1 hidden; `None` is the standard rule.
    pub min_cell: Option<u64>,
}

impl StatQuery {
    /// The query string that asks this question again (for download links and presets).
    pub fn to_query_string(&self) -> String {
        let mut pairs = vec![
            ("indicator", self.indicator.as_str().to_owned()),
            ("from", self.period.from().to_string()),
            ("to", self.period.to().to_string()),
        ];
        if !self.dims.is_empty() {
            let by: Vec<&str> = self.dims.iter().map(|d| d.as_str()).collect();
            pairs.push(("by", by.join(",")));
        }
        if let Some(k) = self.min_cell {
            pairs.push(("min_cell", k.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The parameters as sent, in order (a query string may repeat `by`, as checkboxes do).
pub type RawParams = Vec<(String, String)>;

fn first<'a>(params: &'a RawParams, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// The period: `period` (`2025`, `2025Q1`, `202501`) or `from` and `to` (YYYY-MM-DD), or,
/// if none is given, `default`.
pub fn parse_period(params: &RawParams, default: Option<Period>) -> Result<Period, ParamError> {
    if let Some(p) = first(params, "period") {
        let calendar: CalendarPeriod = p
            .parse()
            .map_err(|e: goldaw_core::ParseError| ParamError::new("period", e.to_string()))?;
        return Ok(calendar.period());
    }
    let date = |name: &'static str| -> Result<Option<NaiveDate>, ParamError> {
        first(params, name)
            .map(|v| {
                v.parse::<NaiveDate>().map_err(|_| {
                    ParamError::new(name, format!("'{v}' is not a date: write YYYY-MM-DD"))
                })
            })
            .transpose()
    };
    match (date("from")?, date("to")?, default) {
        (Some(from), Some(to), _) => {
            Period::new(from, to).map_err(|e| ParamError::new("to", e.to_string()))
        }
        (None, None, Some(d)) => Ok(d),
        (None, _, _) => Err(ParamError::new(
            "from",
            "give the period: from and to (YYYY-MM-DD), or period (2025, 2025Q1, 202501)",
        )),
        (Some(_), None, _) => Err(ParamError::new("to", "give the last day of the period")),
    }
}

/// The split: every `by` (each a comma list), in order; a page may reorder the chosen
/// dimensions with `order_<dimension>` numbers (ties keep the order given).
pub fn parse_dims(params: &RawParams, indicator: Indicator) -> Result<Vec<Dimension>, ParamError> {
    let list: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "by")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut dims =
        Dimension::parse_list(&list.join(",")).map_err(|e| ParamError::new("by", e.to_string()))?;
    indicator
        .check_dimensions(&dims)
        .map_err(|e| ParamError::new("by", e.to_string()))?;
    let mut order = Vec::with_capacity(dims.len());
    for d in &dims {
        let key = format!("order_{}", d.as_str());
        let rank = match first(params, &key) {
            None => u32::MAX,
            Some(v) => v.parse::<u32>().map_err(|_| {
                ParamError::new("by", format!("{key} = '{v}' is not a position (1, 2, 3 …)"))
            })?,
        };
        order.push(rank);
    }
    let mut ranked: Vec<(u32, usize, Dimension)> = order
        .into_iter()
        .zip(dims.drain(..).enumerate())
        .map(|(rank, (i, d))| (rank, i, d))
        .collect();
    ranked.sort_by_key(|(rank, i, _)| (*rank, *i));
    Ok(ranked.into_iter().map(|(_, _, d)| d).collect())
}

/// `min_cell`: a whole number (0 turns suppression off, for accounts with the grant).
pub fn parse_min_cell(params: &RawParams) -> Result<Option<u64>, ParamError> {
    first(params, "min_cell")
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|k| *k <= 1_000)
                .ok_or_else(|| {
                    ParamError::new(
                        "min_cell",
                        format!("'{v}' is not a threshold: a whole number from 0 to 1000"),
                    )
                })
        })
        .transpose()
}

/// Every parameter of a table; unknown names are refused so that a typo is not ignored.
pub fn parse_query(
    params: &RawParams,
    indicator: Indicator,
    default_period: Option<Period>,
    also_allowed: &[&str],
) -> Result<StatQuery, ParamError> {
    const KNOWN: [&str; 6] = ["indicator", "period", "from", "to", "by", "min_cell"];
    if let Some((k, _)) = params.iter().find(|(k, _)| {
        !KNOWN.contains(&k.as_str())
            && !also_allowed.contains(&k.as_str())
            && !k.starts_with("order_")
    }) {
        return Err(ParamError::new(
            "query",
            format!("unknown parameter '{k}': use {}", KNOWN.join(", ")),
        ));
    }
    Ok(StatQuery {
        indicator,
        period: parse_period(params, default_period)?,
        dims: parse_dims(params, indicator)?,
        min_cell: parse_min_cell(params)?,
    })
}

/// The indicator named by `indicator`, or `default`.
pub fn parse_indicator(params: &RawParams, default: Indicator) -> Result<Indicator, ParamError> {
    match first(params, "indicator") {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|e: goldaw_core::ParseError| ParamError::new("indicator", e.to_string())),
    }
}

/// A published table, as the store gave it, with the question it answers.
#[derive(Debug, Clone)]
pub struct StatTable {
    pub query: StatQuery,
    pub table: Table,
}

impl StatTable {
    /// Rows with at least one figure withheld.
    pub fn hidden_rows(&self) -> usize {
        self.table
            .rows
            .iter()
            .filter(|r| r.figures.iter().any(Figure::is_suppressed))
            .count()
    }
}

/// Whether the principal may read statistics at all: the permission, and an area (provider
/// accounts have none: statistics are by place).
pub fn may_read(principal: &Principal) -> bool {
    principal.may(Permission::ReadReports) && principal.unit_scope().is_some()
}

/// Runs the query for the principal, in their area, suppressed by the store.
pub async fn run(
    store: &Store,
    principal: &Principal,
    query: &StatQuery,
) -> Result<StatTable, StoreError> {
    if principal.unit_scope().is_none() {
        return Err(StoreError::Forbidden(
            "statistics are by place; this account has no area".into(),
        ));
    }
    let suppression = query
        .min_cell
        .map_or(Suppression::Standard, Suppression::MinCell);
    // The store refuses a threshold below the standard one without the unsuppressed grant.
    let table = store
        .indicator(
            principal,
            query.indicator,
            query.period,
            &query.dims,
            suppression,
        )
        .await?;
    Ok(StatTable {
        query: query.clone(),
        table,
    })
}

/// The same question over each bucket of the period (months or quarters): the chart figure of
/// each bucket's total, as the store publishes it. Only for indicators without own columns
/// (one row per total). The queries run side by side: their audit events commit together.
pub async fn over_time(
    store: &Store,
    principal: &Principal,
    indicator: Indicator,
    buckets: &[(CalendarPeriod, Period)],
) -> Result<Vec<(CalendarPeriod, Figure)>, StoreError> {
    if indicator == Indicator::ServiceUsers {
        // One scan for all the buckets (the store's `service_user_totals`), each still a table
        // of its own, suppressed and audited on its own.
        let periods: Vec<Period> = buckets.iter().map(|(_, p)| *p).collect();
        let reports = store
            .service_user_totals(principal, &periods, Suppression::Standard)
            .await?;
        return Ok(buckets
            .iter()
            .zip(reports)
            .map(|((label, period), report)| {
                let table = StatTable {
                    query: StatQuery {
                        indicator,
                        period: *period,
                        dims: Vec::new(),
                        min_cell: None,
                    },
                    table: Table {
                        rows: report
                            .rows
                            .into_iter()
                            .map(|r| TableRow {
                                values: r.values,
                                figures: vec![Figure::Count { value: r.count }],
                            })
                            .collect(),
                        rule: report.rule,
                        indicator,
                        period: *period,
                        dimensions: Vec::new(),
                        columns: indicator.columns().to_vec(),
                        measures: indicator.measures().to_vec(),
                        totals: Vec::new(),
                        notes: Vec::new(),
                    },
                };
                (*label, total_of(&table, chart_measure(indicator)))
            })
            .collect());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (_, period)) in buckets.iter().enumerate() {
        let (store, principal) = (store.clone(), principal.clone());
        let query = StatQuery {
            indicator,
            period: *period,
            dims: Vec::new(),
            min_cell: None,
        };
        tasks.spawn(async move { (i, run(&store, &principal, &query).await) });
    }
    let mut out: Vec<Option<Figure>> = vec![None; buckets.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, table) =
            done.map_err(|e| StoreError::Config(format!("a report task failed: {e}")))?;
        out[i] = Some(total_of(&table?, chart_measure(indicator)));
    }
    Ok(buckets
        .iter()
        .zip(out)
        .map(|((label, _), figure)| (*label, figure.unwrap_or(Figure::None)))
        .collect())
}

/// The figure of `measure` in the total row of a table without dimensions or own columns; no
/// row means nobody counted: a count of zero.
pub fn total_of(table: &StatTable, measure: Measure) -> Figure {
    match table.table.rows.iter().find(|r| r.values.is_empty()) {
        Some(row) => table.table.figure(row, measure).unwrap_or(Figure::None),
        None if measure.kind() == MeasureKind::Count => Figure::count(0),
        None => Figure::None,
    }
}

/// A count figure as a published count (`None` for a number or an undefined figure).
pub fn as_count(figure: Figure) -> Option<Published<u64>> {
    match figure {
        Figure::Count { value } => Some(value),
        _ => None,
    }
}

/// Today in Ashgabat (UTC+5): the day people there see on the calendar.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(5)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> RawParams {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_period_comes_from_a_calendar_period_or_two_dates() {
        let p = parse_period(&params(&[("period", "2025Q2")]), None).unwrap();
        assert_eq!((p.from(), p.to()), (d("2025-04-01"), d("2025-06-30")));
        let p = parse_period(
            &params(&[("from", "2025-01-01"), ("to", "2025-01-31")]),
            None,
        )
        .unwrap();
        assert_eq!(p.to(), d("2025-01-31"));
        let e = parse_period(&params(&[("period", "2025-Q2")]), None).unwrap_err();
        assert_eq!(e.param, "period");
        let e = parse_period(
            &params(&[("from", "2025-02-01"), ("to", "2025-01-31")]),
            None,
        )
        .unwrap_err();
        assert_eq!(e.param, "to");
        let e =
            parse_period(&params(&[("from", "1.1.2025"), ("to", "2025-01-31")]), None).unwrap_err();
        assert_eq!(e.param, "from");
        assert_eq!(parse_period(&params(&[]), None).unwrap_err().param, "from");
        let fallback = CalendarPeriod::Year(2024).period();
        assert_eq!(
            parse_period(&params(&[]), Some(fallback)).unwrap(),
            fallback
        );
    }

    #[test]
    fn dimensions_come_in_the_order_chosen() {
        let q = params(&[("by", "sex"), ("by", "velayat,age_band")]);
        assert_eq!(
            parse_dims(&q, Indicator::ServiceUsers).unwrap(),
            [Dimension::Sex, Dimension::Velayat, Dimension::AgeBand]
        );
        let q = params(&[
            ("by", "sex"),
            ("by", "velayat"),
            ("order_sex", "2"),
            ("order_velayat", "1"),
        ]);
        assert_eq!(
            parse_dims(&q, Indicator::ServiceUsers).unwrap(),
            [Dimension::Velayat, Dimension::Sex]
        );
        let e = parse_dims(&params(&[("by", "disability")]), Indicator::Coverage).unwrap_err();
        assert!(e.message.contains("'disability'"), "{e}");
        let e = parse_dims(&params(&[("by", "gender")]), Indicator::ServiceUsers).unwrap_err();
        assert_eq!(e.param, "by");
        assert!(e.message.contains("gender"));
        let e = parse_dims(
            &params(&[("by", "sex"), ("order_sex", "first")]),
            Indicator::ServiceUsers,
        )
        .unwrap_err();
        assert_eq!(e.param, "by");
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = parse_query(
            &params(&[("period", "2025"), ("min_cell", "-1")]),
            Indicator::ServiceUsers,
            None,
            &[],
        )
        .unwrap_err();
        assert_eq!(e.param, "min_cell");
        let e = parse_query(
            &params(&[("period", "2025"), ("sort", "x")]),
            Indicator::ServiceUsers,
            None,
            &[],
        )
        .unwrap_err();
        assert!(e.message.contains("'sort'"), "{e}");
        assert_eq!(
            parse_indicator(&params(&[("indicator", "nope")]), Indicator::ServiceUsers)
                .unwrap_err()
                .param,
            "indicator"
        );
        let q = parse_query(
            &params(&[("period", "2025"), ("by", "sex"), ("min_cell", "10")]),
            Indicator::ServiceUsers,
            None,
            &[],
        )
        .unwrap();
        assert_eq!(
            q.to_query_string(),
            "indicator=service_users&from=2025-01-01&to=2025-12-31&by=sex&min_cell=10"
        );
    }
}
