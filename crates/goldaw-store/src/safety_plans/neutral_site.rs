//! The quick exit's neutral site (docs/survivors.md): where the quick exit leaves to, an
//! operator's setting (the `settings` row `safety.quick_exit_site`) checked by
//! `goldaw_core::safety::check_neutral_site` (an absolute `https` address), changed by admins
//! (`ManageSettings`), audited, and held in memory so that every page carries it without a query.
//! A refused address writes nothing; absent (or a stored value that no longer passes the check),
//! the default [`DEFAULT_NEUTRAL_SITE`] is in force.

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
pub use goldaw_core::safety::DEFAULT_NEUTRAL_SITE;
use goldaw_core::safety::{check_neutral_site, NeutralSiteRefusal, MAX_NEUTRAL_SITE};
use std::sync::Arc;

/// The row of the `settings` table that holds it.
const KEY: &str = "safety.quick_exit_site";

/// A refusal of the address, with its literal key (`safety.ftl`; the same as
/// `NeutralSiteRefusal::key`).
fn site_refused(r: NeutralSiteRefusal) -> StoreError {
    const FIELD: &str = "quick_exit_site";
    match r {
        NeutralSiteRefusal::NotAbsolute => {
            StoreError::refuse(FIELD, "quick-exit-site-not-absolute", vec![])
        }
        NeutralSiteRefusal::NotHttps => {
            StoreError::refuse(FIELD, "quick-exit-site-not-https", vec![])
        }
        NeutralSiteRefusal::Credentials => {
            StoreError::refuse(FIELD, "quick-exit-site-credentials", vec![])
        }
        NeutralSiteRefusal::TooLong => StoreError::refuse(
            FIELD,
            "quick-exit-site-too-long",
            vec![(
                "limit",
                SayArg::Number(i64::try_from(MAX_NEUTRAL_SITE).unwrap_or(i64::MAX)),
            )],
        ),
    }
}

impl Store {
    /// The neutral site in force: the pages' quick exit leaves to it.
    pub fn quick_exit_site(&self) -> Arc<str> {
        match self.inner.quick_exit_site.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the setting into memory (at start, after migrate).
    pub(crate) async fn reload_quick_exit_site(&self) -> StoreResult<()> {
        let row: Option<(String,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                .bind(KEY)
                .fetch_optional(pool)
                .await?
        });
        let site = row
            .and_then(|(v,)| check_neutral_site(&v).ok())
            .unwrap_or_else(|| DEFAULT_NEUTRAL_SITE.to_owned());
        self.keep_quick_exit_site(site);
        Ok(())
    }

    fn keep_quick_exit_site(&self, site: String) {
        let site: Arc<str> = Arc::from(site);
        match self.inner.quick_exit_site.write() {
            Ok(mut s) => *s = site,
            Err(poisoned) => *poisoned.into_inner() = site,
        }
    }

    /// Sets the neutral site (an admin): refused unless an absolute `https` address, with
    /// nothing written. Audited with the old and new address. Answers it as stored.
    #[tracing::instrument(skip_all)]
    pub async fn set_quick_exit_site(
        &self,
        principal: &Principal,
        site: &str,
    ) -> StoreResult<String> {
        require(principal, Permission::ManageSettings)?;
        let site = check_neutral_site(site).map_err(site_refused)?;
        let old = self.quick_exit_site();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::plain("settings.quick_exit_site")
                .with_detail(format!("{old} -> {site}")));
            sqlx::query(
                "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(KEY)
            .bind(&site)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.keep_quick_exit_site(site.clone());
        Ok(site)
    }
}
