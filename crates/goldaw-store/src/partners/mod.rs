//! Partner agencies (issue #23, docs/partners.md): the organisations that refer families (a
//! police department, a school, a clinic, a guardianship authority, a court), their access keys,
//! their referrals and what they read back. The rules are `goldaw_core::partners`.
//!
//! - `organisations`: the register of partners and their keys, one per person (admins,
//!   `ManageUsers`), and the principal a key stands for;
//! - `refer`: a partner's referral, which becomes an intake referral in the etrap's queue;
//! - `list`: a partner's own referrals, a page at a time, the status mapped, the outcome only
//!   with consent;
//! - `feedback`: the etrap's record of the family's agreement to feedback and the summary.

mod feedback;
mod list;
mod organisations;
mod refer;

pub use feedback::{FeedbackChange, StaffPartnerView};
pub use list::{PartnerReferralPage, PartnerReferralQuery, PartnerReferralView};
pub use organisations::{NewPartner, PartnerKey, PartnerOrganisation, PARTNER_TOKEN_PREFIX};
pub use refer::PartnerReferralInput;

/// The longest outcome summary (characters).
pub const MAX_OUTCOME: usize = 1000;
