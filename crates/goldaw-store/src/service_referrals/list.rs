//! The referrals of a case, as its readers see them.

use super::{ReferralRecord, ReferralRow, SELECT_REFERRAL};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::Store;
use goldaw_core::access::Principal;
use uuid::Uuid;

impl Store {
    /// The referrals made from a case, newest first.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn case_referrals(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<ReferralRecord>> {
        self.referral_case(principal, case).await?;
        let out = self.referrals_of(principal, case).await?;
        self.audit(principal, AuditEvent::on("referral.list", "case", case))
            .await?;
        Ok(out)
    }

    /// The referrals of a case the caller was already allowed to read; not audited here.
    pub(crate) async fn referrals_of(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<ReferralRecord>> {
        let sql =
            format!("{SELECT_REFERRAL} WHERE r.case_id = $1 ORDER BY r.sent_at DESC, r.id DESC");
        let rows: Vec<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(case).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| self.referral_record(principal, r))
            .collect()
    }
}
