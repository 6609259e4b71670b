//! Produces a person's own data: one scoped read per section, the sealed text opened for the
//! document, and one audit event saying it was produced, for whom, and how much it held. For a
//! representative (outside the case's team) the person's consent to `export` is checked first
//! (`goldaw_core::subject_access::consent_needed`, `goldaw_core::consent::sharing_basis`): refused
//! without one unless a supervisor overrode it for a lawful reason, the refusal audited
//! (`consent.refused`) as every sharing's.

use crate::audit::{AuditEvent, AuditRow};
use crate::cases::{AssessmentSummary, CaseEvent, CaseNote, CaseRecord, PlanRecord, ReviewRecord};
use crate::consent::CaseConsents;
use crate::error::{StoreError, StoreResult};
use crate::households::HouseholdRecord;
use crate::people::PersonRecord;
use crate::scope::unit_range;
use crate::service_referrals::ReferralRecord;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::consent::Recipient;
use goldaw_core::privacy::Unseen;
pub use goldaw_core::subject_access::OwnDataRecipient;
use goldaw_core::subject_access::{
    always_governed, consent_needed, may_produce, part_in_case, whole_case_shown,
};
use serde::Serialize;
use uuid::Uuid;

/// Audit events listed per record (the person, each case), newest first.
const EVENTS_PER_RECORD: i64 = 500;

/// Everything goldaw holds about one person, as the supervisor who produced it may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectAccess {
    pub produced_at: DateTime<Utc>,
    /// The account that produced it.
    pub produced_by: String,
    pub person: PersonRecord,
    /// The person's household, when it is one (not made by goldaw for someone living alone).
    pub household: Option<HouseholdRecord>,
    /// The cases that name the person and that the producer reads in full, oldest first.
    pub cases: Vec<SubjectCase>,
    /// Cases that name the person but are outside the producer's scope or sight: counted, not
    /// shown (another etrap's supervisor produces those).
    pub cases_left_out: u32,
    /// Who read or changed the person or one of the cases shown, newest first (at most 500 per
    /// record).
    pub access: Vec<AuditRow>,
}

/// One case that names the person, with what it holds: all of it when she is its subject; when
/// she is only named in it, its number, place, dates and status with her own referrals and
/// consents (`goldaw_core::subject_access::whole_case_shown`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectCase {
    /// `subject`, or `named` (a household member, referred or assessed in it).
    pub part: String,
    pub case: CaseRecord,
    pub events: Vec<CaseEvent>,
    /// The notes, their text opened for the document.
    pub notes: Vec<CaseNote>,
    pub plans: Vec<PlanRecord>,
    pub reviews: Vec<ReviewRecord>,
    pub referrals: Vec<ReferralRecord>,
    pub assessments: Vec<AssessmentSummary>,
    pub consents: CaseConsents,
}

/// A case the person is only named in, as her copy shows it (`whole_case_shown`): the case's
/// number, place, dates and status, her referrals and consents; nothing of its subject.
fn named_only(
    case: CaseRecord,
    referrals: Vec<ReferralRecord>,
    consents: CaseConsents,
    id: Uuid,
) -> SubjectCase {
    SubjectCase {
        part: "named".to_owned(),
        case: CaseRecord {
            person_id: None,
            person_name: None,
            person_birth_date: None,
            person_sex: None,
            referrer: None,
            concern: None,
            incident_on: None,
            survivor_code: None,
            closure_reason: None,
            closure_requested: None,
            due: Vec::new(),
            actions: Vec::new(),
            ..case
        },
        events: Vec::new(),
        notes: Vec::new(),
        plans: Vec::new(),
        reviews: Vec::new(),
        referrals: referrals
            .into_iter()
            .filter(|r| r.person_id == Some(id))
            .collect(),
        assessments: Vec::new(),
        consents,
    }
}

