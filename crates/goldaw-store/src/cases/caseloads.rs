//! Caseloads: each worker's cases against the norm (25 intensive, 25 monitored, 75 a year).

use crate::error::StoreResult;
use crate::people::require;
use crate::Store;
use chrono::{TimeDelta, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::CaseStatus;
use goldaw_core::deadlines::local_date;
use goldaw_core::workflow::counts_as_intensive;
use goldaw_core::workforce::scaled_norm;
use serde::Serialize;
use uuid::Uuid;

/// The caseload norm (DOMAIN.md, "Workforce"): 25 intensive and 25 monitored cases at a time,
/// 75 cases a year.
pub const NORM_INTENSIVE: u32 = 25;

pub const NORM_MONITORED: u32 = 25;

pub const NORM_PER_YEAR: u32 = 75;

/// One worker's caseload against the norm.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerLoad {
    pub user_id: Uuid,
    pub username: String,
    /// Open cases before monitoring (referred to active).
    pub intensive: u32,
    pub monitoring: u32,
    /// Cases assigned in the last 12 months (the yearly norm counts these).
    pub last_12_months: u32,
    pub norm_intensive: u32,
    pub norm_monitored: u32,
    pub norm_per_year: u32,
    /// Any of the three above its norm.
    pub over_norm: bool,
    /// Her share of full time from the workforce register (the norms above are scaled by it);
    /// none when her account is not linked to a staff record (full norms).
    pub fte_percent: Option<u32>,
}

impl Store {
    /// The caseload of each worker in scope (a supervisor), or the principal's own (a worker).
    #[tracing::instrument(skip_all)]
    pub async fn caseloads(&self, principal: &Principal) -> StoreResult<Vec<WorkerLoad>> {
        require(principal, Permission::WorkCases)?;
        let Some(scope) = principal.unit_scope().cloned() else {
            return Ok(Vec::new());
        };
        let mut workers: Vec<(Uuid, String)> = if principal.may(Permission::AllocateCases) {
            self.assignable_workers(principal, &scope, false)
                .await?
                .into_iter()
                .map(|w| (w.user_id, w.username))
                .collect()
        } else {
            principal
                .user_id
                .map(|id| (id, principal.actor.clone()))
                .into_iter()
                .collect()
        };
        workers.sort_by(|a, b| a.1.cmp(&b.1));
        if workers.is_empty() {
            return Ok(Vec::new());
        }
        let year_ago = local_date(Utc::now()) - TimeDelta::days(365);
        // Only the listed workers' cases (issue #24: a supervisor's view no longer groups every
        // open case in the country): `worker_user_id IN ($2, ...)` reads `cases_worker` per worker.
        let ids = crate::due_dates::placeholders(2, workers.len());
        let counts_sql = format!(
            "SELECT worker_user_id, status, COUNT(*) FROM cases WHERE worker_user_id IN ({ids}) AND status <> $1 GROUP BY worker_user_id, status"
        );
        let yearly_sql = format!(
            "SELECT worker_user_id, COUNT(*) FROM cases WHERE worker_user_id IN ({ids}) AND opened_on >= $1 GROUP BY worker_user_id"
        );
        let counts: Vec<(Uuid, String, i64)> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&counts_sql).bind(CaseStatus::Closed.as_str());
            for (id, _) in &workers {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        let yearly: Vec<(Uuid, i64)> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&yearly_sql).bind(year_ago);
            for (id, _) in &workers {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        // The register's share of full time scales each worker's norms (issue #22).
        let ftes = self.fte_by_user().await?;
        let loads = workers
            .into_iter()
            .map(|(user_id, username)| {
                let (mut intensive, mut monitoring) = (0u32, 0u32);
                for (w, status, n) in &counts {
                    if *w != user_id {
                        continue;
                    }
                    let n = u32::try_from(*n).unwrap_or(u32::MAX);
                    match status.parse::<CaseStatus>() {
                        Ok(s) if counts_as_intensive(s) => intensive += n,
                        Ok(CaseStatus::Monitoring) => monitoring += n,
                        _ => {}
                    }
                }
                let last_12_months = yearly
                    .iter()
                    .find(|(w, _)| *w == user_id)
                    .map_or(0, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX));
                let fte_percent = ftes.get(&user_id).copied();
                let norm = |n: u32| fte_percent.map_or(n, |p| scaled_norm(n, p));
                let (norm_intensive, norm_monitored, norm_per_year) = (
                    norm(NORM_INTENSIVE),
                    norm(NORM_MONITORED),
                    norm(NORM_PER_YEAR),
                );
                WorkerLoad {
                    user_id,
                    username,
                    intensive,
                    monitoring,
                    last_12_months,
                    norm_intensive,
                    norm_monitored,
                    norm_per_year,
                    over_norm: intensive > norm_intensive
                        || monitoring > norm_monitored
                        || last_12_months > norm_per_year,
                    fte_percent,
                }
            })
            .collect();
        Ok(loads)
    }
}
