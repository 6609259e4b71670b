//! A person's own data (issue #20, item 5): everything goldaw holds about a person in the
//! supervisor's scope, produced on their request (`goldaw_core::subject_access`).
//!
//! - `produce`: the document (record, household, cases in scope with their notes, plans, reviews,
//!   referrals, assessments and consents, and the audit of who read or changed any of it).

mod produce;

pub use produce::{OwnDataRecipient, SubjectAccess, SubjectCase};
