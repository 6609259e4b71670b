//! The safety plan in force and its revisions: for those who see the case in full (a restricted
//! reader is refused, as for its consents), audited.

use super::{
    seal_context, RiskLevel, SafetyPlan, SafetyPlanFile, SafetyPlanParts, SafetyPlanRevision,
};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use uuid::Uuid;

type PlanRow = (Uuid, i32, String, Vec<u8>, String, DateTime<Utc>);

impl Store {
    /// The case's safety plan (the latest revision) and the list of its revisions.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn safety_plan(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<SafetyPlanFile> {
        let row = self.load_case_row(principal, case).await?;
        if row.restricted_for(principal) {
            return Err(StoreError::Forbidden(
                "the safety plan of a sensitive case needs the sensitive permission".into(),
            ));
        }
        let may_edit = row.sensitive && self.may_work_on(principal, &row).is_ok();
        let rows: Vec<PlanRow> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT id, revision, risk_level, plan_sealed, made_by, made_at FROM safety_plans
                 WHERE case_id = $1 ORDER BY revision DESC",
            )
            .bind(case)
            .fetch_all(pool)
            .await?
        });
        let corrupt = |e: goldaw_core::ParseError| StoreError::Corrupt(format!("risk level: {e}"));
        let mut current = None;
        let mut revisions = Vec::with_capacity(rows.len());
        for (i, (id, revision, risk, sealed, by, at)) in rows.into_iter().enumerate() {
            let risk_level: RiskLevel = risk.parse().map_err(corrupt)?;
            if i == 0 {
                let text = self
                    .open_text("safety plan", Some(sealed.as_slice()), &seal_context(id))?
                    .unwrap_or_default();
                let plan: SafetyPlanParts = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("safety plan: {e}")))?;
                current = Some(SafetyPlan {
                    case_id: case,
                    revision,
                    risk_level,
                    plan,
                    made_by: by.clone(),
                    made_at: at,
                });
            }
            revisions.push(SafetyPlanRevision {
                revision,
                risk_level,
                made_by: by,
                made_at: at,
            });
        }
        self.audit(principal, AuditEvent::on("safety_plan.read", "case", case))
            .await?;
        Ok(SafetyPlanFile {
            current,
            revisions,
            may_edit,
        })
    }
}

impl Store {
    /// The name of a sensitive case's person, shown on request: pages hide it by default even
    /// from those allowed to see it (a shared device, someone looking over a shoulder), and each
    /// showing is audited (`case.name.show`). `None` for a reader who may not see it at all.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn show_case_name(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<(String, Option<String>)> {
        let record = self.case(principal, case).await?;
        if record.person_name.is_some() {
            self.audit(principal, AuditEvent::on("case.name.show", "case", case))
                .await?;
        }
        Ok((record.number, record.person_name))
    }
}
