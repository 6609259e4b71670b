//! Test support: a fresh, empty database on every backend the run has.
//!
//! SQLite always (a file in a temporary folder). PostgreSQL when `GOLDAW_TEST_POSTGRES_URL`
//! names a server where the user may create databases: each call creates a new database there.
//! The test command (`scripts/test.sh`) starts a throwaway PostgreSQL 15 and sets the variable;
//! under CI (`CI` set) a missing variable is an error, so PostgreSQL is never silently skipped.

use crate::{DatabaseUrl, Store};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TestDb {
    pub backend: &'static str,
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn open(&self) -> Store {
        match Store::open(&self.url).await {
            Ok(s) => s,
            Err(e) => panic!("cannot open the {} test database: {e}", self.backend),
        }
    }

    /// Opened with an encryption key, as case text needs.
    pub async fn open_with_key(&self) -> Store {
        let secrets = crate::crypto::Secrets::from_key([7u8; 32]);
        match Store::open_with_secrets(&self.url, Some(secrets)).await {
            Ok(s) => s,
            Err(e) => panic!("cannot open the {} test database: {e}", self.backend),
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub const POSTGRES_ENV: &str = "GOLDAW_TEST_POSTGRES_URL";

/// One fresh database per backend available to this run.
pub async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        dbs.push(pg);
    }
    dbs
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = DatabaseUrl::Sqlite(dir.path().join("goldaw.db"));
    TestDb {
        backend: "sqlite",
        url,
        _dir: Some(dir),
    }
}

/// A new empty PostgreSQL database, or `None` when no server was given (outside CI).
pub async fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        if std::env::var_os("CI").is_some() {
            panic!("{POSTGRES_ENV} is not set: run the tests with scripts/test.sh, which starts PostgreSQL");
        }
        eprintln!(
            "note: {POSTGRES_ENV} not set, PostgreSQL tests skipped (scripts/test.sh runs them)"
        );
        return None;
    };
    use sqlx::Connection;
    let name = format!(
        "goldaw_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    );
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = conn.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let url = DatabaseUrl::Postgres(format!("{base}/{name}"));
    Some(TestDb {
        backend: "postgres",
        url,
        _dir: None,
    })
}

/// Writes `instruments` to the database as a release shipping them would on migrate (for tests of
/// instrument revisions: a version 2, a version no longer shipped, a change made in place).
pub async fn ship_instruments(
    store: &Store,
    instruments: &[goldaw_core::instruments::Instrument],
) -> crate::StoreResult<()> {
    store.load_instruments(instruments).await
}

/// Starts an assessment of the case's person with the instrument `code`, answers every required
/// item with an unremarkable answer (no risk, no difficulty, need 1, consent given) and completes it:
/// for tests whose subject is a later step of the workflow.
pub async fn assess(
    store: &Store,
    principal: &crate::Principal,
    case_id: uuid::Uuid,
    code: &str,
) -> crate::StoreResult<crate::cases::AssessmentRecord> {
    use crate::cases::{AnswerInput, AssessmentSave, NewAssessment, RawAnswer};
    use goldaw_core::instruments::AnswerKind;
    let started = store
        .start_assessment(
            principal,
            case_id,
            NewAssessment {
                instrument: code.to_owned(),
                persons: Vec::new(),
            },
        )
        .await?;
    let instruments = store.instruments();
    let Some(instrument) = instruments.get(&started.instrument_code, started.instrument_version)
    else {
        return Err(crate::StoreError::NotFound);
    };
    let answers = started
        .missing
        .iter()
        .map(|m| {
            let kind = instrument.item(&m.item).map(|i| i.answer);
            let value = match kind {
                Some(AnswerKind::YesNo) => RawAnswer::Flag(m.item.starts_with("consent")),
                Some(AnswerKind::Need) => RawAnswer::Number(1),
                Some(AnswerKind::Scale0To10) => RawAnswer::Number(5),
                _ => RawAnswer::Number(1),
            };
            AnswerInput {
                person: m.person,
                item: m.item.clone(),
                value: Some(value),
                strengths: None,
                own_words: None,
            }
        })
        .collect();
    let saved = store
        .save_assessment(
            principal,
            started.id,
            AssessmentSave {
                version: started.version,
                answers,
                persons: None,
            },
        )
        .await?;
    store
        .complete_assessment(principal, saved.id, saved.version)
        .await
}

// Per-backend tests from one body (issue #17, item 6). A test written as one loop over
// `databases()` stops at the first backend that fails, hiding the other's result; these make each
// backend a test of its own, named `NAME::sqlite` and `NAME::postgres`.

/// A fresh database on one backend for [`each_backend!`]: `None` when the backend is not
/// available to this run (PostgreSQL outside CI without `GOLDAW_TEST_POSTGRES_URL`; the note is
/// printed and the test passes, as [`databases`] skips it).
pub async fn backend(name: &str) -> Option<TestDb> {
    match name {
        "sqlite" => Some(sqlite().await),
        "postgres" => postgres().await,
        other => panic!("no test backend {other}"),
    }
}

/// Runs each test body once per backend, each backend a test of its own.
///
/// ```ignore
/// goldaw_store::each_backend! {
///     /// What the test shows.
///     async fn a_referral_opens_a_case(db: TestDb) {
///         let store = db.open().await;
///         // ...
///     }
/// }
/// ```
///
/// makes `mod a_referral_opens_a_case { #[tokio::test] async fn sqlite() .. async fn postgres() .. }`.
/// Prefix a test with `multi_thread` for a multi-threaded runtime (two workers). The body sees the
/// enclosing module's items (`use super::*`) and returns `()`; `TestDb` needs no import; the caller's
/// crate needs `tokio`.
#[macro_export]
macro_rules! each_backend {
    () => {};
    ($(#[$meta:meta])* multi_thread async fn $name:ident($db:ident : TestDb) $body:block $($rest:tt)*) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn each_backend_body($db: $crate::testing::TestDb) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = $crate::testing::backend("sqlite").await {
                    each_backend_body(db).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::testing::backend("postgres").await {
                    each_backend_body(db).await
                }
            }
        }
        $crate::each_backend! { $($rest)* }
    };
    ($(#[$meta:meta])* async fn $name:ident($db:ident : TestDb) $body:block $($rest:tt)*) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn each_backend_body($db: $crate::testing::TestDb) $body
            #[tokio::test]
            async fn sqlite() {
                if let Some(db) = $crate::testing::backend("sqlite").await {
                    each_backend_body(db).await
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::testing::backend("postgres").await {
                    each_backend_body(db).await
                }
            }
        }
        $crate::each_backend! { $($rest)* }
    };
}

impl Store {
    /// Breaks the SQLite audit writer's own connection, as a connection in a bad state would be
    /// broken: every write on it fails from now on (`PRAGMA query_only`). The writer refuses the
    /// batch it was writing (its readers get an error, no read is answered unrecorded) and opens a
    /// new connection for the next one. `false` on PostgreSQL (it has none of its own).
    pub async fn break_audit_writer_connection(&self) -> bool {
        self.inner.audit_writer.break_own_connection().await
    }
}
