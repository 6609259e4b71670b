//! The hotline's call log (issue #18): the codes of a call and who may read a line's calls.
//!
//! A *line* is a hotline (a number an NGO or the ministry runs); its staff are its members. A
//! member reads the calls of their line and logs new ones; a member who supervises the line also
//! sees the line's queue of call-backs due. Nobody else reads a line's calls: another line's
//! operator gets "no such call" (404), a role that never works on a line is refused (403).

use crate::access::{Permission, Principal};
use crate::codes::code_enum;
use crate::ParseError;

code_enum!(
    /// What the call was about.
    CallCategory, "call category" {
        ViolenceAtHome = "violence_at_home",
        ChildAtRisk = "child_at_risk",
        Disability = "disability",
        OlderPerson = "older_person",
        Information = "information",
        Other = "other",
    }
);

code_enum!(
    /// How the call ended.
    CallOutcome, "call outcome" {
        /// Information or advice given; nothing else follows.
        Advice = "advice",
        /// Referred to the etrap social work service as a new case.
        ReferredToEtrap = "referred_to_etrap",
        /// An emergency passed to the police, with the caller's consent.
        PassedToPolice = "passed_to_police",
        /// An emergency passed to health services, with the caller's consent.
        PassedToHealth = "passed_to_health",
        /// The line calls back (the queue of call-backs due).
        CallBackAgreed = "call_back_agreed",
    }
);

code_enum!(
    /// The caller's age as far as given: bands, never a date.
    AgeBand, "age band" {
        Under12 = "0-11",
        Teen = "12-17",
        Young = "18-24",
        Adult = "25-59",
        Older = "60+",
        Unknown = "unknown",
    }
);

code_enum!(
    /// Whom the call is about.
    CallAbout, "whom a call is about" {
        /// The caller herself.
        Caller = "caller",
        /// A child.
        Child = "child",
        /// Another adult.
        OtherAdult = "other_adult",
    }
);

code_enum!(
    /// A member's part on a line.
    LineRole, "line role" {
        Operator = "operator",
        Supervisor = "supervisor",
    }
);

impl CallCategory {
    /// Violence at home and children at risk are sensitive: a case opened from such a call is a
    /// gender-based-violence or child-protection case.
    pub fn sensitive(self) -> bool {
        matches!(
            self,
            CallCategory::ViolenceAtHome | CallCategory::ChildAtRisk
        )
    }
}

/// The answers of the risk screening asked on every call about violence or a child.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RiskScreening {
    /// The caller or the person the call is about is in danger now.
    #[serde(default)]
    pub immediate_danger: bool,
    /// Children are at risk.
    #[serde(default)]
    pub children_at_risk: bool,
    /// A weapon was used or threatened.
    #[serde(default)]
    pub weapons: bool,
    /// It happened before.
    #[serde(default)]
    pub previous_incidents: bool,
}

impl RiskScreening {
    /// A call screened so is urgent: the case it opens takes the critical deadlines.
    pub fn critical(&self) -> bool {
        self.immediate_danger || self.weapons || (self.children_at_risk && self.previous_incidents)
    }
}

/// What a reader may do with a line's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSight {
    /// Read the line's calls and log new ones.
    pub calls: bool,
    /// See the line's queue of call-backs due.
    pub queue: bool,
}

/// Why a reader does not see a line's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineUnseen {
    /// The role never works on a line (403).
    Forbidden,
    /// Not a member of this line: as if the call did not exist (404).
    NotFound,
}

/// What `principal`, whose part on the call's line is `membership` (`None`: not a member), may do
/// with the line's calls. The operator on the server sees every line.
pub fn line_sight(
    principal: &Principal,
    membership: Option<LineRole>,
) -> Result<LineSight, LineUnseen> {
    if !principal.may(Permission::HotlineCalls) {
        return Err(LineUnseen::Forbidden);
    }
    if principal.is_operator() {
        return Ok(LineSight {
            calls: true,
            queue: true,
        });
    }
    match membership {
        None => Err(LineUnseen::NotFound),
        Some(LineRole::Operator) => Ok(LineSight {
            calls: true,
            queue: false,
        }),
        Some(LineRole::Supervisor) => Ok(LineSight {
            calls: true,
            queue: true,
        }),
    }
}

/// Refusals of the call log, each with a stable code and a translation key (`hotline.ftl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRefusal {
    /// A call back agreed needs the time agreed.
    CallBackNeedsTime,
    /// Passing an emergency to the police or health needs the caller's consent to it.
    EmergencyNeedsConsent,
    /// A call already opened a case.
    AlreadyACase,
    /// A follow-up call is linked to a call of the same line.
    FollowUpOtherLine,
    /// The call lasted a negative time or more than a day.
    BadDuration,
}

