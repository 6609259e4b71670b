//! The rules about accounts themselves: what a username is, which grants are "wide" (reach past
//! one velayat, or past what an admin alone may hand out), who must approve them, and who must
//! sign in with two factors.
//!
//! The store and the pages ask these functions; none of them reads anything.
//!
//! **Wide grants** (issue #16, item 9). A grant is wide when any of these holds:
//! - the `sensitive` permission (gender-based violence and child protection records);
//! - the unsuppressed-statistics grant;
//! - a unit scope wider than a velayat: the nation (`TM`); a velayat (`TM-A`, and `TM-S`, the
//!   capital with velayat status) or anything inside one is not wide;
//! - the admin role, whatever its scope: an admin manages every account and approves other
//!   admins' grants, so a second admin made by one admin alone would be a way round four eyes.
//!
//! A provider scope is not wide by itself: provider staff see only what is referred to their
//! organisation, in minimum fields, and the sensitive cases among it only with `sensitive`,
//! which is wide.
//!
//! Wide grants need **four eyes**: an admin's request takes effect only once a second admin
//! approves it (neither the one who asked nor the account concerned). The operator's command
//! line on the server applies them directly. Accounts holding a wide grant must sign in with
//! **two factors** (and set them up at their first sign-in).

use crate::access::{Principal, Scope};
use crate::codes::Role;
use uuid::Uuid;

/// Usernames: 3 to 64 of `a-z`, `0-9`, `.`, `_`, `-`. The one rule for new accounts and for
/// what the audit log records of a sign-in.
pub fn is_valid_username(u: &str) -> bool {
    (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// What the audit log records as the actor of a sign-in whose username is not a valid username
/// (a password typed into the username field, say). It cannot be a username: it has brackets
/// and a space.
pub const NOT_A_USERNAME: &str = "(not a username)";

/// The actor a failed or successful sign-in is recorded under: the username if it is one, else
/// [`NOT_A_USERNAME`], never the text as typed.
pub fn username_for_audit(typed: &str) -> &str {
    if is_valid_username(typed) {
        typed
    } else {
        NOT_A_USERNAME
    }
}

/// What an account may do and see: its role, scope and the two grants beyond the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
    pub sensitive: bool,
    pub unsuppressed: bool,
}

impl Grant {
    /// The grant a signed-in user's principal carries; `None` for the operator.
    pub fn of(principal: &Principal) -> Option<Grant> {
        Some(Grant {
            role: principal.role?,
            scope: principal.scope.clone(),
            sensitive: principal.sensitive,
            unsuppressed: principal.unsuppressed,
        })
    }

    /// Whether the grant is wide (see the module's notes): it needs a second admin's approval,
    /// and its account signs in with two factors.
    pub fn is_wide(&self) -> bool {
        self.role == Role::Admin
            || self.sensitive
            || self.unsuppressed
            || matches!(&self.scope, Scope::Unit(unit) if unit.velayat().is_none())
    }

    /// Whether `self` gives nothing that `other` does not: the same role, a scope inside
    /// `other`'s, and no permission `other` lacks.
    pub fn is_within(&self, other: &Grant) -> bool {
        let scope_within = match (&self.scope, &other.scope) {
            (Scope::Unit(a), Scope::Unit(b)) => a.is_within(b),
            (Scope::Provider(a), Scope::Provider(b)) => a == b,
            _ => false,
        };
        self.role == other.role
            && scope_within
            && (!self.sensitive || other.sensitive)
            && (!self.unsuppressed || other.unsuppressed)
    }
}

/// Whether `by` needs a second admin's approval to give an account the grant `after`, when it
/// holds `before` now (`None`: a new account, or one whose grant was never approved).
///
/// Only wide grants need one, and only when they give more than the account has: taking rights
/// away, or changing only whether the account may sign in, never waits. The operator on the
/// server (no role) applies directly.
pub fn needs_second_admin(by: &Principal, before: Option<&Grant>, after: &Grant) -> bool {
    !by.is_operator() && after.is_wide() && before.is_none_or(|b| !after.is_within(b))
}

/// Whether an account holding `grant` must sign in with two factors (and set them up at its
/// first sign-in). Admins always did; every other wide grant does too.
pub fn two_factor_required(grant: &Grant) -> bool {
    grant.is_wide()
}

/// A grant waiting for a second admin, as far as deciding on it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingGrant {
    /// The admin who asked for it.
    pub requested_by: Uuid,
    /// The account it is for.
    pub account: Uuid,
}

