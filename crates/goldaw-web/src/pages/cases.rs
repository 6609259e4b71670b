//! Case pages: the list, intake of a referral (with the duplicate check), the case page with its
//! actions, allocation and notes, the task list and the caseload against the norm.
//!
//! Every handler starts from `Signed`/`Posted` and asks the store, which checks permission and
//! scope again and audits the access: the page checks only decide what to offer.

use super::extract::{message_page_text, see_other, Posted, Signed};
use super::i18n::Translator;
use super::{render, server_error, unit_name, UserView};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Permission;
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role, Sex};
use goldaw_core::deadlines::{Due, LOCAL_OFFSET};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::people::PersonData;
use goldaw_core::workflow::{CaseAction, ClosureReason};
use goldaw_store::cases::{
    ActionInput, ActionRequest, Candidate, CaseQuery, GoalInput, GoalRating, GoalReviewInput,
    NewReferral, NoteKind, PlanInput, ReviewInput, ReviewKind, TaskKind,
};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(case_list))
        .route("/cases/new", get(intake_form).post(intake))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/action", post(case_action))
        .route("/cases/{id}/allocate", post(allocate))
        .route("/cases/{id}/notes", post(add_note))
        .route("/cases/{id}/plan", post(save_plan))
        .route("/cases/{id}/plan/agreement", post(plan_agreement))
        .route("/cases/{id}/plan/submit", post(plan_submit))
        .route("/cases/{id}/reviews", post(add_review))
        .route("/tasks", get(tasks))
        .route("/caseload", get(caseload))
}

/// A local date and time as a person in Turkmenistan reads it.
pub(super) fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&LOCAL_OFFSET)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn due_text(t: &Translator, due: &Due) -> String {
    t.t_with(
        if due.overdue { "due-overdue" } else { "due-by" },
        &[
            ("step", t.t(&format!("step-{}", due.step)).into()),
            ("date", local_time(due.due_at).into()),
        ],
    )
}

/// A store refusal as a page in the person's language.
pub(super) fn refusal(signed: &Signed, e: StoreError) -> Response {
    let t = &signed.t;
    let (status, text) = match e {
        StoreError::NotFound => return signed.not_found(),
        StoreError::Forbidden(_) => (StatusCode::FORBIDDEN, t.t("access-denied-text")),
        StoreError::Conflict { .. } => (StatusCode::CONFLICT, t.t("conflict-text")),
        StoreError::Refused(r) => (
            StatusCode::CONFLICT,
            t.t_with(
                &format!("refusal-{}", r.code()),
                &[
                    (
                        "status",
                        match r {
                            goldaw_core::workflow::Refusal::OutOfOrder { status, .. }
                            | goldaw_core::workflow::Refusal::ReferralNotNow { status }
                            | goldaw_core::workflow::Refusal::AssessmentNotNow { status } => {
                                t.t(&format!("case-status-{status}"))
                            }
                            _ => String::new(),
                        }
                        .into(),
                    ),
                    (
                        "action",
                        match r {
                            goldaw_core::workflow::Refusal::OutOfOrder { action, .. } => {
                                t.t(&format!("action-{action}"))
                            }
                            _ => String::new(),
                        }
                        .into(),
                    ),
                ],
            ),
        ),
        StoreError::Invalid { say: Some(say), .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, t.say(&say))
        }
        StoreError::Invalid { field, message, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t_with(
                "invalid-field",
                &[("field", field.into()), ("detail", message.into())],
            ),
        ),
        other => return server_error(other),
    };
    message_page_text(t, signed.user(), status, "refused", text)
}

/// After a form's store call: back to `to` (303), or the refusal page.
pub(super) fn after<T>(signed: &Signed, result: Result<T, StoreError>, to: String) -> Response {
    match result {
        Ok(_) => see_other(&to),
        Err(e) => refusal(signed, e),
    }
}

struct CaseLine {
    id: Uuid,
    number: String,
    name: String,
    status: String,
    priority: String,
    critical: bool,
    worker: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    t: Translator,
    user: Option<UserView>,
    lines: Vec<CaseLine>,
    filter: String,
}

#[derive(Deserialize)]
struct ListFilter {
    #[serde(default)]
    show: String,
}

