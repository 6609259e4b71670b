//! A consent recorded, and a consent withdrawn: by those who work on the case (and the hotline
//! on the case its call became). The write's shape as `service_referrals/refer.rs`.

use super::{ConsentRecord, NewConsent, Withdrawal};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::CaseRow;
use crate::db::Tx;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::codes::Role;
use goldaw_core::consent::{check_consent, ConsentRecordRefusal};
use goldaw_core::deadlines::local_date;
use uuid::Uuid;

/// A refusal of recording, with its literal key (`consent.ftl`).
pub(crate) fn record_refused(r: ConsentRecordRefusal) -> StoreError {
    match r {
        ConsentRecordRefusal::UntilBeforeFrom => {
            StoreError::refuse("valid_until", "consent-until-before-from", vec![])
        }
        ConsentRecordRefusal::ReferralNeedsRecipient => {
            StoreError::refuse("provider", "consent-referral-needs-recipient", vec![])
        }
        ConsentRecordRefusal::RecipientOnlyForReferral => {
            StoreError::refuse("provider", "consent-recipient-only-referral", vec![])
        }
        ConsentRecordRefusal::OverrideNeedsReason => {
            StoreError::refuse("reason", "consent-override-needs-reason", vec![])
        }
        ConsentRecordRefusal::AlreadyWithdrawn => {
            StoreError::refuse("consent", "consent-already-withdrawn", vec![])
        }
    }
}

/// The case a consent is recorded on: its id, its person and the person's household (a consent
/// may be given for any member).
pub(crate) struct ConsentCase {
    pub(crate) id: Uuid,
    pub(crate) person: Uuid,
    pub(crate) household: Uuid,
}

impl Store {
    /// The case, for a principal who may record its people's consents: who works on it, or the
    /// hotline on a case its call became (it sees that case in full).
    pub(crate) async fn consent_case(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<CaseRow> {
        let row = self.load_case_row(principal, case).await?;
        let hotline_own = principal.role == Some(Role::Hotline) && !row.restricted_for(principal);
        if !hotline_own {
            self.may_work_on(principal, &row)?;
        }
        Ok(row)
    }

    /// Records a consent of a person of the case.
    #[tracing::instrument(skip_all, fields(case = %case, purpose = %new.purpose))]
    pub async fn record_consent(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewConsent,
    ) -> StoreResult<ConsentRecord> {
        let row = self.consent_case(principal, case).await?;
        let on = ConsentCase {
            id: case,
            person: row.person_id,
            household: row.person_household_id,
        };
        let mut tx = self.db().begin().await?;
        let id = self.record_consent_in(&mut tx, principal, &on, new).await?;
        tx.commit().await?;
        self.consent_by_id(id).await
    }

    /// [`Store::record_consent`] inside the caller's transaction, on a case the caller has
    /// checked the principal may record consents on (or has just written in `tx`, as a call
    /// become a case does): the checks that need no database, then the audit event, the person
    /// and provider read and the write through `tx`. Answers the consent's id; the caller commits.
    pub(crate) async fn record_consent_in(
        &self,
        tx: &mut Tx,
        principal: &Principal,
        on: &ConsentCase,
        new: NewConsent,
    ) -> StoreResult<Uuid> {
        let case = on.id;
        let today = local_date(Utc::now());
        let valid_from = new.valid_from.unwrap_or(today);
        let provider = new
            .provider
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        check_consent(
            new.purpose,
            provider.is_some(),
            new.provider_kind.is_some(),
            valid_from,
            new.valid_until,
        )
        .map_err(record_refused)?;
        let person = new.person.unwrap_or(on.person);
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_tx!(tx, tx => {
            append_audit!(self, tx, principal, AuditEvent::on("consent.record", "consent", id)
                .with_detail(format!("case {case} person {person}: {}", new.purpose)));
            let in_household: Option<(Uuid,)> = sqlx::query_as(
                "SELECT id FROM persons WHERE id = $1 AND (id = $2 OR household_id = $3) AND merged_into IS NULL")
                .bind(person)
                .bind(on.person)
                .bind(on.household)
                .fetch_optional(&mut *tx)
                .await?;
            if in_household.is_none() {
                return Err(StoreError::refuse("person", "consent-person-not-household", vec![]));
            }
            let provider_id = match provider {
                None => None,
                Some(ext) => {
                    let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM providers WHERE external_id = $1")
                        .bind(ext)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match found {
                        Some((id,)) => Some(id),
                        None => return Err(StoreError::refuse("provider", "consent-provider-unknown", vec![("provider", SayArg::Text(ext.to_owned()))])),
                    }
                }
            };
            sqlx::query(
                "INSERT INTO consents (id, person_id, case_id, purpose, provider_id, provider_kind, giver, method,
                    valid_from, valid_until, recorded_by, recorded_at, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)",
            )
            .bind(id)
            .bind(person)
            .bind(case)
            .bind(new.purpose.as_str())
            .bind(provider_id)
            .bind(new.provider_kind.map(|k| k.as_str()))
            .bind(new.giver.as_str())
            .bind(new.method.as_str())
            .bind(valid_from)
            .bind(new.valid_until)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(id)
    }

    /// Withdraws a consent of a person of the case: it stops future sharing at once, and a
    /// provider who has a referral under it sees it closed (`provider_inbox`).
    #[tracing::instrument(skip_all, fields(case = %case, consent = %id))]
    pub async fn withdraw_consent(
        &self,
        principal: &Principal,
        case: Uuid,
        id: Uuid,
        w: Withdrawal,
    ) -> StoreResult<ConsentRecord> {
        let row = self.consent_case(principal, case).await?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("consent.withdraw", "consent", id)
                .with_detail(format!("case {case}")));
            let found: Option<(i32, bool)> = sqlx::query_as(
                "SELECT c.version, (c.withdrawn_at IS NOT NULL) FROM consents c JOIN persons p ON p.id = c.person_id
                 WHERE c.id = $1 AND (c.case_id = $2 OR p.id = $3 OR p.household_id = $4)")
                .bind(id)
                .bind(case)
                .bind(row.person_id)
                .bind(row.person_household_id)
                .fetch_optional(&mut *tx)
                .await?;
            let (version, withdrawn) = found.ok_or(StoreError::NotFound)?;
            if withdrawn {
                return Err(record_refused(ConsentRecordRefusal::AlreadyWithdrawn));
            }
            if version != w.version {
                return Err(StoreError::Conflict { expected: w.version, actual: version });
            }
            let done = sqlx::query("UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2, version = version + 1
                                    WHERE id = $3 AND version = $4")
                .bind(now)
                .bind(&principal.actor)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: w.version, actual: version + 1 });
            }
            tx.commit().await?;
        });
        self.consent_by_id(id).await
    }
}
