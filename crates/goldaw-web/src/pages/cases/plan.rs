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

/// Rows offered beyond those the plan holds, to add goals and actions (save for more).
const NEW_GOAL_ROWS: usize = 3;
const NEW_ACTION_ROWS: usize = 5;
/// Row numbers the form may use (each kind): beyond the plan's limits, a forged form.
const MAX_ROW: usize = 100;

/// The plan form as rows (issue #19, item 4): `goal_text_N` (and `goal_domain_N`,
/// `goal_remove_N`) per goal; `action_who_N`, `action_what_N`, `action_due_N`,
/// `action_service_N` (a code of the catalogue), `action_goal_N` (the goal's row number, from 1)
/// and `action_remove_N` per action. An empty row is left out; a row ticked "remove" too.
/// The older form of one `goals` text and one `actions` text (`who | what | date | code` lines)
/// is still read.
pub(super) type PlanForm = std::collections::HashMap<String, String>;

/// One goal row of the form.
pub(super) struct GoalRowView {
    pub(super) row: usize,
    pub(super) number: usize,
    pub(super) text: String,
    pub(super) domain: String,
}

/// One action row of the form.
pub(super) struct ActionRowView {
    pub(super) row: usize,
    pub(super) who: String,
    pub(super) what: String,
    pub(super) due: String,
    pub(super) services: Vec<super::Choice>,
    pub(super) goals: Vec<super::Choice>,
}

/// What `case_plan_form.html` shows: the draft's (or the plan in force's) goals and actions as
/// rows, and empty rows to add more.
pub(super) struct PlanFormView {
    pub(super) goals: Vec<GoalRowView>,
    pub(super) actions: Vec<ActionRowView>,
}

/// The form's rows for `plan` (none: an empty form).
pub(super) fn form_view(
    t: &Translator,
    catalogue: &goldaw_store::catalogue::Catalogue,
    plan: Option<&goldaw_store::cases::PlanRecord>,
) -> PlanFormView {
    let goals_of = plan.map(|p| p.goals.as_slice()).unwrap_or_default();
    let actions_of = plan.map(|p| p.actions.as_slice()).unwrap_or_default();
    let mut goals: Vec<GoalRowView> = goals_of
        .iter()
        .filter_map(|g| g.text.clone().map(|text| (text, g.domain.clone())))
        .enumerate()
        .map(|(i, (text, domain))| GoalRowView {
            row: i,
            number: i + 1,
            text,
            domain: domain.unwrap_or_default(),
        })
        .collect();
    for _ in 0..NEW_GOAL_ROWS {
        let i = goals.len();
        goals.push(GoalRowView {
            row: i,
            number: i + 1,
            text: String::new(),
            domain: String::new(),
        });
    }
    let service_label = |code: &str| {
        catalogue.term("service", code).map_or_else(
            || code.to_owned(),
            |s| format!("{} ({code})", s.name(t.lang())),
        )
    };
    let services = |selected: &str| {
        let mut out = vec![super::Choice {
            code: String::new(),
            label: t.t("plan-row-no-service"),
            selected: selected.is_empty(),
        }];
        out.extend(catalogue.services.iter().map(|s| super::Choice {
            selected: s.code == selected,
            label: service_label(&s.code),
            code: s.code.clone(),
        }));
        out
    };
    let goal_choices = |selected: Option<usize>| {
        let mut out = vec![super::Choice {
            code: String::new(),
            label: String::new(),
            selected: selected.is_none(),
        }];
        out.extend(goals.iter().map(|g| super::Choice {
            code: g.number.to_string(),
            label: t.t_with("plan-row-goal-number", &[("number", g.number.into())]),
            selected: selected == Some(g.number),
        }));
        out
    };
    let mut actions: Vec<ActionRowView> = actions_of
        .iter()
        .filter(|a| a.who.is_some() && a.what.is_some())
        .enumerate()
        .map(|(i, a)| ActionRowView {
            row: i,
            who: a.who.clone().unwrap_or_default(),
            what: a.what.clone().unwrap_or_default(),
            due: a.due_on.map(|d| d.to_string()).unwrap_or_default(),
            services: services(a.service_code.as_deref().unwrap_or_default()),
            goals: goal_choices(
                a.goal_id
                    .and_then(|id| goals_of.iter().position(|g| g.id == id))
                    .map(|p| p + 1),
            ),
        })
        .collect();
    for _ in 0..NEW_ACTION_ROWS {
        let i = actions.len();
        actions.push(ActionRowView {
            row: i,
            who: String::new(),
            what: String::new(),
            due: String::new(),
            services: services(""),
            goals: goal_choices(None),
        });
    }
    PlanFormView { goals, actions }
}

