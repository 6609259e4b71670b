//! User accounts, passwords and API tokens.
//!
//! Passwords: argon2id, hashed off the async workers a few at a time (`passwords.rs`), at least
//! 12 characters. API tokens: 32 random bytes shown once as `gdw_` + hex; only their SHA-256 is
//! stored, so a copy of the database gives no usable token; each expires (90 days unless the
//! operator configures otherwise) and records when it was last used. Five wrong passwords in a
//! row lock the account for 15 minutes; every sign-in and failed sign-in is audited, under the
//! username only if it is one (`goldaw_core::accounts::username_for_audit`).
//!
//! Wide grants (`goldaw_core::accounts`) that an admin gives wait for a second admin (`grants.rs`).
//!
//! Signed-in sessions are kept in memory for a few seconds (`session_cache`): a change to what a
//! session stands for (disabling, a new password, a change of role, scope or permissions in
//! `change_user`, an approved grant) must call `self.inner.sessions.forget_user` once it is
//! committed.

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::sessions::Session;
use crate::Store;
use chrono::{DateTime, Duration, Utc};
use goldaw_core::access::{Permission, Principal, Scope};
use goldaw_core::accounts::{self, Grant};
use goldaw_core::codes::Role;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_FAILED_SIGN_INS: i32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
const TOKEN_PREFIX: &str = "gdw_";
/// A token's last use is written at most this often (a request should not always be a write).
const TOKEN_USE_PRECISION_SECONDS: i64 = 60;

/// How long a new API token is good for: 1 to 3,650 days; 90 unless the operator says otherwise
/// (`goldaw --token-lifetime-days`, read by the binary and passed in with [`crate::StoreOptions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetime {
    days: u32,
}

impl TokenLifetime {
    pub const DEFAULT_DAYS: u32 = 90;
    pub const MAX_DAYS: u32 = 3650;

    pub fn days(days: u32) -> Result<TokenLifetime, String> {
        if (1..=Self::MAX_DAYS).contains(&days) {
            Ok(TokenLifetime { days })
        } else {
            Err(format!(
                "an API token lifetime is 1 to {} days, not {days}",
                Self::MAX_DAYS
            ))
        }
    }

    pub fn as_days(self) -> u32 {
        self.days
    }

    fn duration(self) -> Duration {
        Duration::days(i64::from(self.days))
    }
}

impl Default for TokenLifetime {
    fn default() -> Self {
        TokenLifetime {
            days: Self::DEFAULT_DAYS,
        }
    }
}

impl std::fmt::Display for TokenLifetime {
    /// The number of days, as the command line takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.days)
    }
}

impl std::str::FromStr for TokenLifetime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let days = s
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("'{s}' is not a number of days (1 to {})", Self::MAX_DAYS))?;
        TokenLifetime::days(days)
    }
}

/// A new account as an admin gives it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub scope: Scope,
    pub sensitive: bool,
    /// May see statistics without small-cell suppression (planner and ministry roles only).
    pub unsuppressed: bool,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub sensitive: bool,
    pub unsuppressed: bool,
    pub disabled: bool,
    /// `false` for an account an admin made with a wide grant that no second admin approved
    /// yet: it cannot sign in.
    pub approved: bool,
    /// A wide grant for this account waits for a second admin (`Store::grant_requests`); until
    /// then the account has what the fields above say.
    pub awaiting_approval: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Its API tokens that were not revoked (expired ones included), oldest first.
    pub tokens: Vec<TokenRecord>,
    /// Sent back with a change (no lost updates).
    pub version: i32,
}

/// One page of accounts (`Store::list_users_page`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub items: Vec<UserRecord>,
    /// Give it as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// An API token as the account list shows it (never the token itself).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenRecord {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// To the minute; `None` if never used.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|e| e <= now)
    }
}

