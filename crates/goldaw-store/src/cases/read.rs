//! Reading one case: the one scoped read every `/cases/{id}/...` use case starts with
//! ([`Store::load_case_row`]), the case's row and its workflow facts in one statement, and the case
//! as its reader sees it ([`CaseRecord`]: names and text withheld from a reader without the
//! sensitive permission).

use super::{corrupt, full_name, parse_opt};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::scope::{person_hidden, unit_range};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role, Sex};
use goldaw_core::deadlines::{CaseClocks, Due};
use goldaw_core::privacy::{case_sight, CaseScopeFacts, CaseSight, Unseen};
use goldaw_core::workflow::{
    available_actions, case_work, CaseAction, CaseFacts, CaseWork, CaseWorkFacts, ClosureReason,
};
use serde::Serialize;
use uuid::Uuid;

/// A case as the person asking may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseRecord {
    pub id: Uuid,
    /// The readable case number (`A-05/2026/0007`), or the id given at import.
    pub number: String,
    /// Send it back with every change (no lost updates).
    pub version: i32,
    /// `None`, like the name, when the case is sensitive (or about a hidden person) and the
    /// reader lacks the sensitive permission: a restricted case does not say whom it is about.
    pub person_id: Option<Uuid>,
    /// `None` when the case is sensitive and the reader lacks the sensitive permission.
    pub person_name: Option<String>,
    pub person_birth_date: Option<NaiveDate>,
    pub person_sex: Option<Sex>,
    pub admin_unit: String,
    pub status: CaseStatus,
    pub priority: Option<Priority>,
    /// Marked sensitive, or about a person who is hidden (a sensitive target group, or named in
    /// another sensitive case): the case is then treated as sensitive everywhere.
    pub sensitive: bool,
    /// Names and text are withheld from this reader.
    pub restricted: bool,
    pub household_case: bool,
    pub referral_source: ReferralSource,
    pub referrer: Option<String>,
    pub concern: Option<String>,
    pub worker: Option<String>,
    pub worker_user_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub referred_at: Option<DateTime<Utc>>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub initial_done_at: Option<DateTime<Utc>>,
    pub holistic_done_at: Option<DateTime<Utc>>,
    pub plan_approved_at: Option<DateTime<Utc>>,
    pub last_review_at: Option<DateTime<Utc>>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closure_reason: Option<ClosureReason>,
    /// A worker's request to close, waiting for the supervisor.
    pub closure_requested: Option<ClosureReason>,
    /// The etrap a transfer waits to be accepted by.
    pub transfer_to: Option<String>,
    /// The steps due, soonest first.
    pub due: Vec<Due>,
    /// What this reader may do to the case now.
    pub actions: Vec<CaseAction>,
    /// The date of the incident a sensitive case is about, if recorded (`None` to a restricted
    /// reader).
    pub incident_on: Option<NaiveDate>,
    /// The survivor code of a sensitive case (`goldaw_core::survivor_code`): random, stable, the
    /// only identifier the anonymised statistics know. `None` on a case that is not sensitive and
    /// to a restricted reader.
    pub survivor_code: Option<String>,
}

/// A case row as read through the one scoped read ([`Store::load_case_row`]).
#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    pub(super) id: Uuid,
    pub(super) external_id: String,
    pub(super) version: i32,
    pub(crate) person_id: Uuid,
    pub(crate) person_household_id: Uuid,
    pub(super) given_name: String,
    pub(super) family_name: Option<String>,
    pub(super) birth_date: Option<NaiveDate>,
    pub(super) sex: String,
    pub(crate) admin_unit: String,
    pub(crate) status: String,
    pub(super) priority: Option<String>,
    /// Marked sensitive, or its person hidden (see [`CASE_COLUMNS`]).
    pub(crate) sensitive: bool,
    pub(super) household_case: bool,
    pub(crate) referral_source: String,
    pub(super) registered_by: Option<Uuid>,
    pub(super) referrer_sealed: Option<Vec<u8>>,
    pub(super) concern_sealed: Option<Vec<u8>>,
    pub(super) worker_user_id: Option<Uuid>,
    pub(super) worker: Option<String>,
    pub(super) opened_on: NaiveDate,
    pub(super) referred_at: Option<DateTime<Utc>>,
    pub(super) first_contact_at: Option<DateTime<Utc>>,
    pub(super) initial_done_at: Option<DateTime<Utc>>,
    pub(super) holistic_done_at: Option<DateTime<Utc>>,
    pub(super) plan_approved_at: Option<DateTime<Utc>>,
    pub(super) last_review_at: Option<DateTime<Utc>>,
    pub(super) reopened_at: Option<DateTime<Utc>>,
    pub(super) closed_at: Option<DateTime<Utc>>,
    pub(super) closure_reason: Option<String>,
    pub(super) closure_requested_reason: Option<String>,
    pub(super) transfer_to: Option<String>,
    pub(super) incident_on: Option<NaiveDate>,
    pub(super) survivor_code: Option<String>,
}

