//! `/hotline`: the hotline's call log on pages (issue #18, docs/survivors.md): the lines the
//! reader works on, a line's calls with the new-call form (the risk questions asked on every
//! call), a call's page with its follow-ups and "open a case from this call", and the line's
//! queue of call-backs due (its supervisors). The same store calls as `/api/v1/hotline/...`: the
//! store decides who may (`goldaw_core::hotline::line_sight`: another line's call is "not found").
//! No page title carries a caller's code name or anything said.

use super::common::{after_to, local_time, render, unit_name};
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
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use goldaw_core::access::Permission;
use goldaw_core::codes::Sex;
use goldaw_core::consent::{ConsentGiver, ConsentMethod, ConsentPurpose};
use goldaw_core::deadlines::LOCAL_OFFSET;
use goldaw_core::hotline::{AgeBand, CallAbout, CallCategory, CallOutcome, LineRole};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::service_referrals::ProviderKind;
use goldaw_store::consent::NewConsent;
use goldaw_store::hotline::{CallRecord, CallToCase, NewCall, RiskScreening};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hotline", get(lines))
        .route("/hotline/lines/{code}", get(line_page))
        .route("/hotline/lines/{code}/call-backs", get(call_backs))
        .route("/hotline/calls", post(log_call))
        .route("/hotline/calls/{id}", get(call_page))
        .route("/hotline/calls/{id}/case", post(open_case))
}

/// An option of a select: code and label.
pub(crate) struct Opt {
    pub code: String,
    pub label: String,
}

fn opts<'a>(t: &Translator, prefix: &str, codes: impl IntoIterator<Item = &'a str>) -> Vec<Opt> {
    codes
        .into_iter()
        .map(|c| Opt {
            code: c.to_owned(),
            label: t.t(&format!("{prefix}{c}")),
        })
        .collect()
}

/// The etraps a caller may name (and a case may go to).
pub(crate) fn etraps(state: &AppState, t: &Translator) -> Vec<Opt> {
    state
        .store
        .catalogue()
        .admin_units
        .iter()
        .filter(|u| {
            !matches!(
                u.level.as_str(),
                "country" | "velayat" | "capital_city_velayat_status"
            )
        })
        .map(|u| Opt {
            code: u.code.clone(),
            label: format!("{} ({})", unit_name(u, t), u.code),
        })
        .collect()
}

/// The message of an age band (`60+` is no message name).
fn age_key(band: AgeBand) -> String {
    format!("hotline-age-{}", band.as_str().replace('+', "-plus"))
}

/// A call as a row of a list or the head of its page.
struct CallView {
    id: Uuid,
    when: String,
    duration: String,
    taken_by: String,
    caller: String,
    age_band: String,
    sex: String,
    place: String,
    about: String,
    category: String,
    risks: Vec<String>,
    critical: bool,
    outcome: String,
    call_back: String,
    follows: Option<Uuid>,
    summary: String,
    case_id: Option<Uuid>,
    version: i32,
    line: String,
    /// The incident's day, empty if not given.
    incident_on: String,
}

fn call_view(state: &AppState, t: &Translator, c: &CallRecord) -> CallView {
    let s = &c.screening;
    let risks = [
        (s.immediate_danger, "hotline-risk-immediate-danger"),
        (s.children_at_risk, "hotline-risk-children-at-risk"),
        (s.weapons, "hotline-risk-weapons"),
        (s.previous_incidents, "hotline-risk-previous-incidents"),
    ]
    .into_iter()
    .filter(|(yes, _)| *yes)
    .map(|(_, k)| t.t(k))
    .collect();
    let catalogue = state.store.catalogue();
    CallView {
        id: c.id,
        when: local_time(c.received_at),
        duration: t.t_with(
            "hotline-minutes",
            &[("count", ((c.duration_seconds + 59) / 60).into())],
        ),
        taken_by: c.taken_by.clone(),
        caller: c.caller_code.clone(),
        age_band: t.t(&age_key(c.caller_age_band)),
        sex: c
            .caller_sex
            .map(|s| t.t(&format!("sex-{}", s.as_str())))
            .unwrap_or_default(),
        place: c
            .caller_admin_unit
            .as_ref()
            .and_then(|u| u.parse::<AdminUnitCode>().ok())
            .and_then(|u| catalogue.admin_unit(&u).map(|a| unit_name(a, t)))
            .unwrap_or_default(),
        about: t.t(&format!("hotline-about-{}", c.about)),
        category: t.t(&format!("hotline-category-{}", c.category)),
        risks,
        critical: c.critical,
        outcome: t.t(&format!("hotline-outcome-{}", c.outcome)),
        call_back: c.call_back_at.map(local_time).unwrap_or_default(),
        follows: c.follows,
        summary: c.summary.clone().unwrap_or_default(),
        incident_on: c.incident_on.map(|d| d.to_string()).unwrap_or_default(),
        case_id: c.case_id,
        version: c.version,
        line: c.line.clone(),
    }
}

