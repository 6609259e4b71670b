//! Assessments of a case recorded against the instruments: the initial assessment (screening) and
//! the holistic assessment, about the case's person and the household members the worker includes.
//!
//! An assessment records the code and version of the instrument in force when it started, and is
//! read and checked with that version ever after (the database keeps every version shipped:
//! `crate::instruments`). The worker saves it as a draft as often as needed (each save under the
//! version read: a stale one is a conflict), then completes it: completion checks every required
//! answer of every person against the instrument, and writes the Washington Group answers to the
//! people's records, so that disability is derived by the WG cut-off as everywhere else.
//!
//! Coded answers stay readable (statistics need no key); free text — text answers, strengths, the
//! person's own words — is sealed, bound to the assessment, the person and the item.
//!
//! One use case a module: [`start`] (who may be assessed, and a new draft), [`save`] (a draft
//! saved), [`complete`] (the assessment completed, and what screening proposes), [`read`] (one
//! assessment as its reader sees it) and [`summaries`] (the case's assessments, for its page).
//! The rows and their decoding are in `rows`.

mod complete;
mod read;
mod rows;
mod save;
mod start;
mod summaries;

/// Where an assessment is: the one code enum of core, which the rows decode into.
pub use goldaw_core::assessments::AssessmentStatus;

use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::codes::Priority;
use goldaw_core::instruments::{AnswerValue, InstrumentKind, NeedLevel};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most people one assessment is about.
pub const MAX_PERSONS: usize = 20;
/// The most answers one save carries.
pub const MAX_ANSWERS_PER_SAVE: usize = 3000;

/// An assessment to start.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    /// The instrument's code (`initial`, `holistic_adult`, `holistic_child`): the version in force
    /// is used, and recorded with the assessment.
    pub instrument: String,
    /// goldaw ids of the people assessed: the case's person and members of their household. Empty:
    /// the case's person alone. The initial assessment always includes the case's person, who
    /// answers its questions about the household.
    #[serde(default)]
    pub persons: Vec<Uuid>,
}

/// An answer as sent: `true`/`false` or `"yes"`/`"no"`, a number (need 0-3, Washington Group 1-4,
/// scale 0-10), or text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RawAnswer {
    Flag(bool),
    Number(i64),
    Text(String),
}

impl RawAnswer {
    /// The answer as a form sends it.
    pub fn as_form(&self) -> String {
        match self {
            RawAnswer::Flag(true) => "yes".to_owned(),
            RawAnswer::Flag(false) => "no".to_owned(),
            RawAnswer::Number(n) => n.to_string(),
            RawAnswer::Text(t) => t.clone(),
        }
    }
}

/// One item answered (or cleared) for one person. It replaces what was recorded for that person
/// and item: the answer and both notes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub person: Uuid,
    /// The item's code in the assessment's instrument version.
    pub item: String,
    /// Absent, null or blank: not answered (an earlier answer is cleared).
    #[serde(default)]
    pub value: Option<RawAnswer>,
    /// Need items only: what works, who helps. Sealed.
    #[serde(default)]
    pub strengths: Option<String>,
    /// Need items only: the person's own words. Sealed.
    #[serde(default)]
    pub own_words: Option<String>,
}

/// A draft save: the version read, the answers changed and, optionally, who is assessed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentSave {
    pub version: i32,
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    /// The full list of people assessed, to change it; the answers of anyone left out are removed.
    #[serde(default)]
    pub persons: Option<Vec<Uuid>>,
}

/// A person an assessment is about.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessedPerson {
    pub id: Uuid,
    /// `None` when withheld (a sensitive case, a reader without the permission).
    pub name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// In whole years when the assessment started.
    pub age: Option<u32>,
    /// The case's person: answers the household questions.
    pub respondent: bool,
}

/// What is recorded for one person and one item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerRecord {
    pub person: Uuid,
    pub domain: String,
    pub item: String,
    /// `None`: not rated yet (notes may be written first).
    pub value: Option<AnswerValue>,
    pub strengths: Option<String>,
    pub own_words: Option<String>,
}

/// An item of the instrument about one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    pub person: Uuid,
    pub domain: String,
    pub item: String,
}

/// The highest need rated in one domain for one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DomainNeedRecord {
    pub person: Uuid,
    pub domain: String,
    pub need: NeedLevel,
}

/// An assessment as the reader may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    /// initial or holistic.
    #[schema(value_type = String)]
    pub kind: InstrumentKind,
    /// The instrument it is made with, for good (`GET /api/v1/instruments/{code}/{version}`).
    pub instrument_code: String,
    pub instrument_version: u32,
    pub status: AssessmentStatus,
    /// Send it back with every save (no lost updates).
    pub version: i32,
    pub author: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Names, answers and the people (even their ids) are withheld from this reader (a sensitive
    /// case).
    pub restricted: bool,
    /// The case is sensitive: pages hide the people's names until asked
    /// (`goldaw_core::safety::name_on_page`).
    pub sensitive: bool,
    pub persons: Vec<AssessedPerson>,
    pub answers: Vec<AnswerRecord>,
    /// The required answers still missing: completion is refused while there are any.
    pub missing: Vec<ItemRef>,
    /// Initial assessment: `critical` when anyone is at risk of harm now; the screening's default.
    pub proposed_priority: Option<Priority>,
    /// The items answered "yes" that propose `critical`.
    pub critical_reasons: Vec<String>,
    /// The highest need per domain and person, highest first: what the support plan answers.
    pub domain_needs: Vec<DomainNeedRecord>,
}

/// One line of a case's list of assessments.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentSummary {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub kind: InstrumentKind,
    pub instrument_code: String,
    pub instrument_version: u32,
    pub status: AssessmentStatus,
    pub author: String,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The priority a completed initial assessment proposed.
    pub proposed_priority: Option<Priority>,
    /// The people assessed (none listed on a sensitive case without the permission).
    pub persons: Vec<AssessedPerson>,
    /// A completed assessment: the items answered "yes" that propose `critical`.
    pub critical_reasons: Vec<String>,
    /// A completed assessment: the highest need per domain and person, highest first.
    pub domain_needs: Vec<DomainNeedRecord>,
}