impl Store {
    /// A person's own data for `principal` (a supervisor), for the person herself.
    pub async fn subject_access(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<SubjectAccess> {
        self.subject_access_for(principal, id, OwnDataRecipient::Person)
            .await
    }

    /// A person's own data for `principal` (a supervisor), produced for `recipient`:
    /// `Forbidden` for any other role, `NotFound` for a person outside their sight; for a
    /// representative, refused without the person's consent to `export` (or an override).
    /// Audited as `person.own_data` with the recipient and the counts.
    #[tracing::instrument(skip_all, fields(person = %id))]
    pub async fn subject_access_for(
        &self,
        principal: &Principal,
        id: Uuid,
        recipient: OwnDataRecipient,
    ) -> StoreResult<SubjectAccess> {
        may_produce(principal).map_err(|u| match u {
            Unseen::Forbidden => {
                StoreError::Forbidden("producing a person's own data is for supervisors".into())
            }
            Unseen::NotFound => StoreError::NotFound,
        })?;
        let person = self.load_person(principal, id).await?;
        if let Some(purpose) = consent_needed(recipient) {
            self.own_data_consent(principal, id, purpose, always_governed(recipient))
                .await?;
        }
        let household = match &person.data.household_id {
            Some(_) => self.household_of_person(principal, id).await?,
            None => None,
        };
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        // Every case naming the person (case_persons, migration 0011), and how many of them lie
        // outside the producer's scope.
        let named: Vec<(Uuid, Uuid, String)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT DISTINCT c.id, c.person_id, c.admin_unit FROM case_persons n
                   JOIN cases c ON c.id = n.case_id
                  WHERE n.person_id = $1",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        let mut cases = Vec::new();
        let mut left_out = 0u32;
        for (case_id, subject, unit) in named {
            if !(lo.as_str()..hi.as_str()).contains(&unit.as_str()) {
                left_out += 1;
                continue;
            }
            let file = match self.case_file(principal, case_id).await {
                Ok(f) if !f.case.restricted => f,
                Ok(_) | Err(StoreError::NotFound) | Err(StoreError::Forbidden(_)) => {
                    left_out += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut consents = self.case_consents(principal, case_id).await?;
            // Her consents only (the case lists her household's too).
            consents.consents.retain(|c| c.person_id == id);
            consents.overrides.retain(|o| o.person_id == id);
            consents.disclosures.retain(|d| d.person_id == id);
            let part = part_in_case(subject, id);
            cases.push(if whole_case_shown(part) {
                SubjectCase {
                    part: part.to_owned(),
                    case: file.case,
                    events: file.events,
                    notes: file.notes,
                    plans: file.plans,
                    reviews: file.reviews,
                    referrals: file.referrals,
                    assessments: file.assessments,
                    consents,
                }
            } else {
                named_only(file.case, file.referrals, consents, id)
            });
        }
        cases.sort_by(|a, b| {
            (a.case.opened_on, &a.case.number).cmp(&(b.case.opened_on, &b.case.number))
        });
        let mut records = vec![id.to_string()];
        records.extend(cases.iter().map(|c| c.case.id.to_string()));
        let mut access: Vec<AuditRow> = Vec::new();
        for record in &records {
            let sql = format!(
                "SELECT seq, at, actor, source, action, entity, entity_id, detail FROM audit_events
                  WHERE entity_id = $1 ORDER BY seq DESC LIMIT {EVENTS_PER_RECORD}"
            );
            let rows: Vec<AuditRow> = with_db!(self.db(), pool => {
                sqlx::query_as(&sql).bind(record).fetch_all(pool).await?
            });
            access.extend(rows);
        }
        access.sort_by_key(|e| std::cmp::Reverse(e.seq));
        self.audit(
            principal,
            AuditEvent::on("person.own_data", "person", id).with_detail(format!(
                "{} cases shown, {} left out, {} access events; for {recipient}",
                cases.len(),
                left_out,
                access.len()
            )),
        )
        .await?;
        Ok(SubjectAccess {
            produced_at: Utc::now(),
            produced_by: principal.actor.clone(),
            person,
            household,
            cases,
            cases_left_out: left_out,
            access,
        })
    }

    /// Whether the person's data may leave for `purpose`: the person's consents, the overrides
    /// recorded for her on any case, and whether consent governs her (a consent recorded, a
    /// case from a hotline call, or `always`: a representative's copy), read as one snapshot;
    /// `sharing_basis` decides. A refusal is
    /// audited on its own (`consent.refused`) and answered with its reason.
    async fn own_data_consent(
        &self,
        principal: &Principal,
        person: Uuid,
        purpose: goldaw_core::consent::ConsentPurpose,
        always: bool,
    ) -> StoreResult<()> {
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let (consents, overrides, from_call) = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let consents: Vec<crate::consent::FactRow> = sqlx::query_as(
                "SELECT c.purpose, pr.external_id AS provider, c.provider_kind, c.valid_from, c.valid_until,
                        (c.withdrawn_at IS NOT NULL) AS withdrawn
                 FROM consents c LEFT JOIN providers pr ON pr.id = c.provider_id
                 WHERE c.person_id = $1 ORDER BY c.recorded_at, c.id",
            )
            .bind(person)
            .fetch_all(&mut *tx)
            .await?;
            let overrides: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT o.purpose, pr.external_id FROM consent_overrides o
                 LEFT JOIN providers pr ON pr.id = o.provider_id WHERE o.person_id = $1",
            )
            .bind(person)
            .fetch_all(&mut *tx)
            .await?;
            let (from_call,): (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM hotline_calls h JOIN cases c ON c.id = h.case_id
                                 WHERE c.person_id = $1)",
            )
            .bind(person)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            (consents, overrides, from_call)
        });
        let (governed, consents, overrides) =
            crate::consent::facts(consents, overrides, from_call)?;
        match goldaw_core::consent::sharing_basis(
            governed || always,
            &consents,
            &overrides,
            purpose,
            Recipient::Any,
            today,
        ) {
            Ok(_) => Ok(()),
            Err(refusal) => {
                let event = AuditEvent::on("consent.refused", "person", person)
                    .with_detail(format!("{purpose} to a representative: {}", refusal.code()));
                self.audit(principal, event).await?;
                Err(crate::consent::consent_refused(refusal))
            }
        }
    }

    /// The person's household as the principal may see it, if any (a hidden member hides it).
    async fn household_of_person(
        &self,
        principal: &Principal,
        person: Uuid,
    ) -> StoreResult<Option<HouseholdRecord>> {
        let household: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT household_id FROM persons WHERE id = $1")
                .bind(person)
                .fetch_optional(pool)
                .await?
        });
        let Some((household,)) = household else {
            return Ok(None);
        };
        match self.household(principal, household).await {
            Ok(h) => Ok(Some(h)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
