//! Account and administration pages: password change, users, the audit log and its export.

use super::common::{render, server_error};
use super::extract::{Posted, Signed};
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, OrServerError, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, TimeZone, Utc};
use goldaw_core::access::{Permission, Scope};
use goldaw_core::codes::Role;
use goldaw_core::spreadsheet::{Cell, SpreadsheetCsv};
use goldaw_store::audit::{AuditCheck, AuditQuery};
use goldaw_store::grants::Decision;
use goldaw_store::sessions::Session;
use goldaw_store::users::{NewUser, UserChange, UserRecord};
use goldaw_store::StoreError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/account/password",
            get(password_form).post(change_password),
        )
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/disable", post(disable_user))
        .route("/admin/users/change", post(change_user))
        .route("/admin/users/grants", post(decide_grant))
        .route("/admin/audit", get(audit))
        .route("/admin/audit.csv", get(audit_csv))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    t: Translator,
    user: Option<UserView>,
    message: Option<String>,
    ok: bool,
}

async fn password_form(signed: Signed) -> PageResult {
    Ok(render(PasswordPage {
        user: signed.user(),
        t: signed.t,
        message: None,
        ok: false,
    }))
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    Posted { signed, form }: Posted<PasswordForm>,
) -> PageResult {
    let Signed { session, t } = signed;
    let (status, message, ok) = match state
        .store
        .change_password(&session, &form.current, &form.new)
        .await
    {
        Ok(()) => (StatusCode::OK, t.t("password-changed"), true),
        Err(StoreError::Invalid { field, .. }) if field == "current_password" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t("sign-in-failed"),
            false,
        ),
        Err(StoreError::Invalid { .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t("password-rules"),
            false,
        ),
        Err(e) => return Ok(server_error(e)),
    };
    let mut r = render(PasswordPage {
        user: Some(UserView::of(&session)),
        message: Some(message),
        ok,
        t,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub struct UserLine {
    username: String,
    role: String,
    /// The role's code, to preselect it in the change form.
    role_code: String,
    scope: String,
    status: String,
    disabled: bool,
    sensitive: bool,
    unsuppressed: bool,
    /// Its live API tokens, one line each: when each expires and was last used.
    tokens: Vec<String>,
    version: i32,
}

/// A grant waiting for a second admin, as the users page lists it.
pub struct GrantLine {
    id: String,
    version: i32,
    username: String,
    new_account: bool,
    access: String,
    asked_by: String,
    approve: bool,
    reject: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: Translator,
    user: Option<UserView>,
    users: Vec<UserLine>,
    grants: Vec<GrantLine>,
    roles: Vec<(&'static str, String)>,
    message: Option<String>,
    ok: bool,
    /// Paging (issue #24): the next page of accounts, the first, whether this is a later one.
    next_link: Option<String>,
    first_link: String,
    paged: bool,
}

/// A time as the pages show it: local, to the minute.
fn local_minute(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&goldaw_core::deadlines::LOCAL_OFFSET)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// What an account's access reads as: role, scope and the permissions beyond the role.
fn access_text(
    t: &Translator,
    role: Role,
    scope: &str,
    sensitive: bool,
    unsuppressed: bool,
) -> String {
    let mut parts = vec![t.t(&format!("role-{role}")), scope.to_owned()];
    if sensitive {
        parts.push(t.t("sensitive-permission"));
    }
    if unsuppressed {
        parts.push(t.t("unsuppressed-permission"));
    }
    parts.join("; ")
}

fn user_line(t: &Translator, u: UserRecord, now: chrono::DateTime<Utc>) -> UserLine {
    let tokens = u
        .tokens
        .iter()
        .map(|token| {
            let at = token
                .last_used_at
                .map_or_else(|| t.t("token-never-used"), local_minute);
            let date = token.expires_at.map(local_minute).unwrap_or_default();
            let key = if token.expired(now) {
                "token-expired-line"
            } else {
                "token-line"
            };
            t.t_with(key, &[("date", date.into()), ("at", at.into())])
        })
        .collect();
    UserLine {
        role: t.t(&format!("role-{}", u.role)),
        status: t.t(if u.disabled {
            "status-disabled"
        } else if u.awaiting_approval && !u.approved {
            "status-awaiting-approval"
        } else if !u.approved {
            "status-not-approved"
        } else if u.locked_until.is_some_and(|l| l > now) {
            "status-locked"
        } else {
            "status-active"
        }),
        disabled: u.disabled,
        role_code: u.role.as_str().to_owned(),
        sensitive: u.sensitive,
        unsuppressed: u.unsuppressed,
        tokens,
        version: u.version,
        scope: u.scope,
        username: u.username,
    }
}

async fn users_page(
    state: &AppState,
    session: &Session,
    t: Translator,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> Response {
    match state
        .store
        .list_users_page(&session.principal, None, None)
        .await
    {
        Ok(page) => users_page_of(state, session, t, message, ok, status, page, false).await,
        Err(e) => server_error(e),
    }
}

/// The users page showing one page of accounts (`paged`: not the first).
#[allow(clippy::too_many_arguments)]
async fn users_page_of(
    state: &AppState,
    session: &Session,
    t: Translator,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
    page: goldaw_store::users::UserPage,
    paged: bool,
) -> Response {
    let next_link = crate::pages::paging::next_link("/admin/users", &[], page.next.as_deref());
    let list = page.items;
    let requests = match state.store.grant_requests(&session.principal).await {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    let now = Utc::now();
    let users = list.into_iter().map(|u| user_line(&t, u, now)).collect();
    let grants = requests
        .into_iter()
        .map(|g| GrantLine {
            id: g.id.to_string(),
            version: g.version,
            access: access_text(&t, g.role, &g.scope, g.sensitive, g.unsuppressed),
            asked_by: format!("{}, {}", g.requested_by, local_minute(g.requested_at)),
            new_account: g.new_account,
            approve: g.actions.approve,
            reject: g.actions.reject,
            username: g.username,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str(), t.t(&format!("role-{r}"))))
        .collect();
    let mut r = render(UsersPage {
        user: Some(UserView::of(session)),
        users,
        grants,
        roles,
        message,
        ok,
        next_link,
        first_link: "/admin/users".to_owned(),
        paged,
        t,
    });
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
struct UsersParams {
    after: Option<String>,
}

async fn users(
    State(state): State<AppState>,
    signed: Signed,
    Query(params): Query<UsersParams>,
) -> PageResult {
    signed.require(Permission::ManageUsers)?;
    let page = state
        .store
        .list_users_page(signed.principal(), params.after.as_deref(), None)
        .await
        .or_refuse(&signed)?;
    Ok(users_page_of(
        &state,
        &signed.session,
        signed.t,
        None,
        false,
        StatusCode::OK,
        page,
        params.after.is_some(),
    )
    .await)
}

#[derive(Deserialize)]
struct AddUserForm {
    username: String,
    role: String,
    scope: String,
    sensitive: Option<String>,
    unsuppressed: Option<String>,
    password: String,
}

/// The role and scope of an account form, or what is wrong with them (goldaw-core's words).
/// A role or scope the lists do not hold (only a forged form sends one), as a refusal the admin
/// can act on in their language.
fn unknown_role_or_scope() -> StoreError {
    StoreError::refuse("scope", "store-role-scope-unknown", vec![])
}

fn role_and_scope(role: &str, scope: &str) -> Result<(Role, Scope), String> {
    let role = role.parse::<Role>().map_err(|e| e.to_string())?;
    let scope = scope.trim().parse::<Scope>().map_err(|e| e.to_string())?;
    Ok((role, scope))
}

async fn add_user(
    State(state): State<AppState>,
    Posted { signed, form }: Posted<AddUserForm>,
) -> PageResult {
    signed.require(Permission::ManageUsers)?;
    let Signed { session, t } = signed;
    let parsed = role_and_scope(&form.role, &form.scope);
    let result = match parsed {
        Ok((role, scope)) => state
            .store
            .add_user(
                &session.principal,
                NewUser {
                    username: form.username.trim().to_owned(),
                    role,
                    scope,
                    sensitive: form.sensitive.is_some(),
                    unsuppressed: form.unsuppressed.is_some(),
                    password: form.password,
                },
            )
            .await
            .map_err(|e| match e {
                StoreError::Invalid { say: Some(say), .. } => Ok(t.say(&say)),
                StoreError::Invalid { message, .. } => Ok(message),
                other => Err(other),
            }),
        Err(_) => Err(Ok(t.t("store-role-scope-unknown"))),
    };
    Ok(match result {
        Ok(record) => {
            let message = t.t(if record.awaiting_approval {
                "grant-requested"
            } else {
                "user-added"
            });
            users_page(
                &state,
                &session,
                t.clone_lang(),
                Some(message),
                true,
                StatusCode::OK,
            )
            .await
        }
        // The store's refusals come translated (every one carries a key), and so does a role or
        // scope that does not parse.
        Err(Ok(message)) => {
            users_page(
                &state,
                &session,
                t,
                Some(message),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Err(e)) => server_error(e),
    })
}

#[derive(Deserialize)]
struct ChangeUserForm {
    username: String,
    version: i32,
    role: String,
    scope: String,
    sensitive: Option<String>,
    unsuppressed: Option<String>,
    /// A checkbox: present while the account may sign in.
    enabled: Option<String>,
}

/// Changes an account's role, scope, permissions, or whether it may sign in.
async fn change_user(
    State(state): State<AppState>,
    Posted { signed, form }: Posted<ChangeUserForm>,
) -> PageResult {
    signed.require(Permission::ManageUsers)?;
    let Signed { session, t } = signed;
    let parsed = role_and_scope(&form.role, &form.scope);
    let result = match parsed {
        Ok((role, scope)) => {
            state
                .store
                .change_user(
                    &session.principal,
                    &form.username,
                    UserChange {
                        version: form.version,
                        role,
                        scope,
                        sensitive: form.sensitive.is_some(),
                        unsuppressed: form.unsuppressed.is_some(),
                        enabled: form.enabled.is_some(),
                    },
                )
                .await
        }
        Err(_) => Err(unknown_role_or_scope()),
    };
    let (message, ok, status) = match result {
        Ok(record) if record.awaiting_approval => (t.t("grant-requested"), true, StatusCode::OK),
        Ok(_) => (t.t("user-changed"), true, StatusCode::OK),
        Err(StoreError::Invalid { say: Some(say), .. }) => {
            (t.say(&say), false, StatusCode::UNPROCESSABLE_ENTITY)
        }
        // A role or scope that does not parse is named in English by goldaw-core.
        Err(StoreError::Invalid { message, .. }) => {
            (message, false, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(StoreError::Conflict { .. }) => {
            (t.t("user-changed-meanwhile"), false, StatusCode::CONFLICT)
        }
        Err(StoreError::NotFound) => (t.t("not-found"), false, StatusCode::NOT_FOUND),
        Err(e) => return Ok(server_error(e)),
    };
    Ok(users_page(&state, &session, t.clone_lang(), Some(message), ok, status).await)
}

#[derive(Deserialize)]
struct GrantForm {
    id: uuid::Uuid,
    version: i32,
    /// `approve` or `reject`: the button pressed.
    decision: String,
}

/// A second admin approves or rejects a grant waiting on the users page.
async fn decide_grant(
    State(state): State<AppState>,
    Posted { signed, form }: Posted<GrantForm>,
) -> PageResult {
    signed.require(Permission::ManageUsers)?;
    let Signed { session, t } = signed;
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => {
            return Ok(users_page(
                &state,
                &session,
                t.clone_lang(),
                Some(t.t("form-unreadable-short")),
                false,
                StatusCode::BAD_REQUEST,
            )
            .await)
        }
    };
    let result = state
        .store
        .decide_grant(&session.principal, form.id, form.version, decision)
        .await;
    let (message, ok, status) = match result {
        Ok(()) if decision == Decision::Approve => (t.t("grant-approved"), true, StatusCode::OK),
        Ok(()) => (t.t("grant-rejected"), true, StatusCode::OK),
        // The admin who asked, or the account's own admin: core's rule says why.
        Err(StoreError::Forbidden(_)) => (t.t("grant-not-yours"), false, StatusCode::FORBIDDEN),
        Err(StoreError::Invalid { say: Some(say), .. }) => {
            (t.say(&say), false, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(StoreError::Invalid { message, .. }) => {
            (message, false, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(StoreError::Conflict { .. }) | Err(StoreError::NotFound) => {
            (t.t("grant-decided-meanwhile"), false, StatusCode::CONFLICT)
        }
        Err(e) => return Ok(server_error(e)),
    };
    Ok(users_page(&state, &session, t.clone_lang(), Some(message), ok, status).await)
}

#[derive(Deserialize)]
struct DisableForm {
    username: String,
}

async fn disable_user(
    State(state): State<AppState>,
    Posted { signed, form }: Posted<DisableForm>,
) -> PageResult {
    signed.require(Permission::ManageUsers)?;
    let Signed { session, t } = signed;
    Ok(
        match state
            .store
            .disable_user(&session.principal, &form.username)
            .await
        {
            Ok(()) => {
                users_page(
                    &state,
                    &session,
                    t.clone_lang(),
                    Some(t.t("user-disabled")),
                    true,
                    StatusCode::OK,
                )
                .await
            }
            Err(StoreError::NotFound) => {
                users_page(
                    &state,
                    &session,
                    t.clone_lang(),
                    Some(t.t("not-found")),
                    false,
                    StatusCode::NOT_FOUND,
                )
                .await
            }
            Err(e) => server_error(e),
        },
    )
}

#[derive(Deserialize, Default)]
struct AuditFilter {
    actor: Option<String>,
    record: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// The next page: events older than this one (issue #24).
    before: Option<i64>,
    /// `all`: check the whole chain, not only the events since the last check.
    verify: Option<String>,
}

impl AuditFilter {
    /// The store query; dates are whole days in UTC, `to` inclusive. Malformed dates are ignored
    /// and shown as such (the filter field keeps what was typed).
    fn query(&self, limit: u32) -> AuditQuery {
        let day = |s: &Option<String>| {
            s.as_deref()
                .and_then(|d| goldaw_core::people::parse_date(d).ok())
        };
        let start =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
        AuditQuery {
            actor: self.actor.clone().filter(|a| !a.trim().is_empty()),
            entity_id: self.record.clone().filter(|r| !r.trim().is_empty()),
            from: day(&self.from).map(start),
            to: day(&self.to).and_then(|d| d.succ_opt()).map(start),
            limit,
        }
    }

    fn encoded(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("actor", &self.actor),
            ("record", &self.record),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect();
        serde_urlencoded_pairs(&pairs)
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let escaped: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={escaped}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub struct EventLine {
    seq: i64,
    at: String,
    actor: String,
    source: String,
    action: String,
    record: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Translator,
    user: Option<UserView>,
    chain: String,
    /// The whole chain was checked (else only the events since the last check).
    whole: bool,
    actor: String,
    record: String,
    from: String,
    to: String,
    query: String,
    message: Option<String>,
    events: Vec<EventLine>,
    next_link: Option<String>,
    first_link: String,
    paged: bool,
}

/// Events on one page of the audit log.
const AUDIT_PAGE: u32 = 200;

async fn audit(
    State(state): State<AppState>,
    signed: Signed,
    filter: Result<Query<AuditFilter>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    signed.require(Permission::ReadAudit)?;
    let Signed { session, t } = signed;
    // A malformed filter shows everything rather than failing.
    let filter = filter.map(|Query(f)| f).unwrap_or_default();
    let rows = state
        .store
        .audit_events_before(&session.principal, &filter.query(AUDIT_PAGE), filter.before)
        .await
        .or_server_error()?;
    let query = filter.encoded();
    let first_link = if query.is_empty() {
        "/admin/audit".to_owned()
    } else {
        format!("/admin/audit?{query}")
    };
    let next_link = (rows.len() == AUDIT_PAGE as usize)
        .then(|| {
            rows.last().map(|e| {
                format!(
                    "{first_link}{}before={}",
                    if query.is_empty() { "?" } else { "&" },
                    e.seq
                )
            })
        })
        .flatten();
    // Issue #24: the events since the last check that passed, unless the admin asks for the
    // whole chain (`?verify=all`).
    let whole = filter.verify.as_deref() == Some("all");
    let checked = if whole {
        state.store.verify_audit_with(&[]).await
    } else {
        state.store.verify_audit_since_checkpoint().await
    };
    let checked_from = checked.as_ref().map(|r| r.checked_from).unwrap_or(1);
    let chain = match checked.map(|r| r.check) {
        Ok(AuditCheck::Intact { events }) if checked_from > 1 => t.t_with(
            "audit-intact-since",
            &[("count", events.into()), ("from", checked_from.into())],
        ),
        Ok(AuditCheck::Intact { events }) => t.t_with("audit-intact", &[("count", events.into())]),
        Ok(AuditCheck::Broken { seq, .. }) => t.t_with("audit-broken", &[("seq", seq.into())]),
        Ok(AuditCheck::KeyNeeded { events, .. } | AuditCheck::Unkeyed { events }) => {
            t.t_with("audit-unchecked", &[("count", events.into())])
        }
        Err(e) => return Ok(server_error(e)),
    };
    let events = rows
        .into_iter()
        .map(|e| EventLine {
            seq: e.seq,
            at: e
                .at
                .with_timezone(&goldaw_core::deadlines::LOCAL_OFFSET)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: e.actor,
            source: e.source,
            action: e.action,
            record: [e.entity, e.entity_id]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            detail: e.detail.unwrap_or_default(),
        })
        .collect();
    Ok(render(AuditPage {
        user: Some(UserView::of(&session)),
        chain,
        whole,
        next_link,
        first_link,
        paged: filter.before.is_some(),
        query,
        actor: filter.actor.unwrap_or_default(),
        record: filter.record.unwrap_or_default(),
        from: filter.from.unwrap_or_default(),
        to: filter.to.unwrap_or_default(),
        message: None,
        events,
        t,
    }))
}

/// The filtered log as CSV (UTC times, one event per row), for archiving and review elsewhere.
async fn audit_csv(
    State(state): State<AppState>,
    signed: Signed,
    filter: Result<Query<AuditFilter>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    signed.require(Permission::ReadAudit)?;
    let session = signed.session;
    // A malformed filter shows everything rather than failing.
    let filter = filter.map(|Query(f)| f).unwrap_or_default();
    let rows = state
        .store
        .audit_events(&session.principal, &filter.query(10_000))
        .await
        .or_server_error()?;
    // For a spreadsheet: an actor or a detail someone typed (a failed sign-in's username) that
    // could be read as a formula is quoted (goldaw_core::spreadsheet).
    let mut csv = SpreadsheetCsv::new();
    csv.row([
        "seq",
        "at",
        "actor",
        "source",
        "action",
        "entity",
        "entity_id",
        "detail",
    ]);
    for e in rows {
        let seq = e.seq.to_string();
        let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        csv.row([
            Cell::Number(&seq),
            Cell::Text(&at),
            Cell::Text(&e.actor),
            Cell::Text(&e.source),
            Cell::Text(&e.action),
            Cell::Text(e.entity.as_deref().unwrap_or_default()),
            Cell::Text(e.entity_id.as_deref().unwrap_or_default()),
            Cell::Text(e.detail.as_deref().unwrap_or_default()),
        ]);
    }
    let out = csv.finish();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"goldaw-audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
