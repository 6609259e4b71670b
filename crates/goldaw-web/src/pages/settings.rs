//! The admin's settings: deadline rules per workflow step and priority, the public holidays of
//! the working-day calendar, and the quick exit's neutral site (issue #18). Changes take effect
//! at once and are audited (store::settings, store::safety_plans).

use super::common::{render, server_error};
use super::extract::{message_page_text, see_other, Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrServerError, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use goldaw_core::access::Permission;
use goldaw_core::deadlines::{DeadlineRule, DeadlineUnit};
use goldaw_store::settings::HolidayRecord;
use goldaw_store::StoreError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(settings))
        .route("/admin/settings/deadline", post(set_deadline))
        .route("/admin/settings/holiday", post(add_holiday))
        .route("/admin/settings/holiday/remove", post(remove_holiday))
        .route("/admin/settings/quick-exit", post(set_quick_exit_site))
}

struct RuleView {
    step: String,
    step_label: String,
    priority: String,
    priority_label: String,
    amount: u32,
    unit: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    t: Translator,
    user: Option<UserView>,
    rules: Vec<RuleView>,
    units: Vec<(String, String)>,
    holidays: Vec<HolidayRecord>,
    /// Where the quick exit leaves to now.
    quick_exit_site: String,
}

async fn settings(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::ManageSettings)?;
    let t = &signed.t;
    let holidays = state
        .store
        .holidays(signed.principal())
        .await
        .or_server_error()?;
    let rules = state
        .store
        .deadline_rules()
        .into_iter()
        .map(|r| RuleView {
            step: r.step.to_string(),
            step_label: t.t(&format!("step-{}", r.step)),
            priority: r.priority.to_string(),
            priority_label: t.t(&format!("priority-{}", r.priority)),
            amount: r.amount,
            unit: r.unit.to_string(),
        })
        .collect();
    Ok(render(SettingsPage {
        user: signed.user(),
        units: DeadlineUnit::ALL
            .iter()
            .map(|u| (u.to_string(), t.t(&format!("deadline-unit-{u}"))))
            .collect(),
        t: t.clone_lang(),
        rules,
        holidays,
        quick_exit_site: state.store.quick_exit_site().to_string(),
    }))
}

fn refused(signed: &Signed, text: String) -> Response {
    message_page_text(
        &signed.t,
        signed.user(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused",
        text,
    )
}

fn store_refusal(signed: &Signed, e: StoreError) -> Response {
    match e {
        StoreError::Forbidden(_) => signed
            .deny_unless(Permission::ManageSettings)
            .unwrap_or_else(|| server_error(StoreError::Forbidden(String::new()))),
        StoreError::NotFound => signed.not_found(),
        StoreError::Invalid { say: Some(say), .. } => refused(signed, signed.t.say(&say)),
        StoreError::Invalid { field, message, .. } => refused(
            signed,
            signed.t.t_with(
                "invalid-field",
                &[("field", field.into()), ("detail", message.into())],
            ),
        ),
        other => server_error(other),
    }
}

#[derive(Deserialize)]
struct DeadlineForm {
    step: String,
    priority: String,
    amount: String,
    unit: String,
}

async fn set_deadline(State(state): State<AppState>, posted: Posted<DeadlineForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageSettings)?;
    let rule = match DeadlineRule::parse(&form.step, &form.priority, &form.amount, &form.unit) {
        Ok(r) => r,
        Err(e) => {
            let text = signed.t.t_with(
                "invalid-field",
                &[("field", "amount".into()), ("detail", e.0.into())],
            );
            return Ok(refused(&signed, text));
        }
    };
    Ok(
        match state
            .store
            .set_deadline_rule(signed.principal(), rule)
            .await
        {
            Ok(()) => see_other("/admin/settings"),
            Err(e) => store_refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct HolidayForm {
    day: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_ru: String,
    #[serde(default)]
    name_tk: String,
}

fn parse_day(day: &str) -> Option<NaiveDate> {
    day.trim().parse().ok()
}

async fn add_holiday(State(state): State<AppState>, posted: Posted<HolidayForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageSettings)?;
    let Some(day) = parse_day(&form.day) else {
        return Ok(refused(&signed, signed.t.t("settings-day-bad")));
    };
    let holiday = HolidayRecord {
        day,
        name_en: form.name_en,
        name_ru: form.name_ru,
        name_tk: form.name_tk,
    };
    Ok(
        match state.store.set_holiday(signed.principal(), holiday).await {
            Ok(()) => see_other("/admin/settings#holidays"),
            Err(e) => store_refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct RemoveForm {
    day: String,
}

async fn remove_holiday(State(state): State<AppState>, posted: Posted<RemoveForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageSettings)?;
    let Some(day) = parse_day(&form.day) else {
        return Ok(refused(&signed, signed.t.t("settings-day-bad")));
    };
    Ok(
        match state.store.remove_holiday(signed.principal(), day).await {
            Ok(()) => see_other("/admin/settings#holidays"),
            Err(e) => store_refusal(&signed, e),
        },
    )
}

#[derive(Deserialize)]
struct QuickExitForm {
    #[serde(default)]
    site: String,
}

async fn set_quick_exit_site(
    State(state): State<AppState>,
    posted: Posted<QuickExitForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageSettings)?;
    Ok(
        match state
            .store
            .set_quick_exit_site(signed.principal(), &form.site)
            .await
        {
            Ok(_) => see_other("/admin/settings#quick-exit-site"),
            Err(e) => store_refusal(&signed, e),
        },
    )
}
