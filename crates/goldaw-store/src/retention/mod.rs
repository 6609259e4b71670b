//! Retention of closed cases (issue #20, item 4; the rules in `goldaw_core::retention`, the
//! decision on the kind of a case in docs/operations.md, "Retention").
//!
//! - `years`: the ministry's years after closure per kind of case;
//! - `holds`: legal holds on a case, set and lifted by a supervisor with a reason;
//! - `plan`: what a run would anonymise today (the dry run);
//! - `apply`: the run (the operator's `goldaw retention --apply`): each due case's free text
//!   removed and sealed text destroyed, then each person all of whose cases are due anonymised
//!   (name, birth date to the year, external id, the household's address once nobody named
//!   lives there), each in a transaction of its own, audited first.

mod apply;
mod holds;
mod plan;
mod years;

pub use holds::LegalHold;
pub use plan::{DueCase, RetentionPlan};
pub use years::RetentionSetting;

use crate::error::StoreError;
use goldaw_core::retention::RetentionRefusal;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RetentionOutcome {
    /// Cases whose text was removed.
    pub cases: u32,
    /// People anonymised.
    pub persons: u32,
    /// Cases left for another run: changed (held, reopened) between the plan and their turn.
    pub skipped: u32,
    /// SQLite: whether the WAL was emptied after the run (its old page images hold the removed
    /// text); `None` on PostgreSQL.
    pub wal_truncated: Option<bool>,
}

/// A retention refusal as the store's error, with its translation key (the same as
/// `RetentionRefusal::key`, written out so that the keys' test finds each).
pub(crate) fn refused(field: &str, r: RetentionRefusal) -> StoreError {
    match r {
        RetentionRefusal::YearsOutOfRange => {
            StoreError::refuse(field, "store-retention-years-out-of-range", vec![])
        }
        RetentionRefusal::ReasonMissing => {
            StoreError::refuse(field, "store-retention-reason-missing", vec![])
        }
        RetentionRefusal::AlreadyHeld => {
            StoreError::refuse(field, "store-retention-already-held", vec![])
        }
        RetentionRefusal::NotHeld => StoreError::refuse(field, "store-retention-not-held", vec![]),
        RetentionRefusal::Anonymised => {
            StoreError::refuse(field, "store-retention-anonymised", vec![])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_the_key_core_gives_it() {
        for r in [
            RetentionRefusal::YearsOutOfRange,
            RetentionRefusal::ReasonMissing,
            RetentionRefusal::AlreadyHeld,
            RetentionRefusal::NotHeld,
            RetentionRefusal::Anonymised,
        ] {
            match refused("f", r) {
                StoreError::Invalid { say: Some(say), .. } => assert_eq!(say.key, r.key()),
                other => panic!("{other:?}"),
            }
        }
    }
}
