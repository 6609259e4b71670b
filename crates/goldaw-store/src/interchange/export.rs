//! Export of every interchange file, streamed from the database in id order.
//! Written once for both backends: each row is decoded into typed values, so dates, booleans and
//! numbers come out the same whether SQLite or PostgreSQL stored them.

use super::ExportSummary;
use crate::db::Db;
use crate::error::StoreResult;
use chrono::NaiveDate;
use futures::TryStreamExt;
use goldaw_core::interchange::{
    FileSpec, ADMIN_UNITS, CASES, HOUSEHOLDS, PERSONS, POPULATION, SERVICE_EPISODES,
};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// The interchange files are data exchange, not spreadsheets: every value is written exactly as
/// stored, so an export imports again identically. They do not go through
/// `goldaw_core::spreadsheet` (whose quote before `=`, `+`, `-`, `@`, ... would change the data);
/// see docs/interchange.md on opening them in a spreadsheet.
#[allow(clippy::disallowed_methods)] // exact on purpose, see above
fn writer(dir: &Path, spec: &FileSpec) -> StoreResult<csv::Writer<BufWriter<File>>> {
    let file = File::create(dir.join(spec.file))?;
    let mut w = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
    w.write_record(spec.columns()).map_err(csv_io)?;
    Ok(w)
}

fn csv_io(e: csv::Error) -> crate::StoreError {
    crate::StoreError::Io(std::io::Error::other(e))
}

fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct UnitOut {
    code: String,
    name_tk: String,
    name_en: String,
    name_ru: String,
    level: String,
    parent_code: Option<String>,
    population: Option<i64>,
    population_year: Option<i32>,
    source: String,
}

#[derive(sqlx::FromRow)]
struct PopulationOut {
    admin_unit: String,
    sex: String,
    age_band: String,
    population: i64,
    year: i32,
}

#[derive(sqlx::FromRow)]
struct HouseholdOut {
    external_id: String,
    admin_unit: String,
    settlement: Option<String>,
    address: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PersonOut {
    external_id: String,
    household_id: Option<String>,
    given_name: String,
    family_name: Option<String>,
    sex: String,
    birth_date: Option<NaiveDate>,
    admin_unit: String,
    settlement: Option<String>,
    receives_benefits: Option<bool>,
    wg_seeing: Option<i16>,
    wg_hearing: Option<i16>,
    wg_walking: Option<i16>,
    wg_cognition: Option<i16>,
    wg_selfcare: Option<i16>,
    wg_communication: Option<i16>,
    target_groups: String,
    relationship: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CaseOut {
    external_id: String,
    person_id: String,
    admin_unit: String,
    opened_on: NaiveDate,
    referral_source: String,
    priority: Option<String>,
    status: String,
    closed_on: Option<NaiveDate>,
    worker_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct EpisodeOut {
    external_id: String,
    case_id: Option<String>,
    person_id: String,
    service_code: String,
    provider_id: Option<String>,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    units: Option<i32>,
}

/// Streams `$sql` rows of type `$row` into `$spec`'s file, one record per row via `$fields`.
macro_rules! export_file {
    ($db:expr, $dir:expr, $spec:expr, $row:ty, $sql:expr, |$r:ident| $fields:expr) => {{
        let mut w = writer($dir, &$spec)?;
        let mut rows = 0u64;
        with_db!($db, pool => {
            let mut stream = sqlx::query_as::<_, $row>($sql).fetch(pool);
            while let Some($r) = stream.try_next().await? {
                w.write_record(&$fields).map_err(csv_io)?;
                rows += 1;
            }
        });
        w.flush()?;
        ($spec.file.to_owned(), rows)
    }};
}

#[tracing::instrument(skip_all)]
pub(crate) async fn export(db: &Db, dir: &Path) -> StoreResult<ExportSummary> {
    let mut files = Vec::new();
    files.push(export_file!(db, dir, ADMIN_UNITS, UnitOut,
        "SELECT code, name_tk, name_en, name_ru, level, parent_code, population, population_year, source
         FROM admin_units ORDER BY sort_order, code",
        |u| [u.code, u.name_tk, u.name_en, u.name_ru, u.level, text(u.parent_code), text(u.population), text(u.population_year), u.source]));
    files.push(export_file!(db, dir, POPULATION, PopulationOut,
        "SELECT admin_unit, sex, age_band, population, year FROM population ORDER BY admin_unit, year, sex, age_band",
        |p| [p.admin_unit, p.sex, p.age_band, p.population.to_string(), p.year.to_string()]));
    files.push(export_file!(db, dir, HOUSEHOLDS, HouseholdOut,
        "SELECT external_id, admin_unit, settlement, address FROM households WHERE NOT implicit ORDER BY external_id",
        |h| [h.external_id, h.admin_unit, text(h.settlement), text(h.address)]));
    files.push(export_file!(db, dir, PERSONS, PersonOut,
        "SELECT p.external_id, CASE WHEN h.implicit THEN NULL ELSE h.external_id END AS household_id, p.given_name,
            p.family_name, p.sex, p.birth_date, p.admin_unit, p.settlement, p.receives_benefits, p.wg_seeing,
            p.wg_hearing, p.wg_walking, p.wg_cognition, p.wg_selfcare, p.wg_communication, p.target_groups,
            p.relationship
         FROM persons p JOIN households h ON h.id = p.household_id ORDER BY p.external_id",
        |p| [p.external_id, text(p.household_id), p.given_name, text(p.family_name), p.sex, text(p.birth_date),
             p.admin_unit, text(p.settlement), text(p.receives_benefits), text(p.wg_seeing), text(p.wg_hearing),
             text(p.wg_walking), text(p.wg_cognition), text(p.wg_selfcare), text(p.wg_communication), p.target_groups,
             text(p.relationship)]));
    files.push(export_file!(db, dir, CASES, CaseOut,
        "SELECT c.external_id, p.external_id AS person_id, c.admin_unit, c.opened_on, c.referral_source, c.priority,
            c.status, c.closed_on, c.worker_id
         FROM cases c JOIN persons p ON p.id = c.person_id ORDER BY c.external_id",
        |c| [c.external_id, c.person_id, c.admin_unit, c.opened_on.to_string(), c.referral_source, text(c.priority),
             c.status, text(c.closed_on), text(c.worker_id)]));
    files.push(export_file!(db, dir, SERVICE_EPISODES, EpisodeOut,
        "SELECT e.external_id, c.external_id AS case_id, p.external_id AS person_id, e.service_code, e.provider_id,
            e.started_on, e.ended_on, e.units
         FROM service_episodes e JOIN persons p ON p.id = e.person_id LEFT JOIN cases c ON c.id = e.case_id
         ORDER BY e.external_id",
        |e| [e.external_id, text(e.case_id), e.person_id, e.service_code, text(e.provider_id), e.started_on.to_string(),
             text(e.ended_on), text(e.units)]));
    Ok(ExportSummary { files })
}