/// The columns of [`CaseRow`], from [`CASE_FROM`]. A case about a hidden person is sensitive
/// whether or not it was marked so (an older case, an imported one).
pub(super) const CASE_COLUMNS: &str = concat!(
    "c.id, c.external_id, c.version, c.person_id, p.household_id AS person_household_id, p.given_name,
        p.family_name, p.birth_date, p.sex, c.admin_unit, c.status, c.priority,
        (c.sensitive OR ",
    person_hidden!("p"),
    ") AS sensitive,
        c.household_case, c.referral_source, c.registered_by, c.referrer_sealed, c.concern_sealed,
        c.worker_user_id, u.username AS worker, c.opened_on, c.referred_at,
        c.first_contact_at, c.initial_done_at, c.holistic_done_at, c.plan_approved_at,
        c.last_review_at, c.reopened_at, c.closed_at, c.closure_reason,
        c.closure_requested_reason, c.transfer_to, c.incident_on, c.survivor_code"
);

/// What [`CASE_COLUMNS`] reads beside the case (`c`): its person (`p`) and worker (`u`).
macro_rules! case_joins {
    () => {
        "JOIN persons p ON p.id = c.person_id LEFT JOIN users u ON u.id = c.worker_user_id"
    };
}

pub(super) const CASE_FROM: &str = concat!("FROM cases c ", case_joins!());

/// The joins of [`CASE_FROM`], for a query whose `c` is a page of cases chosen first.
pub(super) const CASE_JOINS: &str = case_joins!();

/// Whether the short and the long outcome follow-up were held since the case was closed: the
/// columns of [`TaskRow`] and [`CaseFileRow`] beside the case's own.
pub(super) const FOLLOW_UP_COLUMNS: &str = "
    EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'follow_up_short' AND r.created_at >= c.closed_at) AS follow_up_short_done,
    EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'follow_up_long' AND r.created_at >= c.closed_at) AS follow_up_long_done";

/// The rest of [`CaseFileRow`]: what the workflow rules need from the case's plans, reviews and
/// assessments (since the case was referred or last reopened), and which sections of the case
/// file have anything in them. Each is one probe of an index on `case_id`.
pub(super) const CASE_FILE_COLUMNS: &str = "
    EXISTS (SELECT 1 FROM support_plans s WHERE s.case_id = c.id AND s.status = 'submitted' AND s.person_agrees IS NOT NULL) AS plan_ready_for_approval,
    EXISTS (SELECT 1 FROM support_plans s WHERE s.case_id = c.id AND s.status IN ('approved', 'superseded')) AS had_plan,
    EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'closing'
            AND (COALESCE(c.reopened_at, c.referred_at) IS NULL OR r.created_at >= COALESCE(c.reopened_at, c.referred_at))) AS closing_review_done,
    EXISTS (SELECT 1 FROM assessments a WHERE a.case_id = c.id AND a.kind = 'initial' AND a.status = 'completed') AS initial_assessment_done,
    EXISTS (SELECT 1 FROM assessments a WHERE a.case_id = c.id AND a.kind = 'holistic' AND a.status = 'completed'
            AND (COALESCE(c.reopened_at, c.referred_at) IS NULL OR a.completed_at >= COALESCE(c.reopened_at, c.referred_at))) AS holistic_assessment_done,
    EXISTS (SELECT 1 FROM case_notes n WHERE n.case_id = c.id) AS has_notes,
    EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id) AS has_events,
    EXISTS (SELECT 1 FROM support_plans s WHERE s.case_id = c.id) AS has_plans,
    EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id) AS has_reviews,
    EXISTS (SELECT 1 FROM service_referrals f WHERE f.case_id = c.id) AS has_referrals,
    EXISTS (SELECT 1 FROM assessments a WHERE a.case_id = c.id) AS has_assessments,
    EXISTS (SELECT 1 FROM attachments t WHERE t.case_id = c.id) AS has_attachments";

