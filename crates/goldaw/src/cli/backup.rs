//! `goldaw backup` and `goldaw restore` (issue #20, item 1; docs/operations.md).

use super::{operator, Args};
use goldaw_store::backup::{restore, PgTools};
use std::path::{Path, PathBuf};

/// Takes a backup into `output` while goldaw may be serving, and prints its manifest.
pub async fn backup(args: &Args, output: &Path, pg_bin_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let url = args.database_url()?;
    let store = goldaw_store::Store::open_for_backup(&url, args.secrets()?).await?;
    let tools = PgTools {
        bin_dir: pg_bin_dir,
    };
    let result = store
        .backup(&operator("backup"), output, &tools, args.secrets()?)
        .await;
    store.close().await;
    let manifest = result?;
    println!(
        "backup of {} in {}: {} ({} bytes, SHA-256 {})",
        manifest.backend,
        output.display(),
        manifest.file,
        manifest.size,
        manifest.sha256
    );
    println!(
        "taken {}; audit head {}; schema version {}",
        manifest.taken_at, manifest.audit_head, manifest.schema_version
    );
    for check in &manifest.checks {
        println!("checked: {check}");
    }
    if manifest.audit_keyed {
        println!(
            "the encryption key is not in the backup: keep it apart from it (docs/operations.md)"
        );
    }
    Ok(())
}

/// Restores the backup in `input` into the database of `--database-url`.
pub async fn restore_into(
    args: &Args,
    input: &Path,
    force: bool,
    pg_bin_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let url = args.database_url()?;
    let tools = PgTools {
        bin_dir: pg_bin_dir,
    };
    let report = restore(&url, input, force, &tools, args.secrets()?).await?;
    println!(
        "restored the backup of {} (audit head {}) into {url}",
        report.manifest.taken_at, report.manifest.audit_head
    );
    println!("checked: {}", report.audit);
    if let Some(kept) = report.replaced {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(())
}
