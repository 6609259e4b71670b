//! People and households.

use crate::codes::{Relationship, Settlement, Sex, TargetGroup};
use crate::ids::{AdminUnitCode, ExternalId};
use crate::names::PersonName;
use crate::washington_group::WgAnswers;
use crate::ParseError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The earliest birth date goldaw accepts; anything older is a typing error, not a person.
pub const EARLIEST_BIRTH_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("constant date"),
};

/// Parses a date written exactly as `YYYY-MM-DD`, refusing impossible dates such as 2023-02-30.
pub fn parse_date(s: &str) -> Result<NaiveDate, ParseError> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(ParseError::new(format!(
            "'{s}' is not a date written as YYYY-MM-DD"
        )));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ParseError::new(format!("'{s}' is not a date that exists")))
}

/// Dates in JSON as `YYYY-MM-DD`, read with [`parse_date`] so errors say what is wrong.
pub mod optional_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&d.format("%Y-%m-%d")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_date(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A person's target groups: a set, written in files as codes separated by `;` in code order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Vec<TargetGroup>)]
pub struct TargetGroups(pub BTreeSet<TargetGroup>);

impl TargetGroups {
    pub fn iter(&self) -> impl Iterator<Item = TargetGroup> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_sensitive(&self) -> bool {
        self.iter().any(TargetGroup::is_sensitive)
    }

    /// The interchange form: `woman_gbv;adult_disability`, in the contract's order.
    pub fn to_field(&self) -> String {
        let codes: Vec<&str> = self.iter().map(TargetGroup::as_str).collect();
        codes.join(";")
    }
}

impl std::str::FromStr for TargetGroups {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut set = BTreeSet::new();
        if s.is_empty() {
            return Ok(TargetGroups(set));
        }
        for code in s.split(';') {
            let group: TargetGroup = code.parse()?;
            if !set.insert(group) {
                return Err(ParseError::new(format!(
                    "target group '{code}' is listed twice"
                )));
            }
        }
        Ok(TargetGroups(set))
    }
}

/// What is known about a person, as given at creation, update or import.
/// Every field is already well-formed; the store checks what needs the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonData {
    pub given_name: PersonName,
    #[serde(default)]
    pub family_name: Option<PersonName>,
    pub sex: Sex,
    /// `None` when unknown (a hotline caller may not say).
    #[serde(default, with = "optional_date")]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<NaiveDate>,
    pub admin_unit: AdminUnitCode,
    #[serde(default)]
    pub settlement: Option<Settlement>,
    #[serde(default)]
    pub receives_benefits: Option<bool>,
    #[serde(default)]
    pub washington_group: WgAnswers,
    #[serde(default)]
    pub target_groups: TargetGroups,
    /// The household the person lives in, by its external id; `None` = lives alone.
    #[serde(default)]
    pub household_id: Option<ExternalId>,
    #[serde(default)]
    pub relationship: Option<Relationship>,
}

impl PersonData {
    /// Rules that need today's date: a birth date is neither in the future nor before 1900.
    pub fn check_dates(&self, today: NaiveDate) -> Result<(), ParseError> {
        check_birth_date(self.birth_date, today)
    }

    pub fn has_disability(&self) -> bool {
        self.washington_group.has_disability()
    }
}

pub fn check_birth_date(birth: Option<NaiveDate>, today: NaiveDate) -> Result<(), ParseError> {
    match birth {
        Some(d) if d > today => Err(ParseError::new(format!("birth date {d} is in the future"))),
        Some(d) if d < EARLIEST_BIRTH_DATE => Err(ParseError::new(format!(
            "birth date {d} is before {EARLIEST_BIRTH_DATE}"
        ))),
        _ => Ok(()),
    }
}

/// Full years between `birth` and `on` (0 before the first birthday).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(birth).unwrap_or(0)
}

/// A household: people who live together, in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdData {
    pub admin_unit: AdminUnitCode,
    #[serde(default)]
    pub settlement: Option<Settlement>,
    #[serde(default)]
    pub address: Option<String>,
}

pub const MAX_ADDRESS_LEN: usize = 300;

impl HouseholdData {
    pub fn check(&self) -> Result<(), ParseError> {
        check_address(self.address.as_deref())
    }
}

pub fn check_address(address: Option<&str>) -> Result<(), ParseError> {
    match address {
        Some(a) if a.chars().count() > MAX_ADDRESS_LEN => Err(ParseError::new(format!(
            "address is longer than {MAX_ADDRESS_LEN} characters"
        ))),
        Some(a) if a.chars().any(|c| c.is_control() && c != '\n') => {
            Err(ParseError::new("address contains a control character"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist_and_be_written_plainly() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        for bad in [
            "2023-02-29",
            "2023-02-30",
            "2023-13-01",
            "2023-00-10",
            "2023-1-5",
            "23-01-05",
            "2023/01/05",
            "",
            "2023-01-05T00:00",
            " 2023-01-05",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn birth_dates_in_the_future_or_before_1900_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert!(check_birth_date(Some(today), today).is_ok());
        assert!(check_birth_date(today.succ_opt(), today).is_err());
        assert!(check_birth_date(NaiveDate::from_ymd_opt(1899, 12, 31), today).is_err());
        assert!(check_birth_date(None, today).is_ok());
    }

    #[test]
    fn age_counts_full_years() {
        let b = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2018, 6, 14).unwrap()), 17);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2018, 6, 15).unwrap()), 18);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(1999, 1, 1).unwrap()), 0);
    }

    #[test]
    fn target_groups_parse_as_a_set_in_contract_order() {
        let g: TargetGroups = "older_alone;woman_gbv".parse().unwrap();
        assert_eq!(g.to_field(), "woman_gbv;older_alone");
        assert!(g.is_sensitive());
        assert!("".parse::<TargetGroups>().unwrap().is_empty());
        assert!("woman_gbv;woman_gbv".parse::<TargetGroups>().is_err());
        assert!("woman_gbv;".parse::<TargetGroups>().is_err());
        assert!("nobody".parse::<TargetGroups>().is_err());
    }
}
