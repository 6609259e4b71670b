//! What a partner reads of its own referrals: the reference, the status as mapped from the case
//! (`goldaw_core::partners::partner_status`), and the outcome summary only when the family agreed
//! to that feedback and, where the consent register (#18) has a purpose for the partner's kind,
//! a consent for it is in force (`goldaw_core::partners::feedback_allowed`, docs/partners.md). Another organisation's referral, or a referral that does not exist, is
//! `NotFound` alike. Reads are audited (the ids shown).

use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::provider_inbox::sharing::distinct;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::CaseStatus;
use goldaw_core::deadlines::local_date;
use goldaw_core::partners::{
    feedback_allowed, outcome_for_partner, partner_sight, partner_status, PartnerKind,
    PartnerStatus,
};
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

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    partner_id: Uuid,
    reference: String,
    their_reference: Option<String>,
    created_at: DateTime<Utc>,
    status: String,
    feedback_consent: bool,
    outcome_sealed: Option<Vec<u8>>,
    case_id: Uuid,
    person_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: PartnerKind,
}

const SELECT: &str =
    "SELECT r.id, r.partner_id, r.reference, r.their_reference, r.created_at, c.status,
        r.feedback_consent, r.outcome_sealed, c.id AS case_id, c.person_id, p.kind
    FROM partner_referrals r JOIN cases c ON c.id = r.case_id
    JOIN partner_organisations p ON p.id = r.partner_id";

impl Store {
    /// The partner's view of rows whose consent facts (`crate::provider_inbox::sharing`) were
    /// read for them all at once.
    async fn partner_views(
        &self,
        reader: &Principal,
        rows: Vec<Row>,
    ) -> StoreResult<Vec<PartnerReferralView>> {
        let persons = distinct(rows.iter().map(|r| r.person_id));
        let cases = distinct(rows.iter().map(|r| r.case_id));
        let facts = self.consent_facts_for(&persons, &cases).await?;
        let today = local_date(Utc::now());
        rows.into_iter()
            .map(|r| {
                // The family's agreement, and the consent register where it has a purpose for
                // this kind of partner (`goldaw_core::partners::feedback_allowed`).
                let allowed = feedback_allowed(
                    r.feedback_consent,
                    r.kind,
                    facts.governed(r.case_id, r.person_id),
                    facts.consents(r.person_id),
                    today,
                );
                self.partner_view(reader, r, allowed)
            })
            .collect()
    }

    fn partner_view(
        &self,
        reader: &Principal,
        row: Row,
        consent: bool,
    ) -> StoreResult<PartnerReferralView> {
        let Row {
            id,
            partner_id: partner,
            reference,
            their_reference: theirs,
            created_at,
            status,
            outcome_sealed: sealed,
            ..
        } = row;
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
        let views = self.partner_views(principal, rows).await?;
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
        let row = row.ok_or(StoreError::NotFound)?;
        let view = self
            .partner_views(principal, vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        self.audit(
            principal,
            AuditEvent::on("partner.referral.read", "partner_referral", id),
        )
        .await?;
        Ok(view)
    }
}
