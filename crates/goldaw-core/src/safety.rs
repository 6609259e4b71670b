//! Safety (issue #18, docs/survivors.md): pages that are safe on a shared device, and the safety
//! plan made with a survivor.
//!
//! - [`quick_exit`]: whose pages carry the quick exit (those who work on hotline calls or see
//!   sensitive records);
//! - [`RiskLevel`] and [`priority_for_risk`]: a high risk raises the case to the critical
//!   deadlines (through the case's own write, so the stored due dates follow);
//! - [`check_plan`]: what a safety plan needs before it is saved.

use crate::access::{Permission, Principal};
use crate::codes::{code_enum, Priority};
use crate::ParseError;

/// Whether every page `principal` sees carries the quick exit: hotline work, or sight of
/// gender-based-violence and child-protection records.
pub fn quick_exit(principal: &Principal) -> bool {
    principal.role.is_some() && (principal.may(Permission::HotlineCalls) || principal.sensitive)
}

code_enum!(
    /// The risk the person faces, as judged with her when the plan is made or reviewed.
    RiskLevel, "risk level" {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
);

/// The priority a case must have at this risk, if the risk raises it: a high risk takes the
/// critical deadlines. A lower risk never lowers a priority set by the assessment.
pub fn priority_for_risk(risk: RiskLevel, current: Option<Priority>) -> Option<Priority> {
    match risk {
        RiskLevel::High if current != Some(Priority::Critical) => Some(Priority::Critical),
        _ => None,
    }
}

/// The parts of a safety plan (each sealed at rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanParts<'a> {
    pub risks: &'a str,
    pub safe_contacts: &'a str,
    pub safe_places: &'a str,
    pub code_words: &'a str,
    pub emergency: &'a str,
}

/// Why a safety plan is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// A safety plan is made on a sensitive case (violence, a child at risk).
    NotSensitive,
    /// The plan says what the risks are and what to do in an emergency.
    Incomplete,
    /// A part is longer than a plan's part may be.
    TooLong,
}

impl PlanRefusal {
    pub fn key(self) -> &'static str {
        match self {
            PlanRefusal::NotSensitive => "safety-plan-not-sensitive",
            PlanRefusal::Incomplete => "safety-plan-incomplete",
            PlanRefusal::TooLong => "safety-plan-too-long",
        }
    }
}

/// The longest part of a plan, in characters.
pub const MAX_PART: usize = 4000;

/// Whether a safety plan may be saved on a case (`sensitive`) as given.
pub fn check_plan(sensitive: bool, parts: &PlanParts<'_>) -> Result<(), PlanRefusal> {
    if !sensitive {
        return Err(PlanRefusal::NotSensitive);
    }
    if parts.risks.trim().is_empty() || parts.emergency.trim().is_empty() {
        return Err(PlanRefusal::Incomplete);
    }
    let all = [
        parts.risks,
        parts.safe_contacts,
        parts.safe_places,
        parts.code_words,
        parts.emergency,
    ];
    if all.iter().any(|p| p.chars().count() > MAX_PART) {
        return Err(PlanRefusal::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;
    use uuid::Uuid;

    fn who(role: Role, sensitive: bool) -> Principal {
        Principal::user(
            Uuid::nil(),
            "u",
            role,
            Scope::Unit(crate::access::nation()),
            sensitive,
        )
    }

    #[test]
    fn hotline_staff_and_those_who_see_sensitive_records_get_the_quick_exit() {
        assert!(quick_exit(&who(Role::Hotline, false)));
        assert!(quick_exit(&who(Role::Supervisor, false)));
        assert!(quick_exit(&who(Role::SocialWorker, true)));
        assert!(!quick_exit(&who(Role::SocialWorker, false)));
        assert!(!quick_exit(&who(Role::Planner, false)));
        assert!(!quick_exit(&Principal::operator("t")));
    }

    #[test]
    fn a_high_risk_raises_the_case_to_critical_and_nothing_lowers_it() {
        assert_eq!(
            priority_for_risk(RiskLevel::High, Some(Priority::Support)),
            Some(Priority::Critical)
        );
        assert_eq!(
            priority_for_risk(RiskLevel::High, None),
            Some(Priority::Critical)
        );
        assert_eq!(
            priority_for_risk(RiskLevel::High, Some(Priority::Critical)),
            None
        );
        assert_eq!(
            priority_for_risk(RiskLevel::Low, Some(Priority::Critical)),
            None
        );
    }

    #[test]
    fn a_plan_names_the_risks_and_the_emergency_on_a_sensitive_case() {
        let ok = PlanParts {
            risks: "He drinks on Fridays",
            emergency: "Call 03, go to the neighbour",
            ..Default::default()
        };
        assert_eq!(check_plan(true, &ok), Ok(()));
        assert_eq!(check_plan(false, &ok), Err(PlanRefusal::NotSensitive));
        assert_eq!(
            check_plan(
                true,
                &PlanParts {
                    emergency: " ",
                    ..ok.clone()
                }
            ),
            Err(PlanRefusal::Incomplete)
        );
        let long = "x".repeat(MAX_PART + 1);
        assert_eq!(
            check_plan(
                true,
                &PlanParts {
                    code_words: &long,
                    ..ok
                }
            ),
            Err(PlanRefusal::TooLong)
        );
    }
}
