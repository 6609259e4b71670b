//! Who is asking, and what they may do: the principal passed to every store call.
//!
//! Deny by default: a principal may do only what [`Principal::may`] grants for its role, and only
//! within its scope. Store queries also filter by scope in SQL, so the two checks back each other.

use crate::codes::Role;
use crate::ids::AdminUnitCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a principal's rights apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// An administrative unit and everything inside it (`TM` is the nation).
    Unit(AdminUnitCode),
    /// A provider organisation (by its id): sees only what was referred to it.
    Provider(String),
}

impl Scope {
    /// The stored form: a unit code, or `provider:ID`.
    pub fn to_stored(&self) -> String {
        match self {
            Scope::Unit(code) => code.as_str().to_owned(),
            Scope::Provider(id) => format!("provider:{id}"),
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = crate::ParseError;
    fn from_str(s: &str) -> Result<Self, crate::ParseError> {
        match s.strip_prefix("provider:") {
            Some(id) if !id.is_empty() && id.len() <= 64 && !id.chars().any(char::is_control) => {
                Ok(Scope::Provider(id.to_owned()))
            }
            Some(_) => Err(crate::ParseError::new("a provider scope is provider:ID")),
            None => s.parse().map(Scope::Unit),
        }
    }
}

/// Things a principal may be allowed to do. New capabilities add a variant, and
/// [`Principal::may`] must then say who gets it: the `match` does not compile otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read people and households (names, dates, functioning) within scope.
    ReadPeople,
    /// Register or change people and households within scope.
    WritePeople,
    /// Manage user accounts.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read who opened or changed a case and its person (the audit log of one case): supervisors,
    /// for the cases in their scope (WORKFLOW.md: "own team's access to own cases").
    ReadCaseAccess,
    /// Bulk import and export of personal data.
    BulkData,
    /// Register a referral: a new case in an etrap (the hotline: in any etrap).
    RegisterReferral,
    /// Read cases within scope (social workers: their etrap; the hotline: the calls it registered).
    ReadCases,
    /// Screen, assess, write notes, make support plans: social workers on cases assigned to them,
    /// supervisors on any case in scope.
    WorkCases,
    /// Allocate and reassign cases to social workers.
    AllocateCases,
    /// Approve support plans and closures, accept transfers, merge duplicate people.
    ApproveCases,
    /// Provider staff: accept or decline referrals to their organisation, record delivery.
    ProviderWork,
    /// Keep the register of providers, their service points and capacity.
    ManageProviders,
    /// Change settings: deadlines, the working-day calendar.
    ManageSettings,
    /// Read statistics (published with small-cell suppression).
    ReadReports,
    /// Read statistics without suppression: needs the role and the account's own grant.
    ReadUnsuppressed,
    /// Read the caseload per social worker: an internal supervision figure, unsuppressed.
    ReadCaseload,
    /// Planning and costing: workforce, costs, needs against supply.
    Planning,
    /// Export published statistics to DHIS2 (the ministry's reporting line).
    Dhis2Export,
    /// Log and read a hotline's calls (issue #18): the line's members only
    /// (`goldaw_core::hotline::line_sight`).
    HotlineCalls,
    /// Share without consent for a reason the law allows (issue #18, `goldaw_core::consent`).
    OverrideConsent,
    /// A partner agency (issue #23): refer a family to the etrap's intake and read its own
    /// referrals' status (`goldaw_core::partners`). Partners only; nobody else needs it.
    PartnerReferral,
    /// Social contracting (docs/contracting.md): draft, approve, publish, cancel and award tenders,
    /// sign and change contracts, verify delivery reports, record payments, within scope. The
    /// ministry (a velayat administration with a delegated budget: a ministry account scoped to
    /// the velayat). Bids are providers' work (`ProviderWork`); scoring is for the members a
    /// tender names on its committee, not a role.
    Contracting,
    /// Produce everything goldaw holds about a person in scope, on their request (issue #20,
    /// `goldaw_core::subject_access`): supervisors.
    SubjectAccess,
    /// Set and lift a legal hold on a case, which stops its anonymisation (issue #20,
    /// `goldaw_core::retention`): supervisors, for the cases in their scope.
    LegalHold,
    /// Set the retention periods per kind of case and see what a run would anonymise (issue #20,
    /// `goldaw_core::retention`): the ministry. The run itself is the operator's CLI command.
    Retention,
}

/// The kind of caller a [`Principal`] is. Only this module's constructors set it, so "every
/// permission" comes from [`Actor::Operator`] and nothing else: never from a missing role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The operator running a command on the server itself (import, export, demo): may everything
    /// the CLI offers, nationally.
    Operator,
    /// A signed-in user account: may what its role grants, within its scope.
    User,
    /// A visitor who has not signed in (the sign-in form now; the public pages of issue #23 to come):
    /// may nothing at all and sees no unit.
    Anonymous,
    /// A partner agency that refers families (issue #23): may [`Permission::PartnerReferral`] and
    /// nothing else, for its own organisation only (`goldaw_core::partners::partner_sight`).
    Partner,
}

