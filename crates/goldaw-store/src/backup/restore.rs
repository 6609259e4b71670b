//! `goldaw restore`: a backup into an empty database, or over one that holds data when forced.

use super::check::{self, run_pg_tool, split_password};
use super::{Manifest, PgTools};
use crate::audit::{AuditAnchor, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::{crypto, DatabaseUrl, Store};
use goldaw_core::access::Principal;
use sqlx::Connection;
use std::path::{Path, PathBuf};

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// The audit chain's check after the restore, in words.
    pub audit: String,
    /// SQLite, forced over a database that held data: where the old file was kept.
    pub replaced: Option<PathBuf>,
}

/// What a database holds, for the refusal to overwrite it; `None` when it is empty (no tables,
/// or goldaw's tables with nothing written: no audit event, no person).
struct Holding {
    tables: i64,
    events: Option<i64>,
    persons: Option<i64>,
}

impl Holding {
    fn holds_data(&self) -> bool {
        self.tables > 0 && (self.events != Some(0) || self.persons != Some(0))
    }

    fn describe(&self) -> String {
        match (self.events, self.persons) {
            (Some(e), Some(p)) => format!("{e} audit events, {p} persons"),
            _ => format!(
                "{} tables that are not an empty goldaw database",
                self.tables
            ),
        }
    }
}

/// Restores the backup in folder `dir` into the database at `url`, which must be empty unless
/// `force`; then opens it (migrating it, if the backup is of an older goldaw), verifies its audit
/// chain through the head the manifest names (with `secrets`, the keyed events too) and records
/// the restore in the log (`backup.restore`).
///
/// SQLite: goldaw must not be serving from the file meanwhile (stop it first). The copy is put
/// beside the target and checked before it takes the target's place; a forced restore keeps the
/// old file as `NAME.replaced-TIME`.
pub async fn restore(
    url: &DatabaseUrl,
    dir: &Path,
    force: bool,
    tools: &PgTools,
    secrets: Option<crypto::Secrets>,
) -> StoreResult<RestoreReport> {
    let manifest = Manifest::read(dir)?;
    let kind = if url.is_sqlite() {
        "sqlite"
    } else {
        "postgres"
    };
    if manifest.backend != kind {
        return Err(StoreError::Config(format!(
            "the backup is of a {} database and {url} is {kind}: restore it into a {} database \
             (goldaw export and import move data between the two)",
            manifest.backend, manifest.backend
        )));
    }
    let anchor: AuditAnchor = manifest
        .audit_head
        .parse()
        .map_err(|e| StoreError::Config(format!("the manifest's audit_head: {e}")))?;
    let holding = holding(url).await?;
    if holding.holds_data() && !force {
        return Err(StoreError::Config(format!(
            "{url} holds data ({}): a restore goes into an empty database; give --force to \
             replace what it holds{}",
            holding.describe(),
            if url.is_sqlite() {
                " (the old file is kept beside it)"
            } else {
                ""
            }
        )));
    }
    let copy = manifest.copy_in(dir);
    let replaced = match url {
        DatabaseUrl::Sqlite(target) => restore_sqlite(&copy, target, &anchor).await?,
        DatabaseUrl::Postgres(u) => {
            let (plain, password) = split_password(u);
            let mut args: Vec<String> = vec![
                "--no-owner".into(),
                "--no-privileges".into(),
                "--exit-on-error".into(),
                "--single-transaction".into(),
            ];
            if holding.tables > 0 {
                args.push("--clean".into());
                args.push("--if-exists".into());
            }
            args.push(format!("--dbname={plain}"));
            args.push(copy.to_string_lossy().into_owned());
            run_pg_tool(tools.program("pg_restore"), args, password).await?;
            None
        }
    };
    let store = Store::open_with_secrets(url, secrets).await?;
    let checked = async {
        let report = store
            .verify_audit_with(std::slice::from_ref(&anchor))
            .await?;
        let audit = check::judge_chain(&report)?;
        store
            .audit(
                &Principal::system("restore"),
                AuditEvent::plain("backup.restore").with_detail(format!(
                    "backup taken {} at audit event {}",
                    manifest.taken_at, anchor.seq
                )),
            )
            .await?;
        StoreResult::Ok(audit)
    }
    .await;
    store.close().await;
    Ok(RestoreReport {
        audit: checked?,
        manifest,
        replaced,
    })
}

