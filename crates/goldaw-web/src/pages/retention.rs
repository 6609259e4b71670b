//! Retention pages (issue #20, item 4; docs/operations.md, "Retention"): `/retention`, the
//! ministry's years per kind of case and the dry run of today; `/cases/{id}/legal-hold`, a
//! supervisor's legal holds on a case. The run itself is the operator's
//! `goldaw retention --apply`.

use super::common::{after, local_time, render};
use super::extract::{Posted, Signed};
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
use goldaw_core::retention::CaseKind;
use goldaw_store::retention::LegalHold;
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/retention", get(retention))
        .route("/retention/years", post(set_years))
        .route("/cases/{id}/legal-hold", get(holds).post(hold))
        .route("/cases/{id}/legal-hold/lift", post(lift))
}

struct SettingView {
    kind: String,
    label: String,
    years: u32,
    version: i32,
    updated: String,
}

struct DueView {
    number: String,
    unit: String,
    kind: String,
    closed_on: String,
    due_on: String,
}

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage {
    t: Translator,
    user: Option<UserView>,
    as_of: String,
    settings: Vec<SettingView>,
    due: Vec<DueView>,
    held: Vec<DueView>,
    persons: usize,
}

fn due_view(t: &Translator, d: goldaw_store::retention::DueCase) -> DueView {
    DueView {
        number: d.number,
        unit: d.admin_unit,
        kind: t.t(&format!("retention-kind-{}", d.kind)),
        closed_on: d.closed_on.to_string(),
        due_on: d.due_on.to_string(),
    }
}

async fn retention(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::Retention)?;
    let today = chrono::Utc::now().date_naive();
    let plan = state
        .store
        .retention_plan(signed.principal(), today)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let settings = plan
        .settings
        .into_iter()
        .map(|s| SettingView {
            label: t.t(&format!("retention-kind-{}", s.kind)),
            kind: s.kind,
            years: s.years,
            version: s.version,
            updated: match (s.updated_by, s.updated_at) {
                (Some(by), Some(at)) => format!("{} · {by}", local_time(at)),
                _ => t.t("retention-default"),
            },
        })
        .collect();
    Ok(render(RetentionPage {
        user: signed.user(),
        as_of: today.to_string(),
        settings,
        persons: plan.persons.len(),
        due: plan.cases.into_iter().map(|d| due_view(t, d)).collect(),
        held: plan.held.into_iter().map(|d| due_view(t, d)).collect(),
        t: t.clone_lang(),
    }))
}

// Every field defaults: a form without one reaches the permission and the store (403, 404, 422
// with the reason), as a complete one does, instead of "unreadable" before them.
#[derive(Deserialize, Default)]
#[serde(default)]
struct YearsForm {
    kind: String,
    years: String,
    version: String,
}

async fn set_years(State(state): State<AppState>, posted: Posted<YearsForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::Retention)?;
    let Some(kind) = CaseKind::parse(&form.kind) else {
        return Ok(signed.not_found());
    };
    let field =
        |name: &str| StoreError::refuse(name, "store-retention-years-out-of-range", Vec::new());
    let result = match (
        form.years.trim().parse::<u32>(),
        form.version.trim().parse::<i32>(),
    ) {
        (Ok(years), Ok(version)) => {
            state
                .store
                .set_retention_years(signed.principal(), kind, years, version)
                .await
        }
        _ => Err(field("years")),
    };
    Ok(after(&signed, result, "/retention".to_owned()))
}

struct HoldView {
    reason: String,
    set: String,
    lifted: String,
    lift_reason: String,
}

#[derive(Template)]
#[template(path = "legal_hold.html")]
struct HoldPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    /// The hold in force, with its version for the lift form.
    in_force: Option<i32>,
    holds: Vec<HoldView>,
}

fn hold_view(h: LegalHold) -> HoldView {
    HoldView {
        reason: h.reason,
        set: format!("{} · {}", local_time(h.set_at), h.set_by),
        lifted: match (h.lifted_at, h.lifted_by) {
            (Some(at), Some(by)) => format!("{} · {by}", local_time(at)),
            _ => String::new(),
        },
        lift_reason: h.lift_reason.unwrap_or_default(),
    }
}

async fn holds(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    signed.require(Permission::LegalHold)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let holds = state
        .store
        .legal_holds(signed.principal(), id)
        .await
        .or_refuse(&signed)?;
    let in_force = holds
        .iter()
        .find(|h| h.lifted_at.is_none())
        .map(|h| h.version);
    Ok(render(HoldPage {
        user: signed.user(),
        t: signed.t.clone_lang(),
        id,
        in_force,
        holds: holds.into_iter().map(hold_view).collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HoldForm {
    reason: String,
}

async fn hold(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    posted: Posted<HoldForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::LegalHold)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let result = state
        .store
        .set_legal_hold(signed.principal(), id, &form.reason)
        .await;
    Ok(after(&signed, result, format!("/cases/{id}/legal-hold")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LiftForm {
    version: String,
    reason: String,
}

async fn lift(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    posted: Posted<LiftForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::LegalHold)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    // A version that is not a number is stale: the store answers for the case first.
    let version = form.version.trim().parse::<i32>().unwrap_or(-1);
    let result = state
        .store
        .lift_legal_hold(signed.principal(), id, version, &form.reason)
        .await;
    Ok(after(&signed, result, format!("/cases/{id}/legal-hold")))
}
