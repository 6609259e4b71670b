//! Assessment instruments: the questions of the initial, holistic and review assessments, as versioned data.
//!
//! An instrument is a TOML file in `reference/instruments/` (format and revision rules: `docs/instruments.md`).
//! The ministry revises an instrument by shipping a new file with `version` + 1; an assessment stores the code
//! and version of the instrument it was made with, so old assessments keep their questions.
//!
//! [`Instrument::from_toml`] reads and checks a file and refuses it with every problem found, each naming the
//! domain and item and saying what to change. [`Item::parse_answer`] turns what a web form sent for one item
//! into a typed [`AnswerValue`]. [`default_instruments`] returns the four instruments goldaw ships.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::planning::projection::TextPosition;
use crate::washington_group::{WgAnswer, WgAnswers, WG_COLUMNS};
use crate::ParseError;

/// The longest free-text answer (and strengths or own-words note) accepted, in characters.
pub const MAX_TEXT_ANSWER_CHARS: usize = 4000;

/// The longest code (of an instrument, domain or item) accepted, in characters.
pub const MAX_CODE_CHARS: usize = 64;

/// Every code that ends a holistic domain's last item: "What does the person want to change?".
pub const WANTS_CHANGE_SUFFIX: &str = "_wants_change";

/// The shipped instrument files, relative to `reference/instruments/`, with their text.
pub const DEFAULT_INSTRUMENT_FILES: &[(&str, &str)] = &[
    (
        "initial.toml",
        include_str!("../../../reference/instruments/initial.toml"),
    ),
    (
        "holistic_adult.toml",
        include_str!("../../../reference/instruments/holistic_adult.toml"),
    ),
    (
        "holistic_child.toml",
        include_str!("../../../reference/instruments/holistic_child.toml"),
    ),
    (
        "review.toml",
        include_str!("../../../reference/instruments/review.toml"),
    ),
];

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

/// An answer a form sent that does not fit its item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item '{item}': {message}")]
pub struct AnswerError {
    pub item: String,
    pub message: String,
}

/// One problem in an instrument file: where it is (instrument, domain, item) and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub place: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// An instrument file refused, with a message a person revising the file can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstrumentError {
    /// Not valid TOML, a key unknown or missing, or a value of the wrong type.
    #[error("instrument file{}: {message}", at_position(.position))]
    Toml {
        position: Option<TextPosition>,
        message: String,
    },
    /// The file is well-formed but its content breaks the rules; every problem found is listed.
    #[error("instrument file has {} problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<Problem>),
    /// A file shipped with goldaw failed to load (a build that should not have passed its tests).
    #[error("reference/instruments/{file}: {error}")]
    Shipped {
        file: &'static str,
        error: Box<InstrumentError>,
    },
    /// Two shipped files have the same code and version.
    #[error("reference/instruments: instrument '{code}' version {version} is shipped twice")]
    DuplicateShipped { code: String, version: u32 },
}

fn at_position(position: &Option<TextPosition>) -> String {
    match position {
        Some(p) => format!(" at {p}"),
        None => String::new(),
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("- {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The position of byte `offset` in `text` (column in characters), both from 1.
fn position_of(text: &str, offset: usize) -> TextPosition {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    TextPosition {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

// The file as written, before its codes and texts are checked.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstrument {
    code: String,
    version: i64,
    kind: String,
    title: RawText,
    applies_to: String,
    #[serde(default)]
    domains: Vec<RawDomain>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    code: String,
    title: RawText,
    #[serde(default)]
    intro: Option<RawText>,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    code: String,
    text: RawText,
    answer: String,
    #[serde(default)]
    proposes_critical: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    en: Option<String>,
    ru: Option<String>,
    tk: Option<String>,
}

/// Collects problems while an instrument is checked.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, place: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            place: place.to_owned(),
            message: message.into(),
        });
    }

    /// Checks a code is snake_case ASCII: a lower-case letter, then lower-case letters, digits and single `_`.
    fn code(&mut self, place: &str, what: &str, code: &str) {
        if let Err(why) = check_code(code) {
            self.problem(place, format!("{what} '{code}' is not a valid code: {why}"));
        }
    }

    /// A text in all three languages, none empty; Russian in Cyrillic, Turkmen in Latin script.
    fn text(&mut self, place: &str, what: &str, raw: RawText) -> Text {
        let mut take = |value: Option<String>, key: &str, language: &str| -> String {
            let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
            if value.is_empty() {
                self.problem(
                    place,
                    format!("{what} has no {language} ({key}) wording: add {what}.{key} = \"...\""),
                );
            }
            value
        };
        let text = Text {
            en: take(raw.en, "en", "English"),
            ru: take(raw.ru, "ru", "Russian"),
            tk: take(raw.tk, "tk", "Turkmen"),
        };
        if !text.ru.is_empty() && !text.ru.chars().any(is_cyrillic) {
            self.problem(
                place,
                format!("{what}.ru has no Cyrillic letters: is it Russian?"),
            );
        }
        if text.tk.chars().any(is_cyrillic) {
            self.problem(
                place,
                format!(
                    "{what}.tk contains Cyrillic letters: Turkmen is written in Latin script (ä ç ň ö ş ü ý ž)"
                ),
            );
        }
        text
    }
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

fn check_code(code: &str) -> Result<(), &'static str> {
    if code.is_empty() {
        return Err("it is empty");
    }
    if code.chars().count() > MAX_CODE_CHARS {
        return Err("it is longer than 64 characters");
    }
    if !code.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a lower-case letter a-z");
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err("use only lower-case letters a-z, digits and _ (snake_case)");
    }
    if code.ends_with('_') || code.contains("__") {
        return Err("an _ must stand between two words (no trailing or doubled _)");
    }
    Ok(())
}

