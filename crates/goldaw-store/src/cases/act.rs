//! The workflow's actions on a case: who may take them ([`Store::may_act`], the one rule of
//! `goldaw_core::workflow::case_work`) and the transition itself ([`Store::act_on_case`]), the model
//! of every write here.

use super::history::{insert_case_event, NewCaseEvent};
use super::read::{CaseRecord, CaseRow};
use super::{corrupt, refused};
use crate::audit::{append_audit, AuditEvent};
use crate::due_dates::refresh_due_dates;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::local_date;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::workflow::{next_status, CaseAction, ClosureReason, Refusal, WorkRefusal};
use serde::Deserialize;
use uuid::Uuid;

/// A status change asked for, with what the action needs.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: CaseAction,
    /// The version read (no lost updates).
    pub version: i32,
    /// `complete_initial`: the priority screening concludes; absent, the one the completed initial
    /// assessment proposes (`critical` when anyone is at risk of harm now), if any.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// `request_closure`: why.
    #[serde(default)]
    pub reason: Option<ClosureReason>,
    /// `request_transfer`: the receiving etrap.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub transfer_to: Option<AdminUnitCode>,
}

impl Store {
    /// Whether the principal may take `action` on this case (the workflow aside): the one rule,
    /// `goldaw_core::workflow::case_work`, as the store's `Forbidden`.
    pub(crate) fn may_act(
        &self,
        principal: &Principal,
        row: &CaseRow,
        action: CaseAction,
    ) -> StoreResult<()> {
        row.work(principal).action(action).map_err(forbidden)
    }

    /// Whether the principal may do the case's work (notes, attachments, assessments, plans,
    /// referrals to services): [`Store::may_act`] for the worker's part.
    pub(crate) fn may_work_on(&self, principal: &Principal, row: &CaseRow) -> StoreResult<()> {
        row.work(principal).work.map_err(forbidden)
    }

