//! Supervision: sessions between a supervisor and a worker (one-to-one) or a group, with the case
//! codes discussed and the agreed actions (sealed), and supervision overdue by the ministry's norm
//! as the supervisor's task.
//!
//! The tasks are their own list (`Store::supervision_tasks`, the API's
//! `/api/v1/workforce/supervision-tasks`, the workforce page): the case task list (#24) can join
//! them as one more source of tasks for a supervisor, each with its due date and a link to the
//! worker's record.

use super::{range_of, today};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::Role;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::workforce::{
    may_see_supervision_tasks, may_supervise, staff_rights, supervision_due, supervision_overdue,
    Position, StaffFacts, SupervisionForm,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A supervision session to record.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupervision {
    /// The supervisor's staff record; omitted: the reader's own.
    #[serde(default)]
    pub supervisor_id: Option<Uuid>,
    pub held_on: NaiveDate,
    /// `one_to_one` (one worker) or `group` (two or more).
    pub form: String,
    /// The workers' staff records.
    pub workers: Vec<Uuid>,
    /// Case codes discussed (`A-01/2026/0007`).
    #[serde(default)]
    pub cases: Vec<String>,
    /// The actions agreed.
    #[serde(default)]
    pub actions: Option<String>,
}

/// Supervision overdue: a task for the supervisor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupervisionTask {
    pub staff_id: Uuid,
    pub name: String,
    pub admin_unit: String,
    /// The last session she had, if any.
    pub last_session: Option<NaiveDate>,
    /// When the next was due by the norm.
    pub due: NaiveDate,
    /// Days past due.
    pub days_overdue: i64,
}

/// A case code as written: letters, digits, `-`, `/`, `.`, `_`, 1 to 40 characters.
fn case_code_ok(c: &str) -> bool {
    (1..=40).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.' | b'_'))
}

