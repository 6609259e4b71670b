//! The hotline's call log (issue #18, docs/survivors.md): every call, also those that end with
//! advice; risk screening; the outcome; follow-up calls linked to the first; a call become a case
//! in one step; the line's queue of call-backs due. Who may read a line's calls is
//! `goldaw_core::hotline::line_sight` (the line's members; the queue: its supervisors).
//!
//! - `lines`: the register of lines and their members (admins, the operator);
//! - `log`: a call logged;
//! - `list`: a line's calls, one call read, the queue of call-backs due;
//! - `to_case`: a call become a case, with what was said carried over.

mod lines;
mod list;
mod log;
mod to_case;

pub use to_case::CallToCase;

use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::Sex;
use goldaw_core::hotline::{line_sight, CallRefusal, LineSight, LineUnseen};
pub use goldaw_core::hotline::{
    AgeBand, CallAbout, CallCategory, CallOutcome, LineRole, RiskScreening,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A hotline line.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    pub id: Uuid,
    /// A short code (`NGO-1`), unique.
    pub code: String,
    pub name: String,
}

/// A new line.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    pub code: String,
    pub name: String,
}

/// A member of a line's staff.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLineMember {
    pub user: Uuid,
    pub line_role: LineRole,
}

/// A call as logged.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// The line's code.
    pub line: String,
    /// When the call came in (now if absent).
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    pub duration_seconds: i64,
    /// A code name the caller chose (`Anon-…` is made if absent).
    #[serde(default)]
    pub caller_code: Option<String>,
    pub caller_age_band: AgeBand,
    #[serde(default)]
    pub caller_sex: Option<Sex>,
    /// The caller's etrap, if given.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub caller_admin_unit: Option<goldaw_core::ids::AdminUnitCode>,
    pub about: CallAbout,
    pub category: CallCategory,
    #[serde(default)]
    pub screening: RiskScreening,
    pub outcome: CallOutcome,
    /// The caller agreed that the emergency be passed to the police or health.
    #[serde(default)]
    pub emergency_consent: bool,
    /// When the line calls back (outcome `call_back_agreed`).
    #[serde(default)]
    pub call_back_at: Option<DateTime<Utc>>,
    /// The first call this one follows up.
    #[serde(default)]
    pub follows: Option<Uuid>,
    /// What was said: sealed.
    #[serde(default)]
    pub summary: Option<String>,
    /// The day of the incident the call is about, if the caller says (not in the future); carried
    /// over to the case the call becomes, and counted in the statistics' time from incident to
    /// report.
    #[serde(default)]
    pub incident_on: Option<NaiveDate>,
}

/// A call as the line's staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallRecord {
    pub id: Uuid,
    pub line: String,
    pub received_at: DateTime<Utc>,
    pub duration_seconds: i64,
    pub taken_by: String,
    pub caller_code: String,
    pub caller_age_band: AgeBand,
    pub caller_sex: Option<Sex>,
    pub caller_admin_unit: Option<String>,
    pub about: CallAbout,
    pub category: CallCategory,
    pub screening: RiskScreening,
    /// Immediate danger or weapons: the case it opens takes the critical deadlines.
    pub critical: bool,
    pub outcome: CallOutcome,
    pub emergency_consent: bool,
    pub call_back_at: Option<DateTime<Utc>>,
    pub follows: Option<Uuid>,
    pub summary: Option<String>,
    /// The case the call became.
    pub case_id: Option<Uuid>,
    pub version: i32,
    /// The day of the incident the call is about, if given.
    pub incident_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CallRow {
    id: Uuid,
    line_id: Uuid,
    line_code: String,
    received_at: DateTime<Utc>,
    duration_seconds: i32,
    taken_by: String,
    caller_code: String,
    caller_age_band: String,
    caller_sex: Option<String>,
    caller_admin_unit: Option<String>,
    about: String,
    category: String,
    immediate_danger: bool,
    children_at_risk: bool,
    weapons: bool,
    previous_incidents: bool,
    outcome: String,
    emergency_consent: bool,
    call_back_at: Option<DateTime<Utc>>,
    follows_call_id: Option<Uuid>,
    summary_sealed: Option<Vec<u8>>,
    case_id: Option<Uuid>,
    version: i32,
    incident_on: Option<NaiveDate>,
}

pub(crate) const SELECT_CALL: &str = "SELECT c.id, c.line_id, l.code AS line_code, c.received_at,
    c.duration_seconds, c.taken_by, c.caller_code, c.caller_age_band, c.caller_sex,
    c.caller_admin_unit, c.about, c.category, c.immediate_danger, c.children_at_risk, c.weapons,
    c.previous_incidents, c.outcome, c.emergency_consent, c.call_back_at, c.follows_call_id,
    c.summary_sealed, c.case_id, c.version, c.incident_on
    FROM hotline_calls c JOIN hotline_lines l ON l.id = c.line_id";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// A refusal of the call log's rule, with its literal key (`hotline.ftl`).
