//! Units of service delivered on a started referral: a delivery row, and the episode's units.

use super::{Delivery, ProviderReferral};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::{out_of_order, referral_now_sql, ReferralNow};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::deadlines::local_date;
use goldaw_core::service_referrals::{next_referral_status, ReferralAction};
use uuid::Uuid;

impl Store {
    /// Records units delivered on a started referral: a delivery row, and the episode's units.
    /// The audit event first, then the referral's status read again (locked on PostgreSQL) and
    /// asked of the state machine (`goldaw_core::service_referrals`), then the writes.
    #[tracing::instrument(skip_all, fields(referral = %id))]
    pub async fn record_delivery(
        &self,
        principal: &Principal,
        id: Uuid,
        delivery: Delivery,
    ) -> StoreResult<ProviderReferral> {
        // The organisation's referral, or NotFound.
        let row = self.provider_row(principal, id).await?;
        // Issue #18: no delivery on a referral consent no longer allows.
        if self.consent_closes(&row).await? {
            return Err(crate::consent::consent_refused(
                goldaw_core::consent::ConsentRefusal::Withdrawn,
            ));
        }
        let now = Utc::now();
        let on = delivery.delivered_on.unwrap_or(local_date(now));
        let now_sql = referral_now_sql(self);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("referral.delivery", "referral", id).with_detail(format!("{} units on {on}", delivery.units)));
            // The status now, after the write's lock: a referral completed or cancelled meanwhile
            // takes no more units.
            let current: ReferralNow = sqlx::query_as(&now_sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            next_referral_status(current.status, ReferralAction::Deliver).map_err(out_of_order)?;
            let episode: Option<(Uuid, chrono::NaiveDate)> = sqlx::query_as(
                "SELECT id, started_on FROM service_episodes WHERE referral_id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((episode, started_on)) = episode else {
                return Err(StoreError::Corrupt(format!(
                    "referral {id} is started without a service episode"
                )));
            };
            if !(1..=10_000).contains(&delivery.units) {
                return Err(StoreError::refuse("units", "store-delivery-units-range", vec![]));
            }
            if on > local_date(now) {
                return Err(StoreError::refuse("delivered_on", "store-delivery-future", vec![]));
            }
            if on < started_on {
                return Err(StoreError::refuse("delivered_on", "store-delivery-before-start", vec![]));
            }
            sqlx::query("INSERT INTO service_deliveries (id, episode_id, delivered_on, units, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(Uuid::now_v7())
                .bind(episode)
                .bind(on)
                .bind(delivery.units)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE service_episodes SET units = COALESCE(units, 0) + $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(delivery.units)
                .bind(now)
                .bind(episode)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        let row = self.provider_row(principal, id).await?;
        self.provider_view(principal, row).await
    }
}
