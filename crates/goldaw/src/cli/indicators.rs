//! `goldaw report ID …` for the indicators of issue #5 other than the service-users report, whose
//! CSV stays as it was (`report.rs`). The same suppression as the pages and the API.

use super::report::Format;
use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use goldaw_core::indicators::Indicator;
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::statistics::Suppression;
use goldaw_store::Store;
use std::io::Write;

/// What every indicator report takes.
#[derive(Args)]
pub struct IndicatorArgs {
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the period (YYYY-MM-DD), included.
    #[arg(long)]
    pub to: NaiveDate,
    /// Comma list of the dimensions to split by, among those the indicator accepts
    /// (docs/statistics.md). Empty: the total.
    #[arg(long, default_value = "")]
    pub by: String,
    /// csv: a header of the dimensions, the indicator's own columns and its figures; a hidden or
    /// undefined figure is an empty cell, and notes go to standard error. json: the whole table
    /// with the rule, the reason of every hidden figure, and the notes.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Counts from 1 to K-1 are hidden (default 5; tables about gender-based violence or child
    /// protection use 10). 0 turns suppression off.
    #[arg(long)]
    pub min_cell: Option<u64>,
    /// CSV: after the cells, every total of the table as published (`total` where a column is
    /// summed over; velayats where etraps roll up).
    #[arg(long)]
    pub totals: bool,
}

pub async fn run(store: &Store, indicator: Indicator, args: &IndicatorArgs) -> anyhow::Result<()> {
    let period = Period::new(args.from, args.to).context("--from/--to")?;
    let dims = Dimension::parse_list(&args.by).context("--by")?;
    indicator.check_dimensions(&dims).context("--by")?;
    let suppression = args
        .min_cell
        .map_or(Suppression::Standard, Suppression::MinCell);
    let principal = crate::cli::operator("report");
    let table = store
        .indicator(&principal, indicator, period, &dims, suppression)
        .await?;
    let text = match args.format {
        Format::Csv => {
            for note in &table.notes {
                eprintln!("note: {note}");
            }
            if args.totals {
                table.to_csv_with_totals()
            } else {
                table.to_csv()
            }
        }
        Format::Json => serde_json::to_string_pretty(&table)? + "\n",
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
