//! The etrap's side of a partner's referral: the social worker (or supervisor) who may work on
//! the case records whether the family agreed that the referring partner be told how it went,
//! and the outcome summary the partner may then read. Audited; the summary is sealed.
//!
//! What the partner then reads also follows #18's consent register where it has a purpose for
//! the partner's kind (`goldaw_core::partners::feedback_allowed`, read in `list.rs`;
//! docs/partners.md).

use super::MAX_OUTCOME;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A case's partner referral as the etrap's staff read it.
#[derive(Debug, Clone, Serialize)]
pub struct StaffPartnerView {
    pub id: Uuid,
    pub partner_name: String,
    pub partner_kind: String,
    pub reference: String,
    pub their_reference: Option<String>,
    pub feedback_consent: bool,
    pub outcome: Option<String>,
    pub outcome_by: Option<String>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// The family's agreement and the summary.
#[derive(Debug, Clone, Deserialize)]
pub struct FeedbackChange {
    pub version: i32,
    pub consent: bool,
    pub outcome: Option<String>,
}

type Row = (
    Uuid,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<Vec<u8>>,
    Option<String>,
    Option<DateTime<Utc>>,
    i32,
);

impl Store {
    /// The partner referral a case came from, for staff who may read the case (`NotFound`
    /// outside scope, as the case); `None` when the case did not come from a partner.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn case_partner_referral(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Option<StaffPartnerView>> {
        self.load_case_row(principal, case).await?;
        let found: Option<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT r.id, p.name, p.kind, r.reference, r.their_reference, r.feedback_consent,
                        r.outcome_sealed, r.outcome_by, r.outcome_at, r.version
                 FROM partner_referrals r JOIN partner_organisations p ON p.id = r.partner_id
                 WHERE r.case_id = $1",
            )
            .bind(case)
            .fetch_optional(pool)
            .await?
        });
        let Some((id, name, kind, reference, theirs, consent, sealed, by, at, version)) = found
        else {
            return Ok(None);
        };
        let outcome = self.open_text(
            "partner feedback",
            sealed.as_deref(),
            &format!("partner_referrals.outcome:{id}"),
        )?;
        self.audit(
            principal,
            AuditEvent::on("partner.feedback.read", "case", case),
        )
        .await?;
        Ok(Some(StaffPartnerView {
            id,
            partner_name: name,
            partner_kind: kind,
            reference,
            their_reference: theirs,
            feedback_consent: consent,
            outcome,
            outcome_by: by,
            outcome_at: at,
            version,
        }))
    }

    /// Records the family's agreement to feedback and the outcome summary, on the partner
    /// referral of `case`: by whoever may work on the case, if nobody changed it since
    /// `change.version`.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn record_partner_feedback(
        &self,
        principal: &Principal,
        case: Uuid,
        change: FeedbackChange,
    ) -> StoreResult<()> {
        let row = self.load_case_row(principal, case).await?;
        self.may_work_on(principal, &row)?;
        let outcome = clean_text("outcome", change.outcome.as_deref())?;
        if outcome
            .as_deref()
            .is_some_and(|o| o.chars().count() > MAX_OUTCOME)
        {
            return Err(StoreError::refuse(
                "outcome",
                "store-field-too-long",
                vec![
                    ("field", SayArg::Text("outcome".into())),
                    ("limit", SayArg::Number(MAX_OUTCOME as i64)),
                ],
            ));
        }
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.feedback", "case", case)
                .with_detail(format!("consent {} summary {}", change.consent, outcome.is_some())));
            let found: Option<(Uuid, i32)> = sqlx::query_as("SELECT id, version FROM partner_referrals WHERE case_id = $1")
                .bind(case)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((id, current)) = found else {
                return Err(StoreError::NotFound);
            };
            let sealed = self.seal_text(
                "partner feedback",
                outcome.as_deref(),
                &format!("partner_referrals.outcome:{id}"),
            )?;
            let n = sqlx::query(
                "UPDATE partner_referrals SET feedback_consent = $1, consent_by = $2, consent_at = $3,
                    outcome_sealed = $4, outcome_by = $2, outcome_at = $3, version = version + 1
                 WHERE id = $5 AND version = $6",
            )
            .bind(change.consent)
            .bind(&principal.actor)
            .bind(now)
            .bind(sealed)
            .bind(id)
            .bind(change.version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict { expected: change.version, actual: current });
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
