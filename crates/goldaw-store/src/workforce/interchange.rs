//! Bulk import and export of the register in the interchange style (docs/workforce.md, "Files"):
//! `staff.csv`, `posts.csv`, `courses.csv` and `training.csv`, keyed by the ministry's ids. An
//! import is one transaction: all or nothing; the first refused row is named by file, line and
//! column. Rows update the record with the same id, or add one. Only the operator imports (the
//! `goldaw workforce import` command); export writes the same files, which import again.

use super::{
    code, short_opt, short_text, staff::clean_languages, training::check_course, NewCourse,
};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::interchange::ImportError;
use crate::people::require;
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::Sex;
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::workforce::{check_fte, Attendance, Employment, LeavingReason, OrgKind, Position};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The files, in import order.
pub const WORKFORCE_FILES: [&str; 4] = ["staff.csv", "courses.csv", "posts.csv", "training.csv"];

const STAFF_HEADER: [&str; 18] = [
    "staff_id",
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "admin_unit",
    "organisation",
    "org_kind",
    "position",
    "specialism",
    "employment",
    "fte_percent",
    "hired_on",
    "left_on",
    "leaving_reason",
    "degree_social_work",
    "languages",
    "supervisor_id",
];
const COURSES_HEADER: [&str; 7] = [
    "course_id",
    "topic",
    "hours",
    "trainer",
    "starts_on",
    "ends_on",
    "place",
];
const POSTS_HEADER: [&str; 9] = [
    "post_id",
    "admin_unit",
    "organisation",
    "position",
    "fte_percent",
    "funded_from",
    "abolished_on",
    "holder_staff_id",
    "since",
];
const TRAINING_HEADER: [&str; 4] = ["course_id", "staff_id", "status", "completed_on"];

/// The texts of the files given (any of the four).
#[derive(Debug, Clone, Default)]
pub struct WorkforceFiles {
    pub staff: Option<String>,
    pub courses: Option<String>,
    pub posts: Option<String>,
    pub training: Option<String>,
}

fn refused(file: &str, line: u64, column: Option<&str>, message: impl Into<String>) -> StoreError {
    StoreError::Import(ImportError {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        message: message.into(),
    })
}

/// A store refusal of one cell, named by file, line and column.
fn cell_refused(file: &str, line: u64, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid { field, message, .. } => refused(file, line, Some(&field), message),
        other => other,
    }
}

/// One file's rows as (line, column name → value), after checking the header.
fn rows(
    file: &str,
    text: &str,
    header: &[&str],
) -> StoreResult<Vec<(u64, BTreeMap<String, String>)>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let found: Vec<String> = reader
        .headers()
        .map_err(|e| refused(file, 1, None, e.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    if found != header {
        return Err(refused(
            file,
            1,
            None,
            format!("the header must be: {}", header.join(",")),
        ));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            refused(file, line, None, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(refused(
                file,
                line,
                None,
                format!("{} fields, expected {}", record.len(), header.len()),
            ));
        }
        let map = header
            .iter()
            .zip(record.iter())
            .map(|(h, v)| ((*h).to_owned(), v.trim().to_owned()))
            .collect();
        out.push((line, map));
    }
    Ok(out)
}

fn opt(row: &BTreeMap<String, String>, col: &str) -> Option<String> {
    row.get(col).filter(|v| !v.is_empty()).cloned()
}

fn date(
    file: &str,
    line: u64,
    row: &BTreeMap<String, String>,
    col: &str,
) -> StoreResult<Option<NaiveDate>> {
    opt(row, col)
        .map(|v| {
            v.parse::<NaiveDate>().map_err(|_| {
                refused(
                    file,
                    line,
                    Some(col),
                    format!("'{v}' is not a date (YYYY-MM-DD)"),
                )
            })
        })
        .transpose()
}

fn required<T>(file: &str, line: u64, col: &str, v: Option<T>) -> StoreResult<T> {
    v.ok_or_else(|| refused(file, line, Some(col), "required"))
}

fn number(
    file: &str,
    line: u64,
    row: &BTreeMap<String, String>,
    col: &str,
) -> StoreResult<Option<u32>> {
    opt(row, col)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                refused(
                    file,
                    line,
                    Some(col),
                    format!("'{v}' is not a whole number"),
                )
            })
        })
        .transpose()
}

