//! The goldaw domain, free of I/O.
//!
//! Everything a person or a file gives us is parsed here into types that cannot hold an invalid
//! value ("parse, don't validate"): once a [`people::NewPerson`] exists, its sex, dates, names and
//! Washington Group answers are known to be well-formed, and no later layer checks them again.
//! What needs the database to check (does this admin unit exist? this household?) is the store's job.

pub mod access;
pub mod accounts;
pub mod assessments;
pub mod attachments;
pub mod cases;
pub mod cell_key;
pub mod codes;
pub mod consent;
pub mod contracting;
pub mod deadlines;
pub mod dhis2;
pub mod directory;
pub mod disclosure;
pub mod due_dates;
pub mod gbv_statistics;
pub mod hotline;
pub mod ids;
pub mod indicators;
pub mod instruments;
pub mod interchange;
pub mod merges;
pub mod names;
pub mod paging;
pub mod partners;
pub mod people;
pub mod periods;
pub mod persons;
pub mod planning;
pub mod privacy;
pub mod retention;
pub mod safety;
pub mod service_referrals;
pub mod spreadsheet;
pub mod statistics;
pub mod subject_access;
pub mod survivor_code;
pub mod washington_group;
pub mod workflow;
pub mod workforce;

/// A value that failed to parse, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError(message.into())
    }
}
