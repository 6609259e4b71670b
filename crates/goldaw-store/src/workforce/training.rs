//! Training: the courses (topic, hours, trainer, dates, place), attendance and completion per
//! person, certifications with their expiry, and the ministry's norms (CPD hours a year,
//! supervisions a month). Completed courses' hours are the CPD of the year they were completed.

use super::{short_opt, short_text, today, WorkforceNorms, CPD_NORM_KEY, SUPERVISION_NORM_KEY};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{NaiveDate, TimeDelta, Utc};
use goldaw_core::access::Principal;
use goldaw_core::ids::ExternalId;
use goldaw_core::workforce::{may_add_courses, may_set_norms, staff_sight, Attendance, StaffSight};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A new course.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCourse {
    /// The ministry's id of the course (unique).
    #[schema(value_type = String)]
    pub external_id: ExternalId,
    pub topic: String,
    /// Length in hours (a day is counted as the hours the trainer gives).
    pub hours: u32,
    #[serde(default)]
    pub trainer: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CourseRecord {
    pub id: Uuid,
    pub external_id: String,
    pub topic: String,
    pub hours: i32,
    pub trainer: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub place: String,
}

/// A person's attendance of a course.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub course_id: Uuid,
    /// `enrolled`, `completed` or `not_completed`.
    pub status: String,
    /// The day completed (required when completed; not before the course starts).
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
}

/// A certification given to a person.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationInput {
    pub name: String,
    pub certified_on: NaiveDate,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

/// The course fields checked (shared with the import).
pub(crate) fn check_course(new: &NewCourse) -> StoreResult<(String, String, String)> {
    let topic = short_text("topic", &new.topic)?;
    let trainer = short_opt("trainer", new.trainer.as_deref())?.unwrap_or_default();
    let place = short_opt("place", new.place.as_deref())?.unwrap_or_default();
    if new.hours == 0 || new.hours > 2000 {
        return Err(StoreError::refuse("hours", "store-workforce-hours", vec![]));
    }
    if new.ends_on < new.starts_on {
        return Err(StoreError::refuse(
            "ends_on",
            "store-workforce-course-dates",
            vec![],
        ));
    }
    Ok((topic, trainer, place))
}

