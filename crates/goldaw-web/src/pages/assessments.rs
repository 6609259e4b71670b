//! Assessment pages: the form generated from the instrument version the assessment was started
//! with (one domain after another, each step saved as a draft, large touch targets for a tablet in
//! a home visit), the check-and-complete step, the read view, and the case page's section
//! (`templates/case_assessments.html`: the list, the start forms, the screening's proposal and the
//! needs the plan answers).
//!
//! Questions and answer labels come from the instrument data in the page's language; everything
//! else from `i18n/*/assessments.ftl`. The store checks permission, scope, versions and answers
//! again: the page only decides what to offer.

use super::common::{after, refusal};
use super::common::{render, server_error};
use super::extract::{see_other, Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::PageResult;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::assessments::{self as rules, Subject};
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::instruments::{AnswerKind, AnswerOption, AnswerValue, Instrument, InstrumentKind};
use goldaw_store::cases::{
    AnswerInput, AssessedPerson, AssessmentRecord, AssessmentSave, AssessmentStatus,
    AssessmentSummary, CaseRecord, NewAssessment, RawAnswer,
};
use goldaw_store::StoreError;
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/assessments", post(start))
        .route("/assessments/{id}", get(page).post(save))
        .route("/assessments/{id}/complete", post(complete))
}

fn option_label(o: &AnswerOption, lang: &str) -> &'static str {
    match lang {
        "ru" => o.ru,
        "en" => o.en,
        _ => o.tk,
    }
}

/// The need level's label in the page's language ("3 — ýokary").
fn need_label(need: u8, lang: &str) -> String {
    AnswerKind::Need
        .options()
        .iter()
        .find(|o| o.value == need.to_string())
        .map_or_else(|| need.to_string(), |o| option_label(o, lang).to_owned())
}

/// An answer as a person reads it, in the page's language.
fn answer_text(value: &AnswerValue, kind: AnswerKind, lang: &str) -> String {
    let raw = form_value(value);
    kind.options()
        .iter()
        .find(|o| o.value == raw)
        .map_or(raw, |o| option_label(o, lang).to_owned())
}

/// An answer as the form sends it back.
fn form_value(value: &AnswerValue) -> String {
    match value {
        AnswerValue::Need(n) => n.code().to_string(),
        AnswerValue::YesNo(true) => "yes".to_owned(),
        AnswerValue::YesNo(false) => "no".to_owned(),
        AnswerValue::Scale(s) => s.to_string(),
        AnswerValue::Wg(w) => w.code().to_string(),
        AnswerValue::Text(t) => t.clone(),
    }
}

/// A person's name and age for headings (empty for someone not in the assessment).
fn person_label(t: &Translator, record: &AssessmentRecord, person: Uuid) -> String {
    if !record.persons.iter().any(|p| p.id == person) {
        return String::new();
    }
    label_of(t, &record.persons, person, record.sensitive)
}

fn subjects(record: &AssessmentRecord) -> Vec<Subject> {
    record
        .persons
        .iter()
        .map(|p| Subject {
            id: p.id,
            respondent: p.respondent,
            age: p.age,
        })
        .collect()
}

/// The instrument's title with its version, in the page's language.
fn instrument_title(t: &Translator, instrument: &Instrument) -> String {
    t.t_with(
        "assessment-instrument-version",
        &[
            ("name", instrument.title.get(t.lang()).to_owned().into()),
            ("number", instrument.version.to_string().into()),
        ],
    )
}

fn back_text(t: &Translator, case: &CaseRecord) -> String {
    t.t_with(
        "assessment-back-to-case",
        &[("number", case.number.clone().into())],
    )
}

/// Whether the principal may work on the case's assessments now (the store checks again): the one
/// rule of case work (`goldaw_core::workflow::case_work`), on a case that is not closed.
fn may_work(signed: &Signed, case: &CaseRecord) -> bool {
    case.status != CaseStatus::Closed
        && crate::pages::common::case_work(signed.principal(), case).may_work()
}

