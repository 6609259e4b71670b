//! What the provider's staff do with a referral: accept (the waiting list when no place is
//! free), put on the waiting list, decline with a reason, start the service, complete it.
//!
//! The write's shape: the referral found in the staff's organisation (`NotFound` outside it);
//! then one transaction that first takes the lock every writer takes first (the audit head's row;
//! on SQLite the write lock), reads the referral's status and version again (locked on
//! PostgreSQL), asks the state machine (`goldaw_core::service_referrals`), counts the offer's
//! places for an accept, appends the audit event once the outcome (accepted or waiting) is known,
//! and writes under the version.

use super::{ProviderAction, ProviderReferral};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::service_referrals::{out_of_order, referral_now_sql, ReferralNow};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::deadlines::local_date;
use goldaw_core::service_referrals::{
    accept_outcome, next_referral_status, DeclineReason, ProviderActionKind, ReferralAction,
};
use uuid::Uuid;

impl Store {
    /// Accept (a waiting-list place when none is free), put on the waiting list, decline, start
    /// or complete a referral to the principal's organisation. An action out of order is refused
    /// with `goldaw_core::service_referrals::ReferralRefusal` (field `action`, translated).
    #[tracing::instrument(skip_all, fields(referral = %id, action = %act.action))]
    pub async fn provider_act(
        &self,
        principal: &Principal,
        id: Uuid,
        act: ProviderAction,
    ) -> StoreResult<ProviderReferral> {
        use ProviderActionKind as A;
        let row = self.provider_row(principal, id).await?;
        // Issue #18: no action on a referral consent no longer allows.
        if self.consent_closes(&row).await? {
            return Err(crate::consent::consent_refused(
                goldaw_core::consent::ConsentRefusal::Withdrawn,
            ));
        }
        let now = Utc::now();
        let today = local_date(now);
        let on = act.on.unwrap_or(today);
        let action = ReferralAction::from(act.action);
        let ext = principal.scope.to_stored();
        let now_sql = referral_now_sql(self);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            // The lock every writer takes first (the audit head's row; SQLite: the write lock),
            // in the same order as every other writer so no deadlock: the referral and the places
            // counted below cannot change until this commits, so two staff accepting at once
            // cannot both take the last place. The event is appended below, when the outcome is
            // known.
            sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            let current: ReferralNow = sqlx::query_as(&now_sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.version != act.version {
                return Err(StoreError::Conflict {
                    expected: act.version,
                    actual: current.version,
                });
            }
            let from = current.status;
            if on > today {
                return Err(StoreError::refuse("on", "store-provider-act-future", vec![]));
            }
            let mut to = next_referral_status(from, action).map_err(out_of_order)?;
            if act.action == A::Decline && act.reason.is_none() {
                return Err(StoreError::refuse("reason", "store-decline-reason-missing", vec![]));
            }
            if act.action != A::Decline && (act.reason.is_some() || act.note.is_some()) {
                return Err(StoreError::refuse("reason", "store-referral-reason-decline-only", vec![]));
            }
            let note = clean_text("note", act.note.as_deref())?;
            let note_sealed = self.seal_text(
                "referral text",
                note.as_deref(),
                &format!("service_referrals.decision_note:{id}"),
            )?;
            if act.action == A::Complete {
                // Read with the referral's version above: a started referral's episode is fixed.
                if let Some(started) = row.started_on {
                    if on < started {
                        return Err(StoreError::refuse("on", "store-referral-complete-before-start", vec![("date", SayArg::Text(started.to_string()))]));
                    }
                }
            }
            if let (A::Accept, Some(offer)) = (act.action, row.provider_service_id) {
                let (places, taken): (Option<i32>, i64) = sqlx::query_as(
                    "SELECT o.places, (SELECT COUNT(*) FROM service_referrals r
                         WHERE r.provider_service_id = o.id AND r.status IN ('accepted', 'started'))
                     FROM provider_services o WHERE o.id = $1")
                    .bind(offer)
                    .fetch_one(&mut *tx)
                    .await?;
                to = accept_outcome(places, taken);
            }
            let event = AuditEvent::on("referral.provider", "referral", id)
                .with_detail(format!("{}: {from} -> {to}", act.action));
            append_audit!(self, tx, principal, event);
            let updated = sqlx::query("UPDATE service_referrals SET status = $1, version = version + 1, updated_at = $2
                                       WHERE id = $3 AND version = $4")
                .bind(to.as_str())
                .bind(now)
                .bind(id)
                .bind(act.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: act.version, actual: act.version + 1 });
            }
            if action.decides() {
                sqlx::query("UPDATE service_referrals SET decided_at = $1, decided_by = $2, decision_reason = $3,
                                 decision_note_sealed = $4 WHERE id = $5")
                    .bind(now)
                    .bind(&principal.actor)
                    .bind(act.reason.map(DeclineReason::as_str))
                    .bind(note_sealed)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            match act.action {
                A::Start => {
                    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_episodes WHERE case_id = $1 AND service_code = $2")
                        .bind(row.case_id)
                        .bind(&row.service_code)
                        .fetch_one(&mut *tx)
                        .await?;
                    let external_id = format!("{}/{}/{}", row.case_number, row.service_code, n + 1);
                    let provider_ext = ext.strip_prefix("provider:").unwrap_or(&ext).to_owned();
                    sqlx::query("INSERT INTO service_episodes (id, external_id, case_id, person_id, service_code, provider_id,
                                     started_on, units, version, created_at, updated_at, referral_id)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $8, $8, $9)")
                        .bind(Uuid::now_v7())
                        .bind(&external_id)
                        .bind(row.case_id)
                        .bind(row.person_id)
                        .bind(&row.service_code)
                        .bind(&provider_ext)
                        .bind(on)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                A::Complete => {
                    sqlx::query("UPDATE service_episodes SET ended_on = $1, version = version + 1, updated_at = $2
                                 WHERE referral_id = $3 AND ended_on IS NULL")
                        .bind(on)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {}
            }
            tx.commit().await?;
        });
        let row = self.provider_row(principal, id).await?;
        self.provider_view(principal, row).await
    }
}