impl Instrument {
    /// Reads and checks an instrument file. TOML errors name their line and column; content errors list
    /// every problem found, each naming its domain and item.
    pub fn from_toml(text: &str) -> Result<Instrument, InstrumentError> {
        let raw: RawInstrument = toml::from_str(text).map_err(|e| InstrumentError::Toml {
            position: e.span().map(|span| position_of(text, span.start)),
            message: e
                .message()
                .trim_end()
                .replace("expected i64", "expected a whole number"),
        })?;
        Instrument::check(raw)
    }

    fn check(raw: RawInstrument) -> Result<Instrument, InstrumentError> {
        let mut c = Checker {
            problems: Vec::new(),
        };
        let top = format!("instrument '{}'", raw.code);
        c.code(&top, "instrument code", &raw.code);
        let version = match u32::try_from(raw.version) {
            Ok(v) if v >= 1 => v,
            _ => {
                c.problem(
                    &top,
                    format!(
                        "version {} is not allowed: versions are whole numbers from 1 (the first version)",
                        raw.version
                    ),
                );
                0
            }
        };
        let kind = raw
            .kind
            .parse::<InstrumentKind>()
            .map_err(|e| c.problem(&top, format!("kind: {e}")))
            .ok();
        let applies_to = raw
            .applies_to
            .parse::<AppliesTo>()
            .map_err(|e| c.problem(&top, format!("applies_to: {e}")))
            .ok();
        let title = c.text(&top, "title", raw.title);
        if raw.domains.is_empty() {
            c.problem(
                &top,
                "it has no domains: add at least one [[domains]] with its [[domains.items]]",
            );
        }

        let mut domain_codes = BTreeSet::new();
        let mut item_domains: BTreeMap<String, String> = BTreeMap::new();
        let mut domains = Vec::with_capacity(raw.domains.len());
        for raw_domain in raw.domains {
            let place = format!("{top}, domain '{}'", raw_domain.code);
            c.code(&place, "domain code", &raw_domain.code);
            if !domain_codes.insert(raw_domain.code.clone()) {
                c.problem(
                    &place,
                    "this domain code is used twice: give each domain its own code",
                );
            }
            let title = c.text(&place, "title", raw_domain.title);
            let intro = raw_domain.intro.map(|i| c.text(&place, "intro", i));
            if raw_domain.items.is_empty() {
                c.problem(
                    &place,
                    "it has no items: add at least one [[domains.items]]",
                );
            }
            let mut items = Vec::with_capacity(raw_domain.items.len());
            for raw_item in raw_domain.items {
                let item_place = format!("{place}, item '{}'", raw_item.code);
                c.code(&item_place, "item code", &raw_item.code);
                if let Some(first) =
                    item_domains.insert(raw_item.code.clone(), raw_domain.code.clone())
                {
                    c.problem(
                        &item_place,
                        format!(
                            "this item code is already used in domain '{first}': item codes must be unique \
                             within the instrument, because answers are stored under them"
                        ),
                    );
                }
                let text = c.text(&item_place, "text", raw_item.text);
                let answer = match raw_item.answer.parse::<AnswerKind>() {
                    Ok(a) => a,
                    Err(e) => {
                        c.problem(&item_place, format!("answer: {e}"));
                        AnswerKind::Text
                    }
                };
                if raw_item.proposes_critical && answer != AnswerKind::YesNo {
                    c.problem(
                        &item_place,
                        format!(
                            "proposes_critical is only allowed on yes_no items (a \"yes\" proposes priority \
                             critical); this item's answer is {answer}"
                        ),
                    );
                }
                if answer == AnswerKind::Wg && !WG_COLUMNS.contains(&raw_item.code.as_str()) {
                    c.problem(
                        &item_place,
                        format!(
                            "a wg item's code must be one of the Washington Group codes ({}), so the answer \
                             can be stored with the person",
                            WG_COLUMNS.join(", ")
                        ),
                    );
                }
                items.push(Item {
                    code: raw_item.code,
                    text,
                    answer,
                    proposes_critical: raw_item.proposes_critical,
                });
            }
            if kind == Some(InstrumentKind::Holistic) {
                let ends_well = items.last().is_some_and(|last| {
                    last.answer == AnswerKind::Text && last.code.ends_with(WANTS_CHANGE_SUFFIX)
                });
                if !ends_well {
                    c.problem(
                        &place,
                        format!(
                            "in a holistic instrument every domain ends with the text item \"What does the \
                             person want to change?\", coded <something>{WANTS_CHANGE_SUFFIX} \
                             (answer = \"text\")"
                        ),
                    );
                }
            }
            domains.push(Domain {
                code: raw_domain.code,
                title,
                intro,
                items,
            });
        }

        let wg_codes: BTreeSet<&str> = domains
            .iter()
            .flat_map(|d| &d.items)
            .filter(|i| i.answer == AnswerKind::Wg)
            .map(|i| i.code.as_str())
            .collect();
        if !wg_codes.is_empty() {
            let missing: Vec<&str> = WG_COLUMNS
                .iter()
                .copied()
                .filter(|c| !wg_codes.contains(c))
                .collect();
            if !missing.is_empty() {
                c.problem(
                    &top,
                    format!(
                        "the Washington Group Short Set is asked as a whole: wg items are missing for {}",
                        missing.join(", ")
                    ),
                );
            }
        }

        match (kind, applies_to) {
            (Some(kind), Some(applies_to)) if c.problems.is_empty() => Ok(Instrument {
                code: raw.code,
                version,
                kind,
                title,
                applies_to,
                domains,
            }),
            _ => Err(InstrumentError::Invalid(c.problems)),
        }
    }

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