/// The numbers of the rows of kind `prefix` (`goal_text_`, `action_who_`, ...) in the form,
/// ascending; `Err` for a row number beyond what a form holds.
fn rows(form: &PlanForm, prefixes: &[&str]) -> Result<Vec<usize>, ()> {
    let mut out = std::collections::BTreeSet::new();
    for key in form.keys() {
        for prefix in prefixes {
            if let Some(n) = key.strip_prefix(prefix) {
                let n: usize = n.parse().map_err(|_| ())?;
                if n >= MAX_ROW {
                    return Err(());
                }
                out.insert(n);
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Reads the plan form's rows; `Err` says which row could not be read.
fn plan_input(form: &PlanForm, t: &Translator) -> Result<PlanInput, String> {
    if form.contains_key("goals") {
        return plan_input_from_lines(form, t);
    }
    let field = |k: String| form.get(&k).map(|v| v.trim()).unwrap_or("");
    let unreadable = || t.t("form-unreadable-short");
    let mut goals = Vec::new();
    // Goal row number (from 1) -> its position among the goals kept.
    let mut kept = std::collections::HashMap::new();
    for n in rows(form, &["goal_text_"]).map_err(|_| unreadable())? {
        let text = field(format!("goal_text_{n}"));
        if text.is_empty() || form.contains_key(&format!("goal_remove_{n}")) {
            continue;
        }
        kept.insert(n + 1, goals.len());
        let domain = field(format!("goal_domain_{n}"));
        goals.push(GoalInput {
            text: text.to_owned(),
            domain: (!domain.is_empty()).then(|| domain.to_owned()),
        });
    }
    let mut actions = Vec::new();
    for n in rows(form, &["action_who_", "action_what_"]).map_err(|_| unreadable())? {
        let who = field(format!("action_who_{n}"));
        let what = field(format!("action_what_{n}"));
        let due = field(format!("action_due_{n}"));
        let service = field(format!("action_service_{n}"));
        if form.contains_key(&format!("action_remove_{n}"))
            || (who.is_empty() && what.is_empty() && due.is_empty() && service.is_empty())
        {
            continue;
        }
        let bad = || t.t_with("plan-action-row-bad", &[("number", (n + 1).into())]);
        if who.is_empty() || what.is_empty() {
            return Err(bad());
        }
        let due_on = match due {
            "" => None,
            d => Some(d.parse::<NaiveDate>().map_err(|_| bad())?),
        };
        let goal = match field(format!("action_goal_{n}")) {
            "" => None,
            g => {
                let row: usize = g.parse().map_err(|_| bad())?;
                // A goal removed in the same save leaves its actions without a goal.
                kept.get(&row).copied()
            }
        };
        actions.push(ActionInput {
            goal,
            who: who.to_owned(),
            what: what.to_owned(),
            due_on,
            service_code: (!service.is_empty()).then(|| service.to_owned()),
        });
    }
    Ok(PlanInput { goals, actions })
}

/// The older form: one goal per line; one action per line, `who | what | date | code`.
fn plan_input_from_lines(form: &PlanForm, t: &Translator) -> Result<PlanInput, String> {
    let text = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let goals = text("goals")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|text| GoalInput {
            text: text.to_owned(),
            domain: None,
        })
        .collect();
    let mut actions = Vec::new();
    for (n, line) in text("actions")
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
    let version = match form.get("version").map(|v| v.trim()).unwrap_or("") {
        "" => None,
        v => match v.parse::<i32>() {
            Ok(v) => Some(v),
            Err(_) => return Ok(signed.unreadable_form()),
        },
    };
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
            .save_plan_draft(signed.principal(), id, version, input)
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
