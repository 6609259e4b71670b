//! What a partner reads of its own referrals: the reference, the status as mapped from the case
//! (`goldaw_core::partners::partner_status`), and the outcome summary only when the family agreed
//! to that feedback and, where the consent register (#18) has a purpose for the partner's kind,
//! a consent for it is in force (`goldaw_core::partners::feedback_allowed`, docs/partners.md). Another organisation's referral, or a referral that does not exist, is
//! `NotFound` alike. Reads are audited (the ids shown).

use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::provider_inbox::sharing::distinct;
use crate::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::CaseStatus;
use goldaw_core::deadlines::local_date;
use goldaw_core::paging::{decode_cursor, encode_cursor, page_size};
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

/// Which page of a partner's referrals.
#[derive(Debug, Clone, Default)]
pub struct PartnerReferralQuery {
    /// The `next` of the page before.
    pub after: Option<String>,
    /// Referrals on the page (`goldaw_core::paging::page_size`: 50 if absent, at most 200).
    pub limit: Option<u32>,
}

/// One page of a partner's referrals, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartnerReferralPage {
    pub items: Vec<PartnerReferralView>,
    /// Give it as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// The key a cursor names: created at, id.
fn decode_after(cursor: &str) -> StoreResult<(DateTime<Utc>, Uuid)> {
    let damaged = || StoreError::refuse("after", "store-page-link-damaged", vec![]);
    let f = decode_cursor(cursor, 2).map_err(|_| damaged())?;
    let at = DateTime::parse_from_rfc3339(&f[0])
        .map_err(|_| damaged())?
        .with_timezone(&Utc);
    let id: Uuid = f[1].parse().map_err(|_| damaged())?;
    Ok((at, id))
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

    /// The first page of the partner's own referrals ([`Store::partner_referrals_page`]).
    pub async fn partner_referrals(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<PartnerReferralView>> {
        Ok(self
            .partner_referrals_page(principal, &PartnerReferralQuery::default())
            .await?
            .items)
    }

    /// A page of the partner's own referrals, newest first (issue #20; the provider's inbox's
    /// shape): one range of the index `partner_referrals_partner (partner_id, created_at, id)`,
    /// the next page starting after the last key shown. The partner's id is the condition of
    /// every page: a cursor names a place in the order, never whose rows, so a cursor made on
    /// another partner's list shows this partner's own referrals after that place, nothing else.
    #[tracing::instrument(skip_all)]
    pub async fn partner_referrals_page(
        &self,
        principal: &Principal,
        query: &PartnerReferralQuery,
    ) -> StoreResult<PartnerReferralPage> {
        let partner = self.partner_of(principal).await?;
        let after = query.after.as_deref().map(decode_after).transpose()?;
        let limit = i64::from(page_size(query.limit));
        let keyset = if after.is_some() {
            " AND (r.created_at, r.id) < ($3, $4)"
        } else {
            ""
        };
        let sql = format!(
            "{SELECT} WHERE r.partner_id = $1{keyset} ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
        );
        let mut rows: Vec<Row> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(partner.id).bind(limit + 1);
            if let Some((at, id)) = after {
                q = q.bind(at).bind(id);
            }
            q.fetch_all(pool).await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|r| {
                encode_cursor(&[
                    &r.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    &r.id.to_string(),
                ])
            })
        } else {
            None
        };
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
        Ok(PartnerReferralPage { items: views, next })
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