impl CallRefusal {
    pub fn code(self) -> &'static str {
        match self {
            CallRefusal::CallBackNeedsTime => "call_back_needs_time",
            CallRefusal::EmergencyNeedsConsent => "call_emergency_needs_consent",
            CallRefusal::AlreadyACase => "call_already_a_case",
            CallRefusal::FollowUpOtherLine => "call_follow_up_other_line",
            CallRefusal::BadDuration => "call_bad_duration",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            CallRefusal::CallBackNeedsTime => "hotline-call-back-needs-time",
            CallRefusal::EmergencyNeedsConsent => "hotline-emergency-needs-consent",
            CallRefusal::AlreadyACase => "hotline-already-a-case",
            CallRefusal::FollowUpOtherLine => "hotline-follow-up-other-line",
            CallRefusal::BadDuration => "hotline-bad-duration",
        }
    }
}

/// The facts of a call as logged, checked before it is written.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts {
    pub outcome: CallOutcome,
    pub call_back_set: bool,
    pub emergency_consent: bool,
    pub duration_seconds: i64,
}

/// Whether a call may be logged as given.
pub fn check_call(facts: &CallFacts) -> Result<(), CallRefusal> {
    if !(0..=86_400).contains(&facts.duration_seconds) {
        return Err(CallRefusal::BadDuration);
    }
    if facts.outcome == CallOutcome::CallBackAgreed && !facts.call_back_set {
        return Err(CallRefusal::CallBackNeedsTime);
    }
    if matches!(
        facts.outcome,
        CallOutcome::PassedToPolice | CallOutcome::PassedToHealth
    ) && !facts.emergency_consent
    {
        return Err(CallRefusal::EmergencyNeedsConsent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;
    use uuid::Uuid;

    fn who(role: Role) -> Principal {
        Principal::user(
            Uuid::nil(),
            "u",
            role,
            Scope::Unit(crate::access::nation()),
            true,
        )
    }

    #[test]
    fn only_members_read_a_lines_calls_and_only_its_supervisors_the_queue() {
        let hotline = who(Role::Hotline);
        assert_eq!(line_sight(&hotline, None), Err(LineUnseen::NotFound));
        assert_eq!(
            line_sight(&hotline, Some(LineRole::Operator)),
            Ok(LineSight {
                calls: true,
                queue: false
            })
        );
        assert_eq!(
            line_sight(&who(Role::Supervisor), Some(LineRole::Supervisor)),
            Ok(LineSight {
                calls: true,
                queue: true
            })
        );
        for role in [
            Role::Provider,
            Role::Planner,
            Role::Ministry,
            Role::Admin,
            Role::SocialWorker,
        ] {
            assert_eq!(
                line_sight(&who(role), Some(LineRole::Supervisor)),
                Err(LineUnseen::Forbidden),
                "{role:?}"
            );
        }
        assert!(line_sight(&Principal::operator("t"), None).unwrap().queue);
    }

    #[test]
    fn a_call_is_checked_before_it_is_logged() {
        let ok = CallFacts {
            outcome: CallOutcome::Advice,
            call_back_set: false,
            emergency_consent: false,
            duration_seconds: 300,
        };
        assert_eq!(check_call(&ok), Ok(()));
        assert_eq!(
            check_call(&CallFacts {
                outcome: CallOutcome::CallBackAgreed,
                ..ok
            }),
            Err(CallRefusal::CallBackNeedsTime)
        );
        assert_eq!(
            check_call(&CallFacts {
                outcome: CallOutcome::PassedToPolice,
                ..ok
            }),
            Err(CallRefusal::EmergencyNeedsConsent)
        );
        assert_eq!(
            check_call(&CallFacts {
                outcome: CallOutcome::PassedToHealth,
                emergency_consent: true,
                ..ok
            }),
            Ok(())
        );
        assert_eq!(
            check_call(&CallFacts {
                duration_seconds: -1,
                ..ok
            }),
            Err(CallRefusal::BadDuration)
        );
    }

    #[test]
    fn danger_or_weapons_make_a_call_critical() {
        assert!(!RiskScreening::default().critical());
        assert!(RiskScreening {
            immediate_danger: true,
            ..Default::default()
        }
        .critical());
        assert!(RiskScreening {
            weapons: true,
            ..Default::default()
        }
        .critical());
        assert!(!RiskScreening {
            previous_incidents: true,
            ..Default::default()
        }
        .critical());
    }
}
