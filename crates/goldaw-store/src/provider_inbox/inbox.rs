//! The inbox of a provider's staff: the referrals to their organisation, and one of them read.

use super::{provider_scope, ProviderReferral};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::service_referrals::{ReferralRow, SELECT_REFERRAL};
use crate::Store;
use goldaw_core::access::Principal;
use goldaw_core::service_referrals::ReferralStatus;
use uuid::Uuid;

impl Store {
    /// The referrals to the principal's organisation: the waiting list first (oldest first: the
    /// next to take when a place frees), then new ones, then those accepted, started, and done.
    #[tracing::instrument(skip_all)]
    pub async fn provider_inbox(
        &self,
        principal: &Principal,
        status: Option<ReferralStatus>,
    ) -> StoreResult<Vec<ProviderReferral>> {
        let ext = provider_scope(principal)?;
        let sql = format!(
            "{SELECT_REFERRAL} WHERE pr.external_id = $1 AND ($2 IS NULL OR r.status = $2)
             ORDER BY CASE r.status WHEN 'waiting' THEN 0 WHEN 'sent' THEN 1 WHEN 'accepted' THEN 2
                                    WHEN 'started' THEN 3 ELSE 4 END, r.sent_at, r.id
             LIMIT 1000"
        );
        let rows: Vec<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(ext)
                .bind(status.map(ReferralStatus::as_str))
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.provider_view(principal, r).await?);
        }
        self.audit(
            principal,
            AuditEvent::plain("referral.inbox").with_detail(format!("{ext}: {}", out.len())),
        )
        .await?;
        Ok(out)
    }

    /// One referral to the principal's organisation, with the minimum fields.
    #[tracing::instrument(skip_all, fields(referral = %id))]
    pub async fn provider_referral(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<ProviderReferral> {
        let row = self.provider_row(principal, id).await?;
        let view = self.provider_view(principal, row).await?;
        self.audit(principal, AuditEvent::on("referral.read", "referral", id))
            .await?;
        Ok(view)
    }
}
