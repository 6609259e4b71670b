//! The partner portal (issue #23, docs/partners.md), and the staff's pages of partners:
//!
//! - `/partner`: a partner agency signs in with its organisation's key (kept in an HttpOnly,
//!   SameSite=Strict cookie), sees its own referrals with their status and, with the family's
//!   agreement, the outcome; `/partner/referrals/new` refers a family; every form carries a
//!   double-submit CSRF token. Nothing of a case is shown; another organisation's referral is
//!   "not found".
//! - `/partners`: the register of partner organisations and their keys (admins).
//! - `/partners/feedback/{case}`: the etrap records the family's agreement to feedback and the
//!   outcome summary (who may work on the case).

use super::common::{local_time, render, server_error, unit_name};
use super::error::{OrRefuse, PageResult};
use super::extract::{message_page, see_other, Posted, Signed};
use super::{cookie, set_cookie, translator};
use crate::client_addr::ClientAddr;
use crate::i18n::Translator;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::partners::PartnerKind;
use goldaw_store::partners::{
    FeedbackChange, NewPartner, PartnerReferralInput, PartnerReferralQuery, MAX_OUTCOME,
};
use goldaw_store::sessions::random_token;
use serde::Deserialize;
use uuid::Uuid;

const PARTNER_COOKIE: &str = "goldaw_partner";
const PARTNER_CSRF_COOKIE: &str = "goldaw_partner_csrf";
const FORM_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partner", get(portal))
        .route("/partner/signin", post(sign_in))
        .route("/partner/signout", post(sign_out))
        .route("/partner/referrals/new", get(new_referral))
        .route("/partner/referrals", post(refer))
        .route("/partner/referrals/{id}", get(referral))
        .route("/partners", get(register).post(add_partner))
        .route("/partners/{id}/keys", post(issue_key))
        .route("/partners/{id}/revoke", post(revoke_keys))
        .route("/partners/{id}/revoke-key", post(revoke_key))
        .route(
            "/partners/feedback/{case}",
            get(feedback_form).post(save_feedback),
        )
}

/// The partner signed in through the portal's cookie, if any.
async fn partner(
    state: &AppState,
    headers: &HeaderMap,
    addr: ClientAddr,
) -> Result<Option<Principal>, Response> {
    let Some(key) = cookie(headers, PARTNER_COOKIE) else {
        return Ok(None);
    };
    state
        .store
        .principal_for_partner_key(key, &addr.to_string())
        .await
        .map_err(server_error)
}

/// The portal's form token: the cookie's, or a new one (set on the answer).
fn csrf_of(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PARTNER_CSRF_COOKIE) {
        Some(c) if c.len() == 64 => (c.to_owned(), false),
        _ => (random_token().unwrap_or_default(), true),
    }
}

fn with_csrf(state: &AppState, mut r: Response, csrf: &str, fresh: bool) -> Response {
    if fresh {
        r.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, PARTNER_CSRF_COOKIE, csrf, Some(8 * 3600), true),
        );
    }
    r
}

/// A form posted to the portal: read (bounded) only when its CSRF field matches the cookie.
fn read_form<F: serde::de::DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Option<F> {
    #[derive(Deserialize)]
    struct Csrf {
        #[serde(default)]
        csrf: String,
    }
    let token: Csrf = serde_urlencoded::from_bytes(bytes).ok()?;
    let expected = cookie(headers, PARTNER_CSRF_COOKIE)?;
    if token.csrf.is_empty() || token.csrf != expected {
        return None;
    }
    serde_urlencoded::from_bytes(bytes).ok()
}

