//! The public's request for help (issue #23, docs/directory.md): a short form anyone may send
//! without signing in, which becomes an intake referral in the etrap's queue
//! (`Store::register_referral`, source `self` or `outreach`), acknowledged with a reference the
//! person quotes on the phone.
//!
//! Everything a visitor sends is hostile input: every field is bounded and checked here, the
//! per-address and global limits are counted in the database (so they hold across servers and
//! restarts), and the answer never says anything about records that exist: a request about a
//! person already known makes a new person record and a new case, which intake merges.
//!
//! - `submit`: the use case;
//! - `reference`: the readable references (`H-7KX3-9QF2`), shared with the partners' referrals.

mod form_token;
mod reference;
mod submit;

pub use form_token::FORM_MAX_AGE_SECONDS;
pub use reference::new_reference;
pub use submit::{Limited, PublicReceipt, PublicRequest, RequestLimits, MAX_CONCERN, MAX_CONTACT};
