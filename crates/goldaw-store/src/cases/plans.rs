//! Individual support plans, made with the person: goals in their own words, actions (who, what,
//! by when, which service), the person's agreement or their views when they disagree, submission
//! and — through the case action `approve_plan` — the supervisor's approval. Each revision is a
//! new numbered plan; earlier ones are kept (`superseded`). A case that is active or monitored
//! can have its plan revised: the revision goes through the same draft, agreement, submission
//! and approval, and the case keeps its status.

use super::{clean_text, corrupt};
use crate::audit::{append_audit, AuditEvent};
use crate::due_dates::refresh_due_dates;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::cases::PlanStatus;
use goldaw_core::codes::CaseStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most goals and actions a plan holds: a plan people can follow, not a list of everything.
pub const MAX_GOALS: usize = 20;
pub const MAX_ACTIONS: usize = 60;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    /// In the person's own words.
    pub text: String,
    /// The assessment domain the goal answers, if any.
    #[serde(default)]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The goal it serves: its position in `goals`, from 0.
    #[serde(default)]
    pub goal: Option<usize>,
    pub who: String,
    pub what: String,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// A service this action refers to (a code of the catalogue).
    #[serde(default)]
    pub service_code: Option<String>,
}

/// A plan's content as the worker writes it with the person.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub goals: Vec<GoalInput>,
    #[serde(default)]
    pub actions: Vec<ActionInput>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Goal {
    pub id: Uuid,
    pub position: i32,
    pub domain: Option<String>,
    /// `None` when withheld (a sensitive case, a reader without the permission).
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanAction {
    pub id: Uuid,
    pub goal_id: Option<Uuid>,
    pub who: Option<String>,
    pub what: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub service_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    /// 1 for the first plan, then one more per revision.
    pub number: i32,
    /// draft, submitted, approved or superseded.
    pub status: String,
    // `status` is the code of `state`, kept as a string for the API's JSON and its schema (whose
    // description is the line above); `state` is the typed status, not in the API.
    /// The status, typed.
    #[serde(skip)]
    pub state: PlanStatus,
    pub version: i32,
    /// `None` not yet asked; `Some(false)` disagrees (their views recorded).
    pub person_agrees: Option<bool>,
    pub person_views: Option<String>,
    pub agreed_on: Option<NaiveDate>,
    pub author: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub goals: Vec<Goal>,
    pub actions: Vec<PlanAction>,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: Uuid,
    case_id: Uuid,
    number: i32,
    #[sqlx(try_from = "String")]
    status: PlanStatus,
    version: i32,
    person_agrees: Option<bool>,
    person_views_sealed: Option<Vec<u8>>,
    agreed_on: Option<NaiveDate>,
    author: String,
    approved_by: Option<String>,
    approved_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct GoalRow {
    id: Uuid,
    plan_id: Uuid,
    position: i32,
    domain: Option<String>,
    goal_sealed: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: Uuid,
    plan_id: Uuid,
    goal_id: Option<Uuid>,
    who_sealed: Vec<u8>,
    what_sealed: Vec<u8>,
    due_on: Option<NaiveDate>,
    service_code: Option<String>,
}

const SELECT_PLAN: &str = "SELECT id, case_id, number, status, version, person_agrees,
    person_views_sealed, agreed_on, author, approved_by, approved_at FROM support_plans";

fn required(field: &str, text: &str) -> StoreResult<String> {
    clean_text(field, Some(text))?.ok_or_else(|| {
        StoreError::refuse(
            field,
            "store-plan-text-empty",
            vec![("field", SayArg::Text(field.to_owned()))],
        )
    })
}

impl Store {
    /// Writes the plan the worker is making with the person: the case's draft is replaced (if
    /// nobody changed it since `version`), or a new numbered draft is started.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn save_plan_draft(
        &self,
        principal: &Principal,
        case_id: Uuid,
        version: Option<i32>,
        input: PlanInput,
    ) -> StoreResult<PlanRecord> {
        let row = self.load_case_row(principal, case_id).await?;
        self.may_work_on(principal, &row)?;
        let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
        // The first plan after the holistic assessment; a revision while support runs.
        if !matches!(
            status,
            CaseStatus::SupportPlan | CaseStatus::Active | CaseStatus::Monitoring
        ) {
            return Err(StoreError::refuse(
                "plan",
                "store-plan-not-now",
                vec![("status", SayArg::Term(format!("case-status-{status}")))],
            ));
        }
        if input.goals.is_empty() || input.goals.len() > MAX_GOALS {
            return Err(StoreError::refuse(
                "goals",
                "store-plan-goal-count",
                vec![("limit", SayArg::Number(MAX_GOALS as i64))],
            ));
        }
        if input.actions.len() > MAX_ACTIONS {
            return Err(StoreError::refuse(
                "actions",
                "store-plan-action-count",
                vec![("limit", SayArg::Number(MAX_ACTIONS as i64))],
            ));
        }
        let catalogue = self.catalogue();
        let mut goals = Vec::with_capacity(input.goals.len());
        for (i, g) in input.goals.iter().enumerate() {
            goals.push((
                Uuid::now_v7(),
                required(&format!("goals[{i}].text"), &g.text)?,
                g.domain.clone(),
            ));
        }
        let mut actions = Vec::with_capacity(input.actions.len());
        for (i, a) in input.actions.iter().enumerate() {
            let goal_id = match a.goal {
                None => None,
                Some(n) => Some(goals.get(n).map(|g| g.0).ok_or_else(|| {
                    StoreError::refuse(
                        &format!("actions[{i}].goal"),
                        "store-plan-action-goal-unknown",
                        vec![
                            ("action", SayArg::Number(i as i64)),
                            ("number", SayArg::Number(n as i64)),
                        ],
                    )
                })?),
            };
            if let Some(code) = &a.service_code {
                if catalogue.services.iter().all(|s| &s.code != code) {
                    return Err(StoreError::refuse(
                        &format!("actions[{i}].service_code"),
                        "store-plan-action-service-unknown",
                        vec![
                            ("action", SayArg::Number(i as i64)),
                            ("service", SayArg::Text(code.to_string())),
                        ],
                    ));
                }
            }
            actions.push((
                Uuid::now_v7(),
                goal_id,
                required(&format!("actions[{i}].who"), &a.who)?,
                required(&format!("actions[{i}].what"), &a.what)?,
                a.due_on,
                a.service_code.clone(),
            ));
        }
        let existing: Option<PlanRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!("{SELECT_PLAN} WHERE case_id = $1 AND status = 'draft'"))
                .bind(case_id)
                .fetch_optional(pool)
                .await?
        });
        let now = Utc::now();
        let plan_id = existing.as_ref().map_or_else(Uuid::now_v7, |p| p.id);
        if let Some(p) = &existing {
            if version != Some(p.version) {
                return Err(StoreError::Conflict {
                    expected: version.unwrap_or(0),
                    actual: p.version,
                });
            }
        }
        let mut sealed_goals = Vec::new();
        for (id, text, domain) in &goals {
            let sealed =
                self.seal_text("case text", Some(text), &format!("plan_goals.goal:{id}"))?;
            sealed_goals.push((*id, sealed, domain.clone()));
        }
        let mut sealed_actions = Vec::new();
        for (id, goal, who, what, due, service) in &actions {
            sealed_actions.push((
                *id,
                *goal,
                self.seal_text("case text", Some(who), &format!("plan_actions.who:{id}"))?,
                self.seal_text("case text", Some(what), &format!("plan_actions.what:{id}"))?,
                *due,
                service.clone(),
            ));
        }
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("plan.save", "case", case_id).with_detail(format!("plan {plan_id}")));
            match &existing {
                Some(p) => {
                    let updated = sqlx::query("UPDATE support_plans SET version = version + 1, updated_at = $1, person_agrees = NULL,
                                                 person_views_sealed = NULL, agreed_on = NULL WHERE id = $2 AND version = $3")
                        .bind(now).bind(plan_id).bind(p.version).execute(&mut *tx).await?;
                    if updated.rows_affected() != 1 {
                        return Err(StoreError::Conflict { expected: p.version, actual: p.version + 1 });
                    }
                    sqlx::query("DELETE FROM plan_actions WHERE plan_id = $1").bind(plan_id).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM plan_goals WHERE plan_id = $1").bind(plan_id).execute(&mut *tx).await?;
                }
                None => {
                    let (last,): (i64,) = sqlx::query_as("SELECT CAST(COALESCE(MAX(number), 0) AS BIGINT) FROM support_plans WHERE case_id = $1")
                        .bind(case_id).fetch_one(&mut *tx).await?;
                    sqlx::query("INSERT INTO support_plans (id, case_id, number, status, author, version, created_at, updated_at)
                                 VALUES ($1, $2, $3, 'draft', $4, 1, $5, $5)")
                        .bind(plan_id).bind(case_id).bind(last + 1).bind(&principal.actor).bind(now)
                        .execute(&mut *tx).await?;
                }
            }
            for (position, (id, sealed, domain)) in sealed_goals.iter().enumerate() {
                sqlx::query("INSERT INTO plan_goals (id, plan_id, position, domain, goal_sealed) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(plan_id).bind(position as i64).bind(domain.as_deref()).bind(sealed.as_deref())
                    .execute(&mut *tx).await?;
            }
            for (position, (id, goal, who, what, due, service)) in sealed_actions.iter().enumerate() {
                sqlx::query("INSERT INTO plan_actions (id, plan_id, goal_id, position, who_sealed, what_sealed, due_on, service_code)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(id).bind(plan_id).bind(goal).bind(position as i64).bind(who.as_deref()).bind(what.as_deref())
                    .bind(due).bind(service.as_deref())
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        self.plan(principal, plan_id).await
    }

    /// Records whether the person agrees with the draft, and their views in their words (needed
    /// when they disagree).
    #[tracing::instrument(skip_all, fields(plan_id = %plan_id))]
    pub async fn record_plan_agreement(
        &self,
        principal: &Principal,
        plan_id: Uuid,
        version: i32,
        agrees: bool,
        views: Option<&str>,
    ) -> StoreResult<PlanRecord> {
        let plan = self
            .plan_for_write(principal, plan_id, version, PlanStatus::Draft)
            .await?;
        let views = clean_text("person_views", views)?;
        if !agrees && views.is_none() {
            return Err(StoreError::refuse(
                "person_views",
                "store-plan-views-missing",
                vec![],
            ));
        }
        let sealed = self.seal_text(
            "case text",
            views.as_deref(),
            &format!("support_plans.person_views:{plan_id}"),
        )?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("plan.agreement", "case", plan.case_id).with_detail(if agrees { "agrees" } else { "disagrees" }));
            let updated = sqlx::query("UPDATE support_plans SET person_agrees = $1, person_views_sealed = $2, agreed_on = $3,
                                         version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6")
                .bind(agrees).bind(sealed).bind(goldaw_core::deadlines::local_date(now)).bind(now).bind(plan_id).bind(version)
                .execute(&mut *tx).await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            refresh_due_dates!(self, tx, &[plan.case_id]);
            tx.commit().await?;
        });
        self.plan(principal, plan_id).await
    }

    /// Submits the draft for the supervisor's approval; the person's agreement or views must be
    /// recorded first.
    #[tracing::instrument(skip_all, fields(plan_id = %plan_id))]
    pub async fn submit_plan(
        &self,
        principal: &Principal,
        plan_id: Uuid,
        version: i32,
    ) -> StoreResult<PlanRecord> {
        let plan = self
            .plan_for_write(principal, plan_id, version, PlanStatus::Draft)
            .await?;
        if plan.person_agrees.is_none() {
            return Err(StoreError::refuse(
                "person_agrees",
                "store-plan-agreement-missing",
                vec![],
            ));
        }
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("plan.submit", "case", plan.case_id));
            let updated = sqlx::query("UPDATE support_plans SET status = 'submitted', submitted_at = $1, version = version + 1, updated_at = $1
                                       WHERE id = $2 AND version = $3 AND status = 'draft'")
                .bind(now).bind(plan_id).bind(version)
                .execute(&mut *tx).await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            refresh_due_dates!(self, tx, &[plan.case_id]);
            tx.commit().await?;
        });
        self.plan(principal, plan_id).await
    }

    /// The plan in `status` at `version`, for a change by the case's worker or a supervisor.
    async fn plan_for_write(
        &self,
        principal: &Principal,
        plan_id: Uuid,
        version: i32,
        status: PlanStatus,
    ) -> StoreResult<PlanRecord> {
        let plan = self.plan(principal, plan_id).await?;
        let row = self.load_case_row(principal, plan.case_id).await?;
        self.may_work_on(principal, &row)?;
        if plan.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: plan.version,
            });
        }
        if plan.state != status {
            return Err(StoreError::refuse(
                "plan",
                "store-plan-status",
                vec![
                    (
                        "status",
                        SayArg::Term(format!("plan-status-{}", plan.status)),
                    ),
                    ("expected", SayArg::Term(format!("plan-status-{status}"))),
                ],
            ));
        }
        Ok(plan)
    }

    /// One plan with its goals and actions (text withheld on sensitive cases without the permission).
    #[tracing::instrument(skip_all, fields(plan_id = %plan_id))]
    pub async fn plan(&self, principal: &Principal, plan_id: Uuid) -> StoreResult<PlanRecord> {
        // Deny by default before looking anything up.
        crate::people::require(principal, goldaw_core::access::Permission::ReadCases)?;
        let row: Option<PlanRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!("{SELECT_PLAN} WHERE id = $1")).bind(plan_id).fetch_optional(pool).await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        // Scope: the plan is visible exactly when its case is.
        let case = self.load_case_row(principal, row.case_id).await?;
        let restricted = case.restricted_for(principal);
        self.plan_record(row, restricted).await
    }

    /// The case's plans, newest first.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_plans(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<PlanRecord>> {
        let case = self.load_case_row(principal, case_id).await?;
        let restricted = case.restricted_for(principal);
        let plans = self.plans_of(case_id, restricted).await?;
        self.audit(
            principal,
            AuditEvent::on("plan.read", "case", case_id)
                .with_detail(format!("{} plans", plans.len())),
        )
        .await?;
        Ok(plans)
    }

    /// The plans of a case the caller was already allowed to read; not audited here.
    pub(super) async fn plans_of(
        &self,
        case_id: Uuid,
        restricted: bool,
    ) -> StoreResult<Vec<PlanRecord>> {
        let rows: Vec<PlanRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!("{SELECT_PLAN} WHERE case_id = $1 ORDER BY number DESC")).bind(case_id).fetch_all(pool).await?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // The goals and actions of all the case's plans at once: three queries for any number
        // of plan versions.
        let (goals, actions): (Vec<GoalRow>, Vec<ActionRow>) = with_db!(self.db(), pool => {
            (
                sqlx::query_as("SELECT g.id, g.plan_id, g.position, g.domain, g.goal_sealed FROM plan_goals g
                                JOIN support_plans s ON s.id = g.plan_id WHERE s.case_id = $1 ORDER BY g.position")
                    .bind(case_id).fetch_all(pool).await?,
                sqlx::query_as("SELECT a.id, a.plan_id, a.goal_id, a.who_sealed, a.what_sealed, a.due_on, a.service_code FROM plan_actions a
                                JOIN support_plans s ON s.id = a.plan_id WHERE s.case_id = $1 ORDER BY a.position")
                    .bind(case_id).fetch_all(pool).await?,
            )
        });
        rows.into_iter()
            .map(|row| {
                let id = row.id;
                self.plan_from_rows(
                    row,
                    goals.iter().filter(|g| g.plan_id == id),
                    actions.iter().filter(|a| a.plan_id == id),
                    restricted,
                )
            })
            .collect()
    }

    async fn plan_record(&self, row: PlanRow, restricted: bool) -> StoreResult<PlanRecord> {
        let (goals, actions): (Vec<GoalRow>, Vec<ActionRow>) = with_db!(self.db(), pool => {
            (
                sqlx::query_as("SELECT id, plan_id, position, domain, goal_sealed FROM plan_goals WHERE plan_id = $1 ORDER BY position")
                    .bind(row.id).fetch_all(pool).await?,
                sqlx::query_as("SELECT id, plan_id, goal_id, who_sealed, what_sealed, due_on, service_code FROM plan_actions WHERE plan_id = $1 ORDER BY position")
                    .bind(row.id).fetch_all(pool).await?,
            )
        });
        self.plan_from_rows(row, goals.iter(), actions.iter(), restricted)
    }

    /// A plan from its row and its goals and actions (in position order), text opened unless
    /// `restricted`.
    fn plan_from_rows<'a>(
        &self,
        row: PlanRow,
        goals: impl Iterator<Item = &'a GoalRow>,
        actions: impl Iterator<Item = &'a ActionRow>,
        restricted: bool,
    ) -> StoreResult<PlanRecord> {
        let open = |sealed: &[u8], context: String| -> StoreResult<Option<String>> {
            if restricted {
                Ok(None)
            } else {
                self.open_text("case text", Some(sealed), &context)
            }
        };
        Ok(PlanRecord {
            goals: goals
                .map(|g| {
                    Ok(Goal {
                        id: g.id,
                        position: g.position,
                        domain: g.domain.clone(),
                        text: open(&g.goal_sealed, format!("plan_goals.goal:{}", g.id))?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            actions: actions
                .map(|a| {
                    Ok(PlanAction {
                        id: a.id,
                        goal_id: a.goal_id,
                        who: open(&a.who_sealed, format!("plan_actions.who:{}", a.id))?,
                        what: open(&a.what_sealed, format!("plan_actions.what:{}", a.id))?,
                        due_on: a.due_on,
                        service_code: a.service_code.clone(),
                    })
                })
                .collect::<StoreResult<_>>()?,
            person_views: match (&row.person_views_sealed, restricted) {
                (Some(s), false) => self.open_text(
                    "case text",
                    Some(s),
                    &format!("support_plans.person_views:{}", row.id),
                )?,
                _ => None,
            },
            id: row.id,
            case_id: row.case_id,
            number: row.number,
            status: row.status.as_str().to_owned(),
            state: row.status,
            version: row.version,
            person_agrees: row.person_agrees,
            agreed_on: row.agreed_on,
            author: row.author,
            approved_by: row.approved_by,
            approved_at: row.approved_at,
        })
    }
}
