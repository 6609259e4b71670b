//! `goldaw retention --dry-run | --apply` (issue #20, item 4; docs/operations.md, "Retention"):
//! lists what a run anonymises today, or runs it. Audited as `retention.run` (and one
//! `retention.anonymise` per record).

use super::{operator, Args};
use chrono::NaiveDate;

/// Lists (dry run) or anonymises what is due on `as_of` (today by default).
pub async fn run(args: &Args, apply: bool, as_of: Option<NaiveDate>) -> anyhow::Result<()> {
    let store = super::open(args).await?;
    let result = run_on(&store, apply, as_of).await;
    store.close().await;
    result
}

async fn run_on(
    store: &goldaw_store::Store,
    apply: bool,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<()> {
    let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let who = operator("retention");
    let plan = store.retention_plan(&who, as_of).await?;
    for s in &plan.settings {
        println!("kept after closure: {} {} years", s.kind, s.years);
    }
    for c in &plan.cases {
        println!(
            "due: case {} ({}, {}) closed {} due {}",
            c.number, c.admin_unit, c.kind, c.closed_on, c.due_on
        );
    }
    for c in &plan.held {
        println!(
            "held: case {} ({}, {}) closed {} due {}: under a legal hold",
            c.number, c.admin_unit, c.kind, c.closed_on, c.due_on
        );
    }
    println!(
        "as of {as_of}: {} cases due, {} people due, {} cases held",
        plan.cases.len(),
        plan.persons.len(),
        plan.held.len()
    );
    if !apply {
        println!("dry run: nothing changed (run with --apply to anonymise)");
        return Ok(());
    }
    let done = store.apply_retention(&who, as_of).await?;
    println!(
        "anonymised: {} cases, {} people; {} left for the next run (changed since the list)",
        done.cases, done.persons, done.skipped
    );
    if done.wal_truncated == Some(false) {
        println!(
            "the WAL was not emptied (a reader held it): its old page images keep the removed text \
             until later checkpoints reuse them; run again when goldaw is quiet (docs/operations.md)"
        );
    }
    Ok(())
}