fn id_of(
    file: &str,
    line: u64,
    row: &BTreeMap<String, String>,
    col: &str,
) -> StoreResult<ExternalId> {
    let v = required(file, line, col, opt(row, col))?;
    v.parse()
        .map_err(|e: goldaw_core::ParseError| refused(file, line, Some(col), e.to_string()))
}

impl Store {
    /// Imports the register's files (the operator): all or nothing.
    #[tracing::instrument(skip_all)]
    pub async fn import_workforce(
        &self,
        principal: &Principal,
        files: &WorkforceFiles,
    ) -> StoreResult<Vec<(String, u64)>> {
        require(principal, Permission::BulkData)?;
        let catalogue = self.catalogue();
        let now = Utc::now();
        let mut counts: Vec<(String, u64)> = Vec::new();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::plain("workforce.import"));
            // staff.csv, then each supervisor link (a supervisor may come later in the file).
            if let Some(text) = &files.staff {
                let file = "staff.csv";
                let rows = rows(file, text, &STAFF_HEADER)?;
                let mut links: Vec<(u64, Uuid, String)> = Vec::new();
                let mut seen: BTreeMap<String, u64> = BTreeMap::new();
                for (line, row) in &rows {
                    let line = *line;
                    let ext = id_of(file, line, row, "staff_id")?;
                    if let Some(first) = seen.insert(ext.to_string(), line) {
                        return Err(refused(file, line, Some("staff_id"), format!("'{ext}' is also on line {first}")));
                    }
                    let c = |e| cell_refused(file, line, e);
                    let given = short_text("given_name", row.get("given_name").map_or("", String::as_str)).map_err(c)?;
                    let family = short_text("family_name", row.get("family_name").map_or("", String::as_str)).map_err(c)?;
                    let sex = opt(row, "sex").map(|s| code::<Sex>("sex", &s)).transpose().map_err(c)?;
                    let birth = date(file, line, row, "birth_date")?;
                    let unit_text = required(file, line, "admin_unit", opt(row, "admin_unit"))?;
                    let unit: AdminUnitCode = unit_text.parse().map_err(|e: goldaw_core::ParseError| refused(file, line, Some("admin_unit"), e.to_string()))?;
                    if !catalogue.has_admin_unit(unit.as_str()) || unit.as_str() == "TM" {
                        return Err(refused(file, line, Some("admin_unit"), format!("'{unit_text}' is not an administrative unit below the country")));
                    }
                    let org = short_text("organisation", row.get("organisation").map_or("", String::as_str)).map_err(c)?;
                    let org_kind: OrgKind = code("org_kind", row.get("org_kind").map_or("", String::as_str)).map_err(c)?;
                    let position: Position = code("position", row.get("position").map_or("", String::as_str)).map_err(c)?;
                    let specialism = short_opt("specialism", opt(row, "specialism").as_deref()).map_err(c)?;
                    let employment: Employment = code("employment", row.get("employment").map_or("", String::as_str)).map_err(c)?;
                    let fte = number(file, line, row, "fte_percent")?.unwrap_or(100);
                    check_fte(employment, fte).map_err(|p| refused(file, line, Some("fte_percent"), crate::error::english(p.key(), &[])))?;
                    let hired = required(file, line, "hired_on", date(file, line, row, "hired_on")?)?;
                    let left = date(file, line, row, "left_on")?;
                    let reason = opt(row, "leaving_reason").map(|r| code::<LeavingReason>("leaving_reason", &r)).transpose().map_err(c)?;
                    if left.is_some() != reason.is_some() {
                        return Err(refused(file, line, Some("leaving_reason"), "left_on and leaving_reason go together"));
                    }
                    if left.is_some_and(|l| l < hired) {
                        return Err(refused(file, line, Some("left_on"), "before hired_on"));
                    }
                    let degree = match opt(row, "degree_social_work").as_deref() {
                        None | Some("0") | Some("false") | Some("no") => false,
                        Some("1") | Some("true") | Some("yes") => true,
                        Some(v) => return Err(refused(file, line, Some("degree_social_work"), format!("'{v}' is not yes or no"))),
                    };
                    let languages: Vec<String> = opt(row, "languages").unwrap_or_default().split(';').map(str::to_owned).collect();
                    let languages = clean_languages(&languages).map_err(c)?;
                    let existing: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_staff WHERE external_id = $1")
                        .bind(ext.as_str()).fetch_optional(&mut *tx).await?;
                    let id = match existing {
                        Some((id,)) => {
                            sqlx::query("UPDATE workforce_staff SET given_name = $1, family_name = $2, sex = $3, birth_date = $4, admin_unit = $5,
                                           organisation = $6, org_kind = $7, position = $8, specialism = $9, employment = $10, fte_percent = $11,
                                           hired_on = $12, left_on = $13, leaving_reason = $14, degree_social_work = $15, languages = $16,
                                           version = version + 1, updated_at = $17 WHERE id = $18")
                                .bind(&given).bind(&family).bind(sex.map(Sex::as_str)).bind(birth).bind(unit.as_str())
                                .bind(&org).bind(org_kind.as_str()).bind(position.as_str()).bind(specialism.as_deref())
                                .bind(employment.as_str()).bind(fte as i32).bind(hired).bind(left).bind(reason.map(LeavingReason::as_str))
                                .bind(degree).bind(&languages).bind(now).bind(id)
                                .execute(&mut *tx).await?;
                            id
                        }
                        None => {
                            let id = Uuid::now_v7();
                            sqlx::query("INSERT INTO workforce_staff (id, external_id, given_name, family_name, sex, birth_date, admin_unit,
                                           organisation, org_kind, position, specialism, employment, fte_percent, hired_on, left_on,
                                           leaving_reason, degree_social_work, languages, version, created_at, updated_at)
                                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $19)")
                                .bind(id).bind(ext.as_str()).bind(&given).bind(&family).bind(sex.map(Sex::as_str)).bind(birth)
                                .bind(unit.as_str()).bind(&org).bind(org_kind.as_str()).bind(position.as_str())
                                .bind(specialism.as_deref()).bind(employment.as_str()).bind(fte as i32).bind(hired).bind(left)
                                .bind(reason.map(LeavingReason::as_str)).bind(degree).bind(&languages).bind(now)
                                .execute(&mut *tx).await?;
                            id
                        }
                    };
                    if let Some(sup) = opt(row, "supervisor_id") {
                        links.push((line, id, sup));
                    } else {
                        sqlx::query("UPDATE workforce_staff SET supervisor_id = NULL WHERE id = $1").bind(id).execute(&mut *tx).await?;
                    }
                }
                for (line, id, sup) in links {
                    let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_staff WHERE external_id = $1")
                        .bind(&sup).fetch_optional(&mut *tx).await?;
                    let Some((sup_id,)) = found else {
                        return Err(refused(file, line, Some("supervisor_id"), format!("no staff record '{sup}'")));
                    };
                    if sup_id == id {
                        return Err(refused(file, line, Some("supervisor_id"), "a person does not supervise herself"));
                    }
                    sqlx::query("UPDATE workforce_staff SET supervisor_id = $1 WHERE id = $2").bind(sup_id).bind(id).execute(&mut *tx).await?;
                }
                counts.push((file.to_owned(), rows.len() as u64));
            }
            if let Some(text) = &files.courses {
                let file = "courses.csv";
                let rows = rows(file, text, &COURSES_HEADER)?;
                let mut seen: BTreeMap<String, u64> = BTreeMap::new();
                for (line, row) in &rows {
                    let line = *line;
                    let ext = id_of(file, line, row, "course_id")?;
                    if let Some(first) = seen.insert(ext.to_string(), line) {
                        return Err(refused(file, line, Some("course_id"), format!("'{ext}' is also on line {first}")));
                    }
                    let course = NewCourse {
                        external_id: ext.clone(),
                        topic: row.get("topic").cloned().unwrap_or_default(),
                        hours: required(file, line, "hours", number(file, line, row, "hours")?)?,
                        trainer: opt(row, "trainer"),
                        starts_on: required(file, line, "starts_on", date(file, line, row, "starts_on")?)?,
                        ends_on: required(file, line, "ends_on", date(file, line, row, "ends_on")?)?,
                        place: opt(row, "place"),
                    };
                    let (topic, trainer, place) = check_course(&course).map_err(|e| cell_refused(file, line, e))?;
                    let existing: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_courses WHERE external_id = $1")
                        .bind(ext.as_str()).fetch_optional(&mut *tx).await?;
                    match existing {
                        Some((id,)) => {
                            sqlx::query("UPDATE workforce_courses SET topic = $1, hours = $2, trainer = $3, starts_on = $4, ends_on = $5, place = $6 WHERE id = $7")
                                .bind(&topic).bind(course.hours as i32).bind(&trainer).bind(course.starts_on).bind(course.ends_on).bind(&place).bind(id)
                                .execute(&mut *tx).await?;
                        }
                        None => {
                            sqlx::query("INSERT INTO workforce_courses (id, external_id, topic, hours, trainer, starts_on, ends_on, place, created_at)
                                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                                .bind(Uuid::now_v7()).bind(ext.as_str()).bind(&topic).bind(course.hours as i32).bind(&trainer)
                                .bind(course.starts_on).bind(course.ends_on).bind(&place).bind(now)
                                .execute(&mut *tx).await?;
                        }
                    }
                }
                counts.push((file.to_owned(), rows.len() as u64));
            }
            if let Some(text) = &files.posts {
                let file = "posts.csv";
                let rows = rows(file, text, &POSTS_HEADER)?;
                let mut seen: BTreeMap<String, u64> = BTreeMap::new();
                let mut holders: BTreeMap<Uuid, u64> = BTreeMap::new();
                for (line, row) in &rows {
                    let line = *line;
                    let ext = id_of(file, line, row, "post_id")?;
                    if let Some(first) = seen.insert(ext.to_string(), line) {
                        return Err(refused(file, line, Some("post_id"), format!("'{ext}' is also on line {first}")));
                    }
                    let c = |e| cell_refused(file, line, e);
                    let unit_text = required(file, line, "admin_unit", opt(row, "admin_unit"))?;
                    let unit: AdminUnitCode = unit_text.parse().map_err(|e: goldaw_core::ParseError| refused(file, line, Some("admin_unit"), e.to_string()))?;
                    if !catalogue.has_admin_unit(unit.as_str()) || unit.as_str() == "TM" {
                        return Err(refused(file, line, Some("admin_unit"), format!("'{unit_text}' is not an administrative unit below the country")));
                    }
                    let org = short_text("organisation", row.get("organisation").map_or("", String::as_str)).map_err(c)?;
                    let position: Position = code("position", row.get("position").map_or("", String::as_str)).map_err(c)?;
                    let fte = number(file, line, row, "fte_percent")?.unwrap_or(100);
                    if !(1..=100).contains(&fte) {
                        return Err(refused(file, line, Some("fte_percent"), "a share of full time from 1 to 100"));
                    }
                    let funded = required(file, line, "funded_from", date(file, line, row, "funded_from")?)?;
                    let abolished = date(file, line, row, "abolished_on")?;
                    let since = date(file, line, row, "since")?.unwrap_or(funded);
                    let holder: Option<Uuid> = match opt(row, "holder_staff_id") {
                        None => None,
                        Some(h) => {
                            let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_staff WHERE external_id = $1 AND left_on IS NULL")
                                .bind(&h).fetch_optional(&mut *tx).await?;
                            let Some((hid,)) = found else {
                                return Err(refused(file, line, Some("holder_staff_id"), format!("no staff record '{h}' in post")));
                            };
                            if let Some(first) = holders.insert(hid, line) {
                                return Err(refused(file, line, Some("holder_staff_id"), format!("'{h}' already holds the post on line {first}")));
                            }
                            Some(hid)
                        }
                    };
                    let existing: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_posts WHERE external_id = $1")
                        .bind(ext.as_str()).fetch_optional(&mut *tx).await?;
                    // A holder moves here: any other post she held falls vacant.
                    if let Some(h) = holder {
                        sqlx::query("UPDATE workforce_posts SET holder_id = NULL, since = $1, version = version + 1 WHERE holder_id = $2 AND external_id <> $3")
                            .bind(since).bind(h).bind(ext.as_str()).execute(&mut *tx).await?;
                    }
                    match existing {
                        Some((id,)) => {
                            sqlx::query("UPDATE workforce_posts SET admin_unit = $1, organisation = $2, position = $3, fte_percent = $4, funded_from = $5,
                                           abolished_on = $6, holder_id = $7, since = $8, version = version + 1, updated_at = $9 WHERE id = $10")
                                .bind(unit.as_str()).bind(&org).bind(position.as_str()).bind(fte as i32).bind(funded).bind(abolished)
                                .bind(holder).bind(since).bind(now).bind(id)
                                .execute(&mut *tx).await?;
                        }
                        None => {
                            sqlx::query("INSERT INTO workforce_posts (id, external_id, admin_unit, organisation, position, fte_percent, funded_from,
                                           abolished_on, holder_id, since, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11)")
                                .bind(Uuid::now_v7()).bind(ext.as_str()).bind(unit.as_str()).bind(&org).bind(position.as_str())
                                .bind(fte as i32).bind(funded).bind(abolished).bind(holder).bind(since).bind(now)
                                .execute(&mut *tx).await?;
                        }
                    }
                }
                counts.push((file.to_owned(), rows.len() as u64));
            }
            if let Some(text) = &files.training {
                let file = "training.csv";
                let rows = rows(file, text, &TRAINING_HEADER)?;
                for (line, row) in &rows {
                    let line = *line;
                    let course_ext = id_of(file, line, row, "course_id")?;
                    let staff_ext = id_of(file, line, row, "staff_id")?;
                    let status: Attendance = code("status", row.get("status").map_or("", String::as_str)).map_err(|e| cell_refused(file, line, e))?;
                    let completed = date(file, line, row, "completed_on")?;
                    if (status == Attendance::Completed) != completed.is_some() {
                        return Err(refused(file, line, Some("completed_on"), "a completed course has its day, and only a completed one"));
                    }
                    let course: Option<(Uuid, NaiveDate)> = sqlx::query_as("SELECT id, starts_on FROM workforce_courses WHERE external_id = $1")
                        .bind(course_ext.as_str()).fetch_optional(&mut *tx).await?;
                    let Some((course_id, starts_on)) = course else {
                        return Err(refused(file, line, Some("course_id"), format!("no course '{course_ext}'")));
                    };
                    if completed.is_some_and(|d| d < starts_on) {
                        return Err(refused(file, line, Some("completed_on"), "before the course starts"));
                    }
                    let staff: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_staff WHERE external_id = $1")
                        .bind(staff_ext.as_str()).fetch_optional(&mut *tx).await?;
                    let Some((staff_id,)) = staff else {
                        return Err(refused(file, line, Some("staff_id"), format!("no staff record '{staff_ext}'")));
                    };
                    sqlx::query("INSERT INTO workforce_attendance (course_id, staff_id, status, completed_on, recorded_by, recorded_at)
                                 VALUES ($1, $2, $3, $4, $5, $6)
                                 ON CONFLICT (course_id, staff_id) DO UPDATE SET status = excluded.status, completed_on = excluded.completed_on,
                                   recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at")
                        .bind(course_id).bind(staff_id).bind(status.as_str()).bind(completed).bind(&principal.actor).bind(now)
                        .execute(&mut *tx).await?;
                }
                counts.push((file.to_owned(), rows.len() as u64));
            }
            tx.commit().await?;
        });
        Ok(counts)
    }