/// Who is asking.
///
/// Decision (issue #17, item 4): the fields the rest of the code reads stay public, so reads need
/// no churn, but the kind of caller is a private field: a struct literal outside this crate does
/// not compile, and a principal is made only by [`Principal::operator`] (alias
/// [`Principal::system`], kept because the CLI and the tests use it widely), [`Principal::user`],
/// [`Principal::anonymous`] or [`Principal::partner`]. `role` is `None` for every kind but a user;
/// [`Principal::may`] asks the kind first, so a missing role grants nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who, for the audit trail: a username, `system:<command>` for the operator's CLI, or what an
    /// anonymous visitor typed as a username (as [`crate::accounts::username_for_audit`] allows).
    pub actor: String,
    /// The user account, if the principal is a signed-in user (or a partner's account).
    pub user_id: Option<Uuid>,
    /// The user's role; `None` for every other kind of caller (see [`Principal::actor_kind`]).
    pub role: Option<Role>,
    /// Where the rights apply. An anonymous visitor's is an empty provider scope that matches no
    /// record, and [`Principal::unit_scope`] is `None` for it.
    pub scope: Scope,
    /// May see gender-based-violence and child-protection records within scope.
    pub sensitive: bool,
    /// May see statistics without small-cell suppression (planners and the ministry only).
    pub unsuppressed: bool,
    /// Where the request came from, for the audit trail: an IP address, or `cli`.
    pub source: String,
    /// The kind of caller: private, so only the constructors below make a principal.
    kind: Actor,
}

impl Principal {
    /// The operator running a command on the server itself (import, export, demo): national scope,
    /// every permission.
    pub fn operator(command: &str) -> Principal {
        Principal {
            actor: format!("system:{command}"),
            user_id: None,
            role: None,
            scope: Scope::Unit(nation()),
            sensitive: true,
            unsuppressed: true,
            source: "cli".to_owned(),
            kind: Actor::Operator,
        }
    }

    /// The same as [`Principal::operator`] (the older name).
    pub fn system(command: &str) -> Principal {
        Principal::operator(command)
    }

    /// A signed-in user.
    pub fn user(id: Uuid, username: &str, role: Role, scope: Scope, sensitive: bool) -> Principal {
        Principal {
            actor: username.to_owned(),
            user_id: Some(id),
            role: Some(role),
            scope,
            sensitive,
            unsuppressed: false,
            source: String::new(),
            kind: Actor::User,
        }
    }

    /// A visitor who has not signed in, there for `purpose` (`signin`): no permission, no scope.
    pub fn anonymous(purpose: &str) -> Principal {
        Principal {
            actor: format!("anonymous:{purpose}"),
            user_id: None,
            role: None,
            scope: Scope::Provider(String::new()),
            sensitive: false,
            unsuppressed: false,
            source: String::new(),
            kind: Actor::Anonymous,
        }
    }

