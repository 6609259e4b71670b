//! What a partner reads of its own referrals: the reference, the status as mapped from the case
//! (`goldaw_core::partners::partner_status`), and the outcome summary only when the family agreed
//! to that feedback. Another organisation's referral, or a referral that does not exist, is
//! `NotFound` alike. Reads are audited (the ids shown).

use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::CaseStatus;
use goldaw_core::partners::{outcome_for_partner, partner_sight, partner_status, PartnerStatus};
use serde::Serialize;
use uuid::Uuid;

/// A partner's referral as the partner reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartnerReferralView {
    pub id: Uuid,
    /// goldaw's reference, to quote when calling the etrap.
    pub reference: String,
    pub their_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    /// received, being_assessed, support_under_way or closed.
    pub status: PartnerStatus,
    /// The outcome summary, only when the family agreed to share it with the partner.
    pub outcome: Option<String>,
}

type Row = (
    Uuid,
    Uuid,
    String,
    Option<String>,
    DateTime<Utc>,
    String,
    bool,
    Option<Vec<u8>>,
);

const SELECT: &str =
    "SELECT r.id, r.partner_id, r.reference, r.their_reference, r.created_at, c.status,
        r.feedback_consent, r.outcome_sealed
    FROM partner_referrals r JOIN cases c ON c.id = r.case_id";

impl Store {
    fn partner_view(&self, reader: &Principal, row: Row) -> StoreResult<PartnerReferralView> {
        let (id, partner, reference, theirs, created_at, status, consent, sealed) = row;
        if !partner_sight(reader, partner) {
            return Err(StoreError::NotFound);
        }
        let status: CaseStatus = status
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("case status: {e}")))?;
        // Opened only when the partner may read it.
        let outcome = if consent {
            self.open_text(
                "partner feedback",
                sealed.as_deref(),
                &format!("partner_referrals.outcome:{id}"),
            )?
        } else {
            None
        };
        Ok(PartnerReferralView {
            id,
            reference,
            their_reference: theirs,
            created_at,
            status: partner_status(status),
            outcome: outcome_for_partner(consent, outcome),
        })
    }

    /// The partner's own referrals, newest first (at most 500).
    #[tracing::instrument(skip_all)]
    pub async fn partner_referrals(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<PartnerReferralView>> {
        let partner = self.partner_of(principal).await?;
        let sql = format!(
            "{SELECT} WHERE r.partner_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 500"
        );
        let rows: Vec<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(partner.id).fetch_all(pool).await?
        });
        let views = rows
            .into_iter()
            .map(|r| self.partner_view(principal, r))
            .collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<String> = views.iter().map(|v| v.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("partner.referrals.read").with_detail(format!(
                "{} shown: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(views)
    }

    /// One of the partner's own referrals; `NotFound` for any other.
    #[tracing::instrument(skip_all, fields(referral = %id))]
    pub async fn partner_referral(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<PartnerReferralView> {
        let partner = self.partner_of(principal).await?;
        let sql = format!("{SELECT} WHERE r.id = $1 AND r.partner_id = $2");
        let row: Option<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).bind(partner.id).fetch_optional(pool).await?
        });
        let view = self.partner_view(principal, row.ok_or(StoreError::NotFound)?)?;
        self.audit(
            principal,
            AuditEvent::on("partner.referral.read", "partner_referral", id),
        )
        .await?;
        Ok(view)
    }
}
