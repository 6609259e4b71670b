//! `goldaw import DIR` and `goldaw export DIR`.

use anyhow::Context;
use goldaw_store::interchange::ImportProgress;
use goldaw_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A byte-based bar per file, drawn on standard error only when it is a terminal.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl ImportProgress for Bar {
    fn file_started(&self, file: &str, bytes: u64) {
        let bar = ProgressBar::new(bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:22} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(file.to_owned());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advanced(&self, bytes_read: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.set_position(bytes_read);
            }
        }
    }

    fn file_finished(&self, file: &str, rows: u64) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
        eprintln!("{file}: {rows} rows read");
    }
}

pub async fn import(store: &Store, dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let progress = Arc::new(Bar {
        bar: Mutex::new(None),
    });
    let summary = store
        .import_dir(&super::operator("import"), dir, progress)
        .await
        .context("import refused, nothing was written")?;
    if summary.files.is_empty() {
        anyhow::bail!(
            "no interchange files in {} (expected some of: admin_units.csv, population.csv, households.csv, persons.csv, cases.csv, service_episodes.csv)",
            dir.display()
        );
    }
    let rows: u64 = summary.files.iter().map(|(_, n)| n).sum();
    println!(
        "imported {rows} rows from {} files in {:.1} s",
        summary.files.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn export(store: &Store, dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let summary = store
        .export_dir(&super::operator("export"), dir)
        .await
        .with_context(|| format!("exporting into {}", dir.display()))?;
    for (file, rows) in &summary.files {
        eprintln!("{file}: {rows} rows written");
    }
    println!(
        "exported {} files to {} in {:.1} s",
        summary.files.len(),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
