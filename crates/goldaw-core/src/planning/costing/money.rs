//! Money at output: rounding to the tiyn, whole tiyn for exact sums, and the CSV renderings of unit
//! costs and budgets.

use std::fmt;

use super::budget::BudgetYear;
use super::model::{CostModel, BUDGET_CSV_HEADER, UNIT_COSTS_CSV_HEADER};
use crate::spreadsheet::{Cell, SpreadsheetCsv};

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
