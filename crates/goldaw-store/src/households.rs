//! Households: people who live together, with each member's relationship to the head.

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::{household_visible, person_visible, unit_range};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::Settlement;
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::people::HouseholdData;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdRecord {
    pub id: Uuid,
    /// The id given at import or creation (`household_id` in the interchange files);
    /// `~` and the person's id for the household goldaw made for someone living alone.
    pub household_id: String,
    /// Made by goldaw for a person living alone.
    pub implicit: bool,
    pub version: i32,
    #[serde(flatten)]
    pub data: HouseholdData,
    /// Members the principal may see.
    pub members: Vec<Member>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    pub id: Uuid,
    pub person_id: String,
    pub given_name: String,
    pub family_name: Option<String>,
    pub relationship: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct HouseholdQuery {
    pub external_id: Option<String>,
    pub admin_unit: Option<AdminUnitCode>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(sqlx::FromRow)]
struct HouseholdRow {
    id: Uuid,
    external_id: String,
    admin_unit: String,
    settlement: Option<String>,
    address: Option<String>,
    implicit: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const SELECT_HOUSEHOLD: &str = "SELECT h.id, h.external_id, h.admin_unit, h.settlement, h.address,
        h.implicit, h.version, h.created_at, h.updated_at FROM households h";

/// Resolves the household a person write refers to, inside the write's transaction `$tx`:
/// - `external ID`: an existing household within the principal's scope, or an `Invalid` error;
/// - `implicit PERSON, UNIT, SETTLEMENT, NOW`: the person's own one-person household, made if missing.
///
/// A macro rather than a function because it runs in either backend's transaction type.
macro_rules! household_for_write {
    ($tx:ident, $principal:expr, external $external:expr) => {{
        // A household holding a hidden person is unknown to a writer who may not see them.
        let found: Option<(uuid::Uuid, String)> = sqlx::query_as(&format!(
            "SELECT h.id, h.admin_unit FROM households h WHERE h.external_id = $1 AND {}",
            $crate::scope::household_visible!("h", "$2")
        ))
        .bind($external.as_str())
        .bind($principal.sensitive)
        .fetch_optional(&mut *$tx)
        .await?;
        match found {
            Some((id, unit))
                if $principal
                    .can_see_unit(&goldaw_core::ids::AdminUnitCode::from_stored(unit.clone())) =>
            {
                id
            }
            _ => {
                return Err($crate::error::StoreError::refuse(
                    "household_id",
                    "store-household-unknown",
                    vec![("name", $crate::error::SayArg::Text($external.to_string()))],
                ))
            }
        }
    }};
    ($tx:ident, implicit $person:expr, $unit:expr, $settlement:expr, $now:expr) => {{
        let external = format!("{}{}", goldaw_core::ids::IMPLICIT_HOUSEHOLD_PREFIX, $person);
        sqlx::query(
            "INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit,
                version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, NULL, TRUE, 1, $5, $5)
             ON CONFLICT (external_id) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(&external)
        .bind($unit)
        .bind($settlement)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        let (id,): (uuid::Uuid,) =
            sqlx::query_as("SELECT id FROM households WHERE external_id = $1")
                .bind(&external)
                .fetch_one(&mut *$tx)
                .await?;
        id
    }};
}
pub(crate) use household_for_write;

impl HouseholdRow {
    fn into_record(self, members: Vec<Member>) -> StoreResult<HouseholdRecord> {
        let settlement = self
            .settlement
            .as_deref()
            .map(str::parse::<Settlement>)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("settlement: {e}")))?;
        Ok(HouseholdRecord {
            id: self.id,
            household_id: self.external_id,
            implicit: self.implicit,
            version: self.version,
            data: HouseholdData {
                admin_unit: AdminUnitCode::from_stored(self.admin_unit),
                settlement,
                address: self.address,
            },
            members,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl Store {
    /// One household and the members the principal may see; `NotFound` outside scope.
    #[tracing::instrument(skip_all, fields(household = %id))]
    pub async fn household(&self, principal: &Principal, id: Uuid) -> StoreResult<HouseholdRecord> {
        require(principal, Permission::ReadPeople)?;
        let record = self.load_household(principal, id).await?;
        self.audit(principal, AuditEvent::on("household.read", "household", id))
            .await?;
        Ok(record)
    }

    /// The scoped query alone: callers check the permission and audit.
    pub(crate) async fn load_household(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<HouseholdRecord> {
        let Some((lo, hi)) = unit_range(principal) else {
            return Err(StoreError::NotFound);
        };
        let sql = format!(
            "{SELECT_HOUSEHOLD} WHERE h.admin_unit >= $1 AND h.admin_unit < $2 AND h.id = $3 AND {}",
            household_visible!("h", "$4")
        );
        let members_sql = format!(
            "SELECT p.id, p.external_id AS person_id, p.given_name, p.family_name, p.relationship
             FROM persons p
             WHERE p.household_id = $1 AND p.admin_unit >= $2 AND p.admin_unit < $3
               AND {} AND p.merged_into IS NULL
             ORDER BY p.relationship = 'head' DESC, p.external_id",
            person_visible!("p", "$4")
        );
        let (row, members): (Option<HouseholdRow>, Vec<Member>) = with_db!(self.db(), pool => {
            let row = sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(id).bind(principal.sensitive).fetch_optional(pool).await?;
            let members = sqlx::query_as(&members_sql)
            .bind(id)
            .bind(&lo)
            .bind(&hi)
            .bind(principal.sensitive)
            .fetch_all(pool)
            .await?;
            (row, members)
        });
        row.ok_or(StoreError::NotFound)?.into_record(members)
    }

    /// Households within scope (without their members), by external id.
    #[tracing::instrument(skip_all)]
    pub async fn search_households(
        &self,
        principal: &Principal,
        query: &HouseholdQuery,
    ) -> StoreResult<Vec<HouseholdRecord>> {
        require(principal, Permission::ReadPeople)?;
        let Some((mut lo, mut hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        if let Some(unit) = &query.admin_unit {
            if !principal.can_see_unit(unit) {
                return Ok(Vec::new());
            }
            lo = unit.as_str().to_owned();
            hi = format!("{}.", unit.as_str());
        }
        let mut sql = format!(
            "{SELECT_HOUSEHOLD} WHERE h.admin_unit >= $1 AND h.admin_unit < $2 AND {}",
            household_visible!("h", "$3")
        );
        if query.external_id.is_some() {
            sql.push_str(" AND h.external_id = $6");
        }
        sql.push_str(" ORDER BY h.external_id LIMIT $4 OFFSET $5");
        let limit = i64::from(query.limit.clamp(1, crate::people::MAX_PAGE));
        let rows: Vec<HouseholdRow> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(principal.sensitive).bind(limit).bind(i64::from(query.offset));
            if let Some(e) = &query.external_id {
                q = q.bind(e);
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| r.into_record(Vec::new()))
            .collect()
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_household(
        &self,
        principal: &Principal,
        household_id: Option<ExternalId>,
        data: HouseholdData,
    ) -> StoreResult<HouseholdRecord> {
        self.check_household_write(principal, &data)?;
        let id = Uuid::now_v7();
        let external_id = household_id.map_or_else(|| id.to_string(), String::from);
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("household.create", "household", id));
            let done = sqlx::query(
                "INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit,
                    version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, FALSE, 1, $6, $6)
                 ON CONFLICT (external_id) DO NOTHING",
            )
            .bind(id)
            .bind(&external_id)
            .bind(data.admin_unit.as_str())
            .bind(data.settlement.map(Settlement::as_str))
            .bind(&data.address)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::refuse("household_id", "store-household-exists", vec![("name", SayArg::Text(external_id.to_string()))]));
            }
            tx.commit().await?;
        });
        self.load_household(principal, id).await
    }

    #[tracing::instrument(skip_all, fields(household = %id))]
    pub async fn update_household(
        &self,
        principal: &Principal,
        id: Uuid,
        expected_version: i32,
        data: HouseholdData,
    ) -> StoreResult<HouseholdRecord> {
        require(principal, Permission::WritePeople)?;
        require(principal, Permission::ReadPeople)?;
        let current = self.load_household(principal, id).await?;
        self.check_household_write(principal, &data)?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("household.update", "household", id).with_detail(goldaw_core::persons::change_detail(expected_version, &goldaw_core::persons::changed_household_fields(&current.data, &data))));
            let done = sqlx::query(
                "UPDATE households SET admin_unit = $1, settlement = $2, address = $3,
                    version = version + 1, updated_at = $4
                 WHERE id = $5 AND version = $6",
            )
            .bind(data.admin_unit.as_str())
            .bind(data.settlement.map(Settlement::as_str))
            .bind(&data.address)
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict { expected: expected_version, actual: current.version });
            }
            tx.commit().await?;
        });
        self.load_household(principal, id).await
    }

    fn check_household_write(
        &self,
        principal: &Principal,
        data: &HouseholdData,
    ) -> StoreResult<()> {
        require(principal, Permission::WritePeople)?;
        data.check()
            .map_err(|_| address_refusal(data.address.as_deref()))?;
        self.check_place(&data.admin_unit)?;
        if !principal.can_see_unit(&data.admin_unit) {
            return Err(StoreError::Forbidden(format!(
                "you cannot register households in {}",
                data.admin_unit
            )));
        }
        Ok(())
    }
}

/// Why the core refused an address (`HouseholdData::check`), as a refusal with its key.
fn address_refusal(address: Option<&str>) -> StoreError {
    use goldaw_core::people::MAX_ADDRESS_LEN;
    if address.is_some_and(|a| a.chars().count() > MAX_ADDRESS_LEN) {
        StoreError::refuse(
            "address",
            "store-address-too-long",
            vec![("limit", SayArg::Number(MAX_ADDRESS_LEN as i64))],
        )
    } else {
        StoreError::refuse("address", "store-address-control", vec![])
    }
}
