//! What can go wrong in the store, in words a person can act on.
//!
//! A refusal of input is made with [`StoreError::refuse`]: a field, a key and the key's
//! arguments. The key is the refusal's stable code and its translation key in the web's files
//! (`crates/goldaw-web/i18n/{en,ru,tk}/store.ftl`); the English message (the API, the command
//! line, logs) is the `en` text of that key, rendered here, so each refusal has one text per
//! language and no second English in the code. Adding a refusal: add the key to the three
//! `store.ftl` files, then `StoreError::refuse(field, "store-…", args)`; the test
//! `tests/store/refusal_keys.rs` holds every key used in the store to the three files (same
//! variables). There is no way to refuse without a key (the keyless `StoreError::invalid` is gone,
//! the web's own checks use `refuse` too); the one refusal built by hand is the calendar-period
//! refusal of `release.rs`, which keeps the core's English because it names the periods to ask.

use crate::interchange::ImportError;
use std::sync::LazyLock;

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
    /// (the API, the command line, logs): for a refusal made with [`StoreError::refuse`], the
    /// `en` text of its key. `say`, when set, is the key (the refusal's stable code) and its
    /// arguments, which the pages translate into the reader's language.
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
    /// A refusal of input: `field` is the input refused, `key` the refusal's stable code and
    /// translation key (in `crates/goldaw-web/i18n/*/store.ftl`), `args` its arguments. The
    /// English message is the `en` text of `key` with these arguments.
    pub fn refuse(field: &str, key: &'static str, args: Vec<(&'static str, SayArg)>) -> StoreError {
        StoreError::Invalid {
            field: field.to_owned(),
            message: english(key, &args),
            say: Some(Say { key, args }),
        }
    }
}

/// The English of the refusals: the `en` files that hold their keys (most in `store.ftl`; a few
/// were put with their subject), and the cases file for the terms their arguments name (a
/// case's, a plan's or a referral's status). Embedded, parsed once.
const ENGLISH_FILES: &[&str] = &[
    include_str!("../../goldaw-web/i18n/en/store.ftl"),
    include_str!("../../goldaw-web/i18n/en/accounts.ftl"),
    include_str!("../../goldaw-web/i18n/en/disclosure.ftl"),
    include_str!("../../goldaw-web/i18n/en/exports.ftl"),
    include_str!("../../goldaw-web/i18n/en/cases.ftl"),
    include_str!("../../goldaw-web/i18n/en/hotline.ftl"),
    include_str!("../../goldaw-web/i18n/en/consent.ftl"),
    include_str!("../../goldaw-web/i18n/en/safety.ftl"),
    include_str!("../../goldaw-web/i18n/en/paging.ftl"),
    include_str!("../../goldaw-web/i18n/en/directory.ftl"),
    include_str!("../../goldaw-web/i18n/en/partners.ftl"),
    include_str!("../../goldaw-web/i18n/en/workforce.ftl"),
    include_str!("../../goldaw-web/i18n/en/contracting.ftl"),
    include_str!("../../goldaw-web/i18n/en/people.ftl"),
    include_str!("../../goldaw-web/i18n/en/retention.ftl"),
];

type Bundle = fluent_bundle::concurrent::FluentBundle<fluent_bundle::FluentResource>;

static ENGLISH: LazyLock<Bundle> = LazyLock::new(|| {
    let en: unic_langid::LanguageIdentifier = "en".parse().expect("a language tag");
    let mut bundle = Bundle::new_concurrent(vec![en]);
    // As on the pages: no Unicode isolation marks around arguments.
    bundle.set_use_isolating(false);
    for text in ENGLISH_FILES {
        // A file that does not parse keeps the messages that do: the test of the keys fails.
        let resource = fluent_bundle::FluentResource::try_new((*text).to_owned())
            .unwrap_or_else(|(resource, _)| resource);
        // A key in two files: the first holds (the web's test refuses it anyway).
        let _ = bundle.add_resource(resource);
    }
    bundle
});

/// The `en` text of `key` with `args`: a term argument is itself resolved in English first. A
/// key missing from the files gives the key itself with its arguments, which the test catches.
pub fn english(key: &str, args: &[(&'static str, SayArg)]) -> String {
    let bundle = &*ENGLISH;
    let mut fluent_args = fluent_bundle::FluentArgs::new();
    for (name, value) in args {
        match value {
            SayArg::Text(text) => fluent_args.set(*name, text.clone()),
            SayArg::Number(n) => fluent_args.set(*name, *n),
            SayArg::Term(term) => fluent_args.set(*name, english(term, &[])),
        }
    }
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        let shown: Vec<String> = args.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
        return format!("{key} {}", shown.join(" ")).trim_end().to_owned();
    };
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
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
