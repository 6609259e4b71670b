//! A safety plan made or reviewed: the write's shape as `service_referrals/refer.rs`: who may
//! (those who work on the case), the input checked by the core rule
//! (`goldaw_core::safety::check_plan`), then one transaction: the audit event first, the revision
//! read checked inside it, the plan inserted, and — at a high risk — the case raised to critical
//! under its version guard, its history written and its due dates recomputed.

use super::{seal_context, NewSafetyPlan, SafetyPlan};
use crate::audit::{append_audit, AuditEvent};
use crate::due_dates::refresh_due_dates;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::codes::Priority;
use goldaw_core::safety::{check_plan, priority_for_risk, PlanParts, PlanRefusal};
use uuid::Uuid;

/// A refusal of the plan's rule, with its literal key (`safety.ftl`).
fn plan_refused(r: PlanRefusal) -> StoreError {
    match r {
        PlanRefusal::NotSensitive => {
            StoreError::refuse("case", "safety-plan-not-sensitive", vec![])
        }
        PlanRefusal::Incomplete => StoreError::refuse("plan", "safety-plan-incomplete", vec![]),
        PlanRefusal::TooLong => StoreError::refuse("plan", "safety-plan-too-long", vec![]),
    }
}

impl Store {
    /// Saves a new revision of the case's safety plan.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn save_safety_plan(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewSafetyPlan,
    ) -> StoreResult<SafetyPlan> {
        let row = self.load_case_row(principal, case).await?;
        self.may_work_on(principal, &row)?;
        let p = &new.plan;
        check_plan(
            row.sensitive,
            &PlanParts {
                risks: &p.risks,
                safe_contacts: &p.safe_contacts,
                safe_places: &p.safe_places,
                code_words: &p.code_words,
                emergency: &p.emergency,
            },
        )
        .map_err(plan_refused)?;
        if [
            &p.risks,
            &p.safe_contacts,
            &p.safe_places,
            &p.code_words,
            &p.emergency,
        ]
        .iter()
        .any(|s| {
            s.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        }) {
            return Err(StoreError::refuse("plan", "safety-plan-control", vec![]));
        }
        let trimmed = super::SafetyPlanParts {
            risks: p.risks.trim().to_owned(),
            safe_contacts: p.safe_contacts.trim().to_owned(),
            safe_places: p.safe_places.trim().to_owned(),
            code_words: p.code_words.trim().to_owned(),
            emergency: p.emergency.trim().to_owned(),
        };
        let json = serde_json::to_string(&trimmed)
            .map_err(|e| StoreError::Corrupt(format!("safety plan: {e}")))?;
        let id = Uuid::now_v7();
        let sealed = self
            .seal_text("safety plan", Some(&json), &seal_context(id))?
            .ok_or_else(|| StoreError::Corrupt("safety plan: nothing sealed".into()))?;
        let now = Utc::now();
        let revision = new.revision + 1;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("safety_plan.save", "case", case)
                .with_detail(format!("revision {revision}: {}", new.risk_level)));
            let (latest,): (Option<i32>,) = sqlx::query_as("SELECT MAX(revision) FROM safety_plans WHERE case_id = $1")
                .bind(case)
                .fetch_one(&mut *tx)
                .await?;
            let latest = latest.unwrap_or(0);
            if latest != new.revision {
                return Err(StoreError::Conflict { expected: new.revision, actual: latest });
            }
            let sql = format!(
                "SELECT version, priority FROM cases WHERE id = $1{}",
                crate::service_referrals::for_update(self)
            );
            let (version, priority): (i32, Option<String>) = sqlx::query_as(&sql)
                .bind(case)
                .fetch_one(&mut *tx)
                .await?;
            let current: Option<Priority> = priority.as_deref().and_then(|p| p.parse().ok());
            sqlx::query(
                "INSERT INTO safety_plans (id, case_id, revision, risk_level, plan_sealed, made_by, made_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(case)
            .bind(revision)
            .bind(new.risk_level.as_str())
            .bind(sealed)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(raised) = priority_for_risk(new.risk_level, current) {
                // The case's own write: its version guard, its history, its due dates.
                let done = sqlx::query("UPDATE cases SET priority = $1, version = version + 1, updated_at = $2
                                        WHERE id = $3 AND version = $4")
                    .bind(raised.as_str())
                    .bind(now)
                    .bind(case)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict { expected: version, actual: version + 1 });
                }
                sqlx::query(
                    "INSERT INTO case_events (id, case_id, at, actor, action, from_status, to_status, from_unit, to_unit, detail)
                     VALUES ($1, $2, $3, $4, 'safety_plan_risk_raised', NULL, NULL, NULL, NULL, $5)",
                )
                .bind(Uuid::now_v7())
                .bind(case)
                .bind(now)
                .bind(&principal.actor)
                .bind(raised.as_str())
                .execute(&mut *tx)
                .await?;
                refresh_due_dates!(self, tx, &[case]);
            }
            tx.commit().await?;
        });
        Ok(SafetyPlan {
            case_id: case,
            revision,
            risk_level: new.risk_level,
            plan: trimmed,
            made_by: principal.actor.clone(),
            made_at: now,
        })
    }
}
