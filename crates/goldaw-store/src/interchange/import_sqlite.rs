//! Import into SQLite, row by row through prepared statements in one transaction.
//!
//! Written with rusqlite rather than sqlx: a national import is millions of rows, and an
//! in-process prepared statement costs about a microsecond where a round trip through sqlx's
//! SQLite worker thread costs several. Checks that need the database (does the household exist,
//! was the person born before the service) are index look-ups as each row goes by, so the first
//! bad row stops the import with its line, and memory stays flat whatever the file size.
//! A duplicate id within one file is caught by the `import_batch` mark: a row already written by
//! this import cannot be written again.

use super::reader::{field_error, file_error, for_each_row};
use super::{ImportError, ImportProgress, ImportSummary};
use crate::catalogue::Catalogue;
use crate::error::{StoreError, StoreResult};
use crate::people::name_key_of;
use chrono::{NaiveDate, Utc};
use goldaw_core::codes::ServiceLevel;
use goldaw_core::ids::ExternalId;
use goldaw_core::interchange::{
    AdminUnitRow, CaseRow, EpisodeRow, FileSpec, HouseholdRow, PersonRow, PopulationRow,
    ADMIN_UNITS, CASES, HOUSEHOLDS, PERSONS, POPULATION, SERVICE_EPISODES,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use uuid::Uuid;

/// The import's page cache, in KiB (negative: a size rather than a page count): 256 MiB.
const IMPORT_CACHE_SIZE: i64 = -262_144;

/// Errors inside the import: a refusal of the input, or a database failure.
enum Failure {
    Input(ImportError),
    Db(rusqlite::Error),
}

impl From<ImportError> for Failure {
    fn from(e: ImportError) -> Self {
        Failure::Input(e)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Input(e) => StoreError::Import(e),
            Failure::Db(e) => StoreError::Sqlite(e),
        }
    }
}

fn uuid_bytes(id: &Uuid) -> &[u8] {
    id.as_bytes()
}

/// `YYYY-MM-DD`, as sqlx writes dates (chrono's formatter is slower and this runs per row).
fn date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// What the import keeps in memory: the reference data, which is small.
struct Context {
    batch: i64,
    now: String,
    today: NaiveDate,
    units: HashSet<String>,
    services: HashMap<String, ServiceLevel>,
    /// Tables with no rows when the import began: into those, rows are plain INSERTs (see
    /// [`Inserts`]).
    empty_households: bool,
    empty_persons: bool,
}

/// Into a table that was empty when the import began, a row can only collide with a row of the
/// same file, so a plain `INSERT` does: a second row with the same id fails the unique index and
/// is refused as a duplicate. An upsert would make SQLite keep a statement journal for every row
/// and look for the row to update; the plain insert is about a fifth cheaper per person.
/// `true` when `e` is that collision on `table.external_id`.
fn duplicate_external_id(e: &rusqlite::Error, table: &str) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, Some(message)) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                && message.ends_with(&format!("{table}.external_id"))
        }
        _ => false,
    }
}

fn table_is_empty(tx: &rusqlite::Transaction, table: &str) -> rusqlite::Result<bool> {
    tx.query_row(
        &format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"),
        [],
        |r| r.get(0),
    )
}

impl Context {
    fn check_place(
        &self,
        spec: &FileSpec,
        line: u64,
        column: &str,
        code: &str,
    ) -> Result<(), Failure> {
        match Catalogue::place_problem(code, |c| self.units.contains(c)) {
            Some(problem) => Err(file_error(spec, line, Some(column), problem).into()),
            None => Ok(()),
        }
    }
}

/// One file's import: its rows read from the folder and written in the open transaction.
type Step = fn(
    &rusqlite::Transaction,
    &mut Context,
    &Path,
    &dyn ImportProgress,
) -> Result<Option<u64>, Failure>;