/// What an admin may change of an account: what it may do and see, and whether it may sign in.
/// The username and the password stay (the password is the account holder's).
#[derive(Debug, Clone)]
pub struct UserChange {
    /// The version read.
    pub version: i32,
    pub role: Role,
    pub scope: Scope,
    pub sensitive: bool,
    pub unsuppressed: bool,
    /// `false` disables the account (its tokens are revoked); `true` enables it again and lifts
    /// a lockout.
    pub enabled: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: Uuid,
    pub(crate) username: String,
    role: String,
    scope: String,
    sensitive: bool,
    unsuppressed: bool,
    password_hash: String,
    disabled: bool,
    approved: bool,
    awaiting_approval: bool,
    pub(crate) totp_enabled: bool,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    pub(crate) version: i32,
}

impl UserRow {
    fn principal(&self, source: &str) -> StoreResult<Principal> {
        let role: Role = self
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("role: {e}")))?;
        let scope: Scope = self
            .scope
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))?;
        let mut p = Principal::user(self.id, &self.username, role, scope, self.sensitive)
            .with_unsuppressed(self.unsuppressed);
        p.source = source.to_owned();
        Ok(p)
    }

    /// What the account may do now, if its grant was ever approved (`None` otherwise).
    pub(crate) fn grant(&self) -> StoreResult<Option<Grant>> {
        if !self.approved {
            return Ok(None);
        }
        Ok(Some(Grant {
            role: self
                .role
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("role: {e}")))?,
            scope: self
                .scope
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))?,
            sensitive: self.sensitive,
            unsuppressed: self.unsuppressed,
        }))
    }

    fn record(&self, tokens: Vec<TokenRecord>) -> StoreResult<UserRecord> {
        Ok(UserRecord {
            id: self.id,
            username: self.username.clone(),
            role: self
                .role
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("role: {e}")))?,
            scope: self.scope.clone(),
            sensitive: self.sensitive,
            unsuppressed: self.unsuppressed,
            disabled: self.disabled,
            approved: self.approved,
            awaiting_approval: self.awaiting_approval,
            locked_until: self.locked_until,
            created_at: self.created_at,
            tokens,
            version: self.version,
        })
    }
}

/// The columns of [`UserRow`], for `SELECT {USER_COLUMNS} FROM users u`.
pub(crate) const USER_COLUMNS: &str =
    "u.id, u.username, u.role, u.scope, u.sensitive, u.unsuppressed, u.password_hash, u.disabled,
    u.approved, EXISTS (SELECT 1 FROM grant_requests g WHERE g.user_id = u.id AND g.decision IS NULL) AS awaiting_approval,
    u.totp_enabled, u.failed_logins, u.locked_until, u.created_at, u.version";

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    fn record(&self) -> TokenRecord {
        TokenRecord {
            id: self.id,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// The account behind a bearer token, with the token's own times.
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    token_id: Uuid,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

/// Why a sign-in failed. The message never says whether the username exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    WrongCredentials,
    Locked { until: DateTime<Utc> },
}

/// Usernames: 3 to 64 of a-z, 0-9, `.`, `_`, `-` (`goldaw_core::accounts::is_valid_username`).
pub fn check_username(u: &str) -> StoreResult<()> {
    if accounts::is_valid_username(u) {
        Ok(())
    } else {
        Err(StoreError::refuse(
            "username",
            "store-username-form",
            vec![("user", SayArg::Text(u.to_owned()))],
        ))
    }
}

/// The minimum password policy: long enough, not the username, not one repeated character.
/// `field` names the form's field in the refusal.
pub fn check_password(field: &str, username: &str, password: &str) -> StoreResult<()> {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_PASSWORD_LEN {
        return Err(StoreError::refuse(
            field,
            "store-password-short",
            vec![("limit", SayArg::Number(MIN_PASSWORD_LEN as i64))],
        ));
    }
    if chars.len() > 1024 {
        return Err(StoreError::refuse(
            field,
            "store-password-long",
            vec![("limit", SayArg::Number(1024))],
        ));
    }
    if password.to_lowercase().contains(username) {
        return Err(StoreError::refuse(field, "store-password-username", vec![]));
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return Err(StoreError::refuse(field, "store-password-repeated", vec![]));
    }
    Ok(())
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TOKEN_PREFIX}{hex}"))
}

