//! Cells of the files a person opens in a spreadsheet: the audit log, statistics and plans as CSV
//! or XLSX. A text cell that begins like a formula is neutralised, so that a value someone typed
//! (a username at the sign-in form, a provider's name, an audit detail) cannot run as a formula
//! on the computer of the person who opens the file (CSV or formula injection).
//!
//! The rule is OWASP's: a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is
//! prefixed with a single quote `'`, which every spreadsheet shows as text and never evaluates.
//! The quote is part of the value written, in XLSX too: a workbook's `quotePrefix` style would
//! keep the value exact, but it is lost when the sheet is saved again as CSV, and then the
//! formula would run.
//!
//! Figures are not text: a count or an amount is written as a number (a number cell in XLSX;
//! in CSV a plain decimal number such as `-12` or `-0.25`, which a spreadsheet reads as that
//! number and never as a formula), and needs no quote. Anything else given as a figure is
//! treated as text.
//!
//! The interchange files (`goldaw export`) are data exchange, not spreadsheets: they stay exact
//! and do not go through this module.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula (`=`, `+`, `-`, `@`),
/// or that some spreadsheets skip before looking for one (tab, carriage return).
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text`, written as a text cell, could be read as a formula: it begins with one of
/// [`FORMULA_TRIGGERS`].
pub fn is_formula_like(text: &str) -> bool {
    text.starts_with(FORMULA_TRIGGERS)
}

/// `text` as a spreadsheet's text cell: as it is, or prefixed with `'` when it could be read as
/// a formula (`=HYPERLINK(…)` becomes `'=HYPERLINK(…)`, `-x` becomes `'-x`).
pub fn text_cell(text: &str) -> Cow<'_, str> {
    if is_formula_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `figure` as a CSV cell: a plain decimal number (digits, at most one `.` between digits, an
/// optional leading `-`) as it is, since a spreadsheet reads it as that number; anything else
/// as a text cell ([`text_cell`]), so a value that only claims to be a figure cannot carry a
/// formula (`-1+2` is not a number).
pub fn number_cell(figure: &str) -> Cow<'_, str> {
    if is_plain_number(figure) {
        Cow::Borrowed(figure)
    } else {
        text_cell(figure)
    }
}

fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// One cell of a CSV row: text (neutralised when it could be a formula) or a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Text(&'a str),
    Number(&'a str),
}

impl<'a> Cell<'a> {
    /// The cell as written.
    pub fn written(self) -> Cow<'a, str> {
        match self {
            Cell::Text(t) => text_cell(t),
            Cell::Number(n) => number_cell(n),
        }
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Cell<'a> {
        Cell::Text(text)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(text: &'a String) -> Cell<'a> {
        Cell::Text(text)
    }
}

/// A CSV file for a spreadsheet, in memory: every cell goes through [`Cell::written`]; a field
/// is quoted only where it must be (a comma, a quote, a line break, or a row of one empty field)
/// and lines end in `\n`. The one way goldaw writes such a file (`clippy.toml` forbids building a
/// `csv::Writer` elsewhere, the interchange export excepted).
///
/// Written here rather than on the csv crate's writer: quoting is these few lines, and a writer
/// into memory that cannot fail keeps every export free of an error that cannot happen.
#[derive(Debug, Default)]
pub struct SpreadsheetCsv {
    out: String,
}

impl SpreadsheetCsv {
    pub fn new() -> SpreadsheetCsv {
        SpreadsheetCsv::default()
    }

    /// A row of cells.
    pub fn row<'a, C: Into<Cell<'a>>>(&mut self, cells: impl IntoIterator<Item = C>) {
        let start = self.out.len();
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let field = cell.into().written();
            if field.contains([',', '"', '\n', '\r']) {
                self.out.push('"');
                self.out.push_str(&field.replace('"', "\"\""));
                self.out.push('"');
            } else {
                self.out.push_str(&field);
            }
        }
        if self.out.len() == start {
            // One empty field: a blank line would be skipped by readers.
            self.out.push_str("\"\"");
        }
        self.out.push('\n');
    }

    /// The file's text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_could_be_a_formula_is_prefixed_with_a_quote() {
        for hostile in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
            "-",
            "=",
        ] {
            assert!(is_formula_like(hostile), "{hostile:?}");
            assert_eq!(text_cell(hostile), format!("'{hostile}"), "{hostile:?}");
        }
    }

    #[test]
    fn ordinary_text_is_unchanged_and_not_copied() {
        for ok in [
            "",
            "Aşgabat",
            "TM-A-01",
            "a=b",
            "1-2",
            " =1",
            "'=already quoted",
            "2024-01-31",
            "Mary (TM-M)",
            "\n=1",
        ] {
            assert!(!is_formula_like(ok), "{ok:?}");
            assert!(
                matches!(text_cell(ok), Cow::Borrowed(t) if t == ok),
                "{ok:?}"
            );
        }
    }

    #[test]
    fn figures_stay_numbers_even_when_negative() {
        for n in ["0", "12", "-12", "-0.25", "1234.56", "-1234.50"] {
            assert!(
                matches!(number_cell(n), Cow::Borrowed(t) if t == n),
                "{n:?}"
            );
        }
        // A figure is never text, but text is never a figure: the same characters as text
        // are quoted.
        assert_eq!(text_cell("-12"), "'-12");
        for not_a_number in ["-1+2", "-", "-.5", "-1.", "--1", "-1e5", "-1,5", "-1.2.3"] {
            assert_eq!(
                number_cell(not_a_number),
                format!("'{not_a_number}"),
                "{not_a_number:?}"
            );
        }
        assert_eq!(number_cell(""), "");
        assert_eq!(number_cell("1e5"), "1e5");
    }

    #[test]
    fn the_csv_writer_neutralises_text_and_quotes_where_needed() {
        let mut w = SpreadsheetCsv::new();
        w.row(["name", "count"]);
        w.row([
            Cell::Text("=HYPERLINK(\"http://x\",\"y\")"),
            Cell::Number("-3"),
        ]);
        w.row([Cell::Text("@A1"), Cell::Number("=1+1")]);
        w.row([Cell::Text("plain, with a comma"), Cell::Number("")]);
        w.row([Cell::Text("two\nlines"), Cell::Text("\r\n")]);
        w.row([""]);
        assert_eq!(
            w.finish(),
            "name,count\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-3\n'@A1,'=1+1\n\"plain, with a comma\",\n\"two\nlines\",\"'\r\n\"\n\"\"\n"
        );
    }

    /// What the writer writes, the csv crate reads back as the cells written.
    #[test]
    fn the_csv_crate_reads_back_what_was_written() {
        let rows: [[&str; 3]; 4] = [
            ["a", "b,c", "d\"e"],
            ["", "x\ny", "\"q\""],
            ["=1", "-2", "é, ü"],
            ["", "", ""],
        ];
        let mut w = SpreadsheetCsv::new();
        for r in &rows {
            w.row(r.iter().copied());
        }
        let text = w.finish();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let read: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let expected: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| text_cell(c).into_owned()).collect())
            .collect();
        assert_eq!(read, expected);
    }
}
