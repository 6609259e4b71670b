//! Who may read which case, which person, and how much of it: the rules every case route, person
//! route and provider route follow (issue #16).
//!
//! The store reads records with one SQL condition per rule (`goldaw-store/src/scope.rs`) and
//! then asks these functions about the row it found, so the two back each other; the pages ask
//! the same functions to decide what to offer.
//!
//! - **A case** is read by those who read cases (social workers, supervisors, the hotline) within
//!   their scope: by its place, or by the place a transfer waits for; the hotline only the calls
//!   it registered. Anyone else gets "no such case" (404), and a role that never reads cases is
//!   refused (403) whatever the case.
//! - **A sensitive case** (gender-based violence, child protection), or a case about a hidden
//!   person, shows a reader without the `sensitive` permission its code only: number, place,
//!   status and dates, no person (not even the person's id), no names, no text.
//! - **A person is hidden** from readers without the permission when a sensitive target group is
//!   recorded on them, or when they were named in a sensitive case: its subject, a member of the
//!   household a household case is about, or someone the case referred to a service or assessed.
//!   Once named, always: closing the case or later non-sensitive work does not show them again,
//!   since what was learnt about them in that case does not go away.
//! - **A provider** reads only what was referred to it; a sensitive referral shows a provider
//!   without the permission its service code and status only, and a cancelled referral shows
//!   only that it was cancelled.

use crate::access::{Permission, Principal};
use crate::codes::Role;
use crate::ids::AdminUnitCode;
use uuid::Uuid;

/// What the scope rule needs to know about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseScopeFacts<'a> {
    /// The etrap whose team holds the case.
    pub admin_unit: &'a str,
    /// The etrap a transfer waits to be accepted by.
    pub transfer_to: Option<&'a str>,
    /// The account that registered the referral.
    pub registered_by: Option<Uuid>,
    /// The case is marked sensitive, or its person is hidden ([`person_hidden`]).
    pub sensitive: bool,
}

/// How much of a case a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseSight {
    /// The case as the reader's role shows it.
    Full,
    /// The case's code: number, place, status, priority and dates. No person, no names, no text.
    CodeOnly,
}

impl CaseSight {
    /// Names, text and the person are withheld.
    pub fn restricted(self) -> bool {
        self == CaseSight::CodeOnly
    }
}

/// Why a reader does not see a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unseen {
    /// The role never reads cases (403, whatever the case).
    Forbidden,
    /// Outside the reader's scope: answered as if there were no such case (404).
    NotFound,
}

/// Whether `principal` sees the case at all, and how much of it.
pub fn case_sight(principal: &Principal, case: &CaseScopeFacts<'_>) -> Result<CaseSight, Unseen> {
    if !principal.may(Permission::ReadCases) {
        return Err(Unseen::Forbidden);
    }
    let in_scope = match principal.role {
        // The hotline registers referrals for any etrap and reads the calls it registered.
        Some(Role::Hotline) => {
            principal.user_id.is_some() && case.registered_by == principal.user_id
        }
        _ => [Some(case.admin_unit), case.transfer_to]
            .into_iter()
            .flatten()
            .any(|unit| unit_in_scope(principal, unit)),
    };
    if !in_scope {
        return Err(Unseen::NotFound);
    }
    Ok(if restricted(principal, case.sensitive) {
        CaseSight::CodeOnly
    } else {
        CaseSight::Full
    })
}

/// Whether names, text and the person of a record (a case, a referral, a note) that is
/// `sensitive` are withheld from the principal: they are without the `sensitive` permission.
pub fn restricted(principal: &Principal, sensitive: bool) -> bool {
    sensitive && !principal.sensitive
}

/// A stored unit code inside the principal's unit scope. The store's SQL asks the same with a
/// range (`[S, S || '.')`, scope.rs): codes nest by prefix.
fn unit_in_scope(principal: &Principal, unit: &str) -> bool {
    principal.can_see_unit(&AdminUnitCode::from_stored(unit.to_owned()))
}

/// Whether a person's record is hidden from readers without the `sensitive` permission.
///
/// `sensitive_groups`: a sensitive target group is recorded on them. `named_in_sensitive_case`:
/// they were named in a sensitive case (its subject, a member of the household of a household
/// case, referred or assessed in it), at any time: the mark stays when the case closes.
pub fn person_hidden(sensitive_groups: bool, named_in_sensitive_case: bool) -> bool {
    sensitive_groups || named_in_sensitive_case
}

/// Whether the principal may see a person (within scope) whose record is `hidden` or not.
pub fn may_see_person(principal: &Principal, hidden: bool) -> bool {
    !hidden || principal.sensitive
}

/// How much of a referral a provider's staff see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralSight {
    /// The fewest fields needed to serve the person: first name, sex, birth year, the note.
    Full,
    /// A sensitive referral to a reader without the permission: the service code, the status,
    /// the dates and units. No name, no note.
    CodeOnly,
    /// Cancelled by the social worker: only that it was cancelled.
    Cancelled,
}

