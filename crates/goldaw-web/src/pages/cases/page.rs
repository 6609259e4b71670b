//! The case page (`/cases/{id}`): the case with its actions, referrals to services, plan,
//! reviews, notes, assessments and attachments, each offered only when it fits.

use super::{choices, due_text, Choice};
use crate::i18n::Translator;
use crate::pages::common::{local_time, render, unit_name};
use crate::pages::error::{OrRefuse, PageResult};
use crate::pages::extract::Signed;
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use goldaw_core::access::Permission;
use goldaw_core::cases::PlanStatus;
use goldaw_core::codes::{CaseStatus, Priority, ServiceLevel};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::workflow::{CaseAction, ClosureReason};
use goldaw_store::cases::{NoteKind, ReviewKind};
use uuid::Uuid;

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
    /// A link to the feedback for the referring agency (`/partners/feedback/{id}`): for those who
    /// may work on the case, when its source is a partner kind.
    partner_feedback: bool,
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
    /// The legal bases for residential care (`case_legal_basis.html`).
    legal_basis: crate::pages::legal_basis::LegalBasisSection,
    /// The plan form's rows (`case_plan_form.html`).
    plan_form: super::plan::PlanFormView,
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
    assessments: crate::pages::assessments::CaseAssessments,
    attachments: crate::pages::attachments::AttachmentsSection,
    /// `case_survivor.html`: the consent panel and the safety plan (issue #18).
    survivor: crate::pages::consents::CasePanel,
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

/// Whether the page offers to refer a person of the case to `level` of service now: the reader
/// may do the case's work (the one rule, `goldaw_core::workflow::case_work`) and the case is open
/// for such a referral (`goldaw_core::service_referrals::referral_open`: a universal service from
/// the initial assessment on, a specialized one from the holistic assessment on). The store
/// decides again.
fn may_refer_now(
    work: &goldaw_core::workflow::CaseWork,
    status: CaseStatus,
    level: ServiceLevel,
) -> bool {
    work.may_work() && goldaw_core::service_referrals::referral_open(status, level)
}

pub(super) async fn case_page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    // One store call, one scope check, one audit event for the whole page.
    let file = state.store.case_file(p, id).await.or_refuse(&signed)?;
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
    let attachments = crate::pages::attachments::section(&signed, &case, attachments);
    let unit_code: Option<AdminUnitCode> = case.admin_unit.parse().ok();
    let service_name = |code: &str| {
        catalogue.term("service", code).map_or_else(
            || code.to_owned(),
            |s| format!("{} ({code})", s.name(t.lang())),
        )
    };
    // Open for a universal service at least (the earliest, WORKFLOW.md): each target is then
    // offered only if open for its own level.
    let work = crate::pages::common::case_work(p, &case);
    let may_refer = may_refer_now(&work, case.status, ServiceLevel::Universal);
    let mut refer_targets = Vec::new();
    if may_refer {
        if let Some(unit) = &unit_code {
            let offers = state
                .store
                .referable_offers(p, unit)
                .await
                .or_refuse(&signed)?;
            let referable = |code: &str| {
                catalogue.services.iter().any(|s| {
                    s.code == code
                        && s.route().offered_in_register()
                        && may_refer_now(&work, case.status, s.level)
                })
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
            for service in catalogue.services.iter().filter(|s| {
                s.route() == goldaw_core::cases::ServiceRoute::Recipient
                    && may_refer_now(&work, case.status, s.level)
            }) {
                refer_targets.push(Choice {
                    code: format!("service:{}", service.code),
                    label: service_name(&service.code),
                    selected: false,
                });
            }
        }
    }
    let assessments = crate::pages::assessments::for_case(
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
        status: t.t(&format!("plan-status-{}", pl.state.as_str())),
        draft: pl.state == PlanStatus::Draft,
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
    let draft = plans.iter().find(|pl| pl.state == PlanStatus::Draft);
    let in_force = plans.iter().find(|pl| pl.state == PlanStatus::Approved);
    let revising = draft.is_none() && in_force.is_some();
    let draft = draft.or(in_force);
    let plan_form = super::plan::form_view(t, &catalogue, draft);
    let legal_bases = state
        .store
        .case_legal_bases(p, case.id)
        .await
        .or_refuse(&signed)?;
    let legal_basis = crate::pages::legal_basis::section(t, p, &case, &legal_bases);
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
                Err(e) => return Err(signed.fail(e)),
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
    let mut survivor =
        crate::pages::consents::case_panel(&state, &signed, case.id, case.sensitive).await;
    // The survivor details of a sensitive case (issue #18): its code, the incident date and,
    // for who works on it, the form (the rule: `gbv_statistics::incident_date_open`).
    survivor.survivor_code = case.survivor_code.clone();
    survivor.incident_on = case.incident_on.map(|d| d.to_string()).unwrap_or_default();
    survivor.may_set_incident = !case.restricted
        && goldaw_core::gbv_statistics::incident_date_open(case.sensitive).is_ok()
        && work.may_work();
    survivor.version = case.version;
    let page = CasePage {
        survivor,
        user: signed.user(),
        id: case.id,
        number: case.number.clone(),
        version: case.version,
        name: crate::pages::consents::hidden_name(t, case.sensitive, case.person_name.as_deref()),
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
        partner_feedback: work.may_work()
            && goldaw_core::partners::partner_source(case.referral_source),
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
        plan_form,
        legal_basis,
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
    Ok(render(page))
}
