//! Cases in the statutory workflow: intake, reading, the status transitions, allocation, notes,
//! the tasks due and the caseload against the norm.
//!
//! Who sees a case (WORKFLOW.md): social workers and supervisors by the case's place within their
//! scope; a supervisor also sees a case being transferred into their scope; the hotline sees the
//! calls it registered. Sensitive cases (gender-based violence, child protection) show their
//! number and codes to everyone in scope, and names and text only to principals with the
//! sensitive permission. Free text is sealed with the operator's key, bound to its column and row.

mod assessments;
mod attachments;
mod plans;
mod reviews;

pub use assessments::{
    AnswerInput, AnswerRecord, AssessedPerson, AssessmentRecord, AssessmentSave, AssessmentStatus,
    AssessmentSummary, DomainNeedRecord, ItemRef, NewAssessment, RawAnswer, MAX_PERSONS,
};

pub use attachments::{AttachmentContent, AttachmentRecord};
pub use plans::{ActionInput, Goal, GoalInput, PlanAction, PlanInput, PlanRecord};
pub use reviews::{
    GoalRating, GoalReview, GoalReviewInput, IncomeChange, ReviewInput, ReviewKind, ReviewRecord,
};

use crate::audit::{append_audit, AuditEvent, AuditRow};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::{person_hidden, person_visible, unit_range, MARK_NAMED_IN_CASE};
use crate::Store;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role, Sex};
use goldaw_core::deadlines::{local_date, CaseClocks, Due};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::fold_name;
use goldaw_core::privacy::{case_sight, CaseScopeFacts, CaseSight, Unseen};
use goldaw_core::workflow::{
    available_actions, counts_as_intensive, next_status, CaseAction, CaseFacts, ClosureReason,
    Refusal,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

/// The longest free text kept in one field (a note, a concern): about ten pages.
pub const MAX_TEXT: usize = 20_000;

/// The caseload norm (DOMAIN.md, "Workforce"): 25 intensive and 25 monitored cases at a time,
/// 75 cases a year.
pub const NORM_INTENSIVE: u32 = 25;
pub const NORM_MONITORED: u32 = 25;
pub const NORM_PER_YEAR: u32 = 75;

/// A referral as registered at intake.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    /// goldaw's id of the person (found or registered first).
    pub person: Uuid,
    /// The etrap (or city borough) whose team takes the case.
    #[schema(value_type = String)]
    pub admin_unit: AdminUnitCode,
    pub referral_source: ReferralSource,
    /// Who referred (name, organisation, phone): sealed.
    #[serde(default)]
    pub referrer: Option<String>,
    /// The concern in the referrer's or the person's words: sealed.
    #[serde(default)]
    pub concern: Option<String>,
    /// A priority set at intake (the hotline: someone is at risk now); screening confirms it.
    #[serde(default)]
    pub provisional_priority: Option<Priority>,
    /// Gender-based violence or child protection: names and text need the sensitive permission.
    #[serde(default)]
    pub sensitive: bool,
    /// The case is the whole household's, not one person's.
    #[serde(default)]
    pub household_case: bool,
}

/// What the case page shows, from [`Store::case_file`].
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub case: CaseRecord,
    pub notes: Vec<CaseNote>,
    pub events: Vec<CaseEvent>,
    pub plans: Vec<plans::PlanRecord>,
    pub reviews: Vec<reviews::ReviewRecord>,
    pub referrals: Vec<crate::referrals::ReferralRecord>,
    /// For those who read people (not the hotline): the case's assessments, newest first.
    pub assessments: Vec<AssessmentSummary>,
    /// The people a new assessment may be about, when the reader may start one now.
    pub assessable_persons: Vec<AssessedPerson>,
    /// Listed for staff who work cases, on a case whose content they may see.
    pub attachments: Vec<AttachmentRecord>,
}

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
}

/// One line of a case list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: Uuid,
    pub number: String,
    pub person_name: Option<String>,
    pub admin_unit: String,
    pub status: CaseStatus,
    pub priority: Option<Priority>,
    pub sensitive: bool,
    pub worker: Option<String>,
    pub opened_on: NaiveDate,
    /// The next step due, if any.
    pub next_due: Option<Due>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub status: Option<CaseStatus>,
    /// Only the cases assigned to the principal.
    pub mine: bool,
    /// Only cases with no worker yet.
    pub unallocated: bool,
    /// The case number, exactly.
    pub number: Option<String>,
    pub include_closed: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A person who may already be known, shown at intake.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub person: Uuid,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// Name similarity, 0-100.
    pub score: u8,
}

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

/// What kind of contact a note records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    HomeVisit,
    PhoneCall,
    OfficeVisit,
    Meeting,
    CaseConference,
    Other,
}

/// A contact or event in the case's life.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseNote {
    pub id: Uuid,
    pub kind: NoteKind,
    pub happened_at: DateTime<Utc>,
    /// `None` when withheld (a sensitive case, a reader without the permission).
    pub text: Option<String>,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

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

/// Something for a worker or supervisor to do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub case_id: Uuid,
    pub number: String,
    pub person_name: Option<String>,
    pub status: CaseStatus,
    pub priority: Option<Priority>,
    pub kind: TaskKind,
    /// For deadline tasks: the step and when it is due.
    pub due: Option<Due>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A step of the workflow with a deadline.
    Deadline,
    /// A case waiting for a worker (supervisors).
    Allocate,
    /// A plan waiting for approval (supervisors).
    ApprovePlan,
    /// A closure request waiting for approval (supervisors).
    ApproveClosure,
    /// A case being transferred into the supervisor's scope.
    AcceptTransfer,
}

