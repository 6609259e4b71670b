//! Reading one interchange file row by row, with the line of every row and the bytes read so far
//! (for the progress bar). Streams: one record buffer is reused for the whole file.

use super::{ImportError, ImportProgress};
use goldaw_core::interchange::{FieldError, FileSpec, Layout, Row};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts the bytes that pass through, so progress can be shown without a second pass.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub(crate) fn file_error(
    spec: &FileSpec,
    line: u64,
    column: Option<&str>,
    message: impl Into<String>,
) -> ImportError {
    ImportError {
        file: spec.file.to_owned(),
        line,
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

pub(crate) fn field_error(spec: &FileSpec, line: u64, e: FieldError) -> ImportError {
    file_error(spec, line, Some(&e.column), e.message)
}

/// Calls `each(row, line)` for every data row of `dir/spec.file`; returns the number of rows.
/// `Ok(None)` when the file is not there (every file is optional).
pub(crate) fn for_each_row<E>(
    dir: &Path,
    spec: &'static FileSpec,
    progress: &dyn ImportProgress,
    mut each: impl FnMut(&Row, u64) -> Result<(), E>,
) -> Result<Option<u64>, E>
where
    E: From<ImportError>,
{
    let path = dir.join(spec.file);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(file_error(
                spec,
                0,
                None,
                format!("cannot read {}: {e}", path.display()),
            )
            .into())
        }
    };
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    progress.file_started(spec.file, total);
    let read = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: BufReader::with_capacity(1 << 20, file),
        read: read.clone(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(counting);
    let header = reader.headers().map_err(|e| csv_error(spec, e))?.clone();
    if header.is_empty() || (header.len() == 1 && header.get(0) == Some("")) {
        return Err(file_error(
            spec,
            1,
            None,
            "the file is empty: the first line must be the header",
        )
        .into());
    }
    let layout = Layout::from_header(spec, header.iter()).map_err(|e| field_error(spec, 1, e))?;
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(spec, e).into()),
        }
        let line = record.position().map_or(0, |p| p.line());
        each(
            &Row {
                layout: &layout,
                record: &record,
            },
            line,
        )?;
        rows += 1;
        if rows.is_multiple_of(8192) {
            progress.advanced(read.load(Ordering::Relaxed));
        }
    }
    progress.advanced(read.load(Ordering::Relaxed));
    progress.file_finished(spec.file, rows);
    Ok(Some(rows))
}

fn csv_error(spec: &FileSpec, e: csv::Error) -> ImportError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "field {} is not valid UTF-8 text (save the file as UTF-8)",
            err.field() + 1
        ),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "the row has {len} fields but the header has {expected_len} (check commas and quotes)"
        ),
        csv::ErrorKind::Io(io) => format!("cannot read the file: {io}"),
        _ => format!("the file is not valid CSV here: {e}"),
    };
    file_error(spec, line, None, message)
}
