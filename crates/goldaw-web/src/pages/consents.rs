//! `/cases/{id}/consents`: consent that governs sharing, on a page (issue #18,
//! docs/survivors.md): the consents of the case's people (record, withdraw), the supervisors'
//! overrides for a reason the law allows, and what was shared with the police or health (refused
//! without consent). Also the consent panel the case page includes (`case_survivor.html`). The
//! same store calls as `/api/v1/cases/{id}/consents`...: the store decides who may (a case
//! outside scope is "not found"; an override without `OverrideConsent` is refused).

use super::common::{after, local_time};
use super::extract::{Posted, Signed};
use super::hotline::Opt;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::common::render;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use goldaw_core::access::Permission;
use goldaw_core::consent::{ConsentGiver, ConsentMethod, ConsentPurpose, OverrideReason};
use goldaw_core::service_referrals::ProviderKind;
use goldaw_store::consent::{
    CaseConsents, ConsentRecord, NewConsent, NewDisclosure, NewOverride, Withdrawal,
};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/consents", get(page).post(record))
        .route("/consents/{id}/withdraw", post(withdraw))
        .route("/cases/{id}/consent-overrides", post(override_consent))
        .route("/cases/{id}/disclosures", post(disclose))
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

/// A consent as a line of the page and of the case page's panel.
pub(crate) struct ConsentLine {
    pub id: Uuid,
    pub version: i32,
    pub text: String,
    pub in_force: bool,
    pub withdrawn: bool,
    pub status: String,
}

fn consent_line(t: &Translator, c: &ConsentRecord) -> ConsentLine {
    let mut text = t.t(&format!("consent-purpose-{}", c.purpose));
    if let Some(name) = c.provider_name.as_ref().or(c.provider.as_ref()) {
        text.push_str(&format!(": {name}"));
    } else if let Some(kind) = &c.provider_kind {
        text.push_str(&format!(": {}", t.t(&format!("provider-kind-{kind}"))));
    }
    text.push_str(&format!(
        " · {} · {} · {}",
        t.t(&format!("consent-giver-{}", c.giver)),
        t.t(&format!("consent-method-{}", c.method)),
        match c.valid_until {
            Some(u) => format!("{} – {u}", c.valid_from),
            None => t.t_with("consent-from", &[("date", c.valid_from.to_string().into())]),
        }
    ));
    let status = if c.withdrawn_at.is_some() {
        t.t("consent-status-withdrawn")
    } else if c.in_force {
        t.t("consent-status-in-force")
    } else {
        t.t("consent-status-not-in-force")
    };
    ConsentLine {
        id: c.id,
        version: c.version,
        text,
        in_force: c.in_force,
        withdrawn: c.withdrawn_at.is_some(),
        status,
    }
}

/// The consent panel of the case page.
pub(crate) struct CasePanel {
    /// Shown: the reader sees the case in full and consent governs it or it has records.
    pub shown: bool,
    pub governed: bool,
    /// The reader may read the case's consents.
    pub readable: bool,
    pub consents: Vec<ConsentLine>,
    /// How many overrides, as a sentence (empty: none).
    pub overrides: String,
    /// A sensitive case: the safety plan's link, with its risk level if one was made.
    pub safety: Option<String>,
    /// The safety plan's risk is high.
    pub safety_high: bool,
    /// The person's name is hidden on the page (a sensitive case): a link shows it, audited.
    pub name_hidden: bool,
    /// A sensitive case's survivor code (to a reader who sees the case in full).
    pub survivor_code: Option<String>,
    /// The incident date (`YYYY-MM-DD`), empty if not recorded.
    pub incident_on: String,
    /// The reader may set the incident date (a sensitive case they work on).
    pub may_set_incident: bool,
    /// The case's version, for the incident date's form.
    pub version: i32,
}

