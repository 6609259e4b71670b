//! Tasks: what a worker or a supervisor has to do now (deadlines due, decisions waiting).

use super::read::{clocks_of, scoped, CaseRow, CASE_COLUMNS, CASE_FROM, FOLLOW_UP_COLUMNS};
use super::{corrupt, full_name, parse_opt};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::people::require;
use crate::scope::unit_range;
use crate::Store;
use chrono::{DateTime, TimeDelta, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::{CaseClocks, Due};
use goldaw_core::ids::AdminUnitCode;
use serde::Serialize;
use std::collections::HashSet;
use uuid::Uuid;

/// Something for a worker or supervisor to do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub case_id: Uuid,
    pub number: String,
    pub person_name: Option<String>,
    pub status: CaseStatus,
    pub priority: Option<Priority>,
    pub kind: TaskKind,
    /// For deadline tasks: the step and when it is due.
    pub due: Option<Due>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A step of the workflow with a deadline.
    Deadline,
    /// A case waiting for a worker (supervisors).
    Allocate,
    /// A plan waiting for approval (supervisors).
    ApprovePlan,
    /// A closure request waiting for approval (supervisors).
    ApproveClosure,
    /// A case being transferred into the supervisor's scope.
    AcceptTransfer,
}

/// A case with the follow-ups its deadlines need (the task list).
#[derive(sqlx::FromRow)]
pub(super) struct TaskRow {
    #[sqlx(flatten)]
    pub(super) case: CaseRow,
    pub(super) follow_up_short_done: bool,
    pub(super) follow_up_long_done: bool,
}

impl Store {
    /// What the principal has to do: deadlines of their cases (a worker) or of the cases in
    /// scope (a supervisor), and a supervisor's decisions waiting. Overdue first, then by due date.
    #[tracing::instrument(skip_all)]
    pub async fn tasks(&self, principal: &Principal) -> StoreResult<Vec<Task>> {
        require(principal, Permission::WorkCases)?;
        let Some((lo, hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        let supervisor = principal.may(Permission::ApproveCases);
        let mut sql = format!(
            "SELECT {CASE_COLUMNS}, {FOLLOW_UP_COLUMNS} {CASE_FROM} WHERE {}",
            scoped(principal)
        );
        if !supervisor {
            sql.push_str(" AND c.worker_user_id = $3");
        }
        // Closed cases owe follow-ups for a year; older ones are done.
        sql.push_str(" AND (c.status <> 'closed' OR c.closed_at >= $4) LIMIT 5000");
        let year_ago = Utc::now() - TimeDelta::days(400);
        // Each case's follow-ups come with it (two probes of the reviews index per case).
        let rows: Vec<TaskRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(principal.user_id).bind(year_ago).fetch_all(pool).await?
        });
        // Limited to the scope's cases (by the admin_unit index), not the nation's.
        let submitted: HashSet<Uuid> = if supervisor {
            let rows: Vec<(Uuid,)> = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT DISTINCT p.case_id FROM support_plans p JOIN cases c ON c.id = p.case_id
                                WHERE c.admin_unit >= $1 AND c.admin_unit < $2
                                  AND c.status IN ('support_plan', 'active', 'monitoring')
                                  AND p.status = 'submitted' AND p.person_agrees IS NOT NULL")
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(pool)
                    .await?
            });
            rows.into_iter().map(|(id,)| id).collect()
        } else {
            HashSet::new()
        };
        let now = Utc::now();
        let deadlines = self.deadlines();
        let mut tasks = Vec::new();
        for TaskRow {
            case: row,
            follow_up_short_done,
            follow_up_long_done,
        } in rows
        {
            let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
            let priority = parse_opt::<Priority>("priority", row.priority.as_deref())?;
            let restricted = row.restricted_for(principal);
            let name =
                (!restricted).then(|| full_name(&row.given_name, row.family_name.as_deref()));
            let home = row
                .admin_unit
                .parse::<AdminUnitCode>()
                .is_ok_and(|u| principal.can_see_unit(&u));
            let task = |kind, due| Task {
                case_id: row.id,
                number: row.external_id.clone(),
                person_name: name.clone(),
                status,
                priority,
                kind,
                due,
            };
            if supervisor && !home {
                tasks.push(task(TaskKind::AcceptTransfer, None));
                continue;
            }
            if supervisor {
                if row.worker_user_id.is_none() && status != CaseStatus::Closed {
                    tasks.push(task(TaskKind::Allocate, None));
                }
                if row.closure_requested_reason.is_some() {
                    tasks.push(task(TaskKind::ApproveClosure, None));
                }
                if submitted.contains(&row.id) {
                    tasks.push(task(TaskKind::ApprovePlan, None));
                }
            }
            let clocks = CaseClocks {
                follow_up_short_done,
                follow_up_long_done,
                ..clocks_of(&row, status, priority)
            };
            for due in deadlines.pending(&clocks, now) {
                tasks.push(task(TaskKind::Deadline, Some(due)));
            }
        }
        tasks.sort_by_key(|t| {
            (
                !t.due.is_some_and(|d| d.overdue),
                t.due.map_or(DateTime::<Utc>::MAX_UTC, |d| d.due_at),
                t.number.clone(),
            )
        });
        self.audit(
            principal,
            AuditEvent::plain("case.tasks").with_detail(format!("{} tasks", tasks.len())),
        )
        .await?;
        Ok(tasks)
    }
}
