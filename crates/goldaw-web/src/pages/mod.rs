//! The web pages: server-rendered HTML (askama templates), usable without JavaScript.
//!
//! Sessions live in an HttpOnly, SameSite=Strict cookie (Secure when goldaw is told it is behind
//! TLS). Every form carries a CSRF token: the session's own once signed in; before that a
//! double-submit token (cookie and hidden field must match). Failed sign-ins lock the account
//! (store) and, per address, are rate-limited here.

mod admin;
mod assessments;
mod attachments;
mod case_access;
mod cases;
pub(crate) mod common;
mod consents;
mod contracting;
mod costing;
mod directory;
mod error;
pub(crate) mod extract;
mod gbv_statistics;
mod hotline;
mod legal_basis;
mod merges;
pub(crate) mod paging;
mod partners;
mod people;
mod planning;
mod providers;
mod referrals;
mod retention;
mod safety;
mod settings;
mod statistics;
mod subject_access;
mod workforce;

use crate::client_addr::ClientAddr;
use crate::i18n::Translator;
pub use crate::i18n::LANGUAGES;
use crate::pages::error::PageResult;
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use common::{render, server_error, unit_name};
use extract::Signed;
use goldaw_core::access::{Permission, Scope};
use goldaw_store::people::PersonQuery;
use goldaw_store::sessions::{random_token, Session, Stage};
use goldaw_store::two_factor::{CodeCheck, Enrolment};
use goldaw_store::users::{SignInRefusal, LOCKOUT_MINUTES};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SESSION_COOKIE: &str = "goldaw_session";
const LOGIN_CSRF_COOKIE: &str = "goldaw_login_csrf";
const LANG_COOKIE: &str = "goldaw_lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/login/totp", get(second_factor_form).post(second_factor))
        .route("/login/enrol", get(second_factor_form).post(second_factor))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_language))
        .route("/people", get(people))
        .merge(admin::router())
        .merge(cases::router())
        .merge(case_access::router())
        .merge(settings::router())
        .merge(referrals::router())
        .merge(assessments::router())
        .merge(attachments::router())
        .merge(merges::router())
        .merge(planning::router())
        .merge(providers::router())
        .merge(contracting::router())
        .merge(costing::router())
        .merge(statistics::router())
        .merge(directory::router())
        .merge(partners::router())
        .merge(workforce::router())
        .merge(people::router())
        .merge(legal_basis::router())
        .merge(hotline::router())
        .merge(consents::router())
        .merge(safety::router())
        .merge(gbv_statistics::router())
        .merge(subject_access::router())
        .merge(retention::router())
}

/// The page routes that take file uploads, with their own body limit.
pub fn upload_router() -> Router<AppState> {
    attachments::upload_router()
}

/// Failed sign-ins per address in a sliding window: beyond the limit, answer 429 without trying.
pub struct SignInLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

impl SignInLimiter {
    pub fn new() -> Self {
        SignInLimiter {
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn blocked(&self, ip: IpAddr) -> bool {
        let Ok(map) = self.failures.lock() else {
            return false;
        };
        map.get(&ip).is_some_and(|(n, since)| {
            *n >= MAX_FAILURES_PER_ADDRESS && since.elapsed() < FAILURE_WINDOW
        })
    }

    fn failed(&self, ip: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            map.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
            let entry = map.entry(ip).or_insert((0, Instant::now()));
            entry.0 += 1;
        }
    }

    fn succeeded(&self, ip: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&ip);
        }
    }
}

impl Default for SignInLimiter {
    fn default() -> Self {
        Self::new()
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    http_only: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if state.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("goldaw_invalid=1"))
}

pub(crate) fn translator(headers: &HeaderMap) -> Translator {
    Translator::new(cookie(headers, LANG_COOKIE))
}

