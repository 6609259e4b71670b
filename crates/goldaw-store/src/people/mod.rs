//! People: read, create and update, each scoped to the principal; the search (`search`) and the
//! duplicate check (`duplicates`) in files of their own.

mod duplicates;
mod file;
mod probable;
mod search;
mod words;

pub use duplicates::{DuplicateQuery, LikelyDuplicate};
pub use file::{
    HouseholdFile, PersonCase, PersonChange, PersonFile, PersonReferral, PersonService,
};
pub use probable::{DuplicatePage, DuplicatePair, IncompleteCheck, PairSide};
pub use search::{PersonFilters, MAX_OFFSET};

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::households::household_for_write;
use crate::scope::{person_visible, unit_range, MARK_NAMED_IN_HOUSEHOLD};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{Relationship, Settlement, Sex, TargetGroup};
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::names::{fold_name, PersonName};

use goldaw_core::people::{PersonData, TargetGroups};
use goldaw_core::persons::{change_detail, changed_person_fields};
use goldaw_core::washington_group::{WgAnswer, WgAnswers};
use serde::Serialize;
use std::str::FromStr;
use uuid::Uuid;

/// A person as goldaw holds them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRecord {
    /// goldaw's own id.
    pub id: Uuid,
    /// The id given at import or creation (`person_id` in the interchange files).
    pub person_id: String,
    /// Increases with every change; send it back on update (no lost updates).
    pub version: i32,
    #[serde(flatten)]
    pub data: PersonData,
    /// Derived from the Washington Group answers by the WG cut-off.
    pub disability: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What to look for; every field narrows the search, and the principal's scope always applies.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    /// Part of a name in any spelling (Turkmen, Russian or Latin letters).
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub admin_unit: Option<AdminUnitCode>,
    pub limit: u32,
    pub offset: u32,
}

pub const MAX_PAGE: u32 = 200;

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    external_id: String,
    household_external_id: String,
    household_implicit: bool,
    relationship: Option<String>,
    given_name: String,
    family_name: Option<String>,
    sex: String,
    birth_date: Option<NaiveDate>,
    admin_unit: String,
    settlement: Option<String>,
    receives_benefits: Option<bool>,
    wg_seeing: Option<i16>,
    wg_hearing: Option<i16>,
    wg_walking: Option<i16>,
    wg_cognition: Option<i16>,
    wg_selfcare: Option<i16>,
    wg_communication: Option<i16>,
    disability: bool,
    target_groups: String,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const SELECT_PERSON: &str = "SELECT p.id, p.external_id, h.external_id AS household_external_id,
        h.implicit AS household_implicit, p.relationship, p.given_name, p.family_name, p.sex,
        p.birth_date, p.admin_unit, p.settlement, p.receives_benefits, p.wg_seeing, p.wg_hearing,
        p.wg_walking, p.wg_cognition, p.wg_selfcare, p.wg_communication, p.disability,
        p.target_groups, p.version, p.created_at, p.updated_at
    FROM persons p JOIN households h ON h.id = p.household_id";

/// The scope condition on `p`: inside the unit range, and not hidden unless permitted.
/// Takes parameters $1 (low), $2 (high), $3 (may see sensitive records).
const SCOPED: &str = concat!(
    "p.admin_unit >= $1 AND p.admin_unit < $2 AND ",
    person_visible!("p", "$3")
);

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn parse_stored<T: FromStr>(what: &str, v: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| corrupt(what, e))
}

fn wg(v: Option<i16>) -> StoreResult<Option<WgAnswer>> {
    v.map(|v| {
        u8::try_from(v)
            .map_err(|e| corrupt("Washington Group answer", e))
            .and_then(|v| WgAnswer::try_from(v).map_err(|e| corrupt("Washington Group answer", e)))
    })
    .transpose()
}

