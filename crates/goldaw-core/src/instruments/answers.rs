//! Answers to an instrument: what a web form sent for an item, parsed into a typed
//! [`AnswerValue`], and what the answers propose (priority `critical`, Washington Group answers).

use super::model::{
    AnswerKind, AnswerValue, Answers, Instrument, Item, NeedLevel, MAX_TEXT_ANSWER_CHARS,
};
use crate::washington_group::{WgAnswer, WgAnswers, WG_COLUMNS};

/// An answer a form sent that does not fit its item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item '{item}': {message}")]
pub struct AnswerError {
    pub item: String,
    pub message: String,
}

impl Instrument {
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
