//! The old path of the provider register, referrals to services and the provider's inbox, kept
//! so that `goldaw_store::referrals::…` goes on working: each lives now in the module named for
//! it (`crate::providers`, `crate::service_referrals`, `crate::provider_inbox`), with the rules in
//! `goldaw_core::service_referrals`. New code imports from those.

pub use crate::provider_inbox::{Delivery, ProviderAction, ProviderActionKind, ProviderReferral};
pub use crate::providers::{
    NewProvider, NewServicePoint, Offer, OfferRequest, Provider, ProviderChange, ProviderKind,
    ServicePoint, ServicePointChange,
};
pub use crate::service_referrals::{
    DeclineReason, LegalBasis, LegalBasisKind, NewLegalBasis, NewServiceReferral, ReferralRecord,
    ReferralStatus,
};
