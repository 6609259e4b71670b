//! `/cases/{id}/safety-plan`: the safety plan made with the survivor (issue #18,
//! docs/survivors.md): the plan in force, its revisions, and the form to make or review it (a
//! new revision each time, guarded by the revision read; a high risk raises the case to the
//! critical deadlines). The same store calls as `/api/v1/cases/{id}/safety-plan`. The page's
//! title carries the case number only. Also `POST /cases/{id}/incident-date`, the form on the
//! case page that sets the incident date (as `PUT /api/v1/cases/{id}/incident-date`).

use super::common::{after, local_time, render};
use super::extract::{Posted, Signed};
use super::hotline::Opt;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_store::cases::IncidentDateChange;
use goldaw_store::safety_plans::{NewSafetyPlan, RiskLevel, SafetyPlanParts};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/safety-plan", get(page).post(save))
        .route("/cases/{id}/name", get(name))
        .route("/cases/{id}/incident-date", post(incident_date))
}

#[derive(Template)]
#[template(path = "case_name.html")]
struct NamePage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    number: String,
    name: String,
}

/// The name of a sensitive case's person, shown on request (audited by the store).
async fn name(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let (number, name) = state
        .store
        .show_case_name(signed.principal(), id)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    Ok(render(NamePage {
        user: signed.user(),
        id,
        number,
        name: name.unwrap_or_else(|| t.t("restricted-name")),
        t: t.clone_lang(),
    }))
}

struct RevisionLine {
    revision: i32,
    risk: String,
    made: String,
}

#[derive(Template)]
#[template(path = "safety_plan.html")]
struct SafetyPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    number: String,
    /// The revision read (0: none yet).
    revision: i32,
    risk: String,
    risk_code: String,
    made: String,
    plan: SafetyPlanParts,
    has_plan: bool,
    revisions: Vec<RevisionLine>,
    may_edit: bool,
    levels: Vec<Opt>,
}

fn made(t: &Translator, by: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    t.t_with(
        "safety-plan-made",
        &[
            ("name", by.to_owned().into()),
            ("date", local_time(at).into()),
        ],
    )
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let case = state.store.case(p, id).await.or_refuse(&signed)?;
    let file = state.store.safety_plan(p, id).await.or_refuse(&signed)?;
    let t = &signed.t;
    let current = file.current;
    Ok(render(SafetyPage {
        user: signed.user(),
        id,
        number: case.number,
        revision: current.as_ref().map_or(0, |c| c.revision),
        risk: current
            .as_ref()
            .map(|c| t.t(&format!("risk-level-{}", c.risk_level)))
            .unwrap_or_default(),
        risk_code: current
            .as_ref()
            .map(|c| c.risk_level.as_str().to_owned())
            .unwrap_or_default(),
        made: current
            .as_ref()
            .map(|c| made(t, &c.made_by, c.made_at))
            .unwrap_or_default(),
        has_plan: current.is_some(),
        plan: current.map(|c| c.plan).unwrap_or_default(),
        revisions: file
            .revisions
            .iter()
            .map(|r| RevisionLine {
                revision: r.revision,
                risk: t.t(&format!("risk-level-{}", r.risk_level)),
                made: made(t, &r.made_by, r.made_at),
            })
            .collect(),
        may_edit: file.may_edit,
        levels: RiskLevel::ALL
            .iter()
            .map(|l| Opt {
                code: l.as_str().to_owned(),
                label: t.t(&format!("risk-level-{l}")),
            })
            .collect(),
        t: t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct PlanFields {
    #[serde(default)]
    revision: i32,
    #[serde(default)]
    risk_level: String,
    #[serde(default)]
    risks: String,
    #[serde(default)]
    safe_contacts: String,
    #[serde(default)]
    safe_places: String,
    #[serde(default)]
    code_words: String,
    #[serde(default)]
    emergency: String,
}

async fn save(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<PlanFields>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let result = async {
        state.store.case_reachable(p, id).await?;
        let risk_level: RiskLevel = form
            .risk_level
            .trim()
            .parse()
            .map_err(|_| StoreError::refuse("risk_level", "hotline-form-choice", vec![]))?;
        let new = NewSafetyPlan {
            revision: form.revision,
            risk_level,
            plan: SafetyPlanParts {
                risks: form.risks,
                safe_contacts: form.safe_contacts,
                safe_places: form.safe_places,
                code_words: form.code_words,
                emergency: form.emergency,
            },
        };
        state.store.save_safety_plan(p, id, new).await
    }
    .await;
    Ok(after(&signed, result, format!("/cases/{id}/safety-plan")))
}

#[derive(Deserialize)]
struct IncidentFields {
    #[serde(default)]
    version: i32,
    /// `YYYY-MM-DD` (the date input); empty clears the date.
    #[serde(default)]
    incident_on: String,
}

/// The incident date set or cleared from the case page; back to the case page, or the refusal.
async fn incident_date(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<IncidentFields>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let result = async {
        state.store.case_reachable(p, id).await?;
        let text = form.incident_on.trim();
        let incident_on =
            if text.is_empty() {
                None
            } else {
                Some(text.parse().map_err(|_| {
                    StoreError::refuse("incident_on", "incident-date-invalid", vec![])
                })?)
            };
        let change = IncidentDateChange {
            incident_on,
            version: form.version,
        };
        state.store.set_incident_date(p, id, change).await
    }
    .await;
    Ok(after(&signed, result, format!("/cases/{id}")))
}
