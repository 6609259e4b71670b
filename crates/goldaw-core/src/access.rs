//! Who is asking: the principal passed to every store call.
//!
//! The access issue adds users, roles and sign-in; this module already fixes the shape so that
//! every query is written against a scope from the start.

use crate::ids::AdminUnitCode;
use serde::{Deserialize, Serialize};

/// Where a principal's rights apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// An administrative unit and everything inside it (`TM` is the nation).
    Unit(AdminUnitCode),
    /// A provider organisation (by its id): sees only what was referred to it.
    Provider(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Who, for the audit trail: a username, or `system:<command>` for the operator's CLI.
    pub actor: String,
    pub scope: Scope,
    /// May see gender-based-violence and child-protection records within scope.
    pub sensitive: bool,
}

impl Principal {
    /// The operator running a command on the server itself (import, export, demo): national scope.
    pub fn system(command: &str) -> Principal {
        Principal {
            actor: format!("system:{command}"),
            scope: Scope::Unit(nation()),
            sensitive: true,
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

    #[test]
    fn scopes_contain_their_sub_units_only() {
        let worker = Principal {
            actor: "aman".into(),
            scope: Scope::Unit("TM-A-01".parse().unwrap()),
            sensitive: false,
        };
        assert!(worker.can_see_unit(&"TM-A-01".parse().unwrap()));
        assert!(!worker.can_see_unit(&"TM-A-02".parse().unwrap()));
        assert!(!worker.can_see_unit(&"TM-A".parse().unwrap()));
        assert!(Principal::system("test").can_see_unit(&"TM-M-12".parse().unwrap()));
        let provider = Principal {
            actor: "ngo".into(),
            scope: Scope::Provider("PR0001".into()),
            sensitive: false,
        };
        assert!(!provider.can_see_unit(&"TM-A-01".parse().unwrap()));
    }
}
