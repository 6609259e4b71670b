//! Partner agencies (issue #23): who may read what of a partner's referral, pure.
//!
//! A partner organisation (a police department, a school, a clinic, a guardianship authority, a
//! court) refers a family to the etrap's intake and reads, of its own referrals only:
//!
//! - the status, mapped from the case's ([`partner_status`]): received, being assessed, support
//!   under way, closed; never the case's own detail;
//! - an outcome summary, only when the family agreed to that feedback ([`outcome_for_partner`]).
//!
//! Anything else (another organisation's referral, the case itself) is "not found" for it
//! ([`partner_sight`]).

use crate::access::{Actor, Permission, Principal};
use crate::codes::{CaseStatus, ReferralSource};
use crate::consent::{may_share, ConsentFacts, ConsentPurpose, Recipient};
use crate::ParseError;
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

crate::codes::code_enum!(
    /// The kind of partner organisation; it is the referral source of the cases it refers.
    PartnerKind, "partner kind" {
        Police = "police",
        JuvenileInspectorate = "juvenile_inspectorate",
        School = "school",
        Health = "health",
        Guardianship = "guardianship",
        Court = "court",
        Ngo = "ngo",
        Other = "other",
    }
);

impl PartnerKind {
    /// The intake's referral source for a case this kind of partner refers.
    pub fn referral_source(self) -> ReferralSource {
        match self {
            PartnerKind::Police => ReferralSource::Police,
            PartnerKind::JuvenileInspectorate => ReferralSource::JuvenileInspectorate,
            PartnerKind::School => ReferralSource::School,
            PartnerKind::Health => ReferralSource::Health,
            PartnerKind::Guardianship => ReferralSource::Guardianship,
            PartnerKind::Court => ReferralSource::Court,
            PartnerKind::Ngo => ReferralSource::Ngo,
            PartnerKind::Other => ReferralSource::Other,
        }
    }
}

/// What a partner reads of where its referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerStatus {
    Received,
    BeingAssessed,
    SupportUnderWay,
    Closed,
}

impl PartnerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerStatus::Received => "received",
            PartnerStatus::BeingAssessed => "being_assessed",
            PartnerStatus::SupportUnderWay => "support_under_way",
            PartnerStatus::Closed => "closed",
        }
    }
}

impl std::str::FromStr for PartnerStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        [
            PartnerStatus::Received,
            PartnerStatus::BeingAssessed,
            PartnerStatus::SupportUnderWay,
            PartnerStatus::Closed,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| ParseError::new(format!("'{s}' is not a partner status")))
    }
}

/// The case's status as the partner reads it: screening and the assessments are "being
/// assessed"; the plan, the support and its monitoring are "support under way".
pub fn partner_status(case: CaseStatus) -> PartnerStatus {
    match case {
        CaseStatus::Referred => PartnerStatus::Received,
        CaseStatus::InitialAssessment | CaseStatus::HolisticAssessment => {
            PartnerStatus::BeingAssessed
        }
        CaseStatus::SupportPlan | CaseStatus::Active | CaseStatus::Monitoring => {
            PartnerStatus::SupportUnderWay
        }
        CaseStatus::Closed => PartnerStatus::Closed,
    }
}

/// Whether `reader` may read a referral made by the partner organisation `referred_by`: the
/// organisation itself only (a partner's id is its organisation's). Staff read the case instead,
/// through the case's own rules; nobody else reads a partner's view.
pub fn partner_sight(reader: &Principal, referred_by: Uuid) -> bool {
    reader.actor_kind() == Actor::Partner
        && reader.may(Permission::PartnerReferral)
        && reader.user_id == Some(referred_by)
}

/// The outcome summary a partner may read: only what was recorded with the family's agreement
/// to that feedback; without it, nothing (not even whether a summary exists).
pub fn outcome_for_partner(consent: bool, summary: Option<String>) -> Option<String> {
    if consent {
        summary.filter(|s| !s.trim().is_empty())
    } else {
        None
    }
}

/// The purpose of the consent register (issue #18, `crate::consent`) that telling this kind of
/// partner how it went falls under: the police (and its juvenile-affairs inspectorate) under
/// "sharing with the police", a clinic under "sharing with health services". The register has no
/// purpose for a school, a guardianship authority, a court or an NGO (a purpose "feedback to the
/// referrer" is for #18 to add): for them the family's agreement the etrap records is the basis.
pub fn feedback_purpose(kind: PartnerKind) -> Option<ConsentPurpose> {
    match kind {
        PartnerKind::Police | PartnerKind::JuvenileInspectorate => Some(ConsentPurpose::Police),
        PartnerKind::Health => Some(ConsentPurpose::Health),
        _ => None,
    }
}