impl PersonRow {
    fn into_record(self) -> StoreResult<PersonRecord> {
        let data = PersonData {
            given_name: parse_stored::<PersonName>("given name", &self.given_name)?,
            family_name: self
                .family_name
                .as_deref()
                .map(|n| parse_stored::<PersonName>("family name", n))
                .transpose()?,
            sex: parse_stored::<Sex>("sex", &self.sex)?,
            birth_date: self.birth_date,
            admin_unit: AdminUnitCode::from_stored(self.admin_unit),
            settlement: self
                .settlement
                .as_deref()
                .map(|s| parse_stored::<Settlement>("settlement", s))
                .transpose()?,
            receives_benefits: self.receives_benefits,
            washington_group: WgAnswers::from_array([
                wg(self.wg_seeing)?,
                wg(self.wg_hearing)?,
                wg(self.wg_walking)?,
                wg(self.wg_cognition)?,
                wg(self.wg_selfcare)?,
                wg(self.wg_communication)?,
            ]),
            target_groups: parse_stored::<TargetGroups>("target groups", &self.target_groups)?,
            household_id: (!self.household_implicit)
                .then(|| ExternalId::from_stored(self.household_external_id)),
            relationship: self
                .relationship
                .as_deref()
                .map(|r| parse_stored::<Relationship>("relationship", r))
                .transpose()?,
        };
        Ok(PersonRecord {
            id: self.id,
            person_id: self.external_id,
            version: self.version,
            data,
            disability: self.disability,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The folded name used for search: "family given".
pub(crate) fn name_key_of(data: &PersonData) -> String {
    match &data.family_name {
        Some(f) => fold_name(&format!("{} {}", f.as_str(), data.given_name.as_str())),
        None => fold_name(data.given_name.as_str()),
    }
}

pub(crate) fn wg_columns(data: &PersonData) -> [Option<i16>; 6] {
    data.washington_group
        .as_array()
        .map(|a| a.map(|a| i16::from(a.code())))
}

/// Rewrites a person's rows in `person_target_groups` inside transaction `$tx`.
macro_rules! replace_target_groups {
    ($tx:ident, $id:expr, $groups:expr) => {{
        sqlx::query("DELETE FROM person_target_groups WHERE person_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        for group in $groups.iter() {
            sqlx::query(
                "INSERT INTO person_target_groups (person_id, target_group) VALUES ($1, $2)",
            )
            .bind($id)
            .bind(TargetGroup::as_str(group))
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

impl Store {
    /// One person by goldaw id; `NotFound` also when outside the principal's scope.
    /// A record merged into another answers with the kept one (merges.rs).
    #[tracing::instrument(skip_all, fields(person = %id))]
    pub async fn person(&self, principal: &Principal, id: Uuid) -> StoreResult<PersonRecord> {
        require(principal, Permission::ReadPeople)?;
        let current = self.current_person_id(principal, id).await?;
        let record = self.person_unaudited(principal, current).await?;
        let mut event = AuditEvent::on("person.read", "person", current);
        if current != id {
            event = event.with_detail(format!("asked for {id}, merged into it"));
        }
        self.audit(principal, event).await?;
        Ok(record)
    }

    /// The read without its audit event, for writes that audit themselves.
    async fn person_unaudited(&self, principal: &Principal, id: Uuid) -> StoreResult<PersonRecord> {
        require(principal, Permission::ReadPeople)?;
        self.load_person(principal, id).await
    }

    /// The scoped query alone: callers check the permission.
    pub(crate) async fn load_person(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<PersonRecord> {
        let Some((lo, hi)) = unit_range(principal) else {
            return Err(StoreError::NotFound);
        };
        let sql = format!("{SELECT_PERSON} WHERE {SCOPED} AND p.id = $4");
        let row: Option<PersonRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(&lo)
                .bind(&hi)
                .bind(principal.sensitive)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// Registers a person. Without a household they get a household of their own.
    #[tracing::instrument(skip_all)]
    pub async fn create_person(
        &self,
        principal: &Principal,
        person_id: Option<ExternalId>,
        data: PersonData,
    ) -> StoreResult<PersonRecord> {
        let mut tx = self.db().begin().await?;
        let id = self
            .create_person_in(&mut tx, principal, person_id, data)
            .await?;
        tx.commit().await?;
        self.person_written(principal, id).await
    }

    /// [`Store::create_person`] inside the caller's transaction (a call become a case registers
    /// the caller in the case's transaction): the checks, the audit event and the writes through
    /// `tx`; answers the new person's id. The caller commits.
    pub(crate) async fn create_person_in(
        &self,
        tx: &mut crate::db::Tx,
        principal: &Principal,
        person_id: Option<ExternalId>,
        data: PersonData,
    ) -> StoreResult<Uuid> {
        self.check_person_write(principal, &data)?;
        let id = Uuid::now_v7();
        let external_id = person_id.map_or_else(|| id.to_string(), String::from);
        let now = Utc::now();
        with_tx!(tx, tx => {
            append_audit!(self, tx, principal, AuditEvent::on("person.create", "person", id));
            let exists: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM persons WHERE external_id = $1")
                .bind(&external_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(StoreError::refuse("person_id", "store-person-exists", vec![("name", SayArg::Text(external_id.to_string()))]));
            }
            let household = match &data.household_id {
                Some(h) => household_for_write!(tx, principal, external h),
                None => household_for_write!(tx, implicit &external_id, data.admin_unit.as_str(), data.settlement.map(Settlement::as_str), now),
            };
            let wg = wg_columns(&data);
            sqlx::query(
                "INSERT INTO persons (id, external_id, household_id, relationship, given_name,
                    family_name, name_key, sex, birth_date, admin_unit, settlement, receives_benefits,
                    wg_seeing, wg_hearing, wg_walking, wg_cognition, wg_selfcare, wg_communication,
                    disability, target_groups, sensitive, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18, $19, $20, $21, 1, $22, $22)",
            )
            .bind(id)
            .bind(&external_id)
            .bind(household)
            .bind(data.relationship.map(Relationship::as_str))
            .bind(data.given_name.as_str())
            .bind(data.family_name.as_ref().map(PersonName::as_str))
            .bind(name_key_of(&data))
            .bind(data.sex.as_str())
            .bind(data.birth_date)
            .bind(data.admin_unit.as_str())
            .bind(data.settlement.map(Settlement::as_str))
            .bind(data.receives_benefits)
            .bind(wg[0]).bind(wg[1]).bind(wg[2]).bind(wg[3]).bind(wg[4]).bind(wg[5])
            .bind(data.has_disability())
            .bind(data.target_groups.to_field())
            .bind(data.target_groups.is_sensitive())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            replace_target_groups!(tx, id, &data.target_groups);
            // A household a sensitive household case is about names its new member.
            sqlx::query(MARK_NAMED_IN_HOUSEHOLD).bind(id).execute(&mut *tx).await?;
        });
        Ok(id)
    }

    /// Replaces what is known about a person, if nobody changed it since `expected_version`.
    #[tracing::instrument(skip_all, fields(person = %id))]
    pub async fn update_person(
        &self,
        principal: &Principal,
        id: Uuid,
        expected_version: i32,
        data: PersonData,
    ) -> StoreResult<PersonRecord> {
        let current = self.person_for_write(principal, id).await?;
        if self.current_person_id(principal, id).await? != id {
            return Err(StoreError::Refused(goldaw_core::workflow::Refusal::Merge(
                goldaw_core::merges::MergeRefusal::AlreadyMerged,
            )));
        }
        self.check_person_write(principal, &data)?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("person.update", "person", id).with_detail(change_detail(expected_version, &changed_person_fields(&current.data, &data))));
            let household = match &data.household_id {
                Some(h) => household_for_write!(tx, principal, external h),
                None => household_for_write!(tx, implicit &current.person_id, data.admin_unit.as_str(), data.settlement.map(Settlement::as_str), now),
            };
            // A move to another household is in both households' histories (ids only).
            let (before,): (Uuid,) = sqlx::query_as("SELECT household_id FROM persons WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if before != household {
                append_audit!(self, tx, principal, AuditEvent::on("household.member_out", "household", before).with_detail(format!("person {id}")));
                append_audit!(self, tx, principal, AuditEvent::on("household.member_in", "household", household).with_detail(format!("person {id}")));
            }
            let wg = wg_columns(&data);
            let done = sqlx::query(
                "UPDATE persons SET household_id = $1, relationship = $2, given_name = $3,
                    family_name = $4, name_key = $5, sex = $6, birth_date = $7, admin_unit = $8,
                    settlement = $9, receives_benefits = $10, wg_seeing = $11, wg_hearing = $12,
                    wg_walking = $13, wg_cognition = $14, wg_selfcare = $15, wg_communication = $16,
                    disability = $17, target_groups = $18, sensitive = $19, version = version + 1,
                    updated_at = $20
                 WHERE id = $21 AND version = $22",
            )
            .bind(household)
            .bind(data.relationship.map(Relationship::as_str))
            .bind(data.given_name.as_str())
            .bind(data.family_name.as_ref().map(PersonName::as_str))
            .bind(name_key_of(&data))
            .bind(data.sex.as_str())
            .bind(data.birth_date)
            .bind(data.admin_unit.as_str())
            .bind(data.settlement.map(Settlement::as_str))
            .bind(data.receives_benefits)
            .bind(wg[0]).bind(wg[1]).bind(wg[2]).bind(wg[3]).bind(wg[4]).bind(wg[5])
            .bind(data.has_disability())
            .bind(data.target_groups.to_field())
            .bind(data.target_groups.is_sensitive())
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict { expected: expected_version, actual: current.version });
            }
            replace_target_groups!(tx, id, &data.target_groups);
            sqlx::query(MARK_NAMED_IN_HOUSEHOLD).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        self.person_written(principal, id).await
    }

    /// The record just written, as the writer may see it (the write's own event covers it).
    async fn person_written(&self, principal: &Principal, id: Uuid) -> StoreResult<PersonRecord> {
        self.load_person(principal, id).await
    }

    /// The current record before a change: changing needs reading too (the hotline registers
    /// people but does not browse them), and the change's own event covers the read.
    async fn person_for_write(&self, principal: &Principal, id: Uuid) -> StoreResult<PersonRecord> {
        require(principal, Permission::WritePeople)?;
        self.person_unaudited(principal, id).await
    }

    /// Checks that need the catalogue or the principal, shared by create and update.
    fn check_person_write(&self, principal: &Principal, data: &PersonData) -> StoreResult<()> {
        require(principal, Permission::WritePeople)?;
        let today = Utc::now().date_naive();
        data.check_dates(today).map_err(|_| {
            // The core refused the date: in the future, or before the earliest one.
            let date = SayArg::Text(data.birth_date.map(|d| d.to_string()).unwrap_or_default());
            match data.birth_date {
                Some(d) if d > today => StoreError::refuse(
                    "birth_date",
                    "store-birth-date-future",
                    vec![("date", date)],
                ),
                _ => StoreError::refuse(
                    "birth_date",
                    "store-birth-date-early",
                    vec![
                        ("date", date),
                        (
                            "from",
                            SayArg::Text(goldaw_core::people::EARLIEST_BIRTH_DATE.to_string()),
                        ),
                    ],
                ),
            }
        })?;
        self.check_place(&data.admin_unit)?;
        if !principal.can_see_unit(&data.admin_unit) {
            return Err(StoreError::Forbidden(format!(
                "you cannot register people in {}",
                data.admin_unit
            )));
        }
        if data.target_groups.is_sensitive() && !principal.sensitive {
            return Err(StoreError::Forbidden(
                "recording a gender-based-violence or child-protection target group needs the sensitive permission".into(),
            ));
        }
        Ok(())
    }

    /// A person's or household's place must be a known unit below the country.
    pub(crate) fn check_place(&self, unit: &AdminUnitCode) -> StoreResult<()> {
        let catalogue = self.catalogue();
        match crate::catalogue::Catalogue::place_problem(unit.as_str(), |c| {
            catalogue.has_admin_unit(c)
        }) {
            // The problem in words for the importers; here the refusal with its key.
            Some(_) if catalogue.has_admin_unit(unit.as_str()) => Err(StoreError::refuse(
                "admin_unit",
                "store-place-country",
                vec![],
            )),
            Some(_) => Err(StoreError::refuse(
                "admin_unit",
                "store-place-unknown",
                vec![("unit", SayArg::Text(unit.as_str().to_owned()))],
            )),
            None => Ok(()),
        }
    }
}

/// Deny by default: the principal's role must grant `permission`.
pub(crate) fn require(principal: &Principal, permission: Permission) -> StoreResult<()> {
    if principal.may(permission) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!(
            "your role may not do this ({permission:?})"
        )))
    }
}
