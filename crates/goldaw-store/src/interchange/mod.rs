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