/// What the layout shows about the signed-in user: the name, the form token, and which parts of
/// the navigation the role may use.
pub struct UserView {
    pub username: String,
    pub csrf: String,
    pub reads_people: bool,
    pub reads_cases: bool,
    pub registers_referrals: bool,
    pub works_cases: bool,
    pub supervises: bool,
    pub provider: bool,
    pub manages_providers: bool,
    pub reports: bool,
    pub planning: bool,
    /// Reads staff records of the workforce register (pages/workforce.rs).
    pub workforce: bool,
    pub settings: bool,
    pub is_admin: bool,
    /// Works on hotline calls or sensitive records: the quick exit on every page (issue #18).
    pub quick_exit: bool,
    /// Where the quick exit leaves to (the operator's setting, `/admin/settings`).
    pub quick_exit_site: String,
    /// Works on a hotline line (pages/hotline.rs).
    pub hotline: bool,
}

impl UserView {
    fn of(s: &Session) -> UserView {
        let p = &s.principal;
        // Only user accounts browse; the operator's principal never has a session.
        let may = |permission| p.role.is_some() && p.may(permission);
        UserView {
            username: p.actor.clone(),
            csrf: s.csrf.clone(),
            reads_people: may(Permission::ReadPeople),
            reads_cases: may(Permission::ReadCases),
            registers_referrals: may(Permission::RegisterReferral),
            works_cases: may(Permission::WorkCases),
            supervises: may(Permission::AllocateCases),
            provider: may(Permission::ProviderWork),
            manages_providers: may(Permission::ManageProviders),
            reports: may(Permission::ReadReports) && p.unit_scope().is_some(),
            planning: may(Permission::Planning),
            workforce: goldaw_core::workforce::staff_sight(p)
                != goldaw_core::workforce::StaffSight::Nothing,
            settings: may(Permission::ManageSettings),
            is_admin: may(Permission::ManageUsers),
            quick_exit: goldaw_core::safety::quick_exit(p),
            quick_exit_site: s.quick_exit_site.to_string(),
            hotline: may(Permission::HotlineCalls),
        }
    }
}

/// The signed-in session, only once sign-in is complete (second factor included).
async fn current_session(
    state: &AppState,
    headers: &HeaderMap,
    addr: ClientAddr,
) -> Result<Option<Session>, Response> {
    Ok(any_session(state, headers, addr)
        .await?
        .filter(|s| s.stage == Stage::Active))
}

/// Any live session, including one still waiting for its second factor.
async fn any_session(
    state: &AppState,
    headers: &HeaderMap,
    addr: ClientAddr,
) -> Result<Option<Session>, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    state
        .store
        .session(token, &addr.to_string())
        .await
        .map_err(server_error)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Translator,
    user: Option<UserView>,
    csrf: String,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Translator,
    user: Option<UserView>,
    intro: String,
    role_name: String,
    scope_name: String,
}

pub struct PersonRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub birth_date: String,
    pub sex: String,
    pub place: String,
    pub disability: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: Translator,
    user: Option<UserView>,
    query: String,
    searched: bool,
    count_text: String,
    rows: Vec<PersonRow>,
    /// Supervisors may merge duplicate records (pages/merges.rs).
    may_merge: bool,
}

/// The sign-in form, with a fresh double-submit CSRF token.
fn login_page(
    state: &AppState,
    t: Translator,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = match random_token() {
        Ok(c) => c,
        Err(e) => return server_error(e),
    };
    let mut response = render(LoginPage {
        t,
        user: None,
        csrf: csrf.clone(),
        message,
    });
    *response.status_mut() = status;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, Some(3600), true),
    );
    response
}