#[tracing::instrument(skip_all)]
pub(crate) fn import(
    db_path: &Path,
    dir: &Path,
    actor: &str,
    progress: &dyn ImportProgress,
) -> StoreResult<ImportSummary> {
    let mut conn = Connection::open(db_path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    // A large page cache keeps the id indexes in memory during a national import
    // (256 MiB: within the 500 MB budget for the whole process). Temporary data in memory: every
    // upsert keeps a statement journal (the pages one row touches) so it can be undone alone;
    // written to a file, that journal was half the import's time.
    conn.execute_batch(
        // synchronous = FULL as the server's connections (issue #20): the import is one
        // transaction, so FULL costs one flush of the WAL at its commit, and an import answered
        // as done survives a power cut. secure_delete as the server's too (db::sqlite_options):
        // what an upsert replaces is overwritten, not left in the page's free space.
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;",
    )?;
    conn.execute_batch(&format!("PRAGMA cache_size = {IMPORT_CACHE_SIZE};"))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = Utc::now();
    tx.execute(
        "INSERT INTO import_batches (started_at, actor, source) VALUES (?1, ?2, ?3)",
        params![now.to_rfc3339(), actor, dir.display().to_string()],
    )?;
    let mut ctx = Context {
        batch: tx.last_insert_rowid(),
        now: now.to_rfc3339(),
        today: now.date_naive(),
        units: HashSet::new(),
        services: HashMap::new(),
        empty_households: table_is_empty(&tx, "households")?,
        empty_persons: table_is_empty(&tx, "persons")?,
    };
    {
        let mut units = tx.prepare("SELECT code FROM admin_units")?;
        ctx.units = units
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut services = tx.prepare("SELECT code, level FROM services")?;
        for row in
            services.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        {
            let (code, level) = row?;
            ctx.services
                .insert(code, level.parse().unwrap_or(ServiceLevel::Secondary));
        }
    }
    let deferred_triggers = defer_report_triggers(&tx)?;
    let mut summary = ImportSummary::default();
    let steps: [(&FileSpec, Step); 6] = [
        (&ADMIN_UNITS, import_admin_units),
        (&POPULATION, import_population),
        (&HOUSEHOLDS, import_households),
        (&PERSONS, import_persons),
        (&CASES, import_cases),
        (&SERVICE_EPISODES, import_episodes),
    ];
    for (spec, step) in steps {
        if let Some(rows) = step(&tx, &mut ctx, dir, progress)? {
            summary.files.push((spec.file.to_owned(), rows));
        }
    }
    if let Some(triggers) = deferred_triggers {
        tx.execute_batch(crate::statistics::REFILL_REPORT_SERVICE_USES)?;
        for sql in triggers {
            tx.execute_batch(&sql)?;
        }
    }
    tx.execute(crate::scope::MARK_ALL_NAMED, [])?;
    tx.commit()?;
    Ok(summary)
}

fn import_admin_units(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    let mut upsert = tx.prepare_cached(&crate::reference::UPSERT_ADMIN_UNIT.replace('$', "?"))?;
    let mut next_order: i64 = tx.query_row(
        "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM admin_units",
        [],
        |r| r.get(0),
    )?;
    let mut seen = HashSet::new();
    for_each_row(dir, &ADMIN_UNITS, progress, |row, line| {
        let u = AdminUnitRow::parse(row).map_err(|e| field_error(&ADMIN_UNITS, line, e))?;
        if !seen.insert(u.code.as_str().to_owned()) {
            return Err(file_error(
                &ADMIN_UNITS,
                line,
                Some("code"),
                super::say::unit_twice(u.code.as_str()),
            )
            .into());
        }
        if let Some(parent) = &u.parent_code {
            if !ctx.units.contains(parent.as_str()) {
                return Err(file_error(
                    &ADMIN_UNITS,
                    line,
                    Some("parent_code"),
                    super::say::unknown_parent(parent.as_str()),
                )
                .into());
            }
        }
        let order: i64 = tx
            .query_row(
                "SELECT sort_order FROM admin_units WHERE code = ?1",
                [u.code.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| {
                next_order += 1;
                next_order
            });
        upsert.execute(params![
            u.code.as_str(),
            u.parent_code.as_ref().map(|p| p.as_str()),
            u.level,
            u.name_tk,
            u.name_en,
            u.name_ru,
            u.population.map(|p| p as i64),
            u.population_year,
            u.source,
            order
        ])?;
        ctx.units.insert(u.code.as_str().to_owned());
        Ok::<(), Failure>(())
    })
}

fn import_population(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO population (admin_unit, sex, age_band, year, population) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (admin_unit, sex, age_band, year) DO UPDATE SET population = excluded.population",
    )?;
    let mut seen = HashSet::new();
    for_each_row(dir, &POPULATION, progress, |row, line| {
        let p = PopulationRow::parse(row).map_err(|e| field_error(&POPULATION, line, e))?;
        if !ctx.units.contains(p.admin_unit.as_str()) {
            return Err(file_error(
                &POPULATION,
                line,
                Some("admin_unit"),
                Catalogue::unknown_unit_message(p.admin_unit.as_str()),
            )
            .into());
        }
        if !seen.insert((p.admin_unit.as_str().to_owned(), p.sex, p.age_band, p.year)) {
            return Err(
                file_error(&POPULATION, line, None, super::say::population_twice(&p)).into(),
            );
        }
        upsert.execute(params![
            p.admin_unit.as_str(),
            p.sex.as_str(),
            p.age_band.as_str(),
            p.year,
            p.population as i64
        ])?;
        Ok::<(), Failure>(())
    })
}

fn duplicate(spec: &FileSpec, line: u64, column: &str, id: &ExternalId) -> Failure {
    file_error(spec, line, Some(column), super::say::duplicate(id.as_str())).into()
}

fn import_households(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    const INSERT: &str = "INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit, version, import_batch, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 1, ?6, ?7, ?7)";
    let upsert_sql = format!(
        "{INSERT} ON CONFLICT (external_id) DO UPDATE SET admin_unit = excluded.admin_unit, settlement = excluded.settlement,
            address = excluded.address, version = households.version + 1, import_batch = excluded.import_batch,
            updated_at = excluded.updated_at
         WHERE households.import_batch IS NOT excluded.import_batch"
    );
    let plain = ctx.empty_households;
    let mut upsert = tx.prepare_cached(if plain { INSERT } else { &upsert_sql })?;
    for_each_row(dir, &HOUSEHOLDS, progress, |row, line| {
        let h = HouseholdRow::parse(row).map_err(|e| field_error(&HOUSEHOLDS, line, e))?;
        ctx.check_place(&HOUSEHOLDS, line, "admin_unit", h.data.admin_unit.as_str())?;
        let written = match upsert.execute(params![
            uuid_bytes(&Uuid::now_v7()),
            h.household_id.as_str(),
            h.data.admin_unit.as_str(),
            h.data.settlement.map(|s| s.as_str()),
            h.data.address,
            ctx.batch,
            ctx.now
        ]) {
            Err(e) if plain && duplicate_external_id(&e, "households") => 0,
            written => written?,
        };
        if written == 0 {
            return Err(duplicate(
                &HOUSEHOLDS,
                line,
                "household_id",
                &h.household_id,
            ));
        }
        Ok(())
    })
}

/// Loading into an empty table, secondary indexes are faster built once at the end (a sort)
/// than kept up row by row. Drops them and returns their definitions to run again, inside the
/// import's transaction (SQLite's DDL is transactional: a refused import restores them).
/// The unique indexes stay: the upserts need them.
fn defer_secondary_indexes(
    tx: &rusqlite::Transaction,
    table: &str,
) -> Result<Vec<String>, Failure> {
    let empty: bool = tx.query_row(
        &format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"),
        [],
        |r| r.get(0),
    )?;
    if !empty {
        return Ok(Vec::new());
    }
    let mut stmt = tx.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL
         AND sql NOT LIKE 'CREATE UNIQUE%'",
    )?;
    let indexes: Vec<(String, String)> = stmt
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
}