/// One worker's caseload against the norm.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerLoad {
    pub user_id: Uuid,
    pub username: String,
    /// Open cases before monitoring (referred to active).
    pub intensive: u32,
    pub monitoring: u32,
    /// Cases assigned in the last 12 months (the yearly norm counts these).
    pub last_12_months: u32,
    pub norm_intensive: u32,
    pub norm_monitored: u32,
    pub norm_per_year: u32,
    /// Any of the three above its norm.
    pub over_norm: bool,
}

/// A person able to take cases, for the allocation form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignable {
    pub user_id: Uuid,
    pub username: String,
    pub sensitive: bool,
}

impl NoteKind {
    pub const ALL: [NoteKind; 6] = [
        NoteKind::HomeVisit,
        NoteKind::PhoneCall,
        NoteKind::OfficeVisit,
        NoteKind::Meeting,
        NoteKind::CaseConference,
        NoteKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::HomeVisit => "home_visit",
            NoteKind::PhoneCall => "phone_call",
            NoteKind::OfficeVisit => "office_visit",
            NoteKind::Meeting => "meeting",
            NoteKind::CaseConference => "case_conference",
            NoteKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Contacts with the person count as units of the etrap social work service.
    fn is_contact(self) -> bool {
        matches!(
            self,
            NoteKind::HomeVisit | NoteKind::PhoneCall | NoteKind::OfficeVisit | NoteKind::Meeting
        )
    }
}

/// A case row as read through the one scoped read ([`Store::load_case_row`]).
#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    id: Uuid,
    external_id: String,
    version: i32,
    pub(crate) person_id: Uuid,
    pub(crate) person_household_id: Uuid,
    given_name: String,
    family_name: Option<String>,
    birth_date: Option<NaiveDate>,
    sex: String,
    pub(crate) admin_unit: String,
    pub(crate) status: String,
    priority: Option<String>,
    /// Marked sensitive, or its person hidden (see [`CASE_COLUMNS`]).
    pub(crate) sensitive: bool,
    household_case: bool,
    pub(crate) referral_source: String,
    registered_by: Option<Uuid>,
    referrer_sealed: Option<Vec<u8>>,
    concern_sealed: Option<Vec<u8>>,
    worker_user_id: Option<Uuid>,
    worker: Option<String>,
    opened_on: NaiveDate,
    referred_at: Option<DateTime<Utc>>,
    first_contact_at: Option<DateTime<Utc>>,
    initial_done_at: Option<DateTime<Utc>>,
    holistic_done_at: Option<DateTime<Utc>>,
    plan_approved_at: Option<DateTime<Utc>>,
    last_review_at: Option<DateTime<Utc>>,
    reopened_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    closure_reason: Option<String>,
    closure_requested_reason: Option<String>,
    transfer_to: Option<String>,
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: Uuid,
    kind: String,
    happened_at: DateTime<Utc>,
    text_sealed: Vec<u8>,
    author: String,
    created_at: DateTime<Utc>,
}

/// The columns of [`CaseRow`], from [`CASE_FROM`]. A case about a hidden person is sensitive
/// whether or not it was marked so (an older case, an imported one).
const CASE_COLUMNS: &str = concat!(
    "c.id, c.external_id, c.version, c.person_id, p.household_id AS person_household_id, p.given_name,
        p.family_name, p.birth_date, p.sex, c.admin_unit, c.status, c.priority,
        (c.sensitive OR ",
    person_hidden!("p"),
    ") AS sensitive,
        c.household_case, c.referral_source, c.registered_by, c.referrer_sealed, c.concern_sealed,
        c.worker_user_id, u.username AS worker, c.opened_on, c.referred_at,
        c.first_contact_at, c.initial_done_at, c.holistic_done_at, c.plan_approved_at,
        c.last_review_at, c.reopened_at, c.closed_at, c.closure_reason,
        c.closure_requested_reason, c.transfer_to"
);

const CASE_FROM: &str =
    "FROM cases c JOIN persons p ON p.id = c.person_id LEFT JOIN users u ON u.id = c.worker_user_id";

/// Whether the short and the long outcome follow-up were held since the case was closed: the
/// columns of [`TaskRow`] and [`CaseFileRow`] beside the case's own.
const FOLLOW_UP_COLUMNS: &str = "
    EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'follow_up_short' AND r.created_at >= c.closed_at) AS follow_up_short_done,
    EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id AND r.kind = 'follow_up_long' AND r.created_at >= c.closed_at) AS follow_up_long_done";

/// The rest of [`CaseFileRow`]: what the workflow rules need from the case's plans, reviews and
/// assessments (since the case was referred or last reopened), and which sections of the case
/// file have anything in them. Each is one probe of an index on `case_id`.
const CASE_FILE_COLUMNS: &str = "
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

/// A case with the follow-ups its deadlines need (the task list).
#[derive(sqlx::FromRow)]
struct TaskRow {
    #[sqlx(flatten)]
    case: CaseRow,
    follow_up_short_done: bool,
    follow_up_long_done: bool,
}