/// The panel for the case page (an audited read of the case's consents); hidden for a reader
/// who may not read them. On a sensitive case the person's name is hidden on the page
/// ([`hidden_name`]) and the panel links to it.
pub(crate) async fn case_panel(
    state: &AppState,
    signed: &Signed,
    case: Uuid,
    sensitive: bool,
) -> CasePanel {
    let hidden = CasePanel {
        shown: false,
        governed: false,
        readable: false,
        consents: Vec::new(),
        overrides: String::new(),
        safety: None,
        safety_high: false,
        name_hidden: sensitive,
        survivor_code: None,
        incident_on: String::new(),
        may_set_incident: false,
        version: 0,
    };
    let Ok(c) = state.store.case_consents(signed.principal(), case).await else {
        return hidden;
    };
    let t = &signed.t;
    let (safety, safety_high) = match sensitive {
        false => (None, false),
        true => match state.store.safety_plan(signed.principal(), case).await {
            Ok(file) => match file.current {
                Some(plan) => (
                    Some(format!(
                        "{}: {}",
                        t.t("safety-plan-risk"),
                        t.t(&format!("risk-level-{}", plan.risk_level))
                    )),
                    plan.risk_level == goldaw_store::safety_plans::RiskLevel::High,
                ),
                None => (Some(t.t("safety-plan-none")), false),
            },
            Err(_) => (None, false),
        },
    };
    CasePanel {
        safety,
        safety_high,
        name_hidden: sensitive,
        survivor_code: None,
        incident_on: String::new(),
        may_set_incident: false,
        version: 0,
        shown: c.governed || !c.consents.is_empty(),
        governed: c.governed,
        consents: c
            .consents
            .iter()
            .map(|r| consent_line(&signed.t, r))
            .collect(),
        readable: true,
        overrides: match c.overrides.len() {
            0 => String::new(),
            n => signed
                .t
                .t_with("consent-overrides-count", &[("count", n.into())]),
        },
    }
}

struct OverrideLine {
    text: String,
    note: String,
    by: String,
}

struct DisclosureLine {
    text: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "consents.html")]
struct ConsentsPage {
    t: Translator,
    user: Option<UserView>,
    id: Uuid,
    number: String,
    governed: bool,
    consents: Vec<ConsentLine>,
    overrides: Vec<OverrideLine>,
    disclosures: Vec<DisclosureLine>,
    purposes: Vec<Opt>,
    kinds: Vec<Opt>,
    givers: Vec<Opt>,
    methods: Vec<Opt>,
    reasons: Vec<Opt>,
    may_override: bool,
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
    let CaseConsents {
        governed,
        consents,
        overrides,
        disclosures,
    } = state.store.case_consents(p, id).await.or_refuse(&signed)?;
    let t = &signed.t;
    Ok(render(ConsentsPage {
        user: signed.user(),
        id,
        number: case.number,
        governed,
        consents: consents.iter().map(|c| consent_line(t, c)).collect(),
        overrides: overrides
            .iter()
            .map(|o| OverrideLine {
                text: format!(
                    "{}{} · {} · {}",
                    t.t(&format!("consent-purpose-{}", o.purpose)),
                    o.provider
                        .as_ref()
                        .map(|p| format!(": {p}"))
                        .unwrap_or_default(),
                    t.t(&format!("consent-reason-{}", o.reason)),
                    local_time(o.recorded_at)
                ),
                note: o.note.clone().unwrap_or_default(),
                by: o.recorded_by.clone(),
            })
            .collect(),
        disclosures: disclosures
            .iter()
            .map(|d| DisclosureLine {
                text: format!(
                    "{} · {} · {} · {} · {}",
                    local_time(d.shared_at),
                    t.t(&format!("consent-purpose-{}", d.purpose)),
                    d.recipient,
                    t.t(&format!("consent-basis-{}", d.basis)),
                    d.shared_by
                ),
                detail: d.detail.clone().unwrap_or_default(),
            })
            .collect(),
        purposes: opts(
            t,
            "consent-purpose-",
            ConsentPurpose::ALL.iter().map(|p| p.as_str()),
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
        reasons: opts(
            t,
            "consent-reason-",
            OverrideReason::ALL.iter().map(|r| r.as_str()),
        ),
        may_override: p.may(Permission::OverrideConsent),
        t: t.clone_lang(),
    }))
}

fn choice<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<Option<T>, StoreError> {
    match v.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| StoreError::refuse(field, "hotline-form-choice", vec![])),
    }
}

