//! A sensitive case's survivor details (issue #18, item 5; docs/survivors.md):
//!
//! - the **incident date**: the day of the incident the case is about, optional, from which the
//!   GBV statistics count the time from incident to report. Recorded on the hotline call and
//!   carried over when the call becomes a case (`hotline/to_case.rs`), or set here by who works on
//!   the case. The rules are `goldaw_core::gbv_statistics::{incident_date_open,
//!   check_incident_date}` (a sensitive case only; not in the future, not before the person's
//!   birth);
//! - the **survivor code** (`goldaw_core::survivor_code`): drawn when a sensitive case is
//!   registered ([`Store::free_survivor_code`], in the intake's transaction), or at the first full
//!   read of a sensitive case that has none ([`Store::ensure_survivor_codes`]: a case registered
//!   before migration 0033, or one become sensitive through its person), and never changed.

use super::CaseRecord;
use crate::audit::{append_audit, AuditEvent};
use crate::db::Tx;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::deadlines::local_date;
use goldaw_core::gbv_statistics::{check_incident_date, incident_date_open, IncidentDateRefusal};
use goldaw_core::survivor_code::{from_random, RANDOM_BYTES};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The incident date of a case set or cleared.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentDateChange {
    /// The day of the incident (`YYYY-MM-DD`); absent or null clears it.
    #[serde(default)]
    pub incident_on: Option<NaiveDate>,
    /// The case's version read.
    pub version: i32,
}

/// A refusal of the incident date's rule, with its literal key (`safety.ftl`).
pub(crate) fn incident_refused(r: IncidentDateRefusal) -> StoreError {
    // The keys are `IncidentDateRefusal::key`, written out for the test of the refusal keys.
    let refusal = match r {
        IncidentDateRefusal::Future => {
            StoreError::refuse("incident_on", "incident-date-future", vec![])
        }
        IncidentDateRefusal::BeforeBirth => {
            StoreError::refuse("incident_on", "incident-date-before-birth", vec![])
        }
        IncidentDateRefusal::NotSensitive => {
            StoreError::refuse("case", "incident-date-not-sensitive", vec![])
        }
    };
    debug_assert!(matches!(&refusal, StoreError::Invalid { say: Some(s), .. } if s.key == r.key()));
    refusal
}

/// Checks an incident date against today (Turkmenistan's day) and the person's birth.
pub(crate) fn check_incident(on: NaiveDate, birth: Option<NaiveDate>) -> StoreResult<()> {
    check_incident_date(on, local_date(Utc::now()), birth).map_err(incident_refused)
}

/// A new random survivor code.
fn draw_code() -> StoreResult<String> {
    loop {
        let mut bytes = [0u8; RANDOM_BYTES];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| StoreError::Config(format!("no randomness for a survivor code: {e}")))?;
        if let Some(code) = from_random(&bytes) {
            return Ok(code);
        }
    }
}

/// How many draws a code may clash with one already given before giving up (with 8.5e11 codes,
/// even one clash is unlikely).
const DRAWS: usize = 8;

impl Store {
    /// A survivor code no case holds yet, read in the caller's transaction (which began with its
    /// audit event, so the writers are serialised and the code is still free when written; the
    /// unique index `cases_survivor_code` holds it in any case).
    pub(crate) async fn free_survivor_code(&self, tx: &mut Tx) -> StoreResult<String> {
        for _ in 0..DRAWS {
            let code = draw_code()?;
            let taken: Option<(Uuid,)> = with_tx!(tx, conn => {
                sqlx::query_as("SELECT id FROM cases WHERE survivor_code = $1")
                    .bind(&code)
                    .fetch_optional(&mut *conn)
                    .await?
            });
            if taken.is_none() {
                return Ok(code);
            }
        }
        Err(StoreError::Corrupt(
            "survivor codes: every draw clashed with a code given".into(),
        ))
    }

    /// The survivor codes of these cases, giving one to each that has none, in one transaction
    /// (an audit event `case.survivor_code` on each case given one, no detail: the code is not
    /// written into the audit trail). A code given is never changed (`survivor_code IS NULL`
    /// guards the write). The caller has read the cases in its scope and knows them sensitive.
    pub(crate) async fn ensure_survivor_codes(
        &self,
        principal: &Principal,
        ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, String>> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut tx = self.db().begin().await?;
        for id in ids {
            let current: Option<(Option<String>,)> = with_tx!(&mut tx, conn => {
                append_audit!(self, conn, principal, AuditEvent::on("case.survivor_code", "case", *id));
                sqlx::query_as("SELECT survivor_code FROM cases WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
            });
            let Some((current,)) = current else {
                return Err(StoreError::NotFound);
            };
            let code = match current {
                // Given meanwhile by another reader: kept.
                Some(code) => code,
                None => {
                    let code = self.free_survivor_code(&mut tx).await?;
                    with_tx!(&mut tx, conn => {
                        sqlx::query("UPDATE cases SET survivor_code = $1 WHERE id = $2 AND survivor_code IS NULL")
                            .bind(&code)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                    });
                    code
                }
            };
            out.insert(*id, code);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Sets (or clears) the date of the incident a sensitive case is about: who works on the
    /// case, under its version guard; the audit event first, the person's birth date read and the
    /// date checked inside the transaction.
    #[tracing::instrument(skip_all, fields(case = %id))]
    pub async fn set_incident_date(
        &self,
        principal: &Principal,
        id: Uuid,
        change: IncidentDateChange,
    ) -> StoreResult<CaseRecord> {
        let row = self.load_case_row(principal, id).await?;
        self.may_work_on(principal, &row)?;
        incident_date_open(row.sensitive).map_err(incident_refused)?;
        if let Some(on) = change.incident_on {
            // Refused early on what was read; checked again below on what is current.
            check_incident(on, row.birth_date)?;
        }
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.incident_date", "case", id)
                .with_detail((if change.incident_on.is_some() { "set" } else { "cleared" }).to_owned()));
            let (birth,): (Option<NaiveDate>,) = sqlx::query_as(
                "SELECT p.birth_date FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(on) = change.incident_on {
                check_incident(on, birth)?;
            }
            let done = sqlx::query("UPDATE cases SET incident_on = $1, version = version + 1, updated_at = $2
                                    WHERE id = $3 AND version = $4")
                .bind(change.incident_on)
                .bind(Utc::now())
                .bind(id)
                .bind(change.version)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: change.version, actual: row.version });
            }
            tx.commit().await?;
        });
        self.case_unaudited(principal, id).await
    }
}