pub struct ReferralRow {
    pub id: Uuid,
    pub reference: String,
    pub their_reference: String,
    pub sent_on: String,
    pub status: String,
    pub outcome: Option<String>,
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PortalPage {
    t: Translator,
    user: Option<super::UserView>,
    csrf: String,
    signed_in: Option<String>,
    message: Option<String>,
    rows: Vec<ReferralRow>,
    /// The next page of the partner's referrals (newest first, a page at a time).
    next_link: Option<String>,
    first_link: String,
    paged: bool,
}

fn rows_of(
    t: &Translator,
    list: Vec<goldaw_store::partners::PartnerReferralView>,
) -> Vec<ReferralRow> {
    list.into_iter()
        .map(|r| ReferralRow {
            id: r.id,
            reference: r.reference,
            their_reference: r.their_reference.unwrap_or_default(),
            sent_on: local_time(r.created_at),
            status: t.t(&format!("partner-status-{}", r.status.as_str())),
            outcome: r.outcome,
        })
        .collect()
}

/// The portal: the partner's referrals from `after` (a page's cursor; none: the first page).
async fn portal_page(
    state: &AppState,
    headers: &HeaderMap,
    addr: ClientAddr,
    message: Option<String>,
    status: StatusCode,
    after: Option<String>,
) -> Response {
    let t = translator(headers);
    let (csrf, fresh) = csrf_of(headers);
    let p = match partner(state, headers, addr).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (mut message, mut status) = (message, status);
    let paged = after.is_some();
    let (signed_in, rows, next) = match &p {
        Some(p) => {
            let query = PartnerReferralQuery { after, limit: None };
            let page = match state.store.partner_referrals_page(p, &query).await {
                // A damaged page link: the first page, and why.
                Err(goldaw_store::StoreError::Invalid { .. }) if paged => {
                    message = Some(t.t("store-page-link-damaged"));
                    status = StatusCode::BAD_REQUEST;
                    state
                        .store
                        .partner_referrals_page(p, &PartnerReferralQuery::default())
                        .await
                }
                other => other,
            };
            match page {
                Ok(page) => (
                    Some(p.actor.trim_start_matches("partner:").to_owned()),
                    rows_of(&t, page.items),
                    page.next,
                ),
                Err(e) => return server_error(e),
            }
        }
        None => (None, Vec::new(), None),
    };
    let mut r = render(PortalPage {
        csrf: csrf.clone(),
        signed_in,
        message,
        rows,
        next_link: crate::pages::paging::next_link("/partner", &[], next.as_deref()),
        first_link: "/partner".to_owned(),
        paged,
        user: None,
        t,
    });
    *r.status_mut() = status;
    with_csrf(state, r, &csrf, fresh)
}

#[derive(Deserialize)]
struct PortalParams {
    after: Option<String>,
}

async fn portal(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(params): Query<PortalParams>,
) -> Response {
    portal_page(&state, &headers, addr, None, StatusCode::OK, params.after).await
}

#[derive(Deserialize)]
struct KeyForm {
    key: String,
}

async fn sign_in(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let t = translator(&headers);
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return message_page(
            &t,
            None,
            StatusCode::PAYLOAD_TOO_LARGE,
            "refused",
            "form-too-large",
        );
    };
    let Some(form) = read_form::<KeyForm>(&headers, &bytes) else {
        return message_page(&t, None, StatusCode::FORBIDDEN, "refused", "form-expired");
    };
    // The same per-address limit as the staff's sign-in: keys are not to be guessed.
    if state.limiter.blocked(addr.ip()) {
        return portal_page(
            &state,
            &headers,
            addr,
            Some(t.t("partner-key-wrong")),
            StatusCode::TOO_MANY_REQUESTS,
            None,
        )
        .await;
    }
    let key = form.key.trim();
    match state
        .store
        .principal_for_partner_key(key, &addr.to_string())
        .await
    {
        Ok(Some(_)) => {
            let mut r = see_other("/partner");
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, PARTNER_COOKIE, key, None, true),
            );
            r
        }
        Ok(None) => {
            state.limiter.failed(addr.ip());
            let message = t.t("partner-key-wrong");
            let mut headers = headers.clone();
            headers.remove(header::COOKIE);
            let mut r = portal_page(
                &state,
                &headers,
                addr,
                Some(message),
                StatusCode::UNAUTHORIZED,
                None,
            )
            .await;
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, PARTNER_COOKIE, "", Some(0), true),
            );
            r
        }
        Err(e) => server_error(e),
    }
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let t = translator(&headers);
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return message_page(
            &t,
            None,
            StatusCode::PAYLOAD_TOO_LARGE,
            "refused",
            "form-too-large",
        );
    };
    #[derive(Deserialize)]
    struct Nothing {}
    if read_form::<Nothing>(&headers, &bytes).is_none() {
        return message_page(&t, None, StatusCode::FORBIDDEN, "refused", "form-expired");
    }
    let mut r = see_other("/partner");
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, PARTNER_COOKIE, "", Some(0), true),
    );
    r
}

#[derive(Template)]
#[template(path = "partner_new.html")]
struct NewReferralPage {
    t: Translator,
    user: Option<super::UserView>,
    csrf: String,
    etraps: Vec<(String, String)>,
    message: Option<String>,
}