async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&state, translator(&headers), None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let t = translator(&headers);
    let Ok(Form(form)) = form else {
        return login_page(&state, t, None, StatusCode::BAD_REQUEST);
    };
    if cookie(&headers, LOGIN_CSRF_COOKIE) != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        let message = t.t("form-expired");
        return login_page(&state, t, Some(message), StatusCode::FORBIDDEN);
    }
    if state.limiter.blocked(addr.ip()) {
        let message = t.t_with(
            "sign-in-locked",
            &[("minutes", (FAILURE_WINDOW.as_secs() / 60).into())],
        );
        return login_page(&state, t, Some(message), StatusCode::TOO_MANY_REQUESTS);
    }
    let result = match state
        .store
        .sign_in(&form.username, &form.password, &addr.to_string())
        .await
    {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    match result {
        Ok(principal) => {
            let stage = match state.store.stage_after_password(&principal).await {
                Ok(s) => s,
                Err(e) => return server_error(e),
            };
            // The address's count starts again only once sign-in is complete: a known password
            // must not reset it while codes are being guessed.
            if stage == Stage::Active {
                state.limiter.succeeded(addr.ip());
            }
            let token = match state.store.open_session(&principal, stage).await {
                Ok(t) => t,
                Err(e) => return server_error(e),
            };
            let next = match stage {
                Stage::Active => "/",
                Stage::Totp => "/login/totp",
                Stage::Enrol => "/login/enrol",
            };
            let mut response = Redirect::to(next).into_response();
            *response.status_mut() = StatusCode::SEE_OTHER;
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &token, None, true),
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, LOGIN_CSRF_COOKIE, "", Some(0), true),
            );
            response
        }
        Err(refusal) => {
            state.limiter.failed(addr.ip());
            let message = match refusal {
                SignInRefusal::WrongCredentials => t.t("sign-in-failed"),
                SignInRefusal::Locked { .. } => {
                    t.t_with("sign-in-locked", &[("minutes", LOCKOUT_MINUTES.into())])
                }
            };
            login_page(&state, t, Some(message), StatusCode::UNAUTHORIZED)
        }
    }
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    t: Translator,
    user: Option<UserView>,
    title: String,
    intro: String,
    action: &'static str,
    csrf: String,
    enrolment: Option<Enrolment>,
    message: Option<String>,
}

/// The code form for a session waiting for its second factor (and, when enrolling, the key).
async fn second_factor_page(
    state: &AppState,
    session: &Session,
    t: Translator,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let enrolling = session.stage == Stage::Enrol;
    let enrolment = if enrolling {
        match state.store.start_totp_enrolment(&session.principal).await {
            Ok(e) => Some(e),
            Err(goldaw_store::StoreError::Config(detail)) => {
                tracing::error!(%detail, "two-factor enrolment impossible");
                return (StatusCode::SERVICE_UNAVAILABLE, t.t("key-missing")).into_response();
            }
            Err(e) => return server_error(e),
        }
    } else {
        None
    };
    let (title, intro) = if enrolling {
        ("enrol-title", "enrol-intro")
    } else {
        ("totp-title", "totp-intro")
    };
    let mut response = render(SecondFactorPage {
        title: t.t(title),
        intro: t.t(intro),
        action: if enrolling {
            "/login/enrol"
        } else {
            "/login/totp"
        },
        csrf: session.csrf.clone(),
        enrolment,
        message,
        user: None,
        t,
    });
    *response.status_mut() = status;
    response
}

