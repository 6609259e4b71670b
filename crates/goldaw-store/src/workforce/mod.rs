//! The social workforce register (issue #22; docs/workforce.md): staff records, the establishment
//! of funded posts, training, certification and CPD, supervision, careers, the register against the
//! plan, and the bulk CSV import and export.
//!
//! By use case: `staff.rs` (hire, read, list, leave), `posts.rs` (the establishment, filling a
//! post), `training.rs` (courses, attendance, certification, the ministry's norms),
//! `supervision.rs` (sessions, and overdue supervision as the supervisor's task), `careers.rs`
//! (promotions), `plan.rs` (actual stock per etrap, velayat and nation beside the requirement and
//! the projection), `interchange.rs` (CSV import and export, all or nothing).
//!
//! Who may read and change what is `goldaw_core::workforce::staff_rights` (and `staff_sight` for
//! lists): a record the reader may not read is `NotFound`, the same as one that does not exist.
//! Every read of a staff record is audited (`workforce.staff.read`), a list as the ids shown.

mod careers;
mod interchange;
mod plan;
mod posts;
mod staff;
mod supervision;
mod training;

pub use careers::PromotionRequest;
pub use interchange::{WorkforceFiles, WORKFORCE_FILES};
pub use plan::{ProjectedYear, WorkforcePlan};
pub use posts::{NewPost, PostRecord};
pub use staff::{LeaveRequest, NewStaff, StaffSummary};
pub use supervision::{NewSupervision, SupervisionTask};
pub use training::{AttendanceInput, CertificationInput, CourseRecord, NewCourse};

use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::Principal;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::workforce::{
    staff_rights, staff_sight, CpdStanding, StaffFacts, StaffRights, StaffSight, DEFAULT_CPD_HOURS,
    DEFAULT_SUPERVISIONS_PER_MONTH,
};
use serde::Serialize;
use uuid::Uuid;

/// The settings keys of the ministry's norms.
pub const CPD_NORM_KEY: &str = "workforce.cpd_hours";
pub const SUPERVISION_NORM_KEY: &str = "workforce.supervisions_per_month";

/// One staff record as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StaffRecord {
    pub id: Uuid,
    /// The ministry's id of the person (the key of `staff.csv`).
    pub external_id: String,
    pub given_name: String,
    pub family_name: String,
    pub sex: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub admin_unit: String,
    pub organisation: String,
    /// `state` or `ngo`.
    pub org_kind: String,
    /// `social_worker`, `senior_social_worker`, `supervisor`, `specialist`, `juvenile_inspector`.
    pub position: String,
    pub specialism: Option<String>,
    /// `full_time` or `part_time`.
    pub employment: String,
    /// Share of full time in percent (100 for full time).
    pub fte_percent: i32,
    pub hired_on: NaiveDate,
    /// The last day in post; with `leaving_reason`, set once someone left (nothing is deleted).
    pub left_on: Option<NaiveDate>,
    pub leaving_reason: Option<String>,
    pub degree_social_work: bool,
    /// Languages spoken, `;`-separated (`tk;ru`).
    pub languages: String,
    /// The user account linked to the record, if any.
    pub user_id: Option<Uuid>,
    /// The supervisor's staff record.
    pub supervisor_id: Option<Uuid>,
    pub version: i32,
}

pub(crate) const STAFF_COLUMNS: &str = "id, external_id, given_name, family_name, sex, birth_date, admin_unit, organisation,
    org_kind, position, specialism, employment, fte_percent, hired_on, left_on, leaving_reason, degree_social_work,
    languages, user_id, supervisor_id, version";

/// A course attended, as a staff record shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AttendanceRecord {
    pub course_id: Uuid,
    pub course: String,
    pub topic: String,
    pub hours: i32,
    pub ends_on: NaiveDate,
    /// `enrolled`, `completed` or `not_completed`.
    pub status: String,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CertificationRecord {
    pub id: Uuid,
    pub name: String,
    pub certified_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    /// In force today.
    #[sqlx(skip)]
    pub in_force: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CareerStep {
    pub from_position: String,
    pub to_position: String,
    pub effective_on: NaiveDate,
}

/// A supervision session as a staff record shows it (the agreed actions only to the supervisor's
/// side: her scope's supervisors and the ministry).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupervisionRecord {
    pub id: Uuid,
    pub held_on: NaiveDate,
    /// `one_to_one` or `group`.
    pub form: String,
    pub supervisor_id: Uuid,
    pub supervisor: String,
    /// Case codes discussed.
    pub cases: Vec<String>,
    pub actions: Option<String>,
}