fn new_page(
    state: &AppState,
    p: &Principal,
    headers: &HeaderMap,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let t = translator(headers);
    let (csrf, fresh) = csrf_of(headers);
    let catalogue = state.store.catalogue();
    let area = match &p.scope {
        goldaw_core::access::Scope::Unit(u) => u.clone(),
        goldaw_core::access::Scope::Provider(_) => goldaw_core::access::nation(),
    };
    let etraps = catalogue
        .admin_units
        .iter()
        .filter(|u| matches!(u.level.as_str(), "etrap" | "city_etrap_status" | "borough"))
        .filter(|u| goldaw_core::ids::AdminUnitCode::from_stored(u.code.clone()).is_within(&area))
        .map(|u| (u.code.clone(), unit_name(u, &t)))
        .collect();
    let mut r = render(NewReferralPage {
        csrf: csrf.clone(),
        etraps,
        message,
        user: None,
        t,
    });
    *r.status_mut() = status;
    with_csrf(state, r, &csrf, fresh)
}

async fn new_referral(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Response {
    match partner(&state, &headers, addr).await {
        Ok(Some(p)) => new_page(&state, &p, &headers, None, StatusCode::OK),
        Ok(None) => see_other("/partner"),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct ReferralForm {
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
    concern: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    their_reference: String,
    #[serde(default)]
    sensitive: Option<String>,
}

async fn refer(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let t = translator(&headers);
    let p = match partner(&state, &headers, addr).await {
        Ok(Some(p)) => p,
        Ok(None) => return see_other("/partner"),
        Err(r) => return r,
    };
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return message_page(
            &t,
            None,
            StatusCode::PAYLOAD_TOO_LARGE,
            "refused",
            "form-too-large",
        );
    };
    let Some(form) = read_form::<ReferralForm>(&headers, &bytes) else {
        return message_page(&t, None, StatusCode::FORBIDDEN, "refused", "form-expired");
    };
    let birth_date = match form.birth_date.trim() {
        "" => None,
        d => match d.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                let message = t.t("partner-birth-date");
                return new_page(
                    &state,
                    &p,
                    &headers,
                    Some(message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
            }
        },
    };
    let input = PartnerReferralInput {
        given_name: form.given_name,
        family_name: Some(form.family_name),
        sex: form.sex,
        birth_date,
        admin_unit: Some(form.admin_unit),
        concern: form.concern,
        contact: Some(form.contact),
        their_reference: Some(form.their_reference),
        sensitive: form.sensitive.is_some(),
    };
    match state.store.partner_refer(&p, input).await {
        Ok(view) => see_other(&format!("/partner/referrals/{}", view.id)),
        Err(goldaw_store::StoreError::Invalid { say: Some(say), .. }) => {
            let message = t.say(&say);
            new_page(
                &state,
                &p,
                &headers,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => server_error(e),
    }
}

#[derive(Template)]
#[template(path = "partner_referral.html")]
struct ReferralPage {
    t: Translator,
    user: Option<super::UserView>,
    row: ReferralRow,
    sent_text: String,
}

async fn referral(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Response {
    let t = translator(&headers);
    let p = match partner(&state, &headers, addr).await {
        Ok(Some(p)) => p,
        Ok(None) => return see_other("/partner"),
        Err(r) => return r,
    };
    let not_found = |t: &Translator| {
        message_page(
            t,
            None,
            StatusCode::NOT_FOUND,
            "not-found",
            "not-found-text",
        )
    };
    let Ok(Path(id)) = id else {
        return not_found(&t);
    };
    match state.store.partner_referral(&p, id).await {
        Ok(view) => {
            let sent_text = t.t_with(
                "partner-sent",
                &[("reference", view.reference.clone().into())],
            );
            let row = rows_of(&t, vec![view]).remove(0);
            render(ReferralPage {
                row,
                sent_text,
                user: None,
                t,
            })
        }
        Err(goldaw_store::StoreError::NotFound) => not_found(&t),
        Err(e) => server_error(e),
    }
}

// The staff's pages.

pub struct PartnerRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub area: String,
    pub active: bool,
    /// Its keys not revoked: (key id, who holds it and until when).
    pub keys: Vec<(Uuid, String)>,
}

#[derive(Template)]
#[template(path = "partners_admin.html")]
struct RegisterPage {
    t: Translator,
    user: Option<super::UserView>,
    csrf: String,
    rows: Vec<PartnerRow>,
    kinds: Vec<(String, String)>,
    issued: Option<String>,
}

async fn register_page(state: &AppState, signed: &Signed, issued: Option<String>) -> PageResult {
    signed.require(Permission::ManageUsers)?;
    let t = &signed.t;
    let list = state
        .store
        .list_partners(signed.principal())
        .await
        .or_refuse(signed)?;
    let keys = state
        .store
        .list_partner_keys(signed.principal())
        .await
        .or_refuse(signed)?;
    let catalogue = state.store.catalogue();
    Ok(render(RegisterPage {
        csrf: signed.session.csrf.clone(),
        rows: list
            .into_iter()
            .map(|p| PartnerRow {
                id: p.id,
                name: p.name,
                kind: t.t(&format!("partner-kind-{}", p.kind.as_str())),
                area: catalogue
                    .admin_units
                    .iter()
                    .find(|u| u.code == p.admin_unit)
                    .map_or_else(|| p.admin_unit.clone(), |u| unit_name(u, t)),
                active: p.active,
                keys: keys
                    .iter()
                    .filter(|k| k.partner_id == p.id)
                    .map(|k| {
                        let name = k
                            .holder
                            .clone()
                            .unwrap_or_else(|| t.t("partners-key-organisation"));
                        let date = k.expires_at.date_naive().to_string();
                        (
                            k.id,
                            t.t_with(
                                "partners-key-line",
                                &[("name", name.into()), ("date", date.into())],
                            ),
                        )
                    })
                    .collect(),
            })
            .collect(),
        kinds: PartnerKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_owned(),
                    t.t(&format!("partner-kind-{}", k.as_str())),
                )
            })
            .collect(),
        issued,
        user: signed.user(),
        t: t.clone_lang(),
    }))
}

async fn register(State(state): State<AppState>, signed: Signed) -> PageResult {
    register_page(&state, &signed, None).await
}

#[derive(Deserialize)]
struct PartnerForm {
    name: String,
    kind: String,
    admin_unit: String,
}

async fn add_partner(State(state): State<AppState>, posted: Posted<PartnerForm>) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageUsers)?;
    let (Ok(kind), Ok(unit)) = (
        form.kind.parse::<PartnerKind>(),
        form.admin_unit.trim().parse(),
    ) else {
        return Ok(signed.unreadable_form());
    };
    state
        .store
        .create_partner(
            signed.principal(),
            NewPartner {
                name: form.name,
                kind,
                admin_unit: unit,
            },
        )
        .await
        .or_refuse(&signed)?;
    Ok(see_other("/partners"))
}