/// Loading episodes into an empty table, the triggers that keep `report_service_uses` (migration
/// 0008) would recompute each person's rows once per episode; one fill from the base tables at
/// the end does the same work once. Drops the triggers and returns their definitions, to run
/// again after the fill, in the import's transaction (a refused import keeps them). `None` when
/// there are episodes already: then the triggers keep the table as the rows go in.
fn defer_report_triggers(tx: &rusqlite::Transaction) -> Result<Option<Vec<String>>, Failure> {
    let empty: bool = tx.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM service_episodes)",
        [],
        |r| r.get(0),
    )?;
    if !empty {
        return Ok(None);
    }
    let mut stmt = tx.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'report_service_uses_*'",
    )?;
    let triggers: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &triggers {
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
    }
    Ok(Some(triggers.into_iter().map(|(_, sql)| sql).collect()))
}

/// The name indexes kept by an insert trigger on `persons`, and how each is filled from every
/// person in one statement: the same rows as its trigger writes one by one (each pair must change
/// together with its migration). The trigram index (`persons_name_index`, migrations 0016 and
/// 0027; its place token also with `people::search::scope_token`) is contentless and filled from
/// `persons`; the word index (`persons_name_words`, 0034) reads its view and is rebuilt.
const NAME_INDEXES: [(&str, &str); 3] = [
    (
        "persons_name_index_insert",
        "INSERT INTO persons_name_index (persons_name_index) VALUES ('delete-all');
         INSERT INTO persons_name_index (rowid, name_key, place)
             SELECT rowid, name_key, '##' || lower(replace(substr(admin_unit, 4), '-', '')) || '#'
             FROM persons;",
    ),
    (
        "persons_name_words_insert",
        "INSERT INTO persons_name_words (persons_name_words) VALUES ('rebuild');",
    ),
    // The vocabulary of stored words (migration 0037): the words of everyone loaded, once. Its
    // update and delete triggers stay (an empty table's load inserts only); emptied first so
    // that it holds exactly the words of the people there.
    (
        "person_name_words_insert",
        "DELETE FROM person_name_words;
         INSERT OR IGNORE INTO person_name_words (word)
             SELECT DISTINCT w.value FROM persons, json_each(CASE
                 WHEN json_valid('[\"' || replace(persons.name_key, ' ', '\",\"') || '\"]')
                 THEN '[\"' || replace(persons.name_key, ' ', '\",\"') || '\"]' ELSE '[]' END) AS w
             WHERE w.value <> '';",
    ),
];

