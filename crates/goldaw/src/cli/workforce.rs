//! `goldaw workforce import DIR` and `goldaw workforce export DIR`: the workforce register's
//! files (`staff.csv`, `courses.csv`, `posts.csv`, `training.csv`; docs/workforce.md), all or
//! nothing, a refused row named by file, line and column.

use anyhow::Context;
use clap::Subcommand;
use goldaw_store::workforce::{WorkforceFiles, WORKFORCE_FILES};
use goldaw_store::Store;
use std::path::{Path, PathBuf};

/// The largest file read (the ministry's lists are thousands of rows, not millions).
const MAX_FILE: u64 = 64 * 1024 * 1024;

#[derive(Subcommand)]
pub enum WorkforceCommand {
    /// Import the register's CSV files found in DIR (any of staff.csv, courses.csv, posts.csv,
    /// training.csv), all or nothing.
    Import { dir: PathBuf },
    /// Export the register's four CSV files into DIR (they import again unchanged).
    Export { dir: PathBuf },
}

fn read(dir: &Path, name: &str) -> anyhow::Result<Option<String>> {
    let path = dir.join(name);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        Ok(m) if m.len() > MAX_FILE => {
            anyhow::bail!("{} is larger than {} MiB", path.display(), MAX_FILE >> 20)
        }
        Ok(_) => Ok(Some(std::fs::read_to_string(&path).with_context(|| {
            format!("reading {} (UTF-8 text expected)", path.display())
        })?)),
    }
}

pub async fn run(store: &Store, cmd: &WorkforceCommand) -> anyhow::Result<()> {
    match cmd {
        WorkforceCommand::Import { dir } => {
            let files = WorkforceFiles {
                staff: read(dir, "staff.csv")?,
                courses: read(dir, "courses.csv")?,
                posts: read(dir, "posts.csv")?,
                training: read(dir, "training.csv")?,
            };
            let counts = store
                .import_workforce(&super::operator("workforce-import"), &files)
                .await
                .context("import refused, nothing was written")?;
            if counts.is_empty() {
                anyhow::bail!(
                    "no workforce files in {} (expected some of: {})",
                    dir.display(),
                    WORKFORCE_FILES.join(", ")
                );
            }
            for (file, rows) in &counts {
                println!("{file}: {rows} rows imported");
            }
            Ok(())
        }
        WorkforceCommand::Export { dir } => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let files = store
                .export_workforce(&super::operator("workforce-export"))
                .await?;
            for (file, text, rows) in files {
                let path = dir.join(&file);
                std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("{file}: {rows} rows written");
            }
            Ok(())
        }
    }
}
