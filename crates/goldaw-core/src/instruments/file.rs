//! Reading an instrument file: the TOML as written, every check of its codes and texts, and the
//! errors that list each problem found with the domain and item it is in.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::model::{
    AnswerKind, AppliesTo, Domain, Instrument, InstrumentKind, Item, Text, MAX_CODE_CHARS,
    WANTS_CHANGE_SUFFIX,
};
use crate::planning::projection::TextPosition;
use crate::washington_group::WG_COLUMNS;

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

pub(super) fn check_code(code: &str) -> Result<(), &'static str> {
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
