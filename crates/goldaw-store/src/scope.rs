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

/// Whether the person `$alias` is hidden from readers without the `sensitive` permission:
/// `goldaw_core::privacy::person_hidden` in SQL, the one condition every read of a person uses.
/// A macro so that the queries built from it stay constant strings (`concat!`).
macro_rules! person_hidden {
    ($alias:literal) => {
        concat!(
            "(",
            $alias,
            ".sensitive OR ",
            $alias,
            ".named_in_sensitive_case)"
        )
    };
}
pub(crate) use person_hidden;

/// The person `$alias` may be shown: not hidden, or `$may_see` (the SQL parameter holding the
/// principal's `sensitive` permission) is true.
macro_rules! person_visible {
    ($alias:literal, $may_see:literal) => {
        concat!(
            "(NOT ",
            $crate::scope::person_hidden!($alias),
            " OR ",
            $may_see,
            ")"
        )
    };
}
pub(crate) use person_visible;

/// The household `$alias` may be shown: none of its current members is hidden, or `$may_see`
/// is true. A household holding a hidden person is hidden as a whole: its address is where that
/// person lives, and a household made for someone living alone carries their id.
macro_rules! household_visible {
    ($alias:literal, $may_see:literal) => {
        concat!(
            "(NOT EXISTS (SELECT 1 FROM persons hm WHERE hm.household_id = ",
            $alias,
            ".id AND hm.merged_into IS NULL AND ",
            $crate::scope::person_hidden!("hm"),
            ") OR ",
            $may_see,
            ")"
        )
    };
}
pub(crate) use household_visible;

/// Marks the people case `$1` names (`case_persons`, migration 0011) when the case is sensitive.
/// Run inside every write that makes a case name someone: registering it, a referral, an
/// assessment. The mark is never cleared (`goldaw_core::privacy`).
pub(crate) const MARK_NAMED_IN_CASE: &str = "UPDATE persons SET named_in_sensitive_case = TRUE
     WHERE NOT named_in_sensitive_case
       AND id IN (SELECT n.person_id FROM case_persons n JOIN cases c ON c.id = n.case_id
                   WHERE n.case_id = $1 AND c.sensitive)";

/// Marks everyone a sensitive case names: the end of a bulk import (its cases may name other
/// people, its people may join a household a sensitive household case is about). The migration
/// that introduced the mark (0011) ran the same statement over the existing rows.
pub(crate) const MARK_ALL_NAMED: &str = "UPDATE persons SET named_in_sensitive_case = TRUE
     WHERE NOT named_in_sensitive_case
       AND id IN (SELECT n.person_id FROM case_persons n JOIN cases c ON c.id = n.case_id
                   WHERE c.sensitive)";

/// Marks the members of person `$1`'s household (the person included) whom a sensitive case names:
/// after a write that may move someone into a household a sensitive household case is about, or
/// moves a sensitive case's records onto a person (a merge).
pub(crate) const MARK_NAMED_IN_HOUSEHOLD: &str = "UPDATE persons SET named_in_sensitive_case = TRUE
     WHERE NOT named_in_sensitive_case
       AND household_id = (SELECT h.household_id FROM persons h WHERE h.id = $1)
       AND EXISTS (SELECT 1 FROM case_persons n JOIN cases c ON c.id = n.case_id
                    WHERE n.person_id = persons.id AND c.sensitive)";

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