fn required<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, StoreError> {
    choice(field, v)?.ok_or_else(|| StoreError::refuse(field, "hotline-form-choice", vec![]))
}

fn date(field: &'static str, v: &str) -> Result<Option<NaiveDate>, StoreError> {
    choice::<NaiveDate>(field, v)
        .map_err(|_| StoreError::refuse(field, "hotline-form-time", vec![]))
}

fn text(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
struct ConsentFields {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    provider_kind: String,
    #[serde(default)]
    giver: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
}

fn new_consent(f: &ConsentFields) -> Result<NewConsent, StoreError> {
    Ok(NewConsent {
        person: None,
        purpose: required("purpose", &f.purpose)?,
        provider: text(&f.provider),
        provider_kind: choice("provider_kind", &f.provider_kind)?,
        giver: required("giver", &f.giver)?,
        method: required("method", &f.method)?,
        valid_from: date("valid_from", &f.valid_from)?,
        valid_until: date("valid_until", &f.valid_until)?,
    })
}

fn back(id: Uuid) -> String {
    format!("/cases/{id}/consents")
}

async fn record(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<ConsentFields>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let result = async {
        state.store.case_reachable(p, id).await?;
        let new = new_consent(&form)?;
        state.store.record_consent(p, id, new).await
    }
    .await;
    Ok(after(&signed, result, back(id)))
}

#[derive(Deserialize)]
struct WithdrawFields {
    case: Uuid,
    version: i32,
}

async fn withdraw(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<WithdrawFields>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let r = state
        .store
        .withdraw_consent(
            signed.principal(),
            form.case,
            id,
            Withdrawal {
                version: form.version,
            },
        )
        .await;
    Ok(after(&signed, r, back(form.case)))
}

#[derive(Deserialize)]
struct OverrideFields {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn override_consent(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<OverrideFields>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let result = async {
        state.store.case_reachable(p, id).await?;
        let new = NewOverride {
            person: None,
            purpose: required("purpose", &form.purpose)?,
            provider: text(&form.provider),
            reason: choice("reason", &form.reason)?,
            note: text(&form.note),
        };
        state.store.override_consent(p, id, new).await
    }
    .await;
    Ok(after(&signed, result, back(id)))
}

#[derive(Deserialize)]
struct DisclosureFields {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    detail: String,
}

async fn disclose(
    State(state): State<AppState>,
    id: Result<Path<Uuid>, PathRejection>,
    Posted { signed, form }: Posted<DisclosureFields>,
) -> PageResult {
    signed.require(Permission::ReadCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    let p = signed.principal();
    let result = async {
        state.store.case_reachable(p, id).await?;
        let new = NewDisclosure {
            person: None,
            purpose: required("purpose", &form.purpose)?,
            recipient: form.recipient.clone(),
            detail: text(&form.detail),
        };
        state.store.disclose(p, id, new).await
    }
    .await;
    Ok(after(&signed, result, back(id)))
}

/// The name the case page shows: on a sensitive case hidden by default, even from those allowed
/// to see it (a shared device); `/cases/{id}/name` shows it, audited.
/// The rule is `goldaw_core::safety::name_on_page`; the lists of cases and tasks use it too.
pub(crate) fn hidden_name(t: &Translator, sensitive: bool, name: Option<&str>) -> String {
    use goldaw_core::safety::{name_on_page, NameOnPage};
    match (name_on_page(sensitive, name.is_some()), name) {
        (NameOnPage::Shown, Some(n)) => n.to_owned(),
        (NameOnPage::Hidden, _) => t.t("names-hidden"),
        _ => t.t("restricted-name"),
    }
}