async fn second_factor_form(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Response {
    let session = match any_session(&state, &headers, addr).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match session {
        Some(s) if s.stage != Stage::Active => {
            second_factor_page(&state, &s, translator(&headers), None, StatusCode::OK).await
        }
        Some(_) => Redirect::to("/").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
}

async fn second_factor(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let t = translator(&headers);
    let session = match any_session(&state, &headers, addr).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (Some(session), Some(token)) = (
        session.filter(|s| s.stage != Stage::Active),
        cookie(&headers, SESSION_COOKIE),
    ) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(Form(form)) = form else {
        return second_factor_page(&state, &session, t, None, StatusCode::BAD_REQUEST).await;
    };
    if form.csrf != session.csrf {
        let message = t.t("form-expired");
        return second_factor_page(&state, &session, t, Some(message), StatusCode::FORBIDDEN).await;
    }
    // The same per-address limit as the password form.
    if state.limiter.blocked(addr.ip()) {
        let message = t.t_with(
            "sign-in-locked",
            &[("minutes", (FAILURE_WINDOW.as_secs() / 60).into())],
        );
        return second_factor_page(
            &state,
            &session,
            t,
            Some(message),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    match state
        .store
        .check_totp(&session.principal, token, form.code.trim())
        .await
    {
        Ok(CodeCheck::Accepted) => {
            state.limiter.succeeded(addr.ip());
            let mut response = Redirect::to("/").into_response();
            *response.status_mut() = StatusCode::SEE_OTHER;
            response
        }
        Ok(CodeCheck::Refused) => {
            state.limiter.failed(addr.ip());
            let message = t.t("totp-failed");
            second_factor_page(&state, &session, t, Some(message), StatusCode::UNAUTHORIZED).await
        }
        Ok(CodeCheck::Locked { .. }) => {
            // The session has ended: back to the sign-in form, which says the account is locked.
            state.limiter.failed(addr.ip());
            let message = t.t_with("sign-in-locked", &[("minutes", LOCKOUT_MINUTES.into())]);
            let mut response = login_page(&state, t, Some(message), StatusCode::UNAUTHORIZED);
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, "", Some(0), true),
            );
            response
        }
        Err(goldaw_store::StoreError::Config(detail)) => {
            tracing::error!(%detail, "two-factor check impossible");
            (StatusCode::SERVICE_UNAVAILABLE, t.t("key-missing")).into_response()
        }
        Err(e) => server_error(e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let session = match any_session(&state, &headers, addr).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(session) = session else {
        return Redirect::to("/login").into_response();
    };
    let valid = form.is_ok_and(|Form(f)| f.csrf == session.csrf);
    if !valid {
        return (
            StatusCode::FORBIDDEN,
            translator(&headers).t("form-expired"),
        )
            .into_response();
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.store.end_session(token).await {
            return server_error(e);
        }
    }
    let mut response = Redirect::to("/login").into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", Some(0), true),
    );
    response
}

/// Sets the language and goes back where the person was (same site only).
async fn set_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let t = Translator::new(Some(&code));
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LANG_COOKIE, t.lang(), Some(365 * 24 * 3600), false),
    );
    response
}

async fn home(State(state): State<AppState>, signed: Signed) -> PageResult {
    let t = &signed.t;
    let principal = signed.principal();
    let role = principal.role.map(|r| r.as_str()).unwrap_or("admin");
    let scope_name = match &principal.scope {
        Scope::Unit(code) => {
            let catalogue = state.store.catalogue();
            match catalogue.admin_unit(code) {
                Some(u) => unit_name(u, t),
                None => code.to_string(),
            }
        }
        Scope::Provider(id) => id.clone(),
    };
    Ok(render(HomePage {
        intro: t.t(&format!("home-intro-{role}")),
        role_name: t.t(&format!("role-{role}")),
        scope_name,
        user: signed.user(),
        t: signed.t.clone_lang(),
    }))
}

#[derive(Deserialize)]
struct PeopleQuery {
    q: Option<String>,
}

async fn people(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<PeopleQuery>,
) -> PageResult {
    signed.require(Permission::ReadPeople)?;
    let t = &signed.t;
    let q = query.q.unwrap_or_default();
    let mut rows = Vec::new();
    let searched = !q.trim().is_empty();
    if searched {
        let found = match state
            .store
            .search_persons(
                signed.principal(),
                &PersonQuery {
                    name: Some(q.clone()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
        {
            Ok(f) => f,
            Err(e) => return Ok(server_error(e)),
        };
        let catalogue = state.store.catalogue();
        for p in found {
            let d = &p.data;
            rows.push(PersonRow {
                id: p.id,
                name: match &d.family_name {
                    Some(f) => format!("{} {}", f, d.given_name),
                    None => d.given_name.to_string(),
                },
                birth_date: d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
                sex: t.t(&format!("sex-{}", d.sex.as_str())),
                place: catalogue
                    .admin_unit(&d.admin_unit)
                    .map_or_else(|| d.admin_unit.to_string(), |u| unit_name(u, t)),
                disability: t.t(if p.disability { "yes" } else { "no" }),
            });
        }
    }
    let count_text = t.t_with("people-count", &[("count", rows.len().into())]);
    Ok(render(PeoplePage {
        user: signed.user(),
        query: q,
        searched,
        count_text,
        rows,
        may_merge: signed.principal().may(Permission::ApproveCases),
        t: t.clone_lang(),
    }))
}
