//! Persistence for goldaw: one [`Store`] over SQLite (the embedded default) or PostgreSQL.
//!
//! This is the only crate that speaks SQL. SQL is written once where the dialects agree (runtime
//! `sqlx::query` with `$1` placeholders, which both accept) and the [`with_db!`] macro compiles
//! each use case once per backend. Where the dialects differ (migrations, bulk import), each
//! backend has its own file. Every public call takes the [`Principal`] asking, and queries are
//! filtered by its scope in SQL, so a record outside it cannot be read even by its id.

/// Runs `$body` with `$pool` bound to the SQLite or the PostgreSQL pool (or any other value the
/// two `Db`-like enums carry): the body is compiled once per backend, so one piece of SQL serves both.
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection of an open transaction `$tx: &mut Tx`
/// (`db::Tx`, either backend): the body is compiled once per backend, as with [`with_db!`], and
/// the macros that take a transaction (`append_audit!`, `refresh_due_dates!`, ...) take `$conn`.
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut *$tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

pub mod audit;
mod audit_writer;
pub mod backup;
pub mod cases;
pub mod catalogue;
pub mod consent;
pub mod contracting;
pub mod costing;
pub mod crypto;
pub mod dashboard;
mod db;
pub mod directory;
pub mod due_dates;
pub mod error;
pub mod gbv_statistics;
pub mod grants;
pub mod holdings;
pub mod hotline;
pub mod households;
pub mod indicators;
pub mod instruments;
pub mod interchange;
pub mod merges;
pub mod partners;
mod passwords;
pub mod people;
pub mod planning;
pub mod provider_inbox;
pub mod providers;
pub mod public_requests;
mod reference;
pub mod referrals;
mod release;
pub mod retention;
pub mod safety_plans;
mod scope;
pub mod service_referrals;
mod session_cache;
pub mod sessions;
pub mod settings;
pub mod statistics;
pub mod subject_access;
#[cfg(feature = "testing")]
pub mod testing;
pub mod two_factor;
pub mod users;
pub mod workforce;

pub use db::{configure_sqlite_process, DatabaseUrl, PoolSize};
pub use error::{StoreError, StoreResult};
pub use goldaw_core::access::Principal;

use catalogue::Catalogue;
use db::Db;
use goldaw_core::deadlines::Deadlines;
use std::sync::{Arc, RwLock};

/// The database behind goldaw. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// The operator's key for values encrypted at rest; `None` if not given.
    secrets: Option<crypto::Secrets>,
    url: DatabaseUrl,
    /// Reference data used to validate every write; reloaded after migrate and imports.
    catalogue: RwLock<Arc<Catalogue>>,
    /// The deadline rules and working-day calendar in force; reloaded when an admin changes them.
    deadlines: RwLock<Arc<Deadlines>>,
    /// Every version of the assessment instruments shipped so far; reloaded after migrate.
    instruments: RwLock<Arc<instruments::Instruments>>,
    /// Where the quick exit leaves to (`safety_plans::neutral_site`); reloaded after migrate.
    quick_exit_site: RwLock<Arc<str>>,
    /// Commits the audit events of reads in groups (see `audit_writer`).
    audit_writer: audit_writer::AuditWriter,
    /// Sessions looked up lately (see `session_cache` for how stale one may be).
    sessions: session_cache::SessionCache,
    /// Runs argon2 off the async workers, a bounded number at a time.
    hasher: passwords::Hasher,
    /// How long a new API token is good for.
    token_lifetime: users::TokenLifetime,
}

/// What the operator configures about a store (read by the binary, passed in).
#[derive(Default)]
pub struct StoreOptions {
    /// The key for values encrypted at rest (two-factor secrets, sensitive case text).
    pub secrets: Option<crypto::Secrets>,
    /// How long a new API token is good for (default 90 days).
    pub token_lifetime: users::TokenLifetime,
}

impl Store {
    /// Connects, runs the migrations of the backend and loads the shipped reference data.
    pub async fn open(url: &DatabaseUrl) -> StoreResult<Store> {
        Store::open_with_secrets(url, None).await
    }

    /// As [`Store::open`], with the key for values encrypted at rest (two-factor secrets, and the
    /// sensitive case text that follows).
    pub async fn open_with_secrets(
        url: &DatabaseUrl,
        secrets: Option<crypto::Secrets>,
    ) -> StoreResult<Store> {
        Store::open_with_options(
            url,
            StoreOptions {
                secrets,
                ..StoreOptions::default()
            },
        )
        .await
    }

    /// As [`Store::open`], with everything the operator configures but the pool size (the
    /// backend's default, [`PoolSize::default_for`]).
    pub async fn open_with_options(url: &DatabaseUrl, options: StoreOptions) -> StoreResult<Store> {
        Store::open_with_pool(url, PoolSize::default_for(url), options).await
    }

