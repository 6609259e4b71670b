//! Intake: a new case comes in. A social worker, a supervisor or the hotline registers it about a
//! person found (or registered) first, numbered per etrap and year; [`Store::likely_duplicates`]
//! shows the people already known the new case may be about.
//!
//! Named for history: `NewReferral` and `Store::register_referral` are a case's intake, not a
//! referral to a service (`crate::referrals`); the names stay since the API and the tests use them.

use super::clean_text;
use super::history::{insert_case_event, NewCaseEvent};
use super::read::CaseRecord;
use crate::audit::{append_audit, AuditEvent};
use crate::db::Tx;
use crate::due_dates::refresh_due_dates;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::{person_hidden, person_visible, unit_range, MARK_NAMED_IN_CASE};
use crate::Store;
use chrono::{Datelike, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role, Sex};
use goldaw_core::deadlines::local_date;
use goldaw_core::ids::AdminUnitCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A referral as registered at intake.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    /// goldaw's id of the person (found or registered first).
    pub person: Uuid,
    /// The etrap (or city borough) whose team takes the case.
    #[schema(value_type = String)]
    pub admin_unit: AdminUnitCode,
    pub referral_source: ReferralSource,
    /// Who referred (name, organisation, phone): sealed.
    #[serde(default)]
    pub referrer: Option<String>,
    /// The concern in the referrer's or the person's words: sealed.
    #[serde(default)]
    pub concern: Option<String>,
    /// A priority set at intake (the hotline: someone is at risk now); screening confirms it.
    #[serde(default)]
    pub provisional_priority: Option<Priority>,
    /// Gender-based violence or child protection: names and text need the sensitive permission.
    #[serde(default)]
    pub sensitive: bool,
    /// The case is the whole household's, not one person's.
    #[serde(default)]
    pub household_case: bool,
}

/// A person who may already be known, shown at intake.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub person: Uuid,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// How likely the same person, 0-100 (`goldaw_core::names::duplicate_score`).
    pub score: u8,
}

impl Store {
    /// Registers a referral: a new case in `referred`, numbered per etrap and year.
    #[tracing::instrument(skip_all, fields(person_id = %new.person))]
    pub async fn register_referral(
        &self,
        principal: &Principal,
        new: NewReferral,
    ) -> StoreResult<CaseRecord> {
        let id = Uuid::now_v7();
        let mut tx = self.db().begin().await?;
        self.register_referral_in(&mut tx, principal, id, new)
            .await?;
        tx.commit().await?;
        self.case_unaudited(principal, id).await
    }

