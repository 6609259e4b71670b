//! The form's clock: the request form carries the time it was served, sealed with the operator's
//! key (so it cannot be forged, and every server of a deployment can read it). A form sent
//! sooner than a person could fill it in, or one served more than a day ago, is refused: the
//! delay that stands in for a proof of work, needing no script and no third party.

use crate::Store;
use chrono::Utc;

const CONTEXT: &str = "public_requests.form_token";

/// A form older than this is refused (it was left open, or replayed).
pub const FORM_MAX_AGE_SECONDS: i64 = 24 * 3600;

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 512 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Store {
    /// A new form token: the time now, sealed.
    pub fn public_form_token(&self) -> crate::StoreResult<String> {
        let now = Utc::now().timestamp().to_string();
        let sealed = self
            .secrets("the request form")?
            .seal(now.as_bytes(), CONTEXT)?;
        Ok(to_hex(&sealed))
    }

    /// How many seconds ago the form of `token` was served; `None` for a token that is not one
    /// of goldaw's (forged, altered, or from another key).
    pub fn public_form_age(&self, token: &str) -> Option<i64> {
        let sealed = from_hex(token.trim())?;
        let plain = self
            .secrets("the request form")
            .ok()?
            .open(&sealed, CONTEXT)
            .ok()?;
        let issued: i64 = std::str::from_utf8(&plain).ok()?.parse().ok()?;
        Some(Utc::now().timestamp() - issued)
    }
}
