//! The checks of a copy (SQLite's integrity check, the audit chain) and the PostgreSQL client
//! programs a backup and a restore run.

use crate::audit::{AuditAnchor, AuditCheck, AuditReport};
use crate::catalogue::Catalogue;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::{crypto, DatabaseUrl, Inner, Store};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, RwLock};

/// The size and SHA-256 (hex) of a file.
pub(super) fn digest(path: &Path) -> StoreResult<(u64, String)> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| StoreError::Config(format!("cannot read {}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| StoreError::Config(format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((size, hex))
}

/// Flushes a written file (and its folder's entry) to the disk.
pub(super) fn sync_file(path: &Path) -> StoreResult<()> {
    let io =
        |e: std::io::Error| StoreError::Config(format!("cannot flush {}: {e}", path.display()));
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // A folder cannot be flushed on every system; the file itself was.
        let _ = std::fs::File::open(dir).and_then(|f| f.sync_all());
    }
    Ok(())
}

/// A store over a database as it is: no migration, no reference data loaded, nothing written
/// (the copy checked must stay the copy taken).
pub(super) fn unmigrated(db: Db, url: DatabaseUrl, secrets: Option<crypto::Secrets>) -> Store {
    let audit_key = secrets.as_ref().map(|s| s.audit_key().clone());
    Store {
        inner: Arc::new(Inner {
            audit_writer: crate::audit_writer::AuditWriter::start(db.clone(), audit_key),
            db,
            secrets,
            url,
            catalogue: RwLock::new(Arc::new(Catalogue::default())),
            deadlines: RwLock::new(Arc::default()),
            instruments: RwLock::new(Arc::default()),
            quick_exit_site: RwLock::new(Arc::from(goldaw_core::safety::DEFAULT_NEUTRAL_SITE)),
            sessions: Default::default(),
            hasher: Default::default(),
            token_lifetime: Default::default(),
        }),
    }
}

/// What a check of a SQLite copy found.
pub(super) struct CopyFacts {
    pub head: AuditAnchor,
    pub keyed: bool,
    pub schema_version: i64,
    pub checks: Vec<String>,
}

/// Opens a SQLite copy read-only: `PRAGMA integrity_check` must say `ok`, and its audit chain
/// must verify (with the key, if given) and pass through `anchor` when one is given.
pub(super) async fn check_sqlite_copy(
    path: &Path,
    secrets: Option<crypto::Secrets>,
    anchor: Option<&AuditAnchor>,
) -> StoreResult<CopyFacts> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Config(format!("cannot open the copy {}: {e}", path.display())))?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&pool)
        .await?;
    if integrity != ["ok"] {
        pool.close().await;
        return Err(StoreError::Config(format!(
            "the copy {} fails SQLite's integrity check: {}",
            path.display(),
            integrity.join("; ")
        )));
    }
    let schema_version = schema_version(&Db::Sqlite(pool.clone())).await?;
    let url = DatabaseUrl::Sqlite(path.to_owned());
    let store = unmigrated(Db::Sqlite(pool), url, secrets);
    let anchors: Vec<AuditAnchor> = anchor.into_iter().cloned().collect();
    let report = store.verify_audit_with(&anchors).await;
    store.close().await;
    let report = report?;
    let mut checks = vec!["sqlite integrity_check: ok".to_owned()];
    checks.push(judge_chain(&report)?);
    Ok(CopyFacts {
        head: report.head,
        keyed: report.keyed_from.is_some(),
        schema_version,
        checks,
    })
}

/// The chain's check in words; an error unless every event was checked, or (without the key)
/// every check that needs no key passed.
pub(super) fn judge_chain(report: &AuditReport) -> StoreResult<String> {
    match &report.check {
        AuditCheck::Intact { events } => Ok(format!("audit chain intact: {events} events")),
        AuditCheck::KeyNeeded { events, keyed_from } => Ok(format!(
            "audit chain: order and links of {events} events intact; events {keyed_from} to \
             {events} are keyed and were not checked (no encryption key given)"
        )),
        AuditCheck::Unkeyed { events } => Err(StoreError::Config(format!(
            "the audit chain of {events} events has no keyed event although the key was given: \
             its keyed part was replaced (goldaw audit verify says more)"
        ))),
        AuditCheck::Broken { seq, reason } => Err(StoreError::Config(format!(
            "the audit chain is broken at event {seq}: {reason}"
        ))),
    }
}

/// The newest migration applied.
pub(super) async fn schema_version(db: &Db) -> StoreResult<i64> {
    let v: Option<i64> = with_db!(db, pool => {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?
    });
    Ok(v.unwrap_or(0))
}

/// A PostgreSQL URL without its password, and the password (given to the client programs in
/// `PGPASSWORD`: a command line is visible to every user of the machine).
pub(super) fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme) = url.find("://") else {
        return (url.to_owned(), None);
    };
    let rest = &url[scheme + 3..];
    let host_start = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..host_start].rfind('@') else {
        return (url.to_owned(), None);
    };
    let userinfo = &rest[..at];
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{}{user}{}", &url[..scheme + 3], &rest[at..]),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a PostgreSQL client program (off the async workers) and returns its standard output;
/// a missing program is named with what to install.
pub(super) async fn run_pg_tool(
    program: std::path::PathBuf,
    args: Vec<String>,
    password: Option<String>,
) -> StoreResult<String> {
    let shown = program.display().to_string();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(&program);
        cmd.args(&args).stdin(std::process::Stdio::null());
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        cmd.output()
    })
    .await
    .map_err(|e| StoreError::Config(format!("{shown} did not finish: {e}")))?;
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Config(format!(
                "{shown} was not found: install PostgreSQL's client programs of the server's \
                 version (Debian: apt install postgresql-client-15) or name their folder with \
                 --pg-bin-dir (GOLDAW_PG_BIN_DIR)"
            )))
        }
        Err(e) => return Err(StoreError::Config(format!("cannot run {shown}: {e}"))),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(StoreError::Config(format!(
            "{shown} failed ({}): {}",
            output.status,
            stderr.trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://goldaw:s%40cret@db.local:5432/goldaw"),
            (
                "postgres://goldaw@db.local:5432/goldaw".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://goldaw@127.0.0.1/x"),
            ("postgres://goldaw@127.0.0.1/x".to_owned(), None)
        );
        assert_eq!(
            split_password("postgres://127.0.0.1/x?user=a@b"),
            ("postgres://127.0.0.1/x?user=a@b".to_owned(), None)
        );
    }
}