pub(crate) fn call_refused(r: CallRefusal) -> StoreError {
    match r {
        CallRefusal::CallBackNeedsTime => {
            StoreError::refuse("call_back_at", "hotline-call-back-needs-time", vec![])
        }
        CallRefusal::EmergencyNeedsConsent => StoreError::refuse(
            "emergency_consent",
            "hotline-emergency-needs-consent",
            vec![],
        ),
        CallRefusal::AlreadyACase => StoreError::refuse("call", "hotline-already-a-case", vec![]),
        CallRefusal::FollowUpOtherLine => {
            StoreError::refuse("follows", "hotline-follow-up-other-line", vec![])
        }
        CallRefusal::BadDuration => {
            StoreError::refuse("duration_seconds", "hotline-bad-duration", vec![])
        }
    }
}

impl Store {
    /// The line by its code, and what the principal may do with its calls
    /// (`goldaw_core::hotline::line_sight`): `NotFound` for a line that does not exist or of
    /// which the principal is not a member, `Forbidden` for a role that works on no line.
    pub(crate) async fn line_for(
        &self,
        principal: &Principal,
        line_id: Option<Uuid>,
        code: Option<&str>,
    ) -> StoreResult<(Uuid, String, LineSight)> {
        let found: Option<(Uuid, String, Option<String>)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT l.id, l.code, m.line_role FROM hotline_lines l
                 LEFT JOIN hotline_line_members m ON m.line_id = l.id AND m.user_id = $3
                 WHERE l.id = $1 OR l.code = $2",
            )
            .bind(line_id)
            .bind(code)
            .bind(principal.user_id)
            .fetch_optional(pool)
            .await?
        });
        let role = match &found {
            Some((_, _, Some(r))) => {
                Some(r.parse::<LineRole>().map_err(|e| corrupt("line role", e))?)
            }
            _ => None,
        };
        let sight = line_sight(principal, role).map_err(|u| match u {
            LineUnseen::Forbidden => {
                StoreError::Forbidden("your role works on no hotline (HotlineCalls)".into())
            }
            LineUnseen::NotFound => StoreError::NotFound,
        })?;
        let (id, code, _) = found.ok_or(StoreError::NotFound)?;
        Ok((id, code, sight))
    }

    pub(crate) fn call_record(&self, row: CallRow) -> StoreResult<CallRecord> {
        let summary = self.open_text(
            "call text",
            row.summary_sealed.as_deref(),
            &format!("hotline_calls.summary:{}", row.id),
        )?;
        let screening = RiskScreening {
            immediate_danger: row.immediate_danger,
            children_at_risk: row.children_at_risk,
            weapons: row.weapons,
            previous_incidents: row.previous_incidents,
        };
        let _ = row.line_id;
        Ok(CallRecord {
            id: row.id,
            line: row.line_code,
            received_at: row.received_at,
            duration_seconds: i64::from(row.duration_seconds),
            taken_by: row.taken_by,
            caller_code: row.caller_code,
            caller_age_band: row
                .caller_age_band
                .parse()
                .map_err(|e| corrupt("age band", e))?,
            caller_sex: row
                .caller_sex
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| corrupt("sex", e))?,
            caller_admin_unit: row.caller_admin_unit,
            about: row.about.parse().map_err(|e| corrupt("call about", e))?,
            category: row
                .category
                .parse()
                .map_err(|e| corrupt("call category", e))?,
            critical: screening.critical(),
            screening,
            outcome: row
                .outcome
                .parse()
                .map_err(|e| corrupt("call outcome", e))?,
            emergency_consent: row.emergency_consent,
            call_back_at: row.call_back_at,
            follows: row.follows_call_id,
            summary,
            case_id: row.case_id,
            version: row.version,
            incident_on: row.incident_on,
        })
    }

    /// One call row, read through its line's sight.
    pub(crate) async fn call_row(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<(CallRow, LineSight)> {
        let sql = format!("{SELECT_CALL} WHERE c.id = $1");
        let row: Option<CallRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        let Some(row) = row else {
            // The role is refused before existence is told.
            self.line_for(principal, Some(Uuid::nil()), None).await?;
            return Err(StoreError::NotFound);
        };
        let (_, _, sight) = self.line_for(principal, Some(row.line_id), None).await?;
        Ok((row, sight))
    }
}
