//! Legal holds: a supervisor stops the anonymisation of a case in their scope, with a reason, and
//! lifts the hold with a reason. The hold is read inside the run's transaction of each case.

use super::refused;
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::for_update;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::retention::{clean_reason, may_hold, RetentionRefusal};
use serde::Serialize;
use uuid::Uuid;

/// A legal hold on a case, in force until lifted.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LegalHold {
    pub id: Uuid,
    pub case_id: Uuid,
    pub reason: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lift_reason: Option<String>,
    pub version: i32,
}

const SELECT_HOLD: &str = "SELECT id, case_id, reason, set_by, set_at, lifted_by, lifted_at, lift_reason, version FROM legal_holds";

fn forbidden() -> StoreError {
    StoreError::Forbidden("legal holds are set and lifted by supervisors".into())
}

impl Store {
    /// A case's holds, newest first: for supervisors, on a case in their scope.
    pub async fn legal_holds(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<LegalHold>> {
        if !may_hold(principal) {
            return Err(forbidden());
        }
        self.load_case_row(principal, case).await?;
        let sql = format!("{SELECT_HOLD} WHERE case_id = $1 ORDER BY set_at DESC, id");
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(case).fetch_all(pool).await?
        }))
    }

    /// Sets a legal hold on a case in the supervisor's scope; refused when one is in force or
    /// the case was anonymised already.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn set_legal_hold(
        &self,
        principal: &Principal,
        case: Uuid,
        reason: &str,
    ) -> StoreResult<LegalHold> {
        if !may_hold(principal) {
            return Err(forbidden());
        }
        self.load_case_row(principal, case).await?;
        let reason = clean_reason(reason).map_err(|r| refused("reason", r))?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let lock = for_update(self);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("retention.hold", "case", case));
            let anonymised: Option<(Option<DateTime<Utc>>,)> = sqlx::query_as(&format!("SELECT anonymised_at FROM cases WHERE id = $1{lock}"))
                .bind(case)
                .fetch_optional(&mut *tx)
                .await?;
            match anonymised {
                None => return Err(StoreError::NotFound),
                Some((Some(_),)) => return Err(refused("case", RetentionRefusal::Anonymised)),
                Some((None,)) => {}
            }
            let held: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM legal_holds WHERE case_id = $1 AND lifted_at IS NULL")
                .bind(case)
                .fetch_optional(&mut *tx)
                .await?;
            if held.is_some() {
                return Err(refused("case", RetentionRefusal::AlreadyHeld));
            }
            sqlx::query("INSERT INTO legal_holds (id, case_id, reason, set_by, set_at, version) VALUES ($1, $2, $3, $4, $5, 1)")
                .bind(id)
                .bind(case)
                .bind(&reason)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.hold_by_id(id).await
    }

    /// Lifts the hold in force on a case, if it is still at `expected_version`.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn lift_legal_hold(
        &self,
        principal: &Principal,
        case: Uuid,
        expected_version: i32,
        reason: &str,
    ) -> StoreResult<LegalHold> {
        if !may_hold(principal) {
            return Err(forbidden());
        }
        self.load_case_row(principal, case).await?;
        let reason = clean_reason(reason).map_err(|r| refused("reason", r))?;
        let now = Utc::now();
        let id = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("retention.hold.lift", "case", case));
            let held: Option<(Uuid, i32)> = sqlx::query_as("SELECT id, version FROM legal_holds WHERE case_id = $1 AND lifted_at IS NULL")
                .bind(case)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((id, version)) = held else {
                return Err(refused("case", RetentionRefusal::NotHeld));
            };
            let done = sqlx::query(
                "UPDATE legal_holds SET lifted_by = $1, lifted_at = $2, lift_reason = $3, version = version + 1
                  WHERE id = $4 AND version = $5",
            )
            .bind(&principal.actor)
            .bind(now)
            .bind(&reason)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict { expected: expected_version, actual: version });
            }
            tx.commit().await?;
            id
        });
        self.hold_by_id(id).await
    }

    async fn hold_by_id(&self, id: Uuid) -> StoreResult<LegalHold> {
        let sql = format!("{SELECT_HOLD} WHERE id = $1");
        let row: Option<LegalHold> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }
}
