//! Consent that governs sharing (issue #18), in the shape of ISO/IEC TS 27560 consent records:
//! per person, per purpose (and recipient), who gave it, how, valid from and until, recorded by
//! whom, withdrawn. Every act that shares a person's information beyond the case's own team asks
//! [`may_share`] (or [`sharing_basis`], which adds a supervisor's override for a reason the law
//! allows): a referral to a provider, a provider reading it, a disclosure to the police or health,
//! a transfer, an export of personal data.
//!
//! Which people consent governs: a person with at least one consent record, and the person of a
//! case opened from a hotline call (the survivor's path). People recorded before consent records
//! existed follow the rules they had (the referral's note was "shared with the person's consent"):
//! recording any consent for them puts them under this rule from then on.

use crate::codes::code_enum;
use crate::ParseError;
use chrono::NaiveDate;

code_enum!(
    /// What a consent is for.
    ConsentPurpose, "consent purpose" {
        /// Assessment and the case's own work by the etrap social work service.
        Assessment = "assessment",
        /// A referral to a named provider or to a kind of provider.
        Referral = "referral",
        /// Sharing with the police.
        Police = "police",
        /// Sharing with health services.
        Health = "health",
        /// Counting in de-identified statistics.
        Statistics = "statistics",
        /// A transfer of the case to another etrap's team.
        Transfer = "transfer",
        /// An export of the person's data.
        Export = "export",
    }
);

code_enum!(
    /// Who gave the consent.
    ConsentGiver, "consent giver" {
        Person = "person",
        ParentOrGuardian = "parent_or_guardian",
        Representative = "representative",
    }
);

code_enum!(
    /// How the consent was given.
    ConsentMethod, "consent method" {
        Signed = "signed",
        VerbalWitnessed = "verbal_witnessed",
    }
);

code_enum!(
    /// The reasons the law allows a supervisor to share without consent.
    OverrideReason, "override reason" {
        /// A child is in danger.
        ChildInDanger = "child_in_danger",
        /// A court ordered it.
        CourtOrder = "court_order",
        /// Someone's life is in danger now.
        LifeInDanger = "life_in_danger",
    }
);

/// Whom the information would go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient<'a> {
    /// A provider: its external id and its kind.
    Provider { id: &'a str, kind: &'a str },
    /// Anyone the purpose itself names (the police, health, the statistics, another etrap).
    Any,
}

/// A consent record as the rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFacts {
    pub purpose: ConsentPurpose,
    /// A named provider (its external id), for a referral.
    pub provider: Option<String>,
    /// A kind of provider (`ngo`, `state`, ...), for a referral.
    pub provider_kind: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub withdrawn: bool,
}

/// A supervisor's override as the rule needs it: for a purpose (and a named provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideFacts {
    pub purpose: ConsentPurpose,
    pub provider: Option<String>,
}

/// Why sharing is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareBasis {
    /// The consent record at this index of the list given.
    Consent(usize),
    /// A supervisor's override at this index of the list given.
    Override(usize),
    /// The person is not under consent records (see the module's doc).
    NotGoverned,
}

/// Why sharing is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsentRefusal {
    #[error("no consent was given for this sharing")]
    Missing,
    #[error("the consent for this sharing has expired")]
    Expired,
    #[error("the consent for this sharing is not valid yet")]
    NotYetValid,
    #[error("the consent for this sharing was withdrawn")]
    Withdrawn,
}

impl ConsentRefusal {
    /// Stable: the API and the logs.
    pub fn code(self) -> &'static str {
        match self {
            ConsentRefusal::Missing => "consent_missing",
            ConsentRefusal::Expired => "consent_expired",
            ConsentRefusal::NotYetValid => "consent_not_yet_valid",
            ConsentRefusal::Withdrawn => "consent_withdrawn",
        }
    }

    /// The translation key (`consent.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            ConsentRefusal::Missing => "consent-refused-missing",
            ConsentRefusal::Expired => "consent-refused-expired",
            ConsentRefusal::NotYetValid => "consent-refused-not-yet-valid",
            ConsentRefusal::Withdrawn => "consent-refused-withdrawn",
        }
    }
}

/// Whether a consent names this recipient: a referral's consent names a provider or a kind of
/// provider (one without either covers no provider); every other purpose names its recipient.
fn covers(c: &ConsentFacts, purpose: ConsentPurpose, recipient: Recipient<'_>) -> bool {
    if c.purpose != purpose {
        return false;
    }
    match (purpose, recipient) {
        (ConsentPurpose::Referral, Recipient::Provider { id, kind }) => {
            c.provider.as_deref() == Some(id) || c.provider_kind.as_deref() == Some(kind)
        }
        (ConsentPurpose::Referral, Recipient::Any) => false,
        _ => true,
    }
}

