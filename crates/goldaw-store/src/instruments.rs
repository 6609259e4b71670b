//! Assessment instruments in the database: every version ever shipped, kept.
//!
//! On every migrate the instruments compiled into the binary (`reference/instruments/*.toml`) are
//! written to the `instruments` table as JSON. A version already stored is never deleted, so an
//! assessment made with version 1 keeps its questions after a release ships version 2, even if that
//! release no longer carries the version 1 file: versions not shipped any more are only marked
//! inactive (no new assessment uses them). A stored version may take a shipped wording fix, but not a
//! change of its items once an assessment uses it: that must ship as a new version, and migrate
//! refuses otherwise, saying so.

use std::collections::BTreeSet;

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::Utc;
use goldaw_core::instruments::{AnswerKind, Instrument};

/// The instruments the database holds, every version; read from memory on every use.
#[derive(Debug, Default)]
pub struct Instruments {
    all: Vec<Instrument>,
    /// (code, version) of the versions shipped by the running release.
    active: BTreeSet<(String, u32)>,
}

impl Instruments {
    /// The instrument `code` at `version`, shipped now or earlier.
    pub fn get(&self, code: &str, version: u32) -> Option<&Instrument> {
        self.all
            .iter()
            .find(|i| i.code == code && i.version == version)
    }

    /// The version of `code` new assessments use: the highest one shipped by this release.
    pub fn in_force(&self, code: &str) -> Option<&Instrument> {
        self.all
            .iter()
            .filter(|i| i.code == code && self.is_active(i))
            .max_by_key(|i| i.version)
    }

    /// The version in force of every instrument, in the order they were first shipped.
    pub fn current(&self) -> Vec<&Instrument> {
        let mut codes: Vec<&str> = Vec::new();
        for i in &self.all {
            if !codes.contains(&i.code.as_str()) {
                codes.push(&i.code);
            }
        }
        codes.into_iter().filter_map(|c| self.in_force(c)).collect()
    }

    /// Every version held, active or not.
    pub fn all(&self) -> &[Instrument] {
        &self.all
    }

    pub fn is_active(&self, instrument: &Instrument) -> bool {
        self.active
            .contains(&(instrument.code.clone(), instrument.version))
    }
}

/// What an assessment's stored answers depend on: the items, their answer types and what proposes
/// critical. Two definitions with the same shape differ in wording only.
fn shape(i: &Instrument) -> Vec<(String, String, AnswerKind, bool)> {
    i.domains
        .iter()
        .flat_map(|d| {
            d.items.iter().map(|item| {
                (
                    d.code.clone(),
                    item.code.clone(),
                    item.answer,
                    item.proposes_critical,
                )
            })
        })
        .collect()
}

fn same_shape(a: &Instrument, b: &Instrument) -> bool {
    a.kind == b.kind && a.applies_to == b.applies_to && shape(a) == shape(b)
}

