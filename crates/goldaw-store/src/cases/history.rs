//! A case's history: the events of its workflow (written by each use case inside its transaction
//! with [`insert_case_event`]), and who opened or changed the case (for supervisors).

use crate::audit::{AuditEvent, AuditRow};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::CaseStatus;
use serde::Serialize;
use uuid::Uuid;

/// One entry of the case's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub from_unit: Option<String>,
    pub to_unit: Option<String>,
    pub detail: Option<String>,
}

impl Store {
    /// The case's history, oldest first.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_events(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<CaseEvent>> {
        self.load_case_row(principal, case_id).await?;
        self.events_of(case_id).await
    }

    pub(super) async fn events_of(&self, case_id: Uuid) -> StoreResult<Vec<CaseEvent>> {
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as("SELECT at, actor, action, from_status, to_status, from_unit, to_unit, detail FROM case_events WHERE case_id = $1 ORDER BY at, id")
                .bind(case_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Who opened or changed the case or its person, newest first, at most `limit` events (1 to
    /// 1,000): for supervisors, on the cases in their scope (WORKFLOW.md, "own team's access to
    /// own cases"); `NotFound` outside it. Reads of the case's plans, assessments or attachments
    /// are recorded on those records and are not listed here. Reading the list is recorded too.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_access(
        &self,
        principal: &Principal,
        case_id: Uuid,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        require(principal, Permission::ReadCaseAccess)?;
        let case = self.load_case_row(principal, case_id).await?;
        // The events name the person (its id, in the entity and in the registration's detail).
        if case.restricted_for(principal) {
            return Err(StoreError::Forbidden(
                "this is a sensitive case: who opened it and its person needs the sensitive permission"
                    .into(),
            ));
        }
        // The events' ids are stored as text (`AuditEvent::on`), the case's and the person's
        // the same way, so the entity index finds both.
        let sql = format!(
            "SELECT seq, at, actor, source, action, entity, entity_id, detail FROM audit_events
              WHERE entity_id = $1 OR entity_id = $2 ORDER BY seq DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        let rows: Vec<AuditRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(case_id.to_string())
                .bind(case.person_id.to_string())
                .fetch_all(pool)
                .await?
        });
        self.audit(
            principal,
            AuditEvent::on("case.access.read", "case", case_id)
                .with_detail(format!("{} events", rows.len())),
        )
        .await?;
        Ok(rows)
    }
}

/// One entry of a case's history, written by a use case inside its transaction.
pub(super) struct NewCaseEvent<'a> {
    pub(super) case_id: Uuid,
    pub(super) actor: &'a str,
    pub(super) action: &'a str,
    pub(super) from_status: Option<CaseStatus>,
    pub(super) to_status: Option<CaseStatus>,
    pub(super) from_unit: Option<&'a str>,
    pub(super) to_unit: Option<&'a str>,
    pub(super) detail: Option<&'a str>,
    pub(super) at: DateTime<Utc>,
}

impl<'a> NewCaseEvent<'a> {
    /// `action` on the case by the principal at `at`; no status, unit or detail yet.
    pub(super) fn new(
        case_id: Uuid,
        principal: &'a Principal,
        action: &'a str,
        at: DateTime<Utc>,
    ) -> Self {
        NewCaseEvent {
            case_id,
            actor: &principal.actor,
            action,
            from_status: None,
            to_status: None,
            from_unit: None,
            to_unit: None,
            detail: None,
            at,
        }
    }

    pub(super) fn statuses(self, from: Option<CaseStatus>, to: Option<CaseStatus>) -> Self {
        NewCaseEvent {
            from_status: from,
            to_status: to,
            ..self
        }
    }

    pub(super) fn units(self, from: Option<&'a str>, to: Option<&'a str>) -> Self {
        NewCaseEvent {
            from_unit: from,
            to_unit: to,
            ..self
        }
    }

    pub(super) fn detail(self, detail: Option<&'a str>) -> Self {
        NewCaseEvent { detail, ..self }
    }
}

/// Appends `event` to the case's history: one statement, written once for both databases (`tx`
/// is the open transaction's connection, `&mut *tx`).
pub(super) async fn insert_case_event<'c, DB, E>(
    tx: E,
    event: &NewCaseEvent<'_>,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> Uuid: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let owned = |s: Option<&str>| s.map(str::to_owned);
    sqlx::query(
        "INSERT INTO case_events (id, case_id, at, actor, action, from_status, to_status, from_unit, to_unit, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7())
    .bind(event.case_id)
    .bind(event.at)
    .bind(event.actor.to_owned())
    .bind(event.action.to_owned())
    .bind(owned(event.from_status.map(CaseStatus::as_str)))
    .bind(owned(event.to_status.map(CaseStatus::as_str)))
    .bind(owned(event.from_unit))
    .bind(owned(event.to_unit))
    .bind(owned(event.detail))
    .execute(tx)
    .await?;
    Ok(())
}