/// Whether the person's consents allow sharing for `purpose` with `recipient` on `today`: a
/// consent for it, valid that day (from `valid_from` to `valid_until`, both included) and not
/// withdrawn. Refused with the nearest reason: withdrawn, then expired, then not yet valid, then
/// missing.
pub fn may_share(
    consents: &[ConsentFacts],
    purpose: ConsentPurpose,
    recipient: Recipient<'_>,
    today: NaiveDate,
) -> Result<usize, ConsentRefusal> {
    let mut refusal = ConsentRefusal::Missing;
    let rank = |r: ConsentRefusal| match r {
        ConsentRefusal::Withdrawn => 3,
        ConsentRefusal::Expired => 2,
        ConsentRefusal::NotYetValid => 1,
        ConsentRefusal::Missing => 0,
    };
    for (i, c) in consents.iter().enumerate() {
        if !covers(c, purpose, recipient) {
            continue;
        }
        let why = if c.withdrawn {
            ConsentRefusal::Withdrawn
        } else if c.valid_until.is_some_and(|until| until < today) {
            ConsentRefusal::Expired
        } else if c.valid_from > today {
            ConsentRefusal::NotYetValid
        } else {
            return Ok(i);
        };
        if rank(why) > rank(refusal) {
            refusal = why;
        }
    }
    Err(refusal)
}

/// The basis on which the case may share for `purpose` with `recipient`: a valid consent, else a
/// supervisor's override recorded on the case for that purpose (and that provider, for a
/// referral), else, for a person consent does not govern, the rules before consent records.
pub fn sharing_basis(
    governed: bool,
    consents: &[ConsentFacts],
    overrides: &[OverrideFacts],
    purpose: ConsentPurpose,
    recipient: Recipient<'_>,
    today: NaiveDate,
) -> Result<ShareBasis, ConsentRefusal> {
    match may_share(consents, purpose, recipient, today) {
        Ok(i) => Ok(ShareBasis::Consent(i)),
        Err(refusal) => {
            let overridden = overrides.iter().position(|o| {
                o.purpose == purpose
                    && match recipient {
                        Recipient::Provider { id, .. } => {
                            o.provider.is_none() || o.provider.as_deref() == Some(id)
                        }
                        Recipient::Any => true,
                    }
            });
            match overridden {
                Some(i) => Ok(ShareBasis::Override(i)),
                None if !governed => Ok(ShareBasis::NotGoverned),
                None => Err(refusal),
            }
        }
    }
}

/// Whether a person is under consent records: they have one, or their case began as a hotline
/// call (the survivor's path).
pub fn governed(has_consent_records: bool, case_from_call: bool) -> bool {
    has_consent_records || case_from_call
}

/// Refusals of recording a consent or an override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentRecordRefusal {
    /// `valid_until` before `valid_from`.
    UntilBeforeFrom,
    /// A referral's consent names a provider or a kind of provider.
    ReferralNeedsRecipient,
    /// Only a referral's consent names a provider.
    RecipientOnlyForReferral,
    /// An override needs the reason the law allows and a note.
    OverrideNeedsReason,
    /// The consent was already withdrawn.
    AlreadyWithdrawn,
}

impl ConsentRecordRefusal {
    pub fn key(self) -> &'static str {
        match self {
            ConsentRecordRefusal::UntilBeforeFrom => "consent-until-before-from",
            ConsentRecordRefusal::ReferralNeedsRecipient => "consent-referral-needs-recipient",
            ConsentRecordRefusal::RecipientOnlyForReferral => "consent-recipient-only-referral",
            ConsentRecordRefusal::OverrideNeedsReason => "consent-override-needs-reason",
            ConsentRecordRefusal::AlreadyWithdrawn => "consent-already-withdrawn",
        }
    }
}