#[derive(Deserialize)]
struct Empty {}

#[derive(Deserialize)]
struct HolderForm {
    holder: String,
}

async fn issue_key(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<HolderForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageUsers)?;
    let key = state
        .store
        .issue_partner_key(signed.principal(), id, &form.holder)
        .await
        .or_refuse(&signed)?;
    register_page(&state, &signed, Some(key)).await
}

#[derive(Deserialize)]
struct RevokeKeyForm {
    key: Uuid,
}

async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<RevokeKeyForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::ManageUsers)?;
    state
        .store
        .revoke_partner_key(signed.principal(), id, form.key)
        .await
        .or_refuse(&signed)?;
    Ok(see_other("/partners"))
}

async fn revoke_keys(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<Empty>,
) -> PageResult {
    let signed = posted.signed;
    signed.require(Permission::ManageUsers)?;
    state
        .store
        .revoke_partner_keys(signed.principal(), id)
        .await
        .or_refuse(&signed)?;
    Ok(see_other("/partners"))
}

#[derive(Template)]
#[template(path = "partner_feedback.html")]
struct FeedbackPage {
    t: Translator,
    user: Option<super::UserView>,
    csrf: String,
    case: Uuid,
    intro: String,
    outcome_label: String,
    view: Option<goldaw_store::partners::StaffPartnerView>,
}

async fn feedback_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(case): Path<Uuid>,
) -> PageResult {
    signed.require(Permission::WorkCases)?;
    let t = &signed.t;
    let view = state
        .store
        .case_partner_referral(signed.principal(), case)
        .await
        .or_refuse(&signed)?;
    let intro = view
        .as_ref()
        .map(|v| {
            t.t_with(
                "partner-feedback-intro",
                &[
                    ("partner", v.partner_name.clone().into()),
                    ("reference", v.reference.clone().into()),
                ],
            )
        })
        .unwrap_or_default();
    Ok(render(FeedbackPage {
        csrf: signed.session.csrf.clone(),
        case,
        intro,
        outcome_label: t.t_with("partner-feedback-outcome", &[("limit", MAX_OUTCOME.into())]),
        view,
        user: signed.user(),
        t: t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct FeedbackForm {
    version: i32,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    outcome: String,
}

async fn save_feedback(
    State(state): State<AppState>,
    Path(case): Path<Uuid>,
    posted: Posted<FeedbackForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    signed.require(Permission::WorkCases)?;
    state
        .store
        .record_partner_feedback(
            signed.principal(),
            case,
            FeedbackChange {
                version: form.version,
                consent: form.consent.is_some(),
                outcome: Some(form.outcome),
            },
        )
        .await
        .or_refuse(&signed)?;
    Ok(see_other(&format!("/partners/feedback/{case}")))
}
