//! A call become a case in one step: the person (found, or registered under the caller's code
//! name), the case registered by the call's staff with what was said carried over (the summary
//! as the concern, the risk screening as the provisional priority, violence or a child at risk
//! as a sensitive case), the call linked to it, and the consents the caller gave recorded: one
//! transaction, composed of the `*_in` variants of the person's, the intake's and the consent's
//! use cases (`crate::db::Tx`).

use super::call_refused;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::{CaseRecord, NewReferral};
use crate::consent::{ConsentCase, NewConsent};
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

/// Whom the case is about: a person already known, or the caller registered under her code name.
enum Who {
    Known(Uuid),
    New(PersonData),
}

impl Store {
    /// Opens a case from a call, in one transaction: the audit event first, then the person
    /// (registered under the caller's code name unless known), the case, the consents she gave
    /// and the call's link under its version guard. A refusal anywhere (a person out of scope, a
    /// consent to an unknown provider or for someone outside her household, the call changed or
    /// already a case) rolls it all back: no person, no case, no consent is left behind.
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
        // The checks that need no database, before the transaction.
        let who = match req.person {
            Some(p) => Who::Known(p),
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
                Who::New(data)
            }
        };
        let case_id = Uuid::now_v7();
        let mut tx = self.db().begin().await?;
        with_tx!(&mut tx, tx => {
            append_audit!(self, tx, principal, AuditEvent::on("hotline.call.case", "hotline_call", id)
                .with_detail(format!("case {case_id}")));
        });
        let person = match who {
            Who::Known(p) => p,
            Who::New(data) => {
                self.create_person_in(&mut tx, principal, None, data)
                    .await?
            }
        };
        self.register_referral_in(
            &mut tx,
            principal,
            case_id,
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
        let (household, birth): (Uuid, Option<chrono::NaiveDate>) = with_tx!(&mut tx, tx => {
            sqlx::query_as("SELECT household_id, birth_date FROM persons WHERE id = $1")
                .bind(person)
                .fetch_one(&mut *tx)
                .await?
        });
        // The incident date said on the call is carried over, checked against her birth now
        // that she is known (a known person born after it refuses the whole act).
        if let Some(on) = call.incident_on {
            crate::cases::check_incident(on, birth)?;
            with_tx!(&mut tx, tx => {
                // Only on a sensitive case (`incident_date_open`): a call about disability or
                // an older person keeps its date on the call.
                sqlx::query("UPDATE cases SET incident_on = $1 WHERE id = $2 AND sensitive = $3")
                    .bind(on)
                    .bind(case_id)
                    .bind(true)
                    .execute(&mut *tx)
                    .await?;
            });
        }
        let on = ConsentCase {
            id: case_id,
            person,
            household,
        };
        for consent in req.consents {
            self.record_consent_in(&mut tx, principal, &on, consent)
                .await?;
        }
        let linked = with_tx!(&mut tx, tx => {
            let done = sqlx::query("UPDATE hotline_calls SET case_id = $1, version = version + 1, updated_at = $2
                                    WHERE id = $3 AND version = $4 AND case_id IS NULL")
                .bind(case_id)
                .bind(chrono::Utc::now())
                .bind(id)
                .bind(req.version)
                .execute(&mut *tx)
                .await?;
            done.rows_affected() == 1
        });
        if !linked {
            // Someone changed the call or opened its case since it was read: nothing is kept.
            return Err(StoreError::Conflict {
                expected: req.version,
                actual: req.version + 1,
            });
        }
        tx.commit().await?;
        self.case_unaudited(principal, case_id).await
    }
}