/// A case with everything its record and its page need to know besides the sections' content:
/// read in one statement, so that the case page makes no query for an empty section.
#[derive(sqlx::FromRow)]
pub(super) struct CaseFileRow {
    #[sqlx(flatten)]
    pub(super) case: CaseRow,
    pub(super) follow_up_short_done: bool,
    pub(super) follow_up_long_done: bool,
    pub(super) plan_ready_for_approval: bool,
    pub(super) had_plan: bool,
    pub(super) closing_review_done: bool,
    pub(super) initial_assessment_done: bool,
    pub(super) holistic_assessment_done: bool,
    pub(super) has_notes: bool,
    pub(super) has_events: bool,
    pub(super) has_plans: bool,
    pub(super) has_reviews: bool,
    pub(super) has_referrals: bool,
    pub(super) has_assessments: bool,
    pub(super) has_attachments: bool,
}

impl CaseRow {
    /// What the scope rule knows of this case.
    pub(super) fn scope_facts(&self) -> CaseScopeFacts<'_> {
        CaseScopeFacts {
            admin_unit: &self.admin_unit,
            transfer_to: self.transfer_to.as_deref(),
            registered_by: self.registered_by,
            sensitive: self.sensitive,
        }
    }

    /// How much of the case the principal sees (the one rule, `goldaw_core::privacy`); `NotFound`
    /// or `Forbidden` as the rule says, even for a row the SQL condition let through.
    pub(crate) fn sight(&self, principal: &Principal) -> StoreResult<CaseSight> {
        case_sight(principal, &self.scope_facts()).map_err(|unseen| match unseen {
            Unseen::NotFound => StoreError::NotFound,
            Unseen::Forbidden => {
                StoreError::Forbidden("your role may not read cases (ReadCases)".into())
            }
        })
    }

    /// Names, text and the person are withheld from the principal (fails closed).
    pub(crate) fn restricted_for(&self, principal: &Principal) -> bool {
        !matches!(self.sight(principal), Ok(CaseSight::Full))
    }

    /// What the principal may do on this case: the one rule of case work.
    pub(crate) fn work(&self, principal: &Principal) -> CaseWork {
        case_work(
            principal,
            &CaseWorkFacts {
                admin_unit: &self.admin_unit,
                transfer_to: self.transfer_to.as_deref(),
                worker: self.worker_user_id,
                restricted: self.restricted_for(principal),
            },
        )
    }
}

impl CaseFileRow {
    /// The facts the workflow rules need.
    pub(super) fn facts(&self) -> StoreResult<CaseFacts> {
        let row = &self.case;
        Ok(CaseFacts {
            priority: parse_opt("priority", row.priority.as_deref())?,
            plan_ready_for_approval: self.plan_ready_for_approval,
            had_plan: self.had_plan,
            closing_review_done: self.closing_review_done,
            closure_requested: parse_opt(
                "closure reason",
                row.closure_requested_reason.as_deref(),
            )?,
            transfer_pending: row.transfer_to.is_some(),
            initial_assessment_done: self.initial_assessment_done,
            holistic_assessment_done: self.holistic_assessment_done,
        })
    }

    pub(super) fn follow_ups(&self) -> (bool, bool) {
        (self.follow_up_short_done, self.follow_up_long_done)
    }
}

/// The scope condition on `c`: $1/$2 the unit range, $3 the user id. The hotline sees the
/// calls it registered; others the cases placed in their scope or being transferred into it:
/// `goldaw_core::privacy::case_sight` in SQL, which [`CaseRow::sight`] asks again of every row
/// read by id. Both forms mention all three parameters: PostgreSQL must know the type of every
/// one bound.
pub(super) fn scoped(principal: &Principal) -> &'static str {
    if principal.role == Some(Role::Hotline) {
        "c.registered_by = $3 AND $1 <= $2"
    } else {
        "((c.admin_unit >= $1 AND c.admin_unit < $2) OR (c.transfer_to >= $1 AND c.transfer_to < $2))
         AND ($3 IS NULL OR $3 IS NOT NULL)"
    }
}

pub(super) fn clocks_of(
    row: &CaseRow,
    status: CaseStatus,
    priority: Option<Priority>,
) -> CaseClocks {
    CaseClocks {
        status: Some(status),
        priority,
        referred_at: row.referred_at,
        reopened_at: row.reopened_at,
        first_contact_at: row.first_contact_at,
        holistic_done_at: row.holistic_done_at,
        plan_approved_at: row.plan_approved_at,
        last_review_at: row.last_review_at,
        closed_at: row.closed_at,
        follow_up_short_done: false,
        follow_up_long_done: false,
    }
}

impl Store {
    /// One case, read and audited.
    #[tracing::instrument(skip_all, fields(case_id = %id))]
    pub async fn case(&self, principal: &Principal, id: Uuid) -> StoreResult<CaseRecord> {
        let record = self.case_unaudited(principal, id).await?;
        self.audit(principal, AuditEvent::on("case.read", "case", id))
            .await?;
        Ok(record)
    }

