//! Assessment instruments: the questions of the initial, holistic and review assessments, as versioned data.
//!
//! An instrument is a TOML file in `reference/instruments/` (format and revision rules: `docs/instruments.md`).
//! The ministry revises an instrument by shipping a new file with `version` + 1; an assessment stores the code
//! and version of the instrument it was made with, so old assessments keep their questions.
//!
//! [`Instrument::from_toml`] reads and checks a file and refuses it with every problem found, each naming the
//! domain and item and saying what to change. [`Item::parse_answer`] turns what a web form sent for one item
//! into a typed [`AnswerValue`]. [`default_instruments`] returns the four instruments goldaw ships.

mod answers;
mod file;
mod model;
mod shipped;
#[cfg(test)]
mod tests;

pub use answers::{wg_answers, AnswerError};
pub use file::{InstrumentError, Problem};
pub use model::{
    AnswerKind, AnswerOption, AnswerValue, Answers, AppliesTo, Domain, Instrument, InstrumentKind,
    Item, NeedLevel, Text, MAX_CODE_CHARS, MAX_TEXT_ANSWER_CHARS, WANTS_CHANGE_SUFFIX,
};
pub use shipped::{
    default_instruments, find_instrument, latest_instrument, DEFAULT_INSTRUMENT_FILES,
};
