//! Import into PostgreSQL: each file is validated row by row in Rust and streamed with `COPY`
//! into a temporary staging table, then checked and upserted with set-based SQL, all in one
//! transaction. Row-by-row statements over the network would take hours at national scale;
//! COPY plus a few joins takes about as long as PostgreSQL needs to write the rows.
//!
//! The checks that need the database (duplicates within the file, unknown household, person or
//! case, a service before birth, residential care without a court or ministry referral) each find
//! their first offending line; the smallest line is reported, with the same words as SQLite's.

use super::reader::{field_error, file_error, for_each_row};
use super::{ImportError, ImportProgress, ImportSummary};
use crate::catalogue::Catalogue;
use crate::error::{StoreError, StoreResult};
use crate::people::{name_key_of, wg_columns};
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::codes::ServiceLevel;
use goldaw_core::ids::ExternalId;
use goldaw_core::interchange::{
    AdminUnitRow, CaseRow, EpisodeRow, FileSpec, HouseholdRow, PersonRow, PopulationRow, Row,
    ADMIN_UNITS, CASES, HOUSEHOLDS, PERSONS, POPULATION, SERVICE_EPISODES,
};
use sqlx::postgres::PgPool;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

/// Reference data the row encoders need (small; shared with the reading thread).
struct Context {
    today: NaiveDate,
    units: HashSet<String>,
    services: HashMap<String, ServiceLevel>,
}

impl Context {
    fn check_place(&self, spec: &FileSpec, line: u64, code: &str) -> Result<(), ImportError> {
        match Catalogue::place_problem(code, |c| self.units.contains(c)) {
            Some(problem) => Err(file_error(spec, line, Some("admin_unit"), problem)),
            None => Ok(()),
        }
    }
}

/// One row in PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
struct CopyLine<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> CopyLine<'a> {
    fn new(buf: &'a mut Vec<u8>) -> Self {
        CopyLine { buf, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
    }

    fn text(&mut self, v: Option<&str>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.extend_from_slice(b"\\N"),
            Some(s) => {
                for &b in s.as_bytes() {
                    match b {
                        b'\\' => self.buf.extend_from_slice(b"\\\\"),
                        b'\t' => self.buf.extend_from_slice(b"\\t"),
                        b'\n' => self.buf.extend_from_slice(b"\\n"),
                        b'\r' => self.buf.extend_from_slice(b"\\r"),
                        _ => self.buf.push(b),
                    }
                }
            }
        }
        self
    }

    fn plain(&mut self, v: impl std::fmt::Display) -> &mut Self {
        use std::io::Write;
        self.sep();
        let _ = write!(self.buf, "{v}");
        self
    }

    fn opt<T: std::fmt::Display>(&mut self, v: Option<T>) -> &mut Self {
        match v {
            Some(v) => self.plain(v),
            None => self.text(None),
        }
    }

    fn end(&mut self) {
        self.buf.push(b'\n');
    }
}

type Encoder = fn(&Row, u64, &Context, &mut Vec<u8>) -> Result<(), ImportError>;

/// A database check's first offending row: its line and up to three values for the message.
type Offence = (i64, Option<String>, Option<String>, Option<String>);
/// Turns an offence's values into the column and the message.
type Explain<'a> =
    &'a dyn Fn(Option<String>, Option<String>, Option<String>) -> (&'static str, String);

/// What every file of one import shares.
struct Job {
    dir: PathBuf,
    ctx: Arc<Context>,
    progress: Arc<dyn ImportProgress>,
    batch: i64,
    now: DateTime<Utc>,
    empty: EmptyAtStart,
}

/// Which tables had no rows when the import began. Into those, rows are inserted without
/// `ON CONFLICT` and their foreign keys are checked once at the end.
#[derive(Clone, Copy)]
struct EmptyAtStart {
    households: bool,
    persons: bool,
}

