//! Backups an operator can restore: `goldaw backup` and `goldaw restore` (issue #20, item 1).
//!
//! A backup is a folder of two files: the copy of the database (`database.sqlite`, taken with
//! SQLite's `VACUUM INTO`, or `database.pgdump`, PostgreSQL's `pg_dump` custom format) and
//! `manifest.json` ([`Manifest`]: when, how large, its SHA-256, the audit chain's head in the copy
//! and the schema version). Both are consistent snapshots taken while goldaw serves and writes:
//! `VACUUM INTO` reads in one read transaction, and `pg_dump` is given a snapshot exported by a
//! transaction that also read the manifest's head, so the manifest says exactly what the copy holds.
//!
//! The encryption key is never in a backup (it is not in the database): a restored database
//! without its key has its sealed text and two-factor secrets unreadable and its keyed audit
//! events uncheckable. `docs/operations.md` says where to keep it.
//!
//! - `take.rs`: [`Store::backup`](crate::Store::backup), the copy and its checks;
//! - `restore.rs`: [`restore`], into an empty database (or over one, when forced);
//! - `check.rs`: the checks of a copy (integrity, audit chain) and the PostgreSQL tools.

mod check;
mod restore;
mod take;

pub use restore::{restore, RestoreReport};

use crate::error::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a backup folder holds, written as `manifest.json` beside the copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `goldaw-backup-1` (the layout of this folder).
    pub format: String,
    /// `sqlite` or `postgres`: a backup restores into the same kind of database.
    pub backend: String,
    /// The file of the copy, in the same folder.
    pub file: String,
    /// When the copy was taken (RFC 3339, UTC).
    pub taken_at: String,
    /// The copy's size in bytes.
    pub size: u64,
    /// The copy's SHA-256 (hex): a copy moved off the machine is checked against it.
    pub sha256: String,
    /// The audit chain's newest event in the copy, as `goldaw audit anchor` prints it (SEQ:HASH).
    pub audit_head: String,
    /// Whether the copy's audit chain has keyed events (their check needs the encryption key).
    pub audit_keyed: bool,
    /// The newest migration applied in the copy.
    pub schema_version: i64,
    /// The goldaw that took it.
    pub goldaw_version: String,
    /// What was checked before the manifest was written.
    pub checks: Vec<String>,
}

/// The manifest's `format`.
pub const FORMAT: &str = "goldaw-backup-1";
/// The manifest's file name in a backup folder.
pub const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const POSTGRES_FILE: &str = "database.pgdump";

/// Where the PostgreSQL client programs are (`pg_dump`, `pg_restore`): a folder, or `None` for
/// the `PATH`. The binary reads it from `--pg-bin-dir` / `GOLDAW_PG_BIN_DIR`.
#[derive(Debug, Clone, Default)]
pub struct PgTools {
    pub bin_dir: Option<PathBuf>,
}

impl PgTools {
    fn program(&self, name: &str) -> PathBuf {
        match &self.bin_dir {
            Some(dir) => dir.join(name),
            None => PathBuf::from(name),
        }
    }
}

impl crate::Store {
    /// Opens a database to back it up while goldaw may be serving from it: no migration and no
    /// reference data reloaded (they write, and would wait on or fail against the server's
    /// writers); the key, if given, must be the audit chain's.
    pub async fn open_for_backup(
        url: &crate::DatabaseUrl,
        secrets: Option<crate::crypto::Secrets>,
    ) -> StoreResult<crate::Store> {
        let db = crate::db::Db::connect(url, crate::PoolSize::default_for(url)).await?;
        let store = check::unmigrated(db, url.clone(), secrets);
        if let Err(e) = store.check_audit_key().await {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }
}

impl Manifest {
    /// Reads and checks `DIR/manifest.json` and the copy beside it (size and SHA-256).
    pub fn read(dir: &Path) -> StoreResult<Manifest> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            StoreError::Config(format!(
                "cannot read {}: {e} (a backup is the folder `goldaw backup --output` made)",
                path.display()
            ))
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            StoreError::Config(format!("{} is not a backup manifest: {e}", path.display()))
        })?;
        if manifest.format != FORMAT {
            return Err(StoreError::Config(format!(
                "{}: format '{}' is not {FORMAT}",
                path.display(),
                manifest.format
            )));
        }
        if manifest.file.contains('/')
            || manifest.file.contains('\\')
            || manifest.file.starts_with('.')
        {
            return Err(StoreError::Config(format!(
                "{}: the file '{}' must be a plain name in the backup folder",
                path.display(),
                manifest.file
            )));
        }
        let copy = dir.join(&manifest.file);
        let (size, sha256) = check::digest(&copy)?;
        if size != manifest.size || sha256 != manifest.sha256 {
            return Err(StoreError::Config(format!(
                "{} is not the copy the manifest describes ({} bytes, SHA-256 {}; the manifest says {} bytes, {}): \
                 it was truncated or changed after the backup; use another backup",
                copy.display(),
                size,
                sha256,
                manifest.size,
                manifest.sha256
            )));
        }
        Ok(manifest)
    }

    /// The copy's path in `dir`.
    pub fn copy_in(&self, dir: &Path) -> PathBuf {
        dir.join(&self.file)
    }
}