/// What a reader may do with a pending grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GrantActions {
    /// Approve it: it takes effect.
    pub approve: bool,
    /// Reject it (the admin who asked may withdraw it this way): the account keeps what it has.
    pub reject: bool,
}

/// Why a reader may not approve a pending grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRefusal {
    /// Only admins (and the operator) decide on grants.
    NotAnAdmin,
    /// The admin who asked cannot be the second pair of eyes.
    OwnRequest,
    /// Nobody approves a grant to their own account.
    OwnAccount,
}

impl ApprovalRefusal {
    /// An English sentence for the API, the command line and the logs.
    pub fn message(self) -> &'static str {
        match self {
            ApprovalRefusal::NotAnAdmin => "deciding on grants needs the admin role",
            ApprovalRefusal::OwnRequest => {
                "you asked for this grant: another admin must approve it"
            }
            ApprovalRefusal::OwnAccount => {
                "this grant is for your own account: another admin must approve it"
            }
        }
    }
}

/// Whether `reader` may approve `pending`, and if not, why.
pub fn may_approve(reader: &Principal, pending: &PendingGrant) -> Result<(), ApprovalRefusal> {
    if reader.is_operator() {
        // The operator on the server.
        return Ok(());
    }
    if reader.role != Some(Role::Admin) {
        return Err(ApprovalRefusal::NotAnAdmin);
    }
    if reader.user_id == Some(pending.requested_by) {
        return Err(ApprovalRefusal::OwnRequest);
    }
    if reader.user_id == Some(pending.account) {
        return Err(ApprovalRefusal::OwnAccount);
    }
    Ok(())
}

