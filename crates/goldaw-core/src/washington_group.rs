//! The Washington Group Short Set on functioning (STANDARDS.md §1).

use crate::ParseError;
use serde::{Deserialize, Serialize};

/// One answer: 1 no difficulty, 2 some, 3 a lot, 4 cannot do at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum WgAnswer {
    NoDifficulty = 1,
    SomeDifficulty = 2,
    ALotOfDifficulty = 3,
    CannotDoAtAll = 4,
}

impl WgAnswer {
    /// The WG's recommended disability cut-off: "a lot of difficulty" or "cannot do at all".
    pub fn meets_disability_cutoff(self) -> bool {
        self >= WgAnswer::ALotOfDifficulty
    }

    pub fn code(self) -> u8 {
        self as u8
    }
}

/// In the API an answer is the integer 1..4, as in the interchange files.
impl utoipa::PartialSchema for WgAnswer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(4))
            .description(Some(
                "1 no difficulty, 2 some difficulty, 3 a lot of difficulty, 4 cannot do at all",
            ))
            .into()
    }
}

impl utoipa::ToSchema for WgAnswer {}

impl TryFrom<u8> for WgAnswer {
    type Error = ParseError;
    fn try_from(v: u8) -> Result<Self, ParseError> {
        match v {
            1 => Ok(WgAnswer::NoDifficulty),
            2 => Ok(WgAnswer::SomeDifficulty),
            3 => Ok(WgAnswer::ALotOfDifficulty),
            4 => Ok(WgAnswer::CannotDoAtAll),
            _ => Err(ParseError::new(format!(
                "'{v}' is not a Washington Group answer (1 no difficulty, 2 some, 3 a lot, 4 cannot do at all)"
            ))),
        }
    }
}

impl From<WgAnswer> for u8 {
    fn from(a: WgAnswer) -> u8 {
        a.code()
    }
}

impl std::str::FromStr for WgAnswer {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s.parse::<u8>() {
            Ok(v) => v.try_into(),
            Err(_) => Err(ParseError::new(format!(
                "'{s}' is not a Washington Group answer (1 no difficulty, 2 some, 3 a lot, 4 cannot do at all)"
            ))),
        }
    }
}

/// The six domains; `None` = not asked (for example a child under 5, for whom the set is unsuitable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WgAnswers {
    #[serde(default)]
    pub seeing: Option<WgAnswer>,
    #[serde(default)]
    pub hearing: Option<WgAnswer>,
    #[serde(default)]
    pub walking: Option<WgAnswer>,
    #[serde(default)]
    pub cognition: Option<WgAnswer>,
    #[serde(default)]
    pub selfcare: Option<WgAnswer>,
    #[serde(default)]
    pub communication: Option<WgAnswer>,
}

impl WgAnswers {
    /// The domains in the order of the questionnaire and of the interchange columns.
    pub fn as_array(&self) -> [Option<WgAnswer>; 6] {
        [
            self.seeing,
            self.hearing,
            self.walking,
            self.cognition,
            self.selfcare,
            self.communication,
        ]
    }

    pub fn from_array(a: [Option<WgAnswer>; 6]) -> WgAnswers {
        WgAnswers {
            seeing: a[0],
            hearing: a[1],
            walking: a[2],
            cognition: a[3],
            selfcare: a[4],
            communication: a[5],
        }
    }

    /// A person has a disability when any answered domain is 3 or 4 (the WG cut-off).
    /// Unanswered domains count as no evidence either way.
    pub fn has_disability(&self) -> bool {
        self.as_array()
            .iter()
            .flatten()
            .any(|a| a.meets_disability_cutoff())
    }
}

/// The interchange column names of the six domains, in [`WgAnswers::as_array`] order.
pub const WG_COLUMNS: [&str; 6] = [
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_cognition",
    "wg_selfcare",
    "wg_communication",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disability_follows_the_wg_cutoff_over_every_domain() {
        assert!(!WgAnswers::default().has_disability());
        for domain in 0..6 {
            for (answer, disabled) in [(1u8, false), (2, false), (3, true), (4, true)] {
                let mut a = [Some(WgAnswer::NoDifficulty); 6];
                a[domain] = Some(WgAnswer::try_from(answer).unwrap());
                assert_eq!(WgAnswers::from_array(a).has_disability(), disabled);
            }
        }
        let mut only_one = [None; 6];
        only_one[5] = Some(WgAnswer::CannotDoAtAll);
        assert!(WgAnswers::from_array(only_one).has_disability());
    }

    #[test]
    fn answers_outside_one_to_four_are_refused() {
        for bad in ["0", "5", "x", "", "1.0", "-1"] {
            assert!(bad.parse::<WgAnswer>().is_err(), "{bad}");
        }
        assert_eq!("3".parse::<WgAnswer>().unwrap(), WgAnswer::ALotOfDifficulty);
    }
}
