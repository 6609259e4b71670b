//! The person's and the household's pages (issue #19): what a reader may do there, and what a
//! change changed, as pure rules the store and the pages both ask.

use crate::access::{Permission, Principal};
use crate::people::{HouseholdData, PersonData};

/// What a reader of a person's (or a household's) page may do there. Reading itself is the
/// store's scoped read: outside scope, or a hidden person without the sensitive permission, the
/// record is not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PersonWork {
    /// Change the record (with the version it was read at).
    pub edit: bool,
    /// Start a merge of this record with a likely duplicate (supervisors).
    pub merge: bool,
    /// The list of probable duplicates in scope (supervisors).
    pub duplicates: bool,
}

/// What `principal` may do on the page of a person it can read.
pub fn person_work(principal: &Principal) -> PersonWork {
    let reads = principal.may(Permission::ReadPeople);
    PersonWork {
        edit: reads && principal.may(Permission::WritePeople),
        merge: reads && principal.may(Permission::ApproveCases),
        duplicates: reads && principal.may(Permission::ApproveCases),
    }
}

/// The fields of a person that differ between `old` and `new`, by their interchange names, in a
/// fixed order: what the history of the record shows (names only, never values: the audit log
/// holds no personal data beyond ids).
pub fn changed_person_fields(old: &PersonData, new: &PersonData) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |changed: bool, name: &'static str| {
        if changed {
            out.push(name);
        }
    };
    check(old.given_name != new.given_name, "given_name");
    check(old.family_name != new.family_name, "family_name");
    check(old.sex != new.sex, "sex");
    check(old.birth_date != new.birth_date, "birth_date");
    check(old.admin_unit != new.admin_unit, "admin_unit");
    check(old.settlement != new.settlement, "settlement");
    check(
        old.receives_benefits != new.receives_benefits,
        "receives_benefits",
    );
    check(
        old.washington_group != new.washington_group,
        "washington_group",
    );
    check(old.target_groups != new.target_groups, "target_groups");
    check(old.household_id != new.household_id, "household_id");
    check(old.relationship != new.relationship, "relationship");
    out
}

/// The fields of a household that differ between `old` and `new`.
pub fn changed_household_fields(old: &HouseholdData, new: &HouseholdData) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.admin_unit != new.admin_unit {
        out.push("admin_unit");
    }
    if old.settlement != new.settlement {
        out.push("settlement");
    }
    if old.address != new.address {
        out.push("address");
    }
    out
}

/// Every field name [`changed_person_fields`] and [`changed_household_fields`] may give: the
/// pages translate each (`person-field-<name>`).
pub const CHANGE_FIELDS: &[&str] = &[
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "admin_unit",
    "settlement",
    "receives_benefits",
    "washington_group",
    "target_groups",
    "household_id",
    "relationship",
    "address",
];

/// The audit detail of a change: `version N; changed: a,b` (read back by [`changed_in_detail`]).
pub fn change_detail(version: i32, fields: &[&str]) -> String {
    if fields.is_empty() {
        format!("version {version}")
    } else {
        format!("version {version}; changed: {}", fields.join(","))
    }
}

/// The field names a change's audit detail lists (unknown names are left out).
pub fn changed_in_detail(detail: &str) -> Vec<&'static str> {
    detail
        .split_once("changed: ")
        .map(|(_, list)| {
            list.split(',')
                .filter_map(|f| CHANGE_FIELDS.iter().copied().find(|k| *k == f.trim()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::{Role, Sex};
    use crate::ids::AdminUnitCode;

    fn person() -> PersonData {
        PersonData {
            given_name: "Maral".parse().unwrap(),
            family_name: Some("Ýazowa".parse().unwrap()),
            sex: Sex::Female,
            birth_date: None,
            admin_unit: "TM-A-01".parse::<AdminUnitCode>().unwrap(),
            settlement: None,
            receives_benefits: None,
            washington_group: Default::default(),
            target_groups: Default::default(),
            household_id: None,
            relationship: None,
        }
    }

    #[test]
    fn a_change_names_the_fields_it_changed_and_reads_back() {
        let old = person();
        let mut new = old.clone();
        assert!(changed_person_fields(&old, &new).is_empty());
        new.given_name = "Merjen".parse().unwrap();
        new.birth_date = chrono::NaiveDate::from_ymd_opt(1990, 1, 2);
        let fields = changed_person_fields(&old, &new);
        assert_eq!(fields, ["given_name", "birth_date"]);
        let detail = change_detail(3, &fields);
        assert_eq!(detail, "version 3; changed: given_name,birth_date");
        assert_eq!(changed_in_detail(&detail), fields);
        assert!(changed_in_detail("version 3").is_empty());
        assert!(changed_in_detail("version 3; changed: <script>,sex").len() == 1);
        for f in fields {
            assert!(CHANGE_FIELDS.contains(&f));
        }
    }

    #[test]
    fn only_supervisors_merge_and_only_writers_edit() {
        let with = |role| {
            person_work(&Principal::user(
                uuid::Uuid::nil(),
                "u",
                role,
                Scope::Unit("TM-A".parse().unwrap()),
                false,
            ))
        };
        let sup = with(Role::Supervisor);
        assert!(sup.edit && sup.merge && sup.duplicates);
        let worker = with(Role::SocialWorker);
        assert!(worker.edit && !worker.merge && !worker.duplicates);
        // The hotline writes people but does not read them: no page, so nothing to do on one.
        assert_eq!(with(Role::Hotline), PersonWork::default());
        assert_eq!(with(Role::Planner), PersonWork::default());
    }
}