    /// The one scoped read of a case: every use case of a `/cases/{id}/...` route (and of a record
    /// that belongs to a case) starts here. `NotFound` outside the principal's scope, `Forbidden`
    /// for a role that never reads cases.
    pub(crate) async fn load_case_row(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<CaseRow> {
        require(principal, Permission::ReadCases)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "SELECT {CASE_COLUMNS} {CASE_FROM} WHERE {} AND c.id = $4",
            scoped(principal)
        );
        let row: Option<CaseRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(&lo)
                .bind(&hi)
                .bind(principal.user_id)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let row: CaseRow = row.ok_or(StoreError::NotFound)?;
        row.sight(principal)?;
        Ok(row)
    }

    /// The case with the facts of its workflow and which of its sections have content, in one
    /// statement; `NotFound` outside the principal's scope.
    pub(super) async fn load_case_file_row(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<CaseFileRow> {
        require(principal, Permission::ReadCases)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "SELECT {CASE_COLUMNS}, {FOLLOW_UP_COLUMNS}, {CASE_FILE_COLUMNS} {CASE_FROM} WHERE {} AND c.id = $4",
            scoped(principal)
        );
        let row: Option<CaseFileRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(&lo)
                .bind(&hi)
                .bind(principal.user_id)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let row: CaseFileRow = row.ok_or(StoreError::NotFound)?;
        row.case.sight(principal)?;
        Ok(row)
    }

    pub(crate) async fn case_unaudited(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<CaseRecord> {
        let mut file = self.load_case_file_row(principal, id).await?;
        // A sensitive case without its survivor code (registered before migration 0033, or
        // become sensitive since: its person's target groups) gets it at its first full read.
        if file.case.sensitive
            && file.case.survivor_code.is_none()
            && !file.case.restricted_for(principal)
        {
            let codes = self.ensure_survivor_codes(principal, &[id]).await?;
            file.case.survivor_code = codes.get(&id).cloned();
        }
        let facts = file.facts()?;
        let follow_ups = file.follow_ups();
        self.case_record(principal, file.case, &facts, follow_ups)
    }

    pub(super) fn case_record(
        &self,
        principal: &Principal,
        row: CaseRow,
        facts: &CaseFacts,
        (follow_up_short_done, follow_up_long_done): (bool, bool),
    ) -> StoreResult<CaseRecord> {
        let restricted = row.restricted_for(principal);
        let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
        let priority = parse_opt::<Priority>("priority", row.priority.as_deref())?;
        let clocks = CaseClocks {
            follow_up_short_done,
            follow_up_long_done,
            ..clocks_of(&row, status, priority)
        };
        let due = self.deadlines().pending(&clocks, Utc::now());
        let work = row.work(principal);
        let actions = available_actions(status, facts)
            .into_iter()
            .filter(|a| work.action(*a).is_ok())
            .collect();
        let (referrer, concern) = if restricted {
            (None, None)
        } else {
            (
                self.open_text(
                    "case text",
                    row.referrer_sealed.as_deref(),
                    &format!("cases.referrer:{}", row.id),
                )?,
                self.open_text(
                    "case text",
                    row.concern_sealed.as_deref(),
                    &format!("cases.concern:{}", row.id),
                )?,
            )
        };
        Ok(CaseRecord {
            id: row.id,
            number: row.external_id,
            version: row.version,
            person_id: (!restricted).then_some(row.person_id),
            person_name: (!restricted)
                .then(|| full_name(&row.given_name, row.family_name.as_deref())),
            person_birth_date: if restricted { None } else { row.birth_date },
            person_sex: if restricted {
                None
            } else {
                row.sex.parse().ok()
            },
            admin_unit: row.admin_unit,
            status,
            priority,
            sensitive: row.sensitive,
            restricted,
            household_case: row.household_case,
            referral_source: row
                .referral_source
                .parse()
                .map_err(|e| corrupt("referral source", e))?,
            referrer,
            concern,
            worker: row.worker,
            worker_user_id: row.worker_user_id,
            opened_on: row.opened_on,
            referred_at: row.referred_at,
            first_contact_at: row.first_contact_at,
            initial_done_at: row.initial_done_at,
            holistic_done_at: row.holistic_done_at,
            plan_approved_at: row.plan_approved_at,
            last_review_at: row.last_review_at,
            reopened_at: row.reopened_at,
            closed_at: row.closed_at,
            closure_reason: parse_opt("closure reason", row.closure_reason.as_deref())?,
            closure_requested: facts.closure_requested,
            transfer_to: row.transfer_to,
            due,
            actions,
            incident_on: if restricted { None } else { row.incident_on },
            survivor_code: if restricted || !row.sensitive {
                None
            } else {
                row.survivor_code
            },
        })
    }
}
