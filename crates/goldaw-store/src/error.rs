//! What can go wrong in the store, in words a person can act on.

use crate::interchange::ImportError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or lies outside the principal's scope (the same answer, so
    /// that existence does not leak).
    #[error("not found")]
    NotFound,
    /// Someone else changed the record since it was read.
    #[error("the record was changed by someone else (your version {expected}, now {actual}): reload it and apply your change again")]
    Conflict { expected: i32, actual: i32 },
    /// The principal may not do this here.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The case workflow does not allow this now; the refusal says why.
    #[error("{0}")]
    Refused(goldaw_core::workflow::Refusal),
    /// The input is well-formed but contradicts what the database holds. `message` is English
    /// (the API, the command line, logs); `say`, when set, is the same in words the pages
    /// translate into the reader's language.
    #[error("{field}: {message}")]
    Invalid {
        field: String,
        message: String,
        say: Option<Say>,
    },
    #[error("{0}")]
    Import(#[from] ImportError),
    /// A stored value no longer parses: the database was changed outside goldaw.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("reference data: {0}")]
    Reference(String),
    /// The audit event of a read could not be stored, so the read is not answered.
    #[error("the audit log could not be written: {0}")]
    AuditWrite(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.to_owned(),
            message: message.into(),
            say: None,
        }
    }

    /// Gives a refusal of input the key of its message in the web's translation files
    /// (`crates/goldaw-web/i18n/*/store.ftl`, which a test holds to every key used here) and its
    /// arguments. Other errors are returned as they are.
    pub fn saying(self, key: &'static str, args: Vec<(&'static str, SayArg)>) -> StoreError {
        match self {
            StoreError::Invalid { field, message, .. } => StoreError::Invalid {
                field,
                message,
                say: Some(Say { key, args }),
            },
            other => other,
        }
    }
}

/// A refusal's message as a translation key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    pub key: &'static str,
    pub args: Vec<(&'static str, SayArg)>,
}

/// One argument of a [`Say`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SayArg {
    /// Shown as it is (a name, a code, a date).
    Text(String),
    Number(i64),
    /// Itself a translation key, resolved in the reader's language first (a status, a kind).
    Term(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
