//! `goldaw report …`: published statistics for scripts (issue #5). The same suppression as the
//! pages and the API; the operator's CLI may turn it off with `--min-cell 0`.

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use goldaw_core::spreadsheet::{Cell, SpreadsheetCsv};
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::statistics::{Report, Suppression};
use goldaw_store::Store;
use goldaw_web::statistics_export;
use std::io::Write;

pub use super::indicators::IndicatorArgs;
use goldaw_core::indicators::Indicator;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Service users in a period: distinct persons with an episode of a specialized service
    /// (S01..S12) or etrap social work that overlaps it (INTERCHANGE.md, "Report semantics").
    ///
    /// CSV: a header of the dimensions in the order given, then `count`; one row per non-empty
    /// cell, sorted by its values. `disability` is `true` or `false`; `age_band` is `0-17`, `18-59`
    /// or `60+` (age on --to), `unknown` without a birth date; `target_group` is `none` for a person
    /// in none. A count hidden by small-cell suppression is an empty cell.
    #[command(alias = "service_users")]
    ServiceUsers {
        /// First day of the period (YYYY-MM-DD).
        #[arg(long)]
        from: NaiveDate,
        /// Last day of the period (YYYY-MM-DD), included.
        #[arg(long)]
        to: NaiveDate,
        /// Comma list of admin_unit, velayat, sex, age_band, disability, target_group, service,
        /// settlement. Empty: the total.
        #[arg(long, default_value = "")]
        by: String,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Counts from 1 to K-1 are hidden (default 5; tables of sensitive target groups use
        /// 10). 0 turns suppression off.
        #[arg(long)]
        min_cell: Option<u64>,
        /// Print the time the report took (gathering, counting, suppressing) on standard error.
        #[arg(long)]
        timing: bool,
    },
    /// Coverage: service users per 100,000 and as a percentage of the population of the same
    /// cell (by place, sex and age band only: the dimensions population figures exist for).
    Coverage(IndicatorArgs),
    /// The assessment funnel: cases reaching each step in the period (referral, initial
    /// assessment, holistic assessment, approved support plan).
    Funnel(IndicatorArgs),
    /// Priority mix: cases screened in the period by the priority set (critical, support, none).
    Priority(IndicatorArgs),
    /// Cases referred in the period by referral source.
    #[command(name = "referral_sources", alias = "referral-sources")]
    ReferralSources(IndicatorArgs),
    /// Service episodes overlapping the period and units delivered in it, by provider.
    Episodes(IndicatorArgs),
    /// Cases per social worker against the norm (25 intensive + 25 monitored; 75 a year).
    /// Internal: not suppressed.
    Caseload(IndicatorArgs),
    /// Time from referral to each step against the deadlines in force.
    Timeliness(IndicatorArgs),
    /// Goals rated at reviews held in the period: achieved, partly, not achieved.
    Outcomes(IndicatorArgs),
    /// A DHIS2 dataValueSets JSON document of one period, by a mapping of indicators and
    /// disaggregations to data elements, category option combos and org units (docs/dhis2.md).
    /// Counts hidden by small-cell suppression are left out.
    Dhis2 {
        /// The mapping (TOML). Default: GOLDAW_DHIS2_MAPPING, else reference/dhis2_mapping.toml
        /// as shipped (placeholder identifiers).
        #[arg(long, env = "GOLDAW_DHIS2_MAPPING")]
        mapping: Option<std::path::PathBuf>,
        /// DHIS2's period: a year (2025), a quarter (2025Q1) or a month (202501).
        #[arg(long)]
        period: goldaw_core::periods::CalendarPeriod,
        /// Write the document here instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

pub async fn run(store: &Store, cmd: &ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::ServiceUsers {
            from,
            to,
            by,
            format,
            min_cell,
            timing,
        } => {
            let period = Period::new(*from, *to).context("--from/--to")?;
            let dims = Dimension::parse_list(by).context("--by")?;
            let suppression = min_cell.map_or(Suppression::Standard, Suppression::MinCell);
            if *format == Format::Json {
                return super::indicators::run(
                    store,
                    Indicator::ServiceUsers,
                    &IndicatorArgs {
                        from: *from,
                        to: *to,
                        by: by.clone(),
                        format: *format,
                        min_cell: *min_cell,
                        totals: false,
                    },
                )
                .await;
            }
            let started = std::time::Instant::now();
            let report = store
                .service_users(&crate::cli::operator("report"), period, &dims, suppression)
                .await?;
            if *timing {
                eprintln!(
                    "report: {} cells in {:.1} ms",
                    report.rows.len(),
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(render_csv(&report).as_bytes())?;
            out.flush()?;
            Ok(())
        }
        ReportCommand::Coverage(args) => {
            super::indicators::run(store, Indicator::Coverage, args).await
        }
        ReportCommand::Funnel(args) => super::indicators::run(store, Indicator::Funnel, args).await,
        ReportCommand::Priority(args) => {
            super::indicators::run(store, Indicator::Priority, args).await
        }
        ReportCommand::ReferralSources(args) => {
            super::indicators::run(store, Indicator::ReferralSources, args).await
        }
        ReportCommand::Episodes(args) => {
            super::indicators::run(store, Indicator::Episodes, args).await
        }
        ReportCommand::Caseload(args) => {
            super::indicators::run(store, Indicator::Caseload, args).await
        }
        ReportCommand::Timeliness(args) => {
            super::indicators::run(store, Indicator::Timeliness, args).await
        }
        ReportCommand::Outcomes(args) => {
            super::indicators::run(store, Indicator::Outcomes, args).await
        }
        ReportCommand::Dhis2 {
            mapping,
            period,
            output,
        } => {
            let mapping = statistics_export::configured_mapping(mapping.as_deref())
                .map_err(anyhow::Error::msg)?;
            let set =
                statistics_export::dhis2(store, &crate::cli::operator("report"), &mapping, *period)
                    .await?;
            let json = serde_json::to_string_pretty(&set)?;
            match output {
                Some(path) => std::fs::write(path, json + "\n")
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(())
        }
    }
}

/// The report as CSV: dimensions, then `count`; a suppressed count is an empty cell.
/// Written for a spreadsheet: a value that could be read as a formula is quoted
/// (`goldaw_core::spreadsheet`).
pub fn render_csv(report: &Report) -> String {
    let mut w = SpreadsheetCsv::new();
    let mut header: Vec<&str> = report.dimensions.iter().map(|d| d.as_str()).collect();
    header.push("count");
    w.row(header);
    for row in &report.rows {
        let count = row.count.value().map(|n| n.to_string()).unwrap_or_default();
        w.row(
            row.values
                .iter()
                .map(|v| Cell::Text(v))
                .chain([Cell::Number(&count)]),
        );
    }
    w.finish()
}
