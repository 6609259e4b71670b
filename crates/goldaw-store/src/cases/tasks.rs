//! Tasks: what a worker or a supervisor has to do now (deadlines due, decisions waiting), read a
//! page at a time from the rows kept with each case (`crate::due_dates`, migration 0021): one
//! range of an index, whatever the size of the scope, and no deadline computed on a view.
//!
//! A worker's list is their cases' steps by date (overdue first, since they are due first); a
//! supervisor's is everything in their scope grouped by worker (cases waiting for a worker
//! first), each worker's decisions waiting and then steps by date. The next page starts after
//! the last row shown (a keyset cursor, `goldaw_core::paging`), so every task is reached once.

use super::read::{CaseRow, CASE_COLUMNS};
use super::{corrupt, full_name, parse_opt};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::scope::unit_range;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::Due;
use goldaw_core::due_dates::parse_step;
use goldaw_core::paging::{decode_cursor, encode_cursor, page_size, CappedCount, COUNT_CAP};
use serde::Serialize;
use uuid::Uuid;

pub use goldaw_core::due_dates::TaskKind;

/// Something for a worker or supervisor to do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub case_id: Uuid,
    pub number: String,
    pub person_name: Option<String>,
    /// Gender-based violence or child protection: pages hide the name until asked
    /// (`goldaw_core::safety::name_on_page`).
    pub sensitive: bool,
    pub status: CaseStatus,
    pub priority: Option<Priority>,
    pub kind: TaskKind,
    /// For deadline tasks: the step and when it is due.
    pub due: Option<Due>,
    /// The case's worker (a supervisor's list is grouped by it); `None`: not allocated.
    pub worker: Option<String>,
}

/// Which page of tasks.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// The `next` of the page before; `None` for the first page.
    pub after: Option<String>,
    /// Rows on the page (`goldaw_core::paging::page_size`).
    pub limit: Option<u32>,
    /// Only the steps already overdue.
    pub overdue_only: bool,
}

/// One page of tasks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// Give it as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
    /// The list is grouped by worker (a supervisor's), else by date (a worker's).
    pub by_worker: bool,
    /// The steps overdue in the whole list (not only this page), up to a cap.
    pub overdue: CappedCount,
}

/// A task row joined with its case.
#[derive(sqlx::FromRow)]
struct TaskLine {
    t_kind: String,
    t_step: String,
    t_due_at: i64,
    t_worker_key: String,
    /// The overdue count of the whole list (the same on every row: computed once).
    t_overdue: i64,
    #[sqlx(flatten)]
    case: CaseRow,
}

const TASK_FROM: &str = "FROM case_due_dates t JOIN cases c ON c.id = t.case_id
     JOIN persons p ON p.id = c.person_id LEFT JOIN users u ON u.id = c.worker_user_id";

/// The condition of a supervisor's list: $1/$2 the unit range, $3 now (seconds). A case being
/// transferred in shows only its acceptance; one already home shows no acceptance. `{u}` is the
/// unit column as the range reads it ([`UNIT_COLUMN`]).
const SUPERVISOR_WHERE: &str = "{u} >= $1 AND {u} < $2
     AND (t.kind <> 'accept_transfer' OR NOT (t.home_unit >= $1 AND t.home_unit < $2))
     AND (t.shown_until IS NULL OR t.shown_until >= $3)";

/// How the unit range reads `t.unit`: as an expression no index answers, so that the database
/// walks `case_due_dates_worker` (covering) in the list's order and stops at the page's end
/// instead of sorting every task of the scope — SQLite has no statistics to choose so by itself.
/// Measured on 140,000 tasks (bench/README.md): a national first page 3 ms of CPU against 0.9 s
/// by the unit index and a sort, an etrap's 3 ms against 33 ms, a scope with no task at all (the
/// whole index walked) 16 to 40 ms.
const UNIT_COLUMN: &str = "(t.unit || '')";

/// The condition of a worker's list: their cases' steps in their scope (`due_at > 0`: steps,
/// not decisions; a range of the index, unlike `kind = 'deadline'`); $4 the worker.
const WORKER_WHERE: &str = "t.worker_key = $4 AND t.due_at > 0
     AND t.unit >= $1 AND t.unit < $2
     AND (t.shown_until IS NULL OR t.shown_until >= $3)";

impl Store {
    /// The first page of what the principal has to do ([`Store::task_page`]).
    pub async fn tasks(&self, principal: &Principal) -> StoreResult<Vec<Task>> {
        Ok(self
            .task_page(principal, &TaskQuery::default())
            .await?
            .tasks)
    }