    /// [`Store::register_referral`] inside the caller's transaction (a call become a case writes
    /// the person, the case, the consents and the call's link in one): the checks that need no
    /// database, then the audit event, the person's scope read and the writes through `tx`, the
    /// new case under `id` (a fresh `Uuid::now_v7()`, given so the caller may name it in its own
    /// audit event). The caller commits.
    pub(crate) async fn register_referral_in(
        &self,
        tx: &mut Tx,
        principal: &Principal,
        id: Uuid,
        new: NewReferral,
    ) -> StoreResult<()> {
        require(principal, Permission::RegisterReferral)?;
        self.check_place(&new.admin_unit)?;
        let unit = self
            .catalogue()
            .admin_unit(&new.admin_unit)
            .map(|u| u.level.clone())
            .unwrap_or_default();
        if matches!(unit.as_str(), "country" | "velayat") {
            return Err(StoreError::refuse(
                "admin_unit",
                "store-case-unit-not-etrap",
                vec![("unit", SayArg::Text(new.admin_unit.to_string()))],
            ));
        }
        if principal.role != Some(Role::Hotline) && !principal.can_see_unit(&new.admin_unit) {
            return Err(StoreError::Forbidden(format!(
                "you cannot register referrals in {}",
                new.admin_unit
            )));
        }
        if new.sensitive && !principal.sensitive {
            return Err(StoreError::Forbidden(
                "registering a gender-based-violence or child-protection case needs the sensitive permission".into(),
            ));
        }
        let referrer = clean_text("referrer", new.referrer.as_deref())?;
        let concern = clean_text("concern", new.concern.as_deref())?;
        let now = Utc::now();
        let referrer_sealed = self.seal_text(
            "case text",
            referrer.as_deref(),
            &format!("cases.referrer:{id}"),
        )?;
        let concern_sealed = self.seal_text(
            "case text",
            concern.as_deref(),
            &format!("cases.concern:{id}"),
        )?;
        let opened_on = local_date(now);
        let year = opened_on.year();
        let prefix = new
            .admin_unit
            .as_str()
            .strip_prefix("TM-")
            .unwrap_or(new.admin_unit.as_str())
            .to_owned();
        with_tx!(tx, tx => {
            append_audit!(self, tx, principal, AuditEvent::on("case.register", "case", id)
                .with_detail(format!("person {} source {}", new.person, new.referral_source)));
        });
        let person_lookup = self.person_for_case(tx, principal, new.person).await?;
        // A sensitive case gets its survivor code now (`goldaw_core::survivor_code`).
        let survivor_code = if new.sensitive || person_lookup {
            Some(self.free_survivor_code(tx).await?)
        } else {
            None
        };
        with_tx!(tx, tx => {
            let (n,): (i64,) = sqlx::query_as(
                "INSERT INTO case_number_counters (admin_unit, year, last) VALUES ($1, $2, 1)
                 ON CONFLICT (admin_unit, year) DO UPDATE SET last = case_number_counters.last + 1
                 RETURNING CAST(last AS BIGINT)",
            )
            .bind(new.admin_unit.as_str())
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
            let number = format!("{prefix}/{year}/{n:04}");
            sqlx::query(
                "INSERT INTO cases (id, external_id, person_id, admin_unit, opened_on, referral_source,
                    priority, status, version, created_at, updated_at, household_case, registered_by,
                    sensitive, referred_at, referrer_sealed, concern_sealed, survivor_code)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'referred', 1, $8, $8, $9, $10, $11, $8, $12, $13, $14)",
            )
            .bind(id)
            .bind(&number)
            .bind(new.person)
            .bind(new.admin_unit.as_str())
            .bind(opened_on)
            .bind(new.referral_source.as_str())
            .bind(new.provisional_priority.map(Priority::as_str))
            .bind(now)
            .bind(new.household_case)
            .bind(principal.user_id)
            .bind(new.sensitive || person_lookup)
            .bind(referrer_sealed)
            .bind(concern_sealed)
            .bind(&survivor_code)
            .execute(&mut *tx)
            .await?;
            insert_case_event(&mut *tx, &NewCaseEvent::new(id, principal, "register", now)
                .statuses(None, Some(CaseStatus::Referred))
                .units(None, Some(new.admin_unit.as_str()))
                .detail(Some(new.referral_source.as_str()))).await?;
            // A sensitive case hides whom it names from readers without the permission.
            sqlx::query(MARK_NAMED_IN_CASE).bind(id).execute(&mut *tx).await?;
            refresh_due_dates!(self, tx, &[id]);
        });
        Ok(())
    }

    /// The person a referral is about, read in the intake's transaction (a person registered
    /// in the same transaction is found): must be visible to the principal; answers whether the
    /// person is hidden (the case then is sensitive too).
    async fn person_for_case(
        &self,
        tx: &mut Tx,
        principal: &Principal,
        person: Uuid,
    ) -> StoreResult<bool> {
        let found: Option<(bool,)> = match principal.role {
            // The hotline registers for any etrap and does not browse people: any person it may
            // see by the sensitive rule.
            Some(Role::Hotline) => with_tx!(tx, tx => {
                sqlx::query_as(concat!("SELECT ", person_hidden!("p"), " FROM persons p WHERE p.id = $1 AND ",
                        person_visible!("p", "$2"), " AND p.merged_into IS NULL"))
                    .bind(person)
                    .bind(principal.sensitive)
                    .fetch_optional(&mut *tx)
                    .await?
            }),
            _ => {
                let Some((lo, hi)) = unit_range(principal) else {
                    return Err(StoreError::NotFound);
                };
                with_tx!(tx, tx => {
                    sqlx::query_as(concat!("SELECT ", person_hidden!("p"), " FROM persons p WHERE p.id = $1
                            AND p.admin_unit >= $2 AND p.admin_unit < $3 AND ", person_visible!("p", "$4"),
                            " AND p.merged_into IS NULL"))
                        .bind(person)
                        .bind(&lo)
                        .bind(&hi)
                        .bind(principal.sensitive)
                        .fetch_optional(&mut *tx)
                        .await?
                })
            }
        };
        found
            .map(|(s,)| s)
            .ok_or_else(|| StoreError::refuse("person", "store-person-not-in-scope", vec![]))
    }

    /// People already known who may be the person being referred (`Store::find_duplicates`:
    /// born the same day, or a name in any spelling and order, with a typo or two, in scope).
    /// Shows the least needed to recognise someone; the hotline may use it too, audited.
    #[tracing::instrument(skip_all, fields(unit = %unit))]
    pub async fn likely_duplicates(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
        given_name: &str,
        family_name: Option<&str>,
        birth_date: Option<NaiveDate>,
    ) -> StoreResult<Vec<Candidate>> {
        require(principal, Permission::RegisterReferral)?;
        if principal.role != Some(Role::Hotline) && !principal.can_see_unit(unit) {
            return Ok(Vec::new());
        }
        // The check of people/duplicates.rs (candidates from the indexes, scored in core).
        let query = crate::people::DuplicateQuery {
            given_name: given_name.to_owned(),
            family_name: family_name.map(str::to_owned),
            birth_date,
            admin_unit: Some(unit.clone()),
            household: None,
        };
        let found: Vec<Candidate> = self
            .duplicates_unaudited(principal, &query, None)
            .await?
            .into_iter()
            .map(|c| Candidate {
                person: c.id,
                name: c.name,
                birth_date: c.birth_date,
                sex: c.sex,
                score: c.score,
            })
            .collect();
        let ids: Vec<String> = found.iter().map(|c| c.person.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("person.duplicate_check").with_detail(format!(
                "{} found: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(found)
    }
}