/// Loading people into an empty table, the name indexes are filled once at the end
/// ([`NAME_INDEXES`]) rather than by their insert triggers row by row: on the national set
/// (7.06 M people) the trigram index's trigger took 185 s of a 259 s import, the one fill 22 s
/// (issue #19: the import within reach of its time before the index). Drops the triggers and
/// returns their definitions with the fills, to run after the load, in the import's transaction
/// (a refused import keeps them). None when there are people already: then the triggers keep
/// the indexes as rows go in.
fn defer_name_indexes(tx: &rusqlite::Transaction) -> Result<Vec<(String, &'static str)>, Failure> {
    if !table_is_empty(tx, "persons")? {
        return Ok(Vec::new());
    }
    let mut deferred = Vec::new();
    for (name, fill) in NAME_INDEXES {
        let trigger: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sql) = trigger {
            tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
            deferred.push((sql, fill));
        }
    }
    Ok(deferred)
}

fn import_persons(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    if !dir.join(PERSONS.file).exists() {
        return Ok(None);
    }
    let deferred = defer_secondary_indexes(tx, "persons")?;
    let name_indexes = defer_name_indexes(tx)?;
    let rows = load_persons(tx, ctx, dir, progress)?;
    for (trigger, fill) in name_indexes {
        tx.execute_batch(fill)?;
        tx.execute_batch(&trigger)?;
    }
    // SQLite's index sort may use as much memory as the page cache, and spills to temporary
    // storage beyond it: with a smaller cache and temporary files while indexes are built, the
    // national import stays under 500 MB (it peaked at 730 MB otherwise).
    tx.execute_batch("PRAGMA temp_store = FILE; PRAGMA cache_size = -65536;")?;
    for sql in deferred {
        tx.execute_batch(&sql)?;
    }
    tx.execute_batch(&format!(
        "PRAGMA temp_store = MEMORY; PRAGMA cache_size = {IMPORT_CACHE_SIZE};"
    ))?;
    Ok(rows)
}

