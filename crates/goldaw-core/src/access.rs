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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Who, for the audit trail: a username, or `system:<command>` for the operator's CLI.
    pub actor: String,
    /// The user account, if the principal is a signed-in user.
    pub user_id: Option<Uuid>,
    /// `None` for the operator running a command on the server itself.
    pub role: Option<Role>,
    pub scope: Scope,
    /// May see gender-based-violence and child-protection records within scope.
    pub sensitive: bool,
    /// May see statistics without small-cell suppression (planners and the ministry only).
    #[serde(default)]
    pub unsuppressed: bool,
    /// Where the request came from, for the audit trail: an IP address, or `cli`.
    pub source: String,
}

impl Principal {
    /// The operator running a command on the server itself (import, export, demo): national scope.
    pub fn system(command: &str) -> Principal {
        Principal {
            actor: format!("system:{command}"),
            user_id: None,
            role: None,
            scope: Scope::Unit(nation()),
            sensitive: true,
            unsuppressed: true,
            source: "cli".to_owned(),
        }
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
        }
    }

    /// The same principal with the account's grant to see unsuppressed statistics.
    pub fn with_unsuppressed(mut self, unsuppressed: bool) -> Principal {
        self.unsuppressed = unsuppressed;
        self
    }

    /// Whether the role grants `permission` (scope is checked separately, per record).
    pub fn may(&self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        let Some(role) = self.role else {
            // The operator on the server: everything the CLI offers.
            return true;
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
        }
    }

    /// The administrative unit whose records this principal may see, if any.
    pub fn unit_scope(&self) -> Option<&AdminUnitCode> {
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
}
