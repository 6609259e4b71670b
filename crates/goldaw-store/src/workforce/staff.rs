//! Staff records: hiring (a new record, optionally into a vacant post), reading one with all it
//! holds (audited), listing those in the reader's sight (audited as the ids shown), and leaving (an
//! end date and a reason; the record stays, its post falls vacant from the day after).

use super::{
    code, range_of, short_opt, short_text, today, AttendanceRecord, CareerStep,
    CertificationRecord, StaffFile, StaffRecord, SupervisionRecord, STAFF_COLUMNS,
};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::service_referrals::for_update;
use crate::Store;
use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use goldaw_core::access::Principal;
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::workforce::{
    check_fte, cpd_standing, staff_rights, supervision_due, supervision_overdue, Employment,
    FteProblem, LeavingReason, OrgKind, Position, StaffFacts,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A new staff record.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// The ministry's id of the person (unique).
    #[schema(value_type = String)]
    pub external_id: ExternalId,
    pub given_name: String,
    pub family_name: String,
    /// `F` or `M`.
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// The etrap (or other unit below the country) where she works.
    pub admin_unit: AdminUnitCode,
    pub organisation: String,
    /// `state` or `ngo`.
    pub org_kind: String,
    pub position: String,
    #[serde(default)]
    pub specialism: Option<String>,
    /// `full_time` or `part_time`.
    pub employment: String,
    /// Share of full time in percent; 100 when omitted.
    #[serde(default)]
    pub fte_percent: Option<u32>,
    pub hired_on: NaiveDate,
    #[serde(default)]
    pub degree_social_work: bool,
    /// Languages, e.g. `["tk", "ru"]`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// The username of her account, if she has one.
    #[serde(default)]
    pub username: Option<String>,
    /// Her supervisor's staff record.
    #[serde(default)]
    pub supervisor_id: Option<Uuid>,
    /// A vacant post she fills from her first day.
    #[serde(default)]
    pub post_id: Option<Uuid>,
}

/// Someone leaving: her last day and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveRequest {
    pub version: i32,
    pub left_on: NaiveDate,
    /// `resigned`, `retired`, `contract_ended`, `dismissed`, `moved`, `died`, `other`.
    pub reason: String,
}

/// One line of a list of staff.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StaffSummary {
    pub id: Uuid,
    pub external_id: String,
    pub given_name: String,
    pub family_name: String,
    pub admin_unit: String,
    pub organisation: String,
    pub position: String,
    pub fte_percent: i32,
    pub hired_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