    /// Parses what a form sent for the item `item_code`; an unknown item is an error too.
    pub fn parse_answer(&self, item_code: &str, raw: &str) -> Result<AnswerValue, AnswerError> {
        self.item(item_code)
            .ok_or_else(|| AnswerError {
                item: item_code.to_owned(),
                message: format!(
                    "there is no such item in instrument '{}' version {}",
                    self.code, self.version
                ),
            })?
            .parse_answer(raw)
    }

    /// The `proposes_critical` items answered "yes": the reasons to propose priority `critical`.
    pub fn critical_items(&self, answers: &Answers) -> Vec<&Item> {
        self.items()
            .filter(|i| i.proposes_critical)
            .filter(|i| matches!(answers.get(&i.code), Some(AnswerValue::YesNo(true))))
            .collect()
    }

    /// True when any `proposes_critical` item is answered "yes": the app then proposes priority `critical`.
    pub fn proposes_critical(&self, answers: &Answers) -> bool {
        !self.critical_items(answers).is_empty()
    }
}

impl<'de> Deserialize<'de> for Instrument {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Instrument, D::Error> {
        let raw = RawInstrument::deserialize(d)?;
        Instrument::check(raw).map_err(serde::de::Error::custom)
    }
}

impl FromStr for Instrument {
    type Err = InstrumentError;

    fn from_str(text: &str) -> Result<Instrument, InstrumentError> {
        Instrument::from_toml(text)
    }
}

