//! `goldaw plan …`: the planning models, for scripts and planners.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::planning::costing::SEEDS_BASIC_COVERAGE;
use goldaw_core::planning::costing::{
    budget_by_year, render_budget_csv, render_unit_costs_csv, BudgetInputs, CostModel,
    SEEDS_PILOT_COVERAGE,
};
use goldaw_core::planning::gaps::{
    development_plan, rates_from_mix, render_plan_csv, DevelopmentPlan,
};
use goldaw_core::planning::optimise::{
    candidates_from_plan, compare, render_comparison_csv, tiyn_text,
};
use goldaw_core::planning::projection::{project, render_csv, Scenario};
use goldaw_core::planning::workforce::RequirementInputs;
use goldaw_store::{Principal, Store};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// The costed draft service development plan of one velayat from the database: need, places, the gap (places
    /// to open) and its yearly cost, per etrap and specialised service (S01..S12).
    ///
    /// CSV columns: velayat,etrap,service,population,need,basis,places,gap,cost_per_place_year,cost. One row per
    /// etrap and service, in etrap then service order; counts are whole numbers; basis is assessments,
    /// population_rate or waiting_list; amounts are manat a year rounded to the tiyn, two decimals, no
    /// thousands separator; no totals row. XLSX (with --output): one sheet with a header row, the same lines
    /// with names, a totals row, and the cost model's warning. See docs/planning.md.
    Gaps {
        /// The velayat (or Ashgabat): a code such as TM-A (reference/admin_units.csv).
        #[arg(long)]
        velayat: String,
        #[arg(long, value_enum, default_value_t = PlanFormat::Csv)]
        format: PlanFormat,
        /// Where to write the XLSX workbook (required with --format xlsx).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Where to open places under a yearly budget so that the most need is met, against sharing the budget in
    /// proportion to population, from the database's needs and places.
    ///
    /// CSV columns: etrap,service,unmet_need,cost_per_place,optimised_places,optimised_need_met,optimised_cost,
    /// proportional_places,proportional_need_met,proportional_cost. One row per etrap and service with a gap,
    /// in etrap then service order; amounts in manat with two decimals (exact: whole tiyn). A summary (need met
    /// each way, and how much more the optimiser meets) goes to standard error.
    Optimise {
        /// The yearly budget in manat, for example 500000 or 500000.50.
        #[arg(long)]
        budget: String,
        /// Limit to one velayat (a code such as TM-A); without it, the whole country.
        #[arg(long)]
        velayat: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
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

/// Output formats of `plan gaps`.
#[derive(Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Csv,
    Xlsx,
}

/// The velayat-level unit `code` (a unit directly under the country), or why not.
fn velayat_code(store: &Store, code: &str) -> anyhow::Result<AdminUnitCode> {
    let catalogue = store.catalogue();
    let roots: Vec<&str> = catalogue
        .admin_units
        .iter()
        .filter(|u| u.parent_code.is_none())
        .map(|u| u.code.as_str())
        .collect();
    let is_velayat = catalogue
        .admin_units
        .iter()
        .any(|u| u.code == code && u.parent_code.as_deref().is_some_and(|p| roots.contains(&p)));
    if !is_velayat {
        anyhow::bail!(
            "--velayat {code}: not a velayat; give the code of a velayat or of Ashgabat, for example TM-A \
             (reference/admin_units.csv)"
        );
    }
    Ok(code.parse()?)
}

/// Needs and places of `unit` from the database, as a costed plan (the shipped cost model, the seeds' basic
/// coverage for the population rates).
async fn plan_from_database(
    store: &Store,
    unit: &AdminUnitCode,
) -> anyhow::Result<DevelopmentPlan> {
    let model = CostModel::shipped()?;
    let rates = rates_from_mix(&model, SEEDS_BASIC_COVERAGE);
    let facts = store
        .needs_and_supply(&Principal::system("plan"), unit, &rates)
        .await?;
    Ok(development_plan(&model, &facts.inputs, &facts.parents)?)
}

/// A budget in manat as typed (digits, one optional dot and up to two decimals) in whole tiyn.
fn budget_tiyn(text: &str) -> anyhow::Result<u64> {
    let refuse = || {
        anyhow::anyhow!(
            "--budget {text}: write the budget in manat, 0 or more, with at most two decimals after a dot, \
             for example 500000 or 500000.50"
        )
    };
    let (whole, cents) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || cents.len() > 2
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(refuse());
    }
    let whole: u64 = whole.parse().map_err(|_| refuse())?;
    let cents: u64 = format!("{cents:0<2}").parse().map_err(|_| refuse())?;
    whole
        .checked_mul(100)
        .and_then(|t| t.checked_add(cents))
        .ok_or_else(refuse)
}

pub async fn run(args: &crate::cli::Args, cmd: &PlanCommand) -> anyhow::Result<()> {
    match cmd {
        PlanCommand::Gaps {
            velayat,
            format,
            output,
        } => {
            if matches!(format, PlanFormat::Xlsx) && output.is_none() {
                anyhow::bail!("--format xlsx writes a workbook: give --output FILE");
            }
            let store = crate::cli::open(args).await?;
            let result = async {
                let code = velayat_code(&store, velayat)?;
                let plan = plan_from_database(&store, &code).await?;
                match format {
                    PlanFormat::Csv => {
                        let csv = render_plan_csv(&plan);
                        match output {
                            Some(path) => std::fs::write(path, csv)
                                .with_context(|| format!("cannot write {}", path.display()))?,
                            None => print!("{csv}"),
                        }
                    }
                    PlanFormat::Xlsx => {
                        let bytes = goldaw_web::planning_export::velayat_plan_xlsx(
                            &plan,
                            code.as_str(),
                            &store.catalogue(),
                            "en",
                            // The operator reads exact counts (every grant).
                            false,
                        )?;
                        if let Some(path) = output {
                            std::fs::write(path, bytes)
                                .with_context(|| format!("cannot write {}", path.display()))?;
                        }
                    }
                }
                anyhow::Ok(())
            }
            .await;
            store.close().await;
            result
        }
        PlanCommand::Optimise {
            budget,
            velayat,
            format: Format::Csv,
        } => {
            let budget = budget_tiyn(budget)?;
            let store = crate::cli::open(args).await?;
            let result = async {
                let unit = match velayat {
                    Some(v) => velayat_code(&store, v)?,
                    None => goldaw_core::access::nation(),
                };
                let plan = plan_from_database(&store, &unit).await?;
                let candidates = candidates_from_plan(&plan);
                let comparison = compare(budget, &candidates);
                print!("{}", render_comparison_csv(&comparison, &candidates));
                eprintln!(
                    "budget {}: the optimiser meets {} of {} people's unmet need (spends {}); in proportion to \
                     population {} (spends {}); {} more",
                    tiyn_text(budget),
                    comparison.optimised.need_met,
                    comparison.need_total,
                    tiyn_text(comparison.optimised.spent_tiyn),
                    comparison.baseline.need_met,
                    tiyn_text(comparison.baseline.spent_tiyn),
                    comparison.extra_need_met
                );
                anyhow::Ok(())
            }
            .await;
            store.close().await;
            result
        }
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
