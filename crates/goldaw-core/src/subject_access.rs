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
use crate::codes::code_enum;
use crate::consent::ConsentPurpose;
use crate::privacy::Unseen;
use crate::ParseError;

code_enum!(
    /// Whom a person's own data is produced for.
    OwnDataRecipient, "own data recipient" {
        /// The person herself: her right of access, no consent needed.
        Person = "person",
        /// Someone acting for her (a lawyer, an NGO, a relative): outside the case's team.
        Representative = "representative",
    }
);

/// The consent purpose producing the person's data for `recipient` needs, if any (issue #18,
/// docs/survivors.md "Exports of a person's data"): none for the person herself; `export` for a
/// representative (or a supervisor's override for a lawful reason, as every sharing).
pub fn consent_needed(recipient: OwnDataRecipient) -> Option<ConsentPurpose> {
    match recipient {
        OwnDataRecipient::Person => None,
        OwnDataRecipient::Representative => Some(ConsentPurpose::Export),
    }
}

/// Whether `principal` may produce a person's own data at all (the person is checked after).
pub fn may_produce(principal: &Principal) -> Result<(), Unseen> {
    if principal.may(Permission::SubjectAccess) {
        Ok(())
    } else {
        Err(Unseen::Forbidden)
    }
}

/// Whether consent governs producing the data for `recipient`, whatever the person's records:
/// a representative's copy always needs her recorded consent to `export` (or a supervisor's
/// lawful override), also for a person never put under consent records — the copy leaves the
/// case's team, and nobody may presume she agreed (pentest finding, 2026-12-07; before, a person
/// without consent records and without a hotline call was "not governed" and the copy went).
pub fn always_governed(recipient: OwnDataRecipient) -> bool {
    consent_needed(recipient).is_some()
}

/// What the person's copy holds of a case she is only named in (a member of the household a
/// household case is about, referred or assessed in it): that the case exists, when, its status
/// and her part — never its subject's name, story, notes, plans or assessments, which are
/// another person's (an abusive partner named in his wife's household case must not read her
/// file through his right of access). Her own referrals and consents in it are hers.
pub fn whole_case_shown(part: &str) -> bool {
    part == "subject"
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
    #[test]
    fn a_representative_always_needs_consent_and_a_named_person_sees_only_her_part() {
        use super::*;
        assert!(always_governed(OwnDataRecipient::Representative));
        assert!(!always_governed(OwnDataRecipient::Person));
        let (her, other) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        assert!(whole_case_shown(part_in_case(her, her)));
        assert!(!whole_case_shown(part_in_case(other, her)));
    }

    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;
    use uuid::Uuid;

    #[test]
    fn producing_for_a_representative_needs_consent_to_export() {
        assert_eq!(consent_needed(OwnDataRecipient::Person), None);
        assert_eq!(
            consent_needed(OwnDataRecipient::Representative),
            Some(ConsentPurpose::Export)
        );
        assert_eq!(
            "representative".parse::<OwnDataRecipient>(),
            Ok(OwnDataRecipient::Representative)
        );
        assert!("lawyer".parse::<OwnDataRecipient>().is_err());
    }

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
