//! Completing an assessment: every required answer checked, the Washington Group answers written to
//! the people's records; and what a completed screening proposes.

use super::*;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::history::{insert_case_event, NewCaseEvent};
use crate::cases::parse_opt;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::assessments::{self as rules};
use goldaw_core::codes::Priority;
use goldaw_core::instruments::{wg_answers, AnswerValue, InstrumentKind};
use goldaw_core::washington_group::{WgAnswer, WgAnswers};
use uuid::Uuid;

impl Store {
    /// Completes a draft read at `version`: every required answer of every person must be given and
    /// fit the assessment's instrument version (a refusal names the item and the person). The
    /// Washington Group answers are written to each person's record (an audited person change).
    #[tracing::instrument(skip_all, fields(assessment_id = %id))]
    pub async fn complete_assessment(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
    ) -> StoreResult<AssessmentRecord> {
        let loaded = self.draft_for_write(principal, id, version).await?;
        let instrument = &loaded.instrument;
        let (answers, problems) = loaded.answers();
        if let Some(first) = problems.first() {
            return Err(StoreError::refuse(
                "answers",
                "store-answers-refused",
                vec![
                    ("detail", SayArg::Text(first.to_string())),
                    ("count", SayArg::Number(problems.len() as i64 - 1)),
                ],
            ));
        }
        let missing = rules::missing(instrument, &loaded.subjects, &answers);
        if !missing.is_empty() {
            let named: Vec<String> = missing
                .iter()
                .take(5)
                .map(|m| {
                    format!(
                        "item '{}' ({}) for {}",
                        m.item.code,
                        m.domain.title.en,
                        loaded.name_of(m.person)
                    )
                })
                .collect();
            return Err(StoreError::refuse(
                "answers",
                "store-answers-missing",
                vec![
                    ("count", SayArg::Number(missing.len() as i64)),
                    (
                        "detail",
                        SayArg::Text(format!(
                            "{}{}",
                            named.join("; "),
                            if missing.len() > named.len() {
                                "; …"
                            } else {
                                ""
                            }
                        )),
                    ),
                ],
            ));
        }
        require(principal, Permission::WritePeople)?;
        let proposal = rules::proposed_priority(instrument, &answers);
        let risk = !rules::critical_reasons(instrument, &answers).is_empty();
        let respondent = answers.get(&loaded.case.person_id);
        let yes = |code: &str| match respondent.and_then(|a| a.get(code)) {
            Some(AnswerValue::YesNo(b)) => Some(*b),
            _ => None,
        };
        let initial = instrument.kind == InstrumentKind::Initial;
        let consents = [
            yes("consent_assessment"),
            yes("consent_recording"),
            yes("consent_sharing"),
        ];
        let wg: Vec<(Uuid, [Option<i16>; 6])> = answers
            .iter()
            .map(|(person, a)| {
                (
                    *person,
                    wg_answers(a)
                        .as_array()
                        .map(|x| x.map(|x| i16::from(x.code()))),
                )
            })
            .filter(|(_, wg)| wg.iter().any(Option::is_some))
            .collect();
        let now = Utc::now();
        let case_id = loaded.row.case_id;
        let event = AuditEvent::on("assessment.complete", "case", case_id).with_detail(format!(
            "assessment {id}: {} v{}",
            instrument.code, instrument.version
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let updated = sqlx::query(
                "UPDATE assessments SET status = 'completed', completed_at = $1, updated_at = $1,
                    version = version + 1, priority = $2, immediate_risk = $3, consent_assessment = $4,
                    consent_recording = $5, consent_sharing = $6
                 WHERE id = $7 AND version = $8 AND status = 'draft'",
            )
            .bind(now)
            .bind(proposal.map(Priority::as_str))
            .bind(initial.then_some(risk))
            .bind(consents[0])
            .bind(consents[1])
            .bind(consents[2])
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            // The Washington Group answers go to the person's record: an answered domain replaces
            // the one recorded, an unanswered one keeps it; disability follows the WG cut-off.
            for (person, answered) in &wg {
                type WgRow = (Option<i16>, Option<i16>, Option<i16>, Option<i16>, Option<i16>, Option<i16>);
                let current: WgRow = sqlx::query_as(
                    "SELECT wg_seeing, wg_hearing, wg_walking, wg_cognition, wg_selfcare, wg_communication
                     FROM persons WHERE id = $1",
                )
                .bind(person)
                .fetch_one(&mut *tx)
                .await?;
                let before = [current.0, current.1, current.2, current.3, current.4, current.5];
                let mut after = before;
                for (slot, new) in after.iter_mut().zip(answered) {
                    if new.is_some() {
                        *slot = *new;
                    }
                }
                if after == before {
                    continue;
                }
                // The WG cut-off, as for every person record.
                let disability = WgAnswers::from_array(after.map(|a| {
                    a.and_then(|v| u8::try_from(v).ok())
                        .and_then(|v| WgAnswer::try_from(v).ok())
                }))
                .has_disability();
                append_audit!(self, tx, principal, AuditEvent::on("person.update", "person", person)
                    .with_detail(format!("Washington Group answers from assessment {id}")));
                sqlx::query(
                    "UPDATE persons SET wg_seeing = $1, wg_hearing = $2, wg_walking = $3, wg_cognition = $4,
                        wg_selfcare = $5, wg_communication = $6, disability = $7, version = version + 1,
                        updated_at = $8
                     WHERE id = $9",
                )
                .bind(after[0])
                .bind(after[1])
                .bind(after[2])
                .bind(after[3])
                .bind(after[4])
                .bind(after[5])
                .bind(disability)
                .bind(now)
                .bind(person)
                .execute(&mut *tx)
                .await?;
            }
            insert_case_event(&mut *tx, &NewCaseEvent::new(case_id, principal, "assessment_completed", now).detail(Some(instrument.code.as_str()))).await?;
            tx.commit().await?;
        });
        let loaded = self.load_assessment(principal, id).await?;
        self.assessment_record(&loaded)
    }

    /// The priority the case's latest completed initial assessment proposes: the screening's default.
    pub(in crate::cases) async fn screening_proposal(
        &self,
        case_id: Uuid,
    ) -> StoreResult<Option<Priority>> {
        let row: Option<(Option<String>,)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT priority FROM assessments WHERE case_id = $1 AND kind = 'initial' AND status = 'completed'
                 ORDER BY completed_at DESC LIMIT 1",
            )
            .bind(case_id)
            .fetch_optional(pool)
            .await?
        });
        parse_opt("assessment priority", row.and_then(|(p,)| p).as_deref())
    }
}
