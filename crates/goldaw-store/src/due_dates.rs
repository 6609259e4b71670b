//! Due dates kept with the case (issue #24, migration 0021): the rows of `case_due_dates` — each
//! step a case owes and when, each decision waiting for a supervisor — computed by the one rule,
//! `goldaw_core::due_dates::case_tasks`, and rewritten:
//!
//! - inside every write that moves a case ([`refresh_due_dates!`], one call before the commit of
//!   intake, the workflow's actions, allocation, plans, reviews), reading the case as the
//!   transaction sees it;
//! - for every case computed under other rules ([`Store::refresh_stale_due_dates`]): after a
//!   deadline rule or a holiday changes, after a bulk import, and when the store opens (a case
//!   written by an older release or straight into the database has no row in `case_due_state`).
//!
//! The task list (`cases/tasks.rs`) reads these rows by index and never computes a deadline.

use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::{CaseClocks, Deadlines};
use goldaw_core::due_dates::{case_tasks, fingerprint, TaskFacts};
use uuid::Uuid;

/// Cases computed per statement when many are redone.
const CHUNK: usize = 200;

/// What the rule needs of a case, read inside the writing transaction.
#[derive(sqlx::FromRow)]
pub(crate) struct FactsRow {
    pub(crate) id: Uuid,
    admin_unit: String,
    transfer_to: Option<String>,
    worker_user_id: Option<Uuid>,
    status: String,
    priority: Option<String>,
    referred_at: Option<DateTime<Utc>>,
    reopened_at: Option<DateTime<Utc>>,
    first_contact_at: Option<DateTime<Utc>>,
    holistic_done_at: Option<DateTime<Utc>>,
    plan_approved_at: Option<DateTime<Utc>>,
    last_review_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    closure_requested: bool,
    plan_submitted: bool,
    follow_up_short_done: bool,
    follow_up_long_done: bool,
}

/// The facts of the cases `$1..$n`.
pub(crate) fn facts_sql(n: usize) -> String {
    format!(
        "SELECT c.id, c.admin_unit, c.transfer_to, c.worker_user_id, c.status, c.priority,
                c.referred_at, c.reopened_at, c.first_contact_at, c.holistic_done_at,
                c.plan_approved_at, c.last_review_at, c.closed_at,
                (c.closure_requested_reason IS NOT NULL) AS closure_requested,
                EXISTS (SELECT 1 FROM support_plans s WHERE s.case_id = c.id AND s.status = 'submitted'
                          AND s.person_agrees IS NOT NULL) AS plan_submitted,
                EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'follow_up_short'
                          AND r.created_at >= c.closed_at) AS follow_up_short_done,
                EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'follow_up_long'
                          AND r.created_at >= c.closed_at) AS follow_up_long_done
           FROM cases c WHERE c.id IN ({})",
        placeholders(1, n)
    )
}

/// `$from, $from+1, ...`: `n` of them.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of `case_due_dates`, ready to bind.
pub(crate) struct DueRow {
    pub(crate) case_id: Uuid,
    pub(crate) kind: &'static str,
    pub(crate) step: &'static str,
    pub(crate) unit: String,
    pub(crate) home_unit: String,
    pub(crate) worker_key: String,
    pub(crate) due_at: i64,
    pub(crate) shown_until: Option<i64>,
}

/// The rows the cases owe under `deadlines` (the one rule, in core).
pub(crate) fn rows_of(facts: Vec<FactsRow>, deadlines: &Deadlines) -> StoreResult<Vec<DueRow>> {
    let corrupt =
        |what: &str, e: goldaw_core::ParseError| StoreError::Corrupt(format!("{what}: {e}"));
    let mut out = Vec::new();
    for f in facts {
        let status: CaseStatus = f.status.parse().map_err(|e| corrupt("case status", e))?;
        let priority: Option<Priority> = f
            .priority
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| corrupt("priority", e))?;
        let facts = TaskFacts {
            clocks: CaseClocks {
                status: Some(status),
                priority,
                referred_at: f.referred_at,
                reopened_at: f.reopened_at,
                first_contact_at: f.first_contact_at,
                holistic_done_at: f.holistic_done_at,
                plan_approved_at: f.plan_approved_at,
                last_review_at: f.last_review_at,
                closed_at: f.closed_at,
                follow_up_short_done: f.follow_up_short_done,
                follow_up_long_done: f.follow_up_long_done,
            },
            admin_unit: f.admin_unit,
            transfer_to: f.transfer_to,
            worker: f.worker_user_id,
            closure_requested: f.closure_requested,
            plan_submitted: f.plan_submitted,
        };
        let worker_key = f.worker_user_id.map(|w| w.to_string()).unwrap_or_default();
        for t in case_tasks(&facts, deadlines) {
            out.push(DueRow {
                case_id: f.id,
                kind: t.kind.as_str(),
                step: t.step_code(),
                due_at: t.due_key(),
                shown_until: t.shown_until.map(|s| s.timestamp()),
                unit: t.unit,
                home_unit: facts.admin_unit.clone(),
                worker_key: worker_key.clone(),
            });
        }
    }
    Ok(out)
}

