//! `goldaw plan …`: the planning models, for scripts and planners.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use goldaw_core::planning::projection::{project, render_csv, Scenario};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Project the social-work workforce year by year from a TOML scenario (stock and flow).
    Workforce {
        /// Scenario file: start_year, start_stock, attrition and an [inflow] table by year.
        #[arg(long)]
        scenario: PathBuf,
        /// Last year to project (inclusive).
        #[arg(long)]
        until: i32,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
}

pub fn run(cmd: &PlanCommand) -> anyhow::Result<()> {
    match cmd {
        PlanCommand::Workforce {
            scenario,
            until,
            format: Format::Csv,
        } => {
            let text = std::fs::read_to_string(scenario)
                .with_context(|| format!("cannot read the scenario file {}", scenario.display()))?;
            let scenario: Scenario = Scenario::from_toml(&text)
                .with_context(|| format!("in the scenario file {}", scenario.display()))?;
            let rows = project(&scenario, *until)?;
            print!("{}", render_csv(&rows));
            Ok(())
        }
    }
}
