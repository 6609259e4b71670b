//! TOTP two-factor sign-in (RFC 6238: 6 digits, 30 s, SHA-1, one step of clock drift allowed),
//! with the `totp-rs` crate. Required for admins and every other account with a wide grant
//! (`goldaw_core::accounts::two_factor_required`), optional for everyone else. The secret is
//! sealed with the operator's key before it is stored.
//!
//! Guessing is bounded three ways: five wrong codes in a row end the session and lock the
//! account for 15 minutes, as five wrong passwords do (a right password does not reset the
//! count, a right code does); the per-address limit of the sign-in form applies to the code
//! form too (goldaw-web); and a code is good once: the time step of the last code used is
//! stored, and a code of that step or an earlier one is refused (RFC 6238 §5.2).

use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::sessions::Stage;
use crate::users::{LOCKOUT_MINUTES, MAX_FAILED_SIGN_INS};
use crate::Store;
use chrono::{DateTime, Duration, Utc};
use goldaw_core::access::Principal;
use goldaw_core::accounts::{self, Grant};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

/// Seconds per time step.
const STEP_SECONDS: u64 = 30;
/// Steps of clock drift accepted either side of now.
const DRIFT_STEPS: u64 = 1;

/// What came of a two-factor code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The right code, not used before: the session is fully signed in.
    Accepted,
    /// A wrong code (or one already used); the session may try again.
    Refused,
    /// Too many wrong codes: the session has ended and the account is locked until then.
    Locked { until: DateTime<Utc> },
}

#[derive(sqlx::FromRow)]
struct CodeState {
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
    locked_until: Option<DateTime<Utc>>,
}

/// What a person needs to add goldaw to their authenticator app.
pub struct Enrolment {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The `otpauth://` address, for apps that take a link or a QR code of it.
    pub url: String,
}

fn context(user: Uuid) -> String {
    format!("users.totp_secret:{user}")
}

/// The account's TOTP; its own drift is none, as [`matching_step`] walks the steps itself.
fn totp(secret: Vec<u8>, username: &str) -> StoreResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS,
        secret,
        Some("goldaw".into()),
        username.to_owned(),
    )
    .map_err(|e| StoreError::Config(format!("two-factor set-up: {e}")))
}