    /// As [`Store::open`], with everything the operator configures: how many connections to keep
    /// to the database, and the [`StoreOptions`].
    pub async fn open_with_pool(
        url: &DatabaseUrl,
        pool_size: PoolSize,
        options: StoreOptions,
    ) -> StoreResult<Store> {
        let StoreOptions {
            secrets,
            token_lifetime,
        } = options;
        let db = Db::connect(url, pool_size).await?;
        let audit_key = secrets.as_ref().map(|s| s.audit_key().clone());
        let store = Store {
            inner: Arc::new(Inner {
                audit_writer: audit_writer::AuditWriter::start(db.clone(), audit_key),
                db,
                secrets,
                url: url.clone(),
                catalogue: RwLock::new(Arc::new(Catalogue::default())),
                deadlines: RwLock::new(Arc::new(Deadlines::default())),
                instruments: RwLock::new(Arc::new(instruments::Instruments::default())),
                quick_exit_site: RwLock::new(Arc::from(goldaw_core::safety::DEFAULT_NEUTRAL_SITE)),
                sessions: session_cache::SessionCache::default(),
                hasher: passwords::Hasher::default(),
                token_lifetime,
            }),
        };
        store.migrate().await?;
        store.check_audit_key().await?;
        Ok(store)
    }

    /// Refuses a key that is not the one the audit chain is keyed with, before anything appends.
    async fn check_audit_key(&self) -> StoreResult<()> {
        let Some(key) = self.audit_key() else {
            return Ok(());
        };
        let head: audit::Head = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT seq, hash, keyed_from, key_check FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        match head.keyed_from {
            Some(from) if head.key_check.as_deref() != Some(key.check()) => {
                Err(audit::wrong_key(from))
            }
            _ => Ok(()),
        }
    }

    /// The key of the audit chain, if the operator's key was given.
    pub(crate) fn audit_key(&self) -> Option<&audit::AuditKey> {
        self.inner.secrets.as_ref().map(|s| s.audit_key())
    }

    /// Applies pending migrations and (re)loads the reference data shipped with goldaw.
    pub async fn migrate(&self) -> StoreResult<()> {
        self.inner.db.migrate().await?;
        reference::load_shipped(&self.inner.db).await?;
        let shipped = goldaw_core::instruments::default_instruments()
            .map_err(|e| StoreError::Reference(e.to_string()))?;
        self.load_instruments(&shipped).await?;
        self.reload_catalogue().await?;
        self.reload_deadlines().await?;
        self.reload_quick_exit_site().await?;
        self.refresh_stale_due_dates().await.map(|_| ())
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Whether the operator's key was given (case text and two-factor secrets need it).
    pub fn has_secrets(&self) -> bool {
        self.inner.secrets.is_some()
    }

    /// Seals optional free text with the operator's key, bound to `context` (column and row);
    /// `what` names the feature in the error when no key was given.
    pub(crate) fn seal_text(
        &self,
        what: &str,
        text: Option<&str>,
        context: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        text.map(|t| self.secrets(what)?.seal(t.as_bytes(), context))
            .transpose()
    }

    /// Opens what [`Store::seal_text`] sealed under the same `context`.
    pub(crate) fn open_text(
        &self,
        what: &str,
        sealed: Option<&[u8]>,
        context: &str,
    ) -> StoreResult<Option<String>> {
        sealed
            .map(|s| {
                let bytes = self.secrets(what)?.open(s, context)?;
                String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(format!("{context}: {e}")))
            })
            .transpose()
    }

    pub(crate) fn secrets(&self, what: &str) -> StoreResult<&crypto::Secrets> {
        self.inner
            .secrets
            .as_ref()
            .ok_or_else(|| crypto::key_missing(what))
    }

    /// The reference data in force now.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        match self.inner.catalogue.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) async fn reload_catalogue(&self) -> StoreResult<()> {
        let fresh = Arc::new(Catalogue::load(&self.inner.db).await?);
        match self.inner.catalogue.write() {
            Ok(mut c) => *c = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// The deadline rules and calendar in force now.
    pub fn deadlines(&self) -> Arc<Deadlines> {
        match self.inner.deadlines.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) async fn reload_deadlines(&self) -> StoreResult<()> {
        let fresh = Arc::new(settings::load_deadlines(self.db()).await?);
        match self.inner.deadlines.write() {
            Ok(mut d) => *d = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Answers whether the database is reachable (for `/health`).
    pub async fn ping(&self) -> StoreResult<()> {
        with_db!(self.db(), pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.inner.audit_writer.close().await;
        self.inner.db.close().await
    }
}
