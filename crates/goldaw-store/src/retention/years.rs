//! The ministry's years after closure, per kind of case.

use super::refused;
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::retention::{check_years, may_set_years, CaseKind, RetentionYears};
use serde::Serialize;

/// One kind's setting, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RetentionSetting {
    /// `general`, `child` or `sensitive`.
    pub kind: String,
    pub years: u32,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub version: i32,
}

type SettingRow = (String, i32, Option<String>, Option<DateTime<Utc>>, i32);

fn forbidden() -> StoreError {
    StoreError::Forbidden("retention periods are the ministry's to set".into())
}

impl Store {
    /// The years per kind, as the rules read them.
    pub(crate) async fn retention_years(&self) -> StoreResult<RetentionYears> {
        let mut years = RetentionYears::default();
        for s in self.load_retention_settings().await? {
            if let Some(kind) = CaseKind::parse(&s.kind) {
                years.set(kind, s.years);
            }
        }
        Ok(years)
    }

    async fn load_retention_settings(&self) -> StoreResult<Vec<RetentionSetting>> {
        let rows: Vec<SettingRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT kind, years, updated_by, updated_at, version FROM retention_years ORDER BY kind")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(kind, years, updated_by, updated_at, version)| {
                Ok(RetentionSetting {
                    kind,
                    years: u32::try_from(years)
                        .map_err(|e| StoreError::Corrupt(format!("retention_years.years: {e}")))?,
                    updated_by,
                    updated_at,
                    version,
                })
            })
            .collect()
    }

    /// The settings, for the ministry (and the operator).
    pub async fn retention_settings(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<RetentionSetting>> {
        if !may_set_years(principal) {
            return Err(forbidden());
        }
        self.load_retention_settings().await
    }

    /// Sets the years a closed case of `kind` is kept, if nobody changed it since
    /// `expected_version`.
    #[tracing::instrument(skip_all)]
    pub async fn set_retention_years(
        &self,
        principal: &Principal,
        kind: CaseKind,
        years: u32,
        expected_version: i32,
    ) -> StoreResult<RetentionSetting> {
        if !may_set_years(principal) {
            return Err(forbidden());
        }
        let years = check_years(years).map_err(|r| refused("years", r))?;
        let stored = i32::try_from(years).map_err(|_| {
            refused(
                "years",
                goldaw_core::retention::RetentionRefusal::YearsOutOfRange,
            )
        })?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::plain("retention.years").with_detail(format!("{} {years} years (version {expected_version})", kind.as_str())));
            let done = sqlx::query(
                "UPDATE retention_years SET years = $1, updated_by = $2, updated_at = $3, version = version + 1
                  WHERE kind = $4 AND version = $5",
            )
            .bind(stored)
            .bind(&principal.actor)
            .bind(now)
            .bind(kind.as_str())
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let actual: Option<(i32,)> = sqlx::query_as("SELECT version FROM retention_years WHERE kind = $1")
                    .bind(kind.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(match actual {
                    Some((actual,)) => StoreError::Conflict { expected: expected_version, actual },
                    None => StoreError::NotFound,
                });
            }
            tx.commit().await?;
        });
        self.load_retention_settings()
            .await?
            .into_iter()
            .find(|s| s.kind == kind.as_str())
            .ok_or(StoreError::NotFound)
    }
}