async fn is_empty(conn: &mut PgConnection, table: &str) -> StoreResult<bool> {
    Ok(
        sqlx::query_scalar(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"))
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Creates `table` from `columns`, streams every row of the file into it, and indexes it by
/// `external_id`. `Ok(None)` when the file is absent.
async fn stage(
    conn: &mut PgConnection,
    job: &Job,
    spec: &'static FileSpec,
    table: &str,
    columns: &str,
    encode: Encoder,
) -> StoreResult<Option<u64>> {
    let (dir, ctx, progress) = (job.dir.as_path(), job.ctx.clone(), job.progress.clone());
    if !dir.join(spec.file).exists() {
        return Ok(None);
    }
    sqlx::query(&format!(
        "CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP"
    ))
    .execute(&mut *conn)
    .await?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let dir: PathBuf = dir.to_owned();
    let reading = tokio::task::spawn_blocking(move || {
        let mut buf = Vec::with_capacity(1 << 20);
        let rows = for_each_row(&dir, spec, progress.as_ref(), |row, line| {
            encode(row, line, &ctx, &mut buf)?;
            if buf.len() >= 1 << 20 {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(1 << 20));
                if sender.blocking_send(full).is_err() {
                    return Err(file_error(
                        spec,
                        line,
                        None,
                        "the database stopped receiving rows",
                    ));
                }
            }
            Ok::<(), ImportError>(())
        })?;
        if !buf.is_empty() {
            let _ = sender.blocking_send(buf);
        }
        Ok::<Option<u64>, ImportError>(rows)
    });
    let mut copy = conn
        .copy_in_raw(&format!("COPY {table} FROM STDIN"))
        .await?;
    let mut send_failed = None;
    while let Some(chunk) = receiver.recv().await {
        if let Err(e) = copy.send(chunk).await {
            send_failed = Some(e);
            break;
        }
    }
    drop(receiver);
    let read = reading
        .await
        .map_err(|e| StoreError::Config(format!("the import stopped: {e}")))?;
    match (read, send_failed) {
        (Err(input), _) => {
            let _ = copy.abort("input refused").await;
            Err(StoreError::Import(input))
        }
        (Ok(_), Some(db)) => Err(db.into()),
        (Ok(rows), None) => {
            copy.finish().await?;
            sqlx::query(&format!("CREATE INDEX ON {table} (external_id)"))
                .execute(&mut *conn)
                .await?;
            sqlx::query(&format!("ANALYZE {table}"))
                .execute(&mut *conn)
                .await?;
            Ok(rows)
        }
    }
}

/// Runs each `(sql, make_error)` check and returns the error of the smallest offending line.
/// Every query returns `(line, a, b, c)` for its first offending row, ordered by line.
async fn first_failure(
    conn: &mut PgConnection,
    spec: &FileSpec,
    checks: &[(&str, Explain<'_>)],
) -> StoreResult<()> {
    let mut first: Option<ImportError> = None;
    for (sql, make) in checks {
        let found: Option<Offence> = sqlx::query_as(sql).fetch_optional(&mut *conn).await?;
        if let Some((line, a, b, c)) = found {
            let line = line as u64;
            if first.as_ref().is_none_or(|f| line < f.line) {
                let (column, message) = make(a, b, c);
                first = Some(file_error(spec, line, Some(column), message));
            }
        }
    }
    match first {
        Some(e) => Err(StoreError::Import(e)),
        None => Ok(()),
    }
}

fn duplicate_check(table: &str) -> String {
    format!(
        "SELECT line, external_id, NULL::text, NULL::text FROM (
            SELECT line, external_id, row_number() OVER (PARTITION BY external_id ORDER BY line) AS n FROM {table}
         ) d WHERE n > 1 ORDER BY line LIMIT 1"
    )
}

fn duplicate_message(
    column: &'static str,
) -> impl Fn(Option<String>, Option<String>, Option<String>) -> (&'static str, String) {
    move |id, _, _| (column, super::say::duplicate(&id.unwrap_or_default()))
}

#[tracing::instrument(skip_all)]
pub(crate) async fn import(
    pool: &PgPool,
    dir: &Path,
    actor: &str,
    progress: Arc<dyn ImportProgress>,
) -> StoreResult<ImportSummary> {
    let mut tx = pool.begin().await?;
    // One import at a time: two would race on the same external ids.
    sqlx::query("SELECT pg_advisory_xact_lock(727001)")
        .execute(&mut *tx)
        .await?;
    let now = Utc::now();
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO import_batches (id, started_at, actor, source)
         VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM import_batches), $1, $2, $3) RETURNING id",
    )
    .bind(now)
    .bind(actor)
    .bind(dir.display().to_string())
    .fetch_one(&mut *tx)
    .await?;
    let mut summary = ImportSummary::default();
    let mut units: HashSet<String> = sqlx::query_scalar("SELECT code FROM admin_units")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();

    // Reference files are small: read them whole, then write row by row.
    if let Some(rows) = import_admin_units(&mut tx, dir, &mut units, progress.clone()).await? {
        summary.files.push((ADMIN_UNITS.file.to_owned(), rows));
    }
    if let Some(rows) = import_population(&mut tx, dir, &units, progress.clone()).await? {
        summary.files.push((POPULATION.file.to_owned(), rows));
    }

    let services: Vec<(String, String)> = sqlx::query_as("SELECT code, level FROM services")
        .fetch_all(&mut *tx)
        .await?;
    let ctx = Arc::new(Context {
        today: now.date_naive(),
        units,
        services: services
            .into_iter()
            .map(|(code, level)| (code, level.parse().unwrap_or(ServiceLevel::Secondary)))
            .collect(),
    });

    let empty = EmptyAtStart {
        households: is_empty(&mut tx, "households").await?,
        persons: is_empty(&mut tx, "persons").await?,
    };
    let job = Job {
        dir: dir.to_owned(),
        ctx,
        progress,
        batch,
        now,
        empty,
    };
    // Empty tables are loaded bare and their keys and indexes rebuilt once persons.csv (which
    // adds implicit households) is in. A table with rows keeps them: its rows are upserted.
    let mut bare = Vec::new();
    if empty.households {
        bare.push("households");
    }
    if empty.persons {
        bare.extend(["persons", "person_target_groups"]);
    }
    let deferred = take_apart(&mut tx, &bare).await?;
    if let Some(rows) = import_households(&mut tx, &job).await? {
        summary.files.push((HOUSEHOLDS.file.to_owned(), rows));
    }
    if let Some(rows) = import_persons(&mut tx, &job).await? {
        summary.files.push((PERSONS.file.to_owned(), rows));
    }
    restore(&mut tx, deferred).await?;
    if let Some(rows) = import_cases(&mut tx, &job).await? {
        summary.files.push((CASES.file.to_owned(), rows));
    }
    if let Some(rows) = import_episodes(&mut tx, &job).await? {
        summary.files.push((SERVICE_EPISODES.file.to_owned(), rows));
    }
    sqlx::query(crate::scope::MARK_ALL_NAMED)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(summary)
}

