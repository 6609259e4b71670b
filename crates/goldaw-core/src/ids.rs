//! Identifiers: internal UUIDs and the external ids other systems give us.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The id a record carries in another system (the `person_id`, `household_id`, … columns of the
/// interchange files). It is the key that makes imports idempotent.
///
/// 1 to 64 characters, no surrounding spaces, no control characters, and not starting with `~`:
/// that prefix is reserved for households goldaw creates itself for people living alone.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

pub const MAX_EXTERNAL_ID_LEN: usize = 64;
/// Prefix of the external id of a household created for a person who lives alone.
pub const IMPLICIT_HOUSEHOLD_PREFIX: char = '~';

impl ExternalId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The external id of the one-person household made for `person` when no household is given.
    pub fn implicit_household_for(person: &ExternalId) -> ExternalId {
        ExternalId(format!("{IMPLICIT_HOUSEHOLD_PREFIX}{}", person.0))
    }

    pub fn is_implicit_household(&self) -> bool {
        self.0.starts_with(IMPLICIT_HOUSEHOLD_PREFIX)
    }

    /// Accepts the reserved prefix too: for ids read back from our own database.
    pub fn from_stored(s: String) -> ExternalId {
        ExternalId(s)
    }
}

impl FromStr for ExternalId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() {
            return Err(ParseError::new("an id is required"));
        }
        if s.chars().count() > MAX_EXTERNAL_ID_LEN {
            return Err(ParseError::new(format!(
                "id is longer than {MAX_EXTERNAL_ID_LEN} characters"
            )));
        }
        if s.trim() != s {
            return Err(ParseError::new("id has spaces at its start or end"));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError::new("id contains a control character"));
        }
        if s.starts_with(IMPLICIT_HOUSEHOLD_PREFIX) {
            return Err(ParseError::new(format!(
                "ids may not start with '{IMPLICIT_HOUSEHOLD_PREFIX}' (reserved)"
            )));
        }
        Ok(ExternalId(s.to_owned()))
    }
}

impl TryFrom<String> for ExternalId {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<ExternalId> for String {
    fn from(id: ExternalId) -> String {
        id.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Code of an administrative unit, as in `admin_units.csv`: `TM`, then `-`-separated parts of
/// capital letters and digits (`TM-A`, `TM-A-09-01`). Codes are hierarchical: a unit's code starts
/// with its parent's code and a `-`, which is what lets scopes filter by prefix.
/// Whether the unit exists is the store's question.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct AdminUnitCode(String);

impl AdminUnitCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` is `other` or lies inside it (`TM-A-01` is within `TM-A` and `TM`).
    pub fn is_within(&self, other: &AdminUnitCode) -> bool {
        self.0 == other.0
            || (self.0.len() > other.0.len()
                && self.0.starts_with(&other.0)
                && self.0.as_bytes()[other.0.len()] == b'-')
    }

    /// For codes read back from our own database, where they were checked on the way in.
    pub fn from_stored(code: String) -> AdminUnitCode {
        AdminUnitCode(code)
    }

    /// The velayat-level code (`TM-A` for `TM-A-09-01`); `None` for the country itself.
    pub fn velayat(&self) -> Option<AdminUnitCode> {
        let mut parts = self.0.splitn(3, '-');
        let country = parts.next()?;
        let velayat = parts.next()?;
        Some(AdminUnitCode(format!("{country}-{velayat}")))
    }
}

impl FromStr for AdminUnitCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let well_formed = s.len() <= 32
            && s.split('-').enumerate().all(|(i, part)| {
                if i == 0 {
                    part == "TM"
                } else {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                }
            });
        if well_formed {
            Ok(AdminUnitCode(s.to_owned()))
        } else {
            Err(ParseError::new(format!(
                "'{s}' is not an administrative unit code (like TM-A-01)"
            )))
        }
    }
}

impl TryFrom<String> for AdminUnitCode {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<AdminUnitCode> for String {
    fn from(c: AdminUnitCode) -> String {
        c.0
    }
}

impl fmt::Display for AdminUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_refuse_what_would_break_a_key() {
        assert!("P00000001".parse::<ExternalId>().is_ok());
        assert!("".parse::<ExternalId>().is_err());
        assert!(" P1".parse::<ExternalId>().is_err());
        assert!("P\n1".parse::<ExternalId>().is_err());
        assert!("~P1".parse::<ExternalId>().is_err());
        assert!("x".repeat(65).parse::<ExternalId>().is_err());
        assert!("ü".repeat(64).parse::<ExternalId>().is_ok());
        let p: ExternalId = "P1".parse().unwrap();
        let h = ExternalId::implicit_household_for(&p);
        assert_eq!(h.as_str(), "~P1");
        assert!(h.is_implicit_household());
    }

    #[test]
    fn admin_unit_codes_nest_by_prefix() {
        let a01: AdminUnitCode = "TM-A-01".parse().unwrap();
        let a: AdminUnitCode = "TM-A".parse().unwrap();
        let tm: AdminUnitCode = "TM".parse().unwrap();
        let a0: AdminUnitCode = "TM-A0".parse().unwrap();
        assert!(a01.is_within(&a));
        assert!(a01.is_within(&tm));
        assert!(a.is_within(&a));
        assert!(!a.is_within(&a01));
        assert!(!a0.is_within(&a), "TM-A0 is not inside TM-A");
        assert_eq!(a01.velayat(), Some(a.clone()));
        assert_eq!(tm.velayat(), None);
        for bad in ["", "TM-", "tm-A", "TM-a", "XX-A", "TM--A", "TM-A 1"] {
            assert!(bad.parse::<AdminUnitCode>().is_err(), "{bad}");
        }
    }
}
