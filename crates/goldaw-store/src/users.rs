//! User accounts, passwords and API tokens.
//!
//! Passwords: argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes), at least 12 characters.
//! API tokens: 32 random bytes shown once as `gdw_` + hex; only their SHA-256 is stored, so a
//! copy of the database gives no usable token. Five wrong passwords in a row lock the account for
//! 15 minutes; every sign-in and failed sign-in is audited.
//!
//! Signed-in sessions are kept in memory for a few seconds (`session_cache`): a change to what a
//! session stands for (disabling, a new password, a change of role, scope or permissions in
//! `change_user`) must call `self.inner.sessions.forget_user` once it is committed.

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use goldaw_core::access::{Permission, Principal, Scope};
use goldaw_core::codes::Role;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_FAILED_SIGN_INS: i32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
const TOKEN_PREFIX: &str = "gdw_";

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
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Sent back with a change (no lost updates).
    pub version: i32,
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
struct UserRow {
    id: Uuid,
    username: String,
    role: String,
    scope: String,
    sensitive: bool,
    unsuppressed: bool,
    password_hash: String,
    disabled: bool,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    version: i32,
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

    fn record(&self) -> StoreResult<UserRecord> {
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
            locked_until: self.locked_until,
            created_at: self.created_at,
            version: self.version,
        })
    }
}

const SELECT_USER: &str =
    "SELECT u.id, u.username, u.role, u.scope, u.sensitive, u.unsuppressed, u.password_hash, u.disabled,
    u.failed_logins, u.locked_until, u.created_at, u.version FROM users u";

/// Why a sign-in failed. The message never says whether the username exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    WrongCredentials,
    Locked { until: DateTime<Utc> },
}

/// Usernames: 3 to 64 of a-z, 0-9, `.`, `_`, `-`.
pub fn check_username(u: &str) -> StoreResult<()> {
    if (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "username",
            format!(
                "'{u}' is not a username: use 3 to 64 lower-case letters, digits, '.', '_' or '-'"
            ),
        )
        .saying(
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
        return Err(StoreError::invalid(
            field,
            format!("the password must have at least {MIN_PASSWORD_LEN} characters"),
        )
        .saying(
            "store-password-short",
            vec![("limit", SayArg::Number(MIN_PASSWORD_LEN as i64))],
        ));
    }
    if chars.len() > 1024 {
        return Err(
            StoreError::invalid(field, "the password is longer than 1024 characters")
                .saying("store-password-long", vec![("limit", SayArg::Number(1024))]),
        );
    }
    if password.to_lowercase().contains(username) {
        return Err(
            StoreError::invalid(field, "the password must not contain the username")
                .saying("store-password-username", vec![]),
        );
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return Err(
            StoreError::invalid(field, "the password must not be one character repeated")
                .saying("store-password-repeated", vec![]),
        );
    }
    Ok(())
}

fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Config(format!("cannot hash the password: {e}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the username is unknown, so both answers take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password at all").unwrap_or_default())
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