fn manage_users(principal: &Principal) -> StoreResult<()> {
    if principal.may(Permission::ManageUsers) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "managing users needs the admin role".into(),
        ))
    }
}

/// How the audit log describes a grant.
pub(crate) fn describe(g: &Grant) -> String {
    format!(
        "{} {} sensitive={} unsuppressed={}",
        g.role,
        g.scope.to_stored(),
        g.sensitive,
        g.unsuppressed
    )
}

impl Store {
    /// Makes an account. A wide grant (`goldaw_core::accounts`) from an admin makes it waiting for
    /// a second admin: it cannot sign in until approved. The operator's command line makes any
    /// account directly.
    #[tracing::instrument(skip_all)]
    pub async fn add_user(&self, principal: &Principal, new: NewUser) -> StoreResult<UserRecord> {
        manage_users(principal)?;
        check_username(&new.username)?;
        check_password("password", &new.username, &new.password)?;
        self.check_access(new.role, &new.scope, new.unsuppressed)?;
        let grant = Grant {
            role: new.role,
            scope: new.scope.clone(),
            sensitive: new.sensitive,
            unsuppressed: new.unsuppressed,
        };
        let waits = accounts::needs_second_admin(principal, None, &grant);
        let hash = self.inner.hasher.hash(&new.password).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let detail = format!(
            "{} {}{}",
            new.username,
            describe(&grant),
            if waits { ", awaits a second admin" } else { "" }
        );
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("user.create", "user", id).with_detail(detail));
            let done = sqlx::query(
                "INSERT INTO users (id, username, role, scope, sensitive, unsuppressed, password_hash, disabled,
                    failed_logins, version, created_at, updated_at, approved)
                 VALUES ($1, $2, $3, $4, $5, $8, $6, FALSE, 0, 1, $7, $7, $9)
                 ON CONFLICT (username) DO NOTHING",
            )
            .bind(id)
            .bind(&new.username)
            .bind(new.role.as_str())
            .bind(new.scope.to_stored())
            .bind(new.sensitive)
            .bind(&hash)
            .bind(now)
            .bind(new.unsuppressed)
            .bind(!waits)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::refuse("username", "store-username-taken", vec![("user", SayArg::Text(new.username.clone()))]));
            }
            if waits {
                crate::grants::insert_request!(tx, principal, id, &grant, 1, now);
            }
            tx.commit().await?;
        });
        self.user_record(&new.username).await
    }

    pub(crate) async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
        Ok(
            with_db!(self.db(), pool => sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?),
        )
    }

    /// One account as the list shows it.
    pub(crate) async fn user_record(&self, username: &str) -> StoreResult<UserRecord> {
        let user = self
            .user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        let tokens: Vec<TokenRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, user_id, created_at, expires_at, last_used_at FROM api_tokens
                            WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id")
                .bind(user.id).fetch_all(pool).await?
        });
        user.record(tokens.iter().map(TokenRow::record).collect())
    }

    /// Every account, with its live tokens (when each expires and was last used).
    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self, principal: &Principal) -> StoreResult<Vec<UserRecord>> {
        manage_users(principal)?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
        let rows: Vec<UserRow> =
            with_db!(self.db(), pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        let tokens: Vec<TokenRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, user_id, created_at, expires_at, last_used_at FROM api_tokens
                            WHERE revoked_at IS NULL ORDER BY created_at, id")
                .fetch_all(pool).await?
        });
        let mut by_user: std::collections::HashMap<Uuid, Vec<TokenRecord>> =
            std::collections::HashMap::new();
        for t in &tokens {
            by_user.entry(t.user_id).or_default().push(t.record());
        }
        rows.iter()
            .map(|u| u.record(by_user.remove(&u.id).unwrap_or_default()))
            .collect()
    }

    /// A page of the accounts in username order, after the username `after` (issue #24: the
    /// users page at the 2030 workforce's 1,600 accounts), with the live tokens of those on the
    /// page only: a range of the username's unique index, and one range of `api_tokens_user` per
    /// page. `next` is a keyset cursor (the last username shown).
    #[tracing::instrument(skip_all)]
    pub async fn list_users_page(
        &self,
        principal: &Principal,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> StoreResult<UserPage> {
        manage_users(principal)?;
        let after = after
            .map(|c| {
                goldaw_core::paging::decode_cursor(c, 1)
                    .map(|mut f| f.remove(0))
                    .map_err(|_| StoreError::refuse("after", "store-page-link-damaged", vec![]))
            })
            .transpose()?;
        let limit = i64::from(goldaw_core::paging::page_size(limit));
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE {} ORDER BY u.username LIMIT $1",
            if after.is_some() {
                "u.username > $2"
            } else {
                "1 = 1"
            }
        );
        let mut rows: Vec<UserRow> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(limit + 1);
            if let Some(a) = &after {
                q = q.bind(a);
            }
            q.fetch_all(pool).await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last()
                .map(|u| goldaw_core::paging::encode_cursor(&[&u.username]))
        } else {
            None
        };
        let mut by_user: std::collections::HashMap<Uuid, Vec<TokenRecord>> =
            std::collections::HashMap::new();
        if !rows.is_empty() {
            let sql = format!(
                "SELECT id, user_id, created_at, expires_at, last_used_at FROM api_tokens
                 WHERE revoked_at IS NULL AND user_id IN ({}) ORDER BY created_at, id",
                (1..=rows.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let tokens: Vec<TokenRow> = with_db!(self.db(), pool => {
                let mut q = sqlx::query_as(&sql);
                for u in &rows {
                    q = q.bind(u.id);
                }
                q.fetch_all(pool).await?
            });
            for t in &tokens {
                by_user.entry(t.user_id).or_default().push(t.record());
            }
        }
        let items = rows
            .iter()
            .map(|u| u.record(by_user.remove(&u.id).unwrap_or_default()))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(UserPage { items, next })
    }

    /// Whether a role, a scope and the unsuppressed grant go together (new and changed accounts).
    pub(crate) fn check_access(
        &self,
        role: Role,
        scope: &Scope,
        unsuppressed: bool,
    ) -> StoreResult<()> {
        match scope {
            Scope::Unit(unit) if !self.catalogue().has_admin_unit(unit.as_str()) => {
                return Err(StoreError::refuse(
                    "scope",
                    "store-scope-unit-unknown",
                    vec![("unit", SayArg::Text(unit.as_str().to_owned()))],
                ))
            }
            Scope::Provider(_) if role != Role::Provider => {
                return Err(StoreError::refuse(
                    "scope",
                    "store-scope-provider-only",
                    vec![],
                ))
            }
            Scope::Unit(_) if role == Role::Provider => {
                return Err(StoreError::refuse(
                    "scope",
                    "store-scope-provider-needed",
                    vec![],
                ))
            }
            _ => {}
        }
        if unsuppressed && !matches!(role, Role::Planner | Role::Ministry) {
            return Err(StoreError::refuse(
                "unsuppressed",
                "store-unsuppressed-not-allowed",
                vec![],
            ));
        }
        Ok(())
    }

    /// Changes what an account may do and see (role, scope, the sensitive permission, the
    /// unsuppressed grant) or whether it may sign in, if nobody changed it since `version`.
    /// Its sessions see the change at once in this process. An admin cannot take the admin
    /// role from, or disable, their own account: another admin must, so that nobody locks the
    /// last admin out by mistake.
    ///
    /// A wide grant that gives the account more than it has (`goldaw_core::accounts::
    /// needs_second_admin`) is not applied when an admin asks: it waits for a second admin
    /// (`Store::decide_grant`), replacing any request waiting for the account, and the account
    /// keeps its role, scope and permissions until then; whether it may sign in changes at once.
    /// The returned record says `awaiting_approval`. Any change applied directly replaces a
    /// waiting request (which was asked against the account as it was).
    #[tracing::instrument(skip_all)]
    pub async fn change_user(
        &self,
        principal: &Principal,
        username: &str,
        change: UserChange,
    ) -> StoreResult<UserRecord> {
        manage_users(principal)?;
        let user = self
            .user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        if user.version != change.version {
            return Err(StoreError::Conflict {
                expected: change.version,
                actual: user.version,
            });
        }
        if principal.user_id == Some(user.id) && (change.role != Role::Admin || !change.enabled) {
            return Err(StoreError::refuse("role", "store-self-demotion", vec![]));
        }
        self.check_access(change.role, &change.scope, change.unsuppressed)?;
        let before = user.grant()?;
        let after = Grant {
            role: change.role,
            scope: change.scope.clone(),
            sensitive: change.sensitive,
            unsuppressed: change.unsuppressed,
        };
        let waits = accounts::needs_second_admin(principal, before.as_ref(), &after);
        // An account whose new grant needs two factors and that has none yet signs in again, so
        // that its next sign-in sets them up.
        let ends_sessions = !waits
            && accounts::two_factor_required(&after)
            && !user.totp_enabled
            && before.as_ref().is_none_or(|b| !after.is_within(b));
        let detail = format!(
            "{} {} sensitive={} unsuppressed={} enabled={} -> {} enabled={}{}",
            user.role,
            user.scope,
            user.sensitive,
            user.unsuppressed,
            !user.disabled,
            describe(&after),
            change.enabled,
            if waits {
                " (the grant awaits a second admin)"
            } else {
                ""
            }
        );
        // What the account holds once this commits: the new grant, or (waiting) the old one.
        let held = if waits {
            Grant {
                role: user
                    .role
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("role: {e}")))?,
                scope: user
                    .scope
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))?,
                sensitive: user.sensitive,
                unsuppressed: user.unsuppressed,
            }
        } else {
            after.clone()
        };
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("user.change", "user", user.id).with_detail(detail));
            let updated = sqlx::query(
                "UPDATE users SET role = $1, scope = $2, sensitive = $3, unsuppressed = $4, disabled = $5,
                    failed_logins = CASE WHEN $5 THEN failed_logins ELSE 0 END,
                    totp_failures = CASE WHEN $5 THEN totp_failures ELSE 0 END,
                    locked_until = CASE WHEN $5 THEN locked_until ELSE NULL END,
                    approved = CASE WHEN $9 THEN approved ELSE TRUE END,
                    version = version + 1, updated_at = $6
                 WHERE id = $7 AND version = $8",
            )
            .bind(held.role.as_str())
            .bind(held.scope.to_stored())
            .bind(held.sensitive)
            .bind(held.unsuppressed)
            .bind(!change.enabled)
            .bind(now)
            .bind(user.id)
            .bind(change.version)
            .bind(waits)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: change.version, actual: change.version + 1 });
            }
            if waits {
                crate::grants::insert_request!(tx, principal, user.id, &after, change.version + 1, now);
            } else {
                crate::grants::close_pending!(tx, principal, user.id, "replaced", now);
            }
            if !change.enabled {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(now).bind(user.id).execute(&mut *tx).await?;
            }
            if ends_sessions {
                sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL")
                    .bind(now).bind(user.id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        // What its sessions stand for changed: they read the account again.
        self.inner.sessions.forget_user(user.id);
        self.user_record(username).await
    }

    /// Disables an account and revokes its tokens; the account and its history stay. A grant
    /// waiting for the account is closed as replaced.
    #[tracing::instrument(skip_all)]
    pub async fn disable_user(&self, principal: &Principal, username: &str) -> StoreResult<()> {
        manage_users(principal)?;
        let user = self
            .user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("user.disable", "user", user.id));
            let updated = sqlx::query("UPDATE users SET disabled = TRUE, version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(now).bind(user.id).bind(user.version).execute(&mut *tx).await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: user.version, actual: user.version + 1 });
            }
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now).bind(user.id).execute(&mut *tx).await?;
            crate::grants::close_pending!(tx, principal, user.id, "replaced", now);
            tx.commit().await?;
        });
        // Its sessions stop at once in this process (they read `disabled` again).
        self.inner.sessions.forget_user(user.id);
        Ok(())
    }

    /// A new API token for `username`: returned once, stored only as its hash, good for the
    /// lifetime the store was opened with ([`crate::StoreOptions::token_lifetime`]).
    ///
    /// A token for an account with a wide grant is made on the server only (`goldaw user token`):
    /// an admin who could make one could use that account's rights without a second admin.
    #[tracing::instrument(skip_all)]
    pub async fn create_token(&self, principal: &Principal, username: &str) -> StoreResult<String> {
        manage_users(principal)?;
        let user = self
            .user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        if user.disabled || !user.approved {
            return Err(StoreError::refuse(
                "username",
                "store-account-disabled",
                vec![("user", SayArg::Text(username.to_owned()))],
            ));
        }
        if !principal.is_operator() && user.grant()?.is_some_and(|g| g.is_wide()) {
            return Err(StoreError::Forbidden(format!(
                "'{username}' has a wide grant: its API tokens are made on the server (goldaw user token)"
            )));
        }
        let token = new_token()?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let expires = now + self.inner.token_lifetime.duration();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("token.create", "user", user.id)
                .with_detail(format!("{id} expires {}", expires.format("%Y-%m-%d"))));
            sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id).bind(user.id).bind(token_hash(&token)).bind(now).bind(expires)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(token)
    }

    /// The principal a bearer token stands for; `None` for an unknown, revoked, expired or
    /// disabled one. Records the token's use (to the minute).
    #[tracing::instrument(skip_all)]
    pub async fn principal_for_token(
        &self,
        token: &str,
        source: &str,
    ) -> StoreResult<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.expires_at, t.last_used_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled AND u.approved"
        );
        let row: Option<TokenUserRow> = with_db!(self.db(), pool => sqlx::query_as(&sql).bind(token_hash(token)).fetch_optional(pool).await?);
        let Some(row) = row else { return Ok(None) };
        let now = Utc::now();
        // No expiry recorded is treated as expired: every token is given one.
        if row.expires_at.is_none_or(|e| e <= now) {
            return Ok(None);
        }
        if row
            .last_used_at
            .is_none_or(|at| now - at >= Duration::seconds(TOKEN_USE_PRECISION_SECONDS))
        {
            // A time stamp, not a change of the account: no version, no audit event (the
            // request's own reads and writes are audited).
            with_db!(self.db(), pool => {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now).bind(row.token_id).execute(pool).await?;
            });
        }
        row.user.principal(source).map(Some)
    }

    /// Checks a username and password; locks the account after repeated failures. The audit log
    /// records the username only if it is one (never, say, a password typed into its field).
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        source: &str,
    ) -> StoreResult<Result<Principal, SignInRefusal>> {
        let now = Utc::now();
        // Nobody is signed in yet: an anonymous visitor, named in the audit trail by the username
        // typed (if it is one).
        let attempt = Principal::anonymous("signin")
            .with_source(source)
            .with_actor(accounts::username_for_audit(username));
        let user = if accounts::is_valid_username(username) {
            self.user_by_name(username).await?
        } else {
            None
        };
        let Some(user) = user else {
            self.inner.hasher.verify_dummy(password).await?;
            self.audit(
                &attempt,
                AuditEvent::plain("signin.failed").with_detail("unknown user"),
            )
            .await?;
            return Ok(Err(SignInRefusal::WrongCredentials));
        };
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            self.audit(
                &attempt,
                AuditEvent::on("signin.failed", "user", user.id).with_detail("locked"),
            )
            .await?;
            return Ok(Err(SignInRefusal::Locked { until }));
        }
        let matches = self
            .inner
            .hasher
            .verify(password, &user.password_hash)
            .await?;
        if matches && !user.disabled && user.approved {
            with_db!(self.db(), pool => {
                let mut tx = pool.begin().await?;
                append_audit!(self, tx, &attempt, AuditEvent::on("signin.ok", "user", user.id));
                sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                    .bind(user.id).execute(&mut *tx).await?;
                tx.commit().await?;
            });
            return Ok(Ok(user.principal(source)?));
        }
        if matches {
            // The right password for an account that may not sign in: refused without counting.
            self.audit(
                &attempt,
                AuditEvent::on("signin.failed", "user", user.id).with_detail(if user.disabled {
                    "disabled"
                } else {
                    "awaits a second admin's approval"
                }),
            )
            .await?;
            return Ok(Err(SignInRefusal::WrongCredentials));
        }
        let failures = user.failed_logins + 1;
        let lock =
            (failures >= MAX_FAILED_SIGN_INS).then(|| now + Duration::minutes(LOCKOUT_MINUTES));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, &attempt, AuditEvent::on("signin.failed", "user", user.id)
                .with_detail(if user.disabled { "disabled".to_owned() } else { format!("wrong password, {failures} in a row") }));
            sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                .bind(if lock.is_some() { 0 } else { failures }).bind(lock).bind(user.id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(Err(match lock {
            Some(until) => SignInRefusal::Locked { until },
            None => SignInRefusal::WrongCredentials,
        }))
    }
}