async fn case_list(
    State(state): State<AppState>,
    signed: Signed,
    Query(filter): Query<ListFilter>,
) -> Response {
    if let Some(r) = signed.deny_unless(Permission::ReadCases) {
        return r;
    }
    let query = CaseQuery {
        mine: filter.show == "mine",
        unallocated: filter.show == "unallocated",
        limit: 200,
        ..CaseQuery::default()
    };
    let cases = match state.store.list_cases(signed.principal(), &query).await {
        Ok(c) => c,
        Err(e) => return refusal(&signed, e),
    };
    let t = &signed.t;
    let lines = cases
        .into_iter()
        .map(|c| CaseLine {
            id: c.id,
            name: c.person_name.unwrap_or_else(|| t.t("restricted-name")),
            number: c.number,
            status: t.t(&format!("case-status-{}", c.status)),
            priority: c
                .priority
                .map(|p| t.t(&format!("priority-{p}")))
                .unwrap_or_default(),
            critical: c.priority == Some(Priority::Critical),
            worker: c.worker.unwrap_or_default(),
            due: c.next_due.map(|d| due_text(t, &d)).unwrap_or_default(),
            overdue: c.next_due.is_some_and(|d| d.overdue),
        })
        .collect();
    render(CasesPage {
        user: signed.user(),
        t: signed.t.clone_lang(),
        lines,
        filter: filter.show,
    })
}

/// An option of a select: code, label, selected.
struct Choice {
    code: String,
    label: String,
    selected: bool,
}

fn choices<'a>(items: impl IntoIterator<Item = (&'a str, String)>, selected: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(code, label)| Choice {
            selected: code == selected,
            code: code.to_owned(),
            label,
        })
        .collect()
}

/// The etraps (and city boroughs) where the principal may register a referral.
fn intake_units(state: &AppState, signed: &Signed, selected: &str) -> Vec<Choice> {
    let catalogue = state.store.catalogue();
    let p = signed.principal();
    let units = catalogue.admin_units.iter().filter(|u| {
        !matches!(
            u.level.as_str(),
            "country" | "velayat" | "capital_city_velayat_status"
        ) && u
            .code
            .parse::<AdminUnitCode>()
            .is_ok_and(|code| p.role == Some(Role::Hotline) || p.can_see_unit(&code))
    });
    choices(
        units.map(|u| {
            (
                u.code.as_str(),
                format!("{} ({})", unit_name(u, &signed.t), u.code),
            )
        }),
        selected,
    )
}

#[derive(Deserialize, Default, Clone)]
struct IntakeForm {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    admin_unit: String,
    #[serde(default)]
    referral_source: String,
    #[serde(default)]
    referrer: String,
    #[serde(default)]
    concern: String,
    #[serde(default)]
    priority: String,
    /// "on" when ticked.
    #[serde(default)]
    sensitive: Option<String>,
    #[serde(default)]
    anonymous: Option<String>,
    /// The person chosen among the likely duplicates, or "new".
    #[serde(default)]
    person: String,
}

struct CandidateView {
    id: Uuid,
    name: String,
    birth_date: String,
    sex: String,
    score: u8,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    t: Translator,
    user: Option<UserView>,
    form: IntakeForm,
    units: Vec<Choice>,
    sources: Vec<Choice>,
    sexes: Vec<Choice>,
    priorities: Vec<Choice>,
    may_sensitive: bool,
    candidates: Vec<CandidateView>,
    error: Option<String>,
}