/// The choices of the new-call form.
struct CallForm {
    age_bands: Vec<Opt>,
    abouts: Vec<Opt>,
    categories: Vec<Opt>,
    outcomes: Vec<Opt>,
    sexes: Vec<Opt>,
    places: Vec<Opt>,
}

fn call_form(state: &AppState, t: &Translator) -> CallForm {
    CallForm {
        age_bands: AgeBand::ALL
            .iter()
            .map(|a| Opt {
                code: a.as_str().to_owned(),
                label: t.t(&age_key(*a)),
            })
            .collect(),
        abouts: opts(
            t,
            "hotline-about-",
            CallAbout::ALL.iter().map(|a| a.as_str()),
        ),
        categories: opts(
            t,
            "hotline-category-",
            CallCategory::ALL.iter().map(|a| a.as_str()),
        ),
        outcomes: opts(
            t,
            "hotline-outcome-",
            CallOutcome::ALL.iter().map(|a| a.as_str()),
        ),
        sexes: opts(t, "sex-", Sex::ALL.iter().map(|a| a.as_str())),
        places: etraps(state, t),
    }
}

struct LineView {
    code: String,
    name: String,
    supervisor: bool,
}

#[derive(Template)]
#[template(path = "hotline_lines.html")]
struct LinesPage {
    t: Translator,
    user: Option<UserView>,
    lines: Vec<LineView>,
}

async fn lines(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::HotlineCalls)?;
    let mine = state
        .store
        .my_lines(signed.principal())
        .await
        .or_refuse(&signed)?;
    Ok(render(LinesPage {
        user: signed.user(),
        lines: mine
            .into_iter()
            .map(|(l, r)| LineView {
                code: l.code,
                name: l.name,
                supervisor: r == LineRole::Supervisor,
            })
            .collect(),
        t: signed.t.clone_lang(),
    }))
}

#[derive(Template)]
#[template(path = "hotline_line.html")]
struct LinePage {
    t: Translator,
    user: Option<UserView>,
    code: String,
    supervisor: bool,
    calls: Vec<CallView>,
    form: CallForm,
    /// A follow-up being logged: the first call's id.
    follows: String,
}

async fn line_page(
    State(state): State<AppState>,
    signed: Signed,
    code: Result<Path<String>, PathRejection>,
) -> PageResult {
    signed.require(Permission::HotlineCalls)?;
    let Ok(Path(code)) = code else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let calls = state.store.line_calls(p, &code).await.or_refuse(&signed)?;
    let supervisor = state
        .store
        .my_lines(p)
        .await
        .or_refuse(&signed)?
        .iter()
        .any(|(l, r)| l.code == code && *r == LineRole::Supervisor);
    let t = &signed.t;
    Ok(render(LinePage {
        user: signed.user(),
        supervisor,
        calls: calls.iter().map(|c| call_view(&state, t, c)).collect(),
        form: call_form(&state, t),
        follows: String::new(),
        code,
        t: t.clone_lang(),
    }))
}

#[derive(Template)]
#[template(path = "hotline_call_backs.html")]
struct CallBacksPage {
    t: Translator,
    user: Option<UserView>,
    code: String,
    calls: Vec<CallView>,
}

