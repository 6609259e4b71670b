//! What an instrument is, once checked: its domains and items, the closed lists of codes a file
//! may use (kinds, answer kinds), the answer scales with their labels, and typed answers.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::washington_group::WgAnswer;
use crate::ParseError;

/// The longest free-text answer (and strengths or own-words note) accepted, in characters.
pub const MAX_TEXT_ANSWER_CHARS: usize = 4000;

/// The longest code (of an instrument, domain or item) accepted, in characters.
pub const MAX_CODE_CHARS: usize = 64;

/// Every code that ends a holistic domain's last item: "What does the person want to change?".
pub const WANTS_CHANGE_SUFFIX: &str = "_wants_change";

/// A wording in the three languages of goldaw. None is empty once an instrument has loaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Text {
    pub en: String,
    /// Russian, in Cyrillic.
    pub ru: String,
    /// Turkmen, in Latin script.
    pub tk: String,
}

impl Text {
    /// The wording in `language` ("en", "ru" or "tk"); English for any other language code.
    pub fn get(&self, language: &str) -> &str {
        match language {
            "ru" => &self.ru,
            "tk" => &self.tk,
            _ => &self.en,
        }
    }
}

/// Declares a closed list of codes written in instrument files.
macro_rules! instrument_code {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every code, in the order of the file format's documentation.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(ParseError::new(format!(
                        concat!("'{}' is not a known ", $what, " (expected one of: {})"),
                        s,
                        [$($code),+].join(", ")
                    ))),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> { s.parse() }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str { v.as_str() }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

instrument_code!(
    /// Which step of the workflow an instrument serves.
    InstrumentKind, "instrument kind" {
        /// Screening at the start of a case; its outcome (priority, reasons, next step) is recorded by the app.
        Initial = "initial",
        /// The full assessment of needs and strengths that the support plan is built on.
        Holistic = "holistic",
        /// The outcome review at each plan review and after closure.
        Review = "review",
    }
);

instrument_code!(
    /// Whom an instrument is about.
    AppliesTo, "applies_to value" {
        Adult = "adult",
        Child = "child",
        Household = "household",
        Any = "any",
    }
);

instrument_code!(
    /// What kind of answer an item takes.
    AnswerKind, "answer type" {
        /// Need rated 0 none, 1 low, 2 moderate, 3 high; may carry strengths and the person's own words.
        Need = "need",
        /// Yes or no.
        YesNo = "yes_no",
        /// A whole number from 0 to 10.
        Scale0To10 = "scale_0_10",
        /// Free text, at most [`MAX_TEXT_ANSWER_CHARS`] characters.
        Text = "text",
        /// A Washington Group answer, 1 no difficulty to 4 cannot do at all, asked of each adult and child aged 5+.
        Wg = "wg",
    }
);

/// One option of a closed answer scale: the value a form sends, and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerOption {
    pub value: &'static str,
    pub en: &'static str,
    pub ru: &'static str,
    pub tk: &'static str,
}

const fn option(
    value: &'static str,
    en: &'static str,
    ru: &'static str,
    tk: &'static str,
) -> AnswerOption {
    AnswerOption { value, en, ru, tk }
}

/// Labels of the need scale (ru and tk composed; see `docs/instruments.md`).
const NEED_OPTIONS: [AnswerOption; 4] = [
    option("0", "0 none", "0 — нет потребности", "0 — zerurlyk ýok"),
    option("1", "1 low", "1 — низкая", "1 — pes"),
    option("2", "2 moderate", "2 — умеренная", "2 — orta"),
    option("3", "3 high", "3 — высокая", "3 — ýokary"),
];

/// GLOSSARY.csv `yes`, `no`.
const YES_NO_OPTIONS: [AnswerOption; 2] = [
    option("yes", "Yes", "Да", "Hawa"),
    option("no", "No", "Нет", "Ýok"),
];