async fn read_all<T: Send + 'static>(
    dir: &Path,
    spec: &'static FileSpec,
    progress: Arc<dyn ImportProgress>,
    parse: fn(&Row, u64) -> Result<T, ImportError>,
) -> StoreResult<Option<Vec<(u64, T)>>> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut rows = Vec::new();
        let found = for_each_row(&dir, spec, progress.as_ref(), |row, line| {
            rows.push((line, parse(row, line)?));
            Ok::<(), ImportError>(())
        })?;
        Ok(found.map(|_| rows))
    })
    .await
    .map_err(|e| StoreError::Config(format!("the import stopped: {e}")))?
}

async fn import_admin_units(
    conn: &mut PgConnection,
    dir: &Path,
    units: &mut HashSet<String>,
    progress: Arc<dyn ImportProgress>,
) -> StoreResult<Option<u64>> {
    let Some(rows) = read_all(dir, &ADMIN_UNITS, progress, |row, line| {
        AdminUnitRow::parse(row).map_err(|e| field_error(&ADMIN_UNITS, line, e))
    })
    .await?
    else {
        return Ok(None);
    };
    let mut next_order: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(sort_order), 0) + 1 FROM admin_units")
            .fetch_one(&mut *conn)
            .await?;
    let mut seen = HashSet::new();
    for (line, u) in &rows {
        if !seen.insert(u.code.as_str().to_owned()) {
            return Err(file_error(
                &ADMIN_UNITS,
                *line,
                Some("code"),
                super::say::unit_twice(u.code.as_str()),
            )
            .into());
        }
        if let Some(parent) = &u.parent_code {
            if !units.contains(parent.as_str()) {
                return Err(file_error(
                    &ADMIN_UNITS,
                    *line,
                    Some("parent_code"),
                    super::say::unknown_parent(parent.as_str()),
                )
                .into());
            }
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT sort_order FROM admin_units WHERE code = $1")
                .bind(u.code.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        let order = existing.unwrap_or_else(|| {
            next_order += 1;
            next_order
        });
        sqlx::query(crate::reference::UPSERT_ADMIN_UNIT)
            .bind(u.code.as_str())
            .bind(u.parent_code.as_ref().map(|p| p.as_str()))
            .bind(&u.level)
            .bind(&u.name_tk)
            .bind(&u.name_en)
            .bind(&u.name_ru)
            .bind(u.population.map(|p| p as i64))
            .bind(u.population_year)
            .bind(&u.source)
            .bind(order)
            .execute(&mut *conn)
            .await?;
        units.insert(u.code.as_str().to_owned());
    }
    Ok(Some(rows.len() as u64))
}

async fn import_population(
    conn: &mut PgConnection,
    dir: &Path,
    units: &HashSet<String>,
    progress: Arc<dyn ImportProgress>,
) -> StoreResult<Option<u64>> {
    let Some(rows) = read_all(dir, &POPULATION, progress, |row, line| {
        PopulationRow::parse(row).map_err(|e| field_error(&POPULATION, line, e))
    })
    .await?
    else {
        return Ok(None);
    };
    let mut seen = HashSet::new();
    for (line, p) in &rows {
        if !units.contains(p.admin_unit.as_str()) {
            return Err(file_error(
                &POPULATION,
                *line,
                Some("admin_unit"),
                Catalogue::unknown_unit_message(p.admin_unit.as_str()),
            )
            .into());
        }
        if !seen.insert((p.admin_unit.as_str().to_owned(), p.sex, p.age_band, p.year)) {
            return Err(
                file_error(&POPULATION, *line, None, super::say::population_twice(p)).into(),
            );
        }
        sqlx::query(
            "INSERT INTO population (admin_unit, sex, age_band, year, population) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (admin_unit, sex, age_band, year) DO UPDATE SET population = excluded.population",
        )
        .bind(p.admin_unit.as_str())
        .bind(p.sex.as_str())
        .bind(p.age_band.as_str())
        .bind(p.year)
        .bind(p.population as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(rows.len() as u64))
}

async fn import_households(conn: &mut PgConnection, job: &Job) -> StoreResult<Option<u64>> {
    let (batch, now) = (job.batch, job.now);
    let rows = stage(conn, job, &HOUSEHOLDS, "stage_households",
        "line BIGINT, id UUID, external_id TEXT COLLATE \"C\", admin_unit TEXT, settlement TEXT, address TEXT",
        |row, line, ctx, buf| {
            let h = HouseholdRow::parse(row).map_err(|e| field_error(&HOUSEHOLDS, line, e))?;
            ctx.check_place(&HOUSEHOLDS, line, h.data.admin_unit.as_str())?;
            CopyLine::new(buf).plain(line).plain(Uuid::now_v7()).text(Some(h.household_id.as_str()))
                .text(Some(h.data.admin_unit.as_str())).text(h.data.settlement.map(|s| s.as_str()))
                .text(h.data.address.as_deref()).end();
            Ok(())
        }).await?;
    if rows.is_none() {
        return Ok(None);
    }
    first_failure(
        conn,
        &HOUSEHOLDS,
        &[(
            &duplicate_check("stage_households"),
            &duplicate_message("household_id"),
        )],
    )
    .await?;
    // Into an empty table there is nothing to conflict with (the staged ids are unique): a plain
    // INSERT spares the speculative insertion and its extra index probe per row.
    let conflict = if job.empty.households {
        ""
    } else {
        " ON CONFLICT (external_id) DO UPDATE SET admin_unit = excluded.admin_unit, settlement = excluded.settlement,
            address = excluded.address, version = households.version + 1, import_batch = excluded.import_batch,
            updated_at = excluded.updated_at"
    };
    sqlx::query(&format!(
        "INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit, version, import_batch, created_at, updated_at)
         SELECT id, external_id, admin_unit, settlement, address, FALSE, 1, $1, $2, $2 FROM stage_households{conflict}"
    ))
    .bind(batch)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(rows)
}

async fn import_persons(conn: &mut PgConnection, job: &Job) -> StoreResult<Option<u64>> {
    let (batch, now) = (job.batch, job.now);
    let rows = stage(conn, job, &PERSONS, "stage_persons",
        "line BIGINT, id UUID, implicit_household UUID, external_id TEXT COLLATE \"C\", household_ext TEXT COLLATE \"C\",
         relationship TEXT, given_name TEXT, family_name TEXT, name_key TEXT, sex TEXT, birth_date DATE,
         admin_unit TEXT, settlement TEXT, receives_benefits BOOLEAN, wg_seeing SMALLINT, wg_hearing SMALLINT,
         wg_walking SMALLINT, wg_cognition SMALLINT, wg_selfcare SMALLINT, wg_communication SMALLINT,
         disability BOOLEAN, target_groups TEXT, sensitive BOOLEAN",
        |row, line, ctx, buf| {
            let p = PersonRow::parse(row, ctx.today).map_err(|e| field_error(&PERSONS, line, e))?;
            let d = &p.data;
            ctx.check_place(&PERSONS, line, d.admin_unit.as_str())?;
            let wg = wg_columns(d);
            let mut l = CopyLine::new(buf);
            l.plain(line).plain(Uuid::now_v7()).plain(Uuid::now_v7()).text(Some(p.person_id.as_str()))
                .text(d.household_id.as_ref().map(ExternalId::as_str)).text(d.relationship.map(|r| r.as_str()))
                .text(Some(d.given_name.as_str())).text(d.family_name.as_ref().map(|f| f.as_str()))
                .text(Some(&name_key_of(d))).text(Some(d.sex.as_str())).opt(d.birth_date)
                .text(Some(d.admin_unit.as_str())).text(d.settlement.map(|s| s.as_str())).opt(d.receives_benefits);
            for answer in wg {
                l.opt(answer);
            }
            l.plain(d.has_disability()).text(Some(&d.target_groups.to_field())).plain(d.target_groups.is_sensitive()).end();
            Ok(())
        }).await?;
    if rows.is_none() {
        return Ok(None);
    }
    first_failure(conn, &PERSONS, &[
        (&duplicate_check("stage_persons"), &duplicate_message("person_id")),
        ("SELECT s.line, s.household_ext, NULL::text, NULL::text FROM stage_persons s
          WHERE s.household_ext IS NOT NULL AND NOT EXISTS (SELECT 1 FROM households h WHERE h.external_id = s.household_ext)
          ORDER BY s.line LIMIT 1",
         &|h, _, _| ("household_id", super::say::unknown("household", &h.unwrap_or_default(), HOUSEHOLDS.file))),
    ]).await?;
    // Implicit households are '~' || the person's id, which no household file can use (an id
    // cannot start with '~'), so they conflict only with earlier imports' implicit households.
    let households_conflict = if job.empty.households {
        ""
    } else {
        " ON CONFLICT (external_id) DO UPDATE SET admin_unit = excluded.admin_unit, settlement = excluded.settlement,
            import_batch = excluded.import_batch"
    };
    let persons_conflict = if job.empty.persons {
        ""
    } else {
        PERSONS_CONFLICT
    };
    for sql in [
        format!("INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit, version, import_batch, created_at, updated_at)
         SELECT implicit_household, '~' || external_id, admin_unit, settlement, NULL, TRUE, 1, $1, $2, $2
         FROM stage_persons WHERE household_ext IS NULL{households_conflict}"),
        format!("{INSERT_PERSONS}{persons_conflict}"),
    ] {
        sqlx::query(&sql).bind(batch).bind(now).execute(&mut *conn).await?;
    }
    if job.empty.persons {
        // Every person is new and kept the id staged for it: no join back to persons.
        sqlx::query(
            "INSERT INTO person_target_groups (person_id, target_group)
             SELECT s.id, g.code FROM stage_persons s
             CROSS JOIN LATERAL unnest(string_to_array(s.target_groups, ';')) AS g(code)
             WHERE s.target_groups <> ''",
        )
        .execute(&mut *conn)
        .await?;
    } else {
        // People updated by this import lose their old target groups before the new ones go in.
        sqlx::query(
            "DELETE FROM person_target_groups g USING persons p
             WHERE g.person_id = p.id AND p.import_batch = $1 AND p.version > 1",
        )
        .bind(batch)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO person_target_groups (person_id, target_group)
             SELECT p.id, g.code FROM stage_persons s JOIN persons p ON p.external_id = s.external_id
             CROSS JOIN LATERAL unnest(string_to_array(s.target_groups, ';')) AS g(code)
             WHERE s.target_groups <> ''",
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows)
}

/// What [`take_apart`] removed, to put back in this order: unique keys first (the foreign keys
/// need them), then the other indexes, then the foreign keys, each checking every row once.
#[derive(Default)]
struct Deferred {
    keys: Vec<String>,
    indexes: Vec<String>,
    foreign_keys: Vec<String>,
}

/// Loading into empty tables, per-row foreign-key triggers and index updates cost most of the
/// time; index builds (a sort each) and one set-wise check per foreign key at the end cost a
/// fraction. Drops every index, primary and unique key and foreign key of `tables` (which must be
/// empty: the caller checked), and the foreign keys that point at them from other tables (those
/// hold no reference to an empty table, so re-adding them checks nothing but NULLs). Everything
/// happens in the import's transaction, so a refused import keeps them all. Nothing relies on
/// the dropped unique keys meanwhile: the staged files were checked for duplicates first, and
/// the joins to these tables become hash joins. These tables and the ones pointing at them
/// (cases, episodes, assessments, referrals, merges) stay locked until the import commits: with
/// no persons yet, those hold nothing for anyone to wait for.
async fn take_apart(conn: &mut PgConnection, tables: &[&str]) -> StoreResult<Deferred> {
    let mut deferred = Deferred::default();
    if tables.is_empty() {
        return Ok(deferred);
    }
    let names: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
    // Foreign keys first: a primary key cannot go while a foreign key leans on it.
    let foreign: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT DISTINCT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE contype = 'f' AND (conrelid::regclass::text = ANY($1) OR confrelid::regclass::text = ANY($1))",
    )
    .bind(&names)
    .fetch_all(&mut *conn)
    .await?;
    for (table, name, definition) in foreign {
        sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))
            .execute(&mut *conn)
            .await?;
        deferred.foreign_keys.push(format!(
            "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}"
        ));
    }
    for table in tables {
        let keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
        )
        .bind(*table)
        .fetch_all(&mut *conn)
        .await?;
        for (name, definition) in keys {
            sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))
                .execute(&mut *conn)
                .await?;
            deferred.keys.push(format!(
                "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}"
            ));
        }
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT indexname::text, indexdef FROM pg_indexes
             WHERE schemaname = current_schema() AND tablename = $1",
        )
        .bind(*table)
        .fetch_all(&mut *conn)
        .await?;
        for (name, definition) in indexes {
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(&mut *conn)
                .await?;
            deferred.indexes.push(definition);
        }
    }
    Ok(deferred)
}