/// Languages as stored: `;`-joined codes of letters (2 to 8), each once.
pub(crate) fn clean_languages(list: &[String]) -> StoreResult<String> {
    let mut out: Vec<String> = Vec::new();
    for l in list {
        let l = l.trim().to_lowercase();
        if l.is_empty() {
            continue;
        }
        if !(2..=8).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(StoreError::refuse(
                "languages",
                "store-workforce-language",
                vec![("language", SayArg::Text(l.chars().take(20).collect()))],
            ));
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Ok(out.join(";"))
}

/// A share of full time refused, with its key.
pub(crate) fn fte_refused(problem: FteProblem) -> StoreError {
    match problem {
        FteProblem::FullTimeNot100 => {
            StoreError::refuse("fte_percent", "store-workforce-fte-full", vec![])
        }
        FteProblem::PartTimeRange => {
            StoreError::refuse("fte_percent", "store-workforce-fte-part", vec![])
        }
    }
}

/// A supervision session as read for a staff record.
type SessionRow = (
    Uuid,
    NaiveDate,
    String,
    Uuid,
    String,
    String,
    String,
    Option<Vec<u8>>,
);

impl Store {
    /// Hires someone: a new staff record (a supervisor in her scope, the ministry, the operator).
    #[tracing::instrument(skip_all)]
    pub async fn hire_staff(
        &self,
        principal: &Principal,
        new: NewStaff,
    ) -> StoreResult<StaffRecord> {
        // Who may: the rule on the record as it will be.
        let rights = staff_rights(
            principal,
            &StaffFacts {
                admin_unit: &new.admin_unit,
                user_id: None,
            },
        );
        if !rights.change {
            return Err(StoreError::Forbidden(
                "only the ministry and supervisors keep staff records, within their scope".into(),
            ));
        }
        self.check_place(&new.admin_unit)?;
        let given_name = short_text("given_name", &new.given_name)?;
        let family_name = short_text("family_name", &new.family_name)?;
        let organisation = short_text("organisation", &new.organisation)?;
        let specialism = short_opt("specialism", new.specialism.as_deref())?;
        let sex = match new.sex.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(code::<goldaw_core::codes::Sex>("sex", s)?.as_str()),
            None => None,
        };
        let org_kind: OrgKind = code("org_kind", &new.org_kind)?;
        let position: Position = code("position", &new.position)?;
        let employment: Employment = code("employment", &new.employment)?;
        let fte = new.fte_percent.unwrap_or(100);
        check_fte(employment, fte).map_err(fte_refused)?;
        let languages = clean_languages(&new.languages)?;
        let today = today();
        if new.hired_on > today + TimeDelta::days(366) {
            return Err(StoreError::refuse(
                "hired_on",
                "store-workforce-date-far",
                vec![],
            ));
        }
        if let Some(b) = new.birth_date {
            if b >= new.hired_on || b.year() < 1900 {
                return Err(StoreError::refuse(
                    "birth_date",
                    "store-workforce-birth-date",
                    vec![],
                ));
            }
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        let lock = for_update(self);
        let post_sql = format!(
            "SELECT admin_unit, holder_id, abolished_on, version FROM workforce_posts WHERE id = $1{lock}"
        );
        let event = AuditEvent::on("workforce.staff.hire", "staff", id).with_detail(format!(
            "{} {} in {}",
            new.external_id,
            position,
            new.admin_unit.as_str()
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let taken: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_staff WHERE external_id = $1")
                .bind(new.external_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::refuse("external_id", "store-workforce-id-taken",
                    vec![("id", SayArg::Text(new.external_id.to_string()))]));
            }
            let user_id: Option<Uuid> = match new.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                None => None,
                Some(name) => {
                    let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
                        .bind(name)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some((uid,)) = found else {
                        return Err(StoreError::refuse("username", "store-workforce-no-account",
                            vec![("username", SayArg::Text(name.chars().take(64).collect()))]));
                    };
                    let linked: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_staff WHERE user_id = $1")
                        .bind(uid)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if linked.is_some() {
                        return Err(StoreError::refuse("username", "store-workforce-account-linked",
                            vec![("username", SayArg::Text(name.to_owned()))]));
                    }
                    Some(uid)
                }
            };
            if let Some(sup) = new.supervisor_id {
                let found: Option<(String, String, Option<NaiveDate>)> = sqlx::query_as(
                    "SELECT admin_unit, position, left_on FROM workforce_staff WHERE id = $1")
                    .bind(sup)
                    .fetch_optional(&mut *tx)
                    .await?;
                let ok = found.is_some_and(|(unit, pos, left)| {
                    left.is_none()
                        && principal.can_see_unit(&AdminUnitCode::from_stored(unit))
                        && pos.parse::<Position>().is_ok_and(|p| p == Position::Supervisor || p == Position::SeniorSocialWorker)
                });
                if !ok {
                    return Err(StoreError::refuse("supervisor_id", "store-workforce-supervisor", vec![]));
                }
            }
            sqlx::query(&format!("INSERT INTO workforce_staff ({}, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, NULL, $15, $16, $17, $18, 1, $19, $19)",
                 STAFF_COLUMNS))
                .bind(id)
                .bind(new.external_id.as_str())
                .bind(&given_name)
                .bind(&family_name)
                .bind(sex)
                .bind(new.birth_date)
                .bind(new.admin_unit.as_str())
                .bind(&organisation)
                .bind(org_kind.as_str())
                .bind(position.as_str())
                .bind(specialism.as_deref())
                .bind(employment.as_str())
                .bind(fte as i32)
                .bind(new.hired_on)
                .bind(new.degree_social_work)
                .bind(&languages)
                .bind(user_id)
                .bind(new.supervisor_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if let Some(post) = new.post_id {
                let found: Option<(String, Option<Uuid>, Option<NaiveDate>, i32)> = sqlx::query_as(&post_sql)
                    .bind(post)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((unit, holder, abolished, version)) = found else {
                    return Err(StoreError::refuse("post_id", "store-workforce-post-unknown", vec![]));
                };
                if holder.is_some() || abolished.is_some() {
                    return Err(StoreError::refuse("post_id", "store-workforce-post-taken", vec![]));
                }
                if !AdminUnitCode::from_stored(unit.clone()).is_within(&new.admin_unit)
                    && !new.admin_unit.is_within(&AdminUnitCode::from_stored(unit.clone()))
                {
                    return Err(StoreError::refuse("post_id", "store-workforce-post-other-unit",
                        vec![("unit", SayArg::Text(unit))]));
                }
                let done = sqlx::query("UPDATE workforce_posts SET holder_id = $1, since = $2, version = version + 1, updated_at = $3
                                        WHERE id = $4 AND version = $5")
                    .bind(id)
                    .bind(new.hired_on)
                    .bind(now)
                    .bind(post)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict { expected: version, actual: version + 1 });
                }
            }
            tx.commit().await?;
        });
        let (row, _) = self.staff_row(principal, id).await?;
        Ok(row)
    }

    /// One staff record with its training, certification, CPD, supervision and career (audited
    /// `workforce.staff.read`). `NotFound` outside the reader's sight.
    #[tracing::instrument(skip_all, fields(staff = %id))]
    pub async fn staff_file(&self, principal: &Principal, id: Uuid) -> StoreResult<StaffFile> {
        let (staff, rights) = self.staff_row(principal, id).await?;
        let norms = self.workforce_norms().await?;
        let today = today();
        let year = today.year();
        let (supervisor, post, training, certs, sessions, career) = with_db!(self.db(), pool => {
            let supervisor: Option<(String, String)> = match staff.supervisor_id {
                Some(s) => sqlx::query_as("SELECT given_name, family_name FROM workforce_staff WHERE id = $1")
                    .bind(s).fetch_optional(pool).await?,
                None => None,
            };
            let post: Option<(String,)> = sqlx::query_as("SELECT external_id FROM workforce_posts WHERE holder_id = $1")
                .bind(id).fetch_optional(pool).await?;
            let training: Vec<AttendanceRecord> = sqlx::query_as(
                "SELECT c.id AS course_id, c.external_id AS course, c.topic, c.hours, c.ends_on, a.status, a.completed_on
                   FROM workforce_attendance a JOIN workforce_courses c ON c.id = a.course_id
                  WHERE a.staff_id = $1 ORDER BY c.ends_on DESC, c.external_id")
                .bind(id).fetch_all(pool).await?;
            let certs: Vec<CertificationRecord> = sqlx::query_as(
                "SELECT id, name, certified_on, expires_on FROM workforce_certifications
                  WHERE staff_id = $1 ORDER BY certified_on DESC, id")
                .bind(id).fetch_all(pool).await?;
            let sessions: Vec<SessionRow> = sqlx::query_as(
                "SELECT s.id, s.held_on, s.form, s.supervisor_id, sup.given_name, sup.family_name, s.case_codes, s.actions_sealed
                   FROM workforce_supervisions s
                   JOIN workforce_staff sup ON sup.id = s.supervisor_id
                  WHERE s.supervisor_id = $1
                     OR s.id IN (SELECT supervision_id FROM workforce_supervision_workers WHERE staff_id = $1)
                  ORDER BY s.held_on DESC, s.id DESC LIMIT 100")
                .bind(id).fetch_all(pool).await?;
            let career: Vec<CareerStep> = sqlx::query_as(
                "SELECT from_position, to_position, effective_on FROM workforce_career_steps
                  WHERE staff_id = $1 ORDER BY effective_on, id")
                .bind(id).fetch_all(pool).await?;
            (supervisor, post, training, certs, sessions, career)
        });
        let certifications = certs
            .into_iter()
            .map(|mut c| {
                c.in_force =
                    goldaw_core::workforce::certified_on(c.certified_on, c.expires_on, today);
                c
            })
            .collect();
        let hours: u32 = training
            .iter()
            .filter(|t| t.status == "completed" && t.completed_on.is_some_and(|d| d.year() == year))
            .map(|t| u32::try_from(t.hours).unwrap_or(0))
            .sum();
        // The agreed actions are for the supervising side: not for the worker's own reading.
        let may_read_actions = rights.change;
        let mut supervisions = Vec::with_capacity(sessions.len());
        let mut last_received: Option<NaiveDate> = None;
        for (sid, held_on, form, sup_id, g, f, cases, sealed) in sessions {
            if sup_id != id {
                last_received = Some(last_received.map_or(held_on, |d: NaiveDate| d.max(held_on)));
            }
            let actions = if may_read_actions {
                self.open_text(
                    "supervision actions",
                    sealed.as_deref(),
                    &format!("workforce_supervisions.actions:{sid}"),
                )?
            } else {
                None
            };
            supervisions.push(SupervisionRecord {
                id: sid,
                held_on,
                form,
                supervisor_id: sup_id,
                supervisor: format!("{g} {f}"),
                cases: cases
                    .split(';')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                actions,
            });
        }
        let due = if staff.left_on.is_none() {
            supervision_due(last_received, staff.hired_on, norms.supervisions_per_month)
        } else {
            None
        };
        self.audit(
            principal,
            AuditEvent::on("workforce.staff.read", "staff", id),
        )
        .await?;
        Ok(StaffFile {
            supervisor: supervisor.map(|(g, f)| format!("{g} {f}")),
            post: post.map(|(p,)| p),
            training,
            certifications,
            cpd: cpd_standing(year, hours, norms.cpd_hours),
            supervisions,
            supervision_due: due,
            supervision_overdue: supervision_overdue(due, today),
            career,
            may_change: rights.change,
            may_record_training: rights.record_training,
            may_supervise: rights.supervise,
            staff,
        })
    }

    /// The staff records in the reader's sight (the ministry and supervisors: their scope, or
    /// `unit` inside it; a worker: her own), by unit and name; with `current` only those in post.
    /// Audited as the ids shown.
    #[tracing::instrument(skip_all)]
    pub async fn list_staff(
        &self,
        principal: &Principal,
        unit: Option<&AdminUnitCode>,
        current: bool,
    ) -> StoreResult<Vec<StaffSummary>> {
        let Some((mut lo, mut hi, own)) = self.staff_bounds(principal) else {
            return Err(StoreError::Forbidden(
                "your role keeps no staff records".into(),
            ));
        };
        if let Some(u) = unit {
            let scope = AdminUnitCode::from_stored(lo.clone());
            if !u.is_within(&scope) {
                return Err(StoreError::NotFound);
            }
            (lo, hi) = range_of(u);
        }
        let rows: Vec<StaffSummary> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT id, external_id, given_name, family_name, admin_unit, organisation, position, fte_percent, hired_on, left_on
                   FROM workforce_staff
                  WHERE admin_unit >= $1 AND admin_unit < $2 AND ($3 IS NULL OR user_id = $3)
                    AND (NOT $4 OR left_on IS NULL OR left_on >= $5)
                  ORDER BY admin_unit, family_name, given_name, id LIMIT 2000")
                .bind(&lo)
                .bind(&hi)
                .bind(own)
                .bind(current)
                .bind(today())
                .fetch_all(pool)
                .await?
        });
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("workforce.staff.list").with_detail(ids.join(",")),
        )
        .await?;
        Ok(rows)
    }

    /// Someone leaves: her last day and the reason. The record stays; a post she held falls vacant
    /// from the day after; her team's supervision goes to no one until reassigned.
    #[tracing::instrument(skip_all, fields(staff = %id))]
    pub async fn staff_leaves(
        &self,
        principal: &Principal,
        id: Uuid,
        request: LeaveRequest,
    ) -> StoreResult<StaffRecord> {
        let (staff, rights) = self.staff_row(principal, id).await?;
        if !rights.change {
            return Err(StoreError::Forbidden(
                "only the ministry and supervisors record leaving".into(),
            ));
        }
        let reason: LeavingReason = code("reason", &request.reason)?;
        if request.left_on < staff.hired_on {
            return Err(StoreError::refuse(
                "left_on",
                "store-workforce-left-before-hired",
                vec![],
            ));
        }
        if request.left_on > today() + TimeDelta::days(366) {
            return Err(StoreError::refuse(
                "left_on",
                "store-workforce-date-far",
                vec![],
            ));
        }
        let vacant_from = request.left_on + TimeDelta::days(1);
        let now = Utc::now();
        let lock = for_update(self);
        let now_sql = format!("SELECT left_on, version FROM workforce_staff WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.staff.leave", "staff", id)
                .with_detail(format!("{} on {}", reason, request.left_on)));
            let (left, version): (Option<NaiveDate>, i32) = sqlx::query_as(&now_sql)
                .bind(id).fetch_one(&mut *tx).await?;
            if left.is_some() {
                return Err(StoreError::refuse("left_on", "store-workforce-already-left", vec![]));
            }
            if version != request.version {
                return Err(StoreError::Conflict { expected: request.version, actual: version });
            }
            let done = sqlx::query("UPDATE workforce_staff SET left_on = $1, leaving_reason = $2, version = version + 1, updated_at = $3
                                    WHERE id = $4 AND version = $5")
                .bind(request.left_on)
                .bind(reason.as_str())
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            sqlx::query("UPDATE workforce_posts SET holder_id = NULL, since = $1, version = version + 1, updated_at = $2 WHERE holder_id = $3")
                .bind(vacant_from)
                .bind(now)
                .bind(id)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(self.staff_row(principal, id).await?.0)
    }
}