/// A code is six digits; anything else is refused before any work.
fn well_formed(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The time step within the drift allowed around `now` (Unix seconds) whose code is `code`,
/// among the steps after `last_used`; `None` if there is none (a wrong code, or a used one).
fn matching_step(t: &TOTP, code: &str, now: u64, last_used: Option<i64>) -> Option<i64> {
    let current = now / STEP_SECONDS;
    (current.saturating_sub(DRIFT_STEPS)..=current + DRIFT_STEPS)
        .filter_map(|step| i64::try_from(step).ok())
        .filter(|step| last_used.is_none_or(|last| *step > last))
        // `check` compares in constant time; with no drift of its own it checks this step only.
        .find(|step| t.check(code, (*step as u64) * STEP_SECONDS))
}

impl Store {
    /// Where a principal who just gave the right password goes next.
    #[tracing::instrument(skip_all)]
    pub async fn stage_after_password(&self, principal: &Principal) -> StoreResult<Stage> {
        let Some(user) = principal.user_id else {
            return Ok(Stage::Active);
        };
        let enabled: bool = with_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT totp_enabled FROM users WHERE id = $1").bind(user).fetch_one(pool).await?
        });
        let required = Grant::of(principal).is_some_and(|g| accounts::two_factor_required(&g));
        Ok(if enabled {
            Stage::Totp
        } else if required {
            Stage::Enrol
        } else {
            Stage::Active
        })
    }

    async fn sealed_secret(&self, user: Uuid) -> StoreResult<Option<Vec<u8>>> {
        Ok(with_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1").bind(user).fetch_one(pool).await?
        }))
    }

    /// Makes (or shows again) a not-yet-confirmed secret for the principal's own account.
    #[tracing::instrument(skip_all)]
    pub async fn start_totp_enrolment(&self, principal: &Principal) -> StoreResult<Enrolment> {
        let user = principal
            .user_id
            .ok_or_else(|| StoreError::Forbidden("only user accounts sign in".into()))?;
        let secrets = self.secrets("two-factor sign-in")?;
        let raw = match self.sealed_secret(user).await? {
            Some(sealed) => secrets.open(&sealed, &context(user))?,
            None => {
                let mut raw = vec![0u8; 20];
                getrandom::getrandom(&mut raw)
                    .map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
                let sealed = secrets.seal(&raw, &context(user))?;
                with_db!(self.db(), pool => {
                    let mut tx = pool.begin().await?;
                    append_audit!(self, tx, principal, AuditEvent::on("totp.enrol", "user", user));
                    sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = FALSE WHERE id = $2 AND NOT totp_enabled")
                        .bind(&sealed).bind(user).execute(&mut *tx).await?;
                    tx.commit().await?;
                });
                raw
            }
        };
        let t = totp(raw, &principal.actor)?;
        Ok(Enrolment {
            secret: Secret::Raw(t.secret.clone()).to_encoded().to_string(),
            url: t.get_url(),
        })
    }

    /// Checks a code against the account's secret for the session `session_token`. On a
    /// confirmed enrolment, turns two-factor on. Refuses a code already used (its time step or
    /// an earlier one), and every code while the account is locked. The fifth wrong code in a
    /// row locks the account for 15 minutes and ends every session of the account still waiting
    /// for its second factor.
    #[tracing::instrument(skip_all)]
    pub async fn check_totp(
        &self,
        principal: &Principal,
        session_token: &str,
        code: &str,
    ) -> StoreResult<CodeCheck> {
        let user = principal
            .user_id
            .ok_or_else(|| StoreError::Forbidden("only user accounts sign in".into()))?;
        let secrets = self.secrets("two-factor sign-in")?;
        let state: CodeState = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT totp_secret, totp_last_step, locked_until FROM users WHERE id = $1")
                .bind(user).fetch_one(pool).await?
        });
        let now = Utc::now();
        if let Some(until) = state.locked_until.filter(|u| *u > now) {
            // Locked meanwhile (from another session, or by wrong passwords): this one ends too.
            self.audit(
                principal,
                AuditEvent::on("signin.totp.failed", "user", user).with_detail("locked"),
            )
            .await?;
            self.end_session(session_token).await?;
            return Ok(CodeCheck::Locked { until });
        }
        let Some(sealed) = state.totp_secret else {
            return Ok(CodeCheck::Refused);
        };
        let raw = secrets.open(&sealed, &context(user))?;
        let unix = u64::try_from(now.timestamp()).unwrap_or(0);
        let step = if well_formed(code) {
            matching_step(
                &totp(raw, &principal.actor)?,
                code,
                unix,
                state.totp_last_step,
            )
        } else {
            None
        };
        let session_hash = crate::users::token_hash(session_token);
        let mut outcome = CodeCheck::Refused;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            if let Some(step) = step {
                append_audit!(self, tx, principal, AuditEvent::on("signin.totp.ok", "user", user));
                // Guarded by the step itself: of two sessions sending the same code at once, one wins.
                let used = sqlx::query(
                    "UPDATE users SET totp_enabled = TRUE, totp_failures = 0, failed_logins = 0, totp_last_step = $1
                     WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
                )
                .bind(step).bind(user).execute(&mut *tx).await?;
                if used.rows_affected() == 1 {
                    sqlx::query("UPDATE sessions SET stage = $1 WHERE token_hash = $2 AND ended_at IS NULL")
                        .bind("active").bind(&session_hash).execute(&mut *tx).await?;
                    tx.commit().await?;
                    outcome = CodeCheck::Accepted;
                }
            }
        });
        if outcome == CodeCheck::Accepted {
            self.inner.sessions.forget(&session_hash);
            return Ok(outcome);
        }
        let lock_until = now + Duration::minutes(LOCKOUT_MINUTES);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("signin.totp.failed", "user", user)
                .with_detail(if step.is_some() { "code already used" } else { "wrong code" }));
            // One statement counts and locks, so that concurrent wrong codes all count.
            let (failures,): (i32,) = sqlx::query_as(
                "UPDATE users SET
                    totp_failures = CASE WHEN totp_failures + 1 >= $1 THEN 0 ELSE totp_failures + 1 END,
                    locked_until = CASE WHEN totp_failures + 1 >= $1 THEN $2 ELSE locked_until END
                 WHERE id = $3 RETURNING totp_failures",
            )
            .bind(MAX_FAILED_SIGN_INS).bind(lock_until).bind(user)
            .fetch_one(&mut *tx).await?;
            // Back to 0 only when this code was the one that locked.
            if failures == 0 {
                outcome = CodeCheck::Locked { until: lock_until };
                sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL AND stage <> 'active'")
                    .bind(now).bind(user).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        if matches!(outcome, CodeCheck::Locked { .. }) {
            self.inner.sessions.forget_user(user);
        }
        Ok(outcome)
    }

    /// A code the account has not used yet, as an authenticator app would show it: the current
    /// step's, or if that was used, the next step's (within the drift allowed); waits for the
    /// clock if both were used. Tests only.
    #[cfg(feature = "testing")]
    pub async fn unused_totp_for_tests(&self, user: Uuid, username: &str) -> StoreResult<String> {
        loop {
            let last: Option<i64> = with_db!(self.db(), pool => {
                sqlx::query_scalar("SELECT totp_last_step FROM users WHERE id = $1").bind(user).fetch_one(pool).await?
            });
            let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
            let current = (now / STEP_SECONDS) as i64;
            let step = last.map_or(current, |l| (l + 1).max(current));
            // A step up to one ahead stays good for at least a step's length (the drift allowed).
            if step <= current + DRIFT_STEPS as i64 {
                let sealed = self
                    .sealed_secret(user)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let raw = self
                    .secrets("two-factor sign-in")?
                    .open(&sealed, &context(user))?;
                return Ok(totp(raw, username)?.generate(step as u64 * STEP_SECONDS));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    /// The current code for an account, as an authenticator app would show it. Tests only.
    #[cfg(feature = "testing")]
    pub async fn current_totp_for_tests(&self, user: Uuid, username: &str) -> StoreResult<String> {
        let sealed = self
            .sealed_secret(user)
            .await?
            .ok_or(StoreError::NotFound)?;
        let raw = self
            .secrets("two-factor sign-in")?
            .open(&sealed, &context(user))?;
        totp(raw, username)?
            .generate_current()
            .map_err(|e| StoreError::Config(e.to_string()))
    }
}