async fn restore(conn: &mut PgConnection, deferred: Deferred) -> StoreResult<()> {
    for sql in deferred
        .keys
        .into_iter()
        .chain(deferred.indexes)
        .chain(deferred.foreign_keys)
    {
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn import_cases(conn: &mut PgConnection, job: &Job) -> StoreResult<Option<u64>> {
    let (batch, now) = (job.batch, job.now);
    let rows = stage(conn, job, &CASES, "stage_cases",
        "line BIGINT, id UUID, external_id TEXT COLLATE \"C\", person_ext TEXT COLLATE \"C\", admin_unit TEXT,
         opened_on DATE, referral_source TEXT, priority TEXT, status TEXT, closed_on DATE, worker_id TEXT",
        |row, line, ctx, buf| {
            let c = CaseRow::parse(row, ctx.today).map_err(|e| field_error(&CASES, line, e))?;
            let d = &c.data;
            ctx.check_place(&CASES, line, d.admin_unit.as_str())?;
            CopyLine::new(buf).plain(line).plain(Uuid::now_v7()).text(Some(c.case_id.as_str()))
                .text(Some(d.person_id.as_str())).text(Some(d.admin_unit.as_str())).plain(d.opened_on)
                .text(Some(d.referral_source.as_str())).text(d.priority.map(|p| p.as_str()))
                .text(Some(d.status.as_str())).opt(d.closed_on).text(d.worker_id.as_ref().map(ExternalId::as_str)).end();
            Ok(())
        }).await?;
    if rows.is_none() {
        return Ok(None);
    }
    first_failure(conn, &CASES, &[
        (&duplicate_check("stage_cases"), &duplicate_message("case_id")),
        ("SELECT s.line, s.person_ext, NULL::text, NULL::text FROM stage_cases s
          WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.external_id = s.person_ext) ORDER BY s.line LIMIT 1",
         &|p, _, _| ("person_id", super::say::unknown("person", &p.unwrap_or_default(), PERSONS.file))),
        ("SELECT s.line, s.opened_on::text, p.birth_date::text, NULL::text FROM stage_cases s
          JOIN persons p ON p.external_id = s.person_ext WHERE s.opened_on < p.birth_date ORDER BY s.line LIMIT 1",
         &|opened, birth, _| ("opened_on", super::say::opened_before_birth(&opened.unwrap_or_default(), &birth.unwrap_or_default()))),
    ]).await?;
    sqlx::query(
        "INSERT INTO cases (id, external_id, person_id, admin_unit, opened_on, referral_source, priority, status, closed_on,
            worker_id, version, import_batch, created_at, updated_at)
         SELECT s.id, s.external_id, p.id, s.admin_unit, s.opened_on, s.referral_source, s.priority, s.status, s.closed_on,
            s.worker_id, 1, $1, $2, $2
         FROM stage_cases s JOIN persons p ON p.external_id = s.person_ext
         ON CONFLICT (external_id) DO UPDATE SET person_id = excluded.person_id, admin_unit = excluded.admin_unit,
            opened_on = excluded.opened_on, referral_source = excluded.referral_source, priority = excluded.priority,
            status = excluded.status, closed_on = excluded.closed_on, worker_id = excluded.worker_id,
            version = cases.version + 1, import_batch = excluded.import_batch, updated_at = excluded.updated_at",
    )
    .bind(batch)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(rows)
}

