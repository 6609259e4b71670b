//! An open referral cancelled by the case's worker (or a supervisor); a started service ends today.

use super::{out_of_order, referral_now_sql, ReferralNow, ReferralRecord};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::deadlines::local_date;
use goldaw_core::service_referrals::{next_referral_status, ReferralAction};
use uuid::Uuid;

impl Store {
    /// Cancels an open referral (the case's worker or a supervisor), if nobody changed it since
    /// `version`. A started service ends today. The referral's status is read again inside the
    /// transaction, after the audit event (the write's lock), and the state machine
    /// (`goldaw_core::service_referrals`) decides.
    #[tracing::instrument(skip_all, fields(referral = %id))]
    pub async fn cancel_referral(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
    ) -> StoreResult<ReferralRecord> {
        // Deny by default before looking anything up.
        require(principal, Permission::WorkCases)?;
        let row = self.referral_row(id).await?;
        // Scope: the case must be the principal's to read, else the referral does not exist.
        let facts = self.referral_case(principal, row.case_id).await?;
        self.may_work_on(principal, &facts)?;
        // The status as read names the change in the audit event; the transaction below commits
        // only if the referral is still at the version read then.
        let read = row.status;
        let now = Utc::now();
        let now_sql = referral_now_sql(self);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("referral.cancel", "referral", id).with_detail(format!("{read} -> cancelled")));
            let current: ReferralNow = sqlx::query_as(&now_sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.version != version || current.version != row.version {
                return Err(StoreError::Conflict { expected: version, actual: current.version });
            }
            let to = next_referral_status(current.status, ReferralAction::Cancel).map_err(out_of_order)?;
            let updated = sqlx::query("UPDATE service_referrals SET status = $1, version = version + 1, updated_at = $2
                                       WHERE id = $3 AND version = $4")
                .bind(to.as_str())
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            sqlx::query("UPDATE service_episodes SET ended_on = $1, version = version + 1, updated_at = $2
                         WHERE referral_id = $3 AND ended_on IS NULL")
                .bind(local_date(now))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        let row = self.referral_row(id).await?;
        self.referral_record(principal, row)
    }
}
