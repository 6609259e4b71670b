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

use super::{corrupt, full_name, insert_event, parse_opt, refused, CaseRow, Store};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::{person_visible, unit_range, MARK_NAMED_IN_CASE};
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::assessments::{self as rules, PersonAnswers, Subject};
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::local_date;
use goldaw_core::instruments::{wg_answers, AnswerValue, Instrument, InstrumentKind, NeedLevel};
use goldaw_core::washington_group::{WgAnswer, WgAnswers};
use goldaw_core::workflow::{CaseAction, Refusal};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most people one assessment is about.
pub const MAX_PERSONS: usize = 20;
/// The most answers one save carries.
pub const MAX_ANSWERS_PER_SAVE: usize = 3000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStatus {
    Draft,
    Completed,
}

impl AssessmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentStatus::Draft => "draft",
            AssessmentStatus::Completed => "completed",
        }
    }
}

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

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    id: Uuid,
    case_id: Uuid,
    kind: String,
    instrument_code: String,
    instrument_version: i32,
    status: String,
    priority: Option<String>,
    author: String,
    started_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    version: i32,
}

const SELECT_ASSESSMENT: &str = "SELECT id, case_id, kind, instrument_code, instrument_version,
    status, priority, author, started_at, updated_at, completed_at, version FROM assessments";

#[derive(sqlx::FromRow)]
struct ItemRow {
    row_id: Option<Uuid>,
    person_id: Uuid,
    item: String,
    need: Option<i32>,
    answer: Option<String>,
    text_sealed: Option<Vec<u8>>,
    strengths_sealed: Option<Vec<u8>>,
    own_words_sealed: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow, Clone)]
struct PersonRow {
    #[sqlx(default)]
    assessment_id: Option<Uuid>,
    person_id: Uuid,
    given_name: String,
    family_name: Option<String>,
    birth_date: Option<NaiveDate>,
}

impl PersonRow {
    fn name(&self) -> String {
        full_name(&self.given_name, self.family_name.as_deref())
    }
}

/// The sealing context of a free-text field of an answer: bound to its row (`row_id`, which stays
/// when a merge of duplicate people moves the row to the kept person).
fn context(column: &str, row: Uuid) -> String {
    format!("assessment_items.{column}:{row}")
}

/// The people of the assessments matching `{filter}` (on `a`), each as the record they are now:
/// a person merged into another since (perhaps more than once) is read as the kept record, whom
/// the merge gave their answers. In the order shown.
const CURRENT_PERSONS: &str = "WITH RECURSIVE chain (start_id, id, merged_into, hops) AS (
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
struct Stored {
    person: Uuid,
    item: String,
    need: Option<i32>,
    answer: Option<String>,
    text: Option<String>,
    strengths: Option<String>,
    own_words: Option<String>,
}

/// An assessment with its case, instrument, people and answers, loaded for a read or a write.
struct Loaded {
    row: AssessmentRow,
    case: CaseRow,
    instrument: Instrument,
    status: AssessmentStatus,
    persons: Vec<PersonRow>,
    subjects: Vec<Subject>,
    stored: Vec<Stored>,
    restricted: bool,
}

impl Loaded {
    fn person(&self, id: Uuid) -> Option<&PersonRow> {
        self.persons.iter().find(|p| p.person_id == id)
    }

    fn name_of(&self, id: Uuid) -> String {
        self.person(id)
            .map_or_else(|| id.to_string(), PersonRow::name)
    }