    /// A page of what the principal has to do: the steps due on their cases (a worker, by date)
    /// or on the cases in scope and the decisions waiting (a supervisor, by worker then date).
    #[tracing::instrument(skip_all)]
    pub async fn task_page(
        &self,
        principal: &Principal,
        query: &TaskQuery,
    ) -> StoreResult<TaskPage> {
        require(principal, Permission::WorkCases)?;
        let supervisor = principal.may(Permission::ApproveCases);
        let limit = page_size(query.limit);
        let after = match &query.after {
            Some(c) => Some(decode_cursor(c, 5).map_err(|_| damaged())?),
            None => None,
        };
        let Some((lo, hi)) = unit_range(principal) else {
            return Ok(TaskPage {
                tasks: Vec::new(),
                next: None,
                by_worker: supervisor,
                overdue: CappedCount::of(0, COUNT_CAP),
            });
        };
        let now = Utc::now();
        let me = principal.user_id.map(|u| u.to_string()).unwrap_or_default();
        // Supervisor: by worker, then date. Worker: by date (the worker is fixed). One order,
        // the index `case_due_dates_worker`, and the keyset is the whole sort key.
        let cond = if supervisor {
            SUPERVISOR_WHERE.replace("{u}", UNIT_COLUMN)
        } else {
            WORKER_WHERE.to_owned()
        };
        let cond = cond.as_str();
        let order = "t.worker_key, t.due_at, t.case_id, t.kind, t.step";
        let key = "(t.worker_key, t.due_at, t.case_id, t.kind, t.step) > ($5, $6, $7, $8, $9)";
        let mut sql = format!(
            "SELECT t.kind AS t_kind, t.step AS t_step, t.due_at AS t_due_at, t.worker_key AS t_worker_key,
                    ({}) AS t_overdue,
                    {CASE_COLUMNS} {TASK_FROM} WHERE {cond} AND $4 = $4",
            overdue_sql(cond)
        );
        if query.overdue_only {
            sql.push_str(" AND t.due_at > 0 AND t.due_at < $3");
        }
        let cursor = match &after {
            Some(f) => {
                sql.push_str(&format!(" AND {key}"));
                let due: i64 = f[1].parse().map_err(|_| damaged())?;
                let case: Uuid = f[2].parse().map_err(|_| damaged())?;
                Some((f[0].clone(), due, case, f[3].clone(), f[4].clone()))
            }
            None => None,
        };
        sql.push_str(&format!(" ORDER BY {order} LIMIT {}", limit + 1));
        let now_s = now.timestamp();
        let mut lines: Vec<TaskLine> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(now_s).bind(&me);
            if let Some((w, due, case, kind, step)) = &cursor {
                q = q.bind(w).bind(due).bind(case).bind(kind).bind(step);
            }
            q.fetch_all(pool).await?
        });
        let more = lines.len() > limit as usize;
        lines.truncate(limit as usize);
        let next = if more {
            lines.last().map(|l| {
                encode_cursor(&[
                    &l.t_worker_key,
                    &l.t_due_at.to_string(),
                    &l.case.id.to_string(),
                    &l.t_kind,
                    &l.t_step,
                ])
            })
        } else {
            None
        };
        // The count came with the rows; a page with no rows asks for it alone.
        let overdue = match lines.first() {
            Some(l) => CappedCount::of(l.t_overdue, COUNT_CAP),
            None => self.overdue_count(cond, &lo, &hi, &me, now_s).await?,
        };
        let mut tasks = Vec::with_capacity(lines.len());
        for line in lines {
            let row = line.case;
            // The SQL kept the scope; the one rule of sight decides the name as everywhere.
            let restricted = row.restricted_for(principal);
            let kind: TaskKind = line.t_kind.parse().map_err(|e| corrupt("task kind", e))?;
            let step = parse_step(&line.t_step).map_err(|e| corrupt("task step", e))?;
            let due = match (kind, step) {
                (TaskKind::Deadline, Some(step)) => {
                    let due_at = DateTime::<Utc>::from_timestamp(line.t_due_at, 0)
                        .ok_or_else(|| corrupt("due date", line.t_due_at))?;
                    Some(Due {
                        step,
                        due_at,
                        overdue: now > due_at,
                    })
                }
                _ => None,
            };
            tasks.push(Task {
                case_id: row.id,
                person_name: (!restricted)
                    .then(|| full_name(&row.given_name, row.family_name.as_deref())),
                sensitive: row.sensitive,
                number: row.external_id,
                status: row.status.parse().map_err(|e| corrupt("case status", e))?,
                priority: parse_opt::<Priority>("priority", row.priority.as_deref())?,
                kind,
                due,
                worker: row.worker,
            });
        }
        self.audit(
            principal,
            AuditEvent::plain("case.tasks").with_detail(format!("{} tasks", tasks.len())),
        )
        .await?;
        Ok(TaskPage {
            tasks,
            next,
            by_worker: supervisor,
            overdue,
        })
    }

    /// How many steps are overdue in the list, up to [`COUNT_CAP`] (then "more than").
    async fn overdue_count(
        &self,
        cond: &str,
        lo: &str,
        hi: &str,
        me: &str,
        now: i64,
    ) -> StoreResult<CappedCount> {
        let sql = overdue_sql(cond);
        let (n,): (i64,) = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(lo).bind(hi).bind(now).bind(me).fetch_one(pool).await?
        });
        Ok(CappedCount::of(n, COUNT_CAP))
    }
}

/// How many steps are overdue under `cond` ($1..$4 as the list's), counted up to one more than
/// [`COUNT_CAP`]: one range of `case_due_dates_unit` or `_worker`, never the whole scope.
fn overdue_sql(cond: &str) -> String {
    format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM case_due_dates t WHERE {cond} AND $4 = $4
           AND t.due_at > 0 AND t.due_at < $3 LIMIT {}) x",
        COUNT_CAP + 1
    )
}

/// A cursor that does not decode to a task's key.
fn damaged() -> StoreError {
    StoreError::refuse("after", "store-page-link-damaged", vec![])
}