impl Store {
    /// A user changes their own password, giving the current one. Every other session of the
    /// account ends (someone who learnt the old password and signed in with it is signed out);
    /// `session`, the one asking, stays.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
    ) -> StoreResult<()> {
        let principal = &session.principal;
        let user_id = principal
            .user_id
            .ok_or_else(|| StoreError::Forbidden("only user accounts have passwords".into()))?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let user: UserRow =
            with_db!(self.db(), pool => sqlx::query_as(&sql).bind(user_id).fetch_one(pool).await?);
        if !self
            .inner
            .hasher
            .verify(current, &user.password_hash)
            .await?
        {
            self.audit(
                principal,
                AuditEvent::on("password.change.failed", "user", user_id),
            )
            .await?;
            return Err(StoreError::refuse(
                "current_password",
                "store-password-wrong",
                vec![],
            ));
        }
        check_password("new_password", &user.username, new)?;
        if new == current {
            return Err(StoreError::refuse(
                "new_password",
                "store-password-same",
                vec![],
            ));
        }
        let hash = self.inner.hasher.hash(new).await?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("password.change", "user", user_id));
            let updated = sqlx::query("UPDATE users SET password_hash = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
                .bind(&hash).bind(now).bind(user_id).bind(user.version).execute(&mut *tx).await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: user.version, actual: user.version + 1 });
            }
            let ended = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL AND token_hash <> $3")
                .bind(now).bind(user_id).bind(session.token_hash()).execute(&mut *tx).await?;
            tracing::debug!(sessions = ended.rows_affected(), "a new password ended the account's other sessions");
            tx.commit().await?;
        });
        self.inner.sessions.forget_user(user_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_minimum_policy() {
        assert!(check_password("password", "aman", "correct horse battery").is_ok());
        assert!(check_password("password", "aman", "short").is_err());
        assert!(check_password("password", "aman", "aaaaaaaaaaaaaaaa").is_err());
        assert!(check_password("password", "aman", "my name is Aman, ok").is_err());
        assert!(check_username("aman.orazow").is_ok());
        assert!(check_username("Aman").is_err());
        assert!(check_username("a b").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 68);
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn token_lifetimes_are_whole_days_within_ten_years() {
        assert_eq!(TokenLifetime::default().as_days(), 90);
        assert_eq!("30".parse::<TokenLifetime>().unwrap().as_days(), 30);
        assert!("0".parse::<TokenLifetime>().is_err());
        assert!("3651".parse::<TokenLifetime>().is_err());
        assert!("ninety".parse::<TokenLifetime>().is_err());
    }
}
