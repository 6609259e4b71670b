//! `goldaw backup`: a consistent copy while goldaw serves, its checks, and its manifest.

use super::check::{self, run_pg_tool, split_password};
use super::{Manifest, PgTools, FORMAT, MANIFEST, POSTGRES_FILE, SQLITE_FILE};
use crate::audit::{AuditAnchor, AuditEvent, Head};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::{crypto, DatabaseUrl, Store};
use goldaw_core::access::{Permission, Principal};
use std::path::Path;

impl Store {
    /// Takes a backup into the folder `dir` (new, or empty), while other connections go on
    /// writing: the copy, checked, and `manifest.json`. `check_key` is the encryption key again
    /// (the copy's keyed audit events are checked with it; without it their content is not).
    ///
    /// The backup is audited (`backup.take`, before the copy: the copy holds its own event).
    #[tracing::instrument(skip_all)]
    pub async fn backup(
        &self,
        principal: &Principal,
        dir: &Path,
        tools: &PgTools,
        check_key: Option<crypto::Secrets>,
    ) -> StoreResult<Manifest> {
        if !principal.may(Permission::BulkData) {
            return Err(StoreError::Forbidden(
                "a backup of the whole database is for the operator on the server".into(),
            ));
        }
        prepare_folder(dir)?;
        self.audit(principal, AuditEvent::plain("backup.take"))
            .await?;
        let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (file, facts) = match (self.db(), self.url()) {
            (Db::Sqlite(pool), _) => {
                let copy = dir.join(SQLITE_FILE);
                let target = copy.to_str().ok_or_else(|| {
                    StoreError::Config(format!("{}: the path must be UTF-8", copy.display()))
                })?;
                // One read transaction: the copy is the database as of its start, whatever
                // commits meanwhile.
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(pool)
                    .await?;
                check::sync_file(&copy)?;
                (
                    SQLITE_FILE,
                    check::check_sqlite_copy(&copy, check_key, None).await?,
                )
            }
            (Db::Postgres(pool), DatabaseUrl::Postgres(url)) => {
                let copy = dir.join(POSTGRES_FILE);
                let facts = self.pg_dump(pool, url, &copy, tools).await?;
                (POSTGRES_FILE, facts)
            }
            (Db::Postgres(_), DatabaseUrl::Sqlite(_)) => {
                return Err(StoreError::Config(
                    "the store's URL is not its database's".into(),
                ))
            }
        };
        let copy = dir.join(file);
        let (size, sha256) = check::digest(&copy)?;
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            backend: if self.url().is_sqlite() {
                "sqlite"
            } else {
                "postgres"
            }
            .to_owned(),
            file: file.to_owned(),
            taken_at,
            size,
            sha256,
            audit_head: facts.head.to_string(),
            audit_keyed: facts.keyed,
            schema_version: facts.schema_version,
            goldaw_version: env!("CARGO_PKG_VERSION").to_owned(),
            checks: facts.checks,
        };
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| StoreError::Config(format!("the manifest: {e}")))?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| StoreError::Config(format!("cannot write {}: {e}", path.display())))?;
        check::sync_file(&path)?;
        Ok(manifest)
    }

    /// PostgreSQL: `pg_dump -Fc` of a snapshot exported by a repeatable-read transaction that
    /// also reads the audit head and the schema version, so the manifest says what the dump
    /// holds; then the chain is verified through that head and the archive's table of contents
    /// is read back (`pg_restore --list`).
    async fn pg_dump(
        &self,
        pool: &sqlx::PgPool,
        url: &str,
        copy: &Path,
        tools: &PgTools,
    ) -> StoreResult<check::CopyFacts> {
        let mut conn = pool.acquire().await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *conn)
            .await?;
        let dumped = async {
            let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
                .fetch_one(&mut *conn)
                .await?;
            let head: Head = sqlx::query_as(
                "SELECT seq, hash, keyed_from, key_check FROM audit_head WHERE id = 1",
            )
            .fetch_one(&mut *conn)
            .await?;
            let schema_version: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&mut *conn)
                    .await?;
            let (plain, password) = split_password(url);
            let out = copy.to_string_lossy().into_owned();
            run_pg_tool(
                tools.program("pg_dump"),
                vec![
                    "--format=custom".into(),
                    format!("--snapshot={snapshot}"),
                    "--no-owner".into(),
                    format!("--file={out}"),
                    format!("--dbname={plain}"),
                ],
                password,
            )
            .await?;
            StoreResult::Ok((head, schema_version.unwrap_or(0)))
        }
        .await;
        let _ = sqlx::query("COMMIT").execute(&mut *conn).await;
        drop(conn);
        let (head, schema_version) = dumped?;
        check::sync_file(copy)?;
        let anchor = AuditAnchor {
            seq: head.seq,
            hash: head.hash.clone(),
        };
        // The live chain is append-only: verified up to now and through the dump's head (with
        // this store's key), it holds every event of the dump as the dump has it.
        let report = self.verify_audit_with(std::slice::from_ref(&anchor)).await;
        let mut checks = vec![check::judge_chain(&report?)?];
        let list = run_pg_tool(
            tools.program("pg_restore"),
            vec!["--list".into(), copy.to_string_lossy().into_owned()],
            None,
        )
        .await?;
        let entries = list
            .lines()
            .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
            .count();
        if !list.contains("TABLE DATA public audit_events") {
            return Err(StoreError::Config(format!(
                "pg_restore --list of {} shows no data of audit_events: the dump is incomplete",
                copy.display()
            )));
        }
        checks.insert(0, format!("pg_restore --list: {entries} entries"));
        Ok(check::CopyFacts {
            keyed: head.keyed_from.is_some(),
            head: anchor,
            schema_version,
            checks,
        })
    }
}

/// The backup folder: created (readable by its owner only) or empty.
fn prepare_folder(dir: &Path) -> StoreResult<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(StoreError::Config(format!(
                    "{} is not empty: a backup goes into a new or empty folder, never over another",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))
        }
        Err(e) => Err(StoreError::Config(format!(
            "cannot use {}: {e}",
            dir.display()
        ))),
    }
}
