//! Allocation: a supervisor assigns a case to a social worker of its etrap.

use super::corrupt;
use super::history::{insert_case_event, NewCaseEvent};
use super::read::CaseRecord;
use crate::audit::{append_audit, AuditEvent};
use crate::due_dates::refresh_due_dates;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::CaseStatus;
use goldaw_core::ids::AdminUnitCode;
use serde::Serialize;
use uuid::Uuid;

/// A person able to take cases, for the allocation form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignable {
    pub user_id: Uuid,
    pub username: String,
    pub sensitive: bool,
}

impl Store {
    /// Assigns the case to a social worker (a supervisor), if nobody changed it since `version`.
    #[tracing::instrument(skip_all, fields(case_id = %id))]
    pub async fn allocate_case(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
        worker: &str,
    ) -> StoreResult<CaseRecord> {
        require(principal, Permission::AllocateCases)?;
        let row = self.load_case_row(principal, id).await?;
        let unit: AdminUnitCode = row
            .admin_unit
            .parse()
            .map_err(|e| corrupt("case unit", e))?;
        if !principal.can_see_unit(&unit) {
            return Err(StoreError::Forbidden(
                "the case lies outside your scope".into(),
            ));
        }
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: row.version,
            });
        }
        if row.status == CaseStatus::Closed.as_str() {
            return Err(StoreError::refuse(
                "worker",
                "store-allocate-closed",
                vec![],
            ));
        }
        let candidates = self
            .assignable_workers(principal, &unit, row.sensitive)
            .await?;
        let Some(chosen) = candidates.iter().find(|w| w.username == worker) else {
            return Err(StoreError::refuse(
                "worker",
                "store-worker-not-assignable",
                vec![
                    ("user", SayArg::Text(worker.to_owned())),
                    ("unit", SayArg::Text(unit.to_string())),
                    ("sensitive", SayArg::Number(row.sensitive as i64)),
                ],
            ));
        };
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.allocate", "case", id).with_detail(worker.to_owned()));
            let updated = sqlx::query("UPDATE cases SET worker_user_id = $1, worker_id = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5")
                .bind(chosen.user_id)
                .bind(&chosen.username)
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            insert_case_event(&mut *tx, &NewCaseEvent::new(id, principal, "allocate", now).detail(Some(worker))).await?;
            refresh_due_dates!(self, tx, &[id]);
            tx.commit().await?;
        });
        self.case_unaudited(principal, id).await
    }

    /// Social workers (and supervisors) whose scope covers `unit`: who may take a case there.
    #[tracing::instrument(skip_all, fields(unit = %unit))]
    pub async fn assignable_workers(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
        sensitive_case: bool,
    ) -> StoreResult<Vec<Assignable>> {
        require(principal, Permission::AllocateCases)?;
        let rows: Vec<(Uuid, String, String, bool)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, username, scope, sensitive FROM users WHERE NOT disabled AND role IN ('social_worker', 'supervisor') ORDER BY username")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter(|(_, _, scope, sensitive)| {
                scope
                    .parse::<AdminUnitCode>()
                    .is_ok_and(|s| unit.is_within(&s) && principal.can_see_unit(&s))
                    && (*sensitive || !sensitive_case)
            })
            .map(|(user_id, username, _, sensitive)| Assignable {
                user_id,
                username,
                sensitive,
            })
            .collect())
    }
}