fn load_persons(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    let mut find_household =
        tx.prepare_cached("SELECT id FROM households WHERE external_id = ?1")?;
    const INSERT_IMPLICIT: &str = "INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit, version, import_batch, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, NULL, 1, 1, ?5, ?6, ?6)";
    // The implicit household's id is '~' || the person's id: it collides only with the household
    // of an earlier import (updated in place) or, in an empty table, of a duplicate person.
    let mut implicit_household = tx.prepare_cached(&format!(
        "{INSERT_IMPLICIT} ON CONFLICT (external_id) DO UPDATE SET admin_unit = excluded.admin_unit, settlement = excluded.settlement,
            import_batch = excluded.import_batch
         RETURNING id"
    ))?;
    let mut insert_implicit = tx.prepare_cached(INSERT_IMPLICIT)?;
    const INSERT_PERSON: &str = "INSERT INTO persons (id, external_id, household_id, relationship, given_name, family_name, name_key, sex,
            birth_date, admin_unit, settlement, receives_benefits, wg_seeing, wg_hearing, wg_walking, wg_cognition,
            wg_selfcare, wg_communication, disability, target_groups, sensitive, version, import_batch, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, 1, ?22, ?23, ?23)";
    let mut upsert = tx.prepare_cached(&format!(
        "{INSERT_PERSON} ON CONFLICT (external_id) DO UPDATE SET household_id = excluded.household_id,
            relationship = excluded.relationship, given_name = excluded.given_name, family_name = excluded.family_name,
            name_key = excluded.name_key, sex = excluded.sex, birth_date = excluded.birth_date,
            admin_unit = excluded.admin_unit, settlement = excluded.settlement,
            receives_benefits = excluded.receives_benefits, wg_seeing = excluded.wg_seeing,
            wg_hearing = excluded.wg_hearing, wg_walking = excluded.wg_walking, wg_cognition = excluded.wg_cognition,
            wg_selfcare = excluded.wg_selfcare, wg_communication = excluded.wg_communication,
            disability = excluded.disability, target_groups = excluded.target_groups, sensitive = excluded.sensitive,
            version = persons.version + 1, import_batch = excluded.import_batch, updated_at = excluded.updated_at
         WHERE persons.import_batch IS NOT excluded.import_batch
         RETURNING id, version"
    ))?;
    let mut insert = tx.prepare_cached(INSERT_PERSON)?;
    let mut clear_groups =
        tx.prepare_cached("DELETE FROM person_target_groups WHERE person_id = ?1")?;
    let mut add_group = tx.prepare_cached(
        "INSERT INTO person_target_groups (person_id, target_group) VALUES (?1, ?2)",
    )?;
    let (plain_households, plain_persons) = (ctx.empty_households, ctx.empty_persons);
    // Members of a household usually come one after another: the last household found is
    // looked up again for free.
    let mut last_household: Option<(String, Vec<u8>)> = None;
    for_each_row(dir, &PERSONS, progress, |row, line| {
        let p = PersonRow::parse(row, ctx.today).map_err(|e| field_error(&PERSONS, line, e))?;
        let d = &p.data;
        ctx.check_place(&PERSONS, line, "admin_unit", d.admin_unit.as_str())?;
        let household: Vec<u8> = match &d.household_id {
            Some(h) => match &last_household {
                Some((ext, id)) if ext == h.as_str() => id.clone(),
                _ => {
                    let id: Vec<u8> = find_household
                        .query_row([h.as_str()], |r| r.get(0))
                        .optional()?
                        .ok_or_else(|| {
                            file_error(
                                &PERSONS,
                                line,
                                Some("household_id"),
                                super::say::unknown("household", h.as_str(), HOUSEHOLDS.file),
                            )
                        })?;
                    last_household = Some((h.as_str().to_owned(), id.clone()));
                    id
                }
            },
            None if plain_households => {
                let id = Uuid::now_v7();
                match insert_implicit.execute(params![
                    uuid_bytes(&id),
                    ExternalId::implicit_household_for(&p.person_id).as_str(),
                    d.admin_unit.as_str(),
                    d.settlement.map(|s| s.as_str()),
                    ctx.batch,
                    ctx.now
                ]) {
                    Ok(_) => {}
                    Err(e) if duplicate_external_id(&e, "households") => {
                        return Err(duplicate(&PERSONS, line, "person_id", &p.person_id));
                    }
                    Err(e) => return Err(e.into()),
                }
                id.as_bytes().to_vec()
            }
            None => implicit_household.query_row(
                params![
                    uuid_bytes(&Uuid::now_v7()),
                    ExternalId::implicit_household_for(&p.person_id).as_str(),
                    d.admin_unit.as_str(),
                    d.settlement.map(|s| s.as_str()),
                    ctx.batch,
                    ctx.now
                ],
                |r| r.get(0),
            )?,
        };
        let wg = crate::people::wg_columns(d);
        let new_id = Uuid::now_v7();
        let values = params![
            uuid_bytes(&new_id),
            p.person_id.as_str(),
            household,
            d.relationship.map(|r| r.as_str()),
            d.given_name.as_str(),
            d.family_name.as_ref().map(|f| f.as_str()),
            name_key_of(d),
            d.sex.as_str(),
            d.birth_date.map(date),
            d.admin_unit.as_str(),
            d.settlement.map(|s| s.as_str()),
            d.receives_benefits,
            wg[0],
            wg[1],
            wg[2],
            wg[3],
            wg[4],
            wg[5],
            d.has_disability(),
            d.target_groups.to_field(),
            d.target_groups.is_sensitive(),
            ctx.batch,
            ctx.now
        ];
        let written: Option<(Vec<u8>, i64)> = if plain_persons {
            match insert.execute(values) {
                Ok(_) => Some((new_id.as_bytes().to_vec(), 1)),
                Err(e) if duplicate_external_id(&e, "persons") => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            upsert
                .query_row(values, |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
        };
        let Some((id, version)) = written else {
            return Err(duplicate(&PERSONS, line, "person_id", &p.person_id));
        };
        if version > 1 {
            clear_groups.execute([&id])?;
        }
        for group in d.target_groups.iter() {
            add_group.execute(params![id, group.as_str()])?;
        }
        Ok(())
    })
}

/// A person's goldaw id and birth date, by external id.
fn find_person(
    stmt: &mut rusqlite::CachedStatement,
    spec: &FileSpec,
    line: u64,
    id: &ExternalId,
) -> Result<(Vec<u8>, Option<NaiveDate>), Failure> {
    let found: Option<(Vec<u8>, Option<String>)> = stmt
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (uuid, birth) = found.ok_or_else(|| {
        file_error(
            spec,
            line,
            Some("person_id"),
            super::say::unknown("person", id.as_str(), PERSONS.file),
        )
    })?;
    Ok((
        uuid,
        birth.and_then(|b| goldaw_core::people::parse_date(&b).ok()),
    ))
}

fn import_cases(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    let mut person =
        tx.prepare_cached("SELECT id, birth_date FROM persons WHERE external_id = ?1")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO cases (id, external_id, person_id, admin_unit, opened_on, referral_source, priority, status, closed_on,
            worker_id, version, import_batch, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, ?12)
         ON CONFLICT (external_id) DO UPDATE SET person_id = excluded.person_id, admin_unit = excluded.admin_unit,
            opened_on = excluded.opened_on, referral_source = excluded.referral_source, priority = excluded.priority,
            status = excluded.status, closed_on = excluded.closed_on, worker_id = excluded.worker_id,
            version = cases.version + 1, import_batch = excluded.import_batch, updated_at = excluded.updated_at
         WHERE cases.import_batch IS NOT excluded.import_batch",
    )?;
    for_each_row(dir, &CASES, progress, |row, line| {
        let c = CaseRow::parse(row, ctx.today).map_err(|e| field_error(&CASES, line, e))?;
        let d = &c.data;
        ctx.check_place(&CASES, line, "admin_unit", d.admin_unit.as_str())?;
        let (person_id, birth) = find_person(&mut person, &CASES, line, &d.person_id)?;
        if let Some(birth) = birth.filter(|b| d.opened_on < *b) {
            return Err(file_error(
                &CASES,
                line,
                Some("opened_on"),
                super::say::opened_before_birth(&d.opened_on.to_string(), &birth.to_string()),
            )
            .into());
        }
        let written = upsert.execute(params![
            uuid_bytes(&Uuid::now_v7()),
            c.case_id.as_str(),
            person_id,
            d.admin_unit.as_str(),
            date(d.opened_on),
            d.referral_source.as_str(),
            d.priority.map(|p| p.as_str()),
            d.status.as_str(),
            d.closed_on.map(date),
            d.worker_id.as_ref().map(|w| w.as_str()),
            ctx.batch,
            ctx.now
        ])?;
        if written == 0 {
            return Err(duplicate(&CASES, line, "case_id", &c.case_id));
        }
        Ok(())
    })
}

