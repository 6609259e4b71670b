//! The indicators of issue #5 as published tables: one entry point, [`Store::indicator`], for every
//! indicator of `goldaw_core::indicators`. Each read is permission-checked (`ReadReports`; the
//! caseload `ReadCaseload`), scoped to the principal's units, suppressed, and audited (counts
//! only, never a person).

use crate::error::{StoreError, StoreResult};
use crate::statistics::Suppression;
use crate::Store;
use goldaw_core::access::Principal;
use goldaw_core::disclosure::Rule;
use goldaw_core::indicators::{Column, Figure, Indicator, Measure, Note};
use goldaw_core::statistics::{Dimension, Period};
use serde::Serialize;

/// A published indicator table: the dimensions in the order asked, then the indicator's own
/// columns, then its figures; one row per non-empty cell, sorted by its values.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub indicator: Indicator,
    #[serde(serialize_with = "period_json")]
    pub period: Period,
    #[serde(serialize_with = "dimensions_json")]
    pub dimensions: Vec<Dimension>,
    pub columns: Vec<Column>,
    pub measures: Vec<Measure>,
    pub rows: Vec<TableRow>,
    /// The rule applied to the counts (threshold 0 when unsuppressed); publish it with the table
    /// so that readers know what a hidden cell can hold.
    pub rule: Rule,
    pub notes: Vec<Note>,
}

/// One row: the values of the dimensions and own columns, then one figure per measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub values: Vec<String>,
    pub figures: Vec<Figure>,
}

impl Table {
    /// The column names: dimensions, own columns, measures.
    pub fn header(&self) -> Vec<&'static str> {
        self.dimensions
            .iter()
            .map(|d| d.as_str())
            .chain(self.columns.iter().map(|c| c.as_str()))
            .chain(self.measures.iter().map(|m| m.as_str()))
            .collect()
    }

    /// The figure of `measure` in `row`, if the indicator has that measure.
    pub fn figure(&self, row: &TableRow, measure: Measure) -> Option<Figure> {
        let i = self.measures.iter().position(|m| *m == measure)?;
        row.figures.get(i).copied()
    }

    /// The table as CSV: [`Table::header`], then the rows; a withheld or undefined figure is an
    /// empty cell.
    pub fn to_csv(&self) -> StoreResult<String> {
        let io = |e: csv::Error| StoreError::Io(std::io::Error::other(e));
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.header()).map_err(io)?;
        for row in &self.rows {
            let figures: Vec<String> = row.figures.iter().map(Figure::csv).collect();
            w.write_record(
                row.values
                    .iter()
                    .map(String::as_str)
                    .chain(figures.iter().map(String::as_str)),
            )
            .map_err(io)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

fn dimensions_json<S: serde::Serializer>(dims: &[Dimension], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(dims.iter().map(|d| d.as_str()))
}

fn period_json<S: serde::Serializer>(p: &Period, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Period", 2)?;
    st.serialize_field("from", &p.from())?;
    st.serialize_field("to", &p.to())?;
    st.end()
}

impl Store {
    /// The table of `indicator` over `period`, split by `dims` (each one the indicator accepts),
    /// within the principal's scope, suppressed as asked (`docs/statistics.md`).
    pub async fn indicator(
        &self,
        principal: &Principal,
        indicator: Indicator,
        period: Period,
        dims: &[Dimension],
        suppression: Suppression,
    ) -> StoreResult<Table> {
        indicator
            .check_dimensions(dims)
            .map_err(|e| StoreError::invalid("by", e.to_string()))?;
        match indicator {
            Indicator::ServiceUsers => {
                let report = self
                    .service_users(principal, period, dims, suppression)
                    .await?;
                Ok(Table {
                    indicator,
                    period,
                    dimensions: report.dimensions,
                    columns: Vec::new(),
                    measures: indicator.measures().to_vec(),
                    rows: report
                        .rows
                        .into_iter()
                        .map(|r| TableRow {
                            values: r.values,
                            figures: vec![Figure::Count { value: r.count }],
                        })
                        .collect(),
                    rule: report.rule,
                    notes: Vec::new(),
                })
            }
            other => Err(StoreError::invalid(
                "indicator",
                format!("the {other} indicator is not built yet"),
            )),
        }
    }
}