fn intake_page(
    state: &AppState,
    signed: &Signed,
    form: IntakeForm,
    candidates: Vec<Candidate>,
    error: Option<String>,
) -> Response {
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let sources = choices(
        catalogue
            .terms_of("referral_source")
            .map(|s| (s.code.as_str(), s.name(t.lang()).to_owned())),
        if form.referral_source.is_empty() {
            if signed.principal().role == Some(Role::Hotline) {
                "hotline"
            } else {
                ""
            }
        } else {
            &form.referral_source
        },
    );
    let sexes = choices(
        Sex::ALL
            .iter()
            .map(|s| (s.as_str(), t.t(&format!("sex-{s}")))),
        &form.sex,
    );
    let priorities = choices(
        std::iter::once(("", t.t("priority-unset"))).chain(
            [Priority::Critical, Priority::Support]
                .iter()
                .map(|p| (p.as_str(), t.t(&format!("priority-{p}")))),
        ),
        &form.priority,
    );
    let candidates = candidates
        .into_iter()
        .map(|c| CandidateView {
            id: c.person,
            name: c.name,
            birth_date: c.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            sex: c.sex.map(|s| t.t(&format!("sex-{s}"))).unwrap_or_default(),
            score: c.score,
        })
        .collect();
    let mut r = render(IntakePage {
        user: signed.user(),
        units: intake_units(state, signed, &form.admin_unit),
        may_sensitive: signed.principal().sensitive,
        t: t.clone_lang(),
        form,
        sources,
        sexes,
        priorities,
        candidates,
        error: error.clone(),
    });
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn intake_form(State(state): State<AppState>, signed: Signed) -> Response {
    if let Some(r) = signed.deny_unless(Permission::RegisterReferral) {
        return r;
    }
    let unit = signed
        .principal()
        .unit_scope()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    intake_page(
        &state,
        &signed,
        IntakeForm {
            admin_unit: unit,
            ..IntakeForm::default()
        },
        Vec::new(),
        None,
    )
}

/// Registers the referral: the chosen known person, or a new one once the likely duplicates were
/// shown and the worker chose "new".
async fn intake(State(state): State<AppState>, posted: Posted<IntakeForm>) -> Response {
    let Posted { signed, form } = posted;
    if let Some(r) = signed.deny_unless(Permission::RegisterReferral) {
        return r;
    }
    let t = &signed.t;
    let fail = |key: &str| Some(t.t(key));
    let unit: AdminUnitCode = match form.admin_unit.parse() {
        Ok(u) => u,
        Err(_) => {
            return intake_page(
                &state,
                &signed,
                form.clone(),
                Vec::new(),
                fail("intake-unit-needed"),
            )
        }
    };
    let Ok(source) = form.referral_source.parse::<ReferralSource>() else {
        return intake_page(
            &state,
            &signed,
            form.clone(),
            Vec::new(),
            fail("intake-source-needed"),
        );
    };
    let priority = match form.priority.as_str() {
        "" => None,
        p => match p.parse::<Priority>() {
            Ok(p) => Some(p),
            Err(_) => {
                return intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-priority-bad"),
                )
            }
        },
    };
    let anonymous = form.anonymous.is_some();
    let birth_date = match form.birth_date.trim() {
        "" => None,
        d => match d.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                return intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-birth-date-bad"),
                )
            }
        },
    };
    let person = match form.person.as_str() {
        "" | "new" => None,
        id => match id.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                return intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-person-bad"),
                )
            }
        },
    };
    let principal = signed.principal();
    let person = match person {
        Some(id) => id,
        None => {
            if !anonymous && form.given_name.trim().is_empty() {
                return intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-name-needed"),
                );
            }
            // Show likely duplicates before a new person is created, once.
            if !anonymous && form.person.is_empty() {
                let family = Some(form.family_name.trim()).filter(|f| !f.is_empty());
                match state
                    .store
                    .likely_duplicates(principal, &unit, form.given_name.trim(), family, birth_date)
                    .await
                {
                    Ok(found) if !found.is_empty() => {
                        return intake_page(&state, &signed, form.clone(), found, None)
                    }
                    Ok(_) => {}
                    Err(e) => return refusal(&signed, e),
                }
            }
            let given = if anonymous {
                // A code name: the caller may give her name later (WORKFLOW.md, hotline).
                format!(
                    "{}-{}",
                    t.t("anonymous-code"),
                    &Uuid::new_v4().simple().to_string()[..6]
                )
            } else {
                form.given_name.trim().to_owned()
            };
            let data = serde_json::json!({
                "given_name": given,
                "family_name": if anonymous { None } else { Some(form.family_name.trim()).filter(|f| !f.is_empty()) },
                "sex": form.sex,
                "birth_date": birth_date,
                "admin_unit": unit.as_str(),
            });
            let data: PersonData = match serde_json::from_value(data) {
                Ok(d) => d,
                Err(e) => {
                    let text = t.t_with(
                        "invalid-field",
                        &[("field", "person".into()), ("detail", e.to_string().into())],
                    );
                    return intake_page(&state, &signed, form.clone(), Vec::new(), Some(text));
                }
            };
            match state.store.create_person(principal, None, data).await {
                Ok(p) => p.id,
                Err(e) => return refusal(&signed, e),
            }
        }
    };
    let referral = NewReferral {
        person,
        admin_unit: unit,
        referral_source: source,
        referrer: Some(form.referrer.clone()),
        concern: Some(form.concern.clone()),
        provisional_priority: priority,
        sensitive: form.sensitive.is_some(),
        household_case: false,
    };
    match state.store.register_referral(principal, referral).await {
        // The hotline does not read cases it did not register, but it registered this one.
        Ok(case) => see_other(&format!("/cases/{}", case.id)),
        Err(e) => refusal(&signed, e),
    }
}

struct ActionView {
    code: String,
    label: String,
    /// The extra field the action asks for: "priority", "reason", "transfer_to" or "".
    asks: &'static str,
}

struct NoteView {
    kind: String,
    when: String,
    text: String,
    author: String,
}

struct EventView {
    when: String,
    actor: String,
    text: String,
}