fn import_episodes(
    tx: &rusqlite::Transaction,
    ctx: &mut Context,
    dir: &Path,
    progress: &dyn ImportProgress,
) -> Result<Option<u64>, Failure> {
    let mut person =
        tx.prepare_cached("SELECT id, birth_date FROM persons WHERE external_id = ?1")?;
    let mut case =
        tx.prepare_cached("SELECT id, referral_source FROM cases WHERE external_id = ?1")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO service_episodes (id, external_id, case_id, person_id, service_code, provider_id, started_on, ended_on,
            units, version, import_batch, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?11)
         ON CONFLICT (external_id) DO UPDATE SET case_id = excluded.case_id, person_id = excluded.person_id,
            service_code = excluded.service_code, provider_id = excluded.provider_id, started_on = excluded.started_on,
            ended_on = excluded.ended_on, units = excluded.units, version = service_episodes.version + 1,
            import_batch = excluded.import_batch, updated_at = excluded.updated_at
         WHERE service_episodes.import_batch IS NOT excluded.import_batch",
    )?;
    for_each_row(dir, &SERVICE_EPISODES, progress, |row, line| {
        let e = EpisodeRow::parse(row, ctx.today)
            .map_err(|err| field_error(&SERVICE_EPISODES, line, err))?;
        let d = &e.data;
        let Some(level) = ctx.services.get(d.service_code.as_str()).copied() else {
            return Err(file_error(
                &SERVICE_EPISODES,
                line,
                Some("service_code"),
                Catalogue::unknown_service_message(d.service_code.as_str()),
            )
            .into());
        };
        let (person_id, birth) = find_person(&mut person, &SERVICE_EPISODES, line, &d.person_id)?;
        if let Some(birth) = birth.filter(|b| d.started_on < *b) {
            return Err(file_error(
                &SERVICE_EPISODES,
                line,
                Some("started_on"),
                super::say::started_before_birth(&d.started_on.to_string(), &birth.to_string()),
            )
            .into());
        }
        let case: Option<(Vec<u8>, String)> = match &d.case_id {
            Some(id) => Some(
                case.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or_else(|| {
                        file_error(
                            &SERVICE_EPISODES,
                            line,
                            Some("case_id"),
                            super::say::unknown("case", id.as_str(), CASES.file),
                        )
                    })?,
            ),
            None => None,
        };
        if level == ServiceLevel::Tertiary {
            if let Some(why) = super::residential_refusal(
                d.service_code.as_str(),
                d.case_id.as_ref().map(ExternalId::as_str),
                case.as_ref().map(|(_, source)| source.as_str()),
            ) {
                return Err(file_error(&SERVICE_EPISODES, line, Some("service_code"), why).into());
            }
        }
        let written = upsert.execute(params![
            uuid_bytes(&Uuid::now_v7()),
            e.episode_id.as_str(),
            case.map(|(id, _)| id),
            person_id,
            d.service_code.as_str(),
            d.provider_id.as_ref().map(|p| p.as_str()),
            date(d.started_on),
            d.ended_on.map(date),
            d.units,
            ctx.batch,
            ctx.now
        ])?;
        if written == 0 {
            return Err(duplicate(
                &SERVICE_EPISODES,
                line,
                "episode_id",
                &e.episode_id,
            ));
        }
        Ok(())
    })
}
