//! Information shared with the police or health: refused without a valid consent or an override
//! (`goldaw_core::consent::sharing_basis`), checked inside the write's transaction.

use super::{basis_code, consent_basis, DisclosureRecord, NewDisclosure};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::consent::{ConsentPurpose, Recipient};
use goldaw_core::deadlines::local_date;
use uuid::Uuid;

impl Store {
    /// Records information shared with the police or health about a person of the case.
    #[tracing::instrument(skip_all, fields(case = %case, purpose = %new.purpose))]
    pub async fn disclose(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewDisclosure,
    ) -> StoreResult<DisclosureRecord> {
        let row = self.load_case_row(principal, case).await?;
        self.may_work_on(principal, &row)?;
        if !matches!(new.purpose, ConsentPurpose::Police | ConsentPurpose::Health) {
            return Err(StoreError::refuse(
                "purpose",
                "consent-disclosure-purpose",
                vec![],
            ));
        }
        let Some(recipient) = clean_text("recipient", Some(&new.recipient))? else {
            return Err(StoreError::refuse(
                "recipient",
                "consent-disclosure-recipient",
                vec![],
            ));
        };
        let detail = clean_text("detail", new.detail.as_deref())?;
        let person = new.person.unwrap_or(row.person_id);
        let id = Uuid::now_v7();
        let now = Utc::now();
        let today = local_date(now);
        let sealed = self.seal_text(
            "consent text",
            detail.as_deref(),
            &format!("disclosures.detail:{id}"),
        )?;
        let basis = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("consent.disclose", "case", case)
                .with_detail(format!("person {person}: {}", new.purpose)));
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
            let basis = match consent_basis!(&mut *tx, case, person, new.purpose, Recipient::Any, today) {
                Ok(b) => b,
                Err(refusal) => {
                    tx.rollback().await?;
                    return Err(self.refused_share(principal, case, new.purpose, &recipient, refusal).await);
                }
            };
            sqlx::query(
                "INSERT INTO disclosures (id, case_id, person_id, purpose, recipient, basis, consent_id, override_id,
                    detail_sealed, shared_by, shared_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8, $9)",
            )
            .bind(id)
            .bind(case)
            .bind(person)
            .bind(new.purpose.as_str())
            .bind(&recipient)
            .bind(basis_code(basis))
            .bind(sealed)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            basis
        });
        Ok(DisclosureRecord {
            id,
            case_id: case,
            person_id: person,
            purpose: new.purpose,
            recipient,
            basis: basis_code(basis).to_owned(),
            detail,
            shared_by: principal.actor.clone(),
            shared_at: now,
        })
    }
}