impl Item {
    /// Parses what a web form sent for this item. Surrounding spaces are ignored; an empty answer is an
    /// error (the app decides whether an item may be left unanswered).
    pub fn parse_answer(&self, raw: &str) -> Result<AnswerValue, AnswerError> {
        let error = |message: String| AnswerError {
            item: self.code.clone(),
            message,
        };
        let value = raw.trim();
        if value.is_empty() {
            return Err(error("no answer was given".to_owned()));
        }
        match self.answer {
            AnswerKind::Need => small_number(value, 3)
                .and_then(|n| NeedLevel::try_from(n).ok())
                .map(AnswerValue::Need)
                .ok_or_else(|| {
                    error(format!(
                        "'{value}' is not a need rating: answer 0 none, 1 low, 2 moderate or 3 high"
                    ))
                }),
            AnswerKind::YesNo => match value {
                "yes" => Ok(AnswerValue::YesNo(true)),
                "no" => Ok(AnswerValue::YesNo(false)),
                _ => Err(error(format!("'{value}' is not an answer: answer yes or no"))),
            },
            AnswerKind::Scale0To10 => small_number(value, 10)
                .map(AnswerValue::Scale)
                .ok_or_else(|| {
                    error(format!(
                        "'{value}' is not on the scale: answer a whole number from 0 to 10"
                    ))
                }),
            AnswerKind::Text => checked_text(value).map(AnswerValue::Text).map_err(error),
            AnswerKind::Wg => small_number(value, 4)
                .and_then(|n| WgAnswer::try_from(n).ok())
                .map(AnswerValue::Wg)
                .ok_or_else(|| {
                    error(format!(
                        "'{value}' is not a Washington Group answer: answer 1 no difficulty, 2 some \
                         difficulty, 3 a lot of difficulty or 4 cannot do at all"
                    ))
                }),
        }
    }

    /// Parses a strengths or own-words note sent with a need item: blank is no note, otherwise the same limits
    /// as a text answer.
    pub fn parse_note(&self, raw: &str) -> Result<Option<String>, AnswerError> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        checked_text(value)
            .map(Some)
            .map_err(|message| AnswerError {
                item: self.code.clone(),
                message,
            })
    }
}

/// `value` as a number from 0 to `max`, written as digits only ("03" is 3; "+3", "3.0" are refused).
fn small_number(value: &str, max: u8) -> Option<u8> {
    if value.len() > 3 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u8>().ok().filter(|n| *n <= max)
}

fn checked_text(value: &str) -> Result<String, String> {
    let chars = value.chars().count();
    if chars > MAX_TEXT_ANSWER_CHARS {
        return Err(format!(
            "the text is {chars} characters long; at most {MAX_TEXT_ANSWER_CHARS} are kept: shorten it"
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(
            "the text contains control characters: type it again or paste it as plain text"
                .to_owned(),
        );
    }
    Ok(value.to_owned())
}

/// The Washington Group answers among `answers` (items coded as in [`WG_COLUMNS`]), to store with the person.
pub fn wg_answers(answers: &Answers) -> WgAnswers {
    let mut found = [None; 6];
    for (slot, column) in found.iter_mut().zip(WG_COLUMNS) {
        if let Some(AnswerValue::Wg(a)) = answers.get(column) {
            *slot = Some(*a);
        }
    }
    WgAnswers::from_array(found)
}

/// The instruments goldaw ships (`reference/instruments/`), checked. Codes and versions are unique.
pub fn default_instruments() -> Result<Vec<Instrument>, InstrumentError> {
    let mut instruments: Vec<Instrument> = Vec::with_capacity(DEFAULT_INSTRUMENT_FILES.len());
    for &(file, text) in DEFAULT_INSTRUMENT_FILES {
        let instrument = Instrument::from_toml(text).map_err(|error| InstrumentError::Shipped {
            file,
            error: Box::new(error),
        })?;
        if instruments
            .iter()
            .any(|i| i.code == instrument.code && i.version == instrument.version)
        {
            return Err(InstrumentError::DuplicateShipped {
                code: instrument.code,
                version: instrument.version,
            });
        }
        instruments.push(instrument);
    }
    Ok(instruments)
}

/// The instrument `code` at `version` among `instruments` (to show an assessment with the questions it was
/// made with).
pub fn find_instrument<'a>(
    instruments: &'a [Instrument],
    code: &str,
    version: u32,
) -> Option<&'a Instrument> {
    instruments
        .iter()
        .find(|i| i.code == code && i.version == version)
}

