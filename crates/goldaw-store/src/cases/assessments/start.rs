//! Starting an assessment: who may be assessed with the case's person (their household), and a new
//! draft against the instrument in force.

use super::rows::*;
use super::*;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::history::{insert_case_event, NewCaseEvent};
use crate::cases::{corrupt, CaseRow};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::{person_visible, unit_range, MARK_NAMED_IN_CASE};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::deadlines::local_date;
use goldaw_core::instruments::{Instrument, InstrumentKind};
use uuid::Uuid;

impl Store {
    /// The people an assessment of the case may be about: the case's person first, then the members
    /// of their household the principal may see. For the form that starts an assessment.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn assessable_persons(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<AssessedPerson>> {
        require(principal, Permission::ReadPeople)?;
        let case = self.load_case_row(principal, case_id).await?;
        self.may_work_on(principal, &case)?;
        let today = local_date(Utc::now());
        let people = self.household_of(principal, &case).await?;
        let out: Vec<AssessedPerson> = people
            .iter()
            .map(|p| AssessedPerson {
                id: p.person_id,
                name: Some(p.name()),
                birth_date: p.birth_date,
                age: p.birth_date.and_then(|b| today.years_since(b)),
                respondent: p.person_id == case.person_id,
            })
            .collect();
        let ids: Vec<String> = out.iter().map(|p| p.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::on("household.read", "case", case_id).with_detail(ids.join(" ")),
        )
        .await?;
        Ok(out)
    }

    /// The case's person and the members of their household within the principal's scope (and,
    /// for sensitive records, permission), the case's person first, then by birth date.
    pub(super) async fn household_of(
        &self,
        principal: &Principal,
        case: &CaseRow,
    ) -> StoreResult<Vec<PersonRow>> {
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "SELECT p.id AS person_id, p.given_name, p.family_name, p.birth_date FROM persons p
             WHERE p.merged_into IS NULL AND (p.id = $1 OR (
               p.household_id = (SELECT household_id FROM persons WHERE id = $1)
               AND p.admin_unit >= $2 AND p.admin_unit < $3 AND {}))
             LIMIT 200",
            person_visible!("p", "$4")
        );
        let mut people: Vec<PersonRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
            .bind(case.person_id)
            .bind(&lo)
            .bind(&hi)
            .bind(principal.sensitive)
            .fetch_all(pool)
            .await?
        });
        people.sort_by_key(|p| {
            (
                p.person_id != case.person_id,
                p.birth_date.is_none(),
                p.birth_date,
                p.name(),
            )
        });
        Ok(people)
    }

    /// Checks the people asked for: each the case's person or a member of the household, each once,
    /// the case's person included when the instrument asks about the household. Answers them in the
    /// order asked, the case's person first.
    pub(super) async fn chosen_persons(
        &self,
        principal: &Principal,
        case: &CaseRow,
        instrument: &Instrument,
        asked: &[Uuid],
    ) -> StoreResult<Vec<PersonRow>> {
        let household = self.household_of(principal, case).await?;
        let asked: Vec<Uuid> = if asked.is_empty() {
            vec![case.person_id]
        } else {
            asked.to_vec()
        };
        if asked.len() > MAX_PERSONS {
            return Err(StoreError::refuse(
                "persons",
                "store-assessment-persons-count",
                vec![("limit", SayArg::Number(MAX_PERSONS as i64))],
            ));
        }
        let mut chosen: Vec<PersonRow> = Vec::with_capacity(asked.len());
        for (i, id) in asked.iter().enumerate() {
            let Some(p) = household.iter().find(|p| p.person_id == *id) else {
                return Err(StoreError::refuse(
                    &format!("persons[{i}]"),
                    "store-assessment-person-outside",
                    vec![("name", SayArg::Text(id.to_string()))],
                ));
            };
            if chosen.iter().any(|c| c.person_id == *id) {
                return Err(StoreError::refuse(
                    &format!("persons[{i}]"),
                    "store-assessment-person-twice",
                    vec![("name", SayArg::Text(p.name().to_string()))],
                ));
            }
            chosen.push(p.clone());
        }
        let has_case_person = chosen.iter().any(|p| p.person_id == case.person_id);
        if instrument.applies_to == goldaw_core::instruments::AppliesTo::Household
            && !has_case_person
        {
            return Err(StoreError::refuse(
                "persons",
                "store-assessment-person-missing",
                vec![],
            ));
        }
        chosen.sort_by_key(|p| p.person_id != case.person_id);
        Ok(chosen)
    }

    /// Starts an assessment of the case with the version in force of `new.instrument`: the initial
    /// one during screening, a holistic one in the holistic step. One draft per instrument at a time.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn start_assessment(
        &self,
        principal: &Principal,
        case_id: Uuid,
        new: NewAssessment,
    ) -> StoreResult<AssessmentRecord> {
        require(principal, Permission::ReadPeople)?;
        let case = self.load_case_row(principal, case_id).await?;
        self.may_work_on(principal, &case)?;
        let instruments = self.instruments();
        let Some(instrument) = instruments.in_force(&new.instrument) else {
            let known: Vec<&str> = instruments
                .current()
                .iter()
                .filter(|i| i.kind != InstrumentKind::Review)
                .map(|i| i.code.as_str())
                .collect();
            return Err(StoreError::refuse(
                "instrument",
                "store-assessment-instrument-unknown",
                vec![
                    ("value", SayArg::Text(new.instrument.to_string())),
                    ("detail", SayArg::Text(known.join(", "))),
                ],
            ));
        };
        if instrument.kind == InstrumentKind::Review {
            return Err(StoreError::refuse(
                "instrument",
                "store-assessment-outcome-review",
                vec![],
            ));
        }
        check_step(instrument.kind, &case)?;
        let (drafts,): (i64,) = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT COUNT(*) FROM assessments WHERE case_id = $1 AND instrument_code = $2 AND status = 'draft'")
                .bind(case_id)
                .bind(&instrument.code)
                .fetch_one(pool)
                .await?
        });
        if drafts > 0 {
            return Err(StoreError::refuse(
                "instrument",
                "store-assessment-draft-exists",
                vec![("name", SayArg::Text(instrument.code.to_string()))],
            ));
        }
        let persons = self
            .chosen_persons(principal, &case, instrument, &new.persons)
            .await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let version =
            i32::try_from(instrument.version).map_err(|e| corrupt("instrument version", e))?;
        let event = AuditEvent::on("assessment.start", "case", case_id).with_detail(format!(
            "assessment {id}: {} v{}, {} person(s)",
            instrument.code,
            instrument.version,
            persons.len()
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            sqlx::query(
                "INSERT INTO assessments (id, case_id, kind, instrument_code, instrument_version, status,
                    author, started_at, version, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, 1, $7)",
            )
            .bind(id)
            .bind(case_id)
            .bind(instrument.kind.as_str())
            .bind(&instrument.code)
            .bind(version)
            .bind(&principal.actor)
            .bind(now)
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
            insert_case_event(&mut *tx, &NewCaseEvent::new(case_id, principal, "assessment_started", now).detail(Some(instrument.code.as_str()))).await?;
            // A sensitive case names the people it assesses.
            sqlx::query(MARK_NAMED_IN_CASE).bind(case_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        let loaded = self.load_assessment(principal, id).await?;
        self.assessment_record(&loaded)
    }
}