/// Whether a consent may be recorded as given.
pub fn check_consent(
    purpose: ConsentPurpose,
    provider: bool,
    provider_kind: bool,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
) -> Result<(), ConsentRecordRefusal> {
    if valid_until.is_some_and(|u| u < valid_from) {
        return Err(ConsentRecordRefusal::UntilBeforeFrom);
    }
    match (purpose, provider || provider_kind) {
        (ConsentPurpose::Referral, false) => Err(ConsentRecordRefusal::ReferralNeedsRecipient),
        (ConsentPurpose::Referral, true) => Ok(()),
        (_, true) => Err(ConsentRecordRefusal::RecipientOnlyForReferral),
        (_, false) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn consent(purpose: ConsentPurpose, provider: Option<&str>) -> ConsentFacts {
        ConsentFacts {
            purpose,
            provider: provider.map(str::to_owned),
            provider_kind: None,
            valid_from: day(1),
            valid_until: None,
            withdrawn: false,
        }
    }

    const NGO: Recipient<'static> = Recipient::Provider {
        id: "PR-NGO",
        kind: "ngo",
    };

    #[test]
    fn a_referral_needs_a_valid_consent_naming_the_provider_or_its_kind() {
        let named = [consent(ConsentPurpose::Referral, Some("PR-NGO"))];
        assert_eq!(
            may_share(&named, ConsentPurpose::Referral, NGO, day(5)),
            Ok(0)
        );
        let other = Recipient::Provider {
            id: "PR-OTHER",
            kind: "state",
        };
        assert_eq!(
            may_share(&named, ConsentPurpose::Referral, other, day(5)),
            Err(ConsentRefusal::Missing)
        );
        let kind = [ConsentFacts {
            provider_kind: Some("ngo".into()),
            ..consent(ConsentPurpose::Referral, None)
        }];
        assert_eq!(
            may_share(&kind, ConsentPurpose::Referral, NGO, day(5)),
            Ok(0)
        );
        // Consent to assessment is not consent to the police.
        let assess = [consent(ConsentPurpose::Assessment, None)];
        assert_eq!(
            may_share(&assess, ConsentPurpose::Police, Recipient::Any, day(5)),
            Err(ConsentRefusal::Missing)
        );
    }

    #[test]
    fn expired_withdrawn_and_future_consents_refuse_with_their_reason() {
        let mut c = consent(ConsentPurpose::Police, None);
        c.valid_until = Some(day(4));
        assert_eq!(
            may_share(&[c.clone()], ConsentPurpose::Police, Recipient::Any, day(4)),
            Ok(0)
        );
        assert_eq!(
            may_share(&[c.clone()], ConsentPurpose::Police, Recipient::Any, day(5)),
            Err(ConsentRefusal::Expired)
        );
        let mut w = consent(ConsentPurpose::Police, None);
        w.withdrawn = true;
        assert_eq!(
            may_share(
                &[c.clone(), w.clone()],
                ConsentPurpose::Police,
                Recipient::Any,
                day(5)
            ),
            Err(ConsentRefusal::Withdrawn)
        );
        let mut f = consent(ConsentPurpose::Police, None);
        f.valid_from = day(9);
        assert_eq!(
            may_share(&[f], ConsentPurpose::Police, Recipient::Any, day(5)),
            Err(ConsentRefusal::NotYetValid)
        );
        // A later valid consent wins over a withdrawn one.
        let again = consent(ConsentPurpose::Police, None);
        assert_eq!(
            may_share(&[w, again], ConsentPurpose::Police, Recipient::Any, day(5)),
            Ok(1)
        );
    }

    #[test]
    fn an_override_or_an_ungoverned_person_allows_sharing() {
        let o = [OverrideFacts {
            purpose: ConsentPurpose::Police,
            provider: None,
        }];
        assert_eq!(
            sharing_basis(
                true,
                &[],
                &o,
                ConsentPurpose::Police,
                Recipient::Any,
                day(5)
            ),
            Ok(ShareBasis::Override(0))
        );
        assert_eq!(
            sharing_basis(
                true,
                &[],
                &o,
                ConsentPurpose::Health,
                Recipient::Any,
                day(5)
            ),
            Err(ConsentRefusal::Missing)
        );
        assert_eq!(
            sharing_basis(false, &[], &[], ConsentPurpose::Referral, NGO, day(5)),
            Ok(ShareBasis::NotGoverned)
        );
        assert!(governed(false, true) && governed(true, false) && !governed(false, false));
    }

    #[test]
    fn a_consent_is_checked_before_it_is_recorded() {
        assert_eq!(
            check_consent(ConsentPurpose::Referral, false, false, day(1), None),
            Err(ConsentRecordRefusal::ReferralNeedsRecipient)
        );
        assert_eq!(
            check_consent(ConsentPurpose::Police, true, false, day(1), None),
            Err(ConsentRecordRefusal::RecipientOnlyForReferral)
        );
        assert_eq!(
            check_consent(ConsentPurpose::Police, false, false, day(3), Some(day(2))),
            Err(ConsentRecordRefusal::UntilBeforeFrom)
        );
        assert_eq!(
            check_consent(ConsentPurpose::Referral, false, true, day(1), None),
            Ok(())
        );
    }
}