/// GLOSSARY.csv `difficulty_none` .. `difficulty_cannot`.
const WG_OPTIONS: [AnswerOption; 4] = [
    option("1", "No difficulty", "Нет затруднений", "Kynçylyk ýok"),
    option(
        "2",
        "Some difficulty",
        "Некоторые затруднения",
        "Birneme kynçylyk bar",
    ),
    option(
        "3",
        "A lot of difficulty",
        "Много затруднений",
        "Köp kynçylyk bar",
    ),
    option(
        "4",
        "Cannot do at all",
        "Совсем не может",
        "Asla edip bilmeýär",
    ),
];

impl AnswerKind {
    /// The options of a closed scale, in order; empty for `scale_0_10` (a number) and `text`.
    pub fn options(self) -> &'static [AnswerOption] {
        match self {
            AnswerKind::Need => &NEED_OPTIONS,
            AnswerKind::YesNo => &YES_NO_OPTIONS,
            AnswerKind::Wg => &WG_OPTIONS,
            AnswerKind::Scale0To10 | AnswerKind::Text => &[],
        }
    }

    /// Need items may carry strengths (what works, who helps) and the person's own words.
    pub fn takes_notes(self) -> bool {
        self == AnswerKind::Need
    }
}

/// An assessment instrument, checked: every code is snake_case and unique, every text is in three languages.
///
/// It serializes in the shape of the file (so the store keeps each version as JSON), and deserializes
/// only through the same checks as [`Instrument::from_toml`]: a stored definition is never trusted
/// more than a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Instrument {
    pub code: String,
    /// 1 for the first version; a revision is a new file with the next version.
    pub version: u32,
    /// initial, holistic or review.
    #[schema(value_type = String)]
    pub kind: InstrumentKind,
    pub title: Text,
    /// adult, child, household or any.
    #[schema(value_type = String)]
    pub applies_to: AppliesTo,
    pub domains: Vec<Domain>,
}

/// A group of items, shown together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Domain {
    pub code: String,
    pub title: Text,
    /// Read out before the domain's items (for example the Washington Group's opening sentence).
    pub intro: Option<Text>,
    pub items: Vec<Item>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Item {
    /// Stable and unique within the instrument: answers are stored under it.
    pub code: String,
    pub text: Text,
    /// need, yes_no, scale_0_10, text or wg.
    #[schema(value_type = String)]
    pub answer: AnswerKind,
    /// A "yes" proposes priority `critical` (only on `yes_no` items).
    pub proposes_critical: bool,
}

/// A need rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum NeedLevel {
    None = 0,
    Low = 1,
    Moderate = 2,
    High = 3,
}

impl NeedLevel {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// In the API a need rating is the integer 0..3.
impl utoipa::PartialSchema for NeedLevel {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(0))
            .maximum(Some(3))
            .description(Some("0 none, 1 low, 2 moderate, 3 high"))
            .into()
    }
}

impl utoipa::ToSchema for NeedLevel {}

impl TryFrom<u8> for NeedLevel {
    type Error = ParseError;
    fn try_from(v: u8) -> Result<Self, ParseError> {
        match v {
            0 => Ok(NeedLevel::None),
            1 => Ok(NeedLevel::Low),
            2 => Ok(NeedLevel::Moderate),
            3 => Ok(NeedLevel::High),
            _ => Err(ParseError::new(format!(
                "'{v}' is not a need rating (0 none, 1 low, 2 moderate, 3 high)"
            ))),
        }
    }
}

impl From<NeedLevel> for u8 {
    fn from(n: NeedLevel) -> u8 {
        n.code()
    }
}

/// A typed answer to one item: `{"type": "need", "value": 2}`, `{"type": "yes_no", "value": true}`,
/// `{"type": "scale", "value": 7}`, `{"type": "text", "value": "..."}`, `{"type": "wg", "value": 3}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum AnswerValue {
    Need(NeedLevel),
    YesNo(bool),
    /// 0..=10.
    Scale(u8),
    /// Trimmed, not empty, at most [`MAX_TEXT_ANSWER_CHARS`] characters.
    Text(String),
    Wg(WgAnswer),
}

/// The answers of one assessment (or of one person in it), by item code.
pub type Answers = BTreeMap<String, AnswerValue>;

impl Instrument {
    /// Every item, domain by domain.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.domains.iter().flat_map(|d| d.items.iter())
    }

    pub fn domain(&self, code: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.code == code)
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items().find(|i| i.code == code)
    }
}
