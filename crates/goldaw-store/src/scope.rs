//! Turning a principal's scope into SQL bounds.
//!
//! Admin unit codes nest by prefix (`TM-A-01` lies in `TM-A`) and contain only capital letters,
//! digits and `-`. So the units inside scope `S` are exactly the codes in the half-open range
//! [`S`, `S` + "."): `-` sorts just below `.`, and letters and digits above it. One range
//! condition on an indexed column, in both databases (PostgreSQL columns use `COLLATE "C"`).

use goldaw_core::access::Principal;

/// `(low, high)` bounds for `admin_unit >= low AND admin_unit < high`; `None` when the principal
/// has no administrative scope (a provider), who then sees no records by place.
pub(crate) fn unit_range(principal: &Principal) -> Option<(String, String)> {
    principal
        .unit_scope()
        .map(|code| (code.as_str().to_owned(), format!("{}.", code.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldaw_core::access::Scope;

    #[test]
    fn the_range_holds_the_unit_and_its_descendants_only() {
        let p = Principal::user(
            uuid::Uuid::nil(),
            "t",
            goldaw_core::codes::Role::Supervisor,
            Scope::Unit("TM-A".parse().unwrap()),
            false,
        );
        let (lo, hi) = unit_range(&p).unwrap();
        let inside = |c: &str| c >= lo.as_str() && c < hi.as_str();
        assert!(inside("TM-A"));
        assert!(inside("TM-A-01"));
        assert!(inside("TM-A-09-02"));
        assert!(!inside("TM-A0"));
        assert!(!inside("TM-B-01"));
        assert!(!inside("TM"));
    }
}
