//! A call become a case in one step: the person (found, or registered under the caller's code
//! name), the case registered by the call's staff with what was said carried over (the summary
//! as the concern, the risk screening as the provisional priority, violence or a child at risk
//! as a sensitive case), the call linked to it, and the consents the caller gave recorded.

use super::call_refused;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::{CaseRecord, NewReferral};
use crate::consent::NewConsent;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use goldaw_core::access::Principal;
use goldaw_core::codes::{Priority, ReferralSource, Sex};
use goldaw_core::hotline::CallRefusal;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::people::PersonData;
use serde::Deserialize;
use uuid::Uuid;

/// A call become a case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallToCase {
    /// The etrap whose social work service takes the case.
    #[schema(value_type = String)]
    pub admin_unit: AdminUnitCode,
    /// The person, if already known; else registered under the caller's code name.
    #[serde(default)]
    pub person: Option<Uuid>,
    /// The person's sex when registered here (the caller's if absent).
    #[serde(default)]
    pub sex: Option<Sex>,
    /// The call's version read.
    pub version: i32,
    /// The consents the caller gave on the call.
    #[serde(default)]
    pub consents: Vec<NewConsent>,
}

impl Store {
    /// Opens a case from a call.
    #[tracing::instrument(skip_all, fields(call = %id))]
    pub async fn call_to_case(
        &self,
        principal: &Principal,
        id: Uuid,
        req: CallToCase,
    ) -> StoreResult<CaseRecord> {
        let (row, _) = self.call_row(principal, id).await?;
        let call = self.call_record(row)?;
        if call.case_id.is_some() {
            return Err(call_refused(CallRefusal::AlreadyACase));
        }
        if call.version != req.version {
            return Err(StoreError::Conflict {
                expected: req.version,
                actual: call.version,
            });
        }
        self.check_place(&req.admin_unit)?;
        // The consents are checked before anything is written, so that a consent refused as
        // given (a referral without its provider, an unknown provider) leaves no case behind.
        let today = goldaw_core::deadlines::local_date(chrono::Utc::now());
        for c in &req.consents {
            let provider = c
                .provider
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty());
            goldaw_core::consent::check_consent(
                c.purpose,
                provider.is_some(),
                c.provider_kind.is_some(),
                c.valid_from.unwrap_or(today),
                c.valid_until,
            )
            .map_err(crate::consent::record_refused)?;
            if let Some(ext) = provider {
                let found: Option<(Uuid,)> = with_db!(self.db(), pool => {
                    sqlx::query_as("SELECT id FROM providers WHERE external_id = $1")
                        .bind(ext)
                        .fetch_optional(pool)
                        .await?
                });
                if found.is_none() {
                    return Err(StoreError::refuse(
                        "provider",
                        "consent-provider-unknown",
                        vec![("provider", crate::error::SayArg::Text(ext.to_owned()))],
                    ));
                }
            }
        }
        let person = match req.person {
            Some(p) => p,
            None => {
                let Some(sex) = req.sex.or(call.caller_sex) else {
                    return Err(StoreError::refuse("sex", "hotline-case-sex-needed", vec![]));
                };
                let data: PersonData = serde_json::from_value(serde_json::json!({
                    "given_name": call.caller_code,
                    "sex": sex.as_str(),
                    "admin_unit": req.admin_unit.as_str(),
                }))
                .map_err(|_| {
                    StoreError::refuse("caller_code", "hotline-caller-code-invalid", vec![])
                })?;
                self.create_person(principal, None, data).await?.id
            }
        };
        let case = self
            .register_referral(
                principal,
                NewReferral {
                    person,
                    admin_unit: req.admin_unit.clone(),
                    referral_source: ReferralSource::Hotline,
                    // The line only: the code name is her name on the new record, hidden on pages by default.
                    referrer: Some(call.line.clone()),
                    concern: call.summary.clone(),
                    provisional_priority: call.critical.then_some(Priority::Critical),
                    sensitive: call.category.sensitive(),
                    household_case: false,
                },
            )
            .await?;
        let linked = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("hotline.call.case", "hotline_call", id)
                .with_detail(format!("case {}", case.id)));
            let done = sqlx::query("UPDATE hotline_calls SET case_id = $1, version = version + 1, updated_at = $2
                                    WHERE id = $3 AND version = $4 AND case_id IS NULL")
                .bind(case.id)
                .bind(chrono::Utc::now())
                .bind(id)
                .bind(req.version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            done.rows_affected() == 1
        });
        if !linked {
            return Err(StoreError::Conflict {
                expected: req.version,
                actual: req.version + 1,
            });
        }
        for consent in req.consents {
            self.record_consent(principal, case.id, consent).await?;
        }
        Ok(case)
    }
}
