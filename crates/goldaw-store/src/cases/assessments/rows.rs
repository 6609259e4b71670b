//! The assessment's rows as stored, the loaded assessment its use cases work on, and the small
//! checks they share.

use super::*;
use crate::cases::{corrupt, full_name, refused, CaseRow};
use crate::error::StoreResult;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::assessments::{self as rules, PersonAnswers, Subject};
use goldaw_core::codes::CaseStatus;
use goldaw_core::instruments::{Instrument, InstrumentKind};
use goldaw_core::workflow::Refusal;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(super) struct AssessmentRow {
    pub(super) id: Uuid,
    pub(super) case_id: Uuid,
    pub(super) kind: String,
    pub(super) instrument_code: String,
    pub(super) instrument_version: i32,
    #[sqlx(try_from = "String")]
    pub(super) status: AssessmentStatus,
    pub(super) priority: Option<String>,
    pub(super) author: String,
    pub(super) started_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) completed_at: Option<DateTime<Utc>>,
    pub(super) version: i32,
}

pub(super) const SELECT_ASSESSMENT: &str =
    "SELECT id, case_id, kind, instrument_code, instrument_version,
    status, priority, author, started_at, updated_at, completed_at, version FROM assessments";

#[derive(sqlx::FromRow)]
pub(super) struct ItemRow {
    pub(super) row_id: Option<Uuid>,
    pub(super) person_id: Uuid,
    pub(super) item: String,
    pub(super) need: Option<i32>,
    pub(super) answer: Option<String>,
    pub(super) text_sealed: Option<Vec<u8>>,
    pub(super) strengths_sealed: Option<Vec<u8>>,
    pub(super) own_words_sealed: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow, Clone)]
pub(super) struct PersonRow {
    #[sqlx(default)]
    pub(super) assessment_id: Option<Uuid>,
    pub(super) person_id: Uuid,
    pub(super) given_name: String,
    pub(super) family_name: Option<String>,
    pub(super) birth_date: Option<NaiveDate>,
}

impl PersonRow {
    pub(super) fn name(&self) -> String {
        full_name(&self.given_name, self.family_name.as_deref())
    }
}

/// The sealing context of a free-text field of an answer: bound to its row (`row_id`, which stays
/// when a merge of duplicate people moves the row to the kept person).
pub(super) fn context(column: &str, row: Uuid) -> String {
    format!("assessment_items.{column}:{row}")
}

/// The people of the assessments matching `{filter}` (on `a`), each as the record they are now:
/// a person merged into another since (perhaps more than once) is read as the kept record, whom
/// the merge gave their answers. In the order shown.
pub(super) const CURRENT_PERSONS: &str =
    "WITH RECURSIVE chain (start_id, id, merged_into, hops) AS (
        SELECT p.id, p.id, p.merged_into, 0 FROM persons p
        WHERE p.id IN (SELECT ap.person_id FROM assessment_persons ap
                       JOIN assessments a ON a.id = ap.assessment_id WHERE {filter})
        UNION ALL
        SELECT c.start_id, p.id, p.merged_into, c.hops + 1 FROM chain c
        JOIN persons p ON p.id = c.merged_into WHERE c.hops < 8)
    SELECT ap.assessment_id, p.id AS person_id, p.given_name, p.family_name, p.birth_date
    FROM assessment_persons ap JOIN assessments a ON a.id = ap.assessment_id
    JOIN chain c ON c.start_id = ap.person_id AND c.merged_into IS NULL
    JOIN persons p ON p.id = c.id
    WHERE {filter} ORDER BY ap.assessment_id, ap.position";

/// One stored answer, opened.
pub(super) struct Stored {
    pub(super) person: Uuid,
    pub(super) item: String,
    pub(super) need: Option<i32>,
    pub(super) answer: Option<String>,
    pub(super) text: Option<String>,
    pub(super) strengths: Option<String>,
    pub(super) own_words: Option<String>,
}

/// An assessment with its case, instrument, people and answers, loaded for a read or a write.
pub(super) struct Loaded {
    pub(super) row: AssessmentRow,
    pub(super) case: CaseRow,
    pub(super) instrument: Instrument,
    pub(super) status: AssessmentStatus,
    pub(super) persons: Vec<PersonRow>,
    pub(super) subjects: Vec<Subject>,
    pub(super) stored: Vec<Stored>,
    pub(super) restricted: bool,
}

impl Loaded {
    pub(super) fn person(&self, id: Uuid) -> Option<&PersonRow> {
        self.persons.iter().find(|p| p.person_id == id)
    }

    pub(super) fn name_of(&self, id: Uuid) -> String {
        self.person(id)
            .map_or_else(|| id.to_string(), PersonRow::name)
    }

    /// The stored answers as typed values, each checked again against the instrument version and the
    /// person; `Err` lists what no longer fits, naming item and person.
    pub(super) fn answers(&self) -> (PersonAnswers, Vec<String>) {
        let mut answers = PersonAnswers::new();
        let mut problems = Vec::new();
        for s in &self.stored {
            let raw = match (&s.need, &s.answer, &s.text) {
                (Some(n), _, _) => n.to_string(),
                (None, Some(a), _) => a.clone(),
                (None, None, Some(t)) => t.clone(),
                // Notes only, no rating yet.
                (None, None, None) => continue,
            };
            let Some(subject) = self.subjects.iter().find(|x| x.id == s.person) else {
                problems.push(format!(
                    "item '{}' is answered for someone not assessed ({})",
                    s.item, s.person
                ));
                continue;
            };
            match rules::parse_answer(&self.instrument, subject, &s.item, &raw) {
                Ok(value) => {
                    answers
                        .entry(s.person)
                        .or_default()
                        .insert(s.item.clone(), value);
                }
                Err(e) => problems.push(format!(
                    "item '{}' for {}: {}",
                    e.item,
                    self.name_of(s.person),
                    e.message
                )),
            }
        }
        (answers, problems)
    }
}

pub(super) fn kind_of(row: &AssessmentRow) -> StoreResult<InstrumentKind> {
    row.kind.parse().map_err(|e| corrupt("assessment kind", e))
}

pub(super) fn version_of(row: &AssessmentRow) -> StoreResult<u32> {
    u32::try_from(row.instrument_version).map_err(|e| corrupt("instrument version", e))
}

/// An assessment of `kind` is made in its own step of the workflow.
pub(super) fn check_step(kind: InstrumentKind, row: &CaseRow) -> StoreResult<()> {
    let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
    match (kind, status) {
        (InstrumentKind::Initial, CaseStatus::InitialAssessment)
        | (InstrumentKind::Holistic, CaseStatus::HolisticAssessment) => Ok(()),
        _ => Err(refused(Refusal::AssessmentNotNow { status })),
    }
}

/// Free text of a note: trimmed, blank is none, at most the text-answer limit; `what` names it.
pub(super) fn note(
    instrument: &Instrument,
    item: &str,
    what: &str,
    raw: Option<&str>,
) -> Result<Option<String>, String> {
    let Some(item) = instrument.item(item) else {
        return Ok(None);
    };
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(_) if !item.answer.takes_notes() => Err(format!(
            "{what} are written with need items only; '{}' is a {} item",
            item.code, item.answer
        )),
        Some(text) => item.parse_note(text).map_err(|e| e.message),
    }
}