    /// The stored answers as typed values, each checked again against the instrument version and the
    /// person; `Err` lists what no longer fits, naming item and person.
    fn answers(&self) -> (PersonAnswers, Vec<String>) {
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

fn kind_of(row: &AssessmentRow) -> StoreResult<InstrumentKind> {
    row.kind.parse().map_err(|e| corrupt("assessment kind", e))
}

fn status_of(row: &AssessmentRow) -> StoreResult<AssessmentStatus> {
    match row.status.as_str() {
        "draft" => Ok(AssessmentStatus::Draft),
        "completed" => Ok(AssessmentStatus::Completed),
        other => Err(corrupt("assessment status", other)),
    }
}

fn version_of(row: &AssessmentRow) -> StoreResult<u32> {
    u32::try_from(row.instrument_version).map_err(|e| corrupt("instrument version", e))
}

/// An assessment of `kind` is made in its own step of the workflow.
fn check_step(kind: InstrumentKind, row: &CaseRow) -> StoreResult<()> {
    let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
    match (kind, status) {
        (InstrumentKind::Initial, CaseStatus::InitialAssessment)
        | (InstrumentKind::Holistic, CaseStatus::HolisticAssessment) => Ok(()),
        _ => Err(refused(Refusal::AssessmentNotNow { status })),
    }
}

/// Free text of a note: trimmed, blank is none, at most the text-answer limit; `what` names it.
fn note(
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

impl Store {
    /// The people an assessment of the case may be about: the case's person first, then the members
    /// of their household the principal may see. For the form that starts an assessment.
    pub async fn assessable_persons(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<AssessedPerson>> {
        require(principal, Permission::ReadPeople)?;
        let case = self.load_case_row(principal, case_id).await?;
        self.may_act(principal, &case, CaseAction::CompleteHolistic)?;
        let today = local_date(Utc::now());
        let people = self.household_of(principal, &case).await?;
        let out: Vec<AssessedPerson> = people
            .iter()
            .map(|p| AssessedPerson {
                id: p.person_id,
                name: Some(p.name()),
                birth_date: p.birth_date,
                age: p.birth_date.and_then(|b| today.years_since(b)),
                respondent: p.person_id == case.person_id,
            })
            .collect();
        let ids: Vec<String> = out.iter().map(|p| p.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::on("household.read", "case", case_id).with_detail(ids.join(" ")),
        )
        .await?;
        Ok(out)
    }

    /// The case's person and the members of their household within the principal's scope (and,
    /// for sensitive records, permission), the case's person first, then by birth date.
    async fn household_of(
        &self,
        principal: &Principal,
        case: &CaseRow,
    ) -> StoreResult<Vec<PersonRow>> {
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "SELECT p.id AS person_id, p.given_name, p.family_name, p.birth_date FROM persons p
             WHERE p.merged_into IS NULL AND (p.id = $1 OR (
               p.household_id = (SELECT household_id FROM persons WHERE id = $1)
               AND p.admin_unit >= $2 AND p.admin_unit < $3 AND {}))
             LIMIT 200",
            person_visible!("p", "$4")
        );
        let mut people: Vec<PersonRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
            .bind(case.person_id)
            .bind(&lo)
            .bind(&hi)
            .bind(principal.sensitive)
            .fetch_all(pool)
            .await?
        });
        people.sort_by_key(|p| {
            (
                p.person_id != case.person_id,
                p.birth_date.is_none(),
                p.birth_date,
                p.name(),
            )
        });
        Ok(people)
    }

    /// Checks the people asked for: each the case's person or a member of the household, each once,
    /// the case's person included when the instrument asks about the household. Answers them in the
    /// order asked, the case's person first.
    async fn chosen_persons(
        &self,
        principal: &Principal,
        case: &CaseRow,
        instrument: &Instrument,
        asked: &[Uuid],
    ) -> StoreResult<Vec<PersonRow>> {
        let household = self.household_of(principal, case).await?;
        let asked: Vec<Uuid> = if asked.is_empty() {
            vec![case.person_id]
        } else {
            asked.to_vec()
        };
        if asked.len() > MAX_PERSONS {
            return Err(StoreError::invalid(
                "persons",
                format!("at most {MAX_PERSONS} people in one assessment"),
            ));
        }
        let mut chosen: Vec<PersonRow> = Vec::with_capacity(asked.len());
        for (i, id) in asked.iter().enumerate() {
            let Some(p) = household.iter().find(|p| p.person_id == *id) else {
                return Err(StoreError::invalid(
                    &format!("persons[{i}]"),
                    format!("{id} is neither the case's person nor a member of their household"),
                ));
            };
            if chosen.iter().any(|c| c.person_id == *id) {
                return Err(StoreError::invalid(
                    &format!("persons[{i}]"),
                    format!("{} is listed twice", p.name()),
                ));
            }
            chosen.push(p.clone());
        }
        let has_case_person = chosen.iter().any(|p| p.person_id == case.person_id);
        if instrument.applies_to == goldaw_core::instruments::AppliesTo::Household
            && !has_case_person
        {
            return Err(StoreError::invalid(
                "persons",
                "the initial assessment includes the case's person, who answers the questions about the household",
            ).saying("store-assessment-person-missing", vec![]));
        }
        chosen.sort_by_key(|p| p.person_id != case.person_id);
        Ok(chosen)
    }

    /// Starts an assessment of the case with the version in force of `new.instrument`: the initial
    /// one during screening, a holistic one in the holistic step. One draft per instrument at a time.
    pub async fn start_assessment(
        &self,
        principal: &Principal,
        case_id: Uuid,
        new: NewAssessment,
    ) -> StoreResult<AssessmentRecord> {
        require(principal, Permission::ReadPeople)?;
        let case = self.load_case_row(principal, case_id).await?;
        self.may_act(principal, &case, CaseAction::CompleteHolistic)?;
        let instruments = self.instruments();
        let Some(instrument) = instruments.in_force(&new.instrument) else {
            let known: Vec<&str> = instruments
                .current()
                .iter()
                .filter(|i| i.kind != InstrumentKind::Review)
                .map(|i| i.code.as_str())
                .collect();
            return Err(StoreError::invalid(
                "instrument",
                format!(
                    "'{}' is not an assessment instrument in force (choose one of: {})",
                    new.instrument,
                    known.join(", ")
                ),
            ));
        };
        if instrument.kind == InstrumentKind::Review {
            return Err(StoreError::invalid(
                "instrument",
                "the outcome review is recorded with the plan review, not as an assessment",
            ));
        }
        check_step(instrument.kind, &case)?;
        let (drafts,): (i64,) = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT COUNT(*) FROM assessments WHERE case_id = $1 AND instrument_code = $2 AND status = 'draft'")
                .bind(case_id)
                .bind(&instrument.code)
                .fetch_one(pool)
                .await?
        });
        if drafts > 0 {
            return Err(StoreError::invalid(
                "instrument",
                format!(
                    "a draft '{}' assessment of this case exists: continue it",
                    instrument.code
                ),
            )
            .saying(
                "store-assessment-draft-exists",
                vec![("name", SayArg::Text(instrument.code.to_string()))],
            ));
        }
        let persons = self
            .chosen_persons(principal, &case, instrument, &new.persons)
            .await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let version =
            i32::try_from(instrument.version).map_err(|e| corrupt("instrument version", e))?;
        let event = AuditEvent::on("assessment.start", "case", case_id).with_detail(format!(
            "assessment {id}: {} v{}, {} person(s)",
            instrument.code,
            instrument.version,
            persons.len()
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            sqlx::query(
                "INSERT INTO assessments (id, case_id, kind, instrument_code, instrument_version, status,
                    author, started_at, version, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, 1, $7)",
            )
            .bind(id)
            .bind(case_id)
            .bind(instrument.kind.as_str())
            .bind(&instrument.code)
            .bind(version)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (position, p) in persons.iter().enumerate() {
                sqlx::query("INSERT INTO assessment_persons (assessment_id, person_id, position) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(p.person_id)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
            }
            insert_event!(tx, case_id, principal, "assessment_started", None::<CaseStatus>, None::<CaseStatus>, None::<&str>, None::<&str>, Some(instrument.code.as_str()), now);
            // A sensitive case names the people it assesses.
            sqlx::query(MARK_NAMED_IN_CASE).bind(case_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        let loaded = self.load_assessment(principal, id).await?;
        self.assessment_record(&loaded)
    }

    /// Loads an assessment the principal may read: its case must be visible to them.
    async fn load_assessment(&self, principal: &Principal, id: Uuid) -> StoreResult<Loaded> {
        // Deny by default before looking anything up; the hotline does not read assessments.
        require(principal, Permission::ReadPeople)?;
        let row: Option<AssessmentRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!("{SELECT_ASSESSMENT} WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let case = self.load_case_row(principal, row.case_id).await?;
        let restricted = case.restricted_for(principal);
        let version = version_of(&row)?;
        let instrument = self
            .instruments()
            .get(&row.instrument_code, version)
            .cloned()
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "assessment {id} uses instrument '{}' version {version}, which the database does not hold",
                    row.instrument_code
                ))
            })?;
        let (mut persons, items): (Vec<PersonRow>, Vec<ItemRow>) = with_db!(self.db(), pool => {
            (
                sqlx::query_as(&CURRENT_PERSONS.replace("{filter}", "a.id = $1"))
                    .bind(id)
                    .fetch_all(pool)
                    .await?,
                sqlx::query_as(
                    "SELECT row_id, person_id, item, need, answer, text_sealed, strengths_sealed, own_words_sealed
                     FROM assessment_items WHERE assessment_id = $1",
                )
                .bind(id)
                .fetch_all(pool)
                .await?,
            )
        });
        // Two records of one person, merged since, are one person now.
        let mut seen = Vec::with_capacity(persons.len());
        persons.retain(|p| {
            let first = !seen.contains(&p.person_id);
            seen.push(p.person_id);
            first
        });
        let started = local_date(row.started_at);
        let subjects = persons
            .iter()
            .map(|p| {
                Subject::new(
                    p.person_id,
                    p.person_id == case.person_id,
                    p.birth_date,
                    started,
                )
            })
            .collect();
        let mut stored = Vec::with_capacity(items.len());
        for i in items {
            let open = |column: &str, sealed: Option<&[u8]>| match (restricted, sealed, i.row_id) {
                (true, _, _) | (false, None, _) => Ok(None),
                (false, Some(s), Some(row)) => {
                    self.open_text("case text", Some(s), &context(column, row))
                }
                (false, Some(_), None) => Err(corrupt(
                    "assessment answer",
                    format!("sealed text of item '{}' without its row id", i.item),
                )),
            };
            stored.push(Stored {
                text: open("text", i.text_sealed.as_deref())?,
                strengths: open("strengths", i.strengths_sealed.as_deref())?,
                own_words: open("own_words", i.own_words_sealed.as_deref())?,
                person: i.person_id,
                item: i.item,
                need: i.need,
                answer: i.answer,
            });
        }
        Ok(Loaded {
            status: status_of(&row)?,
            row,
            case,
            instrument,
            persons,
            subjects,
            stored,
            restricted,
        })
    }

    fn assessment_record(&self, l: &Loaded) -> StoreResult<AssessmentRecord> {
        let kind = kind_of(&l.row)?;
        let (answers, _) = l.answers();
        let instrument = &l.instrument;
        let mut records: Vec<AnswerRecord> = Vec::new();
        if !l.restricted {
            // In the order of the people, then of the instrument.
            for subject in &l.subjects {
                for domain in &instrument.domains {
                    for item in &domain.items {
                        let stored = l
                            .stored
                            .iter()
                            .find(|s| s.person == subject.id && s.item == item.code);
                        let Some(stored) = stored else { continue };
                        records.push(AnswerRecord {
                            person: subject.id,
                            domain: domain.code.clone(),
                            item: item.code.clone(),
                            value: answers
                                .get(&subject.id)
                                .and_then(|a| a.get(&item.code))
                                .cloned(),
                            strengths: stored.strengths.clone(),
                            own_words: stored.own_words.clone(),
                        });
                    }
                }
            }
        }
        let missing = if l.restricted || l.status == AssessmentStatus::Completed {
            Vec::new()
        } else {
            rules::missing(instrument, &l.subjects, &answers)
                .into_iter()
                .map(|m| ItemRef {
                    person: m.person,
                    domain: m.domain.code.clone(),
                    item: m.item.code.clone(),
                })
                .collect()
        };
        let (proposed_priority, critical_reasons, domain_needs) = if l.restricted {
            (
                parse_opt("assessment priority", l.row.priority.as_deref())?,
                Vec::new(),
                Vec::new(),
            )
        } else {
            (
                rules::proposed_priority(instrument, &answers),
                rules::critical_reasons(instrument, &answers)
                    .iter()
                    .map(|i| i.code.clone())
                    .collect(),
                rules::domain_needs(instrument, &answers)
                    .into_iter()
                    .map(|d| DomainNeedRecord {
                        person: d.person,
                        domain: d.domain.code.clone(),
                        need: d.need,
                    })
                    .collect(),
            )
        };
        Ok(AssessmentRecord {
            id: l.row.id,
            case_id: l.row.case_id,
            kind,
            instrument_code: l.row.instrument_code.clone(),
            instrument_version: version_of(&l.row)?,
            status: l.status,
            version: l.row.version,
            author: l.row.author.clone(),
            started_at: l.row.started_at,
            updated_at: l.row.updated_at,
            completed_at: l.row.completed_at,
            restricted: l.restricted,
            // A restricted reader learns no one's id either: the code of the case only.
            persons: l
                .persons
                .iter()
                .zip(&l.subjects)
                .filter(|_| !l.restricted)
                .map(|(p, s)| AssessedPerson {
                    id: p.person_id,
                    name: (!l.restricted).then(|| p.name()),
                    birth_date: if l.restricted { None } else { p.birth_date },
                    age: if l.restricted { None } else { s.age },
                    respondent: s.respondent,
                })
                .collect(),
            answers: records,
            missing,
            proposed_priority,
            critical_reasons,
            domain_needs,
        })
    }

    /// One assessment, read and audited.
    pub async fn assessment(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<AssessmentRecord> {
        let loaded = self.load_assessment(principal, id).await?;
        let record = self.assessment_record(&loaded)?;
        self.audit(
            principal,
            AuditEvent::on("assessment.read", "case", loaded.row.case_id)
                .with_detail(format!("assessment {id}")),
        )
        .await?;
        Ok(record)
    }

    /// The case's assessments, newest first, read and audited.
    pub async fn case_assessments(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<AssessmentSummary>> {
        require(principal, Permission::ReadPeople)?;
        let case = self.load_case_row(principal, case_id).await?;
        let restricted = case.restricted_for(principal);
        let list = self.assessments_of(&case, restricted).await?;
        self.audit(
            principal,
            AuditEvent::on("assessment.list", "case", case_id)
                .with_detail(format!("{} assessments", list.len())),
        )
        .await?;
        Ok(list)
    }

    /// The case's assessments, newest first, for a reader the caller has checked (the case file
    /// and the list): in three queries whatever their number, and no sealed text opened.
    pub(super) async fn assessments_of(
        &self,
        case: &CaseRow,
        restricted: bool,
    ) -> StoreResult<Vec<AssessmentSummary>> {
        type CodeOf = (Uuid, Uuid, String, Option<i32>, Option<String>);
        let (rows, persons, codes): (Vec<AssessmentRow>, Vec<PersonRow>, Vec<CodeOf>) = with_db!(self.db(), pool => {
            (
                sqlx::query_as(&format!("{SELECT_ASSESSMENT} WHERE case_id = $1 ORDER BY started_at DESC, id DESC"))
                    .bind(case.id)
                    .fetch_all(pool)
                    .await?,
                sqlx::query_as(&CURRENT_PERSONS.replace("{filter}", "a.case_id = $1"))
                .bind(case.id)
                .fetch_all(pool)
                .await?,
                // The coded answers of completed assessments: what they propose and the needs.
                sqlx::query_as(
                    "SELECT i.assessment_id, i.person_id, i.item, i.need, i.answer
                     FROM assessment_items i JOIN assessments a ON a.id = i.assessment_id
                     WHERE a.case_id = $1 AND a.status = 'completed'
                       AND (i.need IS NOT NULL OR i.answer IS NOT NULL)",
                )
                .bind(case.id)
                .fetch_all(pool)
                .await?,
            )
        });
        let held = self.instruments();
        let mut list = Vec::with_capacity(rows.len());
        for r in &rows {
            let status = status_of(r)?;
            let started = local_date(r.started_at);
            let mut people: Vec<AssessedPerson> = Vec::new();
            let assessed = persons
                .iter()
                .filter(|p| !restricted && p.assessment_id == Some(r.id));
            for p in assessed {
                if people.iter().any(|x| x.id == p.person_id) {
                    continue;
                }
                people.push(AssessedPerson {
                    id: p.person_id,
                    name: (!restricted).then(|| p.name()),
                    birth_date: if restricted { None } else { p.birth_date },
                    age: if restricted {
                        None
                    } else {
                        p.birth_date.and_then(|b| started.years_since(b))
                    },
                    respondent: p.person_id == case.person_id,
                });
            }
            let mut critical_reasons = Vec::new();
            let mut domain_needs = Vec::new();
            let instrument = held.get(&r.instrument_code, version_of(r)?);
            if let (AssessmentStatus::Completed, false, Some(instrument)) =
                (status, restricted, instrument)
            {
                let mut answers = PersonAnswers::new();
                for (_, person, item, need, answer) in codes.iter().filter(|c| c.0 == r.id) {
                    let raw =
                        need.map_or_else(|| answer.clone().unwrap_or_default(), |n| n.to_string());
                    // Checked when saved and at completion: a row that no longer parses is skipped.
                    if let Ok(value) = instrument.parse_answer(item, &raw) {
                        answers
                            .entry(*person)
                            .or_default()
                            .insert(item.clone(), value);
                    }
                }
                critical_reasons = rules::critical_reasons(instrument, &answers)
                    .iter()
                    .map(|i| i.code.clone())
                    .collect();
                domain_needs = rules::domain_needs(instrument, &answers)
                    .into_iter()
                    .map(|d| DomainNeedRecord {
                        person: d.person,
                        domain: d.domain.code.clone(),
                        need: d.need,
                    })
                    .collect();
            }
            list.push(AssessmentSummary {
                id: r.id,
                kind: kind_of(r)?,
                instrument_code: r.instrument_code.clone(),
                instrument_version: version_of(r)?,
                status,
                author: r.author.clone(),
                started_at: r.started_at,
                completed_at: r.completed_at,
                proposed_priority: parse_opt("assessment priority", r.priority.as_deref())?,
                persons: people,
                critical_reasons,
                domain_needs,
            });
        }
        Ok(list)
    }

    /// The people a new assessment may be about, when the principal may start one now (the case
    /// in an assessment step, theirs to work on); otherwise none. For the case file.
    pub(super) async fn assessable_of(
        &self,
        principal: &Principal,
        case: &CaseRow,
    ) -> StoreResult<Vec<AssessedPerson>> {
        let in_step = matches!(
            case.status.as_str(),
            "initial_assessment" | "holistic_assessment"
        );
        if !in_step
            || !principal.may(Permission::ReadPeople)
            || self
                .may_act(principal, case, CaseAction::CompleteHolistic)
                .is_err()
        {
            return Ok(Vec::new());
        }
        let today = local_date(Utc::now());
        Ok(self
            .household_of(principal, case)
            .await?
            .into_iter()
            .map(|p| AssessedPerson {
                id: p.person_id,
                age: p.birth_date.and_then(|b| today.years_since(b)),
                name: Some(p.name()),
                birth_date: p.birth_date,
                respondent: p.person_id == case.person_id,
            })
            .collect())
    }

    /// A draft the principal may change now, at `version`.
    async fn draft_for_write(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
    ) -> StoreResult<Loaded> {
        let loaded = self.load_assessment(principal, id).await?;
        self.may_act(principal, &loaded.case, CaseAction::CompleteHolistic)?;
        if loaded.row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: loaded.row.version,
            });
        }
        if loaded.status != AssessmentStatus::Draft {
            return Err(StoreError::invalid(
                "assessment",
                "the assessment is completed: it is kept as it was; start a new one to assess again",
            ).saying("store-assessment-completed", vec![]));
        }
        check_step(kind_of(&loaded.row)?, &loaded.case)?;
        Ok(loaded)
    }

    /// Saves answers to a draft (and, if given, who is assessed), if nobody saved it since `version`.
    /// Each answer is checked against the assessment's own instrument version and person; a refusal
    /// names the item and the person, and nothing is written.
    pub async fn save_assessment(
        &self,
        principal: &Principal,
        id: Uuid,
        save: AssessmentSave,
    ) -> StoreResult<AssessmentRecord> {
        let mut loaded = self.draft_for_write(principal, id, save.version).await?;
        if save.answers.len() > MAX_ANSWERS_PER_SAVE {
            return Err(StoreError::invalid(
                "answers",
                format!("at most {MAX_ANSWERS_PER_SAVE} answers in one save"),
            ));
        }
        let new_persons = match &save.persons {
            Some(ids) => Some(
                self.chosen_persons(principal, &loaded.case, &loaded.instrument, ids)
                    .await?,
            ),
            None => None,
        };
        if let Some(persons) = &new_persons {
            let started = local_date(loaded.row.started_at);
            loaded.subjects = persons
                .iter()
                .map(|p| {
                    Subject::new(
                        p.person_id,
                        p.person_id == loaded.case.person_id,
                        p.birth_date,
                        started,
                    )
                })
                .collect();
            loaded.persons = persons.clone();
        }
        let instrument = &loaded.instrument;
        // (row, person, item, need, coded answer, sealed text, sealed strengths, sealed own words)
        type Write = (
            Uuid,
            Uuid,
            String,
            Option<i32>,
            Option<String>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let mut writes: Vec<Write> = Vec::with_capacity(save.answers.len());
        for (n, a) in save.answers.iter().enumerate() {
            let field = format!("answers[{n}]");
            let Some(subject) = loaded.subjects.iter().find(|s| s.id == a.person) else {
                return Err(StoreError::invalid(
                    &field,
                    format!(
                        "item '{}': {} is not among the people of this assessment",
                        a.item, a.person
                    ),
                ));
            };
            let name = loaded.name_of(a.person);
            if instrument.item(&a.item).is_none() {
                return Err(StoreError::invalid(
                    &field,
                    format!(
                        "item '{}' for {name}: there is no such item in instrument '{}' version {}",
                        a.item, instrument.code, instrument.version
                    ),
                ));
            }
            let raw = a.value.as_ref().map(RawAnswer::as_form).unwrap_or_default();
            let value = if raw.trim().is_empty() {
                None
            } else {
                Some(
                    rules::parse_answer(instrument, subject, &a.item, &raw).map_err(|e| {
                        StoreError::invalid(
                            &field,
                            format!("item '{}' for {name}: {}", e.item, e.message),
                        )
                    })?,
                )
            };
            let strengths = note(instrument, &a.item, "strengths", a.strengths.as_deref())
                .map_err(|m| {
                    StoreError::invalid(&field, format!("item '{}' for {name}: {m}", a.item))
                })?;
            let own_words = note(
                instrument,
                &a.item,
                "the person's own words",
                a.own_words.as_deref(),
            )
            .map_err(|m| {
                StoreError::invalid(&field, format!("item '{}' for {name}: {m}", a.item))
            })?;
            let (need, answer, text) = match &value {
                None => (None, None, None),
                Some(AnswerValue::Need(n)) => (Some(i32::from(n.code())), None, None),
                Some(AnswerValue::Text(t)) => (None, None, Some(t.clone())),
                Some(AnswerValue::YesNo(b)) => {
                    (None, Some(if *b { "yes" } else { "no" }.to_owned()), None)
                }
                Some(AnswerValue::Scale(s)) => (None, Some(s.to_string()), None),
                Some(AnswerValue::Wg(w)) => (None, Some(w.code().to_string()), None),
            };
            let row = Uuid::now_v7();
            let seal = |column: &str, t: Option<&str>| {
                self.seal_text("case text", t, &context(column, row))
            };
            writes.push((
                row,
                a.person,
                a.item.clone(),
                need,
                answer,
                seal("text", text.as_deref())?,
                seal("strengths", strengths.as_deref())?,
                seal("own_words", own_words.as_deref())?,
            ));
        }
        let now = Utc::now();
        let version = save.version;
        let case_id = loaded.row.case_id;
        let event = AuditEvent::on("assessment.save", "case", case_id).with_detail(format!(
            "assessment {id}: {} answer(s){}",
            writes.len(),
            if new_persons.is_some() {
                ", people changed"
            } else {
                ""
            }
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let updated = sqlx::query("UPDATE assessments SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'")
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            if let Some(persons) = &new_persons {
                sqlx::query("DELETE FROM assessment_persons WHERE assessment_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for (position, p) in persons.iter().enumerate() {
                    sqlx::query("INSERT INTO assessment_persons (assessment_id, person_id, position) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(p.person_id)
                        .bind(position as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(MARK_NAMED_IN_CASE).bind(case_id).execute(&mut *tx).await?;
                // The answers of people no longer assessed go with them.
                let kept: Vec<Uuid> = persons.iter().map(|p| p.person_id).collect();
                let recorded: Vec<(Uuid,)> = sqlx::query_as("SELECT DISTINCT person_id FROM assessment_items WHERE assessment_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                for (person,) in recorded.into_iter().filter(|(p,)| !kept.contains(p)) {
                    sqlx::query("DELETE FROM assessment_items WHERE assessment_id = $1 AND person_id = $2")
                        .bind(id)
                        .bind(person)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (row, person, item, need, answer, text, strengths, own_words) in &writes {
                sqlx::query("DELETE FROM assessment_items WHERE assessment_id = $1 AND person_id = $2 AND item = $3")
                    .bind(id)
                    .bind(person)
                    .bind(item)
                    .execute(&mut *tx)
                    .await?;
                let empty = need.is_none() && answer.is_none() && text.is_none()
                    && strengths.is_none() && own_words.is_none();
                if empty {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO assessment_items (assessment_id, person_id, item, need, answer, text_sealed,
                        strengths_sealed, own_words_sealed, row_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(person)
                .bind(item)
                .bind(need)
                .bind(answer.as_deref())
                .bind(text.as_deref())
                .bind(strengths.as_deref())
                .bind(own_words.as_deref())
                .bind(row)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        let loaded = self.load_assessment(principal, id).await?;
        self.assessment_record(&loaded)
    }

    /// Completes a draft read at `version`: every required answer of every person must be given and
    /// fit the assessment's instrument version (a refusal names the item and the person). The
    /// Washington Group answers are written to each person's record (an audited person change).
    pub async fn complete_assessment(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
    ) -> StoreResult<AssessmentRecord> {
        let loaded = self.draft_for_write(principal, id, version).await?;
        let instrument = &loaded.instrument;
        let (answers, problems) = loaded.answers();
        if let Some(first) = problems.first() {
            return Err(StoreError::invalid(
                "answers",
                format!(
                    "{first}{}",
                    if problems.len() > 1 {
                        format!(" (and {} more)", problems.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        let missing = rules::missing(instrument, &loaded.subjects, &answers);
        if !missing.is_empty() {
            let named: Vec<String> = missing
                .iter()
                .take(5)
                .map(|m| {
                    format!(
                        "item '{}' ({}) for {}",
                        m.item.code,
                        m.domain.title.en,
                        loaded.name_of(m.person)
                    )
                })
                .collect();
            return Err(StoreError::invalid(
                "answers",
                format!(
                    "{} required answer(s) missing: {}{}",
                    missing.len(),
                    named.join("; "),
                    if missing.len() > named.len() {
                        "; …"
                    } else {
                        ""
                    }
                ),
            ));
        }
        require(principal, Permission::WritePeople)?;
        let proposal = rules::proposed_priority(instrument, &answers);
        let risk = !rules::critical_reasons(instrument, &answers).is_empty();
        let respondent = answers.get(&loaded.case.person_id);
        let yes = |code: &str| match respondent.and_then(|a| a.get(code)) {
            Some(AnswerValue::YesNo(b)) => Some(*b),
            _ => None,
        };
        let initial = instrument.kind == InstrumentKind::Initial;
        let consents = [
            yes("consent_assessment"),
            yes("consent_recording"),
            yes("consent_sharing"),
        ];
        let wg: Vec<(Uuid, [Option<i16>; 6])> = answers
            .iter()
            .map(|(person, a)| {
                (
                    *person,
                    wg_answers(a)
                        .as_array()
                        .map(|x| x.map(|x| i16::from(x.code()))),
                )
            })
            .filter(|(_, wg)| wg.iter().any(Option::is_some))
            .collect();
        let now = Utc::now();
        let case_id = loaded.row.case_id;
        let event = AuditEvent::on("assessment.complete", "case", case_id).with_detail(format!(
            "assessment {id}: {} v{}",
            instrument.code, instrument.version
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let updated = sqlx::query(
                "UPDATE assessments SET status = 'completed', completed_at = $1, updated_at = $1,
                    version = version + 1, priority = $2, immediate_risk = $3, consent_assessment = $4,
                    consent_recording = $5, consent_sharing = $6
                 WHERE id = $7 AND version = $8 AND status = 'draft'",
            )
            .bind(now)
            .bind(proposal.map(Priority::as_str))
            .bind(initial.then_some(risk))
            .bind(consents[0])
            .bind(consents[1])
            .bind(consents[2])
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            // The Washington Group answers go to the person's record: an answered domain replaces
            // the one recorded, an unanswered one keeps it; disability follows the WG cut-off.
            for (person, answered) in &wg {
                type WgRow = (Option<i16>, Option<i16>, Option<i16>, Option<i16>, Option<i16>, Option<i16>);
                let current: WgRow = sqlx::query_as(
                    "SELECT wg_seeing, wg_hearing, wg_walking, wg_cognition, wg_selfcare, wg_communication
                     FROM persons WHERE id = $1",
                )
                .bind(person)
                .fetch_one(&mut *tx)
                .await?;
                let before = [current.0, current.1, current.2, current.3, current.4, current.5];
                let mut after = before;
                for (slot, new) in after.iter_mut().zip(answered) {
                    if new.is_some() {
                        *slot = *new;
                    }
                }
                if after == before {
                    continue;
                }
                // The WG cut-off, as for every person record.
                let disability = WgAnswers::from_array(after.map(|a| {
                    a.and_then(|v| u8::try_from(v).ok())
                        .and_then(|v| WgAnswer::try_from(v).ok())
                }))
                .has_disability();
                append_audit!(self, tx, principal, AuditEvent::on("person.update", "person", person)
                    .with_detail(format!("Washington Group answers from assessment {id}")));
                sqlx::query(
                    "UPDATE persons SET wg_seeing = $1, wg_hearing = $2, wg_walking = $3, wg_cognition = $4,
                        wg_selfcare = $5, wg_communication = $6, disability = $7, version = version + 1,
                        updated_at = $8
                     WHERE id = $9",
                )
                .bind(after[0])
                .bind(after[1])
                .bind(after[2])
                .bind(after[3])
                .bind(after[4])
                .bind(after[5])
                .bind(disability)
                .bind(now)
                .bind(person)
                .execute(&mut *tx)
                .await?;
            }
            insert_event!(tx, case_id, principal, "assessment_completed", None::<CaseStatus>, None::<CaseStatus>, None::<&str>, None::<&str>, Some(instrument.code.as_str()), now);
            tx.commit().await?;
        });
        let loaded = self.load_assessment(principal, id).await?;
        self.assessment_record(&loaded)
    }

    /// The priority the case's latest completed initial assessment proposes: the screening's default.
    pub(super) async fn screening_proposal(&self, case_id: Uuid) -> StoreResult<Option<Priority>> {
        let row: Option<(Option<String>,)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT priority FROM assessments WHERE case_id = $1 AND kind = 'initial' AND status = 'completed'
                 ORDER BY completed_at DESC LIMIT 1",
            )
            .bind(case_id)
            .fetch_optional(pool)
            .await?
        });
        parse_opt("assessment priority", row.and_then(|(p,)| p).as_deref())
    }
}
