//! TOTP two-factor sign-in (RFC 6238: 6 digits, 30 s, SHA-1, one step of clock drift allowed),
//! with the `totp-rs` crate. Required for admins, optional for everyone else. The secret is
//! sealed with the operator's key before it is stored.

use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::sessions::Stage;
use crate::Store;
use goldaw_core::access::Principal;
use goldaw_core::codes::Role;
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

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

fn totp(secret: Vec<u8>, username: &str) -> StoreResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
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

impl Store {
    /// Where a principal who just gave the right password goes next.
    pub async fn stage_after_password(&self, principal: &Principal) -> StoreResult<Stage> {
        let Some(user) = principal.user_id else {
            return Ok(Stage::Active);
        };
        let enabled: bool = with_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT totp_enabled FROM users WHERE id = $1").bind(user).fetch_one(pool).await?
        });
        Ok(if enabled {
            Stage::Totp
        } else if principal.role == Some(Role::Admin) {
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

    /// Checks a code against the account's secret. On a confirmed enrolment, turns two-factor on.
    /// Wrong codes count towards the account's lockout like wrong passwords.
    pub async fn check_totp(
        &self,
        principal: &Principal,
        session_token: &str,
        code: &str,
    ) -> StoreResult<bool> {
        let user = principal
            .user_id
            .ok_or_else(|| StoreError::Forbidden("only user accounts sign in".into()))?;
        let secrets = self.secrets("two-factor sign-in")?;
        let Some(sealed) = self.sealed_secret(user).await? else {
            return Ok(false);
        };
        let raw = secrets.open(&sealed, &context(user))?;
        let ok = well_formed(code)
            && totp(raw, &principal.actor)?
                .check_current(code)
                .unwrap_or(false);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            if ok {
                append_audit!(self, tx, principal, AuditEvent::on("signin.totp.ok", "user", user));
                sqlx::query("UPDATE users SET totp_enabled = TRUE, failed_logins = 0 WHERE id = $1")
                    .bind(user).execute(&mut *tx).await?;
            } else {
                append_audit!(self, tx, principal, AuditEvent::on("signin.totp.failed", "user", user));
                sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1")
                    .bind(user).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        if ok {
            self.advance_session(session_token, Stage::Active).await?;
        }
        Ok(ok)
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