struct WorkerChoice {
    username: String,
    label: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    number: String,
    version: i32,
    name: String,
    restricted: bool,
    birth_date: String,
    place: String,
    status: String,
    priority: String,
    source: String,
    referrer: String,
    concern: String,
    worker: String,
    due: Vec<(String, bool)>,
    actions: Vec<ActionView>,
    closure_reasons: Vec<Choice>,
    priorities: Vec<Choice>,
    units: Vec<Choice>,
    workers: Vec<WorkerChoice>,
    may_write_notes: bool,
    note_kinds: Vec<Choice>,
    notes: Vec<NoteView>,
    events: Vec<EventView>,
    pending: Option<String>,
    plan: Option<PlanView>,
    may_edit_plan: bool,
    /// No draft, a plan in force: saving starts a revision.
    revising: bool,
    status_closed: bool,
    plan_goals_text: String,
    plan_actions_text: String,
    review_kinds: Vec<Choice>,
    ratings: Vec<Choice>,
    reviews: Vec<ReviewView>,
    /// The case's person, for the referral form: `None` on a restricted case.
    person_id: Option<Uuid>,
    service_referrals: Vec<ReferralLine>,
    refer_targets: Vec<Choice>,
    may_refer: bool,
    /// A supervisor's link to who opened the case (`case_access`).
    may_read_access: bool,
    /// `case_assessments.html`: the assessments, their start forms, the screening's proposal.
    assessments: super::assessments::CaseAssessments,
    attachments: super::attachments::AttachmentsSection,
}

struct ReferralLine {
    service: String,
    to: String,
    status: String,
    units: String,
}

struct PlanView {
    id: Uuid,
    number: i32,
    status: String,
    draft: bool,
    version: i32,
    agreement: String,
    views: String,
    goals: Vec<(Uuid, String)>,
    actions: Vec<String>,
}

struct ReviewView {
    kind: String,
    held_on: String,
    summary: String,
}