/// What a provider's staff see of a referral to their organisation. `sensitive`: the case is
/// sensitive (or about a hidden person) or the person referred is hidden.
pub fn provider_referral_sight(
    principal: &Principal,
    cancelled: bool,
    sensitive: bool,
) -> ReferralSight {
    if cancelled {
        ReferralSight::Cancelled
    } else if restricted(principal, sensitive) {
        ReferralSight::CodeOnly
    } else {
        ReferralSight::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;

    fn who(role: Role, scope: &str, sensitive: bool) -> Principal {
        Principal::user(
            Uuid::from_u128(7),
            "u",
            role,
            scope.parse::<Scope>().unwrap(),
            sensitive,
        )
    }

    fn case(unit: &str) -> CaseScopeFacts<'_> {
        CaseScopeFacts {
            admin_unit: unit,
            transfer_to: None,
            registered_by: Some(Uuid::from_u128(1)),
            sensitive: false,
        }
    }

    #[test]
    fn cases_are_read_in_scope_by_place_or_by_a_transfer_waiting() {
        let worker = who(Role::SocialWorker, "TM-A-01", false);
        assert_eq!(case_sight(&worker, &case("TM-A-01")), Ok(CaseSight::Full));
        assert_eq!(case_sight(&worker, &case("TM-A-02")), Err(Unseen::NotFound));
        let supervisor = who(Role::Supervisor, "TM-B", false);
        let incoming = CaseScopeFacts {
            transfer_to: Some("TM-B-03"),
            ..case("TM-A-01")
        };
        assert_eq!(case_sight(&supervisor, &incoming), Ok(CaseSight::Full));
        assert_eq!(
            case_sight(&supervisor, &case("TM-A-01")),
            Err(Unseen::NotFound)
        );
        // A code that only starts like the scope is not inside it.
        assert_eq!(
            case_sight(&who(Role::Supervisor, "TM-A", true), &case("TM-A0-01")),
            Err(Unseen::NotFound)
        );
        assert_eq!(
            case_sight(&Principal::system("t"), &case("TM-S-02")),
            Ok(CaseSight::Full)
        );
    }

    #[test]
    fn the_hotline_reads_only_the_calls_it_registered() {
        let hotline = who(Role::Hotline, "TM", true);
        assert_eq!(
            case_sight(&hotline, &case("TM-A-01")),
            Err(Unseen::NotFound),
            "registered by someone else, even in its national scope"
        );
        let own = CaseScopeFacts {
            registered_by: Some(Uuid::from_u128(7)),
            ..case("TM-S-02")
        };
        assert_eq!(case_sight(&hotline, &own), Ok(CaseSight::Full));
    }

    #[test]
    fn roles_that_never_read_cases_are_refused_whatever_the_case() {
        for role in [Role::Provider, Role::Planner, Role::Ministry, Role::Admin] {
            let scope = if role == Role::Provider {
                "provider:PR1"
            } else {
                "TM"
            };
            assert_eq!(
                case_sight(&who(role, scope, true), &case("TM-A-01")),
                Err(Unseen::Forbidden),
                "{role}"
            );
        }
    }

    #[test]
    fn a_sensitive_case_shows_its_code_only_without_the_permission() {
        let sensitive = CaseScopeFacts {
            sensitive: true,
            ..case("TM-A-01")
        };
        let plain = who(Role::SocialWorker, "TM-A-01", false);
        let cleared = who(Role::SocialWorker, "TM-A-01", true);
        assert_eq!(case_sight(&plain, &sensitive), Ok(CaseSight::CodeOnly));
        assert!(CaseSight::CodeOnly.restricted());
        assert_eq!(case_sight(&cleared, &sensitive), Ok(CaseSight::Full));
        // Out of scope stays out of scope, permission or not.
        assert_eq!(
            case_sight(&who(Role::SocialWorker, "TM-B-01", true), &sensitive),
            Err(Unseen::NotFound)
        );
    }

    #[test]
    fn people_named_in_a_sensitive_case_are_hidden_like_sensitive_groups() {
        let plain = who(Role::SocialWorker, "TM-A-01", false);
        let cleared = who(Role::SocialWorker, "TM-A-01", true);
        for (groups, named, hidden) in [
            (false, false, false),
            (true, false, true),
            (false, true, true),
            (true, true, true),
        ] {
            assert_eq!(person_hidden(groups, named), hidden);
            assert_eq!(
                may_see_person(&plain, person_hidden(groups, named)),
                !hidden
            );
            assert!(may_see_person(&cleared, person_hidden(groups, named)));
        }
    }

    #[test]
    fn providers_see_a_sensitive_referral_by_code_and_a_cancelled_one_as_cancelled() {
        let plain = who(Role::Provider, "provider:PR1", false);
        let cleared = who(Role::Provider, "provider:PR1", true);
        assert_eq!(
            provider_referral_sight(&plain, false, false),
            ReferralSight::Full
        );
        assert_eq!(
            provider_referral_sight(&plain, false, true),
            ReferralSight::CodeOnly
        );
        assert_eq!(
            provider_referral_sight(&cleared, false, true),
            ReferralSight::Full
        );
        for p in [&plain, &cleared] {
            for sensitive in [false, true] {
                assert_eq!(
                    provider_referral_sight(p, true, sensitive),
                    ReferralSight::Cancelled
                );
            }
        }
    }
}
