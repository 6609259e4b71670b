//! `goldaw plan …`: the planning models, for scripts and planners.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use goldaw_core::planning::costing::{
    budget_by_year, render_budget_csv, render_unit_costs_csv, BudgetInputs, CostModel,
    SEEDS_PILOT_COVERAGE,
};
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
    /// Unit cost of every service from a cost model (TOML; docs/planning.md).
    ///
    /// CSV columns: service,unit,unit_cost. One row per service in code order, then residential care per
    /// bed-night (cost per person-year ÷ 365). unit_cost is in the model's currency (manat), rounded to the
    /// tiyn, with a dot and two decimals and no thousands separator.
    Cost {
        /// Cost model file; without it, the model built into the program (reference/costing.toml, whose money
        /// figures are all composed placeholders).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Budget needed each year to ramp coverage linearly from a start to a target.
    ///
    /// users = population × coverage of the year, rounded to the nearest person; budget = users × the cost of
    /// one user-year under the model's [mix]. Coverage grows by equal steps from --start-coverage in --from to
    /// --target-coverage in --to; the population and prices are held constant.
    ///
    /// CSV columns: year,users,budget. One row per year from --from to --to; users a whole number; budget in
    /// the model's currency (manat), rounded to the tiyn, two decimals, no thousands separator.
    Budget {
        /// Coverage to reach in the last year, as a share of the population (0.001 = 0.1%, the seeds' basic
        /// coverage).
        #[arg(long)]
        target_coverage: f64,
        /// Coverage in the first year (default 0.0002 = 0.02%, the seeds' coverage after the pilots).
        #[arg(long, default_value_t = SEEDS_PILOT_COVERAGE)]
        start_coverage: f64,
        /// Population (held constant over the years).
        #[arg(long)]
        population: u64,
        /// First year.
        #[arg(long)]
        from: i32,
        /// Last year (inclusive).
        #[arg(long)]
        to: i32,
        /// Cost model file; without it, the built-in reference/costing.toml.
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

/// The cost model from `--model`, or the built-in one.
fn cost_model(path: Option<&PathBuf>) -> anyhow::Result<CostModel> {
    match path {
        None => Ok(CostModel::shipped()?),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the cost model file {}", path.display()))?;
            Ok(CostModel::from_toml(&text, &path.display().to_string())?)
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
}

pub fn run(cmd: &PlanCommand) -> anyhow::Result<()> {
    match cmd {
        PlanCommand::Cost {
            model,
            format: Format::Csv,
        } => {
            let model = cost_model(model.as_ref())?;
            print!("{}", render_unit_costs_csv(&model));
            Ok(())
        }
        PlanCommand::Budget {
            target_coverage,
            start_coverage,
            population,
            from,
            to,
            model,
            format: Format::Csv,
        } => {
            let model = cost_model(model.as_ref())?;
            let rows = budget_by_year(
                &model,
                &BudgetInputs {
                    population: *population,
                    start_coverage: *start_coverage,
                    target_coverage: *target_coverage,
                    from_year: *from,
                    to_year: *to,
                },
            )?;
            print!("{}", render_budget_csv(&rows));
            Ok(())
        }
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