/// Writes `shipped` to the table in one transaction, as described in the module's comment.
pub(crate) async fn load(db: &Db, shipped: &[Instrument]) -> StoreResult<()> {
    let now = Utc::now();
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let stored: Vec<(String, i32, String)> =
            sqlx::query_as("SELECT code, version, definition FROM instruments")
                .fetch_all(&mut *tx)
                .await?;
        for instrument in shipped {
            let definition = serde_json::to_string(instrument)
                .map_err(|e| StoreError::Reference(format!("instrument '{}': {e}", instrument.code)))?;
            let version = i32::try_from(instrument.version).map_err(|_| {
                StoreError::Reference(format!("instrument '{}': version too high", instrument.code))
            })?;
            let before = stored
                .iter()
                .find(|(c, v, _)| *c == instrument.code && *v == version);
            match before {
                None => {
                    sqlx::query("INSERT INTO instruments (code, version, kind, definition, active, loaded_at) VALUES ($1, $2, $3, $4, TRUE, $5)")
                        .bind(&instrument.code)
                        .bind(version)
                        .bind(instrument.kind.as_str())
                        .bind(&definition)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                Some((_, _, old)) if *old == definition => {}
                Some((_, _, old)) => {
                    let old: Instrument = parse_stored(&instrument.code, instrument.version, old)?;
                    if !same_shape(&old, instrument) {
                        let (used,): (i64,) = sqlx::query_as(
                            "SELECT COUNT(*) FROM assessments WHERE instrument_code = $1 AND instrument_version = $2",
                        )
                        .bind(&instrument.code)
                        .bind(version)
                        .fetch_one(&mut *tx)
                        .await?;
                        if used > 0 {
                            return Err(StoreError::Reference(format!(
                                "instrument '{}' version {} was changed in place: its domains, items or answer types \
                                 differ from the stored version, which {used} assessment(s) use. Keep version {} as it \
                                 was and ship the change as version {} (docs/instruments.md)",
                                instrument.code,
                                instrument.version,
                                instrument.version,
                                instrument.version + 1
                            )));
                        }
                    }
                    // A wording fix, or a version nobody used yet.
                    sqlx::query("UPDATE instruments SET definition = $1, kind = $2, loaded_at = $3 WHERE code = $4 AND version = $5")
                        .bind(&definition)
                        .bind(instrument.kind.as_str())
                        .bind(now)
                        .bind(&instrument.code)
                        .bind(version)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        // Versions this release does not ship stay, inactive: old assessments still need them.
        let keys: Vec<(String, i32)> = sqlx::query_as("SELECT code, version FROM instruments")
            .fetch_all(&mut *tx)
            .await?;
        for (code, version) in keys {
            let active = shipped
                .iter()
                .any(|i| i.code == code && i64::from(i.version) == i64::from(version));
            sqlx::query("UPDATE instruments SET active = $1 WHERE code = $2 AND version = $3")
                .bind(active)
                .bind(&code)
                .bind(version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

fn parse_stored(code: &str, version: u32, definition: &str) -> StoreResult<Instrument> {
    serde_json::from_str(definition).map_err(|e| {
        StoreError::Corrupt(format!("stored instrument '{code}' version {version}: {e}"))
    })
}

/// Reads every stored version.
pub(crate) async fn read(db: &Db) -> StoreResult<Instruments> {
    let rows: Vec<(String, i32, String, bool)> = with_db!(db, pool => {
        sqlx::query_as("SELECT code, version, definition, active FROM instruments ORDER BY loaded_at, code, version")
            .fetch_all(pool)
            .await?
    });
    let mut out = Instruments::default();
    for (code, version, definition, active) in rows {
        let version = u32::try_from(version)
            .map_err(|_| StoreError::Corrupt(format!("instrument '{code}' version {version}")))?;
        let instrument = parse_stored(&code, version, &definition)?;
        if instrument.code != code || instrument.version != version {
            return Err(StoreError::Corrupt(format!(
                "stored instrument '{code}' version {version} holds '{}' version {}",
                instrument.code, instrument.version
            )));
        }
        if active {
            out.active.insert((code, version));
        }
        out.all.push(instrument);
    }
    // Oldest first, whatever the load times: the order of first shipping.
    out.all.sort_by(|a, b| {
        (shipped_order(&a.code), &a.code, a.version).cmp(&(
            shipped_order(&b.code),
            &b.code,
            b.version,
        ))
    });
    Ok(out)
}

/// The position of `code` among the files goldaw ships (unknown codes last), for a stable order.
fn shipped_order(code: &str) -> usize {
    goldaw_core::instruments::DEFAULT_INSTRUMENT_FILES
        .iter()
        .position(|(file, _)| file.trim_end_matches(".toml").split('.').next() == Some(code))
        .unwrap_or(usize::MAX)
}

impl Store {
    /// The assessment instruments the database holds (every version shipped so far).
    pub fn instruments(&self) -> std::sync::Arc<Instruments> {
        match self.inner.instruments.read() {
            Ok(i) => i.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Writes `shipped` as migrate does with the files compiled in, and reloads them.
    pub(crate) async fn load_instruments(&self, shipped: &[Instrument]) -> StoreResult<()> {
        load(self.db(), shipped).await?;
        let fresh = std::sync::Arc::new(read(self.db()).await?);
        match self.inner.instruments.write() {
            Ok(mut i) => *i = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}
