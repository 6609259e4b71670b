//! Rates (per 100,000 or percentages) derived from a suppressed table and public denominators,
//! hidden wherever their count is.

use super::rule::Published;
use super::suppress::SuppressedTable;
use super::table::{Key, Table};
use crate::ParseError;
use serde::Serialize;

/// One rate, with the key of its count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRow {
    pub key: Key,
    /// `None` when there is no denominator (unknown or zero population).
    pub rate: Option<Published<f64>>,
}

/// Rates `count / denominator × per` (per 100,000 or per 100 for a percentage) for every cell of
/// a suppressed table. A rate whose count is hidden is hidden too, for the same reason: rate and
/// denominator would give the count back.
///
/// The denominator table (usually population by place, sex and age band) may have fewer
/// dimensions than the counts; each of its dimensions must be one of the counts' by name, and the
/// denominator of a cell is the one at the same values of those dimensions. Denominators are
/// taken to be public figures and are not suppressed here.
pub fn rates(
    counts: &SuppressedTable,
    denominators: &Table,
    per: u32,
) -> Result<Vec<RateRow>, ParseError> {
    let positions: Vec<usize> = denominators
        .dimensions
        .iter()
        .map(|dd| {
            counts
                .table
                .dimensions
                .iter()
                .position(|cd| cd.name == dd.name)
                .ok_or_else(|| {
                    ParseError::new(format!(
                        "the denominators' dimension '{}' is not one of the counts'",
                        dd.name
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let rows = (0..counts.table.len())
        .map(|cell| {
            let key = counts.table.key_of(cell);
            let projected: Vec<Option<&str>> =
                positions.iter().map(|&p| key[p].as_deref()).collect();
            let rate = denominators.get(&projected).filter(|&d| d > 0).map(|d| {
                match counts.published(cell) {
                    Published::Shown { value } => Published::Shown {
                        value: value as f64 / d as f64 * f64::from(per),
                    },
                    Published::Suppressed { reason } => Published::Suppressed { reason },
                }
            });
            RateRow { key, rate }
        })
        .collect();
    Ok(rows)
}
