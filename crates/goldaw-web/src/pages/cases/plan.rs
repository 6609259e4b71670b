//! The support plan from the case page: saving the plan, the family's agreement, submitting it
//! for approval, and reviews with their goal ratings.

use crate::i18n::Translator;
use crate::pages::common::after;
use crate::pages::error::PageResult;
use crate::pages::extract::{message_page_text, Posted};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use goldaw_store::cases::{
    ActionInput, GoalInput, GoalRating, GoalReviewInput, PlanInput, ReviewInput, ReviewKind,
};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
pub(super) struct PlanForm {
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

pub(super) async fn save_plan(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<PlanForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let input = match plan_input(&form, &signed.t) {
        Ok(i) => i,
        Err(text) => {
            return Ok(message_page_text(
                &signed.t,
                signed.user(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                text,
            ))
        }
    };
    Ok(after(
        &signed,
        state
            .store
            .save_plan_draft(signed.principal(), id, form.version, input)
            .await,
        format!("/cases/{id}#plan"),
    ))
}

#[derive(Deserialize)]
pub(super) struct AgreementForm {
    plan: Uuid,
    version: i32,
    agrees: String,
    #[serde(default)]
    views: String,
}

pub(super) async fn plan_agreement(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<AgreementForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let agrees = form.agrees == "yes";
    Ok(after(
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
    ))
}

#[derive(Deserialize)]
pub(super) struct SubmitForm {
    plan: Uuid,
    version: i32,
}

pub(super) async fn plan_submit(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<SubmitForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    Ok(after(
        &signed,
        state
            .store
            .submit_plan(signed.principal(), form.plan, form.version)
            .await,
        format!("/cases/{id}#plan"),
    ))
}

/// The review form: the kind, one `rating-<goal id>` field per goal, and the outcome set.
pub(super) async fn add_review(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<std::collections::HashMap<String, String>>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let yes_no = |k: &str| field(k).map(|v| v == "yes");
    let score = |k: &str| -> Result<Option<u8>, ()> {
        field(k)
            .map(|v| v.parse::<u8>().map_err(|_| ()))
            .transpose()
    };
    let (Ok(feels_safe), Ok(satisfaction)) = (score("feels_safe"), score("satisfaction")) else {
        return Ok(signed.unreadable_form());
    };
    let mut goals = Vec::new();
    for (k, v) in &form {
        let Some(goal) = k.strip_prefix("rating-") else {
            continue;
        };
        let (Ok(goal), rating) = (goal.parse::<Uuid>(), v.as_str()) else {
            return Ok(signed.unreadable_form());
        };
        let rating = match rating {
            "achieved" => GoalRating::Achieved,
            "partly" => GoalRating::Partly,
            "not_achieved" => GoalRating::NotAchieved,
            _ => return Ok(signed.unreadable_form()),
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
    Ok(after(
        &signed,
        state
            .store
            .record_review(signed.principal(), id, input)
            .await,
        format!("/cases/{id}#reviews"),
    ))
}