    /// Moves the case along the workflow. Refused with the reason when out of order, not
    /// allowed, or when someone changed the case since `version` was read.
    #[tracing::instrument(skip_all, fields(case_id = %id))]
    pub async fn act_on_case(
        &self,
        principal: &Principal,
        id: Uuid,
        request: ActionRequest,
    ) -> StoreResult<CaseRecord> {
        let file = self.load_case_file_row(principal, id).await?;
        let mut facts = file.facts()?;
        let row = file.case;
        self.may_act(principal, &row, request.action)?;
        if row.version != request.version {
            return Err(StoreError::Conflict {
                expected: request.version,
                actual: row.version,
            });
        }
        let from: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
        match request.action {
            // The worker's choice, or else what the completed initial assessment proposes.
            CaseAction::CompleteInitial => {
                facts.priority = match request.priority {
                    Some(p) => Some(p),
                    None => self.screening_proposal(id).await?,
                }
            }
            CaseAction::RequestClosure if request.reason.is_none() => {
                return Err(refused(Refusal::ClosureReasonRequired))
            }
            _ => {}
        }
        let to = next_status(from, request.action, &facts).map_err(refused)?;
        let transfer_to = match (request.action, &request.transfer_to) {
            (CaseAction::RequestTransfer, None) => {
                return Err(StoreError::refuse(
                    "transfer_to",
                    "store-transfer-unit-missing",
                    vec![],
                ))
            }
            (CaseAction::RequestTransfer, Some(unit)) => {
                self.check_place(unit)?;
                if unit.as_str() == row.admin_unit {
                    return Err(StoreError::refuse(
                        "transfer_to",
                        "store-transfer-same-unit",
                        vec![],
                    ));
                }
                Some(unit.as_str().to_owned())
            }
            _ => None,
        };
        let now = Utc::now();
        let action = request.action;
        let event = AuditEvent::on("case.action", "case", id)
            .with_detail(format!("{action}: {from} -> {to}"));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            // The version guards the whole change: a concurrent change makes this update miss.
            let updated = sqlx::query("UPDATE cases SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
                .bind(to.as_str())
                .bind(now)
                .bind(id)
                .bind(request.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: request.version, actual: request.version + 1 });
            }
            let mut detail: Option<String> = None;
            let (mut from_unit, mut to_unit): (Option<String>, Option<String>) = (None, None);
            match action {
                CaseAction::StartInitial => {
                    sqlx::query("UPDATE cases SET first_contact_at = $1 WHERE id = $2")
                        .bind(now).bind(id).execute(&mut *tx).await?;
                }
                CaseAction::CompleteInitial => {
                    let priority = facts.priority.map(Priority::as_str);
                    detail = priority.map(str::to_owned);
                    sqlx::query("UPDATE cases SET priority = $1, initial_done_at = $2 WHERE id = $3")
                        .bind(priority).bind(now).bind(id).execute(&mut *tx).await?;
                    if to == CaseStatus::Closed {
                        sqlx::query("UPDATE cases SET closed_at = $1, closed_on = $2, closure_reason = 'no_further_service' WHERE id = $3")
                            .bind(now).bind(local_date(now)).bind(id).execute(&mut *tx).await?;
                    } else {
                        // The etrap social work service starts for the person: a service episode
                        // whose units are the contacts recorded in notes.
                        sqlx::query(
                            "INSERT INTO service_episodes (id, external_id, case_id, person_id, service_code,
                                started_on, units, version, created_at, updated_at)
                             SELECT $1, c.external_id || '/SW', c.id, c.person_id, 'ETRAP_SW', $2, 0, 1, $3, $3
                             FROM cases c WHERE c.id = $4
                               AND NOT EXISTS (SELECT 1 FROM service_episodes e WHERE e.case_id = c.id
                                               AND e.service_code = 'ETRAP_SW' AND e.ended_on IS NULL)",
                        )
                        .bind(Uuid::now_v7()).bind(local_date(now)).bind(now).bind(id)
                        .execute(&mut *tx).await?;
                    }
                }
                CaseAction::CompleteHolistic => {
                    sqlx::query("UPDATE cases SET holistic_done_at = $1 WHERE id = $2")
                        .bind(now).bind(id).execute(&mut *tx).await?;
                }
                CaseAction::ApprovePlan => {
                    sqlx::query("UPDATE cases SET plan_approved_at = $1 WHERE id = $2")
                        .bind(now).bind(id).execute(&mut *tx).await?;
                    sqlx::query("UPDATE support_plans SET status = 'superseded' WHERE case_id = $1 AND status = 'approved'")
                        .bind(id).execute(&mut *tx).await?;
                    sqlx::query("UPDATE support_plans SET status = 'approved', approved_at = $1, approved_by = $2, version = version + 1
                                 WHERE case_id = $3 AND status = 'submitted'")
                        .bind(now).bind(&principal.actor).bind(id).execute(&mut *tx).await?;
                }
                CaseAction::RequestClosure => {
                    detail = request.reason.map(|r| r.as_str().to_owned());
                    sqlx::query("UPDATE cases SET closure_requested_at = $1, closure_requested_reason = $2, closure_requested_by = $3 WHERE id = $4")
                        .bind(now).bind(detail.as_deref()).bind(&principal.actor).bind(id)
                        .execute(&mut *tx).await?;
                }
                CaseAction::ApproveClosure => {
                    detail = facts.closure_requested.map(|r| r.as_str().to_owned());
                    sqlx::query("UPDATE cases SET closed_at = $1, closed_on = $2, closure_reason = closure_requested_reason,
                                   closure_requested_at = NULL, closure_requested_reason = NULL, closure_requested_by = NULL
                                 WHERE id = $3")
                        .bind(now).bind(local_date(now)).bind(id).execute(&mut *tx).await?;
                    sqlx::query("UPDATE service_episodes SET ended_on = $1, version = version + 1, updated_at = $2
                                 WHERE case_id = $3 AND service_code = 'ETRAP_SW' AND ended_on IS NULL")
                        .bind(local_date(now)).bind(now).bind(id).execute(&mut *tx).await?;
                }
                CaseAction::Reopen => {
                    sqlx::query("UPDATE cases SET reopened_at = $1, closed_at = NULL, closed_on = NULL, closure_reason = NULL WHERE id = $2")
                        .bind(now).bind(id).execute(&mut *tx).await?;
                }
                CaseAction::RequestTransfer => {
                    // Issue #18: another etrap's team reads the case: the person's consent to a
                    // transfer (or an override), read here.
                    if let Err(refusal) = crate::consent::consent_basis!(&mut *tx, id, row.person_id,
                        goldaw_core::consent::ConsentPurpose::Transfer, goldaw_core::consent::Recipient::Any, local_date(now)) {
                        tx.rollback().await?;
                        return Err(self.refused_share(principal, id, goldaw_core::consent::ConsentPurpose::Transfer,
                            transfer_to.as_deref().unwrap_or_default(), refusal).await);
                    }
                    to_unit = transfer_to.clone();
                    from_unit = Some(row.admin_unit.clone());
                    sqlx::query("UPDATE cases SET transfer_to = $1, transfer_requested_at = $2, transfer_requested_by = $3 WHERE id = $4")
                        .bind(transfer_to.as_deref()).bind(now).bind(&principal.actor).bind(id)
                        .execute(&mut *tx).await?;
                }
                CaseAction::AcceptTransfer => {
                    from_unit = Some(row.admin_unit.clone());
                    to_unit = row.transfer_to.clone();
                    // The receiving team allocates anew: the sending worker loses access.
                    sqlx::query("UPDATE cases SET admin_unit = transfer_to, transfer_to = NULL, transfer_requested_at = NULL,
                                   transfer_requested_by = NULL, worker_user_id = NULL WHERE id = $1")
                        .bind(id).execute(&mut *tx).await?;
                }
                CaseAction::DeclineTransfer => {
                    to_unit = row.transfer_to.clone();
                    sqlx::query("UPDATE cases SET transfer_to = NULL, transfer_requested_at = NULL, transfer_requested_by = NULL WHERE id = $1")
                        .bind(id).execute(&mut *tx).await?;
                }
                CaseAction::ToMonitoring | CaseAction::ToActive => {}
            }
            insert_case_event(&mut *tx, &NewCaseEvent::new(id, principal, action.as_str(), now)
                .statuses(Some(from), Some(to))
                .units(from_unit.as_deref(), to_unit.as_deref())
                .detail(detail.as_deref())).await?;
            refresh_due_dates!(self, tx, &[id]);
            tx.commit().await?;
        });
        // After a transfer the sender may no longer see the case: answer what they may.
        match self.case_unaudited(principal, id).await {
            Err(StoreError::NotFound) => Err(StoreError::NotFound),
            other => other,
        }
    }
}

/// A refusal of the rule of case work, as the store answers it (403).
fn forbidden(refusal: WorkRefusal) -> StoreError {
    StoreError::Forbidden(refusal.to_string())
}
