//! `goldaw plan …`: the planning models, for scripts and planners.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use goldaw_core::planning::projection::{project, render_csv, Scenario};
use goldaw_core::planning::workforce::RequirementInputs;
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
    /// The social-worker requirement with the seeds' inputs (2021 programme document):
    /// etrap social workers, the other staffing lines, the total and people per worker.
    Requirement {
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
        PlanCommand::Requirement {
            format: Format::Csv,
        } => {
            let r = RequirementInputs::seeds_2021().compute()?;
            let mut out = String::from("line,value\n");
            out.push_str(&format!("population,{}\n", r.population));
            out.push_str(&format!(
                "etrap_social_workers,{}\n",
                r.etrap_workers_national
            ));
            if let Some(n) = r.people_per_etrap_worker {
                out.push_str(&format!("people_per_etrap_social_worker,{n}\n"));
            }
            for (name, count) in &r.other_lines {
                out.push_str(&format!("{name},{count}\n"));
            }
            out.push_str(&format!("total,{}\n", r.total_national));
            if let Some(h) = &r.horizon {
                if let Some(n) = h.people_per_worker {
                    out.push_str(&format!("people_per_worker_{},{n}\n", h.year));
                }
            }
            print!("{out}");
            Ok(())
        }
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