impl Store {
    /// Adds a course (the ministry, a supervisor).
    #[tracing::instrument(skip_all)]
    pub async fn create_course(
        &self,
        principal: &Principal,
        new: NewCourse,
    ) -> StoreResult<CourseRecord> {
        if !may_add_courses(principal) {
            return Err(StoreError::Forbidden(
                "only the ministry and supervisors add courses".into(),
            ));
        }
        let (topic, trainer, place) = check_course(&new)?;
        let id = Uuid::now_v7();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.course.create", "course", id)
                .with_detail(new.external_id.to_string()));
            let taken: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_courses WHERE external_id = $1")
                .bind(new.external_id.as_str()).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::refuse("external_id", "store-workforce-id-taken",
                    vec![("id", SayArg::Text(new.external_id.to_string()))]));
            }
            sqlx::query("INSERT INTO workforce_courses (id, external_id, topic, hours, trainer, starts_on, ends_on, place, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(id).bind(new.external_id.as_str()).bind(&topic).bind(new.hours as i32).bind(&trainer)
                .bind(new.starts_on).bind(new.ends_on).bind(&place).bind(Utc::now())
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(CourseRecord {
            id,
            external_id: new.external_id.to_string(),
            topic,
            hours: new.hours as i32,
            trainer,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            place,
        })
    }

    /// The courses, latest first (anyone who reads staff records: a worker picks her course here).
    pub async fn list_courses(&self, principal: &Principal) -> StoreResult<Vec<CourseRecord>> {
        if staff_sight(principal) == StaffSight::Nothing {
            return Err(StoreError::Forbidden(
                "your role keeps no staff records".into(),
            ));
        }
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, external_id, topic, hours, trainer, starts_on, ends_on, place
                              FROM workforce_courses ORDER BY starts_on DESC, external_id LIMIT 500")
                .fetch_all(pool).await?
        }))
    }

    /// Records a person's attendance of a course (the worker herself, her supervisor, the ministry);
    /// a second record for the same course replaces the first (enrolled, then completed).
    #[tracing::instrument(skip_all, fields(staff = %staff))]
    pub async fn record_attendance(
        &self,
        principal: &Principal,
        staff: Uuid,
        input: AttendanceInput,
    ) -> StoreResult<()> {
        let (_, rights) = self.staff_row(principal, staff).await?;
        if !rights.record_training {
            return Err(StoreError::Forbidden(
                "you may not record this person's training".into(),
            ));
        }
        let status: Attendance = super::code("status", &input.status)?;
        let completed_on = match (status, input.completed_on) {
            (Attendance::Completed, Some(d)) => Some(d),
            (Attendance::Completed, None) => {
                return Err(StoreError::refuse(
                    "completed_on",
                    "store-workforce-completed-on",
                    vec![],
                ))
            }
            (_, _) => None,
        };
        if completed_on.is_some_and(|d| d > today() + TimeDelta::days(1)) {
            return Err(StoreError::refuse(
                "completed_on",
                "store-workforce-date-future",
                vec![],
            ));
        }
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.training.record", "staff", staff)
                .with_detail(format!("course {}: {}", input.course_id, status)));
            let course: Option<(NaiveDate,)> = sqlx::query_as("SELECT starts_on FROM workforce_courses WHERE id = $1")
                .bind(input.course_id).fetch_optional(&mut *tx).await?;
            let Some((starts_on,)) = course else {
                return Err(StoreError::refuse("course_id", "store-workforce-course-unknown", vec![]));
            };
            if completed_on.is_some_and(|d| d < starts_on) {
                return Err(StoreError::refuse("completed_on", "store-workforce-course-dates", vec![]));
            }
            sqlx::query("INSERT INTO workforce_attendance (course_id, staff_id, status, completed_on, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (course_id, staff_id) DO UPDATE SET status = excluded.status,
                           completed_on = excluded.completed_on, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at")
                .bind(input.course_id).bind(staff).bind(status.as_str()).bind(completed_on)
                .bind(&principal.actor).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a certification (her supervisor, the ministry).
    #[tracing::instrument(skip_all, fields(staff = %staff))]
    pub async fn record_certification(
        &self,
        principal: &Principal,
        staff: Uuid,
        input: CertificationInput,
    ) -> StoreResult<Uuid> {
        let (person, rights) = self.staff_row(principal, staff).await?;
        if !rights.change {
            return Err(StoreError::Forbidden(
                "only the ministry and supervisors record certification".into(),
            ));
        }
        let name = short_text("name", &input.name)?;
        if input.expires_on.is_some_and(|e| e < input.certified_on) {
            return Err(StoreError::refuse(
                "expires_on",
                "store-workforce-expiry",
                vec![],
            ));
        }
        if input.certified_on > today() + TimeDelta::days(1)
            || input.certified_on < person.hired_on - TimeDelta::days(36600)
        {
            return Err(StoreError::refuse(
                "certified_on",
                "store-workforce-date-future",
                vec![],
            ));
        }
        let id = Uuid::now_v7();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.certification.record", "staff", staff)
                .with_detail(format!("{id} on {}", input.certified_on)));
            sqlx::query("INSERT INTO workforce_certifications (id, staff_id, name, certified_on, expires_on, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id).bind(staff).bind(&name).bind(input.certified_on).bind(input.expires_on)
                .bind(&principal.actor).bind(Utc::now())
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(id)
    }

    /// Sets the ministry's norms (the ministry). Audited with the old and new values.
    pub async fn set_workforce_norms(
        &self,
        principal: &Principal,
        norms: WorkforceNorms,
    ) -> StoreResult<()> {
        if !may_set_norms(principal) {
            return Err(StoreError::Forbidden(
                "only the ministry sets the workforce norms".into(),
            ));
        }
        if norms.cpd_hours > 2000 {
            return Err(StoreError::refuse(
                "cpd_hours",
                "store-workforce-hours",
                vec![],
            ));
        }
        if norms.supervisions_per_month > 30 {
            return Err(StoreError::refuse(
                "supervisions_per_month",
                "store-workforce-norm",
                vec![],
            ));
        }
        let old = self.workforce_norms().await?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::plain("workforce.norms").with_detail(format!(
                "cpd {} -> {}, supervision {} -> {}", old.cpd_hours, norms.cpd_hours,
                old.supervisions_per_month, norms.supervisions_per_month)));
            for (key, value) in [(CPD_NORM_KEY, norms.cpd_hours), (SUPERVISION_NORM_KEY, norms.supervisions_per_month)] {
                sqlx::query("INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,
                               updated_at = excluded.updated_at")
                    .bind(key).bind(value.to_string()).bind(&principal.actor).bind(now)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