impl Store {
    /// The reader's own staff record, if her account is linked to one.
    pub async fn own_staff_id(&self, principal: &Principal) -> StoreResult<Option<Uuid>> {
        let Some(uid) = principal.user_id else {
            return Ok(None);
        };
        let row: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id FROM workforce_staff WHERE user_id = $1 AND left_on IS NULL")
                .bind(uid).fetch_optional(pool).await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Records a supervision session (a supervisor, with workers she may supervise).
    #[tracing::instrument(skip_all)]
    pub async fn record_supervision(
        &self,
        principal: &Principal,
        new: NewSupervision,
    ) -> StoreResult<Uuid> {
        if !may_supervise(principal) {
            return Err(StoreError::Forbidden(
                "only supervisors record supervision sessions".into(),
            ));
        }
        let supervisor = match new.supervisor_id {
            Some(s) => s,
            None => self.own_staff_id(principal).await?.ok_or_else(|| {
                StoreError::refuse("supervisor_id", "store-workforce-no-own-record", vec![])
            })?,
        };
        let (sup_row, sup_rights) = self.staff_row(principal, supervisor).await?;
        let sup_position: Position = super::code("position", &sup_row.position)?;
        if sup_row.left_on.is_some()
            || !matches!(
                sup_position,
                Position::Supervisor | Position::SeniorSocialWorker
            )
        {
            return Err(StoreError::refuse(
                "supervisor_id",
                "store-workforce-supervisor",
                vec![],
            ));
        }
        // The operator names any supervisor; a user records her own sessions.
        if !principal.is_operator() && sup_row.user_id != principal.user_id {
            return Err(StoreError::Forbidden(
                "you record your own supervision sessions".into(),
            ));
        }
        let _ = sup_rights;
        let form: SupervisionForm = super::code("form", &new.form)?;
        let mut workers = new.workers.clone();
        workers.sort();
        workers.dedup();
        workers.retain(|w| *w != supervisor);
        match (form, workers.len()) {
            (SupervisionForm::OneToOne, 1) => {}
            (SupervisionForm::Group, n) if n >= 2 => {}
            _ => {
                return Err(StoreError::refuse(
                    "workers",
                    "store-workforce-supervision-workers",
                    vec![],
                ))
            }
        }
        if new.held_on > today() {
            return Err(StoreError::refuse(
                "held_on",
                "store-workforce-date-future",
                vec![],
            ));
        }
        for w in &workers {
            let (row, rights) = self.staff_row(principal, *w).await?;
            if !rights.supervise {
                return Err(StoreError::NotFound);
            }
            if row.left_on.is_some_and(|l| l < new.held_on) || row.hired_on > new.held_on {
                return Err(StoreError::refuse(
                    "workers",
                    "store-workforce-not-in-post",
                    vec![(
                        "name",
                        SayArg::Text(format!("{} {}", row.given_name, row.family_name)),
                    )],
                ));
            }
        }
        let mut cases: Vec<String> = Vec::new();
        for c in &new.cases {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            if !case_code_ok(c) {
                return Err(StoreError::refuse(
                    "cases",
                    "store-workforce-case-code",
                    vec![("code", SayArg::Text(c.chars().take(40).collect()))],
                ));
            }
            if !cases.iter().any(|x| x == c) {
                cases.push(c.to_owned());
            }
        }
        if cases.len() > 50 {
            return Err(StoreError::refuse(
                "cases",
                "store-workforce-case-code",
                vec![("code", SayArg::Text(cases[50].clone()))],
            ));
        }
        let actions = clean_text("actions", new.actions.as_deref())?;
        let id = Uuid::now_v7();
        let sealed = self.seal_text(
            "supervision actions",
            actions.as_deref(),
            &format!("workforce_supervisions.actions:{id}"),
        )?;
        let scope = principal
            .unit_scope()
            .cloned()
            .unwrap_or_else(goldaw_core::access::nation);
        let (lo, hi) = range_of(&scope);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.supervision.record", "supervision", id)
                .with_detail(format!("supervisor {supervisor}, {} workers, {} cases", workers.len(), cases.len())));
            // The cases discussed: known cases of the supervisor's scope.
            for c in &cases {
                let found: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM cases WHERE external_id = $1 AND admin_unit >= $2 AND admin_unit < $3")
                    .bind(c).bind(&lo).bind(&hi).fetch_optional(&mut *tx).await?;
                if found.is_none() {
                    return Err(StoreError::refuse("cases", "store-workforce-case-unknown",
                        vec![("code", SayArg::Text(c.clone()))]));
                }
            }
            sqlx::query("INSERT INTO workforce_supervisions (id, supervisor_id, held_on, form, case_codes, actions_sealed, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id).bind(supervisor).bind(new.held_on).bind(form.as_str()).bind(cases.join(";"))
                .bind(sealed).bind(&principal.actor).bind(Utc::now())
                .execute(&mut *tx).await?;
            for w in &workers {
                sqlx::query("INSERT INTO workforce_supervision_workers (supervision_id, staff_id, held_on) VALUES ($1, $2, $3)")
                    .bind(id).bind(*w).bind(new.held_on).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(id)
    }

    /// Supervision overdue by the ministry's norm, oldest first: for a supervisor, the workers she
    /// supervises (her staff record is their supervisor, or they have none and work in her scope);
    /// for the ministry, everyone in its scope. Others: none. Audited as the ids shown.
    #[tracing::instrument(skip_all)]
    pub async fn supervision_tasks(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<SupervisionTask>> {
        if !may_see_supervision_tasks(principal) {
            return Err(StoreError::Forbidden(
                "supervision tasks are for supervisors and the ministry".into(),
            ));
        }
        let norms = self.workforce_norms().await?;
        let Some(scope) = principal.unit_scope().cloned() else {
            return Ok(Vec::new());
        };
        let own = match principal.role {
            Some(Role::Supervisor) => self.own_staff_id(principal).await?,
            Some(Role::Ministry) => None,
            _ if principal.is_operator() => None,
            _ => return Ok(Vec::new()),
        };
        let only_own_team = principal.role == Some(Role::Supervisor);
        let (lo, hi) = range_of(&scope);
        type Row = (
            Uuid,
            String,
            String,
            String,
            String,
            NaiveDate,
            Option<Uuid>,
            Option<NaiveDate>,
        );
        let rows: Vec<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT s.id, s.given_name, s.family_name, s.admin_unit, s.position, s.hired_on, s.supervisor_id,
                        (SELECT MAX(w.held_on) FROM workforce_supervision_workers w WHERE w.staff_id = s.id)
                   FROM workforce_staff s
                  WHERE s.admin_unit >= $1 AND s.admin_unit < $2 AND s.left_on IS NULL
                  ORDER BY s.id")
                .bind(&lo).bind(&hi).fetch_all(pool).await?
        });
        let today = today();
        let mut tasks: Vec<SupervisionTask> = Vec::new();
        for (id, g, f, unit, position, hired, supervisor, last) in rows {
            let supervised = position
                .parse::<Position>()
                .is_ok_and(|p| matches!(p, Position::SocialWorker | Position::SeniorSocialWorker));
            if !supervised || Some(id) == own {
                continue;
            }
            if only_own_team && !(supervisor.is_none() || (own.is_some() && supervisor == own)) {
                continue;
            }
            let facts = AdminUnitCode::from_stored(unit.clone());
            if !staff_rights(
                principal,
                &StaffFacts {
                    admin_unit: &facts,
                    user_id: None,
                },
            )
            .read
            {
                continue;
            }
            let due = supervision_due(last, hired, norms.supervisions_per_month);
            if let (true, Some(due)) = (supervision_overdue(due, today), due) {
                tasks.push(SupervisionTask {
                    staff_id: id,
                    name: format!("{g} {f}"),
                    admin_unit: unit,
                    last_session: last,
                    due,
                    days_overdue: (today - due).num_days(),
                });
            }
        }
        tasks.sort_by(|a, b| a.due.cmp(&b.due).then(a.staff_id.cmp(&b.staff_id)));
        let ids: BTreeMap<usize, String> = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.staff_id.to_string()))
            .collect();
        self.audit(
            principal,
            AuditEvent::plain("workforce.supervision.tasks")
                .with_detail(ids.into_values().collect::<Vec<_>>().join(",")),
        )
        .await?;
        Ok(tasks)
    }
}
