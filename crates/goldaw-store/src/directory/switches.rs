//! The operator's switches of the public side: the directory pages, the request form. Kept in the
//! `settings` table (`public.directory`, `public.requests`: `on` or `off`; absent is on), changed
//! by admins (`ManageSettings`), audited. The minimum time a form must be open before it is sent
//! (`public.form_min_seconds`), the abuse limits (`public.per_address_per_hour`,
//! `public.global_per_hour`) and how long a request's row is kept (`public.retention_days`) are
//! kept there too, each within bounds ([`LIMIT_BOUNDS`]).

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use serde::Serialize;

/// What the public side offers now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublicSwitches {
    /// `/directory` and its pages are served.
    pub directory: bool,
    /// The request form takes requests.
    pub requests: bool,
    /// A request sent sooner after its form was served is refused (a person takes longer).
    pub form_min_seconds: u32,
    /// Requests taken from one address in an hour.
    pub per_address_per_hour: u32,
    /// Requests taken from everyone in an hour.
    pub global_per_hour: u32,
    /// Days a request's row (its reference and the case it became) is kept; the case stays.
    pub retention_days: u32,
}

impl PublicSwitches {
    /// The limits the request form applies.
    pub fn limits(&self) -> crate::public_requests::RequestLimits {
        crate::public_requests::RequestLimits {
            per_address_per_hour: i64::from(self.per_address_per_hour),
            global_per_hour: i64::from(self.global_per_hour),
            retention_days: i64::from(self.retention_days),
        }
    }
}

/// A form is refused when sent within this many seconds of being served, unless set otherwise.
pub const DEFAULT_FORM_MIN_SECONDS: u32 = 4;

/// The bounds an operator may set the limits within (each from 1): per address per hour, for
/// everyone per hour, the retention in days.
pub const LIMIT_BOUNDS: [(&str, u32); 3] = [
    ("per_address_per_hour", 100),
    ("global_per_hour", 100_000),
    ("retention_days", 3650),
];

impl Store {
    /// The switches in force (read on every public request: one small query).
    pub async fn public_switches(&self) -> StoreResult<PublicSwitches> {
        let rows: Vec<(String, String)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT key, value FROM settings WHERE key IN ('public.directory', 'public.requests', 'public.form_min_seconds',
                            'public.per_address_per_hour', 'public.global_per_hour', 'public.retention_days')")
                .fetch_all(pool)
                .await?
        });
        let get = |k: &str| {
            rows.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let defaults = crate::public_requests::RequestLimits::default();
        let number = |k: &str, default: i64| {
            get(k)
                .and_then(|v| v.parse().ok())
                .unwrap_or(u32::try_from(default).unwrap_or(u32::MAX))
        };
        Ok(PublicSwitches {
            directory: get("public.directory") != Some("off"),
            requests: get("public.requests") != Some("off"),
            form_min_seconds: get("public.form_min_seconds")
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_FORM_MIN_SECONDS),
            per_address_per_hour: number(
                "public.per_address_per_hour",
                defaults.per_address_per_hour,
            ),
            global_per_hour: number("public.global_per_hour", defaults.global_per_hour),
            retention_days: number("public.retention_days", defaults.retention_days),
        })
    }

    /// Sets the switches (an admin). Audited with the new values.
    #[tracing::instrument(skip_all)]
    pub async fn set_public_switches(
        &self,
        principal: &Principal,
        switches: PublicSwitches,
    ) -> StoreResult<()> {
        require(principal, Permission::ManageSettings)?;
        if switches.form_min_seconds > 600 {
            return Err(StoreError::refuse(
                "form_min_seconds",
                "store-public-min-seconds",
                vec![("limit", SayArg::Number(600))],
            ));
        }
        let limits = [
            switches.per_address_per_hour,
            switches.global_per_hour,
            switches.retention_days,
        ];
        for ((field, max), value) in LIMIT_BOUNDS.iter().zip(limits) {
            if !(1..=*max).contains(&value) {
                return Err(StoreError::refuse(
                    field,
                    "store-public-limit-range",
                    vec![
                        ("field", SayArg::Text((*field).to_owned())),
                        ("limit", SayArg::Number(i64::from(*max))),
                    ],
                ));
            }
        }
        let on = |b: bool| if b { "on" } else { "off" };
        let now = Utc::now();
        let values = [
            ("public.directory", on(switches.directory).to_owned()),
            ("public.requests", on(switches.requests).to_owned()),
            (
                "public.form_min_seconds",
                switches.form_min_seconds.to_string(),
            ),
            (
                "public.per_address_per_hour",
                switches.per_address_per_hour.to_string(),
            ),
            (
                "public.global_per_hour",
                switches.global_per_hour.to_string(),
            ),
            ("public.retention_days", switches.retention_days.to_string()),
        ];
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::plain("settings.public").with_detail(format!(
                "directory {} requests {} min_seconds {} per_address {} global {} retention_days {}",
                on(switches.directory), on(switches.requests), switches.form_min_seconds,
                switches.per_address_per_hour, switches.global_per_hour, switches.retention_days
            )));
            for (key, value) in &values {
                sqlx::query(
                    "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                       updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(*key)
                .bind(value)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