impl Store {
    pub async fn add_user(&self, principal: &Principal, new: NewUser) -> StoreResult<UserRecord> {
        if !principal.may(Permission::ManageUsers) {
            return Err(StoreError::Forbidden(
                "managing users needs the admin role".into(),
            ));
        }
        check_username(&new.username)?;
        check_password("password", &new.username, &new.password)?;
        self.check_access(new.role, &new.scope, new.unsuppressed)?;
        let hash = hash_password(&new.password)?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("user.create", "user", id).with_detail(format!("{} {} {}", new.username, new.role, new.scope.to_stored())));
            let done = sqlx::query(
                "INSERT INTO users (id, username, role, scope, sensitive, unsuppressed, password_hash, disabled,
                    failed_logins, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $8, $6, FALSE, 0, 1, $7, $7)
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
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::invalid("username", format!("the username '{}' is taken", new.username)).saying("store-username-taken", vec![("user", SayArg::Text(new.username.clone()))]));
            }
            tx.commit().await?;
        });
        self.user_by_name(&new.username)
            .await?
            .ok_or(StoreError::NotFound)?
            .record()
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRow>> {
        let sql = format!("{SELECT_USER} WHERE u.username = $1");
        Ok(
            with_db!(self.db(), pool => sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?),
        )
    }

    pub async fn list_users(&self, principal: &Principal) -> StoreResult<Vec<UserRecord>> {
        if !principal.may(Permission::ManageUsers) {
            return Err(StoreError::Forbidden(
                "managing users needs the admin role".into(),
            ));
        }
        let sql = format!("{SELECT_USER} ORDER BY u.username");
        let rows: Vec<UserRow> =
            with_db!(self.db(), pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.iter().map(UserRow::record).collect()
    }

    /// Whether a role, a scope and the unsuppressed grant go together (new and changed accounts).
    fn check_access(&self, role: Role, scope: &Scope, unsuppressed: bool) -> StoreResult<()> {
        match scope {
            Scope::Unit(unit) if !self.catalogue().has_admin_unit(unit.as_str()) => {
                return Err(StoreError::invalid(
                    "scope",
                    crate::catalogue::Catalogue::unknown_unit_message(unit.as_str()),
                )
                .saying(
                    "store-scope-unit-unknown",
                    vec![("unit", SayArg::Text(unit.as_str().to_owned()))],
                ))
            }
            Scope::Provider(_) if role != Role::Provider => {
                return Err(StoreError::invalid(
                    "scope",
                    "only provider staff have a provider scope",
                )
                .saying("store-scope-provider-only", vec![]))
            }
            Scope::Unit(_) if role == Role::Provider => {
                return Err(StoreError::invalid(
                    "scope",
                    "provider staff need a provider scope: provider:ID",
                )
                .saying("store-scope-provider-needed", vec![]))
            }
            _ => {}
        }
        if unsuppressed && !matches!(role, Role::Planner | Role::Ministry) {
            return Err(StoreError::invalid(
                "unsuppressed",
                "only planners and the ministry may be granted unsuppressed statistics",
            )
            .saying("store-unsuppressed-not-allowed", vec![]));
        }
        Ok(())
    }

    /// Changes what an account may do and see (role, scope, the sensitive permission, the
    /// unsuppressed grant) or whether it may sign in, if nobody changed it since `version`.
    /// Its sessions see the change at once in this process. An admin cannot take the admin
    /// role from, or disable, their own account: another admin must, so that nobody locks the
    /// last admin out by mistake.
    pub async fn change_user(
        &self,
        principal: &Principal,
        username: &str,
        change: UserChange,
    ) -> StoreResult<UserRecord> {
        if !principal.may(Permission::ManageUsers) {
            return Err(StoreError::Forbidden(
                "managing users needs the admin role".into(),
            ));
        }
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
            return Err(StoreError::invalid(
                "role",
                "you cannot take the admin role from your own account or disable it: ask another admin",
            ).saying("store-self-demotion", vec![]));
        }
        self.check_access(change.role, &change.scope, change.unsuppressed)?;
        let before = format!(
            "{} {} sensitive={} unsuppressed={} enabled={}",
            user.role, user.scope, user.sensitive, user.unsuppressed, !user.disabled
        );
        let after = format!(
            "{} {} sensitive={} unsuppressed={} enabled={}",
            change.role,
            change.scope.to_stored(),
            change.sensitive,
            change.unsuppressed,
            change.enabled
        );
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("user.change", "user", user.id).with_detail(format!("{before} -> {after}")));
            let updated = sqlx::query(
                "UPDATE users SET role = $1, scope = $2, sensitive = $3, unsuppressed = $4, disabled = $5,
                    failed_logins = CASE WHEN $5 THEN failed_logins ELSE 0 END,
                    locked_until = CASE WHEN $5 THEN locked_until ELSE NULL END,
                    version = version + 1, updated_at = $6
                 WHERE id = $7 AND version = $8",
            )
            .bind(change.role.as_str())
            .bind(change.scope.to_stored())
            .bind(change.sensitive)
            .bind(change.unsuppressed)
            .bind(!change.enabled)
            .bind(now)
            .bind(user.id)
            .bind(change.version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: change.version, actual: change.version + 1 });
            }
            if !change.enabled {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(now).bind(user.id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        // What its sessions stand for changed: they read the account again.
        self.inner.sessions.forget_user(user.id);
        self.user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?
            .record()
    }

    /// Disables an account and revokes its tokens; the account and its history stay.
    pub async fn disable_user(&self, principal: &Principal, username: &str) -> StoreResult<()> {
        if !principal.may(Permission::ManageUsers) {
            return Err(StoreError::Forbidden(
                "managing users needs the admin role".into(),
            ));
        }
        let user = self
            .user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("user.disable", "user", user.id));
            sqlx::query("UPDATE users SET disabled = TRUE, version = version + 1, updated_at = $1 WHERE id = $2")
                .bind(now).bind(user.id).execute(&mut *tx).await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now).bind(user.id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        // Its sessions stop at once in this process (they read `disabled` again).
        self.inner.sessions.forget_user(user.id);
        Ok(())
    }

    /// A new API token for `username`: returned once, stored only as its hash.
    pub async fn create_token(&self, principal: &Principal, username: &str) -> StoreResult<String> {
        if !principal.may(Permission::ManageUsers) {
            return Err(StoreError::Forbidden(
                "managing users needs the admin role".into(),
            ));
        }
        let user = self
            .user_by_name(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        if user.disabled {
            return Err(StoreError::invalid(
                "username",
                format!("the account '{username}' is disabled"),
            )
            .saying(
                "store-account-disabled",
                vec![("user", SayArg::Text(username.to_owned()))],
            ));
        }
        let token = new_token()?;
        let id = Uuid::now_v7();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("token.create", "user", user.id).with_detail(id.to_string()));
            sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id).bind(user.id).bind(token_hash(&token)).bind(Utc::now())
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(token)
    }

    /// The principal a bearer token stands for; `None` for an unknown, revoked or disabled one.
    pub async fn principal_for_token(
        &self,
        token: &str,
        source: &str,
    ) -> StoreResult<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        let sql = format!(
            "{SELECT_USER} JOIN api_tokens t ON t.user_id = u.id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled"
        );
        let row: Option<UserRow> = with_db!(self.db(), pool => sqlx::query_as(&sql).bind(token_hash(token)).fetch_optional(pool).await?);
        row.map(|r| r.principal(source)).transpose()
    }

    /// Checks a username and password; locks the account after repeated failures.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        source: &str,
    ) -> StoreResult<Result<Principal, SignInRefusal>> {
        let now = Utc::now();
        let anonymous = Principal {
            source: source.to_owned(),
            ..Principal::system("signin")
        };
        let attempt = Principal {
            actor: username.chars().take(64).collect(),
            ..anonymous
        };
        let Some(user) = self.user_by_name(username).await? else {
            let _ = password_matches(password, dummy_hash());
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
        let ok = !user.disabled && password_matches(password, &user.password_hash);
        if ok {
            with_db!(self.db(), pool => {
                let mut tx = pool.begin().await?;
                append_audit!(self, tx, &attempt, AuditEvent::on("signin.ok", "user", user.id));
                sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                    .bind(user.id).execute(&mut *tx).await?;
                tx.commit().await?;
            });
            return Ok(Ok(user.principal(source)?));
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
    /// A user changes their own password, giving the current one.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
    ) -> StoreResult<()> {
        let user_id = principal
            .user_id
            .ok_or_else(|| StoreError::Forbidden("only user accounts have passwords".into()))?;
        let sql = format!("{SELECT_USER} WHERE u.id = $1");
        let user: UserRow =
            with_db!(self.db(), pool => sqlx::query_as(&sql).bind(user_id).fetch_one(pool).await?);
        if !password_matches(current, &user.password_hash) {
            self.audit(
                principal,
                AuditEvent::on("password.change.failed", "user", user_id),
            )
            .await?;
            return Err(
                StoreError::invalid("current_password", "the current password is wrong")
                    .saying("store-password-wrong", vec![]),
            );
        }
        check_password("new_password", &user.username, new)?;
        if new == current {
            return Err(StoreError::invalid(
                "new_password",
                "the new password must differ from the current one",
            )
            .saying("store-password-same", vec![]));
        }
        let hash = hash_password(new)?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("password.change", "user", user_id));
            sqlx::query("UPDATE users SET password_hash = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(&hash).bind(Utc::now()).bind(user_id).execute(&mut *tx).await?;
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
    fn passwords_are_stored_as_argon2id_and_verified() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(password_matches("correct horse battery", &h));
        assert!(!password_matches("correct horse batterY", &h));
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
}