/// What `reader` may do with `pending`: approve as [`may_approve`] says; reject if an admin
/// (the one who asked included) or the operator.
pub fn grant_actions(reader: &Principal, pending: &PendingGrant) -> GrantActions {
    GrantActions {
        approve: may_approve(reader, pending).is_ok(),
        reject: reader.is_operator() || reader.role == Some(Role::Admin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scope: &str, sensitive: bool, unsuppressed: bool) -> Grant {
        Grant {
            role,
            scope: scope.parse().unwrap(),
            sensitive,
            unsuppressed,
        }
    }

    fn admin(id: u128) -> Principal {
        Principal::user(
            Uuid::from_u128(id),
            "admin",
            Role::Admin,
            "TM".parse().unwrap(),
            false,
        )
    }

    #[test]
    fn usernames_are_lower_case_words_and_anything_else_is_a_marker_in_the_log() {
        for ok in ["aman", "aman.orazow", "a_b-c", "abc", &"a".repeat(64)] {
            assert!(is_valid_username(ok), "{ok}");
            assert_eq!(username_for_audit(ok), ok);
        }
        for bad in [
            "ab",
            "Aman",
            "a b",
            "correct horse battery",
            "Gökdepe1881!",
            "",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_username(bad), "{bad}");
            assert_eq!(username_for_audit(bad), NOT_A_USERNAME);
        }
        assert!(!is_valid_username(NOT_A_USERNAME));
    }

    #[test]
    fn wide_grants_reach_past_a_velayat_or_see_more_than_the_role() {
        use Role::*;
        assert!(!grant(SocialWorker, "TM-A-01", false, false).is_wide());
        assert!(!grant(Supervisor, "TM-A", false, false).is_wide());
        assert!(
            !grant(Supervisor, "TM-S", false, false).is_wide(),
            "the capital is a velayat"
        );
        assert!(!grant(Provider, "provider:PR0001", false, false).is_wide());
        assert!(grant(Supervisor, "TM", false, false).is_wide());
        assert!(grant(Ministry, "TM", false, false).is_wide());
        assert!(grant(SocialWorker, "TM-A-01", true, false).is_wide());
        assert!(grant(Provider, "provider:PR0001", true, false).is_wide());
        assert!(grant(Planner, "TM-A", false, true).is_wide());
        assert!(
            grant(Admin, "TM-A-01", false, false).is_wide(),
            "an admin manages every account"
        );
    }

    #[test]
    fn a_second_admin_approves_what_gives_more_and_is_wide() {
        use Role::*;
        let by = admin(1);
        let operator = Principal::system("user");
        let national = grant(Supervisor, "TM", true, false);
        assert!(needs_second_admin(&by, None, &national));
        assert!(!needs_second_admin(&operator, None, &national));
        assert!(!needs_second_admin(
            &by,
            None,
            &grant(Supervisor, "TM-A", false, false)
        ));
        // Narrowing, or keeping, a wide grant does not wait.
        assert!(!needs_second_admin(&by, Some(&national), &national));
        assert!(!needs_second_admin(
            &by,
            Some(&national),
            &grant(Supervisor, "TM", false, false)
        ));
        assert!(!needs_second_admin(
            &by,
            Some(&national),
            &grant(Supervisor, "TM-A", true, false)
        ));
        // Widening does, and so does a new role on a wide grant.
        assert!(needs_second_admin(
            &by,
            Some(&grant(Supervisor, "TM-A", true, false)),
            &national
        ));
        assert!(needs_second_admin(
            &by,
            Some(&grant(Supervisor, "TM", false, false)),
            &national
        ));
        assert!(needs_second_admin(
            &by,
            Some(&grant(Ministry, "TM", true, false)),
            &national
        ));
        assert!(needs_second_admin(
            &by,
            Some(&grant(SocialWorker, "TM-A-01", false, false)),
            &grant(Admin, "TM-A-01", false, false)
        ));
    }

    #[test]
    fn the_second_admin_is_neither_the_one_who_asked_nor_the_account() {
        let pending = PendingGrant {
            requested_by: Uuid::from_u128(1),
            account: Uuid::from_u128(3),
        };
        assert_eq!(
            may_approve(&admin(1), &pending),
            Err(ApprovalRefusal::OwnRequest)
        );
        assert_eq!(
            may_approve(&admin(3), &pending),
            Err(ApprovalRefusal::OwnAccount)
        );
        assert_eq!(may_approve(&admin(2), &pending), Ok(()));
        assert_eq!(may_approve(&Principal::system("user"), &pending), Ok(()));
        let supervisor = Principal::user(
            Uuid::from_u128(4),
            "sup",
            Role::Supervisor,
            "TM".parse().unwrap(),
            true,
        );
        assert_eq!(
            may_approve(&supervisor, &pending),
            Err(ApprovalRefusal::NotAnAdmin)
        );
        assert_eq!(
            grant_actions(&admin(1), &pending),
            GrantActions {
                approve: false,
                reject: true
            }
        );
        assert_eq!(
            grant_actions(&supervisor, &pending),
            GrantActions::default()
        );
    }

    #[test]
    fn wide_accounts_and_admins_sign_in_with_two_factors() {
        use Role::*;
        assert!(two_factor_required(&grant(Admin, "TM-A", false, false)));
        assert!(two_factor_required(&grant(Supervisor, "TM", false, false)));
        assert!(two_factor_required(&grant(
            SocialWorker,
            "TM-A-01",
            true,
            false
        )));
        assert!(!two_factor_required(&grant(
            SocialWorker,
            "TM-A-01",
            false,
            false
        )));
    }
}