    /// A partner agency's organisation (issue #23): `id` is the organisation's id, `scope` its
    /// area. It may refer and read its own referrals ([`Permission::PartnerReferral`]), nothing
    /// else; it sees no unit.
    pub fn partner(id: Uuid, name: &str, scope: Scope) -> Principal {
        Principal {
            actor: name.to_owned(),
            user_id: Some(id),
            role: None,
            scope,
            sensitive: false,
            unsuppressed: false,
            source: String::new(),
            kind: Actor::Partner,
        }
    }

    /// The kind of caller.
    pub fn actor_kind(&self) -> Actor {
        self.kind
    }

    /// Whether this is the operator on the server (every permission).
    pub fn is_operator(&self) -> bool {
        self.kind == Actor::Operator
    }

    /// The same principal with the account's grant to see unsuppressed statistics.
    pub fn with_unsuppressed(mut self, unsuppressed: bool) -> Principal {
        self.unsuppressed = unsuppressed;
        self
    }

    /// The same principal, asking from `source` (an IP address, or `cli`).
    pub fn with_source(mut self, source: &str) -> Principal {
        source.clone_into(&mut self.source);
        self
    }

    /// The same principal, named `actor` in the audit trail.
    pub fn with_actor(mut self, actor: &str) -> Principal {
        actor.clone_into(&mut self.actor);
        self
    }

    /// Whether the role grants `permission` (scope is checked separately, per record).
    pub fn may(&self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        let role = match (self.kind, self.role) {
            // The operator on the server: everything the CLI offers.
            (Actor::Operator, _) => return true,
            (Actor::User, Some(role)) => role,
            // A partner agency: its referrals, nothing else (scope: its own organisation's).
            (Actor::Partner, _) => return permission == Permission::PartnerReferral,
            // Anonymous visitors: nothing.
            (Actor::User, None) | (Actor::Anonymous, _) => return false,
        };
        // WORKFLOW.md, "Who may do what". Planners, the ministry and admins see statistics or
        // run the system, not personal records; providers see only what was referred to them;
        // the hotline registers referrals for any etrap and sees the calls it registered.
        match permission {
            ReadPeople => matches!(role, SocialWorker | Supervisor),
            WritePeople => matches!(role, SocialWorker | Supervisor | Hotline),
            ManageUsers => role == Admin,
            ReadAudit => role == Admin,
            ReadCaseAccess => role == Supervisor,
            BulkData => false,
            RegisterReferral => matches!(role, SocialWorker | Supervisor | Hotline),
            ReadCases => matches!(role, SocialWorker | Supervisor | Hotline),
            WorkCases => matches!(role, SocialWorker | Supervisor),
            AllocateCases | ApproveCases => role == Supervisor,
            ProviderWork => role == Provider,
            ManageProviders => matches!(role, Admin | Ministry),
            ManageSettings => role == Admin,
            ReadReports => matches!(
                role,
                SocialWorker | Supervisor | Provider | Planner | Ministry
            ),
            ReadUnsuppressed => matches!(role, Planner | Ministry) && self.unsuppressed,
            // Those who allocate work and set staffing (docs/statistics.md, "Caseload").
            ReadCaseload => matches!(role, Supervisor | Ministry),
            // WORKFLOW.md: planners (their scope) and the ministry. Not admins, who run the system but
            // read no statistics: the plan's need per etrap and service is an unsuppressed count.
            Planning => matches!(role, Planner | Ministry),
            Dhis2Export => matches!(role, Planner | Ministry),
            HotlineCalls => matches!(role, Hotline | Supervisor),
            OverrideConsent => role == Supervisor,
            // Partner agencies only (above); staff register intake with RegisterReferral.
            PartnerReferral => false,
            Contracting => role == Ministry,
            SubjectAccess | LegalHold => role == Supervisor,
            Retention => role == Ministry,
        }
    }

    /// The administrative unit whose records this principal may see, if any.
    pub fn unit_scope(&self) -> Option<&AdminUnitCode> {
        if matches!(self.kind, Actor::Anonymous | Actor::Partner) {
            return None;
        }
        match &self.scope {
            Scope::Unit(code) => Some(code),
            Scope::Provider(_) => None,
        }
    }

