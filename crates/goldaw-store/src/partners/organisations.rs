//! The register of partner organisations and their keys. A key (`gpk_` and 64 hex digits) is
//! shown once; only its SHA-256 is kept. A key is issued to one person of the organisation (its
//! holder, named when it is issued) and revoked alone; the organisation stays the scope: the
//! principal a key makes is `Principal::partner(organisation, "partner:ORG/HOLDER", ...)`, which
//! sees the organisation's own referrals, and the audit trail names the holder. Keys issued
//! before keys had holders (organisation keys) keep working until they expire or are revoked
//! (docs/partners.md).

use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::{DateTime, Duration, Utc};
use goldaw_core::access::{Permission, Principal, Scope};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::partners::PartnerKind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What a partner's key starts with (a user's API token starts `gdw_`).
pub const PARTNER_TOKEN_PREFIX: &str = "gpk_";

/// How long a partner's key is good for.
const KEY_DAYS: i64 = 365;

#[derive(Debug, Clone, Deserialize)]
pub struct NewPartner {
    pub name: String,
    pub kind: PartnerKind,
    /// The organisation's area: its referrals go to the etraps inside it.
    pub admin_unit: AdminUnitCode,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PartnerOrganisation {
    pub id: Uuid,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub kind: PartnerKind,
    pub admin_unit: String,
    pub active: bool,
    pub version: i32,
}

/// A partner's key as the register lists it (never the key itself).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PartnerKey {
    pub id: Uuid,
    pub partner_id: Uuid,
    /// The person it was issued to; `None` for an organisation key issued before keys had holders.
    pub holder: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

impl Store {
    /// Registers a partner organisation (an admin).
    #[tracing::instrument(skip_all)]
    pub async fn create_partner(
        &self,
        principal: &Principal,
        new: NewPartner,
    ) -> StoreResult<PartnerOrganisation> {
        require(principal, Permission::ManageUsers)?;
        let name = crate::providers::required_text("name", &new.name, 300)?;
        self.check_place(&new.admin_unit)?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.create", "partner", id)
                .with_detail(format!("{} {}", new.kind.as_str(), new.admin_unit)));
            sqlx::query(
                "INSERT INTO partner_organisations (id, name, kind, admin_unit, active, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
            )
            .bind(id)
            .bind(&name)
            .bind(new.kind.as_str())
            .bind(new.admin_unit.as_str())
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(PartnerOrganisation {
            id,
            name,
            kind: new.kind,
            admin_unit: new.admin_unit.to_string(),
            active: true,
            version: 1,
        })
    }

