//! What a run would anonymise today: the dry run, and the run's own list.

use super::years::RetentionSetting;
use crate::error::{StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::Principal;
use goldaw_core::retention::{
    case_kind, due_on, may_set_years, person_due, verdict, RetentionYears, Verdict,
};
use serde::Serialize;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A closed case due for anonymising.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DueCase {
    pub case_id: Uuid,
    /// The case's number (or the id given at import).
    pub number: String,
    pub admin_unit: String,
    /// `general`, `child` or `sensitive` (`goldaw_core::retention::case_kind`).
    pub kind: String,
    pub closed_on: NaiveDate,
    pub due_on: NaiveDate,
    /// The case's subject.
    pub person_id: Uuid,
}

/// What a run on `as_of` anonymises, within the reader's scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RetentionPlan {
    pub as_of: NaiveDate,
    pub settings: Vec<RetentionSetting>,
    /// The cases whose text goes, oldest closure first.
    pub cases: Vec<DueCase>,
    /// The people whose name and birth date go: every case naming them is due (or was
    /// anonymised), none is held or open, and no service of theirs is still running.
    pub persons: Vec<Uuid>,
    /// Cases that would be due but are under a legal hold.
    pub held: Vec<DueCase>,
}

/// A closed case not anonymised yet, as the rule reads it.
type CandidateRow = (
    Uuid,
    String,
    String,
    Uuid,
    bool,
    NaiveDate,
    Option<NaiveDate>,
    bool,
);
/// A case naming a person: status, closure, sensitive, anonymised, the subject's birth date, held.
type NamingRow = (
    String,
    Option<NaiveDate>,
    bool,
    bool,
    Option<NaiveDate>,
    bool,
);

const HELD: &str =
    "EXISTS (SELECT 1 FROM legal_holds h WHERE h.case_id = c.id AND h.lifted_at IS NULL)";

impl Store {
    /// The dry run: what a run on `as_of` would anonymise, for the ministry (and the operator).
    #[tracing::instrument(skip_all)]
    pub async fn retention_plan(
        &self,
        principal: &Principal,
        as_of: NaiveDate,
    ) -> StoreResult<RetentionPlan> {
        if !may_set_years(principal) {
            return Err(StoreError::Forbidden(
                "the retention run is the ministry's to see".into(),
            ));
        }
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let settings = self.retention_settings(principal).await?;
        let years = self.retention_years().await?;
        // No case closed after the shortest period's start can be due.
        let shortest = years.general.min(years.child).min(years.sensitive);
        let latest_closure = as_of
            .checked_sub_months(chrono::Months::new(shortest.saturating_mul(12)))
            .unwrap_or(NaiveDate::MIN);
        let sql = format!(
            "SELECT c.id, c.external_id, c.admin_unit, c.person_id, c.sensitive, c.closed_on, p.birth_date, {HELD}
               FROM cases c JOIN persons p ON p.id = c.person_id
              WHERE c.status = 'closed' AND c.closed_on IS NOT NULL AND c.closed_on <= $1
                AND c.anonymised_at IS NULL AND c.admin_unit >= $2 AND c.admin_unit < $3
              ORDER BY c.closed_on, c.external_id"
        );
        let rows: Vec<CandidateRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(latest_closure)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
        });
        let mut cases = Vec::new();
        let mut held = Vec::new();
        for (case_id, number, admin_unit, person_id, sensitive, closed_on, birth, is_held) in rows {
            let kind = case_kind(sensitive, birth, closed_on);
            let due = DueCase {
                case_id,
                number,
                admin_unit,
                kind: kind.as_str().to_owned(),
                closed_on,
                due_on: due_on(closed_on, years.of(kind)),
                person_id,
            };
            match verdict(Some(closed_on), kind, &years, false, as_of) {
                Verdict::Due if is_held => held.push(due),
                Verdict::Due => cases.push(due),
                _ => {}
            }
        }
        let subjects: BTreeSet<Uuid> = cases.iter().map(|c| c.person_id).collect();
        let mut persons = Vec::new();
        for person in subjects {
            if self.person_due_for_retention(person, &years, as_of).await? {
                persons.push(person);
            }
        }
        Ok(RetentionPlan {
            as_of,
            settings,
            cases,
            persons,
            held,
        })
    }

    /// Whether every case naming `person` is due (or anonymised), none held or open, no service
    /// of theirs still running, and they are not anonymised already.
    pub(super) async fn person_due_for_retention(
        &self,
        person: Uuid,
        years: &RetentionYears,
        as_of: NaiveDate,
    ) -> StoreResult<bool> {
        let sql = format!(
            "SELECT c.status, c.closed_on, c.sensitive, c.anonymised_at IS NOT NULL, s.birth_date, {HELD}
               FROM case_persons n JOIN cases c ON c.id = n.case_id JOIN persons s ON s.id = c.person_id
              WHERE n.person_id = $1"
        );
        let (naming, running, anonymised): (Vec<NamingRow>, Option<(i64,)>, Option<(bool,)>) = with_db!(self.db(), pool => {
            let naming = sqlx::query_as(&sql).bind(person).fetch_all(pool).await?;
            let running = sqlx::query_as("SELECT COUNT(*) FROM service_episodes WHERE person_id = $1 AND ended_on IS NULL")
                .bind(person)
                .fetch_optional(pool)
                .await?;
            let anonymised = sqlx::query_as("SELECT anonymised_at IS NOT NULL FROM persons WHERE id = $1")
                .bind(person)
                .fetch_optional(pool)
                .await?;
            (naming, running, anonymised)
        });
        if anonymised != Some((false,)) || running.is_some_and(|(n,)| n > 0) {
            return Ok(false);
        }
        let verdicts: Vec<Verdict> = naming
            .into_iter()
            .map(|(status, closed_on, sensitive, done, birth, is_held)| {
                if done {
                    return Verdict::Due;
                }
                let closed = closed_on.filter(|_| status == "closed");
                let kind = closed.map_or(goldaw_core::retention::CaseKind::General, |c| {
                    case_kind(sensitive, birth, c)
                });
                verdict(closed, kind, years, is_held, as_of)
            })
            .collect();
        Ok(person_due(&verdicts))
    }
}
