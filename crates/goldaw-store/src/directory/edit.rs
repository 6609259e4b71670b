//! The ministry's side of the directory: the public description of an offer of the register, and
//! the etrap offices and hotlines (`ManageProviders`: the ministry and admins, who keep the
//! register). The one write shape: audit first, version guard, commit.

use super::public_text;
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::ids::AdminUnitCode;
use serde::Deserialize;
use uuid::Uuid;

/// The public description of one offer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EntryChange {
    /// The version read (0: none written yet).
    pub version: i32,
    pub description_tk: String,
    pub description_ru: String,
    pub description_en: String,
    pub how_to_apply: String,
    pub opening_hours: String,
    pub contact: String,
    pub published: bool,
}

/// An etrap office or a hotline; `id` `None` adds one.
#[derive(Debug, Clone, Deserialize)]
pub struct ContactChange {
    pub id: Option<Uuid>,
    pub version: i32,
    pub admin_unit: AdminUnitCode,
    /// `etrap_office` or `hotline`.
    pub kind: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub opening_hours: String,
}

impl Store {
    /// Writes the public description of the offer `offer`, if nobody changed it since
    /// `change.version`.
    #[tracing::instrument(skip_all, fields(offer = %offer))]
    pub async fn set_directory_entry(
        &self,
        principal: &Principal,
        offer: Uuid,
        change: EntryChange,
    ) -> StoreResult<()> {
        require(principal, Permission::ManageProviders)?;
        let texts = [
            public_text("description_tk", &change.description_tk)?,
            public_text("description_ru", &change.description_ru)?,
            public_text("description_en", &change.description_en)?,
            public_text("how_to_apply", &change.how_to_apply)?,
            public_text("opening_hours", &change.opening_hours)?,
            public_text("contact", &change.contact)?,
        ];
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("directory.entry", "offer", offer)
                .with_detail(format!("published {}", change.published)));
            let exists: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM provider_services WHERE id = $1")
                .bind(offer)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            let current: Option<(i32,)> = sqlx::query_as("SELECT version FROM directory_entries WHERE offer_id = $1")
                .bind(offer)
                .fetch_optional(&mut *tx)
                .await?;
            let updated = match current {
                None if change.version == 0 => sqlx::query(
                    "INSERT INTO directory_entries (offer_id, description_tk, description_ru, description_en,
                        how_to_apply, opening_hours, contact, published, version, updated_by, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)",
                )
                .bind(offer)
                .bind(&texts[0]).bind(&texts[1]).bind(&texts[2]).bind(&texts[3]).bind(&texts[4]).bind(&texts[5])
                .bind(change.published)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                Some(_) => sqlx::query(
                    "UPDATE directory_entries SET description_tk = $2, description_ru = $3,
                        description_en = $4, how_to_apply = $5, opening_hours = $6, contact = $7,
                        published = $8, version = version + 1, updated_by = $9, updated_at = $10
                     WHERE offer_id = $1 AND version = $11",
                )
                .bind(offer)
                .bind(&texts[0]).bind(&texts[1]).bind(&texts[2]).bind(&texts[3]).bind(&texts[4]).bind(&texts[5])
                .bind(change.published)
                .bind(&principal.actor)
                .bind(now)
                .bind(change.version)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                None => 0,
            };
            if updated == 0 {
                return Err(StoreError::Conflict { expected: change.version, actual: current.map_or(0, |(v,)| v) });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds or changes an etrap office or a hotline.
    #[tracing::instrument(skip_all)]
    pub async fn set_directory_contact(
        &self,
        principal: &Principal,
        change: ContactChange,
    ) -> StoreResult<Uuid> {
        require(principal, Permission::ManageProviders)?;
        self.check_place(&change.admin_unit)?;
        if !matches!(change.kind.as_str(), "etrap_office" | "hotline") {
            return Err(StoreError::refuse(
                "kind",
                "store-directory-contact-kind",
                vec![],
            ));
        }
        let name = crate::providers::required_text("name", &change.name, 300)?;
        let address = public_text("address", &change.address)?;
        let phone = public_text("phone", &change.phone)?;
        let hours = public_text("opening_hours", &change.opening_hours)?;
        let id = change.id.unwrap_or_else(Uuid::now_v7);
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("directory.contact", "directory_contact", id)
                .with_detail(format!("{} {}", change.kind, change.admin_unit)));
            let affected = if change.id.is_some() {
                sqlx::query(
                    "UPDATE directory_contacts SET admin_unit = $2, kind = $3, name = $4, address = $5,
                        phone = $6, opening_hours = $7, version = version + 1, updated_by = $8, updated_at = $9
                     WHERE id = $1 AND version = $10",
                )
                .bind(id).bind(change.admin_unit.as_str()).bind(&change.kind).bind(&name)
                .bind(&address).bind(&phone).bind(&hours).bind(&principal.actor).bind(now)
                .bind(change.version)
                .execute(&mut *tx).await?.rows_affected()
            } else {
                sqlx::query(
                    "INSERT INTO directory_contacts (id, admin_unit, kind, name, address, phone,
                        opening_hours, version, updated_by, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
                )
                .bind(id).bind(change.admin_unit.as_str()).bind(&change.kind).bind(&name)
                .bind(&address).bind(&phone).bind(&hours).bind(&principal.actor).bind(now)
                .execute(&mut *tx).await?.rows_affected()
            };
            if affected == 0 {
                return Err(StoreError::Conflict { expected: change.version, actual: change.version + 1 });
            }
            tx.commit().await?;
        });
        Ok(id)
    }
}