async fn case_page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Response {
    if let Some(r) = signed.deny_unless(Permission::ReadCases) {
        return r;
    }
    let Ok(Path(id)) = id else {
        return signed.not_found();
    };
    let p = signed.principal();
    // One store call, one scope check, one audit event for the whole page.
    let file = match state.store.case_file(p, id).await {
        Ok(f) => f,
        Err(e) => return refusal(&signed, e),
    };
    let goldaw_store::cases::CaseFile {
        case,
        notes,
        events,
        plans,
        reviews,
        referrals: service_referrals,
        assessments: assessment_list,
        assessable_persons,
        attachments,
    } = file;
    let t = &signed.t;
    let catalogue = state.store.catalogue();
    let attachments = super::attachments::section(&signed, &case, attachments);
    let unit_code: Option<AdminUnitCode> = case.admin_unit.parse().ok();
    let service_name = |code: &str| {
        catalogue.term("service", code).map_or_else(
            || code.to_owned(),
            |s| format!("{} ({code})", s.name(t.lang())),
        )
    };
    let may_refer = !case.restricted
        && matches!(
            case.status,
            CaseStatus::HolisticAssessment
                | CaseStatus::SupportPlan
                | CaseStatus::Active
                | CaseStatus::Monitoring
        )
        && (p.may(Permission::ApproveCases)
            || (p.may(Permission::WorkCases) && case.worker_user_id == p.user_id));
    let mut refer_targets = Vec::new();
    if may_refer {
        if let Some(unit) = &unit_code {
            let offers = match state.store.referable_offers(p, unit).await {
                Ok(o) => o,
                Err(e) => return refusal(&signed, e),
            };
            let referable = |code: &str| {
                catalogue
                    .services
                    .iter()
                    .any(|s| s.code == code && s.route().offered_in_register())
            };
            for o in offers.iter().filter(|o| referable(&o.service_code)) {
                let free = o.free_places.map_or_else(
                    || t.t("places-unlimited"),
                    |n| t.t_with("places-free", &[("count", n.into())]),
                );
                refer_targets.push(Choice {
                    code: format!("offer:{}", o.id),
                    label: format!(
                        "{} — {} ({free})",
                        service_name(&o.service_code),
                        o.provider_name
                    ),
                    selected: false,
                });
            }
            for service in catalogue
                .services
                .iter()
                .filter(|s| s.route() == goldaw_core::cases::ServiceRoute::Recipient)
            {
                refer_targets.push(Choice {
                    code: format!("service:{}", service.code),
                    label: service_name(&service.code),
                    selected: false,
                });
            }
        }
    }
    let assessments = super::assessments::for_case(
        &state,
        &signed,
        &case,
        &assessment_list,
        &assessable_persons,
    );
    let withheld = || t.t("restricted-text");
    let plan = plans.first().map(|pl| PlanView {
        id: pl.id,
        number: pl.number,
        status: t.t(&format!("plan-status-{}", pl.status)),
        draft: pl.status == "draft",
        version: pl.version,
        agreement: match pl.person_agrees {
            None => t.t("plan-agreement-unasked"),
            Some(true) => t.t("plan-agrees"),
            Some(false) => t.t("plan-disagrees"),
        },
        views: pl.person_views.clone().unwrap_or_default(),
        goals: pl
            .goals
            .iter()
            .map(|g| (g.id, g.text.clone().unwrap_or_else(withheld)))
            .collect(),
        actions: pl
            .actions
            .iter()
            .map(|a| {
                let mut line = format!(
                    "{} — {}",
                    a.who.clone().unwrap_or_else(withheld),
                    a.what.clone().unwrap_or_else(withheld)
                );
                if let Some(d) = a.due_on {
                    line.push_str(&format!(" — {d}"));
                }
                if let Some(code) = &a.service_code {
                    line.push_str(&format!(" [{code}]"));
                }
                line
            })
            .collect(),
    });
    // The form starts from the draft, or — for a revision while support runs — from the plan in
    // force, so the worker changes what changed instead of typing it all again.
    let draft = plans.iter().find(|pl| pl.status == "draft");
    let in_force = plans.iter().find(|pl| pl.status == "approved");
    let revising = draft.is_none() && in_force.is_some();
    let draft = draft.or(in_force);
    let plan_goals_text = draft
        .map(|pl| {
            pl.goals
                .iter()
                .filter_map(|g| g.text.clone())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let plan_actions_text = draft
        .map(|pl| {
            pl.actions
                .iter()
                .map(|a| {
                    let mut l = format!(
                        "{} | {}",
                        a.who.clone().unwrap_or_default(),
                        a.what.clone().unwrap_or_default()
                    );
                    l.push_str(&format!(
                        " | {}",
                        a.due_on.map(|d| d.to_string()).unwrap_or_default()
                    ));
                    l.push_str(&format!(
                        " | {}",
                        a.service_code.clone().unwrap_or_default()
                    ));
                    l
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let reviews: Vec<ReviewView> = reviews
        .iter()
        .map(|r| ReviewView {
            kind: t.t(&format!("review-{}", r.kind.as_str())),
            held_on: r.held_on.to_string(),
            summary: r
                .goals
                .iter()
                .map(|g| t.t(&format!("rating-{}", g.rating.as_str())))
                .chain(
                    r.feels_safe
                        .map(|v| t.t_with("review-feels-safe", &[("count", v.into())])),
                )
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let workers = match (
        &unit_code,
        p.may(Permission::AllocateCases) && case.status != CaseStatus::Closed && !case.restricted,
    ) {
        (Some(unit), true) if p.can_see_unit(unit) => {
            let loads = state.store.caseloads(p).await.unwrap_or_default();
            match state
                .store
                .assignable_workers(p, unit, case.sensitive)
                .await
            {
                Ok(ws) => ws
                    .into_iter()
                    .map(|w| {
                        let load = loads.iter().find(|l| l.user_id == w.user_id);
                        WorkerChoice {
                            current: case.worker.as_deref() == Some(w.username.as_str()),
                            label: match load {
                                Some(l) => t.t_with(
                                    "worker-with-load",
                                    &[
                                        ("name", w.username.clone().into()),
                                        ("intensive", l.intensive.into()),
                                        ("monitoring", l.monitoring.into()),
                                    ],
                                ),
                                None => w.username.clone(),
                            },
                            username: w.username,
                        }
                    })
                    .collect(),
                Err(e) => return refusal(&signed, e),
            }
        }
        _ => Vec::new(),
    };
    let actions = case
        .actions
        .iter()
        .map(|a| ActionView {
            code: a.as_str().to_owned(),
            label: t.t(&format!("action-{a}")),
            asks: match a {
                CaseAction::CompleteInitial => "priority",
                CaseAction::RequestClosure => "reason",
                CaseAction::RequestTransfer => "transfer_to",
                _ => "",
            },
        })
        .collect();
    let pending = match (&case.closure_requested, &case.transfer_to) {
        (Some(r), _) => Some(t.t_with(
            "closure-pending",
            &[("reason", t.t(&format!("closure-{r}")).into())],
        )),
        (None, Some(to)) => Some(t.t_with("transfer-pending", &[("unit", to.clone().into())])),
        _ => None,
    };
    // The etraps a transfer may go to: only when the reader may ask for one (some sixty
    // choices, built on every case page before; 4% of the page's time under load).
    let transfer_units: Vec<Choice> = if case.actions.contains(&CaseAction::RequestTransfer) {
        catalogue
            .admin_units
            .iter()
            .filter(|u| {
                !matches!(
                    u.level.as_str(),
                    "country" | "velayat" | "capital_city_velayat_status"
                ) && u.code != case.admin_unit
            })
            .map(|u| Choice {
                code: u.code.clone(),
                label: format!("{} ({})", unit_name(u, t), u.code),
                selected: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = CasePage {
        user: signed.user(),
        id: case.id,
        number: case.number.clone(),
        version: case.version,
        name: case
            .person_name
            .clone()
            .unwrap_or_else(|| t.t("restricted-name")),
        restricted: case.restricted,
        birth_date: case
            .person_birth_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        place: unit_code
            .as_ref()
            .and_then(|u| catalogue.admin_unit(u))
            .map_or_else(|| case.admin_unit.clone(), |u| unit_name(u, t)),
        status: t.t(&format!("case-status-{}", case.status)),
        priority: case
            .priority
            .map(|p| t.t(&format!("priority-{p}")))
            .unwrap_or_else(|| t.t("priority-unset")),
        source: catalogue
            .term("referral_source", case.referral_source.as_str())
            .map_or_else(
                || case.referral_source.to_string(),
                |s| s.name(t.lang()).to_owned(),
            ),
        referrer: case.referrer.clone().unwrap_or_default(),
        concern: case.concern.clone().unwrap_or_default(),
        worker: case.worker.clone().unwrap_or_else(|| t.t("unallocated")),
        due: case
            .due
            .iter()
            .map(|d| (due_text(t, d), d.overdue))
            .collect(),
        actions,
        closure_reasons: choices(
            ClosureReason::ALL
                .iter()
                .map(|r| (r.as_str(), t.t(&format!("closure-{r}")))),
            "",
        ),
        // The screening's default: what the initial assessment proposes, else the provisional one.
        priorities: choices(
            Priority::ALL
                .iter()
                .map(|p| (p.as_str(), t.t(&format!("priority-{p}")))),
            assessments
                .proposed
                .or(case.priority)
                .map_or("", Priority::as_str),
        ),
        units: transfer_units,
        workers,
        may_write_notes: !case.restricted
            && case.status != CaseStatus::Closed
            && (p.may(Permission::ApproveCases)
                || (p.may(Permission::WorkCases) && case.worker_user_id == p.user_id)),
        note_kinds: choices(
            NoteKind::ALL
                .iter()
                .map(|k| (k.as_str(), t.t(&format!("note-{}", k.as_str())))),
            "home_visit",
        ),
        notes: notes
            .into_iter()
            .map(|n| NoteView {
                kind: t.t(&format!("note-{}", n.kind.as_str())),
                when: local_time(n.happened_at),
                text: n.text.unwrap_or_else(|| t.t("restricted-text")),
                author: n.author,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| EventView {
                when: local_time(e.at),
                actor: e.actor,
                text: match (&e.from_status, &e.to_status) {
                    (Some(f), Some(to)) if f != to => format!(
                        "{}: {} → {}",
                        t.t(&format!("action-{}", e.action)),
                        t.t(&format!("case-status-{f}")),
                        t.t(&format!("case-status-{to}"))
                    ),
                    _ => t.t(&format!("action-{}", e.action)),
                },
            })
            .collect(),
        pending,
        status_closed: case.status == CaseStatus::Closed
            && (p.may(Permission::ApproveCases) || case.worker_user_id == p.user_id),
        may_edit_plan: matches!(
            case.status,
            CaseStatus::SupportPlan | CaseStatus::Active | CaseStatus::Monitoring
        ) && !case.restricted
            && (p.may(Permission::ApproveCases) || case.worker_user_id == p.user_id),
        plan,
        revising,
        plan_goals_text,
        plan_actions_text,
        review_kinds: choices(
            ReviewKind::ALL
                .iter()
                .map(|k| (k.as_str(), t.t(&format!("review-{}", k.as_str())))),
            if case.status == CaseStatus::Closed {
                "follow_up_short"
            } else {
                "plan_review"
            },
        ),
        ratings: choices(
            ["achieved", "partly", "not_achieved"]
                .iter()
                .map(|r| (*r, t.t(&format!("rating-{r}")))),
            "",
        ),
        reviews,
        person_id: case.person_id,
        service_referrals: service_referrals
            .iter()
            .map(|r| ReferralLine {
                service: service_name(&r.service_code),
                to: r
                    .provider_name
                    .clone()
                    .or_else(|| r.recipient.clone())
                    .unwrap_or_default(),
                status: t.t(&format!("referral-status-{}", r.status.as_str())),
                units: r.units.map(|u| u.to_string()).unwrap_or_default(),
            })
            .collect(),
        refer_targets,
        may_refer,
        may_read_access: p.may(Permission::ReadCaseAccess),
        assessments,
        attachments,
        t: t.clone_lang(),
    };
    render(page)
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    version: i32,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    transfer_to: String,
}

fn optional<T: std::str::FromStr>(s: &str) -> Result<Option<T>, ()> {
    match s.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| ()),
    }
}

async fn case_action(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ActionForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(action) = form.action.parse::<CaseAction>() else {
        return signed.unreadable_form();
    };
    let (Ok(priority), Ok(reason), Ok(transfer_to)) = (
        optional::<Priority>(&form.priority),
        optional::<ClosureReason>(&form.reason),
        optional::<AdminUnitCode>(&form.transfer_to),
    ) else {
        return signed.unreadable_form();
    };
    let request = ActionRequest {
        action,
        version: form.version,
        priority,
        reason,
        transfer_to,
    };
    match state
        .store
        .act_on_case(signed.principal(), id, request)
        .await
    {
        Ok(_) => see_other(&format!("/cases/{id}")),
        // After an accepted transfer out of one's scope, or similar: back to the list.
        Err(StoreError::NotFound) if action == CaseAction::AcceptTransfer => see_other("/cases"),
        Err(e) => refusal(&signed, e),
    }
}

#[derive(Deserialize)]
struct AllocateForm {
    worker: String,
    version: i32,
}

async fn allocate(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<AllocateForm>,
) -> Response {
    let Posted { signed, form } = posted;
    after(
        &signed,
        state
            .store
            .allocate_case(signed.principal(), id, form.version, &form.worker)
            .await,
        format!("/cases/{id}"),
    )
}

#[derive(Deserialize)]
struct NoteForm {
    kind: String,
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<NoteForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Some(kind) = NoteKind::parse(&form.kind) else {
        return signed.unreadable_form();
    };
    after(
        &signed,
        state
            .store
            .add_case_note(signed.principal(), id, kind, Utc::now(), &form.text)
            .await,
        format!("/cases/{id}#notes"),
    )
}

struct TaskView {
    case_id: Uuid,
    number: String,
    name: String,
    what: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    t: Translator,
    user: Option<UserView>,
    tasks: Vec<TaskView>,
    overdue_text: String,
}

async fn tasks(State(state): State<AppState>, signed: Signed) -> Response {
    if let Some(r) = signed.deny_unless(Permission::WorkCases) {
        return r;
    }
    let list = match state.store.tasks(signed.principal()).await {
        Ok(l) => l,
        Err(e) => return refusal(&signed, e),
    };
    let t = &signed.t;
    let tasks: Vec<TaskView> = list
        .into_iter()
        .map(|k| TaskView {
            case_id: k.case_id,
            name: k.person_name.unwrap_or_else(|| t.t("restricted-name")),
            what: match (k.kind, &k.due) {
                (TaskKind::Deadline, Some(d)) => t.t(&format!("step-{}", d.step)),
                (kind, _) => t.t(&format!("task-{}", task_code(kind))),
            },
            due: k.due.map(|d| local_time(d.due_at)).unwrap_or_default(),
            overdue: k.due.is_some_and(|d| d.overdue),
            number: k.number,
        })
        .collect();
    let overdue = tasks.iter().filter(|k| k.overdue).count();
    render(TasksPage {
        user: signed.user(),
        overdue_text: t.t_with("tasks-overdue-count", &[("count", overdue.into())]),
        t: t.clone_lang(),
        tasks,
    })
}

fn task_code(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Deadline => "deadline",
        TaskKind::Allocate => "allocate",
        TaskKind::ApprovePlan => "approve_plan",
        TaskKind::ApproveClosure => "approve_closure",
        TaskKind::AcceptTransfer => "accept_transfer",
    }
}

struct LoadView {
    username: String,
    intensive: u32,
    monitoring: u32,
    year: u32,
    intensive_pct: u32,
    monitoring_pct: u32,
    over: bool,
}

#[derive(Template)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    t: Translator,
    user: Option<UserView>,
    loads: Vec<LoadView>,
    norm_intensive: u32,
    norm_monitored: u32,
    norm_year: u32,
    norm_text: String,
}

async fn caseload(State(state): State<AppState>, signed: Signed) -> Response {
    if let Some(r) = signed.deny_unless(Permission::WorkCases) {
        return r;
    }
    let loads = match state.store.caseloads(signed.principal()).await {
        Ok(l) => l,
        Err(e) => return refusal(&signed, e),
    };
    let pct = |n: u32, norm: u32| (n * 100).checked_div(norm).unwrap_or(0).min(100);
    use goldaw_store::cases::{NORM_INTENSIVE, NORM_MONITORED, NORM_PER_YEAR};
    let norm_text = signed.t.t_with(
        "caseload-norm",
        &[
            ("intensive", NORM_INTENSIVE.into()),
            ("monitored", NORM_MONITORED.into()),
            ("year", NORM_PER_YEAR.into()),
        ],
    );
    render(CaseloadPage {
        norm_text,
        user: signed.user(),
        t: signed.t.clone_lang(),
        loads: loads
            .into_iter()
            .map(|l| LoadView {
                intensive_pct: pct(l.intensive, l.norm_intensive),
                monitoring_pct: pct(l.monitoring, l.norm_monitored),
                username: l.username,
                intensive: l.intensive,
                monitoring: l.monitoring,
                year: l.last_12_months,
                over: l.over_norm,
            })
            .collect(),
        norm_intensive: NORM_INTENSIVE,
        norm_monitored: NORM_MONITORED,
        norm_year: NORM_PER_YEAR,
    })
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    version: Option<i32>,
    /// One goal per line, in the person's words.
    goals: String,
    /// One action per line: who | what | due date | service code (the last two may be empty).
    #[serde(default)]
    actions: String,
}

/// Reads the plan form's lines; `Err` names the line that could not be read.
fn plan_input(form: &PlanForm, t: &Translator) -> Result<PlanInput, String> {
    let goals = form
        .goals
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|text| GoalInput {
            text: text.to_owned(),
            domain: None,
        })
        .collect();
    let mut actions = Vec::new();
    for (n, line) in form
        .actions
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let bad = || {
            t.t_with(
                "plan-action-line-bad",
                &[("number", (n + 1).to_string().into())],
            )
        };
        let (who, what) = match (parts.first(), parts.get(1)) {
            (Some(w), Some(x)) if !w.is_empty() && !x.is_empty() => (w.to_string(), x.to_string()),
            _ => return Err(bad()),
        };
        let due_on = match parts.get(2).copied().unwrap_or("") {
            "" => None,
            d => Some(d.parse::<NaiveDate>().map_err(|_| bad())?),
        };
        let service_code = parts
            .get(3)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty());
        actions.push(ActionInput {
            goal: None,
            who,
            what,
            due_on,
            service_code,
        });
    }
    Ok(PlanInput { goals, actions })
}

async fn save_plan(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<PlanForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let input = match plan_input(&form, &signed.t) {
        Ok(i) => i,
        Err(text) => {
            return message_page_text(
                &signed.t,
                signed.user(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                text,
            )
        }
    };
    after(
        &signed,
        state
            .store
            .save_plan_draft(signed.principal(), id, form.version, input)
            .await,
        format!("/cases/{id}#plan"),
    )
}

#[derive(Deserialize)]
struct AgreementForm {
    plan: Uuid,
    version: i32,
    agrees: String,
    #[serde(default)]
    views: String,
}

async fn plan_agreement(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<AgreementForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let agrees = form.agrees == "yes";
    after(
        &signed,
        state
            .store
            .record_plan_agreement(
                signed.principal(),
                form.plan,
                form.version,
                agrees,
                Some(&form.views),
            )
            .await,
        format!("/cases/{id}#plan"),
    )
}

#[derive(Deserialize)]
struct SubmitForm {
    plan: Uuid,
    version: i32,
}

async fn plan_submit(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<SubmitForm>,
) -> Response {
    let Posted { signed, form } = posted;
    after(
        &signed,
        state
            .store
            .submit_plan(signed.principal(), form.plan, form.version)
            .await,
        format!("/cases/{id}#plan"),
    )
}

/// The review form: the kind, one `rating-<goal id>` field per goal, and the outcome set.
async fn add_review(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<std::collections::HashMap<String, String>>,
) -> Response {
    let Posted { signed, form } = posted;
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let yes_no = |k: &str| field(k).map(|v| v == "yes");
    let score = |k: &str| -> Result<Option<u8>, ()> {
        field(k)
            .map(|v| v.parse::<u8>().map_err(|_| ()))
            .transpose()
    };
    let (Ok(feels_safe), Ok(satisfaction)) = (score("feels_safe"), score("satisfaction")) else {
        return signed.unreadable_form();
    };
    let mut goals = Vec::new();
    for (k, v) in &form {
        let Some(goal) = k.strip_prefix("rating-") else {
            continue;
        };
        let (Ok(goal), rating) = (goal.parse::<Uuid>(), v.as_str()) else {
            return signed.unreadable_form();
        };
        let rating = match rating {
            "achieved" => GoalRating::Achieved,
            "partly" => GoalRating::Partly,
            "not_achieved" => GoalRating::NotAchieved,
            _ => return signed.unreadable_form(),
        };
        goals.push(GoalReviewInput {
            goal,
            rating,
            person_view: None,
        });
    }
    let input = ReviewInput {
        kind: field("kind").and_then(ReviewKind::parse),
        held_on: None,
        goals,
        living_at_home: yes_no("living_at_home"),
        family_together: yes_no("family_together"),
        in_education_or_work: yes_no("in_education_or_work"),
        income_change: None,
        feels_safe,
        satisfaction,
        person_view: field("person_view").map(str::to_owned),
    };
    after(
        &signed,
        state
            .store
            .record_review(signed.principal(), id, input)
            .await,
        format!("/cases/{id}#reviews"),
    )
}
