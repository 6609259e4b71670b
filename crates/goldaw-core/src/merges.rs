//! Merging two records of the same person: when it is allowed, and what changes on the kept one.
//!
//! The person's cases, service episodes, referrals and assessment items move to the kept record
//! (the store does that); this module decides whether the two records may be merged at all and
//! what the kept record takes from the other. Decisions (docs/case-management.md, "Merging"):
//!
//! - Facts that identify a person must agree: a different sex, or two different birth dates, is
//!   for a person to resolve (correct one record first), never for goldaw to guess. A birth date
//!   known on one record only is taken.
//! - Households: a record living alone (a household goldaw made for them) joins the other's
//!   household; two different real households are for a person to resolve.
//! - The kept record keeps its names and the rest; the merged record stays as it was, marked
//!   merged, so the merge can be read back and undone.

use crate::codes::Sex;
use chrono::NaiveDate;
use uuid::Uuid;

/// Why two records may not be merged (as they are now).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error,
)]
#[serde(rename_all = "snake_case")]
pub enum MergeRefusal {
    #[error("a person cannot be merged into themselves")]
    SamePerson,
    #[error("one of the two records was already merged into another: merge into the record that was kept")]
    AlreadyMerged,
    #[error("the two records give a different sex: correct the wrong record first")]
    SexDiffers,
    #[error("the two records give different birth dates: correct the wrong record first")]
    BirthDatesDiffer,
    #[error("the two records belong to different households: move one person into the other's household first")]
    HouseholdsDiffer,
    #[error("both records were rated on the same item of the same assessment: correct the assessment first")]
    AssessmentsOverlap,
}

impl MergeRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            MergeRefusal::SamePerson => "merge_same_person",
            MergeRefusal::AlreadyMerged => "merge_already_merged",
            MergeRefusal::SexDiffers => "merge_sex_differs",
            MergeRefusal::BirthDatesDiffer => "merge_birth_dates_differ",
            MergeRefusal::HouseholdsDiffer => "merge_households_differ",
            MergeRefusal::AssessmentsOverlap => "merge_assessments_overlap",
        }
    }
}

/// What the rules need to know of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeSide {
    pub id: Uuid,
    pub sex: Sex,
    pub birth_date: Option<NaiveDate>,
    pub household: Uuid,
    /// The household was made by goldaw for a person who lives alone.
    pub lives_alone: bool,
    /// Already merged into another record.
    pub merged: bool,
}

/// What the kept record takes from the merged one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeChanges {
    /// The birth date the kept record did not have.
    pub birth_date: Option<NaiveDate>,
    /// The household the kept record joins (it lived alone; the merged one did not).
    pub household: Option<Uuid>,
}

/// Whether `merged` may be merged into `kept`, and what `kept` then takes from it.
pub fn plan_merge(kept: &MergeSide, merged: &MergeSide) -> Result<MergeChanges, MergeRefusal> {
    if kept.id == merged.id {
        return Err(MergeRefusal::SamePerson);
    }
    if kept.merged || merged.merged {
        return Err(MergeRefusal::AlreadyMerged);
    }
    if kept.sex != merged.sex {
        return Err(MergeRefusal::SexDiffers);
    }
    let birth_date = match (kept.birth_date, merged.birth_date) {
        (Some(a), Some(b)) if a != b => return Err(MergeRefusal::BirthDatesDiffer),
        (None, Some(b)) => Some(b),
        _ => None,
    };
    let household = match (kept.lives_alone, merged.lives_alone) {
        _ if kept.household == merged.household => None,
        (true, false) => Some(merged.household),
        (_, true) => None,
        (false, false) => return Err(MergeRefusal::HouseholdsDiffer),
    };
    Ok(MergeChanges {
        birth_date,
        household,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(n: u128, household: u128, alone: bool) -> MergeSide {
        MergeSide {
            id: Uuid::from_u128(n),
            sex: Sex::Female,
            birth_date: None,
            household: Uuid::from_u128(household),
            lives_alone: alone,
            merged: false,
        }
    }

    #[test]
    fn facts_that_identify_a_person_must_agree() {
        let kept = side(1, 10, true);
        assert_eq!(
            plan_merge(&kept, &kept.clone()),
            Err(MergeRefusal::SamePerson)
        );
        let merged = MergeSide {
            merged: true,
            ..side(2, 20, true)
        };
        assert_eq!(plan_merge(&kept, &merged), Err(MergeRefusal::AlreadyMerged));
        let male = MergeSide {
            sex: Sex::Male,
            ..side(2, 20, true)
        };
        assert_eq!(plan_merge(&kept, &male), Err(MergeRefusal::SexDiffers));
        let date = |d: &str| Some(d.parse::<NaiveDate>().unwrap());
        let born = |n, d| MergeSide {
            birth_date: date(d),
            ..side(n, 10 * n, true)
        };
        assert_eq!(
            plan_merge(&born(1, "1990-04-02"), &born(2, "1990-02-04")),
            Err(MergeRefusal::BirthDatesDiffer)
        );
        // The same date, or one known on one record only: taken.
        assert_eq!(
            plan_merge(&born(1, "1990-04-02"), &born(2, "1990-04-02")),
            Ok(MergeChanges::default())
        );
        assert_eq!(
            plan_merge(&side(1, 10, true), &born(2, "1990-04-02"))
                .unwrap()
                .birth_date,
            date("1990-04-02")
        );
        assert_eq!(
            plan_merge(&born(1, "1990-04-02"), &side(2, 20, true))
                .unwrap()
                .birth_date,
            None
        );
    }

    #[test]
    fn a_person_living_alone_joins_the_other_household_and_two_households_are_refused() {
        let alone = side(1, 10, true);
        let family = side(2, 20, false);
        assert_eq!(
            plan_merge(&alone, &family).unwrap().household,
            Some(Uuid::from_u128(20))
        );
        assert_eq!(plan_merge(&family, &alone).unwrap().household, None);
        assert_eq!(
            plan_merge(&alone, &side(3, 30, true)).unwrap().household,
            None
        );
        assert_eq!(
            plan_merge(&family, &side(3, 20, false)).unwrap().household,
            None
        );
        assert_eq!(
            plan_merge(&family, &side(3, 30, false)),
            Err(MergeRefusal::HouseholdsDiffer)
        );
        assert_eq!(
            MergeRefusal::HouseholdsDiffer.code(),
            "merge_households_differ"
        );
    }
}