/// A case with everything its record and its page need to know besides the sections' content:
/// read in one statement, so that the case page makes no query for an empty section.
#[derive(sqlx::FromRow)]
struct CaseFileRow {
    #[sqlx(flatten)]
    case: CaseRow,
    follow_up_short_done: bool,
    follow_up_long_done: bool,
    plan_ready_for_approval: bool,
    had_plan: bool,
    closing_review_done: bool,
    initial_assessment_done: bool,
    holistic_assessment_done: bool,
    has_notes: bool,
    has_events: bool,
    has_plans: bool,
    has_reviews: bool,
    has_referrals: bool,
    has_assessments: bool,
    has_attachments: bool,
}

impl CaseRow {
    /// What the scope rule knows of this case.
    fn scope_facts(&self) -> CaseScopeFacts<'_> {
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
}

impl CaseFileRow {
    /// The facts the workflow rules need.
    fn facts(&self) -> StoreResult<CaseFacts> {
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

    fn follow_ups(&self) -> (bool, bool) {
        (self.follow_up_short_done, self.follow_up_long_done)
    }
}

/// The scope condition on `c`: $1/$2 the unit range, $3 the user id. The hotline sees the
/// calls it registered; others the cases placed in their scope or being transferred into it:
/// `goldaw_core::privacy::case_sight` in SQL, which [`CaseRow::sight`] asks again of every row
/// read by id. Both forms mention all three parameters: PostgreSQL must know the type of every
/// one bound.
fn scoped(principal: &Principal) -> &'static str {
    if principal.role == Some(Role::Hotline) {
        "c.registered_by = $3 AND $1 <= $2"
    } else {
        "((c.admin_unit >= $1 AND c.admin_unit < $2) OR (c.transfer_to >= $1 AND c.transfer_to < $2))
         AND ($3 IS NULL OR $3 IS NOT NULL)"
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Free text from a form or the API: trimmed, empty is none, bounded.
pub fn clean_text(field: &str, text: Option<&str>) -> StoreResult<Option<String>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > MAX_TEXT {
        return Err(StoreError::invalid(
            field,
            format!("is longer than {MAX_TEXT} characters: shorten it or attach a document"),
        )
        .saying(
            "store-text-too-long",
            vec![("limit", SayArg::Number(MAX_TEXT as i64))],
        ));
    }
    Ok(Some(t.to_owned()))
}

impl Store {
    /// Registers a referral: a new case in `referred`, numbered per etrap and year.
    pub async fn register_referral(
        &self,
        principal: &Principal,
        new: NewReferral,
    ) -> StoreResult<CaseRecord> {
        require(principal, Permission::RegisterReferral)?;
        self.check_place(&new.admin_unit)?;
        let unit = self
            .catalogue()
            .admin_unit(&new.admin_unit)
            .map(|u| u.level.clone())
            .unwrap_or_default();
        if matches!(unit.as_str(), "country" | "velayat") {
            return Err(StoreError::invalid(
                "admin_unit",
                format!(
                    "{} is a {unit}: a case belongs to an etrap's (or a city's) team",
                    new.admin_unit
                ),
            )
            .saying(
                "store-case-unit-not-etrap",
                vec![("unit", SayArg::Text(new.admin_unit.to_string()))],
            ));
        }
        if principal.role != Some(Role::Hotline) && !principal.can_see_unit(&new.admin_unit) {
            return Err(StoreError::Forbidden(format!(
                "you cannot register referrals in {}",
                new.admin_unit
            )));
        }
        if new.sensitive && !principal.sensitive {
            return Err(StoreError::Forbidden(
                "registering a gender-based-violence or child-protection case needs the sensitive permission".into(),
            ));
        }
        let referrer = clean_text("referrer", new.referrer.as_deref())?;
        let concern = clean_text("concern", new.concern.as_deref())?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let referrer_sealed = self.seal_text(
            "case text",
            referrer.as_deref(),
            &format!("cases.referrer:{id}"),
        )?;
        let concern_sealed = self.seal_text(
            "case text",
            concern.as_deref(),
            &format!("cases.concern:{id}"),
        )?;
        let opened_on = local_date(now);
        let year = opened_on.year();
        let prefix = new
            .admin_unit
            .as_str()
            .strip_prefix("TM-")
            .unwrap_or(new.admin_unit.as_str())
            .to_owned();
        let person_lookup = self.person_for_case(principal, new.person).await?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.register", "case", id)
                .with_detail(format!("person {} source {}", new.person, new.referral_source)));
            let (n,): (i64,) = sqlx::query_as(
                "INSERT INTO case_number_counters (admin_unit, year, last) VALUES ($1, $2, 1)
                 ON CONFLICT (admin_unit, year) DO UPDATE SET last = case_number_counters.last + 1
                 RETURNING CAST(last AS BIGINT)",
            )
            .bind(new.admin_unit.as_str())
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
            let number = format!("{prefix}/{year}/{n:04}");
            sqlx::query(
                "INSERT INTO cases (id, external_id, person_id, admin_unit, opened_on, referral_source,
                    priority, status, version, created_at, updated_at, household_case, registered_by,
                    sensitive, referred_at, referrer_sealed, concern_sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'referred', 1, $8, $8, $9, $10, $11, $8, $12, $13)",
            )
            .bind(id)
            .bind(&number)
            .bind(new.person)
            .bind(new.admin_unit.as_str())
            .bind(opened_on)
            .bind(new.referral_source.as_str())
            .bind(new.provisional_priority.map(Priority::as_str))
            .bind(now)
            .bind(new.household_case)
            .bind(principal.user_id)
            .bind(new.sensitive || person_lookup)
            .bind(referrer_sealed)
            .bind(concern_sealed)
            .execute(&mut *tx)
            .await?;
            insert_event!(tx, id, principal, "register", None::<CaseStatus>, Some(CaseStatus::Referred), None::<&str>, Some(new.admin_unit.as_str()), Some(new.referral_source.as_str()), now);
            // A sensitive case hides whom it names from readers without the permission.
            sqlx::query(MARK_NAMED_IN_CASE).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        self.case_unaudited(principal, id).await
    }

    /// The person a referral is about: must be visible to the principal; answers whether the
    /// person is hidden (the case then is sensitive too).
    async fn person_for_case(&self, principal: &Principal, person: Uuid) -> StoreResult<bool> {
        let found: Option<(bool,)> = match principal.role {
            // The hotline registers for any etrap and does not browse people: any person it may
            // see by the sensitive rule.
            Some(Role::Hotline) => with_db!(self.db(), pool => {
                sqlx::query_as(concat!("SELECT ", person_hidden!("p"), " FROM persons p WHERE p.id = $1 AND ",
                        person_visible!("p", "$2"), " AND p.merged_into IS NULL"))
                    .bind(person)
                    .bind(principal.sensitive)
                    .fetch_optional(pool)
                    .await?
            }),
            _ => {
                let Some((lo, hi)) = unit_range(principal) else {
                    return Err(StoreError::NotFound);
                };
                with_db!(self.db(), pool => {
                    sqlx::query_as(concat!("SELECT ", person_hidden!("p"), " FROM persons p WHERE p.id = $1
                            AND p.admin_unit >= $2 AND p.admin_unit < $3 AND ", person_visible!("p", "$4"),
                            " AND p.merged_into IS NULL"))
                        .bind(person)
                        .bind(&lo)
                        .bind(&hi)
                        .bind(principal.sensitive)
                        .fetch_optional(pool)
                        .await?
                })
            }
        };
        found.map(|(s,)| s).ok_or_else(|| {
            StoreError::invalid(
                "person",
                "no such person in your scope: find or register the person first",
            )
            .saying("store-person-not-in-scope", vec![])
        })
    }

    /// People already known who may be the person being referred: same birth date, or a name
    /// that folds (Turkmen, Russian or Latin letters) to within a few typos, in the same etrap.
    /// Shows the least needed to recognise someone; the hotline may use it too, audited.
    pub async fn likely_duplicates(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
        given_name: &str,
        family_name: Option<&str>,
        birth_date: Option<NaiveDate>,
    ) -> StoreResult<Vec<Candidate>> {
        require(principal, Permission::RegisterReferral)?;
        if principal.role != Some(Role::Hotline) && !principal.can_see_unit(unit) {
            return Ok(Vec::new());
        }
        let wanted = fold_name(&full_name(given_name, family_name));
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        // The stored key is "family given": its first letter narrows the scan; the birth date
        // catches a name spelt differently from its first letter on.
        let key = fold_name(&match family_name {
            Some(f) => format!("{f} {given_name}"),
            None => given_name.to_owned(),
        });
        let first: String = key.chars().take(1).collect();
        type CandidateRow = (
            Uuid,
            String,
            Option<String>,
            Option<NaiveDate>,
            String,
            String,
        );
        let rows: Vec<CandidateRow> = with_db!(self.db(), pool => {
            sqlx::query_as(concat!(
                "SELECT p.id, p.given_name, p.family_name, p.birth_date, p.sex, p.name_key FROM persons p
                 WHERE p.admin_unit = $1 AND p.merged_into IS NULL AND ",
                person_visible!("p", "$2"),
                " AND (p.birth_date = $3 OR (p.name_key >= $4 AND p.name_key < $5))
                 LIMIT 2000",
            ))
            .bind(unit.as_str())
            .bind(principal.sensitive)
            .bind(birth_date)
            .bind(&first)
            .bind(format!("{first}\u{10ffff}"))
            .fetch_all(pool)
            .await?
        });
        let mut found: Vec<Candidate> = rows
            .into_iter()
            .filter_map(|(id, given, family, born, sex, _)| {
                let name = full_name(&given, family.as_deref());
                // Either order of the names: people give family name first or last.
                let folded = fold_name(&name);
                let reversed = fold_name(&full_name(family.as_deref().unwrap_or(""), Some(&given)));
                let score = strsim::jaro_winkler(&wanted, &folded)
                    .max(strsim::jaro_winkler(&wanted, reversed.trim()));
                let same_birth = birth_date.is_some() && born == birth_date;
                let likely = score >= 0.90 || (same_birth && score >= 0.75);
                likely.then(|| Candidate {
                    person: id,
                    name,
                    birth_date: born,
                    sex: sex.parse().ok(),
                    score: (score * 100.0).round() as u8,
                })
            })
            .collect();
        found.sort_by_key(|c| std::cmp::Reverse(c.score));
        found.truncate(10);
        let ids: Vec<String> = found.iter().map(|c| c.person.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("person.duplicate_check").with_detail(format!(
                "{} found: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(found)
    }

    /// One case, read and audited.
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
    async fn load_case_file_row(
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

    async fn case_unaudited(&self, principal: &Principal, id: Uuid) -> StoreResult<CaseRecord> {
        let file = self.load_case_file_row(principal, id).await?;
        let facts = file.facts()?;
        let follow_ups = file.follow_ups();
        self.case_record(principal, file.case, &facts, follow_ups)
    }

    fn case_record(
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
        let actions = available_actions(status, facts)
            .into_iter()
            .filter(|a| self.may_act(principal, &row, *a).is_ok())
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
        })
    }

    /// Whether the principal may take `action` on this case (the workflow aside).
    pub(crate) fn may_act(
        &self,
        principal: &Principal,
        row: &CaseRow,
        action: CaseAction,
    ) -> StoreResult<()> {
        if row.restricted_for(principal) {
            return Err(StoreError::Forbidden(
                "this is a sensitive case: working on it needs the sensitive permission".into(),
            ));
        }
        let in_home_unit = row
            .admin_unit
            .parse::<AdminUnitCode>()
            .is_ok_and(|u| principal.can_see_unit(&u));
        match action {
            CaseAction::AcceptTransfer | CaseAction::DeclineTransfer => {
                require(principal, Permission::ApproveCases)?;
                let receiving = row
                    .transfer_to
                    .as_deref()
                    .and_then(|t| t.parse::<AdminUnitCode>().ok())
                    .is_some_and(|u| principal.can_see_unit(&u));
                if !receiving {
                    return Err(StoreError::Forbidden(
                        "only a supervisor of the receiving etrap accepts or declines a transfer".into(),
                    ));
                }
                Ok(())
            }
            _ if !in_home_unit => Err(StoreError::Forbidden(
                "the case lies outside your scope (it waits for your decision on the transfer only)".into(),
            )),
            a if a.needs_supervisor() => require(principal, Permission::ApproveCases),
            _ => {
                require(principal, Permission::WorkCases)?;
                if principal.role == Some(Role::SocialWorker)
                    && row.worker_user_id != principal.user_id
                {
                    return Err(StoreError::Forbidden(
                        "only the assigned social worker or a supervisor works on this case".into(),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Moves the case along the workflow. Refused with the reason when out of order, not
    /// allowed, or when someone changed the case since `version` was read.
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
                return Err(
                    StoreError::invalid("transfer_to", "name the etrap the case moves to")
                        .saying("store-transfer-unit-missing", vec![]),
                )
            }
            (CaseAction::RequestTransfer, Some(unit)) => {
                self.check_place(unit)?;
                if unit.as_str() == row.admin_unit {
                    return Err(StoreError::invalid(
                        "transfer_to",
                        "the case is already in this etrap",
                    )
                    .saying("store-transfer-same-unit", vec![]));
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
            insert_event!(tx, id, principal, action.as_str(), Some(from), Some(to), from_unit.as_deref(), to_unit.as_deref(), detail.as_deref(), now);
            tx.commit().await?;
        });
        // After a transfer the sender may no longer see the case: answer what they may.
        match self.case_unaudited(principal, id).await {
            Err(StoreError::NotFound) => Err(StoreError::NotFound),
            other => other,
        }
    }

    /// Assigns the case to a social worker (a supervisor), if nobody changed it since `version`.
    pub async fn allocate_case(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
        worker: &str,
    ) -> StoreResult<CaseRecord> {
        require(principal, Permission::AllocateCases)?;
        let row = self.load_case_row(principal, id).await?;
        let unit: AdminUnitCode = row
            .admin_unit
            .parse()
            .map_err(|e| corrupt("case unit", e))?;
        if !principal.can_see_unit(&unit) {
            return Err(StoreError::Forbidden(
                "the case lies outside your scope".into(),
            ));
        }
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: row.version,
            });
        }
        if row.status == CaseStatus::Closed.as_str() {
            return Err(StoreError::invalid(
                "worker",
                "a closed case is not allocated: reopen it first",
            )
            .saying("store-allocate-closed", vec![]));
        }
        let candidates = self
            .assignable_workers(principal, &unit, row.sensitive)
            .await?;
        let Some(chosen) = candidates.iter().find(|w| w.username == worker) else {
            return Err(StoreError::invalid(
                "worker",
                format!(
                    "'{worker}' is not an active social worker of {unit}{}",
                    if row.sensitive {
                        " with the sensitive permission"
                    } else {
                        ""
                    }
                ),
            )
            .saying(
                "store-worker-not-assignable",
                vec![
                    ("user", SayArg::Text(worker.to_owned())),
                    ("unit", SayArg::Text(unit.to_string())),
                    ("sensitive", SayArg::Number(row.sensitive as i64)),
                ],
            ));
        };
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.allocate", "case", id).with_detail(worker.to_owned()));
            let updated = sqlx::query("UPDATE cases SET worker_user_id = $1, worker_id = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5")
                .bind(chosen.user_id)
                .bind(&chosen.username)
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            insert_event!(tx, id, principal, "allocate", None::<CaseStatus>, None::<CaseStatus>, None::<&str>, None::<&str>, Some(worker), now);
            tx.commit().await?;
        });
        self.case_unaudited(principal, id).await
    }

    /// Social workers (and supervisors) whose scope covers `unit`: who may take a case there.
    pub async fn assignable_workers(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
        sensitive_case: bool,
    ) -> StoreResult<Vec<Assignable>> {
        require(principal, Permission::AllocateCases)?;
        let rows: Vec<(Uuid, String, String, bool)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, username, scope, sensitive FROM users WHERE NOT disabled AND role IN ('social_worker', 'supervisor') ORDER BY username")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter(|(_, _, scope, sensitive)| {
                scope
                    .parse::<AdminUnitCode>()
                    .is_ok_and(|s| unit.is_within(&s) && principal.can_see_unit(&s))
                    && (*sensitive || !sensitive_case)
            })
            .map(|(user_id, username, _, sensitive)| Assignable {
                user_id,
                username,
                sensitive,
            })
            .collect())
    }

    /// Cases in scope, the soonest due first.
    pub async fn list_cases(
        &self,
        principal: &Principal,
        query: &CaseQuery,
    ) -> StoreResult<Vec<CaseSummary>> {
        require(principal, Permission::ReadCases)?;
        let Some((lo, hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        let mut sql = format!(
            "SELECT {CASE_COLUMNS} {CASE_FROM} WHERE {}",
            scoped(principal)
        );
        let mut next = 4;
        if query.status.is_some() {
            sql.push_str(&format!(" AND c.status = ${next}"));
            next += 1;
        } else if !query.include_closed {
            sql.push_str(" AND c.status <> 'closed'");
        }
        if query.mine {
            sql.push_str(" AND c.worker_user_id = $3");
        }
        if query.unallocated {
            sql.push_str(" AND c.worker_user_id IS NULL");
        }
        if query.number.is_some() {
            sql.push_str(&format!(" AND c.external_id = ${next}"));
            next += 1;
        }
        sql.push_str(&format!(
            " ORDER BY c.opened_on DESC, c.external_id LIMIT ${next} OFFSET ${}",
            next + 1
        ));
        let limit = i64::from(query.limit.clamp(1, crate::people::MAX_PAGE));
        let rows: Vec<CaseRow> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(principal.user_id);
            if let Some(s) = query.status {
                q = q.bind(s.as_str());
            }
            if let Some(n) = &query.number {
                q = q.bind(n);
            }
            q.bind(limit).bind(i64::from(query.offset)).fetch_all(pool).await?
        });
        let now = Utc::now();
        let deadlines = self.deadlines();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
            let priority = parse_opt::<Priority>("priority", row.priority.as_deref())?;
            let clocks = clocks_of(&row, status, priority);
            let restricted = row.restricted_for(principal);
            out.push(CaseSummary {
                id: row.id,
                person_name: (!restricted)
                    .then(|| full_name(&row.given_name, row.family_name.as_deref())),
                number: row.external_id,
                admin_unit: row.admin_unit,
                status,
                priority,
                sensitive: row.sensitive,
                worker: row.worker,
                opened_on: row.opened_on,
                next_due: deadlines.pending(&clocks, now).into_iter().next(),
            });
        }
        let ids: Vec<String> = out.iter().map(|c| c.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("case.list").with_detail(format!(
                "{} listed: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(out)
    }

    /// Records a contact or event. Contacts count as units of the etrap social work service.
    pub async fn add_case_note(
        &self,
        principal: &Principal,
        case_id: Uuid,
        kind: NoteKind,
        happened_at: DateTime<Utc>,
        text: &str,
    ) -> StoreResult<CaseNote> {
        let row = self.load_case_row(principal, case_id).await?;
        // Notes are case work: the same rule as the worker's actions.
        self.may_act(principal, &row, CaseAction::ToActive)?;
        let Some(text) = clean_text("text", Some(text))? else {
            return Err(StoreError::invalid("text", "a note needs some text")
                .saying("store-note-empty", vec![]));
        };
        let now = Utc::now();
        if happened_at > now + TimeDelta::minutes(5) {
            return Err(StoreError::invalid(
                "happened_at",
                "a note records what happened: the time is in the future",
            )
            .saying("store-note-future", vec![]));
        }
        let id = Uuid::now_v7();
        let sealed = self.seal_text("case text", Some(&text), &format!("case_notes.text:{id}"))?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.note", "case", case_id).with_detail(kind.as_str()));
            sqlx::query("INSERT INTO case_notes (id, case_id, kind, happened_at, text_sealed, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id)
                .bind(case_id)
                .bind(kind.as_str())
                .bind(happened_at)
                .bind(sealed)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if kind.is_contact() {
                sqlx::query("UPDATE service_episodes SET units = COALESCE(units, 0) + 1, version = version + 1, updated_at = $1
                             WHERE case_id = $2 AND service_code = 'ETRAP_SW' AND ended_on IS NULL")
                    .bind(now).bind(case_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(CaseNote {
            id,
            kind,
            happened_at,
            text: Some(text),
            author: principal.actor.clone(),
            created_at: now,
        })
    }

    /// The case's notes, newest first (text withheld on sensitive cases without the permission).
    pub async fn case_notes(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<CaseNote>> {
        let row = self.load_case_row(principal, case_id).await?;
        let restricted = row.restricted_for(principal);
        let notes = self.notes_of(case_id, restricted).await?;
        self.audit(
            principal,
            AuditEvent::on("case.notes_read", "case", case_id)
                .with_detail(format!("{} notes", notes.len())),
        )
        .await?;
        Ok(notes)
    }

    /// The case's history, oldest first.
    pub async fn case_events(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<CaseEvent>> {
        self.load_case_row(principal, case_id).await?;
        self.events_of(case_id).await
    }

    /// Who opened or changed the case or its person, newest first, at most `limit` events (1 to
    /// 1,000): for supervisors, on the cases in their scope (WORKFLOW.md, "own team's access to
    /// own cases"); `NotFound` outside it. Reads of the case's plans, assessments or attachments
    /// are recorded on those records and are not listed here. Reading the list is recorded too.
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

    async fn events_of(&self, case_id: Uuid) -> StoreResult<Vec<CaseEvent>> {
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as("SELECT at, actor, action, from_status, to_status, from_unit, to_unit, detail FROM case_events WHERE case_id = $1 ORDER BY at, id")
                .bind(case_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The notes of a case the caller was already allowed to read, newest first; not audited here.
    async fn notes_of(&self, case_id: Uuid, restricted: bool) -> StoreResult<Vec<CaseNote>> {
        let rows: Vec<NoteRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, kind, happened_at, text_sealed, author, created_at FROM case_notes WHERE case_id = $1 ORDER BY happened_at DESC, id DESC")
                .bind(case_id)
                .fetch_all(pool)
                .await?
        });
        let notes = rows
            .into_iter()
            .map(|n| {
                Ok(CaseNote {
                    id: n.id,
                    kind: NoteKind::parse(&n.kind).ok_or_else(|| corrupt("note kind", &n.kind))?,
                    happened_at: n.happened_at,
                    text: if restricted {
                        None
                    } else {
                        self.open_text(
                            "case text",
                            Some(&n.text_sealed),
                            &format!("case_notes.text:{}", n.id),
                        )?
                    },
                    author: n.author,
                    created_at: n.created_at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(notes)
    }

    /// Everything the case page shows, behind one scope check and recorded as one audit event:
    /// the case, its history, plans, reviews and referrals, and its notes for those who work on
    /// cases. The page is read many times a day per case; one event says all of it was shown.
    ///
    /// The case row says which sections have content; an empty one costs no query.
    pub async fn case_file(&self, principal: &Principal, id: Uuid) -> StoreResult<CaseFile> {
        let file = self.load_case_file_row(principal, id).await?;
        let row = &file.case;
        let restricted = row.restricted_for(principal);
        let notes = if file.has_notes && principal.may(Permission::WorkCases) {
            self.notes_of(id, restricted).await?
        } else {
            Vec::new()
        };
        let events = if file.has_events {
            self.events_of(id).await?
        } else {
            Vec::new()
        };
        let plans = if file.has_plans {
            self.plans_of(id, restricted).await?
        } else {
            Vec::new()
        };
        let reviews = if file.has_reviews {
            self.reviews_of(id, restricted).await?
        } else {
            Vec::new()
        };
        let referrals = if file.has_referrals {
            self.referrals_of(principal, id).await?
        } else {
            Vec::new()
        };
        let (assessments, assessable_persons) = if principal.may(Permission::ReadPeople) {
            (
                if file.has_assessments {
                    self.assessments_of(row, restricted).await?
                } else {
                    Vec::new()
                },
                self.assessable_of(principal, row).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let attachments =
            if file.has_attachments && principal.may(Permission::WorkCases) && !restricted {
                self.attachments_of(id).await?
            } else {
                Vec::new()
            };
        let facts = file.facts()?;
        let follow_ups = file.follow_ups();
        let case = self.case_record(principal, file.case, &facts, follow_ups)?;
        self.audit(
            principal,
            AuditEvent::on("case.read", "case", id).with_detail(format!(
                "case file: {} notes, {} plans, {} reviews, {} referrals, {} attachments, {} assessments, {} household members",
                notes.len(),
                plans.len(),
                reviews.len(),
                referrals.len(),
                attachments.len(),
                assessments.len(),
                assessable_persons.len()
            )),
        )
        .await?;
        Ok(CaseFile {
            case,
            notes,
            events,
            plans,
            reviews,
            referrals,
            assessments,
            assessable_persons,
            attachments,
        })
    }

    /// What the principal has to do: deadlines of their cases (a worker) or of the cases in
    /// scope (a supervisor), and a supervisor's decisions waiting. Overdue first, then by due date.
    pub async fn tasks(&self, principal: &Principal) -> StoreResult<Vec<Task>> {
        require(principal, Permission::WorkCases)?;
        let Some((lo, hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        let supervisor = principal.may(Permission::ApproveCases);
        let mut sql = format!(
            "SELECT {CASE_COLUMNS}, {FOLLOW_UP_COLUMNS} {CASE_FROM} WHERE {}",
            scoped(principal)
        );
        if !supervisor {
            sql.push_str(" AND c.worker_user_id = $3");
        }
        // Closed cases owe follow-ups for a year; older ones are done.
        sql.push_str(" AND (c.status <> 'closed' OR c.closed_at >= $4) LIMIT 5000");
        let year_ago = Utc::now() - TimeDelta::days(400);
        // Each case's follow-ups come with it (two probes of the reviews index per case).
        let rows: Vec<TaskRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(principal.user_id).bind(year_ago).fetch_all(pool).await?
        });
        // Limited to the scope's cases (by the admin_unit index), not the nation's.
        let submitted: HashSet<Uuid> = if supervisor {
            let rows: Vec<(Uuid,)> = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT DISTINCT p.case_id FROM support_plans p JOIN cases c ON c.id = p.case_id
                                WHERE c.admin_unit >= $1 AND c.admin_unit < $2
                                  AND c.status IN ('support_plan', 'active', 'monitoring')
                                  AND p.status = 'submitted' AND p.person_agrees IS NOT NULL")
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(pool)
                    .await?
            });
            rows.into_iter().map(|(id,)| id).collect()
        } else {
            HashSet::new()
        };
        let now = Utc::now();
        let deadlines = self.deadlines();
        let mut tasks = Vec::new();
        for TaskRow {
            case: row,
            follow_up_short_done,
            follow_up_long_done,
        } in rows
        {
            let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
            let priority = parse_opt::<Priority>("priority", row.priority.as_deref())?;
            let restricted = row.restricted_for(principal);
            let name =
                (!restricted).then(|| full_name(&row.given_name, row.family_name.as_deref()));
            let home = row
                .admin_unit
                .parse::<AdminUnitCode>()
                .is_ok_and(|u| principal.can_see_unit(&u));
            let task = |kind, due| Task {
                case_id: row.id,
                number: row.external_id.clone(),
                person_name: name.clone(),
                status,
                priority,
                kind,
                due,
            };
            if supervisor && !home {
                tasks.push(task(TaskKind::AcceptTransfer, None));
                continue;
            }
            if supervisor {
                if row.worker_user_id.is_none() && status != CaseStatus::Closed {
                    tasks.push(task(TaskKind::Allocate, None));
                }
                if row.closure_requested_reason.is_some() {
                    tasks.push(task(TaskKind::ApproveClosure, None));
                }
                if submitted.contains(&row.id) {
                    tasks.push(task(TaskKind::ApprovePlan, None));
                }
            }
            let clocks = CaseClocks {
                follow_up_short_done,
                follow_up_long_done,
                ..clocks_of(&row, status, priority)
            };
            for due in deadlines.pending(&clocks, now) {
                tasks.push(task(TaskKind::Deadline, Some(due)));
            }
        }
        tasks.sort_by_key(|t| {
            (
                !t.due.is_some_and(|d| d.overdue),
                t.due.map_or(DateTime::<Utc>::MAX_UTC, |d| d.due_at),
                t.number.clone(),
            )
        });
        self.audit(
            principal,
            AuditEvent::plain("case.tasks").with_detail(format!("{} tasks", tasks.len())),
        )
        .await?;
        Ok(tasks)
    }

    /// The caseload of each worker in scope (a supervisor), or the principal's own (a worker).
    pub async fn caseloads(&self, principal: &Principal) -> StoreResult<Vec<WorkerLoad>> {
        require(principal, Permission::WorkCases)?;
        let Some(scope) = principal.unit_scope().cloned() else {
            return Ok(Vec::new());
        };
        let mut workers: Vec<(Uuid, String)> = if principal.may(Permission::AllocateCases) {
            self.assignable_workers(principal, &scope, false)
                .await?
                .into_iter()
                .map(|w| (w.user_id, w.username))
                .collect()
        } else {
            principal
                .user_id
                .map(|id| (id, principal.actor.clone()))
                .into_iter()
                .collect()
        };
        workers.sort_by(|a, b| a.1.cmp(&b.1));
        let year_ago = local_date(Utc::now()) - TimeDelta::days(365);
        let counts: Vec<(Uuid, String, i64)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT worker_user_id, status, COUNT(*) FROM cases WHERE worker_user_id IS NOT NULL AND status <> 'closed' GROUP BY worker_user_id, status")
                .fetch_all(pool)
                .await?
        });
        let yearly: Vec<(Uuid, i64)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT worker_user_id, COUNT(*) FROM cases WHERE worker_user_id IS NOT NULL AND opened_on >= $1 GROUP BY worker_user_id")
                .bind(year_ago)
                .fetch_all(pool)
                .await?
        });
        let loads = workers
            .into_iter()
            .map(|(user_id, username)| {
                let (mut intensive, mut monitoring) = (0u32, 0u32);
                for (w, status, n) in &counts {
                    if *w != user_id {
                        continue;
                    }
                    let n = u32::try_from(*n).unwrap_or(u32::MAX);
                    match status.parse::<CaseStatus>() {
                        Ok(s) if counts_as_intensive(s) => intensive += n,
                        Ok(CaseStatus::Monitoring) => monitoring += n,
                        _ => {}
                    }
                }
                let last_12_months = yearly
                    .iter()
                    .find(|(w, _)| *w == user_id)
                    .map_or(0, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX));
                WorkerLoad {
                    user_id,
                    username,
                    intensive,
                    monitoring,
                    last_12_months,
                    norm_intensive: NORM_INTENSIVE,
                    norm_monitored: NORM_MONITORED,
                    norm_per_year: NORM_PER_YEAR,
                    over_norm: intensive > NORM_INTENSIVE
                        || monitoring > NORM_MONITORED
                        || last_12_months > NORM_PER_YEAR,
                }
            })
            .collect();
        Ok(loads)
    }
}

fn refused(r: Refusal) -> StoreError {
    StoreError::Refused(r)
}

fn parse_opt<T: std::str::FromStr>(what: &str, v: Option<&str>) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse().map_err(|e| corrupt(what, e)))
        .transpose()
}

fn full_name(given: &str, family: Option<&str>) -> String {
    match family {
        Some(f) if !f.is_empty() => format!("{given} {f}"),
        _ => given.to_owned(),
    }
}

fn clocks_of(row: &CaseRow, status: CaseStatus, priority: Option<Priority>) -> CaseClocks {
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

/// Appends one entry to the case's history inside transaction `$tx` (either backend).
macro_rules! insert_event {
    ($tx:ident, $case:expr, $principal:expr, $action:expr, $from:expr, $to:expr, $from_unit:expr, $to_unit:expr, $detail:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO case_events (id, case_id, at, actor, action, from_status, to_status, from_unit, to_unit, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(Uuid::now_v7())
        .bind($case)
        .bind($at)
        .bind($principal.actor.as_str())
        .bind($action)
        .bind($from.map(CaseStatus::as_str))
        .bind($to.map(CaseStatus::as_str))
        .bind($from_unit)
        .bind($to_unit)
        .bind($detail)
        .execute(&mut *$tx)
        .await?
    };
}
use insert_event;