/// The insert of `n` rows of `case_due_dates`.
pub(crate) fn insert_sql(n: usize) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| format!("({})", placeholders(i * 8 + 1, 8)))
        .collect();
    format!(
        "INSERT INTO case_due_dates (case_id, kind, step, unit, home_unit, worker_key, due_at, shown_until)
         VALUES {}",
        values.join(", ")
    )
}

/// Recomputes the due dates of the cases `$ids` inside transaction `$tx` (either backend), under
/// the rules `$store` holds now, and marks them computed under those rules. Call it in every
/// write that changes what a case owes, after the case's own writes and before the commit.
macro_rules! refresh_due_dates {
    ($store:expr, $tx:ident, $ids:expr) => {{
        let ids: &[uuid::Uuid] = $ids;
        let deadlines = $store.deadlines();
        let print = goldaw_core::due_dates::fingerprint(&deadlines);
        for chunk in ids.chunks(200) {
            let sql = $crate::due_dates::facts_sql(chunk.len());
            let mut q = sqlx::query_as::<_, $crate::due_dates::FactsRow>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            let facts = q.fetch_all(&mut *$tx).await?;
            let found: Vec<uuid::Uuid> = facts.iter().map(|f| f.id).collect();
            let rows = $crate::due_dates::rows_of(facts, &deadlines)?;
            let marks = $crate::due_dates::placeholders(1, chunk.len());
            for table in ["case_due_dates", "case_due_state"] {
                let sql = format!("DELETE FROM {table} WHERE case_id IN ({marks})");
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *$tx).await?;
            }
            for part in rows.chunks(500) {
                let sql = $crate::due_dates::insert_sql(part.len());
                let mut q = sqlx::query(&sql);
                for r in part {
                    q = q
                        .bind(r.case_id)
                        .bind(r.kind)
                        .bind(r.step)
                        .bind(&r.unit)
                        .bind(&r.home_unit)
                        .bind(&r.worker_key)
                        .bind(r.due_at)
                        .bind(r.shown_until);
                }
                q.execute(&mut *$tx).await?;
            }
            if !found.is_empty() {
                let values: Vec<String> = (0..found.len())
                    .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                    .collect();
                let sql = format!(
                    "INSERT INTO case_due_state (case_id, fingerprint) VALUES {}",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for id in &found {
                    q = q.bind(*id).bind(&print);
                }
                q.execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use refresh_due_dates;

impl Store {
    /// Recomputes the due dates of every case whose rows were computed under other rules than
    /// the ones in force, or never: at start, after a bulk import, after a deadline rule or a
    /// holiday changes. Returns how many cases were computed. A transaction per chunk of cases,
    /// each case's rows replaced whole, so a reader sees a case's old rows or its new ones.
    #[tracing::instrument(skip_all)]
    pub async fn refresh_stale_due_dates(&self) -> StoreResult<u64> {
        let print = fingerprint(&self.deadlines());
        let stale: Vec<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT c.id FROM cases c LEFT JOIN case_due_state s ON s.case_id = c.id
                  WHERE s.case_id IS NULL OR s.fingerprint <> $1",
            )
            .bind(&print)
            .fetch_all(pool)
            .await?
        });
        let ids: Vec<Uuid> = stale.into_iter().map(|(id,)| id).collect();
        for chunk in ids.chunks(CHUNK) {
            with_db!(self.db(), pool => {
                let mut tx = pool.begin().await?;
                // The lock every writer takes first (the audit head), so a case written at the
                // same time is computed before or after this chunk, never between.
                sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                refresh_due_dates!(self, tx, chunk);
                tx.commit().await?;
            });
        }
        if !ids.is_empty() {
            tracing::info!(cases = ids.len(), "due dates computed");
        }
        Ok(ids.len() as u64)
    }

    /// Forgets which rules every case was computed under and computes them all again (after a
    /// bulk import, which may have changed any case).
    pub async fn recompute_all_due_dates(&self) -> StoreResult<u64> {
        with_db!(self.db(), pool => {
            sqlx::query("DELETE FROM case_due_state").execute(pool).await?;
        });
        self.refresh_stale_due_dates().await
    }
}
