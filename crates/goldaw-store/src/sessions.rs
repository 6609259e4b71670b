//! Browser sessions: a random token in an HttpOnly cookie, its SHA-256 in the database, an idle
//! timeout and an absolute one, and a CSRF token per session for every form.

use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::session_cache::CachedSession;
pub use crate::session_cache::SESSION_CACHE_TTL;
use crate::users::token_hash;
use crate::Store;
use chrono::{DateTime, Duration, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::Role;
use uuid::Uuid;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
/// And after this long whatever happens.
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 12;

/// How far a sign-in has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Fully signed in.
    Active,
    /// Password accepted; the two-factor code is awaited.
    Totp,
    /// Password accepted; the account must set up two-factor sign-in first.
    Enrol,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Active => "active",
            Stage::Totp => "totp",
            Stage::Enrol => "enrol",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "active" => Stage::Active,
            "enrol" => Stage::Enrol,
            // Anything unexpected is treated as not yet signed in.
            _ => Stage::Totp,
        }
    }
}

pub struct Session {
    pub principal: Principal,
    pub csrf: String,
    pub stage: Stage,
    /// Where the pages' quick exit leaves to (the operator's setting, `safety_plans`).
    pub quick_exit_site: std::sync::Arc<str>,
    /// The SHA-256 of the session's token: which session this is, for the store's own use.
    hash: Vec<u8>,
}

impl Session {
    pub(crate) fn token_hash(&self) -> &[u8] {
        &self.hash
    }
}

/// 32 random bytes as hex, for session tokens and CSRF tokens.
pub fn random_token() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf: String,
    stage: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    user_id: Uuid,
    username: String,
    role: String,
    scope: String,
    sensitive: bool,
    unsuppressed: bool,
}

impl Store {
    /// Opens a session for a principal who has just signed in; returns the cookie's token.
    pub async fn open_session(&self, principal: &Principal, stage: Stage) -> StoreResult<String> {
        let Some(user_id) = principal.user_id else {
            return Err(StoreError::Forbidden(
                "only user accounts have sessions".into(),
            ));
        };
        let token = random_token()?;
        let csrf = random_token()?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("session.open", "user", user_id));
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen_at, stage) VALUES ($1, $2, $3, $4, $4, $5)")
                .bind(token_hash(&token)).bind(user_id).bind(&csrf).bind(now).bind(stage.as_str())
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(token)
    }

    /// The live session behind a cookie token, refreshed; `None` if unknown, ended or timed out.
    ///
    /// A session read in the last [`SESSION_CACHE_TTL`] is answered from memory (see
    /// `session_cache` for the staleness bound); the timeouts are checked on every call.
    pub async fn session(&self, token: &str, source: &str) -> StoreResult<Option<Session>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let cache = &self.inner.sessions;
        let cached = match cache.get(&hash) {
            Some(c) => c,
            None => {
                let generation = cache.generation();
                let Some(read) = self.read_session(&hash).await? else {
                    return Ok(None);
                };
                cache.insert(hash.clone(), read.clone(), generation);
                read
            }
        };
        let now = Utc::now();
        if now - cached.last_seen_at > Duration::minutes(IDLE_TIMEOUT_MINUTES)
            || now - cached.created_at > Duration::hours(ABSOLUTE_TIMEOUT_HOURS)
        {
            self.end_session(token).await?;
            return Ok(None);
        }
        // Refresh at most once a minute: a page view should not always be a write.
        if now - cached.last_seen_at > Duration::minutes(1) {
            with_db!(self.db(), pool => {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now).bind(&hash).execute(pool).await?;
            });
            cache.touch(&hash, now);
        }
        let CachedSession {
            mut principal,
            csrf,
            stage,
            ..
        } = cached;
        principal.source = source.to_owned();
        Ok(Some(Session {
            principal,
            csrf,
            stage,
            quick_exit_site: self.quick_exit_site(),
            hash,
        }))
    }

    /// The session under a token hash as stored, if it has not ended and its account is enabled.
    async fn read_session(&self, hash: &[u8]) -> StoreResult<Option<CachedSession>> {
        let row: Option<SessionRow> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT s.csrf, s.stage, s.created_at, s.last_seen_at, u.id AS user_id, u.username, u.role, u.scope, u.sensitive, u.unsuppressed
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.ended_at IS NULL AND NOT u.disabled AND u.approved",
            )
            .bind(hash)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        let role: Role = row
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("role: {e}")))?;
        let scope = row
            .scope
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))?;
        let principal = Principal::user(row.user_id, &row.username, role, scope, row.sensitive)
            .with_unsuppressed(row.unsuppressed);
        Ok(Some(CachedSession {
            principal,
            csrf: row.csrf,
            stage: Stage::parse(&row.stage),
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
        }))
    }

    /// Forgets the sessions kept in memory, as if [`SESSION_CACHE_TTL`] had passed: for tests
    /// that change the stored sessions behind the store's back.
    #[cfg(feature = "testing")]
    pub fn forget_cached_sessions(&self) {
        self.inner.sessions.clear();
    }

    /// Signs out: the token stops working at once.
    pub async fn end_session(&self, token: &str) -> StoreResult<()> {
        let hash = token_hash(token);
        with_db!(self.db(), pool => {
            sqlx::query("UPDATE sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL")
                .bind(Utc::now()).bind(&hash).execute(pool).await?;
        });
        self.inner.sessions.forget(&hash);
        Ok(())
    }
}
