//! The case's assessments for its page: their summaries and the people who may be assessed.

use super::rows::*;
use super::*;
use crate::audit::AuditEvent;
use crate::cases::{parse_opt, CaseRow};
use crate::error::StoreResult;
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::assessments::{self as rules, PersonAnswers};
use goldaw_core::deadlines::local_date;
use uuid::Uuid;

impl Store {
    /// The case's assessments, newest first, read and audited.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_assessments(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<AssessmentSummary>> {
        require(principal, Permission::ReadPeople)?;
        let case = self.load_case_row(principal, case_id).await?;
        let restricted = case.restricted_for(principal);
        let list = self.assessments_of(&case, restricted).await?;
        self.audit(
            principal,
            AuditEvent::on("assessment.list", "case", case_id)
                .with_detail(format!("{} assessments", list.len())),
        )
        .await?;
        Ok(list)
    }

    /// The case's assessments, newest first, for a reader the caller has checked (the case file
    /// and the list): in three queries whatever their number, and no sealed text opened.
    pub(in crate::cases) async fn assessments_of(
        &self,
        case: &CaseRow,
        restricted: bool,
    ) -> StoreResult<Vec<AssessmentSummary>> {
        type CodeOf = (Uuid, Uuid, String, Option<i32>, Option<String>);
        let (rows, persons, codes): (Vec<AssessmentRow>, Vec<PersonRow>, Vec<CodeOf>) = with_db!(self.db(), pool => {
            (
                sqlx::query_as(&format!("{SELECT_ASSESSMENT} WHERE case_id = $1 ORDER BY started_at DESC, id DESC"))
                    .bind(case.id)
                    .fetch_all(pool)
                    .await?,
                sqlx::query_as(&CURRENT_PERSONS.replace("{filter}", "a.case_id = $1"))
                .bind(case.id)
                .fetch_all(pool)
                .await?,
                // The coded answers of completed assessments: what they propose and the needs.
                sqlx::query_as(
                    "SELECT i.assessment_id, i.person_id, i.item, i.need, i.answer
                     FROM assessment_items i JOIN assessments a ON a.id = i.assessment_id
                     WHERE a.case_id = $1 AND a.status = 'completed'
                       AND (i.need IS NOT NULL OR i.answer IS NOT NULL)",
                )
                .bind(case.id)
                .fetch_all(pool)
                .await?,
            )
        });
        let held = self.instruments();
        let mut list = Vec::with_capacity(rows.len());
        for r in &rows {
            let status = r.status;
            let started = local_date(r.started_at);
            let mut people: Vec<AssessedPerson> = Vec::new();
            let assessed = persons
                .iter()
                .filter(|p| !restricted && p.assessment_id == Some(r.id));
            for p in assessed {
                if people.iter().any(|x| x.id == p.person_id) {
                    continue;
                }
                people.push(AssessedPerson {
                    id: p.person_id,
                    name: (!restricted).then(|| p.name()),
                    birth_date: if restricted { None } else { p.birth_date },
                    age: if restricted {
                        None
                    } else {
                        p.birth_date.and_then(|b| started.years_since(b))
                    },
                    respondent: p.person_id == case.person_id,
                });
            }
            let mut critical_reasons = Vec::new();
            let mut domain_needs = Vec::new();
            let instrument = held.get(&r.instrument_code, version_of(r)?);
            if let (AssessmentStatus::Completed, false, Some(instrument)) =
                (status, restricted, instrument)
            {
                let mut answers = PersonAnswers::new();
                for (_, person, item, need, answer) in codes.iter().filter(|c| c.0 == r.id) {
                    let raw =
                        need.map_or_else(|| answer.clone().unwrap_or_default(), |n| n.to_string());
                    // Checked when saved and at completion: a row that no longer parses is skipped.
                    if let Ok(value) = instrument.parse_answer(item, &raw) {
                        answers
                            .entry(*person)
                            .or_default()
                            .insert(item.clone(), value);
                    }
                }
                critical_reasons = rules::critical_reasons(instrument, &answers)
                    .iter()
                    .map(|i| i.code.clone())
                    .collect();
                domain_needs = rules::domain_needs(instrument, &answers)
                    .into_iter()
                    .map(|d| DomainNeedRecord {
                        person: d.person,
                        domain: d.domain.code.clone(),
                        need: d.need,
                    })
                    .collect();
            }
            list.push(AssessmentSummary {
                id: r.id,
                kind: kind_of(r)?,
                instrument_code: r.instrument_code.clone(),
                instrument_version: version_of(r)?,
                status,
                author: r.author.clone(),
                started_at: r.started_at,
                completed_at: r.completed_at,
                proposed_priority: parse_opt("assessment priority", r.priority.as_deref())?,
                persons: people,
                critical_reasons,
                domain_needs,
            });
        }
        Ok(list)
    }

    /// The people a new assessment may be about, when the principal may start one now (the case
    /// in an assessment step, theirs to work on); otherwise none. For the case file.
    pub(in crate::cases) async fn assessable_of(
        &self,
        principal: &Principal,
        case: &CaseRow,
    ) -> StoreResult<Vec<AssessedPerson>> {
        let in_step = matches!(
            case.status.as_str(),
            "initial_assessment" | "holistic_assessment"
        );
        if !in_step
            || !principal.may(Permission::ReadPeople)
            || self.may_work_on(principal, case).is_err()
        {
            return Ok(Vec::new());
        }
        let today = local_date(Utc::now());
        Ok(self
            .household_of(principal, case)
            .await?
            .into_iter()
            .map(|p| AssessedPerson {
                id: p.person_id,
                age: p.birth_date.and_then(|b| today.years_since(b)),
                name: Some(p.name()),
                birth_date: p.birth_date,
                respondent: p.person_id == case.person_id,
            })
            .collect())
    }
}
