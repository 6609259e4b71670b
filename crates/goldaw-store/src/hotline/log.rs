//! A call logged: every call, also one that ends with advice. The write's shape as
//! `service_referrals/refer.rs`: who may (a member of the line), the input checked by the core
//! rule (`goldaw_core::hotline::check_call`), then one transaction: the audit event first, the
//! call it follows read inside it, the insert.

use super::{call_refused, CallRecord, NewCall, SELECT_CALL};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::hotline::{check_call, CallFacts, CallRefusal};
use uuid::Uuid;

/// The longest code name a caller may choose.
const MAX_CODE: usize = 40;

impl Store {
    /// Logs a call on a line the principal works on.
    #[tracing::instrument(skip_all, fields(line = %new.line))]
    pub async fn log_call(&self, principal: &Principal, new: NewCall) -> StoreResult<CallRecord> {
        let (line_id, _, _) = self.line_for(principal, None, Some(&new.line)).await?;
        check_call(&CallFacts {
            outcome: new.outcome,
            call_back_set: new.call_back_at.is_some(),
            emergency_consent: new.emergency_consent,
            duration_seconds: new.duration_seconds,
        })
        .map_err(call_refused)?;
        if let Some(unit) = &new.caller_admin_unit {
            self.check_place(unit)?;
        }
        let summary = clean_text("summary", new.summary.as_deref())?;
        let code = match clean_text("caller_code", new.caller_code.as_deref())? {
            Some(c) if c.chars().count() > MAX_CODE || c.chars().any(char::is_control) => {
                return Err(StoreError::refuse(
                    "caller_code",
                    "hotline-caller-code-invalid",
                    vec![],
                ))
            }
            Some(c) => c,
            None => format!("Anon-{}", &Uuid::new_v4().simple().to_string()[..6]),
        };
        if let Some(on) = new.incident_on {
            // A caller's birth date is not asked: only the future is refused here; the person's
            // birth is checked when the call becomes a case.
            crate::cases::check_incident(on, None)?;
        }
        let now = Utc::now();
        let received_at = new.received_at.unwrap_or(now);
        if received_at > now + chrono::Duration::minutes(5) {
            return Err(StoreError::refuse(
                "received_at",
                "hotline-received-future",
                vec![],
            ));
        }
        let id = Uuid::now_v7();
        let sealed = self.seal_text(
            "call text",
            summary.as_deref(),
            &format!("hotline_calls.summary:{id}"),
        )?;
        let duration = i32::try_from(new.duration_seconds).unwrap_or(i32::MAX);
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("hotline.call.log", "hotline_call", id)
                .with_detail(format!("{} {} {}", new.line, new.category, new.outcome)));
            if let Some(first) = new.follows {
                let line: Option<(Uuid,)> = sqlx::query_as("SELECT line_id FROM hotline_calls WHERE id = $1")
                    .bind(first)
                    .fetch_optional(&mut *tx)
                    .await?;
                match line {
                    Some((l,)) if l == line_id => {}
                    // Another line's call is not told apart from a call that does not exist.
                    _ => return Err(call_refused(CallRefusal::FollowUpOtherLine)),
                }
            }
            sqlx::query(
                "INSERT INTO hotline_calls (id, line_id, received_at, duration_seconds, taken_by, caller_code,
                    caller_age_band, caller_sex, caller_admin_unit, about, category, immediate_danger,
                    children_at_risk, weapons, previous_incidents, outcome, emergency_consent, call_back_at,
                    follows_call_id, summary_sealed, case_id, version, updated_at, incident_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                    $20, NULL, 1, $21, $22)",
            )
            .bind(id)
            .bind(line_id)
            .bind(received_at)
            .bind(duration)
            .bind(&principal.actor)
            .bind(&code)
            .bind(new.caller_age_band.as_str())
            .bind(new.caller_sex.map(|s| s.as_str()))
            .bind(new.caller_admin_unit.as_ref().map(|u| u.as_str()))
            .bind(new.about.as_str())
            .bind(new.category.as_str())
            .bind(new.screening.immediate_danger)
            .bind(new.screening.children_at_risk)
            .bind(new.screening.weapons)
            .bind(new.screening.previous_incidents)
            .bind(new.outcome.as_str())
            .bind(new.emergency_consent)
            .bind(new.call_back_at)
            .bind(new.follows)
            .bind(sealed)
            .bind(now)
            .bind(new.incident_on)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        let sql = format!("{SELECT_CALL} WHERE c.id = $1");
        let row = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        self.call_record(row)
    }
}
