//! The register of providers (docs/referrals.md): the state, NGO and private organisations that
//! provide services, their service points, and what they offer where with how many places. Kept
//! by admins and the ministry (`ManageProviders`); workers choose among the active offers when
//! they refer (`crate::service_referrals`), and the providers' staff work through their inbox
//! (`crate::provider_inbox`).
//!
//! - `register`: a provider's record (create, change, list, read);
//! - `points`: the places where a provider serves people;
//! - `offers`: what a provider offers for one service to the people of one unit, with places;
//! - `contracted`: the offers a signed contract puts in the register (`crate::contracting`).

mod contracted;
mod offers;
mod points;
mod register;

pub(crate) use contracted::set_contracted_offer;

use crate::error::{SayArg, StoreError, StoreResult};
use goldaw_core::cases::ServiceCode;
use goldaw_core::ids::AdminUnitCode;
pub use goldaw_core::service_referrals::ProviderKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest name of a provider or service point.
pub(crate) const MAX_NAME: usize = 300;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    /// The id in the interchange files and in provider users' scope (`provider:ID`).
    pub external_id: String,
    pub name: String,
    pub kind: ProviderKind,
    /// Where the provider is registered.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub admin_unit: Option<AdminUnitCode>,
}

/// A change to a provider's details.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderChange {
    /// The version read (no lost updates).
    pub version: i32,
    pub name: String,
    pub kind: ProviderKind,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub admin_unit: Option<AdminUnitCode>,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServicePoint {
    pub name: String,
    #[schema(value_type = String)]
    pub admin_unit: AdminUnitCode,
    #[serde(default)]
    pub address: Option<String>,
}

/// A change to a service point: its details, or its end (`active: false`). The points are part
/// of the provider's record, so the version is the provider's, and a change bumps it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePointChange {
    /// The provider's version read (no lost updates).
    pub version: i32,
    pub name: String,
    #[schema(value_type = String)]
    pub admin_unit: AdminUnitCode,
    #[serde(default)]
    pub address: Option<String>,
    pub active: bool,
}

/// A provider's offer of one service to the people of one unit (an etrap, or a whole velayat).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    #[schema(value_type = String)]
    pub service_code: ServiceCode,
    #[schema(value_type = String)]
    pub admin_unit: AdminUnitCode,
    /// People served at once; absent = not limited.
    #[serde(default)]
    pub places: Option<i32>,
    #[serde(default)]
    pub service_point: Option<Uuid>,
    #[serde(default = "yes")]
    pub active: bool,
    /// The version read, when changing an existing offer (no lost updates).
    #[serde(default)]
    pub version: Option<i32>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServicePoint {
    pub id: Uuid,
    pub name: String,
    pub admin_unit: String,
    pub address: Option<String>,
    pub active: bool,
}

/// An offer with its places now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub provider_external_id: String,
    pub provider_name: String,
    pub provider_kind: ProviderKind,
    pub service_code: String,
    pub admin_unit: String,
    pub service_point_id: Option<Uuid>,
    /// `None`: not limited.
    pub places: Option<i32>,
    /// Places minus referrals accepted or started; `None` when not limited.
    pub free_places: Option<i64>,
    /// Referrals on the waiting list.
    pub waiting: i64,
    pub active: bool,
    pub version: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Provider {
    pub id: Uuid,
    pub external_id: String,
    pub name: String,
    pub kind: ProviderKind,
    pub admin_unit: Option<String>,
    pub active: bool,
    /// Send it back with every change (no lost updates).
    pub version: i32,
    pub service_points: Vec<ServicePoint>,
    pub offers: Vec<Offer>,
}

/// A provider's own row.
#[derive(sqlx::FromRow)]
pub(crate) struct ProviderRow {
    pub(crate) id: Uuid,
    pub(crate) external_id: String,
    pub(crate) name: String,
    #[sqlx(try_from = "String")]
    pub(crate) kind: ProviderKind,
    pub(crate) admin_unit: Option<String>,
    pub(crate) active: bool,
    pub(crate) version: i32,
}

/// An offer with its provider and the places taken and waiting (`SELECT_OFFER`).
#[derive(sqlx::FromRow)]
pub(crate) struct OfferRow {
    pub(crate) id: Uuid,
    pub(crate) provider_id: Uuid,
    pub(crate) provider_external_id: String,
    pub(crate) provider_name: String,
    #[sqlx(try_from = "String")]
    pub(crate) provider_kind: ProviderKind,
    pub(crate) service_code: String,
    pub(crate) admin_unit: String,
    pub(crate) service_point_id: Option<Uuid>,
    pub(crate) places: Option<i32>,
    pub(crate) active: bool,
    pub(crate) version: i32,
    pub(crate) taken: i64,
    pub(crate) waiting: i64,
}

pub(crate) const SELECT_OFFER: &str = "SELECT o.id, o.provider_id, pr.external_id AS provider_external_id,
        pr.name AS provider_name, pr.kind AS provider_kind, o.service_code, o.admin_unit,
        o.service_point_id, o.places, o.active, o.version,
        (SELECT COUNT(*) FROM service_referrals r WHERE r.provider_service_id = o.id AND r.status IN ('accepted', 'started')) AS taken,
        (SELECT COUNT(*) FROM service_referrals r WHERE r.provider_service_id = o.id AND r.status = 'waiting') AS waiting
    FROM provider_services o JOIN providers pr ON pr.id = o.provider_id";

/// Text a record needs: trimmed, not empty, at most `max` characters.
pub(crate) fn required_text(field: &str, text: &str, max: usize) -> StoreResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::refuse(
            field,
            "store-field-required",
            vec![("field", SayArg::Text(field.to_owned()))],
        ));
    }
    if t.chars().count() > max {
        return Err(StoreError::refuse(
            field,
            "store-field-too-long",
            vec![
                ("field", SayArg::Text(field.to_owned())),
                ("limit", SayArg::Number(max as i64)),
            ],
        ));
    }
    Ok(t.to_owned())
}

impl OfferRow {
    pub(crate) fn into_offer(self) -> Offer {
        Offer {
            id: self.id,
            provider_id: self.provider_id,
            provider_external_id: self.provider_external_id,
            provider_name: self.provider_name,
            provider_kind: self.provider_kind,
            service_code: self.service_code,
            admin_unit: self.admin_unit,
            service_point_id: self.service_point_id,
            places: self.places,
            free_places: self.places.map(|p| (i64::from(p) - self.taken).max(0)),
            waiting: self.waiting,
            active: self.active,
            version: self.version,
        }
    }
}