    /// Every partner organisation (an admin).
    pub async fn list_partners(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<PartnerOrganisation>> {
        require(principal, Permission::ManageUsers)?;
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, name, kind, admin_unit, active, version FROM partner_organisations ORDER BY name")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Ends or restores a partner organisation (an admin): an ended one's keys stop working.
    pub async fn set_partner_active(
        &self,
        principal: &Principal,
        partner: Uuid,
        version: i32,
        active: bool,
    ) -> StoreResult<()> {
        require(principal, Permission::ManageUsers)?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.active", "partner", partner)
                .with_detail(format!("active {active}")));
            let n = sqlx::query("UPDATE partner_organisations SET active = $1, version = version + 1, updated_at = $2
                                 WHERE id = $3 AND version = $4")
                .bind(active).bind(Utc::now()).bind(partner).bind(version)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A new key for one person of the organisation, `holder` (a name or a post, as the
    /// organisation knows them; an admin): shown once, good for a year.
    #[tracing::instrument(skip_all, fields(partner = %partner))]
    pub async fn issue_partner_key(
        &self,
        principal: &Principal,
        partner: Uuid,
        holder: &str,
    ) -> StoreResult<String> {
        require(principal, Permission::ManageUsers)?;
        let holder = crate::providers::required_text("holder", holder, 200)?;
        if holder.chars().any(char::is_control) || holder.contains('/') {
            return Err(StoreError::refuse("holder", "store-partner-holder", vec![]));
        }
        let key = format!("{PARTNER_TOKEN_PREFIX}{}", crate::sessions::random_token()?);
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.key", "partner", partner)
                .with_detail(format!("key {id} for {holder}")));
            let found: Option<(bool,)> = sqlx::query_as("SELECT active FROM partner_organisations WHERE id = $1")
                .bind(partner).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO partner_tokens (id, partner_id, token_hash, created_by, created_at, expires_at, holder)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(partner)
            .bind(key_hash(&key))
            .bind(&principal.actor)
            .bind(now)
            .bind(now + Duration::days(KEY_DAYS))
            .bind(&holder)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(key)
    }

    /// The keys not revoked, of every organisation (an admin): who holds each, when it expires
    /// and was last used. Never the key itself.
    pub async fn list_partner_keys(&self, principal: &Principal) -> StoreResult<Vec<PartnerKey>> {
        require(principal, Permission::ManageUsers)?;
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT id, partner_id, holder, created_at, expires_at, last_used_at FROM partner_tokens
                 WHERE revoked_at IS NULL ORDER BY partner_id, created_at, id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Revokes one key of the organisation (an admin): its holder's access ends, the others'
    /// stay. A key of another organisation, or one revoked already, is `NotFound`.
    #[tracing::instrument(skip_all, fields(partner = %partner, key = %key))]
    pub async fn revoke_partner_key(
        &self,
        principal: &Principal,
        partner: Uuid,
        key: Uuid,
    ) -> StoreResult<()> {
        require(principal, Permission::ManageUsers)?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.key_revoked", "partner", partner)
                .with_detail(format!("key {key}")));
            let n = sqlx::query("UPDATE partner_tokens SET revoked_at = $1 WHERE id = $2 AND partner_id = $3 AND revoked_at IS NULL")
                .bind(Utc::now()).bind(key).bind(partner).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Revokes every key of the organisation (an admin).
    pub async fn revoke_partner_keys(
        &self,
        principal: &Principal,
        partner: Uuid,
    ) -> StoreResult<u64> {
        require(principal, Permission::ManageUsers)?;
        let now = Utc::now();
        let n = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.keys_revoked", "partner", partner));
            let n = sqlx::query("UPDATE partner_tokens SET revoked_at = $1 WHERE partner_id = $2 AND revoked_at IS NULL")
                .bind(now).bind(partner).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// The partner a key stands for, asking from `source`; `None` for a key that is unknown,
    /// revoked, expired, or of an organisation that has ended.
    pub async fn principal_for_partner_key(
        &self,
        key: &str,
        source: &str,
    ) -> StoreResult<Option<Principal>> {
        if !key.starts_with(PARTNER_TOKEN_PREFIX) || key.len() != PARTNER_TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        type Row = (
            Uuid,
            Uuid,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<String>,
        );
        let row: Option<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT t.id, p.id, p.name, p.admin_unit, t.expires_at, t.last_used_at, t.holder
                 FROM partner_tokens t JOIN partner_organisations p ON p.id = t.partner_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND p.active = $2",
            )
            .bind(key_hash(key))
            .bind(true)
            .fetch_optional(pool)
            .await?
        });
        let Some((token, partner, name, unit, expires, last_used, holder)) = row else {
            return Ok(None);
        };
        let now = Utc::now();
        if expires <= now {
            return Ok(None);
        }
        if last_used.is_none_or(|at| now - at >= Duration::seconds(60)) {
            with_db!(self.db(), pool => {
                sqlx::query("UPDATE partner_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now).bind(token).execute(pool).await?;
            });
        }
        let scope = Scope::Unit(AdminUnitCode::from_stored(unit));
        // The audit trail names the person who holds the key (an organisation key: none).
        let actor = match holder {
            Some(h) => format!("partner:{name}/{h}"),
            None => format!("partner:{name}"),
        };
        Ok(Some(
            Principal::partner(partner, &actor, scope).with_source(source),
        ))
    }

    /// The organisation a partner principal stands for (`NotFound` for anyone else).
    pub(crate) async fn partner_of(
        &self,
        principal: &Principal,
    ) -> StoreResult<PartnerOrganisation> {
        require(principal, Permission::PartnerReferral)?;
        let id = principal.user_id.ok_or(StoreError::NotFound)?;
        let row: Option<PartnerOrganisation> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, name, kind, admin_unit, active, version FROM partner_organisations WHERE id = $1 AND active = $2")
                .bind(id).bind(true).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }
}