/// The highest version of the instrument `code` among `instruments` (for a new assessment).
pub fn latest_instrument<'a>(instruments: &'a [Instrument], code: &str) -> Option<&'a Instrument> {
    instruments
        .iter()
        .filter(|i| i.code == code)
        .max_by_key(|i| i.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(code: &str) -> Instrument {
        let all = default_instruments().unwrap();
        latest_instrument(&all, code).unwrap().clone()
    }

    /// A small valid file; tests break one thing in it at a time.
    const GOOD: &str = r#"
code = "tiny"
version = 1
kind = "holistic"
applies_to = "adult"
title = { en = "Tiny", ru = "Крошечный", tk = "Kiçijik" }

[[domains]]
code = "housing"
title = { en = "Housing", ru = "Жильё", tk = "Ýaşaýyş jaýy" }

[[domains.items]]
code = "housing_condition"
answer = "need"
text = { en = "Condition", ru = "Состояние", tk = "Ýagdaýy" }

[[domains.items]]
code = "housing_wants_change"
answer = "text"
text = { en = "What does the person want to change?", ru = "Что человек хочет изменить?", tk = "Adam näme üýtgetmek isleýär?" }
"#;

    fn refusal(text: &str) -> String {
        match Instrument::from_toml(text) {
            Ok(i) => panic!("accepted: {i:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn instruments_the_shipped_files_parse_with_unique_codes() {
        let all = default_instruments().unwrap();
        let mut codes: Vec<_> = all.iter().map(|i| (i.code.as_str(), i.kind)).collect();
        // Later versions of an instrument may be shipped too; each code is listed once here.
        let mut seen = BTreeSet::new();
        codes.retain(|(code, _)| seen.insert(*code));
        assert_eq!(
            codes,
            [
                ("initial", InstrumentKind::Initial),
                ("holistic_adult", InstrumentKind::Holistic),
                ("holistic_child", InstrumentKind::Holistic),
                ("review", InstrumentKind::Review),
            ]
        );
        for i in &all {
            let mut seen = BTreeSet::new();
            for item in i.items() {
                assert!(seen.insert(&item.code), "{} {}", i.code, item.code);
            }
        }
        assert_eq!(shipped("initial").applies_to, AppliesTo::Household);
        assert_eq!(shipped("holistic_adult").applies_to, AppliesTo::Adult);
        assert_eq!(shipped("holistic_child").applies_to, AppliesTo::Child);
        assert_eq!(shipped("review").applies_to, AppliesTo::Any);
        assert!(find_instrument(&all, "review", 1).is_some());
        assert!(find_instrument(&all, "review", 0).is_none());
    }

    #[test]
    fn instruments_shipped_files_say_their_translations_are_composed() {
        for (file, text) in DEFAULT_INSTRUMENT_FILES {
            let header: String = text.lines().take_while(|l| l.starts_with('#')).collect();
            assert!(header.contains("COMPOSED"), "{file}");
            assert!(header.contains("review by the"), "{file}");
        }
    }

    #[test]
    fn instruments_holistic_adult_has_the_fourteen_domains() {
        let adult = shipped("holistic_adult");
        let codes: Vec<_> = adult.domains.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "nutrition",
                "personal_hygiene",
                "toilet_needs",
                "clothing",
                "home_safety",
                "habitable_home",
                "relationships",
                "work_education",
                "community_services",
                "child_care_responsibilities",
                "health_medication",
                "income_documents",
                "safety_abuse",
                "social_participation",
            ]
        );
        for d in &adult.domains {
            assert!(
                d.items.iter().any(|i| i.answer == AnswerKind::Need),
                "{} has no need item",
                d.code
            );
        }
    }

    #[test]
    fn instruments_holistic_child_has_three_sides_and_separation_risk() {
        let child = shipped("holistic_child");
        for side in [
            "developmental_needs",
            "parenting_capacity",
            "family_environment",
        ] {
            assert!(child.domain(side).is_some(), "{side}");
        }
        let separation = child.item("separation_risk").unwrap();
        assert_eq!(separation.answer, AnswerKind::YesNo);
        assert!(separation.text.en.contains("residential care"));
        let parenting: Vec<_> = child.domain("parenting_capacity").unwrap().items[..6]
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(
            parenting,
            [
                "parenting_basic_care",
                "parenting_safety",
                "parenting_emotional_warmth",
                "parenting_stimulation",
                "parenting_guidance",
                "parenting_stability",
            ]
        );
    }

    #[test]
    fn instruments_every_holistic_domain_ends_with_what_the_person_wants_to_change() {
        for code in ["holistic_adult", "holistic_child"] {
            for d in &shipped(code).domains {
                let last = d.items.last().unwrap();
                assert_eq!(last.answer, AnswerKind::Text, "{code} {}", d.code);
                assert!(
                    last.code.ends_with(WANTS_CHANGE_SUFFIX),
                    "{code} {}",
                    d.code
                );
                assert!(
                    last.text.en.starts_with("What do")
                        && last.text.en.ends_with("want to change?"),
                    "{code} {}: {}",
                    d.code,
                    last.text.en
                );
            }
        }
    }

    #[test]
    fn instruments_initial_asks_the_six_wg_questions_with_the_person_codes() {
        let initial = shipped("initial");
        let wg: Vec<_> = initial
            .items()
            .filter(|i| i.answer == AnswerKind::Wg)
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(wg, WG_COLUMNS);
        assert_eq!(
            initial.item("wg_seeing").unwrap().text.en,
            "Do you have difficulty seeing, even if wearing glasses?"
        );
        let labels: Vec<_> = AnswerKind::Wg.options().iter().map(|o| o.en).collect();
        assert_eq!(
            labels,
            [
                "No difficulty",
                "Some difficulty",
                "A lot of difficulty",
                "Cannot do at all"
            ]
        );
        let intro = initial
            .domain("functioning")
            .unwrap()
            .intro
            .as_ref()
            .unwrap();
        assert!(intro.en.contains("HEALTH PROBLEM"));
    }

    #[test]
    fn instruments_initial_safety_and_consent() {
        let initial = shipped("initial");
        let critical: Vec<_> = initial
            .items()
            .filter(|i| i.proposes_critical)
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(
            critical,
            [
                "safety_violence",
                "safety_neglect",
                "safety_self_harm",
                "safety_no_shelter",
                "safety_no_food"
            ]
        );
        for consent in ["consent_assessment", "consent_recording", "consent_sharing"] {
            assert_eq!(initial.item(consent).unwrap().answer, AnswerKind::YesNo);
        }
    }

    #[test]
    fn instruments_a_yes_to_a_safety_item_proposes_critical() {
        let initial = shipped("initial");
        let mut answers = Answers::new();
        for code in ["safety_violence", "safety_no_food", "consent_assessment"] {
            let value = initial.parse_answer(code, "no").unwrap();
            answers.insert(code.to_owned(), value);
        }
        assert!(!initial.proposes_critical(&answers));
        answers.insert("consent_assessment".into(), AnswerValue::YesNo(true));
        assert!(
            !initial.proposes_critical(&answers),
            "a yes elsewhere proposes nothing"
        );
        answers.insert(
            "safety_no_food".into(),
            initial.parse_answer("safety_no_food", " yes ").unwrap(),
        );
        assert!(initial.proposes_critical(&answers));
        let reasons: Vec<_> = initial
            .critical_items(&answers)
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(reasons, ["safety_no_food"]);
    }

    #[test]
    fn instruments_review_ships_the_standard_outcome_set() {
        let review = shipped("review");
        for (code, kind) in [
            ("living_at_home", AnswerKind::YesNo),
            ("family_together", AnswerKind::YesNo),
            ("in_education_training_work", AnswerKind::YesNo),
            ("income_changed", AnswerKind::YesNo),
            ("feels_safe", AnswerKind::Scale0To10),
            ("satisfaction", AnswerKind::Scale0To10),
        ] {
            assert_eq!(review.item(code).map(|i| i.answer), Some(kind), "{code}");
        }
    }

    #[test]
    fn instruments_the_small_file_parses() {
        let tiny = Instrument::from_toml(GOOD).unwrap();
        assert_eq!(tiny.items().count(), 2);
        assert_eq!(tiny.title.get("tk"), "Kiçijik");
        assert_eq!(tiny.title.get("de"), "Tiny");
    }

    #[test]
    fn instruments_a_duplicate_item_code_is_refused_naming_it() {
        let bad = GOOD.replace(
            "code = \"housing_condition\"",
            "code = \"housing_wants_change\"",
        );
        let e = refusal(&bad);
        assert!(e.contains("item 'housing_wants_change'"), "{e}");
        assert!(e.contains("already used in domain 'housing'"), "{e}");
    }

    #[test]
    fn instruments_a_duplicate_domain_code_is_refused() {
        let second = GOOD
            .split("[[domains]]")
            .nth(1)
            .unwrap()
            .replace("housing_", "other_");
        let bad = format!("{GOOD}\n[[domains]]{second}");
        let e = refusal(&bad);
        assert!(e.contains("domain 'housing'"), "{e}");
        assert!(e.contains("domain code is used twice"), "{e}");
    }

    #[test]
    fn instruments_a_missing_turkmen_text_is_refused_naming_the_item() {
        let bad = GOOD.replace(", tk = \"Ýagdaýy\"", "");
        let e = refusal(&bad);
        assert!(e.contains("item 'housing_condition'"), "{e}");
        assert!(e.contains("no Turkmen (tk) wording"), "{e}");
        let blank = GOOD.replace("tk = \"Ýagdaýy\"", "tk = \"  \"");
        assert!(refusal(&blank).contains("no Turkmen (tk) wording"));
        let cyrillic = GOOD.replace("tk = \"Ýagdaýy\"", "tk = \"Состояние\"");
        assert!(refusal(&cyrillic).contains("Latin script"));
    }

    #[test]
    fn instruments_an_unknown_answer_type_is_refused_naming_the_item() {
        let bad = GOOD.replace("answer = \"need\"", "answer = \"scale\"");
        let e = refusal(&bad);
        assert!(e.contains("item 'housing_condition'"), "{e}");
        assert!(e.contains("'scale' is not a known answer type"), "{e}");
        assert!(e.contains("need, yes_no, scale_0_10, text, wg"), "{e}");
    }

    #[test]
    fn instruments_version_zero_and_bad_top_level_values_are_refused() {
        let e = refusal(&GOOD.replace("version = 1", "version = 0"));
        assert!(e.contains("version 0 is not allowed"), "{e}");
        assert!(refusal(&GOOD.replace("version = 1", "version = -3")).contains("version -3"));
        let e = refusal(&GOOD.replace("kind = \"holistic\"", "kind = \"full\""));
        assert!(e.contains("'full' is not a known instrument kind"), "{e}");
        let e = refusal(&GOOD.replace("applies_to = \"adult\"", "applies_to = \"elder\""));
        assert!(e.contains("applies_to"), "{e}");
    }

    #[test]
    fn instruments_codes_must_be_snake_case_ascii() {
        for bad in [
            "Housing",
            "housing-condition",
            "2housing",
            "housing__x",
            "housing_",
            "ýagdaý",
            "",
        ] {
            let text = GOOD.replace("code = \"housing_condition\"", &format!("code = \"{bad}\""));
            let e = refusal(&text);
            assert!(e.contains("is not a valid code"), "{bad}: {e}");
        }
        assert!(check_code("wg_seeing").is_ok());
        assert!(check_code("a1_b2").is_ok());
    }

    #[test]
    fn instruments_structure_rules_are_enforced() {
        let no_domains = GOOD.split("[[domains]]").next().unwrap();
        assert!(refusal(no_domains).contains("it has no domains"));

        let e = refusal(&GOOD.replace("housing_wants_change", "housing_hopes"));
        assert!(e.contains("domain 'housing'"), "{e}");
        assert!(e.contains("_wants_change"), "{e}");
        // The rule is for holistic instruments only.
        assert!(Instrument::from_toml(
            &GOOD
                .replace("housing_wants_change", "housing_hopes")
                .replace("kind = \"holistic\"", "kind = \"review\"")
        )
        .is_ok());

        let e = refusal(&GOOD.replace(
            "answer = \"need\"",
            "answer = \"need\"\nproposes_critical = true",
        ));
        assert!(
            e.contains("proposes_critical is only allowed on yes_no"),
            "{e}"
        );

        let e = refusal(&GOOD.replace("answer = \"need\"", "answer = \"wg\""));
        assert!(e.contains("Washington Group codes"), "{e}");
        assert!(e.contains("wg items are missing"), "{e}");

        let e = refusal(&GOOD.replace("answer = \"need\"", "answer = \"need\"\nhelp = \"x\""));
        assert!(e.contains("unknown field `help`"), "{e}");
        assert!(e.contains("line "), "{e}");
    }

    #[test]
    fn instruments_every_problem_is_listed_at_once() {
        let bad = GOOD
            .replace("version = 1", "version = 0")
            .replace("answer = \"need\"", "answer = \"nede\"")
            .replace(", ru = \"Жильё\"", "");
        let e = refusal(&bad);
        assert!(e.contains("3 problem(s)"), "{e}");
    }

    #[test]
    fn instruments_answers_are_parsed_and_out_of_range_values_refused() {
        let item = |answer: AnswerKind| Item {
            code: "x".into(),
            text: Text {
                en: "x".into(),
                ru: "х".into(),
                tk: "x".into(),
            },
            answer,
            proposes_critical: false,
        };
        let need = item(AnswerKind::Need);
        assert_eq!(
            need.parse_answer("2").unwrap(),
            AnswerValue::Need(NeedLevel::Moderate)
        );
        assert_eq!(
            need.parse_answer(" 0 ").unwrap(),
            AnswerValue::Need(NeedLevel::None)
        );
        for bad in ["4", "-1", "1.5", "high", "", "   ", "+1", "99999999999"] {
            let e = need.parse_answer(bad).unwrap_err();
            assert_eq!(e.item, "x");
        }
        assert!(need
            .parse_answer("4")
            .unwrap_err()
            .to_string()
            .contains("0 none, 1 low, 2 moderate or 3 high"));

        let yes_no = item(AnswerKind::YesNo);
        assert_eq!(
            yes_no.parse_answer("yes").unwrap(),
            AnswerValue::YesNo(true)
        );
        assert_eq!(
            yes_no.parse_answer("no").unwrap(),
            AnswerValue::YesNo(false)
        );
        for bad in ["y", "Yes", "1", "true", "hawa"] {
            assert!(yes_no.parse_answer(bad).is_err(), "{bad}");
        }

        let scale = item(AnswerKind::Scale0To10);
        assert_eq!(scale.parse_answer("10").unwrap(), AnswerValue::Scale(10));
        assert_eq!(scale.parse_answer("0").unwrap(), AnswerValue::Scale(0));
        for bad in ["11", "-1", "7.5", "ten", "256"] {
            assert!(scale.parse_answer(bad).is_err(), "{bad}");
        }

        let wg = item(AnswerKind::Wg);
        assert_eq!(
            wg.parse_answer("4").unwrap(),
            AnswerValue::Wg(WgAnswer::CannotDoAtAll)
        );
        for bad in ["0", "5", "x"] {
            assert!(wg.parse_answer(bad).is_err(), "{bad}");
        }

        let text = item(AnswerKind::Text);
        assert_eq!(
            text.parse_answer("  Maşgala bilen ýaşamak\n").unwrap(),
            AnswerValue::Text("Maşgala bilen ýaşamak".into())
        );
        let longest = "ä".repeat(MAX_TEXT_ANSWER_CHARS);
        assert!(text.parse_answer(&longest).is_ok());
        let e = text.parse_answer(&format!("{longest}a")).unwrap_err();
        assert!(e.message.contains("at most 4000"), "{e}");
        assert!(text.parse_answer("a\u{0}b").is_err());
        assert!(text.parse_answer("line one\nline two").is_ok());

        assert_eq!(need.parse_note("  ").unwrap(), None);
        assert_eq!(
            need.parse_note(" her sister helps ").unwrap(),
            Some("her sister helps".into())
        );
        assert!(need.parse_note(&format!("{longest}a")).is_err());

        let initial = shipped("initial");
        let e = initial.parse_answer("no_such_item", "yes").unwrap_err();
        assert!(e.to_string().contains("no such item"), "{e}");
    }

    #[test]
    fn instruments_wg_answers_are_collected_for_the_person() {
        let initial = shipped("initial");
        let mut answers = Answers::new();
        for (code, raw) in [("wg_seeing", "1"), ("wg_communication", "3")] {
            answers.insert(code.into(), initial.parse_answer(code, raw).unwrap());
        }
        let wg = wg_answers(&answers);
        assert_eq!(wg.seeing, Some(WgAnswer::NoDifficulty));
        assert_eq!(wg.communication, Some(WgAnswer::ALotOfDifficulty));
        assert_eq!(wg.walking, None);
        assert!(wg.has_disability());
    }

    #[test]
    fn instruments_round_trip_through_json_and_are_checked_again() {
        for i in default_instruments().unwrap() {
            let json = serde_json::to_string(&i).unwrap();
            let back: Instrument = serde_json::from_str(&json).unwrap();
            assert_eq!(back, i, "{}", i.code);
        }
        // A stored definition is checked like a file: a broken code is refused, naming it.
        let tiny = Instrument::from_toml(GOOD).unwrap();
        let json = serde_json::to_string(&tiny)
            .unwrap()
            .replace("housing_condition", "Housing Condition");
        let e = serde_json::from_str::<Instrument>(&json).unwrap_err();
        assert!(e.to_string().contains("'Housing Condition'"), "{e}");
    }
}