async fn import_episodes(conn: &mut PgConnection, job: &Job) -> StoreResult<Option<u64>> {
    let (batch, now) = (job.batch, job.now);
    let rows = stage(conn, job, &SERVICE_EPISODES, "stage_episodes",
        "line BIGINT, id UUID, external_id TEXT COLLATE \"C\", case_ext TEXT COLLATE \"C\", person_ext TEXT COLLATE \"C\",
         service_code TEXT, tertiary BOOLEAN, provider_id TEXT, started_on DATE, ended_on DATE, units INTEGER",
        |row, line, ctx, buf| {
            let e = EpisodeRow::parse(row, ctx.today).map_err(|err| field_error(&SERVICE_EPISODES, line, err))?;
            let d = &e.data;
            let Some(level) = ctx.services.get(d.service_code.as_str()) else {
                return Err(file_error(&SERVICE_EPISODES, line, Some("service_code"), Catalogue::unknown_service_message(d.service_code.as_str())));
            };
            CopyLine::new(buf).plain(line).plain(Uuid::now_v7()).text(Some(e.episode_id.as_str()))
                .text(d.case_id.as_ref().map(ExternalId::as_str)).text(Some(d.person_id.as_str()))
                .text(Some(d.service_code.as_str())).plain(*level == ServiceLevel::Tertiary)
                .text(d.provider_id.as_ref().map(ExternalId::as_str)).plain(d.started_on).opt(d.ended_on).opt(d.units).end();
            Ok(())
        }).await?;
    if rows.is_none() {
        return Ok(None);
    }
    first_failure(conn, &SERVICE_EPISODES, &[
        (&duplicate_check("stage_episodes"), &duplicate_message("episode_id")),
        ("SELECT s.line, s.person_ext, NULL::text, NULL::text FROM stage_episodes s
          WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.external_id = s.person_ext) ORDER BY s.line LIMIT 1",
         &|p, _, _| ("person_id", super::say::unknown("person", &p.unwrap_or_default(), PERSONS.file))),
        ("SELECT s.line, s.started_on::text, p.birth_date::text, NULL::text FROM stage_episodes s
          JOIN persons p ON p.external_id = s.person_ext WHERE s.started_on < p.birth_date ORDER BY s.line LIMIT 1",
         &|started, birth, _| ("started_on", super::say::started_before_birth(&started.unwrap_or_default(), &birth.unwrap_or_default()))),
        ("SELECT s.line, s.case_ext, NULL::text, NULL::text FROM stage_episodes s
          WHERE s.case_ext IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.external_id = s.case_ext)
          ORDER BY s.line LIMIT 1",
         &|c, _, _| ("case_id", super::say::unknown("case", &c.unwrap_or_default(), CASES.file))),
        ("SELECT s.line, s.service_code, s.case_ext, c.referral_source FROM stage_episodes s
          LEFT JOIN cases c ON c.external_id = s.case_ext
          WHERE s.tertiary AND (s.case_ext IS NULL OR (c.id IS NOT NULL AND c.referral_source NOT IN ('court', 'mlsp')))
          ORDER BY s.line LIMIT 1",
         &|code, case, source| ("service_code", super::residential_refusal(&code.unwrap_or_default(), case.as_deref(), source.as_deref()).unwrap_or_default())),
    ]).await?;
    sqlx::query(
        "INSERT INTO service_episodes (id, external_id, case_id, person_id, service_code, provider_id, started_on, ended_on,
            units, version, import_batch, created_at, updated_at)
         SELECT s.id, s.external_id, c.id, p.id, s.service_code, s.provider_id, s.started_on, s.ended_on, s.units, 1, $1, $2, $2
         FROM stage_episodes s JOIN persons p ON p.external_id = s.person_ext
         LEFT JOIN cases c ON c.external_id = s.case_ext
         ON CONFLICT (external_id) DO UPDATE SET case_id = excluded.case_id, person_id = excluded.person_id,
            service_code = excluded.service_code, provider_id = excluded.provider_id, started_on = excluded.started_on,
            ended_on = excluded.ended_on, units = excluded.units, version = service_episodes.version + 1,
            import_batch = excluded.import_batch, updated_at = excluded.updated_at",
    )
    .bind(batch)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(rows)
}