async fn call_backs(
    State(state): State<AppState>,
    signed: Signed,
    code: Result<Path<String>, PathRejection>,
) -> PageResult {
    signed.require(Permission::HotlineCalls)?;
    let Ok(Path(code)) = code else {
        return Ok(signed.not_found());
    };
    let calls = state
        .store
        .call_backs_due(signed.principal(), &code, Utc::now())
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    Ok(render(CallBacksPage {
        user: signed.user(),
        calls: calls.iter().map(|c| call_view(&state, t, c)).collect(),
        code,
        t: t.clone_lang(),
    }))
}

#[derive(Template)]
#[template(path = "hotline_call.html")]
struct CallPage {
    t: Translator,
    user: Option<UserView>,
    call: CallView,
    follow_ups: Vec<CallView>,
    form: CallForm,
    /// The follow-up form's first call.
    follows: String,
    code: String,
    purposes: Vec<Opt>,
    kinds: Vec<Opt>,
    givers: Vec<Opt>,
    methods: Vec<Opt>,
}

async fn call_page(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    signed.require(Permission::HotlineCalls)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let call = state.store.call(p, id).await.or_refuse(&signed)?;
    let follow_ups = state
        .store
        .call_follow_ups(p, id)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    Ok(render(CallPage {
        user: signed.user(),
        call: call_view(&state, t, &call),
        follow_ups: follow_ups.iter().map(|c| call_view(&state, t, c)).collect(),
        form: call_form(&state, t),
        follows: id.to_string(),
        code: call.line.clone(),
        purposes: opts(
            t,
            "consent-purpose-",
            [
                ConsentPurpose::Assessment,
                ConsentPurpose::Police,
                ConsentPurpose::Health,
                ConsentPurpose::Statistics,
            ]
            .iter()
            .map(|p| p.as_str()),
        ),
        kinds: opts(
            t,
            "provider-kind-",
            ProviderKind::ALL.iter().map(|k| k.as_str()),
        ),
        givers: opts(
            t,
            "consent-giver-",
            ConsentGiver::ALL.iter().map(|g| g.as_str()),
        ),
        methods: opts(
            t,
            "consent-method-",
            ConsentMethod::ALL.iter().map(|m| m.as_str()),
        ),
        t: t.clone_lang(),
    }))
}

/// A form's checkbox: present when ticked.
fn ticked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| !v.is_empty())
}

/// A `datetime-local` field, read as Turkmenistan's time.
fn local_datetime(field: &'static str, v: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| StoreError::refuse(field, "hotline-form-time", vec![]))?;
    LOCAL_OFFSET
        .from_local_datetime(&naive)
        .single()
        .map(|d| Some(d.with_timezone(&Utc)))
        .ok_or_else(|| StoreError::refuse(field, "hotline-form-time", vec![]))
}

/// A code field of the form: refused with the field's name when it is not one of the codes.
fn code<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, StoreError> {
    v.trim()
        .parse()
        .map_err(|_| StoreError::refuse(field, "hotline-form-choice", vec![]))
}

fn optional_code<T: std::str::FromStr>(
    field: &'static str,
    v: &str,
) -> Result<Option<T>, StoreError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        code(field, v).map(Some)
    }
}

#[derive(Deserialize)]
struct CallFields {
    line: String,
    #[serde(default)]
    received_at: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    caller_code: String,
    #[serde(default)]
    caller_age_band: String,
    #[serde(default)]
    caller_sex: String,
    #[serde(default)]
    caller_admin_unit: String,
    #[serde(default)]
    about: String,
    #[serde(default)]
    category: String,
    immediate_danger: Option<String>,
    children_at_risk: Option<String>,
    weapons: Option<String>,
    previous_incidents: Option<String>,
    #[serde(default)]
    outcome: String,
    emergency_consent: Option<String>,
    #[serde(default)]
    call_back_at: String,
    #[serde(default)]
    follows: String,
    #[serde(default)]
    summary: String,
    /// The incident's day (`YYYY-MM-DD`), if the caller says.
    #[serde(default)]
    incident_on: String,
}