    /// Exports the register as the four files (the operator), in id order: (file name, text).
    #[tracing::instrument(skip_all)]
    pub async fn export_workforce(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        require(principal, Permission::BulkData)?;
        type PostRow = (
            String,
            String,
            String,
            String,
            i32,
            NaiveDate,
            Option<NaiveDate>,
            Option<String>,
            NaiveDate,
        );
        type CourseRow = (String, String, i32, String, NaiveDate, NaiveDate, String);
        type TrainingRow = (String, String, String, Option<NaiveDate>);
        let (staff, courses, posts, training): (
            Vec<StaffRow>,
            Vec<CourseRow>,
            Vec<PostRow>,
            Vec<TrainingRow>,
        ) = with_db!(self.db(), pool => {
            (
                sqlx::query_as("SELECT s.external_id, s.given_name, s.family_name, s.sex, s.birth_date, s.admin_unit, s.organisation,
                                       s.org_kind, s.position, s.specialism, s.employment, s.fte_percent, s.hired_on, s.left_on,
                                       s.leaving_reason, s.degree_social_work, s.languages, sup.external_id AS supervisor
                                  FROM workforce_staff s LEFT JOIN workforce_staff sup ON sup.id = s.supervisor_id
                                 ORDER BY s.external_id").fetch_all(pool).await?,
                sqlx::query_as("SELECT external_id, topic, hours, trainer, starts_on, ends_on, place FROM workforce_courses ORDER BY external_id")
                    .fetch_all(pool).await?,
                sqlx::query_as("SELECT p.external_id, p.admin_unit, p.organisation, p.position, p.fte_percent, p.funded_from, p.abolished_on,
                                       s.external_id, p.since
                                  FROM workforce_posts p LEFT JOIN workforce_staff s ON s.id = p.holder_id ORDER BY p.external_id")
                    .fetch_all(pool).await?,
                sqlx::query_as("SELECT c.external_id, s.external_id, a.status, a.completed_on FROM workforce_attendance a
                                  JOIN workforce_courses c ON c.id = a.course_id JOIN workforce_staff s ON s.id = a.staff_id
                                 ORDER BY c.external_id, s.external_id").fetch_all(pool).await?,
            )
        });
        let d = |x: &Option<NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
        let o = |x: &Option<String>| x.clone().unwrap_or_default();
        let mut out = Vec::new();
        let staff_rows: Vec<Vec<String>> = staff
            .iter()
            .map(|r| {
                vec![
                    r.external_id.clone(),
                    r.given_name.clone(),
                    r.family_name.clone(),
                    o(&r.sex),
                    d(&r.birth_date),
                    r.admin_unit.clone(),
                    r.organisation.clone(),
                    r.org_kind.clone(),
                    r.position.clone(),
                    o(&r.specialism),
                    r.employment.clone(),
                    r.fte_percent.to_string(),
                    r.hired_on.to_string(),
                    d(&r.left_on),
                    o(&r.leaving_reason),
                    if r.degree_social_work { "yes" } else { "no" }.to_owned(),
                    r.languages.clone(),
                    o(&r.supervisor),
                ]
            })
            .collect();
        out.push((
            "staff.csv".to_owned(),
            write_csv(&STAFF_HEADER, &staff_rows)?,
            staff_rows.len() as u64,
        ));
        let course_rows: Vec<Vec<String>> = courses
            .iter()
            .map(|r| {
                vec![
                    r.0.clone(),
                    r.1.clone(),
                    r.2.to_string(),
                    r.3.clone(),
                    r.4.to_string(),
                    r.5.to_string(),
                    r.6.clone(),
                ]
            })
            .collect();
        out.push((
            "courses.csv".to_owned(),
            write_csv(&COURSES_HEADER, &course_rows)?,
            course_rows.len() as u64,
        ));
        let post_rows: Vec<Vec<String>> = posts
            .iter()
            .map(|r| {
                vec![
                    r.0.clone(),
                    r.1.clone(),
                    r.2.clone(),
                    r.3.clone(),
                    r.4.to_string(),
                    r.5.to_string(),
                    d(&r.6),
                    o(&r.7),
                    r.8.to_string(),
                ]
            })
            .collect();
        out.push((
            "posts.csv".to_owned(),
            write_csv(&POSTS_HEADER, &post_rows)?,
            post_rows.len() as u64,
        ));
        let training_rows: Vec<Vec<String>> = training
            .iter()
            .map(|r| vec![r.0.clone(), r.1.clone(), r.2.clone(), d(&r.3)])
            .collect();
        out.push((
            "training.csv".to_owned(),
            write_csv(&TRAINING_HEADER, &training_rows)?,
            training_rows.len() as u64,
        ));
        self.audit(
            principal,
            AuditEvent::plain("workforce.export").with_detail(format!("{} staff", staff.len())),
        )
        .await?;
        Ok(out)
    }
}

/// A row of `staff.csv` as read for the export.
#[derive(sqlx::FromRow)]
struct StaffRow {
    external_id: String,
    given_name: String,
    family_name: String,
    sex: Option<String>,
    birth_date: Option<NaiveDate>,
    admin_unit: String,
    organisation: String,
    org_kind: String,
    position: String,
    specialism: Option<String>,
    employment: String,
    fte_percent: i32,
    hired_on: NaiveDate,
    left_on: Option<NaiveDate>,
    leaving_reason: Option<String>,
    degree_social_work: bool,
    languages: String,
    supervisor: Option<String>,
}

/// The interchange files are exact on purpose (as `interchange/export.rs`): they are data exchange,
/// not spreadsheets, and import again unchanged.
#[allow(clippy::disallowed_methods)]
fn write_csv(header: &[&str], rows: &[Vec<String>]) -> StoreResult<String> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let io = |e: csv::Error| StoreError::Io(std::io::Error::other(e.to_string()));
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
    String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}