/// The copy beside the target, checked (integrity, the chain through the manifest's head), then
/// in the target's place; the target's old file (and its WAL) kept under another name.
async fn restore_sqlite(
    copy: &Path,
    target: &Path,
    anchor: &AuditAnchor,
) -> StoreResult<Option<PathBuf>> {
    let name = target
        .file_name()
        .ok_or_else(|| StoreError::Config(format!("{}: not a file name", target.display())))?
        .to_string_lossy()
        .into_owned();
    let folder = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&folder)
        .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", folder.display())))?;
    let staged = folder.join(format!("{name}.restoring"));
    let io = |what: &str, p: &Path, e: std::io::Error| {
        StoreError::Config(format!("cannot {what} {}: {e}", p.display()))
    };
    for stale in [staged.clone(), wal(&staged), shm(&staged)] {
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io("remove", &stale, e))
            }
            _ => {}
        }
    }
    std::fs::copy(copy, &staged).map_err(|e| io("copy the backup to", &staged, e))?;
    check::sync_file(&staged)?;
    if let Err(e) = check::check_sqlite_copy(&staged, None, Some(anchor)).await {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    for extra in [wal(&staged), shm(&staged)] {
        let _ = std::fs::remove_file(extra);
    }
    let mut replaced = None;
    if target.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = folder.join(format!("{name}.replaced-{stamp}"));
        std::fs::rename(target, &kept).map_err(|e| io("move aside", target, e))?;
        if wal(target).exists() {
            std::fs::rename(wal(target), wal(&kept))
                .map_err(|e| io("move aside", &wal(target), e))?;
        }
        replaced = Some(kept);
    }
    let _ = std::fs::remove_file(shm(target));
    let _ = std::fs::remove_file(wal(target));
    std::fs::rename(&staged, target).map_err(|e| io("put the copy in place as", target, e))?;
    check::sync_file(target)?;
    Ok(replaced)
}

fn wal(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", p.display()))
}

fn shm(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}-shm", p.display()))
}

/// What the target database holds (without creating or changing it).
async fn holding(url: &DatabaseUrl) -> StoreResult<Holding> {
    const COUNTS: [&str; 2] = [
        "SELECT seq FROM audit_head WHERE id = 1",
        "SELECT COUNT(*) FROM persons",
    ];
    match url {
        DatabaseUrl::Sqlite(path) => {
            if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
                return Ok(Holding {
                    tables: 0,
                    events: None,
                    persons: None,
                });
            }
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .read_only(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .map_err(|e| StoreError::Config(format!("cannot open {url}: {e}")))?;
            let tables: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_one(&mut conn)
            .await?;
            let events = sqlx::query_scalar(COUNTS[0])
                .fetch_one(&mut conn)
                .await
                .ok();
            let persons = sqlx::query_scalar(COUNTS[1])
                .fetch_one(&mut conn)
                .await
                .ok();
            let _ = conn.close().await;
            Ok(Holding {
                tables,
                events,
                persons,
            })
        }
        DatabaseUrl::Postgres(u) => {
            let mut conn = sqlx::PgConnection::connect(u)
                .await
                .map_err(|e| StoreError::Config(format!("cannot connect to {url}: {e}")))?;
            let tables: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")
                    .fetch_one(&mut conn)
                    .await?;
            let mut counts = [None, None];
            if tables > 0 {
                let exists: bool = sqlx::query_scalar(
                    "SELECT to_regclass('public.audit_head') IS NOT NULL AND to_regclass('public.persons') IS NOT NULL",
                )
                .fetch_one(&mut conn)
                .await?;
                if exists {
                    for (i, sql) in COUNTS.iter().enumerate() {
                        counts[i] = Some(
                            sqlx::query_scalar::<_, i64>(sql)
                                .fetch_one(&mut conn)
                                .await?,
                        );
                    }
                }
            }
            let _ = conn.close().await;
            Ok(Holding {
                tables,
                events: counts[0],
                persons: counts[1],
            })
        }
    }
}