fn new_call(f: &CallFields) -> Result<NewCall, StoreError> {
    let minutes: i64 = f
        .minutes
        .trim()
        .parse()
        .map_err(|_| StoreError::refuse("minutes", "hotline-bad-duration", vec![]))?;
    Ok(NewCall {
        line: f.line.trim().to_owned(),
        received_at: local_datetime("received_at", &f.received_at)?,
        duration_seconds: minutes.saturating_mul(60),
        caller_code: Some(f.caller_code.clone()).filter(|c| !c.trim().is_empty()),
        caller_age_band: code("caller_age_band", &f.caller_age_band)?,
        caller_sex: optional_code("caller_sex", &f.caller_sex)?,
        caller_admin_unit: optional_code("caller_admin_unit", &f.caller_admin_unit)?,
        about: code("about", &f.about)?,
        category: code("category", &f.category)?,
        screening: RiskScreening {
            immediate_danger: ticked(&f.immediate_danger),
            children_at_risk: ticked(&f.children_at_risk),
            weapons: ticked(&f.weapons),
            previous_incidents: ticked(&f.previous_incidents),
        },
        outcome: code("outcome", &f.outcome)?,
        emergency_consent: ticked(&f.emergency_consent),
        call_back_at: local_datetime("call_back_at", &f.call_back_at)?,
        follows: optional_code("follows", &f.follows)?,
        summary: Some(f.summary.clone()).filter(|s| !s.trim().is_empty()),
        incident_on: if f.incident_on.trim().is_empty() {
            None
        } else {
            Some(
                f.incident_on.trim().parse().map_err(|_| {
                    StoreError::refuse("incident_on", "incident-date-invalid", vec![])
                })?,
            )
        },
    })
}

async fn log_call(
    State(state): State<AppState>,
    Posted { signed, form }: Posted<CallFields>,
) -> PageResult {
    signed.require(Permission::HotlineCalls)?;
    let result = async {
        let new = new_call(&form)?;
        state.store.log_call(signed.principal(), new).await
    }
    .await;
    Ok(after_to(&signed, result, |call| {
        format!("/hotline/calls/{}", call.id)
    }))
}

#[derive(Deserialize)]
struct CaseFields {
    version: i32,
    #[serde(default)]
    admin_unit: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    giver: String,
    #[serde(default)]
    method: String,
    /// Consent to a referral to a kind of provider (`ngo`, ...), if given.
    #[serde(default)]
    referral_kind: String,
    consent_assessment: Option<String>,
    consent_police: Option<String>,
    consent_health: Option<String>,
    consent_statistics: Option<String>,
}

fn call_to_case(f: &CaseFields) -> Result<CallToCase, StoreError> {
    let giver: ConsentGiver = optional_code("giver", &f.giver)?.unwrap_or(ConsentGiver::Person);
    let method: ConsentMethod =
        optional_code("method", &f.method)?.unwrap_or(ConsentMethod::VerbalWitnessed);
    let consent = |purpose, provider_kind| NewConsent {
        person: None,
        purpose,
        provider: None,
        provider_kind,
        giver,
        method,
        valid_from: None,
        valid_until: None,
    };
    let mut consents = Vec::new();
    for (ticked_box, purpose) in [
        (&f.consent_assessment, ConsentPurpose::Assessment),
        (&f.consent_police, ConsentPurpose::Police),
        (&f.consent_health, ConsentPurpose::Health),
        (&f.consent_statistics, ConsentPurpose::Statistics),
    ] {
        if ticked(ticked_box) {
            consents.push(consent(purpose, None));
        }
    }
    if let Some(kind) = optional_code::<ProviderKind>("referral_kind", &f.referral_kind)? {
        consents.push(consent(ConsentPurpose::Referral, Some(kind)));
    }
    Ok(CallToCase {
        admin_unit: code("admin_unit", &f.admin_unit)?,
        person: None,
        sex: optional_code("sex", &f.sex)?,
        version: f.version,
        consents,
    })
}

async fn open_case(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<CaseFields>,
) -> PageResult {
    signed.require(Permission::HotlineCalls)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let result = async {
        let req = call_to_case(&form)?;
        state.store.call_to_case(signed.principal(), id, req).await
    }
    .await;
    Ok(after_to(&signed, result, |case| {
        format!("/cases/{}", case.id)
    }))
}