    pub fn can_see_unit(&self, unit: &AdminUnitCode) -> bool {
        self.unit_scope().is_some_and(|scope| unit.is_within(scope))
    }
}

/// The code of the whole country.
pub fn nation() -> AdminUnitCode {
    AdminUnitCode::from_stored("TM".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(role: Role, unit: &str) -> Principal {
        Principal::user(
            Uuid::nil(),
            "u",
            role,
            Scope::Unit(unit.parse().unwrap()),
            false,
        )
    }

    #[test]
    fn scopes_contain_their_sub_units_only() {
        let worker = with(Role::SocialWorker, "TM-A-01");
        assert!(worker.can_see_unit(&"TM-A-01".parse().unwrap()));
        assert!(!worker.can_see_unit(&"TM-A-02".parse().unwrap()));
        assert!(!worker.can_see_unit(&"TM-A".parse().unwrap()));
        assert!(Principal::system("test").can_see_unit(&"TM-M-12".parse().unwrap()));
        let provider = Principal::user(
            Uuid::nil(),
            "ngo",
            Role::Provider,
            Scope::Provider("PR0001".into()),
            false,
        );
        assert!(!provider.can_see_unit(&"TM-A-01".parse().unwrap()));
    }

    #[test]
    fn roles_are_denied_by_default() {
        let readers: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| with(*r, "TM").may(Permission::ReadPeople))
            .collect();
        assert_eq!(readers, [Role::SocialWorker, Role::Supervisor]);
        assert!(
            !with(Role::Admin, "TM").may(Permission::ReadPeople),
            "admins do not read case content"
        );
        assert!(with(Role::Admin, "TM").may(Permission::ManageUsers));
        assert!(!with(Role::Ministry, "TM").may(Permission::ManageUsers));
        assert!(Role::ALL
            .iter()
            .all(|r| !with(*r, "TM").may(Permission::BulkData)));
    }

    #[test]
    fn case_work_follows_the_workflow_table() {
        let who = |p: Permission| -> Vec<Role> {
            Role::ALL
                .iter()
                .copied()
                .filter(|r| with(*r, "TM").may(p))
                .collect()
        };
        use Role::*;
        assert_eq!(
            who(Permission::RegisterReferral),
            [SocialWorker, Supervisor, Hotline]
        );
        assert_eq!(who(Permission::WorkCases), [SocialWorker, Supervisor]);
        assert_eq!(who(Permission::AllocateCases), [Supervisor]);
        assert_eq!(who(Permission::ApproveCases), [Supervisor]);
        assert_eq!(who(Permission::ProviderWork), [Provider]);
        assert_eq!(who(Permission::Planning), [Planner, Ministry]);
        assert_eq!(who(Permission::ReadCaseload), [Supervisor, Ministry]);
        assert_eq!(who(Permission::ReadCaseAccess), [Supervisor]);
        assert!(
            who(Permission::ReadUnsuppressed).is_empty(),
            "needs the grant"
        );
        let granted = with(Planner, "TM").with_unsuppressed(true);
        assert!(granted.may(Permission::ReadUnsuppressed));
        let worker = with(SocialWorker, "TM-A-01").with_unsuppressed(true);
        assert!(
            !worker.may(Permission::ReadUnsuppressed),
            "the grant alone is not enough"
        );
    }

    #[test]
    fn scopes_are_stored_and_parsed() {
        for s in ["TM", "TM-A-01", "provider:PR0001"] {
            assert_eq!(s.parse::<Scope>().unwrap().to_stored(), s);
        }
        assert!("provider:".parse::<Scope>().is_err());
        assert!("Ahal".parse::<Scope>().is_err());
    }

    /// Every permission, for the tests of each kind of caller.
    const EVERY: [Permission; 26] = {
        use Permission::*;
        [
            ReadPeople,
            WritePeople,
            ManageUsers,
            ReadAudit,
            ReadCaseAccess,
            BulkData,
            RegisterReferral,
            ReadCases,
            WorkCases,
            AllocateCases,
            ApproveCases,
            ProviderWork,
            ManageProviders,
            ManageSettings,
            ReadReports,
            ReadUnsuppressed,
            ReadCaseload,
            Planning,
            Dhis2Export,
            HotlineCalls,
            OverrideConsent,
            PartnerReferral,
            Contracting,
            SubjectAccess,
            LegalHold,
            Retention,
        ]
    };

    #[test]
    fn the_operator_may_everything() {
        let operator = Principal::operator("test");
        assert_eq!(operator.actor_kind(), Actor::Operator);
        assert!(operator.is_operator());
        assert!(EVERY.iter().all(|p| operator.may(*p)));
        assert!(operator.can_see_unit(&"TM-M-12".parse().unwrap()));
        assert_eq!(
            Principal::system("test"),
            operator,
            "system is the operator"
        );
    }

    #[test]
    fn an_anonymous_visitor_may_nothing_and_sees_no_unit() {
        let visitor = Principal::anonymous("signin").with_source("192.0.2.1");
        assert_eq!(visitor.actor_kind(), Actor::Anonymous);
        assert!(!visitor.is_operator());
        assert_eq!(visitor.role, None);
        assert!(EVERY.iter().all(|p| !visitor.may(*p)));
        assert_eq!(visitor.unit_scope(), None);
        assert!(!visitor.can_see_unit(&"TM".parse().unwrap()));
        assert!(!visitor.sensitive && !visitor.unsuppressed);
        // Even given the unsuppressed grant, a missing role grants nothing.
        assert!(!visitor
            .with_unsuppressed(true)
            .may(Permission::ReadUnsuppressed));
    }

    #[test]
    fn a_partner_may_only_refer() {
        let school = Principal::partner(Uuid::nil(), "school-12", "TM-A-01".parse().unwrap());
        assert_eq!(school.actor_kind(), Actor::Partner);
        let granted: Vec<Permission> = EVERY.iter().copied().filter(|p| school.may(*p)).collect();
        assert_eq!(granted, [Permission::PartnerReferral]);
        assert_eq!(school.unit_scope(), None);
        assert!(!school.can_see_unit(&"TM-A-01".parse().unwrap()));
    }

    #[test]
    fn a_user_may_exactly_what_the_role_grants() {
        use Permission::*;
        use Role::*;
        let expected = |role: Role| -> Vec<Permission> {
            let granted: &[Permission] = match role {
                SocialWorker => &[
                    ReadPeople,
                    WritePeople,
                    RegisterReferral,
                    ReadCases,
                    WorkCases,
                    ReadReports,
                ],
                Supervisor => &[
                    ReadPeople,
                    WritePeople,
                    ReadCaseAccess,
                    RegisterReferral,
                    ReadCases,
                    WorkCases,
                    AllocateCases,
                    ApproveCases,
                    ReadReports,
                    ReadCaseload,
                    HotlineCalls,
                    OverrideConsent,
                    SubjectAccess,
                    LegalHold,
                ],
                Hotline => &[WritePeople, RegisterReferral, ReadCases, HotlineCalls],
                Provider => &[ProviderWork, ReadReports],
                Planner => &[ReadReports, Planning, Dhis2Export],
                Ministry => &[
                    ManageProviders,
                    ReadReports,
                    ReadCaseload,
                    Planning,
                    Dhis2Export,
                    Contracting,
                    Retention,
                ],
                Admin => &[ManageUsers, ReadAudit, ManageProviders, ManageSettings],
            };
            granted.to_vec()
        };
        for role in Role::ALL.iter().copied() {
            let user = with(role, "TM");
            assert_eq!(user.actor_kind(), Actor::User);
            assert!(!user.is_operator());
            let got: Vec<Permission> = EVERY.iter().copied().filter(|p| user.may(*p)).collect();
            assert_eq!(got, expected(role), "{role:?}");
        }
    }
}
