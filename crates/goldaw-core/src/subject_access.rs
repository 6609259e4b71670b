//! A person's own data (issue #20, item 5; docs/operations.md, "A person's own data"): on a
//! person's request, a supervisor produces everything goldaw holds about them within the
//! supervisor's scope, as a printable page and as JSON. Corrections go through the normal edits.
//!
//! Who may: supervisors ([`Permission::SubjectAccess`]), for a person they may read (in scope, and
//! not hidden from them: `crate::privacy::may_see_person`); anyone else is refused (403) whatever
//! the person, and a person outside the supervisor's sight answers as one that does not exist
//! (404). Which cases: those that name the person (as its subject, a member of the household a
//! household case is about, referred or assessed in it) and that the supervisor reads in full
//! (`crate::privacy::case_sight`); the document says how many it left out.

use crate::access::{Permission, Principal};
use crate::privacy::Unseen;

/// Whether `principal` may produce a person's own data at all (the person is checked after).
pub fn may_produce(principal: &Principal) -> Result<(), Unseen> {
    if principal.may(Permission::SubjectAccess) {
        Ok(())
    } else {
        Err(Unseen::Forbidden)
    }
}

/// How the person is named in a case: its subject, or named in it otherwise.
pub fn part_in_case(case_subject: uuid::Uuid, person: uuid::Uuid) -> &'static str {
    if case_subject == person {
        "subject"
    } else {
        "named"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;
    use uuid::Uuid;

    #[test]
    fn only_supervisors_produce_a_persons_data() {
        for &role in Role::ALL {
            let who = Principal::user(
                Uuid::nil(),
                "u",
                role,
                Scope::Unit("TM".parse().unwrap()),
                true,
            );
            let expected = if role == Role::Supervisor {
                Ok(())
            } else {
                Err(Unseen::Forbidden)
            };
            assert_eq!(may_produce(&who), expected, "{role:?}");
        }
        assert_eq!(
            may_produce(&Principal::anonymous("x")),
            Err(Unseen::Forbidden)
        );
        assert_eq!(
            part_in_case(Uuid::from_u128(1), Uuid::from_u128(1)),
            "subject"
        );
        assert_eq!(
            part_in_case(Uuid::from_u128(1), Uuid::from_u128(2)),
            "named"
        );
    }
}
