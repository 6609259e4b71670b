//! Saving a draft: the answers checked against the instrument, under the version read.

use super::rows::*;
use super::*;
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::scope::MARK_NAMED_IN_CASE;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::assessments::{self as rules, Subject};
use goldaw_core::deadlines::local_date;
use goldaw_core::instruments::AnswerValue;
use uuid::Uuid;

impl Store {
    /// A draft the principal may change now, at `version`.
    pub(super) async fn draft_for_write(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
    ) -> StoreResult<Loaded> {
        let loaded = self.load_assessment(principal, id).await?;
        self.may_work_on(principal, &loaded.case)?;
        if loaded.row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: loaded.row.version,
            });
        }
        if loaded.status != AssessmentStatus::Draft {
            return Err(StoreError::refuse(
                "assessment",
                "store-assessment-completed",
                vec![],
            ));
        }
        check_step(kind_of(&loaded.row)?, &loaded.case)?;
        Ok(loaded)
    }

    /// Saves answers to a draft (and, if given, who is assessed), if nobody saved it since `version`.
    /// Each answer is checked against the assessment's own instrument version and person; a refusal
    /// names the item and the person, and nothing is written.
    #[tracing::instrument(skip_all, fields(assessment_id = %id))]
    pub async fn save_assessment(
        &self,
        principal: &Principal,
        id: Uuid,
        save: AssessmentSave,
    ) -> StoreResult<AssessmentRecord> {
        let mut loaded = self.draft_for_write(principal, id, save.version).await?;
        if save.answers.len() > MAX_ANSWERS_PER_SAVE {
            return Err(StoreError::refuse(
                "answers",
                "store-assessment-answers-count",
                vec![("limit", SayArg::Number(MAX_ANSWERS_PER_SAVE as i64))],
            ));
        }
        let new_persons = match &save.persons {
            Some(ids) => Some(
                self.chosen_persons(principal, &loaded.case, &loaded.instrument, ids)
                    .await?,
            ),
            None => None,
        };
        if let Some(persons) = &new_persons {
            let started = local_date(loaded.row.started_at);
            loaded.subjects = persons
                .iter()
                .map(|p| {
                    Subject::new(
                        p.person_id,
                        p.person_id == loaded.case.person_id,
                        p.birth_date,
                        started,
                    )
                })
                .collect();
            loaded.persons = persons.clone();
        }
        let instrument = &loaded.instrument;
        // (row, person, item, need, coded answer, sealed text, sealed strengths, sealed own words)
        type Write = (
            Uuid,
            Uuid,
            String,
            Option<i32>,
            Option<String>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let mut writes: Vec<Write> = Vec::with_capacity(save.answers.len());
        for (n, a) in save.answers.iter().enumerate() {
            let field = format!("answers[{n}]");
            let Some(subject) = loaded.subjects.iter().find(|s| s.id == a.person) else {
                return Err(StoreError::refuse(
                    &field,
                    "store-answer-person-outside",
                    vec![
                        ("field", SayArg::Text(a.item.to_string())),
                        ("name", SayArg::Text(a.person.to_string())),
                    ],
                ));
            };
            let name = loaded.name_of(a.person);
            if instrument.item(&a.item).is_none() {
                return Err(StoreError::refuse(
                    &field,
                    "store-answer-item-unknown",
                    vec![
                        ("field", SayArg::Text(a.item.to_string())),
                        ("name", SayArg::Text(name.to_string())),
                        ("value", SayArg::Text(instrument.code.to_string())),
                        ("number", SayArg::Number(i64::from(instrument.version))),
                    ],
                ));
            }
            let raw = a.value.as_ref().map(RawAnswer::as_form).unwrap_or_default();
            let value = if raw.trim().is_empty() {
                None
            } else {
                Some(
                    rules::parse_answer(instrument, subject, &a.item, &raw).map_err(|e| {
                        StoreError::refuse(
                            &field,
                            "store-answer-refused",
                            vec![
                                ("field", SayArg::Text(e.item.to_string())),
                                ("name", SayArg::Text(name.to_string())),
                                ("detail", SayArg::Text(e.message.to_string())),
                            ],
                        )
                    })?,
                )
            };
            let strengths = note(instrument, &a.item, "strengths", a.strengths.as_deref())
                .map_err(|m| {
                    StoreError::refuse(
                        &field,
                        "store-answer-refused",
                        vec![
                            ("field", SayArg::Text(a.item.to_string())),
                            ("name", SayArg::Text(name.to_string())),
                            ("detail", SayArg::Text(m.to_string())),
                        ],
                    )
                })?;
            let own_words = note(
                instrument,
                &a.item,
                "the person's own words",
                a.own_words.as_deref(),
            )
            .map_err(|m| {
                StoreError::refuse(
                    &field,
                    "store-answer-refused",
                    vec![
                        ("field", SayArg::Text(a.item.to_string())),
                        ("name", SayArg::Text(name.to_string())),
                        ("detail", SayArg::Text(m.to_string())),
                    ],
                )
            })?;
            let (need, answer, text) = match &value {
                None => (None, None, None),
                Some(AnswerValue::Need(n)) => (Some(i32::from(n.code())), None, None),
                Some(AnswerValue::Text(t)) => (None, None, Some(t.clone())),
                Some(AnswerValue::YesNo(b)) => {
                    (None, Some(if *b { "yes" } else { "no" }.to_owned()), None)
                }
                Some(AnswerValue::Scale(s)) => (None, Some(s.to_string()), None),
                Some(AnswerValue::Wg(w)) => (None, Some(w.code().to_string()), None),
            };
            let row = Uuid::now_v7();
            let seal = |column: &str, t: Option<&str>| {
                self.seal_text("case text", t, &context(column, row))
            };
            writes.push((
                row,
                a.person,
                a.item.clone(),
                need,
                answer,
                seal("text", text.as_deref())?,
                seal("strengths", strengths.as_deref())?,
                seal("own_words", own_words.as_deref())?,
            ));
        }
        let now = Utc::now();
        let version = save.version;
        let case_id = loaded.row.case_id;
        let event = AuditEvent::on("assessment.save", "case", case_id).with_detail(format!(
            "assessment {id}: {} answer(s){}",
            writes.len(),
            if new_persons.is_some() {
                ", people changed"
            } else {
                ""
            }
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let updated = sqlx::query("UPDATE assessments SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'")
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            if let Some(persons) = &new_persons {
                sqlx::query("DELETE FROM assessment_persons WHERE assessment_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for (position, p) in persons.iter().enumerate() {
                    sqlx::query("INSERT INTO assessment_persons (assessment_id, person_id, position) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(p.person_id)
                        .bind(position as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(MARK_NAMED_IN_CASE).bind(case_id).execute(&mut *tx).await?;
                // The answers of people no longer assessed go with them.
                let kept: Vec<Uuid> = persons.iter().map(|p| p.person_id).collect();
                let recorded: Vec<(Uuid,)> = sqlx::query_as("SELECT DISTINCT person_id FROM assessment_items WHERE assessment_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                for (person,) in recorded.into_iter().filter(|(p,)| !kept.contains(p)) {
                    sqlx::query("DELETE FROM assessment_items WHERE assessment_id = $1 AND person_id = $2")
                        .bind(id)
                        .bind(person)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (row, person, item, need, answer, text, strengths, own_words) in &writes {
                sqlx::query("DELETE FROM assessment_items WHERE assessment_id = $1 AND person_id = $2 AND item = $3")
                    .bind(id)
                    .bind(person)
                    .bind(item)
                    .execute(&mut *tx)
                    .await?;
                let empty = need.is_none() && answer.is_none() && text.is_none()
                    && strengths.is_none() && own_words.is_none();
                if empty {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO assessment_items (assessment_id, person_id, item, need, answer, text_sealed,
                        strengths_sealed, own_words_sealed, row_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(person)
                .bind(item)
                .bind(need)
                .bind(answer.as_deref())
                .bind(text.as_deref())
                .bind(strengths.as_deref())
                .bind(own_words.as_deref())
                .bind(row)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        let loaded = self.load_assessment(principal, id).await?;
        self.assessment_record(&loaded)
    }
}
