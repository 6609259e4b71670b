//! Bulk import and export in the interchange CSV format (INTERCHANGE.md).

use std::fmt;

/// Why an import was refused: file, line and column, and what is wrong, in the form
/// `persons.csv line 5, column sex: 'X' is not a sex (expected one of: F, M)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    /// 1-based line in the file (the header is line 1); 0 when about the file as a whole.
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ImportError {}

mod export;
mod import_postgres;
mod import_sqlite;
mod reader;

use crate::db::Db;
use crate::error::StoreResult;
use crate::Store;
use goldaw_core::access::Principal;
use std::path::Path;

/// Receives progress while an import runs (the CLI draws a bar; tests ignore it).
pub trait ImportProgress: Send + Sync {
    fn file_started(&self, _file: &str, _bytes: u64) {}
    fn advanced(&self, _bytes_read: u64) {}
    fn file_finished(&self, _file: &str, _rows: u64) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl ImportProgress for NoProgress {}

/// Rows read per file, in import order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub files: Vec<(String, u64)>,
}

/// Rows written per file by an export.
pub type ExportSummary = ImportSummary;

impl Store {
    /// Imports the interchange files present in `dir`, all or nothing (see INTERCHANGE.md).
    /// Running it again with the same files changes nothing: ids are the keys.
    #[tracing::instrument(skip_all)]
    pub async fn import_dir(
        &self,
        principal: &Principal,
        dir: &Path,
        progress: std::sync::Arc<dyn ImportProgress>,
    ) -> StoreResult<ImportSummary> {
        if !principal.can_see_unit(&goldaw_core::access::nation()) {
            return Err(crate::StoreError::Forbidden(
                "bulk import needs national scope".into(),
            ));
        }
        if !dir.is_dir() {
            return Err(crate::StoreError::Config(format!(
                "{} is not a folder",
                dir.display()
            )));
        }
        let summary = match self.db() {
            Db::Sqlite(_) => {
                let crate::DatabaseUrl::Sqlite(path) = self.url() else {
                    return Err(crate::StoreError::Config(
                        "SQLite pool without a SQLite URL".into(),
                    ));
                };
                {
                    let (path, dir, actor) =
                        (path.clone(), dir.to_owned(), principal.actor.clone());
                    // rusqlite is synchronous: run it where it cannot stall the async workers.
                    tokio::task::spawn_blocking(move || {
                        import_sqlite::import(&path, &dir, &actor, progress.as_ref())
                    })
                    .await
                    .map_err(|e| crate::StoreError::Config(format!("the import stopped: {e}")))??
                }
            }
            Db::Postgres(pool) => {
                import_postgres::import(pool, dir, &principal.actor, progress).await?
            }
        };
        self.reload_catalogue().await?;
        // Imported cases (new or changed) owe what their rows now say: compute every case again.
        self.recompute_all_due_dates().await?;
        let counts: Vec<String> = summary
            .files
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        self.audit(
            principal,
            crate::audit::AuditEvent::plain("import").with_detail(format!(
                "{}: {}",
                dir.display(),
                counts.join(", ")
            )),
        )
        .await?;
        Ok(summary)
    }

    /// Writes every interchange file into `dir` (created if missing), ordered by id, so that the
    /// export of an import of an export is byte-for-byte the same.
    #[tracing::instrument(skip_all)]
    pub async fn export_dir(
        &self,
        principal: &Principal,
        dir: &Path,
    ) -> StoreResult<ExportSummary> {
        // Every person, hidden ones included: the operator's command only (no role has
        // `BulkData`), and even then with national scope and the sensitive permission.
        crate::people::require(principal, goldaw_core::access::Permission::BulkData)?;
        if !principal.can_see_unit(&goldaw_core::access::nation()) || !principal.sensitive {
            return Err(crate::StoreError::Forbidden(
                "bulk export needs national scope and the sensitive permission".into(),
            ));
        }
        std::fs::create_dir_all(dir)?;
        export::export(self.db(), dir).await
    }
}

/// The words of the refusals both importers give, so SQLite and PostgreSQL say the same.
pub(crate) mod say {
    pub fn duplicate(id: &str) -> String {
        format!("id '{id}' appears more than once in this file")
    }

    /// `what` is household, person or case; `file` the interchange file that would define it.
    pub fn unknown(what: &str, id: &str, file: &str) -> String {
        format!("unknown {what} '{id}' (not in {file} nor already in goldaw)")
    }

    pub fn unit_twice(code: &str) -> String {
        format!("code '{code}' appears twice in this file")
    }

    pub fn unknown_parent(parent: &str) -> String {
        format!("unknown parent unit '{parent}' (list a parent before its children)")
    }

    pub fn population_twice(p: &goldaw_core::interchange::PopulationRow) -> String {
        format!(
            "{} {} {} {} appears twice in this file",
            p.admin_unit, p.sex, p.age_band, p.year
        )
    }

    pub fn opened_before_birth(opened: &str, birth: &str) -> String {
        format!("opened_on {opened} is before the person's birth date {birth}")
    }

    pub fn started_before_birth(started: &str, birth: &str) -> String {
        format!("started_on {started} is before the person's birth date {birth}: no service before birth")
    }
}

/// Tertiary care (residential) is lawful only on a court order or a ministry referral: the
/// episode's case must have been referred by `court` or `mlsp`. `None` when permitted, else why not.
pub(crate) fn residential_refusal(
    service_code: &str,
    case_id: Option<&str>,
    case_referral_source: Option<&str>,
) -> Option<String> {
    let permitted = case_referral_source
        .and_then(|s| s.parse::<goldaw_core::codes::ReferralSource>().ok())
        .is_some_and(|s| s.permits_residential_care());
    if permitted {
        return None;
    }
    let why = match (case_id, case_referral_source) {
        (None, _) => "it has no case_id".to_owned(),
        (Some(case), Some(source)) => format!("case '{case}' was referred by '{source}'"),
        (Some(case), None) => format!("case '{case}' has no referral source"),
    };
    Some(format!(
        "residential care ({service_code}) is tertiary and needs a case referred by a court order (court) or the ministry (mlsp), but {why}"
    ))
}
