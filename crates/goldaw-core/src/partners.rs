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
use crate::ParseError;
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
