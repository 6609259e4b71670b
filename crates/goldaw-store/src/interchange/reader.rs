//! Reading one interchange file row by row, with the line of every row and the bytes read so far
//! (for the progress bar). Streams: one record buffer is reused for the whole file.
//!
//! The line of a row is the line an editor shows, whatever the line endings (`\n`, `\r\n` as
//! Excel and Python write, or a lone `\r`), counting the lines inside quoted fields and blank
//! lines. The csv crate's own line number counts only `\n` bytes, and takes a row's position
//! before the `\n` of the line ending before it (and before any blank lines): for a CRLF file
//! it named the line before the row's. So [`Lines`] finds the lines from the bytes themselves
//! as they pass, and a row's line is looked up from its byte position.

use super::{ImportError, ImportProgress};
use goldaw_core::interchange::{FieldError, FileSpec, Layout, Row};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where the lines that have text start, found in the bytes as they are read: the lines of a
/// file as an editor numbers them (1-based). A line break is `\r\n`, `\n` or a lone `\r`.
///
/// Only the starts not yet asked about are kept: the csv reader is at most its buffer ahead of
/// the row asked about, so this holds a few hundred entries, not the file.
#[derive(Debug)]
pub(crate) struct Lines {
    /// (byte offset, line number) of each line with text whose row was not yet asked about.
    starts: VecDeque<(u64, u64)>,
    /// Bytes seen so far.
    offset: u64,
    /// The line being read, and where it starts.
    line: u64,
    line_start: u64,
    /// Where the last `\r` was, to read `\r\n` as one break.
    last_cr: Option<u64>,
    /// The current line was recorded as having text.
    recorded: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            starts: VecDeque::new(),
            offset: 0,
            line: 1,
            line_start: 0,
            last_cr: None,
            recorded: false,
        }
    }
}

impl Lines {
    /// The next bytes of the file.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        let base = self.offset;
        let mut from = 0;
        for at in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            let o = base + at as u64;
            // Text between the line's start and this break: the line has text.
            if o > self.line_start && !self.recorded {
                self.starts.push_back((self.line_start, self.line));
            }
            if bytes[at] == b'\n' && self.last_cr.is_some_and(|cr| cr + 1 == o) {
                // The `\n` of `\r\n`: the line begins after it.
                self.line_start = o + 1;
            } else {
                if bytes[at] == b'\r' {
                    self.last_cr = Some(o);
                }
                self.line += 1;
                self.line_start = o + 1;
            }
            self.recorded = false;
            from = at + 1;
        }
        // Text after the last break: the line has text (it may go on in the next bytes).
        if from < bytes.len() && !self.recorded {
            self.starts.push_back((self.line_start, self.line));
            self.recorded = true;
        }
        self.offset += bytes.len() as u64;
    }

    /// The line of the row the csv reader places at byte `position`: the first line with text
    /// starting there or after (the reader places a row just after the first byte of the line
    /// ending before it; the rest of that ending and blank lines come between). Rows are asked
    /// about in order; what lies before is forgotten.
    pub(crate) fn line_at(&mut self, position: u64) -> Option<u64> {
        while self
            .starts
            .front()
            .is_some_and(|&(start, _)| start < position)
        {
            self.starts.pop_front();
        }
        self.starts.front().map(|&(_, line)| line)
    }
}

/// Counts the bytes that pass through, so progress can be shown without a second pass, and
/// finds the lines in them.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
    lines: Rc<RefCell<Lines>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        self.lines.borrow_mut().feed(&buf[..n]);
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
    let lines = Rc::new(RefCell::new(Lines::default()));
    let counting = Counting {
        inner: BufReader::with_capacity(1 << 20, file),
        read: read.clone(),
        lines: lines.clone(),
    };
    // The line an editor shows for a position the csv reader gives (its own line as a fallback,
    // which cannot happen: every row starts on a line with text).
    let line_of = |p: &csv::Position| lines.borrow_mut().line_at(p.byte()).unwrap_or(p.line());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(counting);
    let header = reader
        .headers()
        .map_err(|e| csv_error(spec, e, &line_of))?
        .clone();
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
            Err(e) => return Err(csv_error(spec, e, &line_of).into()),
        }
        let line = record.position().map_or(0, line_of);
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

fn csv_error(
    spec: &FileSpec,
    e: csv::Error,
    line_of: &dyn Fn(&csv::Position) -> u64,
) -> ImportError {
    let line = e.position().map_or(0, line_of);
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

#[cfg(test)]
mod tests {
    use super::Lines;

    /// The line of every row as the csv reader finds them, fed in chunks of `chunk` bytes.
    fn lines_of(text: &str, chunk: usize) -> Vec<u64> {
        let mut lines = Lines::default();
        for part in text.as_bytes().chunks(chunk) {
            lines.feed(part);
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut found = Vec::new();
        while reader.read_record(&mut record).unwrap() {
            let p = record.position().unwrap();
            found.push(lines.line_at(p.byte()).unwrap());
        }
        found
    }

    #[test]
    fn rows_are_on_the_lines_an_editor_shows_whatever_the_line_endings() {
        for (name, text, expected) in [
            ("LF", "h\na\nb\nc\n", vec![1, 2, 3, 4]),
            ("CRLF", "h\r\na\r\nb\r\nc\r\n", vec![1, 2, 3, 4]),
            ("CR", "h\ra\rb\rc\r", vec![1, 2, 3, 4]),
            ("no final break", "h\r\na\r\nb", vec![1, 2, 3]),
            ("mixed", "h\na\r\nb\rc\n", vec![1, 2, 3, 4]),
            ("blank lines LF", "h\n\na\n\n\nb\n", vec![1, 3, 6]),
            (
                "blank lines CRLF",
                "h\r\n\r\na\r\n\r\n\r\nb\r\n",
                vec![1, 3, 6],
            ),
            (
                "quoted line breaks",
                "h,x\r\n1,\"two\r\nlines\"\r\n2,\"three\nlines\rhere\"\r\n3,z\r\n",
                vec![1, 2, 4, 7],
            ),
            (
                "empty quoted field first",
                "h\r\n\"\"\r\nb\r\n",
                vec![1, 2, 3],
            ),
        ] {
            for chunk in [1, 2, 3, 1 << 20] {
                assert_eq!(lines_of(text, chunk), expected, "{name}, chunks of {chunk}");
            }
        }
    }

    #[test]
    fn only_the_lines_ahead_are_kept() {
        let text = "h\r\n".to_owned() + &"a,b\r\n".repeat(10_000);
        let mut lines = Lines::default();
        lines.feed(text.as_bytes());
        assert_eq!(lines.starts.len(), 10_001);
        assert_eq!(lines.line_at(text.len() as u64 - 5), Some(10_001));
        assert_eq!(lines.starts.len(), 1);
    }
}
