//! A person's file and a household's file (issue #19, item 3): the record, the household and its
//! members, the cases, referrals and services the reader may see, and the record's history of
//! changes; read in scope (`NotFound` outside it, and for a hidden person without the sensitive
//! permission), audited as one read of the record.

use super::{require, PersonRecord};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::households::HouseholdRecord;
use crate::scope::{person_hidden, unit_range};
use crate::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::privacy::{case_sight, CaseScopeFacts, CaseSight};
use serde::Serialize;
use std::collections::HashSet;
use uuid::Uuid;

/// The most changes a page lists (newest first).
pub const HISTORY_LIMIT: i64 = 100;

/// Everything a person's page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonFile {
    pub person: PersonRecord,
    /// goldaw's id of the household (their own one when living alone).
    pub household: Option<HouseholdRecord>,
    /// The cases about them (or their household) the reader sees in full, newest first.
    pub cases: Vec<PersonCase>,
    pub referrals: Vec<PersonReferral>,
    pub services: Vec<PersonService>,
    /// Who created or changed the record and when, newest first.
    pub history: Vec<PersonChange>,
}

/// Everything a household's page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdFile {
    pub household: HouseholdRecord,
    pub history: Vec<PersonChange>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonCase {
    pub id: Uuid,
    pub number: String,
    pub status: String,
    pub admin_unit: String,
    pub opened_on: NaiveDate,
    pub worker: Option<String>,
    /// The case is about the whole household (the person is a member, not its subject).
    pub household_case: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonReferral {
    pub case_id: Uuid,
    pub case_number: String,
    pub service_code: String,
    pub provider: Option<String>,
    pub status: String,
    pub sent_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonService {
    pub service_code: String,
    pub provider_id: Option<String>,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub units: Option<i64>,
    pub case_id: Option<Uuid>,
}

/// One change of a record, from the audit log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonChange {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `person.create`, `person.update`, `person.merge`, `person.merge_undo`,
    /// `household.create`, `household.update`, `household.member_in`, `household.member_out`.
    pub action: String,
    /// `version N; changed: field,field` for an update; `person <id>` for a member moving.
    pub detail: Option<String>,
    /// The record changed: this one, or (on a person's page) a record merged into it, whose
    /// history is now this person's.
    pub record: String,
}

#[derive(sqlx::FromRow)]
struct CaseLine {
    id: Uuid,
    external_id: String,
    status: String,
    admin_unit: String,
    transfer_to: Option<String>,
    registered_by: Option<Uuid>,
    sensitive: bool,
    household_case: bool,
    opened_on: NaiveDate,
    worker: Option<String>,
}

const PERSON_CHANGES: &str =
    "'person.create', 'person.update', 'person.merge', 'person.merge_undo'";
const HOUSEHOLD_CHANGES: &str =
    "'household.create', 'household.update', 'household.member_in', 'household.member_out'";

/// At most this many records merged into one are followed for its history.
const MERGED_RECORDS: usize = 100;

impl Store {
    /// A person's page: `NotFound` outside scope or hidden from the reader; a merged record
    /// answers with the record it was merged into. Audited as `person.read` (detail `file`).
    #[tracing::instrument(skip_all, fields(person = %id))]
    pub async fn person_file(&self, principal: &Principal, id: Uuid) -> StoreResult<PersonFile> {
        require(principal, Permission::ReadPeople)?;
        let current = self.current_person_id(principal, id).await?;
        let person = self.load_person(principal, current).await?;
        let household_id: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT household_id FROM persons WHERE id = $1")
                .bind(current)
                .fetch_optional(pool)
                .await?
        });
        let household = match household_id {
            Some((h,)) => match self.load_household(principal, h).await {
                Ok(record) => Some(record),
                // A household holding someone hidden from the reader is not shown.
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let cases = self.cases_of_person(principal, current).await?;
        let seen: HashSet<Uuid> = cases.iter().map(|c| c.id).collect();
        let (referrals, services): (Vec<PersonReferral>, Vec<PersonService>) = with_db!(self.db(), pool => {
            let referrals: Vec<PersonReferral> = sqlx::query_as(
                "SELECT f.case_id, c.external_id AS case_number, f.service_code,
                        COALESCE(v.name, f.recipient) AS provider, f.status, f.sent_at
                   FROM service_referrals f JOIN cases c ON c.id = f.case_id
                   LEFT JOIN providers v ON v.id = f.provider_id
                  WHERE f.person_id = $1 ORDER BY f.sent_at DESC",
            )
            .bind(current)
            .fetch_all(pool)
            .await?;
            let services: Vec<PersonService> = sqlx::query_as(
                "SELECT service_code, provider_id, started_on, ended_on, CAST(units AS BIGINT) AS units, case_id
                   FROM service_episodes WHERE person_id = $1 ORDER BY started_on DESC",
            )
            .bind(current)
            .fetch_all(pool)
            .await?;
            (referrals, services)
        });
        let history = self.person_history(current).await?;
        // Referrals and services of cases the reader does not see stay out.
        let referrals = referrals
            .into_iter()
            .filter(|r| seen.contains(&r.case_id))
            .collect();
        let services = services
            .into_iter()
            .filter(|s| s.case_id.is_none_or(|c| seen.contains(&c)))
            .collect();
        let mut event = AuditEvent::on("person.read", "person", current).with_detail("file");
        if current != id {
            event = event.with_detail(format!("file; asked for {id}, merged into it"));
        }
        self.audit(principal, event).await?;
        Ok(PersonFile {
            person,
            household,
            cases,
            referrals,
            services,
            history,
        })
    }

    /// The history of `person` and of the records merged into it (and into those), newest
    /// first, at most [`HISTORY_LIMIT`] changes. A merge undone takes its record's history back
    /// with it. Each statement reads an index: `person_merges_kept` for the merged records,
    /// `audit_events_entity` (entity, seq) for their events (the largest table: never scanned).
    async fn person_history(&self, person: Uuid) -> StoreResult<Vec<PersonChange>> {
        let mut records = vec![person];
        let mut next = 0;
        while next < records.len() && records.len() < MERGED_RECORDS {
            let kept = records[next];
            next += 1;
            let merged: Vec<(Uuid,)> = with_db!(self.db(), pool => {
                sqlx::query_as(
                    "SELECT merged_id FROM person_merges WHERE kept_id = $1 AND undone_at IS NULL
                      ORDER BY at",
                )
                .bind(kept)
                .fetch_all(pool)
                .await?
            });
            for (m,) in merged {
                if !records.contains(&m) {
                    records.push(m);
                }
            }
        }
        records.truncate(MERGED_RECORDS);
        let placeholders: Vec<String> = (1..=records.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT at, actor, action, detail, entity_id AS record FROM audit_events
              WHERE entity_id IN ({}) AND action IN ({PERSON_CHANGES})
              ORDER BY seq DESC LIMIT {HISTORY_LIMIT}",
            placeholders.join(", ")
        );
        let history: Vec<PersonChange> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as::<_, PersonChange>(&sql);
            for r in &records {
                q = q.bind(r.to_string());
            }
            q.fetch_all(pool).await?
        });
        Ok(history)
    }

    /// The cases about `person` (its subject, or a member of a household case) that the reader
    /// sees in full (`goldaw_core::privacy::case_sight`): a case restricted to this reader
    /// would say, by being listed, that the person is in a sensitive case.
    async fn cases_of_person(
        &self,
        principal: &Principal,
        person: Uuid,
    ) -> StoreResult<Vec<PersonCase>> {
        if !principal.may(Permission::ReadCases) {
            return Ok(Vec::new());
        }
        if unit_range(principal).is_none() {
            return Ok(Vec::new());
        }
        // The person's cases first (`case_persons`, each arm by its index on the person), then
        // each case by its key: never the scope's cases, however the planner estimates the
        // scope. The scope is `case_sight`'s to decide, below.
        let sql = format!(
            "WITH mine (case_id) AS MATERIALIZED
                  (SELECT n.case_id FROM case_persons n WHERE n.person_id = $1)
             SELECT c.id, c.external_id, c.status, c.admin_unit, c.transfer_to, c.registered_by,
                    (c.sensitive OR {}) AS sensitive, c.household_case, c.opened_on,
                    u.username AS worker
               FROM mine JOIN cases c ON c.id = mine.case_id
               JOIN persons p ON p.id = c.person_id
               LEFT JOIN users u ON u.id = c.worker_user_id
              ORDER BY c.opened_on DESC, c.external_id DESC",
            person_hidden!("p")
        );
        let rows: Vec<CaseLine> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(person)
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::new();
        let mut ids = HashSet::new();
        for row in rows {
            let facts = CaseScopeFacts {
                admin_unit: &row.admin_unit,
                transfer_to: row.transfer_to.as_deref(),
                registered_by: row.registered_by,
                sensitive: row.sensitive,
            };
            if !matches!(case_sight(principal, &facts), Ok(CaseSight::Full)) || !ids.insert(row.id)
            {
                continue;
            }
            out.push(PersonCase {
                id: row.id,
                number: row.external_id,
                status: row.status,
                admin_unit: row.admin_unit,
                opened_on: row.opened_on,
                worker: row.worker,
                household_case: row.household_case,
            });
        }
        Ok(out)
    }

    /// A household's page: the household and the members the reader may see, and its history;
    /// `NotFound` outside scope or when it holds someone hidden from the reader. Audited.
    #[tracing::instrument(skip_all, fields(household = %id))]
    pub async fn household_file(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<HouseholdFile> {
        let household = self.household(principal, id).await?;
        let history: Vec<PersonChange> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!(
                "SELECT at, actor, action, detail, entity_id AS record FROM audit_events
                  WHERE entity_id = $1 AND action IN ({HOUSEHOLD_CHANGES})
                  ORDER BY seq DESC LIMIT {HISTORY_LIMIT}"
            ))
            .bind(id.to_string())
            .fetch_all(pool)
            .await?
        });
        Ok(HouseholdFile { household, history })
    }

    /// Moves the person `person` (read at `version`) into the household `household`, as
    /// `relationship`: an update of the person with the household's external id, so every check
    /// of a person's write applies (scope, version, a household hidden from the writer).
    #[tracing::instrument(skip_all, fields(person = %person, household = %household))]
    pub async fn move_to_household(
        &self,
        principal: &Principal,
        household: Uuid,
        person: Uuid,
        version: i32,
        relationship: Option<goldaw_core::codes::Relationship>,
    ) -> StoreResult<PersonRecord> {
        require(principal, Permission::WritePeople)?;
        require(principal, Permission::ReadPeople)?;
        let target = self.load_household(principal, household).await?;
        let current = self.load_person(principal, person).await?;
        let mut data = current.data.clone();
        data.household_id = if target.implicit {
            None
        } else {
            Some(goldaw_core::ids::ExternalId::from_stored(
                target.household_id.clone(),
            ))
        };
        data.relationship = relationship;
        let own = format!(
            "{}{}",
            goldaw_core::ids::IMPLICIT_HOUSEHOLD_PREFIX,
            current.person_id
        );
        if target.implicit && target.household_id != own {
            // Someone else's own household takes no second member: register a household first.
            return Err(StoreError::refuse(
                "household_id",
                "store-household-alone",
                vec![],
            ));
        }
        self.update_person(principal, person, version, data).await
    }

    /// A person by the id given at import or creation, read (and audited) as [`Store::person`];
    /// `NotFound` outside scope, hidden, or unknown.
    #[tracing::instrument(skip_all)]
    pub async fn person_by_external_id(
        &self,
        principal: &Principal,
        external_id: &str,
    ) -> StoreResult<PersonRecord> {
        require(principal, Permission::ReadPeople)?;
        let Some((lo, hi)) = unit_range(principal) else {
            return Err(StoreError::NotFound);
        };
        let sql = format!(
            "SELECT p.id FROM persons p WHERE {} AND p.external_id = $4",
            super::SCOPED
        );
        let found: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(&lo)
                .bind(&hi)
                .bind(principal.sensitive)
                .bind(external_id)
                .fetch_optional(pool)
                .await?
        });
        let (id,) = found.ok_or(StoreError::NotFound)?;
        self.person(principal, id).await
    }
}