/// A staff record with everything it holds, as its page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffFile {
    pub staff: StaffRecord,
    pub supervisor: Option<String>,
    pub post: Option<String>,
    pub training: Vec<AttendanceRecord>,
    pub certifications: Vec<CertificationRecord>,
    /// This year's CPD hours against the ministry's norm.
    pub cpd: CpdStanding,
    pub supervisions: Vec<SupervisionRecord>,
    /// When the next supervision is due by the norm (none: no norm, or she has left).
    pub supervision_due: Option<NaiveDate>,
    pub supervision_overdue: bool,
    pub career: Vec<CareerStep>,
    /// What the reader may do with this record.
    pub may_change: bool,
    pub may_record_training: bool,
    pub may_supervise: bool,
}

/// The ministry's norms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WorkforceNorms {
    /// Hours of continuing professional development a year.
    pub cpd_hours: u32,
    /// Supervision sessions a month per worker (0: none required).
    pub supervisions_per_month: u32,
}

impl Default for WorkforceNorms {
    fn default() -> Self {
        WorkforceNorms {
            cpd_hours: DEFAULT_CPD_HOURS,
            supervisions_per_month: DEFAULT_SUPERVISIONS_PER_MONTH,
        }
    }
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Today in the country's time zone.
pub(crate) fn today() -> NaiveDate {
    goldaw_core::deadlines::local_date(chrono::Utc::now())
}

/// A short text field: trimmed, required, at most 200 characters.
pub(crate) fn short_text(field: &str, text: &str) -> StoreResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::refuse(
            field,
            "store-workforce-required",
            vec![("field", SayArg::Text(field.to_owned()))],
        ));
    }
    if t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(StoreError::refuse(
            field,
            "store-workforce-text",
            vec![("field", SayArg::Text(field.to_owned()))],
        ));
    }
    Ok(t.to_owned())
}

/// An optional short text field.
pub(crate) fn short_opt(field: &str, text: Option<&str>) -> StoreResult<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => short_text(field, t).map(Some),
    }
}

/// Parses a code of the register, refusing with the field named.
pub(crate) fn code<T: std::str::FromStr>(field: &str, value: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| {
        StoreError::refuse(
            field,
            "store-workforce-code",
            vec![
                ("field", SayArg::Text(field.to_owned())),
                ("problem", SayArg::Text(e.to_string())),
            ],
        )
    })
}

/// `(low, high)` of a unit's range of codes (`scope.rs`).
pub(crate) fn range_of(unit: &AdminUnitCode) -> (String, String) {
    (unit.as_str().to_owned(), format!("{}.", unit.as_str()))
}

impl Store {
    /// The staff record `id` as the reader may see it, with what she may do; `NotFound` when she
    /// may not read it (as for a record that does not exist). Not audited: callers audit.
    pub(crate) async fn staff_row(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<(StaffRecord, StaffRights)> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM workforce_staff WHERE id = $1");
        let row: Option<StaffRecord> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let unit = AdminUnitCode::from_stored(row.admin_unit.clone());
        let rights = staff_rights(
            principal,
            &StaffFacts {
                admin_unit: &unit,
                user_id: row.user_id,
            },
        );
        if !rights.read {
            return Err(StoreError::NotFound);
        }
        Ok((row, rights))
    }

    /// The SQL condition and its binds for the staff records a reader's lists hold
    /// (`staff_sight`): `(low, high, own)`; `None` when she sees none.
    pub(crate) fn staff_bounds(
        &self,
        principal: &Principal,
    ) -> Option<(String, String, Option<Uuid>)> {
        match staff_sight(principal) {
            StaffSight::Unit(unit) => {
                let (lo, hi) = range_of(&unit);
                Some((lo, hi, None))
            }
            StaffSight::Own(id) => principal.unit_scope().map(|u| {
                let (lo, hi) = range_of(u);
                (lo, hi, Some(id))
            }),
            StaffSight::Nothing => None,
        }
    }

    /// The ministry's norms in force (its settings, or the defaults).
    pub async fn workforce_norms(&self) -> StoreResult<WorkforceNorms> {
        let rows: Vec<(String, String)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT key, value FROM settings WHERE key IN ($1, $2)")
                .bind(CPD_NORM_KEY)
                .bind(SUPERVISION_NORM_KEY)
                .fetch_all(pool)
                .await?
        });
        let mut norms = WorkforceNorms::default();
        for (key, value) in rows {
            let n: u32 = value.parse().map_err(|e| corrupt(&key, e))?;
            if key == CPD_NORM_KEY {
                norms.cpd_hours = n;
            } else {
                norms.supervisions_per_month = n;
            }
        }
        Ok(norms)
    }
}

impl Store {
    /// The share of full time of each user account linked to a staff record in post (for the
    /// caseload norm per worker, `cases/caseloads.rs`).
    pub(crate) async fn fte_by_user(&self) -> StoreResult<std::collections::BTreeMap<Uuid, u32>> {
        let rows: Vec<(Uuid, i32)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT user_id, fte_percent FROM workforce_staff WHERE user_id IS NOT NULL AND left_on IS NULL")
                .fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(u, p)| (u, u32::try_from(p).unwrap_or(100)))
            .collect())
    }
}