const INSERT_PERSONS: &str = "INSERT INTO persons (id, external_id, household_id, relationship, given_name, family_name, name_key, sex,
    birth_date, admin_unit, settlement, receives_benefits, wg_seeing, wg_hearing, wg_walking, wg_cognition,
    wg_selfcare, wg_communication, disability, target_groups, sensitive, version, import_batch, created_at, updated_at)
 SELECT s.id, s.external_id, h.id, s.relationship, s.given_name, s.family_name, s.name_key, s.sex, s.birth_date,
    s.admin_unit, s.settlement, s.receives_benefits, s.wg_seeing, s.wg_hearing, s.wg_walking, s.wg_cognition,
    s.wg_selfcare, s.wg_communication, s.disability, s.target_groups, s.sensitive, 1, $1, $2, $2
 FROM stage_persons s JOIN households h ON h.external_id = COALESCE(s.household_ext, '~' || s.external_id)";

/// What makes [`INSERT_PERSONS`] an upsert when the table had people before the import.
const PERSONS_CONFLICT: &str = "
 ON CONFLICT (external_id) DO UPDATE SET household_id = excluded.household_id,
    relationship = excluded.relationship, given_name = excluded.given_name, family_name = excluded.family_name,
    name_key = excluded.name_key, sex = excluded.sex, birth_date = excluded.birth_date,
    admin_unit = excluded.admin_unit, settlement = excluded.settlement,
    receives_benefits = excluded.receives_benefits, wg_seeing = excluded.wg_seeing,
    wg_hearing = excluded.wg_hearing, wg_walking = excluded.wg_walking, wg_cognition = excluded.wg_cognition,
    wg_selfcare = excluded.wg_selfcare, wg_communication = excluded.wg_communication,
    disability = excluded.disability, target_groups = excluded.target_groups, sensitive = excluded.sensitive,
    version = persons.version + 1, import_batch = excluded.import_batch, updated_at = excluded.updated_at";
