//! Intake (`/cases/new`): registering a new case for a person, a known one or a new one once the
//! likely duplicates were shown.

use super::{choices, Choice};
use crate::i18n::Translator;
use crate::pages::common::{refusal, render, unit_name};
use crate::pages::error::PageResult;
use crate::pages::extract::{see_other, Posted, Signed};
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use goldaw_core::access::Permission;
use goldaw_core::codes::{Priority, ReferralSource, Role, Sex};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::people::PersonData;
use goldaw_store::cases::{Candidate, NewReferral};
use serde::Deserialize;
use uuid::Uuid;

/// The etraps (and city boroughs) where the principal may take in a new case.
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
pub(super) struct IntakeForm {
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

pub(super) async fn intake_form(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::RegisterReferral)?;
    let unit = signed
        .principal()
        .unit_scope()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    Ok(intake_page(
        &state,
        &signed,
        IntakeForm {
            admin_unit: unit,
            ..IntakeForm::default()
        },
        Vec::new(),
        None,
    ))
}

/// Takes in the new case: the chosen known person, or a new one once the likely duplicates were
/// shown and the worker chose "new".
pub(super) async fn intake(
    State(state): State<AppState>,
    posted: Posted<IntakeForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::RegisterReferral)?;
    let t = &signed.t;
    let fail = |key: &str| Some(t.t(key));
    let unit: AdminUnitCode = match form.admin_unit.parse() {
        Ok(u) => u,
        Err(_) => {
            return Ok(intake_page(
                &state,
                &signed,
                form.clone(),
                Vec::new(),
                fail("intake-unit-needed"),
            ))
        }
    };
    let Ok(source) = form.referral_source.parse::<ReferralSource>() else {
        return Ok(intake_page(
            &state,
            &signed,
            form.clone(),
            Vec::new(),
            fail("intake-source-needed"),
        ));
    };
    let priority = match form.priority.as_str() {
        "" => None,
        p => match p.parse::<Priority>() {
            Ok(p) => Some(p),
            Err(_) => {
                return Ok(intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-priority-bad"),
                ))
            }
        },
    };
    let anonymous = form.anonymous.is_some();
    let birth_date = match form.birth_date.trim() {
        "" => None,
        d => match d.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                return Ok(intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-birth-date-bad"),
                ))
            }
        },
    };
    let person = match form.person.as_str() {
        "" | "new" => None,
        id => match id.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                return Ok(intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-person-bad"),
                ))
            }
        },
    };
    let principal = signed.principal();
    let person = match person {
        Some(id) => id,
        None => {
            if !anonymous && form.given_name.trim().is_empty() {
                return Ok(intake_page(
                    &state,
                    &signed,
                    form.clone(),
                    Vec::new(),
                    fail("intake-name-needed"),
                ));
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
                        return Ok(intake_page(&state, &signed, form.clone(), found, None))
                    }
                    Ok(_) => {}
                    Err(e) => return Err(signed.fail(e)),
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
                    return Ok(intake_page(
                        &state,
                        &signed,
                        form.clone(),
                        Vec::new(),
                        Some(text),
                    ));
                }
            };
            match state.store.create_person(principal, None, data).await {
                Ok(p) => p.id,
                Err(e) => return Err(signed.fail(e)),
            }
        }
    };
    let new_case = NewReferral {
        person,
        admin_unit: unit,
        referral_source: source,
        referrer: Some(form.referrer.clone()),
        concern: Some(form.concern.clone()),
        provisional_priority: priority,
        sensitive: form.sensitive.is_some(),
        household_case: false,
    };
    Ok(
        match state.store.register_referral(principal, new_case).await {
            // The hotline does not read cases it did not register, but it registered this one.
            Ok(case) => see_other(&format!("/cases/{}", case.id)),
            Err(e) => refusal(&signed, e),
        },
    )
}