/// Whether the partner may read the outcome summary: the family agreed to the feedback (the
/// etrap records it on the case) and, when consent governs the person (`consent::governed`) and
/// the partner's kind has a purpose in the register ([`feedback_purpose`]), a consent for it is in
/// force today (`consent::may_share`: withdrawn or expired consent stops the feedback at once).
pub fn feedback_allowed(
    agreed: bool,
    kind: PartnerKind,
    governed: bool,
    consents: &[ConsentFacts],
    today: NaiveDate,
) -> bool {
    if !agreed {
        return false;
    }
    match feedback_purpose(kind) {
        Some(purpose) if governed => may_share(consents, purpose, Recipient::Any, today).is_ok(),
        _ => true,
    }
}

/// Whether a case with this referral source may have come from a partner agency (its source is
/// a partner kind's): the case page then offers the feedback to the referring agency.
pub fn partner_source(source: ReferralSource) -> bool {
    PartnerKind::ALL
        .iter()
        .any(|k| k.referral_source() == source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;

    #[test]
    fn feedback_follows_the_consent_register_where_it_has_a_purpose() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let police = |withdrawn: bool, until: Option<NaiveDate>| ConsentFacts {
            purpose: ConsentPurpose::Police,
            provider: None,
            provider_kind: None,
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            valid_until: until,
            withdrawn,
        };
        let yesterday = today.pred_opt();
        // Without the family's agreement, never.
        assert!(!feedback_allowed(
            false,
            PartnerKind::Police,
            false,
            &[],
            today
        ));
        // A person consent does not govern: the agreement is enough.
        assert!(feedback_allowed(
            true,
            PartnerKind::Police,
            false,
            &[],
            today
        ));
        // Governed: the police need a police consent in force.
        assert!(feedback_allowed(
            true,
            PartnerKind::Police,
            true,
            &[police(false, None)],
            today
        ));
        assert!(!feedback_allowed(
            true,
            PartnerKind::Police,
            true,
            &[police(true, None)],
            today
        ));
        assert!(!feedback_allowed(
            true,
            PartnerKind::JuvenileInspectorate,
            true,
            &[police(false, yesterday)],
            today
        ));
        assert!(!feedback_allowed(
            true,
            PartnerKind::Health,
            true,
            &[police(false, None)],
            today
        ));
        // No purpose in the register for a school: the agreement is the basis.
        assert!(feedback_allowed(
            true,
            PartnerKind::School,
            true,
            &[],
            today
        ));
        assert_eq!(feedback_purpose(PartnerKind::Court), None);
    }

    #[test]
    fn every_case_status_maps_to_one_partner_status() {
        use CaseStatus::*;
        let got: Vec<&str> = CaseStatus::ALL
            .iter()
            .map(|s| partner_status(*s).as_str())
            .collect();
        assert_eq!(
            CaseStatus::ALL,
            [
                Referred,
                InitialAssessment,
                HolisticAssessment,
                SupportPlan,
                Active,
                Monitoring,
                Closed
            ]
        );
        assert_eq!(
            got,
            [
                "received",
                "being_assessed",
                "being_assessed",
                "support_under_way",
                "support_under_way",
                "support_under_way",
                "closed"
            ]
        );
        for s in ["received", "being_assessed", "support_under_way", "closed"] {
            assert_eq!(s.parse::<PartnerStatus>().unwrap().as_str(), s);
        }
        assert!("open".parse::<PartnerStatus>().is_err());
    }

    #[test]
    fn only_the_referring_organisation_sees_its_referral() {
        let school = Uuid::now_v7();
        let other = Uuid::now_v7();
        let area: Scope = "TM-A-01".parse().unwrap();
        assert!(partner_sight(
            &Principal::partner(school, "school", area.clone()),
            school
        ));
        assert!(!partner_sight(
            &Principal::partner(other, "school-2", area.clone()),
            school
        ));
        let worker = Principal::user(school, "aman", Role::Supervisor, area.clone(), true);
        assert!(
            !partner_sight(&worker, school),
            "a user with the same id is not the partner"
        );
        assert!(!partner_sight(&Principal::operator("x"), school));
        assert!(!partner_sight(&Principal::anonymous("x"), school));
    }

    #[test]
    fn the_outcome_needs_the_familys_consent() {
        assert_eq!(outcome_for_partner(false, Some("settled".into())), None);
        assert_eq!(
            outcome_for_partner(true, Some("settled".into())).as_deref(),
            Some("settled")
        );
        assert_eq!(outcome_for_partner(true, Some("  ".into())), None);
        assert_eq!(outcome_for_partner(true, None), None);
    }

    #[test]
    fn partner_kinds_are_referral_sources() {
        for k in PartnerKind::ALL {
            assert_eq!(k.referral_source().as_str(), k.as_str());
        }
    }
}
