//! The legal basis residential care needs: a court order or a ministry referral, recorded on the
//! case by a supervisor in scope.

use super::{LegalBasis, NewLegalBasis};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::providers::{required_text, MAX_NAME};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::deadlines::local_date;
use uuid::Uuid;

impl Store {
    /// Records a court order or a ministry referral on the case (a supervisor in scope): the
    /// legal basis residential care needs.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn record_legal_basis(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewLegalBasis,
    ) -> StoreResult<LegalBasis> {
        require(principal, Permission::ApproveCases)?;
        let facts = self.referral_case(principal, case).await?;
        self.may_work_on(principal, &facts)?;
        let reference = required_text("reference", &new.reference, MAX_NAME)?;
        let issued_by = required_text("issued_by", &new.issued_by, MAX_NAME)?;
        if new.issued_on > local_date(Utc::now()) {
            return Err(StoreError::refuse(
                "issued_on",
                "store-legal-basis-future",
                vec![],
            ));
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.legal_basis", "case", case).with_detail(format!("{} {id}", new.kind)));
            sqlx::query("INSERT INTO legal_bases (id, case_id, kind, reference, issued_on, issued_by, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(case)
                .bind(new.kind.as_str())
                .bind(&reference)
                .bind(new.issued_on)
                .bind(&issued_by)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(LegalBasis {
            id,
            case_id: case,
            kind: new.kind,
            reference,
            issued_on: new.issued_on,
            issued_by,
            recorded_by: principal.actor.clone(),
            recorded_at: now,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LegalBasisRow {
    id: Uuid,
    kind: String,
    reference: String,
    issued_on: chrono::NaiveDate,
    issued_by: String,
    recorded_by: String,
    recorded_at: chrono::DateTime<Utc>,
}

impl Store {
    /// The legal bases recorded on the case, oldest first (issue #19: shown on the case page);
    /// `NotFound` outside scope. A case restricted to the reader shows none: an order names the
    /// matter.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn case_legal_bases(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<LegalBasis>> {
        let row = self.load_case_row(principal, case).await?;
        if row.restricted_for(principal) {
            return Ok(Vec::new());
        }
        let rows: Vec<LegalBasisRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, kind, reference, issued_on, issued_by, recorded_by, recorded_at
                              FROM legal_bases WHERE case_id = $1 ORDER BY recorded_at, id")
                .bind(case)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(LegalBasis {
                    id: r.id,
                    case_id: case,
                    kind: r
                        .kind
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("legal basis kind: {e}")))?,
                    reference: r.reference,
                    issued_on: r.issued_on,
                    issued_by: r.issued_by,
                    recorded_by: r.recorded_by,
                    recorded_at: r.recorded_at,
                })
            })
            .collect()
    }
}
