//! A case's consents, overrides and disclosures (audited reads), and whether consent closes a
//! provider's view of a referral.

use super::{
    corrupt, sharing_facts, CaseConsents, ConsentRecord, DisclosureRecord, OverrideRecord,
};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::ReferralRow;
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::consent::{sharing_basis, ConsentPurpose, Recipient};
use goldaw_core::deadlines::local_date;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ConsentRow {
    id: Uuid,
    person_id: Uuid,
    case_id: Option<Uuid>,
    purpose: String,
    provider: Option<String>,
    provider_name: Option<String>,
    provider_kind: Option<String>,
    giver: String,
    method: String,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
    withdrawn_at: Option<DateTime<Utc>>,
    withdrawn_by: Option<String>,
    version: i32,
}

const SELECT_CONSENT: &str =
    "SELECT c.id, c.person_id, c.case_id, c.purpose, pr.external_id AS provider,
    pr.name AS provider_name, c.provider_kind, c.giver, c.method, c.valid_from, c.valid_until,
    c.recorded_by, c.recorded_at, c.withdrawn_at, c.withdrawn_by, c.version
    FROM consents c LEFT JOIN providers pr ON pr.id = c.provider_id";

fn consent_record(r: ConsentRow, today: NaiveDate) -> StoreResult<ConsentRecord> {
    let in_force = r.withdrawn_at.is_none()
        && r.valid_from <= today
        && r.valid_until.is_none_or(|u| u >= today);
    Ok(ConsentRecord {
        id: r.id,
        person_id: r.person_id,
        case_id: r.case_id,
        purpose: r
            .purpose
            .parse()
            .map_err(|e| corrupt("consent purpose", e))?,
        provider: r.provider,
        provider_name: r.provider_name,
        provider_kind: r.provider_kind,
        giver: r.giver.parse().map_err(|e| corrupt("consent giver", e))?,
        method: r.method.parse().map_err(|e| corrupt("consent method", e))?,
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        recorded_by: r.recorded_by,
        recorded_at: r.recorded_at,
        withdrawn_at: r.withdrawn_at,
        withdrawn_by: r.withdrawn_by,
        in_force,
        version: r.version,
    })
}

impl Store {
    /// The case as the scoped read gives it (`NotFound` outside scope): the API asks it before
    /// it reads a request's body, so a case route answers for the case first.
    pub async fn case_reachable(&self, principal: &Principal, case: Uuid) -> StoreResult<()> {
        self.load_case_row(principal, case).await.map(|_| ())
    }

    pub(crate) async fn consent_by_id(&self, id: Uuid) -> StoreResult<ConsentRecord> {
        let sql = format!("{SELECT_CONSENT} WHERE c.id = $1");
        let row: ConsentRow = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        })
        .ok_or(StoreError::NotFound)?;
        consent_record(row, local_date(Utc::now()))
    }

    /// The consents of the case's people, the overrides and the disclosures recorded on it: for
    /// readers who see the case in full (a restricted reader is refused: they would learn whom
    /// and what the case concerns).
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn case_consents(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<CaseConsents> {
        let row = self.load_case_row(principal, case).await?;
        if row.restricted_for(principal) {
            return Err(StoreError::Forbidden(
                "the consents of a sensitive case need the sensitive permission".into(),
            ));
        }
        let today = local_date(Utc::now());
        let sql = format!(
            "{SELECT_CONSENT} JOIN persons p ON p.id = c.person_id
             WHERE c.case_id = $1 OR p.id = $2 OR p.household_id = $3
             ORDER BY c.recorded_at, c.id"
        );
        type OverrideRow = (
            Uuid,
            Uuid,
            String,
            Option<String>,
            String,
            Option<Vec<u8>>,
            String,
            DateTime<Utc>,
        );
        type DisclosureRow = (
            Uuid,
            Uuid,
            String,
            String,
            String,
            Option<Vec<u8>>,
            String,
            DateTime<Utc>,
        );
        let (rows, overrides, disclosures, governed) = with_db!(self.db(), pool => {
            let rows: Vec<ConsentRow> = sqlx::query_as(&sql)
                .bind(case)
                .bind(row.person_id)
                .bind(row.person_household_id)
                .fetch_all(pool)
                .await?;
            let overrides: Vec<OverrideRow> = sqlx::query_as(
                "SELECT o.id, o.person_id, o.purpose, pr.external_id, o.reason, o.note_sealed, o.recorded_by, o.recorded_at
                 FROM consent_overrides o LEFT JOIN providers pr ON pr.id = o.provider_id
                 WHERE o.case_id = $1 ORDER BY o.recorded_at, o.id")
                .bind(case)
                .fetch_all(pool)
                .await?;
            let disclosures: Vec<DisclosureRow> = sqlx::query_as(
                "SELECT id, person_id, purpose, recipient, basis, detail_sealed, shared_by, shared_at
                 FROM disclosures WHERE case_id = $1 ORDER BY shared_at, id")
                .bind(case)
                .fetch_all(pool)
                .await?;
            let (governed, _, _) = sharing_facts!(pool, case, row.person_id);
            (rows, overrides, disclosures, governed)
        });
        let consents = rows
            .into_iter()
            .map(|r| consent_record(r, today))
            .collect::<StoreResult<Vec<_>>>()?;
        let overrides = overrides
            .into_iter()
            .map(|(id, person, purpose, provider, reason, note, by, at)| {
                Ok(OverrideRecord {
                    id,
                    case_id: case,
                    person_id: person,
                    purpose: purpose.parse().map_err(|e| corrupt("consent purpose", e))?,
                    provider,
                    reason: reason.parse().map_err(|e| corrupt("override reason", e))?,
                    note: self.open_text(
                        "consent text",
                        note.as_deref(),
                        &format!("consent_overrides.note:{id}"),
                    )?,
                    recorded_by: by,
                    recorded_at: at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let disclosures = disclosures
            .into_iter()
            .map(|(id, person, purpose, recipient, basis, detail, by, at)| {
                Ok(DisclosureRecord {
                    id,
                    case_id: case,
                    person_id: person,
                    purpose: purpose.parse().map_err(|e| corrupt("consent purpose", e))?,
                    recipient,
                    basis,
                    detail: self.open_text(
                        "consent text",
                        detail.as_deref(),
                        &format!("disclosures.detail:{id}"),
                    )?,
                    shared_by: by,
                    shared_at: at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.audit(principal, AuditEvent::on("consent.read", "case", case))
            .await?;
        Ok(CaseConsents {
            governed,
            consents,
            overrides,
            disclosures,
        })
    }

    /// Whether consent no longer allows the provider of a referral to see it: consent governs
    /// the person and no consent in force (nor an override) names the provider or its kind.
    /// Asked on every read and action of the provider's staff, so a withdrawal (or an expiry)
    /// closes the referral at once.
    pub(crate) async fn consent_closes(&self, row: &ReferralRow) -> StoreResult<bool> {
        let Some(ext) = row.provider_external_id.as_deref() else {
            return Ok(false);
        };
        let today = local_date(Utc::now());
        with_db!(self.db(), pool => {
            let (kind,): (String,) = sqlx::query_as("SELECT kind FROM providers WHERE external_id = $1")
                .bind(ext)
                .fetch_one(pool)
                .await?;
            let (governed, consents, overrides) = sharing_facts!(pool, row.case_id, row.person_id);
            Ok(sharing_basis(
                governed,
                &consents,
                &overrides,
                ConsentPurpose::Referral,
                Recipient::Provider { id: ext, kind: &kind },
                today,
            )
            .is_err())
        })
    }
}
