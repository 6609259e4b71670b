//! A provider's record in the register: registered, changed, listed, read.

use super::{
    required_text, NewProvider, OfferRow, Provider, ProviderChange, ProviderRow, ServicePoint,
    MAX_NAME, SELECT_OFFER,
};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::ids::AdminUnitCode;
use uuid::Uuid;

impl Store {
    /// Registers a provider organisation.
    #[tracing::instrument(skip_all)]
    pub async fn create_provider(
        &self,
        principal: &Principal,
        new: NewProvider,
    ) -> StoreResult<Provider> {
        require(principal, Permission::ManageProviders)?;
        let external_id = required_text("external_id", &new.external_id, 64)?;
        if external_id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(StoreError::refuse(
                "external_id",
                "store-provider-id-form",
                vec![],
            ));
        }
        let name = required_text("name", &new.name, MAX_NAME)?;
        if let Some(unit) = &new.admin_unit {
            self.check_place(unit)?;
        }
        let exists: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id FROM providers WHERE external_id = $1")
                .bind(&external_id)
                .fetch_optional(pool)
                .await?
        });
        if exists.is_some() {
            return Err(StoreError::refuse(
                "external_id",
                "store-provider-exists",
                vec![("name", SayArg::Text(external_id.to_string()))],
            ));
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("provider.create", "provider", id).with_detail(external_id.clone()));
            sqlx::query("INSERT INTO providers (id, external_id, name, kind, admin_unit, active, version, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, TRUE, 1, $6, $6)")
                .bind(id)
                .bind(&external_id)
                .bind(&name)
                .bind(new.kind.as_str())
                .bind(new.admin_unit.as_ref().map(AdminUnitCode::as_str))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.provider_unaudited(id).await
    }

    /// Changes a provider's details, if nobody changed it since `version`.
    #[tracing::instrument(skip_all, fields(provider = %id))]
    pub async fn update_provider(
        &self,
        principal: &Principal,
        id: Uuid,
        change: ProviderChange,
    ) -> StoreResult<Provider> {
        require(principal, Permission::ManageProviders)?;
        let name = required_text("name", &change.name, MAX_NAME)?;
        if let Some(unit) = &change.admin_unit {
            self.check_place(unit)?;
        }
        let current = self.provider_unaudited(id).await?;
        if current.version != change.version {
            return Err(StoreError::Conflict {
                expected: change.version,
                actual: current.version,
            });
        }
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("provider.update", "provider", id));
            let updated = sqlx::query("UPDATE providers SET name = $1, kind = $2, admin_unit = $3, active = $4,
                                         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7")
                .bind(&name)
                .bind(change.kind.as_str())
                .bind(change.admin_unit.as_ref().map(AdminUnitCode::as_str))
                .bind(change.active)
                .bind(now)
                .bind(id)
                .bind(change.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: change.version, actual: change.version + 1 });
            }
            tx.commit().await?;
        });
        self.provider_unaudited(id).await
    }

    /// All providers, by name.
    #[tracing::instrument(skip_all)]
    pub async fn list_providers(&self, principal: &Principal) -> StoreResult<Vec<Provider>> {
        require(principal, Permission::ManageProviders)?;
        let ids: Vec<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id FROM providers ORDER BY name, external_id")
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            out.push(self.provider_unaudited(id).await?);
        }
        self.audit(
            principal,
            AuditEvent::plain("provider.list").with_detail(format!("{} providers", out.len())),
        )
        .await?;
        Ok(out)
    }

    /// One provider with its service points and offers.
    #[tracing::instrument(skip_all, fields(provider = %id))]
    pub async fn provider(&self, principal: &Principal, id: Uuid) -> StoreResult<Provider> {
        require(principal, Permission::ManageProviders)?;
        let p = self.provider_unaudited(id).await?;
        self.audit(principal, AuditEvent::on("provider.read", "provider", id))
            .await?;
        Ok(p)
    }

    pub(crate) async fn provider_unaudited(&self, id: Uuid) -> StoreResult<Provider> {
        let row: Option<ProviderRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, external_id, name, kind, admin_unit, active, version FROM providers WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        type PointRow = (Uuid, String, String, Option<String>, bool);
        let points: Vec<PointRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, name, admin_unit, address, active FROM service_points WHERE provider_id = $1 ORDER BY name, id")
                .bind(id)
                .fetch_all(pool)
                .await?
        });
        let sql = format!(
            "{SELECT_OFFER} WHERE o.provider_id = $1 ORDER BY o.service_code, o.admin_unit"
        );
        let offers: Vec<OfferRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_all(pool).await?
        });
        Ok(Provider {
            id: row.id,
            external_id: row.external_id,
            name: row.name,
            kind: row.kind,
            admin_unit: row.admin_unit,
            active: row.active,
            version: row.version,
            service_points: points
                .into_iter()
                .map(|(id, name, admin_unit, address, active)| ServicePoint {
                    id,
                    name,
                    admin_unit,
                    address,
                    active,
                })
                .collect(),
            offers: offers.into_iter().map(OfferRow::into_offer).collect(),
        })
    }
}
