//! A supervisor's override: sharing without consent for a reason the law allows (a child in
//! danger, a court order, a life in danger). It needs the permission (`OverrideConsent`), the
//! reason and a note; it is audited and shown on the case.

use super::record::record_refused;
use super::{NewOverride, OverrideRecord};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::consent::{ConsentPurpose, ConsentRecordRefusal};
use uuid::Uuid;

impl Store {
    /// Records an override on the case.
    #[tracing::instrument(skip_all, fields(case = %case, purpose = %new.purpose))]
    pub async fn override_consent(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewOverride,
    ) -> StoreResult<OverrideRecord> {
        let row = self.load_case_row(principal, case).await?;
        require(principal, Permission::OverrideConsent)?;
        self.may_work_on(principal, &row)?;
        let note = clean_text("note", new.note.as_deref())?;
        let (Some(reason), Some(note)) = (new.reason, note) else {
            return Err(record_refused(ConsentRecordRefusal::OverrideNeedsReason));
        };
        let provider = new
            .provider
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if provider.is_some() && new.purpose != ConsentPurpose::Referral {
            return Err(record_refused(
                ConsentRecordRefusal::RecipientOnlyForReferral,
            ));
        }
        let person = new.person.unwrap_or(row.person_id);
        let id = Uuid::now_v7();
        let now = Utc::now();
        let sealed = self
            .seal_text(
                "consent text",
                Some(&note),
                &format!("consent_overrides.note:{id}"),
            )?
            .unwrap_or_default();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("consent.override", "case", case)
                .with_detail(format!("person {person}: {} ({reason})", new.purpose)));
            let in_household: Option<(Uuid,)> = sqlx::query_as(
                "SELECT id FROM persons WHERE id = $1 AND (id = $2 OR household_id = $3) AND merged_into IS NULL")
                .bind(person)
                .bind(row.person_id)
                .bind(row.person_household_id)
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
                "INSERT INTO consent_overrides (id, case_id, person_id, purpose, provider_id, reason, note_sealed,
                    recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(case)
            .bind(person)
            .bind(new.purpose.as_str())
            .bind(provider_id)
            .bind(reason.as_str())
            .bind(sealed)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(OverrideRecord {
            id,
            case_id: case,
            person_id: person,
            purpose: new.purpose,
            provider: provider.map(str::to_owned),
            reason,
            note: Some(note),
            recorded_by: principal.actor.clone(),
            recorded_at: now,
        })
    }
}
