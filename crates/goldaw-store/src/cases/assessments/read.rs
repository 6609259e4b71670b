//! One assessment, read within its case's scope and shown as its reader may see it.

use super::rows::*;
use super::*;
use crate::audit::AuditEvent;
use crate::cases::{corrupt, parse_opt};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::assessments::{self as rules, Subject};
use goldaw_core::deadlines::local_date;
use uuid::Uuid;

impl Store {
    /// Loads an assessment the principal may read: its case must be visible to them.
    pub(super) async fn load_assessment(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<Loaded> {
        // Deny by default before looking anything up; the hotline does not read assessments.
        require(principal, Permission::ReadPeople)?;
        let row: Option<AssessmentRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!("{SELECT_ASSESSMENT} WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let case = self.load_case_row(principal, row.case_id).await?;
        let restricted = case.restricted_for(principal);
        let version = version_of(&row)?;
        let instrument = self
            .instruments()
            .get(&row.instrument_code, version)
            .cloned()
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "assessment {id} uses instrument '{}' version {version}, which the database does not hold",
                    row.instrument_code
                ))
            })?;
        let (mut persons, items): (Vec<PersonRow>, Vec<ItemRow>) = with_db!(self.db(), pool => {
            (
                sqlx::query_as(&CURRENT_PERSONS.replace("{filter}", "a.id = $1"))
                    .bind(id)
                    .fetch_all(pool)
                    .await?,
                sqlx::query_as(
                    "SELECT row_id, person_id, item, need, answer, text_sealed, strengths_sealed, own_words_sealed
                     FROM assessment_items WHERE assessment_id = $1",
                )
                .bind(id)
                .fetch_all(pool)
                .await?,
            )
        });
        // Two records of one person, merged since, are one person now.
        let mut seen = Vec::with_capacity(persons.len());
        persons.retain(|p| {
            let first = !seen.contains(&p.person_id);
            seen.push(p.person_id);
            first
        });
        let started = local_date(row.started_at);
        let subjects = persons
            .iter()
            .map(|p| {
                Subject::new(
                    p.person_id,
                    p.person_id == case.person_id,
                    p.birth_date,
                    started,
                )
            })
            .collect();
        let mut stored = Vec::with_capacity(items.len());
        for i in items {
            let open = |column: &str, sealed: Option<&[u8]>| match (restricted, sealed, i.row_id) {
                (true, _, _) | (false, None, _) => Ok(None),
                (false, Some(s), Some(row)) => {
                    self.open_text("case text", Some(s), &context(column, row))
                }
                (false, Some(_), None) => Err(corrupt(
                    "assessment answer",
                    format!("sealed text of item '{}' without its row id", i.item),
                )),
            };
            stored.push(Stored {
                text: open("text", i.text_sealed.as_deref())?,
                strengths: open("strengths", i.strengths_sealed.as_deref())?,
                own_words: open("own_words", i.own_words_sealed.as_deref())?,
                person: i.person_id,
                item: i.item,
                need: i.need,
                answer: i.answer,
            });
        }
        Ok(Loaded {
            status: row.status,
            row,
            case,
            instrument,
            persons,
            subjects,
            stored,
            restricted,
        })
    }

    pub(super) fn assessment_record(&self, l: &Loaded) -> StoreResult<AssessmentRecord> {
        let kind = kind_of(&l.row)?;
        let (answers, _) = l.answers();
        let instrument = &l.instrument;
        let mut records: Vec<AnswerRecord> = Vec::new();
        if !l.restricted {
            // In the order of the people, then of the instrument.
            for subject in &l.subjects {
                for domain in &instrument.domains {
                    for item in &domain.items {
                        let stored = l
                            .stored
                            .iter()
                            .find(|s| s.person == subject.id && s.item == item.code);
                        let Some(stored) = stored else { continue };
                        records.push(AnswerRecord {
                            person: subject.id,
                            domain: domain.code.clone(),
                            item: item.code.clone(),
                            value: answers
                                .get(&subject.id)
                                .and_then(|a| a.get(&item.code))
                                .cloned(),
                            strengths: stored.strengths.clone(),
                            own_words: stored.own_words.clone(),
                        });
                    }
                }
            }
        }
        let missing = if l.restricted || l.status == AssessmentStatus::Completed {
            Vec::new()
        } else {
            rules::missing(instrument, &l.subjects, &answers)
                .into_iter()
                .map(|m| ItemRef {
                    person: m.person,
                    domain: m.domain.code.clone(),
                    item: m.item.code.clone(),
                })
                .collect()
        };
        let (proposed_priority, critical_reasons, domain_needs) = if l.restricted {
            (
                parse_opt("assessment priority", l.row.priority.as_deref())?,
                Vec::new(),
                Vec::new(),
            )
        } else {
            (
                rules::proposed_priority(instrument, &answers),
                rules::critical_reasons(instrument, &answers)
                    .iter()
                    .map(|i| i.code.clone())
                    .collect(),
                rules::domain_needs(instrument, &answers)
                    .into_iter()
                    .map(|d| DomainNeedRecord {
                        person: d.person,
                        domain: d.domain.code.clone(),
                        need: d.need,
                    })
                    .collect(),
            )
        };
        Ok(AssessmentRecord {
            id: l.row.id,
            case_id: l.row.case_id,
            kind,
            instrument_code: l.row.instrument_code.clone(),
            instrument_version: version_of(&l.row)?,
            status: l.status,
            version: l.row.version,
            author: l.row.author.clone(),
            started_at: l.row.started_at,
            updated_at: l.row.updated_at,
            completed_at: l.row.completed_at,
            restricted: l.restricted,
            sensitive: l.case.sensitive,
            // A restricted reader learns no one's id either: the code of the case only.
            persons: l
                .persons
                .iter()
                .zip(&l.subjects)
                .filter(|_| !l.restricted)
                .map(|(p, s)| AssessedPerson {
                    id: p.person_id,
                    name: (!l.restricted).then(|| p.name()),
                    birth_date: if l.restricted { None } else { p.birth_date },
                    age: if l.restricted { None } else { s.age },
                    respondent: s.respondent,
                })
                .collect(),
            answers: records,
            missing,
            proposed_priority,
            critical_reasons,
            domain_needs,
        })
    }

    /// One assessment, read and audited.
    #[tracing::instrument(skip_all, fields(assessment_id = %id))]
    pub async fn assessment(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<AssessmentRecord> {
        let loaded = self.load_assessment(principal, id).await?;
        let record = self.assessment_record(&loaded)?;
        self.audit(
            principal,
            AuditEvent::on("assessment.read", "case", loaded.row.case_id)
                .with_detail(format!("assessment {id}")),
        )
        .await?;
        Ok(record)
    }
}
