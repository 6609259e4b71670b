//! Which database, and the one macro that runs the same code on either.

use crate::error::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where the data lives: `sqlite://PATH` (the default, a file) or `postgres://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `./goldaw-data/goldaw.db`: used when neither `--database-url` nor `GOLDAW_DATABASE_URL` is set.
    pub fn default_sqlite() -> DatabaseUrl {
        DatabaseUrl::Sqlite(PathBuf::from("goldaw-data").join("goldaw.db"))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(_))
    }
}

impl FromStr for DatabaseUrl {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::Config(
                    "the SQLite database URL needs a file path, as in sqlite://goldaw-data/goldaw.db".into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        Err(StoreError::Config(format!(
            "unsupported database URL '{}': use sqlite://PATH or postgres://USER@HOST/DB",
            redact(s)
        )))
    }
}

/// Hides a password in a URL before it is shown anywhere.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => f.write_str(&redact(u)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// SQLite options every connection gets: WAL so readers never wait for the writer, foreign keys
/// enforced, and a busy timeout so a second writer waits instead of failing at once; a 16 MiB page
/// cache per connection.
///
/// `synchronous=FULL`: every commit flushes the WAL to the disk before it is acknowledged, so what
/// goldaw answered as saved survives a power cut or an operating-system crash, not only a crash
/// of goldaw itself (with NORMAL, WAL mode flushes only at checkpoints, and a power cut may lose
/// the last acknowledged commits). A system of record acknowledges only what is on the disk; the
/// cost, one fsync per commit, is measured in docs/operations.md (the audit events of reads are
/// committed in groups, so reads pay it once per batch, not once each).
///
/// `secure_delete=ON`: content a statement removes (a row deleted or rewritten, a page freed) is
/// overwritten with zeros in the page, so the text retention removes (docs/operations.md,
/// "Retention") and any record deleted does not stay readable in the file's free space. It costs
/// zeroing in memory and the writes of freed pages (measured in docs/operations.md).
///
/// No memory-mapped I/O: in WAL mode a connection drops its page cache and, with mmap, unmaps and
/// remaps the file whenever another connection wrote since its last read, and the audit events of
/// reads are written all the time. Measured under the load benchmark (bench/README.md), the munmap
/// and the page faults after it cost more than reading the pages again with `pread`: 12% of the
/// case page's CPU time and a third of the task list's.
pub(crate) fn sqlite_options(path: &std::path::Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-16384")
        .pragma("secure_delete", "ON")
}

/// How many connections a process keeps to its database, 2 to 500 (the binary reads it from
/// `--database-pool` or `GOLDAW_DATABASE_POOL` and passes it in); without one, 8 for SQLite and 16
/// for PostgreSQL ([`PoolSize::default_for`]). An operator sizes it to the database server:
/// PostgreSQL serves best with a few busy connections per core (on the 2-core benchmark machine 4
/// did at least as well as 16: bench/README.md), and several goldaw processes on one server must
/// stay under its `max_connections` together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSize(u32);

impl PoolSize {
    /// The fewest connections accepted.
    pub const MIN: u32 = 2;
    /// The most connections accepted.
    pub const MAX: u32 = 500;

    /// A pool of `n` connections, if `n` is from [`PoolSize::MIN`] to [`PoolSize::MAX`].
    pub fn new(n: u32) -> Result<PoolSize, String> {
        if (Self::MIN..=Self::MAX).contains(&n) {
            Ok(PoolSize(n))
        } else {
            Err(pool_size_refused(&n.to_string()))
        }
    }

    /// The size used when the operator sets none: 8 for SQLite, 16 for PostgreSQL.
    pub fn default_for(url: &DatabaseUrl) -> PoolSize {
        PoolSize(if url.is_sqlite() { 8 } else { 16 })
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

fn pool_size_refused(value: &str) -> String {
    format!(
        "GOLDAW_DATABASE_POOL is '{value}': it must be a whole number of connections from {} to {}",
        PoolSize::MIN,
        PoolSize::MAX
    )
}

/// Surrounding spaces are ignored; the error names the setting and the range, as the operator
/// reads it.
impl FromStr for PoolSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().parse::<u32>() {
            Ok(n) if (Self::MIN..=Self::MAX).contains(&n) => Ok(PoolSize(n)),
            _ => Err(pool_size_refused(s)),
        }
    }
}

impl fmt::Display for PoolSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Pool options both databases share. sqlx's default pings every connection as it is taken from
/// the pool, a round trip to the server (or to SQLite's worker thread) before each query; it also
/// pings every connection as it is given back, and closes it if that fails. So a connection that
/// broke while in use is dropped when it is released, and one that may have broken while idle
/// (a server restart) is the only case left: ping only a connection idle for over a second —
/// under load none is, and when the pool is quiet the ping costs nothing. Measured on the case
/// page (bench/README.md): about 7% less CPU per page on PostgreSQL.
fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// See [`pool_options`].
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// An open transaction on either backend, for use cases that compose: the caller begins it
/// ([`Db::begin`]), passes `&mut Tx` to the `*_in` variants of the use cases (each appends its
/// own audit event and does its checks and writes through it), and commits once. Dropped
/// without a commit, nothing of it is written. Bodies reach its connection with `with_tx!`.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Db {
    pub(crate) async fn connect(url: &DatabaseUrl, pool_size: PoolSize) -> StoreResult<Db> {
        let connections = pool_size.get();
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Config(format!(
                            "cannot create the data folder {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                let pool = pool_options::<sqlx::Sqlite>()
                    .max_connections(connections)
                    .connect_with(sqlite_options(path))
                    .await
                    .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", url)))?;
                Ok(Db::Sqlite(pool))
            }
            DatabaseUrl::Postgres(u) => {
                let options = PgConnectOptions::from_str(u)
                    .map_err(|e| StoreError::Config(format!("cannot use {}: {e}", url)))?
                    // No JIT compilation: goldaw's queries are short lookups by key, yet a plan
                    // whose estimate passes jit_above_cost (the case file's merged-people query
                    // over 7 million persons) was compiled on every run: 10-100 ms each.
                    .options([("jit", "off")]);
                let pool = pool_options::<sqlx::Postgres>()
                    .max_connections(connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(|e| StoreError::Config(format!("cannot connect to {}: {e}", url)))?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Begins a transaction that several use cases write through ([`Tx`]).
    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub(crate) async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Process-wide SQLite settings, to call once at program start before any database is opened.
///
/// Turns off SQLite's memory-usage statistics: with them on, every allocation inside SQLite takes
/// a global mutex, which measured 15% of a national import's time. goldaw never reads them.
pub fn configure_sqlite_process() {
    // SAFETY: sqlite3_config is only valid before sqlite3_initialize; it then returns
    // SQLITE_MISUSE and changes nothing, which is harmless, so the result is ignored.
    unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend_and_hide_passwords() {
        assert_eq!(
            "sqlite://goldaw-data/x.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("goldaw-data/x.db".into())
        );
        assert_eq!(
            "sqlite:///tmp/x.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        let pg: DatabaseUrl = "postgres://goldaw:secret@127.0.0.1:5432/goldaw"
            .parse()
            .unwrap();
        assert!(!pg.to_string().contains("secret"));
        assert!(pg.to_string().contains("goldaw:***@127.0.0.1"));
        let err = "mysql://u:pw@h/db"
            .parse::<DatabaseUrl>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("sqlite://PATH"), "{err}");
        assert!(!err.contains("pw@"), "{err}");
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn pool_sizes_are_two_to_five_hundred() {
        assert_eq!(" 4 ".parse::<PoolSize>().unwrap().get(), 4);
        assert_eq!(PoolSize::new(500).unwrap().get(), 500);
        for bad in ["0", "1", "many", "501", "-4", ""] {
            let err = bad.parse::<PoolSize>().unwrap_err();
            assert!(
                err.contains("GOLDAW_DATABASE_POOL") && err.contains("from 2 to 500"),
                "{bad}: {err}"
            );
        }
        assert!(PoolSize::new(1).is_err());
        let sqlite = DatabaseUrl::default_sqlite();
        assert_eq!(PoolSize::default_for(&sqlite).get(), 8);
        let pg = DatabaseUrl::Postgres("postgres://u@h/db".into());
        assert_eq!(PoolSize::default_for(&pg).get(), 16);
    }
}
