//! Closed lists of codes fixed by the interchange contract (INTERCHANGE.md).
//!
//! Their names in three languages are reference data (`reference/*.csv`); the codes themselves are
//! a contract with other systems and with the workflow rules, so they are Rust enums: a `match`
//! on them fails to compile when a code is added and a rule forgets it.

use crate::ParseError;

/// Declares an enum whose variants are written as fixed codes in files, the API and the database.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        /// In the API the value is the code, as in the files.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            /// Every code, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(ParseError::new(format!(
                        concat!("'{}' is not a ", $what, " (expected one of: {})"),
                        s,
                        [$($code),+].join(", ")
                    ))),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> { s.parse() }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str { v.as_str() }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

pub(crate) use code_enum;

code_enum!(
    /// Sex as recorded in the person's documents.
    Sex, "sex" { Female = "F", Male = "M" }
);

code_enum!(Settlement, "settlement" { Urban = "urban", Rural = "rural" });

code_enum!(
    /// Age bands used in every published table (INTERCHANGE.md, "Report semantics").
    AgeBand, "age band" { Child = "0-17", Adult = "18-59", Older = "60+" }
);

impl AgeBand {
    /// The band of someone `age` full years old.
    pub fn of_age(age: u32) -> AgeBand {
        match age {
            0..=17 => AgeBand::Child,
            18..=59 => AgeBand::Adult,
            _ => AgeBand::Older,
        }
    }
}

code_enum!(
    /// Who the services are for (DOMAIN.md). A person can belong to several.
    TargetGroup, "target group" {
        ChildDisability = "child_disability",
        ChildNoParentalCare = "child_no_parental_care",
        ChildAtRiskSeparation = "child_at_risk_separation",
        InfantInCare = "infant_in_care",
        CareLeaver = "care_leaver",
        YouthAtRisk = "youth_at_risk",
        FamilyDifficult = "family_difficult",
        LargeFamily = "large_family",
        FamilySubstanceUse = "family_substance_use",
        WomanGbv = "woman_gbv",
        WomanUnintendedPregnancy = "woman_unintended_pregnancy",
        AdultDisability = "adult_disability",
        OlderAlone = "older_alone",
        ChronicIllness = "chronic_illness",
    }
);

impl TargetGroup {
    /// Records of these groups need the `sensitive` permission even within scope
    /// (gender-based violence and child protection; WORKFLOW.md).
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            TargetGroup::WomanGbv
                | TargetGroup::ChildNoParentalCare
                | TargetGroup::ChildAtRiskSeparation
        )
    }
}

code_enum!(
    /// Where a referral came from.
    ReferralSource, "referral source" {
        BenefitsList = "benefits_list",
        SelfReferral = "self",
        Outreach = "outreach",
        Hotline = "hotline",
        Police = "police",
        JuvenileInspectorate = "juvenile_inspectorate",
        School = "school",
        Health = "health",
        Guardianship = "guardianship",
        Court = "court",
        /// A referral from the Ministry of Labour and Social Protection.
        Mlsp = "mlsp",
        Ngo = "ngo",
        Other = "other",
    }
);

impl ReferralSource {
    /// Tertiary (residential) care is lawful only on a court order or a ministry referral.
    pub fn permits_residential_care(self) -> bool {
        matches!(self, ReferralSource::Court | ReferralSource::Mlsp)
    }
}

code_enum!(
    /// Priority set at screening.
    Priority, "priority" { Critical = "critical", Support = "support", None = "none" }
);

code_enum!(
    /// Where a case stands in the statutory workflow (WORKFLOW.md).
    CaseStatus, "case status" {
        Referred = "referred",
        InitialAssessment = "initial_assessment",
        HolisticAssessment = "holistic_assessment",
        SupportPlan = "support_plan",
        Active = "active",
        Monitoring = "monitoring",
        Closed = "closed",
    }
);

impl CaseStatus {
    /// Before screening is done a case has no priority yet; from the holistic assessment on it must.
    pub fn requires_priority(self) -> bool {
        !matches!(self, CaseStatus::Referred | CaseStatus::InitialAssessment)
    }
}

code_enum!(
    /// The three levels of the service model (DOMAIN.md).
    ServiceLevel, "service level" { Universal = "universal", Secondary = "secondary", Tertiary = "tertiary" }
);

code_enum!(
    /// A household member's relationship to the head of the household.
    Relationship, "relationship" {
        Head = "head",
        Spouse = "spouse",
        Child = "child",
        Parent = "parent",
        Sibling = "sibling",
        Grandchild = "grandchild",
        Grandparent = "grandparent",
        OtherRelative = "other_relative",
        NonRelative = "non_relative",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_refuse_unknowns_with_the_list() {
        for s in Sex::ALL {
            assert_eq!(s.as_str().parse::<Sex>().unwrap(), *s);
        }
        let err = "X".parse::<Sex>().unwrap_err().to_string();
        assert!(err.contains("'X' is not a sex"), "{err}");
        assert!(err.contains("F, M"), "{err}");
        assert_eq!(TargetGroup::ALL.len(), 14);
        assert_eq!(ReferralSource::ALL.len(), 13);
        assert!("f".parse::<Sex>().is_err(), "codes are case-sensitive");
    }

    #[test]
    fn age_bands_have_the_published_edges() {
        assert_eq!(AgeBand::of_age(0), AgeBand::Child);
        assert_eq!(AgeBand::of_age(17), AgeBand::Child);
        assert_eq!(AgeBand::of_age(18), AgeBand::Adult);
        assert_eq!(AgeBand::of_age(59), AgeBand::Adult);
        assert_eq!(AgeBand::of_age(60), AgeBand::Older);
    }

    #[test]
    fn only_court_and_ministry_open_residential_care() {
        let allowed: Vec<_> = ReferralSource::ALL
            .iter()
            .filter(|s| s.permits_residential_care())
            .collect();
        assert_eq!(allowed, [&ReferralSource::Court, &ReferralSource::Mlsp]);
    }
}

code_enum!(
    /// What a user does (WORKFLOW.md, "Who may do what"). One role per user account.
    Role, "role" {
        SocialWorker = "social_worker",
        /// A senior social worker: allocates cases and approves plans in their scope.
        Supervisor = "supervisor",
        /// Staff of a provider organisation: sees only what was referred to it.
        Provider = "provider",
        Hotline = "hotline",
        Planner = "planner",
        /// National analyst or manager at the ministry.
        Ministry = "ministry",
        /// Manages users and reference data; does not read case content.
        Admin = "admin",
    }
);