fn step_of(kind: InstrumentKind) -> Option<CaseStatus> {
    match kind {
        InstrumentKind::Initial => Some(CaseStatus::InitialAssessment),
        InstrumentKind::Holistic => Some(CaseStatus::HolisticAssessment),
        InstrumentKind::Review => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The case page's section.

pub(super) struct AssessmentLine {
    pub(super) id: Uuid,
    pub(super) title: String,
    pub(super) status: String,
    pub(super) draft: bool,
    pub(super) when: String,
}

pub(super) struct PersonChoice {
    pub(super) index: usize,
    pub(super) id: Uuid,
    pub(super) label: String,
    pub(super) respondent: bool,
}

pub(super) struct StartForm {
    pub(super) code: String,
    pub(super) label: String,
    /// The case's person answers the household questions: always included.
    pub(super) household: bool,
}

/// What `case_assessments.html` shows on the case page.
#[derive(Default)]
pub(super) struct CaseAssessments {
    /// The reader may see assessments at all (not the hotline).
    pub(super) shown: bool,
    pub(super) lines: Vec<AssessmentLine>,
    pub(super) starts: Vec<StartForm>,
    pub(super) persons: Vec<PersonChoice>,
    pub(super) hint: Option<String>,
    /// The screening's default, proposed by the completed initial assessment.
    pub(super) proposed: Option<Priority>,
    pub(super) proposal: Option<String>,
    pub(super) needs: Vec<String>,
}

/// A person's name and age from a list of assessed people ("Aýna Saparowa, 35 years"). On a
/// sensitive case the names are hidden even from a reader allowed to see them
/// (`goldaw_core::safety::name_on_page`): "Person 2 (name hidden), 8 years"; the case page's
/// "Show the name" shows them, audited.
fn label_of(t: &Translator, people: &[AssessedPerson], id: Uuid, sensitive: bool) -> String {
    use goldaw_core::safety::{name_on_page, NameOnPage};
    let Some((index, person)) = people.iter().enumerate().find(|(_, p)| p.id == id) else {
        return t.t("restricted-name");
    };
    let name = match (name_on_page(sensitive, person.name.is_some()), &person.name) {
        (NameOnPage::Shown, Some(name)) => name.clone(),
        (NameOnPage::Hidden, _) => {
            t.t_with("names-hidden-member", &[("number", (index + 1).into())])
        }
        _ => return t.t("restricted-name"),
    };
    match person.age {
        Some(age) => t.t_with(
            "assessment-person-age",
            &[("name", name.into()), ("count", age.into())],
        ),
        None => name,
    }
}

/// The section's content for `case`, from the case file (no store call: the case page is one
/// read and one audit event).
pub(super) fn for_case(
    state: &AppState,
    signed: &Signed,
    case: &CaseRecord,
    list: &[AssessmentSummary],
    assessable: &[AssessedPerson],
) -> CaseAssessments {
    let p = signed.principal();
    let t = &signed.t;
    if !p.may(Permission::ReadPeople) {
        return CaseAssessments::default();
    }
    let held = state.store.instruments();
    let title_of = |code: &str, version: u32| {
        held.get(code, version)
            .map_or_else(|| format!("{code} {version}"), |i| instrument_title(t, i))
    };
    let mut out = CaseAssessments {
        shown: true,
        lines: list
            .iter()
            .map(|a| AssessmentLine {
                id: a.id,
                title: title_of(&a.instrument_code, a.instrument_version),
                status: t.t(&format!("assessment-status-{}", a.status.as_str())),
                draft: a.status == AssessmentStatus::Draft,
                when: super::common::local_time(a.completed_at.unwrap_or(a.started_at)),
            })
            .collect(),
        ..CaseAssessments::default()
    };
    let step_kind = match case.status {
        CaseStatus::InitialAssessment => Some(InstrumentKind::Initial),
        CaseStatus::HolisticAssessment => Some(InstrumentKind::Holistic),
        _ => None,
    };
    if let Some(kind) = step_kind {
        if may_work(signed, case) && !assessable.is_empty() {
            for i in held.current().into_iter().filter(|i| i.kind == kind) {
                let drafting = list
                    .iter()
                    .any(|a| a.instrument_code == i.code && a.status == AssessmentStatus::Draft);
                if !drafting {
                    out.starts.push(StartForm {
                        code: i.code.clone(),
                        label: t.t_with(
                            "assessment-start",
                            &[("name", i.title.get(t.lang()).to_owned().into())],
                        ),
                        household: i.applies_to == goldaw_core::instruments::AppliesTo::Household,
                    });
                }
            }
            out.persons = assessable
                .iter()
                .enumerate()
                .map(|(index, person)| PersonChoice {
                    index,
                    id: person.id,
                    label: label_of(t, assessable, person.id, case.sensitive),
                    respondent: person.respondent,
                })
                .collect();
        }
        // Why the screening or the holistic step cannot be concluded yet.
        let done = list
            .iter()
            .any(|a| a.kind == kind && a.status == AssessmentStatus::Completed);
        if !done {
            out.hint = Some(t.t(match kind {
                InstrumentKind::Initial => "assessment-hint-initial",
                _ => "assessment-hint-holistic",
            }));
        }
    }
    // The screening's default: what the latest completed initial assessment proposes, with why.
    if case.status == CaseStatus::InitialAssessment && !case.restricted {
        if let Some(latest) = list
            .iter()
            .find(|a| a.kind == InstrumentKind::Initial && a.status == AssessmentStatus::Completed)
        {
            out.proposed = latest.proposed_priority;
            if let Some(priority) = latest.proposed_priority {
                let reasons: Vec<String> = held
                    .get(&latest.instrument_code, latest.instrument_version)
                    .map(|i| {
                        latest
                            .critical_reasons
                            .iter()
                            .filter_map(|code| i.item(code))
                            .map(|item| item.text.get(t.lang()).to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                out.proposal = Some(t.t_with(
                    "assessment-proposal",
                    &[
                        ("name", t.t(&format!("priority-{priority}")).into()),
                        ("detail", reasons.join(" · ").into()),
                    ],
                ));
            }
        }
    }
    // The needs the plan answers: the domains rated moderate or high in the holistic assessments
    // completed since the case was (re)opened.
    if matches!(
        case.status,
        CaseStatus::SupportPlan | CaseStatus::Active | CaseStatus::Monitoring
    ) && !case.restricted
    {
        let since = case.reopened_at.or(case.referred_at);
        for a in list.iter().filter(|a| {
            a.kind == InstrumentKind::Holistic
                && a.status == AssessmentStatus::Completed
                && since.is_none_or(|s| a.completed_at.is_some_and(|c| c >= s))
        }) {
            let Some(instrument) = held.get(&a.instrument_code, a.instrument_version) else {
                continue;
            };
            for d in a.domain_needs.iter().filter(|d| d.need.code() >= 2) {
                let domain = instrument
                    .domain(&d.domain)
                    .map_or_else(|| d.domain.clone(), |x| x.title.get(t.lang()).to_owned());
                out.needs.push(t.t_with(
                    "assessment-need-line",
                    &[
                        ("name", domain.into()),
                        (
                            "detail",
                            label_of(t, &a.persons, d.person, case.sensitive).into(),
                        ),
                        ("status", need_label(d.need.code(), t.lang()).into()),
                    ],
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Starting an assessment.

/// The start form: `instrument`, and `person-<n>` = a person's id for each person included.
async fn start(
    State(state): State<AppState>,
    Path(case_id): Path<Uuid>,
    posted: Posted<HashMap<String, String>>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Some(instrument) = form.get("instrument").cloned() else {
        return Ok(signed.unreadable_form());
    };
    let mut chosen: Vec<(usize, Uuid)> = Vec::new();
    for (k, v) in &form {
        let Some(n) = k.strip_prefix("person-") else {
            continue;
        };
        let (Ok(n), Ok(id)) = (n.parse::<usize>(), v.parse::<Uuid>()) else {
            return Ok(signed.unreadable_form());
        };
        chosen.push((n, id));
    }
    chosen.sort();
    let new = NewAssessment {
        instrument,
        persons: chosen.into_iter().map(|(_, id)| id).collect(),
    };
    Ok(
        match state
            .store
            .start_assessment(signed.principal(), case_id, new)
            .await
        {
            Ok(a) => see_other(&format!("/assessments/{}", a.id)),
            Err(e) => refusal(&signed, e),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The form, one domain after another.

struct StepLink {
    index: usize,
    title: String,
    current: bool,
    missing: usize,
}

struct Opt {
    value: String,
    label: String,
    checked: bool,
}

/// One person's answer to one question.
struct Row {
    person: String,
    field: String,
    /// Unique in the page: the radio and label ids start with it.
    dom: String,
    options: Vec<Opt>,
    text: String,
    notes: bool,
    strengths_field: String,
    own_words_field: String,
    strengths: String,
    own_words: String,
    missing: bool,
}

struct Question {
    code: String,
    text: String,
    kind: &'static str,
    rows: Vec<Row>,
}

struct MissingLine {
    text: String,
    step: usize,
}

#[derive(Template)]
#[template(path = "assessment_form.html")]
struct FormPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    case_id: Uuid,
    back: String,
    title: String,
    version: i32,
    steps: Vec<StepLink>,
    step: usize,
    check_step: usize,
    position: String,
    domain_title: String,
    intro: String,
    questions: Vec<Question>,
    missing: Vec<MissingLine>,
    missing_text: String,
    error: Option<String>,
}

fn kind_name(kind: AnswerKind) -> &'static str {
    match kind {
        AnswerKind::Need => "need",
        AnswerKind::YesNo => "yes_no",
        AnswerKind::Scale0To10 => "scale",
        AnswerKind::Text => "text",
        AnswerKind::Wg => "wg",
    }
}

fn field(prefix: char, person: Uuid, item: &str) -> String {
    format!("{prefix}:{person}:{item}")
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    signed: &Signed,
    record: &AssessmentRecord,
    case: &CaseRecord,
    instrument: &Instrument,
    step: usize,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = &signed.t;
    let lang = t.lang();
    let check_step = instrument.domains.len();
    let step = step.min(check_step);
    let subjects = subjects(record);
    let steps = instrument
        .domains
        .iter()
        .enumerate()
        .map(|(index, d)| StepLink {
            index,
            title: d.title.get(lang).to_owned(),
            current: index == step,
            missing: record.missing.iter().filter(|m| m.domain == d.code).count(),
        })
        .collect();
    let answer_of = |person: Uuid, item: &str| {
        record
            .answers
            .iter()
            .find(|a| a.person == person && a.item == item)
    };
    let mut questions = Vec::new();
    let (domain_title, intro) = match instrument.domains.get(step) {
        Some(domain) => {
            for item in &domain.items {
                let rows: Vec<Row> = subjects
                    .iter()
                    .filter(|s| rules::asks(instrument, item, s))
                    .map(|s| {
                        let given = answer_of(s.id, &item.code);
                        let current = given
                            .and_then(|a| a.value.as_ref())
                            .map(form_value)
                            .unwrap_or_default();
                        let options: Vec<Opt> = match item.answer {
                            AnswerKind::Scale0To10 => (0..=10)
                                .map(|n| Opt {
                                    value: n.to_string(),
                                    label: n.to_string(),
                                    checked: current == n.to_string(),
                                })
                                .collect(),
                            kind => kind
                                .options()
                                .iter()
                                .map(|o| Opt {
                                    value: o.value.to_owned(),
                                    label: option_label(o, lang).to_owned(),
                                    checked: current == o.value,
                                })
                                .collect(),
                        };
                        Row {
                            person: person_label(t, record, s.id),
                            field: field('a', s.id, &item.code),
                            dom: format!("{}-{}", item.code, s.id),
                            options,
                            text: if item.answer == AnswerKind::Text {
                                current.clone()
                            } else {
                                String::new()
                            },
                            notes: item.answer.takes_notes(),
                            strengths_field: field('s', s.id, &item.code),
                            own_words_field: field('w', s.id, &item.code),
                            strengths: given.and_then(|a| a.strengths.clone()).unwrap_or_default(),
                            own_words: given.and_then(|a| a.own_words.clone()).unwrap_or_default(),
                            missing: record
                                .missing
                                .iter()
                                .any(|m| m.person == s.id && m.item == item.code),
                        }
                    })
                    .collect();
                let mut rows = rows;
                if rows.is_empty() {
                    continue;
                }
                // One person answers: no need to say who.
                if rows.len() == 1 {
                    rows[0].person.clear();
                }
                questions.push(Question {
                    code: item.code.clone(),
                    text: item.text.get(lang).to_owned(),
                    kind: kind_name(item.answer),
                    rows,
                });
            }
            (
                domain.title.get(lang).to_owned(),
                domain
                    .intro
                    .as_ref()
                    .map(|i| i.get(lang).to_owned())
                    .unwrap_or_default(),
            )
        }
        None => (t.t("assessment-check"), String::new()),
    };
    let missing = record
        .missing
        .iter()
        .map(|m| MissingLine {
            text: t.t_with(
                "assessment-missing-line",
                &[
                    (
                        "name",
                        instrument
                            .item(&m.item)
                            .map_or_else(|| m.item.clone(), |i| i.text.get(lang).to_owned())
                            .into(),
                    ),
                    ("detail", person_label(t, record, m.person).into()),
                ],
            ),
            step: instrument
                .domains
                .iter()
                .position(|d| d.code == m.domain)
                .unwrap_or(0),
        })
        .collect();
    let mut r = render(FormPage {
        user: signed.user(),
        id: record.id,
        case_id: case.id,
        back: back_text(t, case),
        title: instrument_title(t, instrument),
        version: record.version,
        steps,
        step,
        check_step,
        position: t.t_with(
            "assessment-position",
            &[
                ("number", (step + 1).to_string().into()),
                ("count", (check_step + 1).into()),
            ],
        ),
        domain_title,
        intro,
        questions,
        missing_text: t.t_with(
            "assessment-missing-count",
            &[("count", record.missing.len().into())],
        ),
        missing,
        error,
        t: t.clone_lang(),
    });
    *r.status_mut() = status;
    r
}

// ---------------------------------------------------------------------------------------------
// The read view.

struct ReadRow {
    question: String,
    person: String,
    answer: String,
    strengths: String,
    own_words: String,
}

struct ReadDomain {
    title: String,
    rows: Vec<ReadRow>,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct ReadPage {
    t: Translator,
    user: Option<UserView>,
    case_id: Uuid,
    back: String,
    title: String,
    status: String,
    author: String,
    started: String,
    completed: String,
    persons: Vec<String>,
    restricted: bool,
    proposal: String,
    domains: Vec<ReadDomain>,
}

fn read_page(
    signed: &Signed,
    record: &AssessmentRecord,
    case: &CaseRecord,
    instrument: &Instrument,
) -> Response {
    let t = &signed.t;
    let lang = t.lang();
    let domains = instrument
        .domains
        .iter()
        .map(|d| ReadDomain {
            title: d.title.get(lang).to_owned(),
            rows: d
                .items
                .iter()
                .flat_map(|item| {
                    record
                        .answers
                        .iter()
                        .filter(move |a| a.item == item.code)
                        .map(move |a| ReadRow {
                            question: item.text.get(lang).to_owned(),
                            person: person_label(t, record, a.person),
                            answer: a.value.as_ref().map_or_else(
                                || t.t("assessment-not-answered"),
                                |v| answer_text(v, item.answer, lang),
                            ),
                            strengths: a.strengths.clone().unwrap_or_default(),
                            own_words: a.own_words.clone().unwrap_or_default(),
                        })
                })
                .collect(),
        })
        .filter(|d| !d.rows.is_empty())
        .collect();
    render(ReadPage {
        user: signed.user(),
        case_id: case.id,
        back: back_text(t, case),
        title: instrument_title(t, instrument),
        status: t.t(&format!("assessment-status-{}", record.status.as_str())),
        author: record.author.clone(),
        started: super::common::local_time(record.started_at),
        completed: record
            .completed_at
            .map(super::common::local_time)
            .unwrap_or_default(),
        persons: record
            .persons
            .iter()
            .map(|p| person_label(t, record, p.id))
            .collect(),
        restricted: record.restricted,
        proposal: record
            .proposed_priority
            .map(|p| t.t(&format!("priority-{p}")))
            .unwrap_or_default(),
        domains,
        t: t.clone_lang(),
    })
}

/// The assessment, its case and its instrument version, for a page.
async fn load(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
) -> Result<(AssessmentRecord, CaseRecord, Instrument), Response> {
    let p = signed.principal();
    let record = state
        .store
        .assessment(p, id)
        .await
        .map_err(|e| refusal(signed, e))?;
    let case = state
        .store
        .case(p, record.case_id)
        .await
        .map_err(|e| refusal(signed, e))?;
    let instrument = state
        .store
        .instruments()
        .get(&record.instrument_code, record.instrument_version)
        .cloned()
        .ok_or_else(|| {
            server_error(StoreError::Corrupt(format!(
                "instrument '{}' version {} missing",
                record.instrument_code, record.instrument_version
            )))
        })?;
    Ok((record, case, instrument))
}

/// Whether the reader works on this draft now: the form; otherwise the read view.
fn editable(signed: &Signed, record: &AssessmentRecord, case: &CaseRecord) -> bool {
    record.status == AssessmentStatus::Draft
        && !record.restricted
        && step_of(record.kind) == Some(case.status)
        && may_work(signed, case)
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    // A query that cannot be read opens the first step.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    signed.require(Permission::ReadPeople)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let (record, case, instrument) = match load(&state, &signed, id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    Ok(if editable(&signed, &record, &case) {
        let step = query
            .get("step")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0);
        form_page(
            &signed,
            &record,
            &case,
            &instrument,
            step,
            None,
            StatusCode::OK,
        )
    } else {
        read_page(&signed, &record, &case, &instrument)
    })
}

/// Saves the answers of the step shown (every person and item of its domain: a blank clears), then
/// goes where the button said: `go` = `next`, `previous`, `stay` or a step's number.
async fn save(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<HashMap<String, String>>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let number = |k: &str| form.get(k).and_then(|v| v.trim().parse::<usize>().ok());
    let (Some(version), Some(step)) = (
        form.get("version").and_then(|v| v.parse::<i32>().ok()),
        number("step"),
    ) else {
        return Ok(signed.unreadable_form());
    };
    let target = match form.get("go").map(String::as_str) {
        Some("next") => step + 1,
        Some("previous") => step.saturating_sub(1),
        Some(n) => n.parse().unwrap_or(step),
        None => step,
    };
    let (record, _, instrument) = match load(&state, &signed, id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let mut answers = Vec::new();
    if let Some(domain) = instrument.domains.get(step) {
        let subjects = subjects(&record);
        for item in &domain.items {
            for s in subjects
                .iter()
                .filter(|s| rules::asks(&instrument, item, s))
            {
                let text = |prefix: char| {
                    form.get(&field(prefix, s.id, &item.code))
                        .filter(|v| !v.trim().is_empty())
                        .cloned()
                };
                answers.push(AnswerInput {
                    person: s.id,
                    item: item.code.clone(),
                    value: text('a').map(RawAnswer::Text),
                    strengths: text('s'),
                    own_words: text('w'),
                });
            }
        }
    }
    Ok(after(
        &signed,
        state
            .store
            .save_assessment(
                signed.principal(),
                id,
                AssessmentSave {
                    version,
                    answers,
                    persons: None,
                },
            )
            .await,
        format!("/assessments/{id}?step={target}"),
    ))
}

/// Completes the assessment; while answers are missing, the check step lists them (422).
async fn complete(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<HashMap<String, String>>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Some(version) = form.get("version").and_then(|v| v.parse::<i32>().ok()) else {
        return Ok(signed.unreadable_form());
    };
    Ok(
        match state
            .store
            .complete_assessment(signed.principal(), id, version)
            .await
        {
            Ok(a) => see_other(&format!("/cases/{}#assessments", a.case_id)),
            Err(StoreError::Invalid { field, .. }) if field == "answers" => {
                let (record, case, instrument) = match load(&state, &signed, id).await {
                    Ok(x) => x,
                    Err(r) => return Ok(r),
                };
                let error = Some(signed.t.t("assessment-incomplete"));
                form_page(
                    &signed,
                    &record,
                    &case,
                    &instrument,
                    instrument.domains.len(),
                    error,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Err(e) => refusal(&signed, e),
        },
    )
}
