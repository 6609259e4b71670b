//! The service points of a provider: the places where it serves people, added, changed, ended.

use super::{required_text, NewServicePoint, Provider, ServicePointChange, MAX_NAME};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use uuid::Uuid;

impl Store {
    /// Adds a place where the provider serves people.
    #[tracing::instrument(skip_all, fields(provider = %provider))]
    pub async fn add_service_point(
        &self,
        principal: &Principal,
        provider: Uuid,
        new: NewServicePoint,
    ) -> StoreResult<Provider> {
        require(principal, Permission::ManageProviders)?;
        let name = required_text("name", &new.name, MAX_NAME)?;
        let address = clean_text("address", new.address.as_deref())?;
        self.check_place(&new.admin_unit)?;
        self.provider_unaudited(provider).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("provider.add_point", "provider", provider).with_detail(id.to_string()));
            sqlx::query("INSERT INTO service_points (id, provider_id, name, admin_unit, address, active, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6)")
                .bind(id)
                .bind(provider)
                .bind(&name)
                .bind(new.admin_unit.as_str())
                .bind(address.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.provider_unaudited(provider).await
    }

    /// Changes a service point, or ends it (`active: false`), if nobody changed the provider
    /// since `version`. A point that active offers are delivered at cannot end: those offers
    /// would send people to a closed door. End or move them first.
    #[tracing::instrument(skip_all, fields(provider = %provider, point = %point))]
    pub async fn update_service_point(
        &self,
        principal: &Principal,
        provider: Uuid,
        point: Uuid,
        change: ServicePointChange,
    ) -> StoreResult<Provider> {
        require(principal, Permission::ManageProviders)?;
        let name = required_text("name", &change.name, MAX_NAME)?;
        let address = clean_text("address", change.address.as_deref())?;
        self.check_place(&change.admin_unit)?;
        let current = self.provider_unaudited(provider).await?;
        if !current.service_points.iter().any(|p| p.id == point) {
            return Err(StoreError::NotFound);
        }
        if current.version != change.version {
            return Err(StoreError::Conflict {
                expected: change.version,
                actual: current.version,
            });
        }
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("provider.update_point", "provider", provider)
                .with_detail(format!("{point} active={}", change.active)));
            // The provider's version first: two changes from the same reading conflict here.
            let bumped = sqlx::query("UPDATE providers SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(now)
                .bind(provider)
                .bind(change.version)
                .execute(&mut *tx)
                .await?;
            if bumped.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: change.version, actual: change.version + 1 });
            }
            if !change.active {
                // Read inside the transaction, after the provider's row is taken above: `set_offer`
                // takes that row first too, so no offer can become active here meanwhile.
                let open: Vec<(String, String)> = sqlx::query_as(
                    "SELECT service_code, admin_unit FROM provider_services
                     WHERE service_point_id = $1 AND active ORDER BY service_code, admin_unit")
                    .bind(point)
                    .fetch_all(&mut *tx)
                    .await?;
                if !open.is_empty() {
                    let open: Vec<String> = open.iter().map(|(s, u)| format!("{s} in {u}")).collect();
                    return Err(StoreError::refuse("active", "store-point-has-offers", vec![("detail", SayArg::Text(open.join(", ")))]));
                }
            }
            sqlx::query("UPDATE service_points SET name = $1, admin_unit = $2, address = $3, active = $4, updated_at = $5
                         WHERE id = $6 AND provider_id = $7")
                .bind(&name)
                .bind(change.admin_unit.as_str())
                .bind(address.as_deref())
                .bind(change.active)
                .bind(now)
                .bind(point)
                .bind(provider)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.provider_unaudited(provider).await
    }
}
