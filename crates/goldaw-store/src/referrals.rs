//! Providers, their offers and places, and referrals of people to services (docs/referrals.md).
//!
//! - The register of providers (state, NGO, private), their service points and what they offer
//!   where, with places: kept by admins and the ministry (`ManageProviders`).
//! - A referral of a person of a case to a provider's offer, or to a universal service of another
//!   sector (a named recipient): by the case's assigned social worker or a supervisor in scope.
//!   Residential (tertiary) care is refused without a court order or a ministry referral.
//! - The provider's side: an inbox of what was referred to the organisation, with the fewest
//!   fields needed to serve the person; accept (or the waiting list), decline with a reason,
//!   start (a service episode), record units delivered, complete.
//!
//! Every read and write is audited; a provider reading a referral to another organisation gets
//! `NotFound`, as for any record outside scope.

use crate::audit::{append_audit, AuditEvent};
use crate::cases::{clean_text, CaseRow};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::{person_hidden, person_visible, MARK_NAMED_IN_CASE};
use crate::Store;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal, Scope};
use goldaw_core::cases::ServiceCode;
use goldaw_core::codes::{CaseStatus, ReferralSource, ServiceLevel, Sex};
use goldaw_core::deadlines::local_date;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::privacy::{self, provider_referral_sight, ReferralSight};
use goldaw_core::workflow::{CaseAction, Refusal};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest name of a provider or service point.
const MAX_NAME: usize = 300;

/// Declares a small closed list of codes stored as text.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The value stored in the database.
            pub fn parse_stored(s: &str) -> StoreResult<$name> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| StoreError::Corrupt(format!(concat!("'{}' is not a ", $what), s)))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Who runs a provider.
    ProviderKind, "provider kind" { State = "state", Ngo = "ngo", Private = "private" }
);

text_enum!(
    /// Where a referral stands (docs/referrals.md).
    ReferralStatus, "referral status" {
        Sent = "sent",
        Accepted = "accepted",
        Waiting = "waiting",
        Declined = "declined",
        Started = "started",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// Why a provider declined a referral.
    DeclineReason, "decline reason" {
        NoCapacity = "no_capacity",
        NotEligible = "not_eligible",
        PersonDeclined = "person_declined",
        Other = "other",
    }
);

text_enum!(
    /// What makes residential care lawful (DOMAIN.md: tertiary level).
    LegalBasisKind, "legal basis kind" { CourtOrder = "court_order", MlspReferral = "mlsp_referral" }
);

text_enum!(
    /// What a provider does with a referral.
    ProviderActionKind, "provider action" {
        Accept = "accept",
        Wait = "wait",
        Decline = "decline",
        Start = "start",
        Complete = "complete",
    }
);

impl ReferralStatus {
    /// Occupies a place of the offer.
    pub fn holds_place(self) -> bool {
        matches!(self, ReferralStatus::Accepted | ReferralStatus::Started)
    }

    /// Still open: the worker may cancel it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReferralStatus::Sent
                | ReferralStatus::Waiting
                | ReferralStatus::Accepted
                | ReferralStatus::Started
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The register of providers
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Referrals
// ---------------------------------------------------------------------------------------------

/// A referral of a person of the case to a service.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceReferral {
    /// The person referred: the case's person or a member of their household.
    pub person: Uuid,
    #[schema(value_type = String)]
    pub service_code: ServiceCode,
    /// The provider's offer (specialized and residential services).
    #[serde(default)]
    pub provider_service: Option<Uuid>,
    /// Universal services (U_*): the school, clinic or office referred to.
    #[serde(default)]
    pub recipient: Option<String>,
    /// What the provider needs to know, shared with the person's consent: sealed.
    #[serde(default)]
    pub info: Option<String>,
}

/// A court order or a ministry referral recorded on a case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLegalBasis {
    pub kind: LegalBasisKind,
    /// The number of the order or the referral letter.
    pub reference: String,
    pub issued_on: NaiveDate,
    /// The court or the ministry office.
    pub issued_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LegalBasis {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: LegalBasisKind,
    pub reference: String,
    pub issued_on: NaiveDate,
    pub issued_by: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A referral as the case's worker and supervisor see it. On a sensitive case (or a referral of a
/// hidden person) a reader without the sensitive permission sees its code only: the service,
/// the status, the dates and units; not whom, to which provider or recipient, nor the note.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    /// `None` when withheld (see `restricted`).
    pub person_id: Option<Uuid>,
    pub service_code: String,
    pub provider_service_id: Option<Uuid>,
    pub provider_external_id: Option<String>,
    pub provider_name: Option<String>,
    pub recipient: Option<String>,
    pub status: ReferralStatus,
    pub decision_reason: Option<DeclineReason>,
    /// `None` when withheld (a sensitive case, a reader without the permission).
    pub info: Option<String>,
    pub legal_basis_id: Option<Uuid>,
    /// The person, provider, recipient, legal basis and note are withheld from this reader.
    pub restricted: bool,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub units: Option<i32>,
    /// Send it back with a cancellation (no lost updates).
    pub version: i32,
}

/// A referral as the provider sees it: the least needed to serve the person, nothing else of
/// the case (`goldaw_core::privacy::provider_referral_sight`). A sensitive referral shows staff
/// without the sensitive permission its service code, status, dates and units, no name and no
/// note; a cancelled referral shows only that it was cancelled (its id, status and version).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderReferral {
    pub id: Uuid,
    pub status: ReferralStatus,
    pub version: i32,
    /// Something is withheld: a sensitive referral without the permission, or a cancelled one.
    pub restricted: bool,
    pub service_code: Option<String>,
    pub admin_unit_of_offer: Option<String>,
    pub given_name: Option<String>,
    pub sex: Option<Sex>,
    pub birth_year: Option<i32>,
    pub info: Option<String>,
    /// The etrap whose social work service referred.
    pub referring_unit: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<DeclineReason>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub units: Option<i32>,
}

/// What a provider does with a referral.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderAction {
    pub action: ProviderActionKind,
    /// The version read (no lost updates).
    pub version: i32,
    /// `decline`: why.
    #[serde(default)]
    pub reason: Option<DeclineReason>,
    /// `decline`: a note for the referring worker (sealed).
    #[serde(default)]
    pub note: Option<String>,
    /// `start`, `complete`: the day (today if absent).
    #[serde(default)]
    pub on: Option<NaiveDate>,
}

/// Units of service delivered (visits, hours, days, bed-nights: the service's unit).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub units: i32,
    #[serde(default)]
    pub delivered_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: Uuid,
    external_id: String,
    name: String,
    kind: String,
    admin_unit: Option<String>,
    active: bool,
    version: i32,
}

#[derive(sqlx::FromRow)]
struct OfferRow {
    id: Uuid,
    provider_id: Uuid,
    provider_external_id: String,
    provider_name: String,
    provider_kind: String,
    service_code: String,
    admin_unit: String,
    service_point_id: Option<Uuid>,
    places: Option<i32>,
    active: bool,
    version: i32,
    taken: i64,
    waiting: i64,
}

const SELECT_OFFER: &str = "SELECT o.id, o.provider_id, pr.external_id AS provider_external_id,
        pr.name AS provider_name, pr.kind AS provider_kind, o.service_code, o.admin_unit,
        o.service_point_id, o.places, o.active, o.version,
        (SELECT COUNT(*) FROM service_referrals r WHERE r.provider_service_id = o.id AND r.status IN ('accepted', 'started')) AS taken,
        (SELECT COUNT(*) FROM service_referrals r WHERE r.provider_service_id = o.id AND r.status = 'waiting') AS waiting
    FROM provider_services o JOIN providers pr ON pr.id = o.provider_id";

#[derive(sqlx::FromRow)]
struct ReferralRow {
    id: Uuid,
    case_id: Uuid,
    person_id: Uuid,
    service_code: String,
    provider_service_id: Option<Uuid>,
    provider_external_id: Option<String>,
    provider_name: Option<String>,
    offer_unit: Option<String>,
    recipient: Option<String>,
    status: String,
    info_sealed: Option<Vec<u8>>,
    decision_reason: Option<String>,
    legal_basis_id: Option<Uuid>,
    sent_at: DateTime<Utc>,
    sent_by: String,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
    version: i32,
    given_name: String,
    sex: String,
    birth_date: Option<NaiveDate>,
    case_unit: String,
    case_number: String,
    /// The case is sensitive or about a hidden person, or the person referred is hidden.
    sensitive: bool,
    episode_id: Option<Uuid>,
    started_on: Option<NaiveDate>,
    ended_on: Option<NaiveDate>,
    units: Option<i32>,
}

const SELECT_REFERRAL: &str = concat!(
    "SELECT r.id, r.case_id, r.person_id, r.service_code,
        r.provider_service_id, pr.external_id AS provider_external_id, pr.name AS provider_name,
        o.admin_unit AS offer_unit, r.recipient, r.status, r.info_sealed, r.decision_reason,
        r.legal_basis_id, r.sent_at, r.sent_by, r.decided_at, r.decided_by, r.version,
        p.given_name, p.sex, p.birth_date, c.admin_unit AS case_unit, c.external_id AS case_number,
        (c.sensitive OR ",
    person_hidden!("cp"),
    " OR ",
    person_hidden!("p"),
    ") AS sensitive, e.id AS episode_id, e.started_on, e.ended_on, e.units
    FROM service_referrals r
    JOIN cases c ON c.id = r.case_id
    JOIN persons cp ON cp.id = c.person_id
    JOIN persons p ON p.id = r.person_id
    LEFT JOIN providers pr ON pr.id = r.provider_id
    LEFT JOIN provider_services o ON o.id = r.provider_service_id
    LEFT JOIN service_episodes e ON e.referral_id = r.id"
);

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn required_text(field: &str, text: &str, max: usize) -> StoreResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::invalid(field, "is required"));
    }
    if t.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

fn provider_scope(principal: &Principal) -> StoreResult<&str> {
    require(principal, Permission::ProviderWork)?;
    match &principal.scope {
        Scope::Provider(ext) => Ok(ext.as_str()),
        Scope::Unit(_) => Err(StoreError::Forbidden(
            "provider work needs an account scoped to a provider organisation".into(),
        )),
    }
}

impl OfferRow {
    fn into_offer(self) -> StoreResult<Offer> {
        Ok(Offer {
            id: self.id,
            provider_id: self.provider_id,
            provider_external_id: self.provider_external_id,
            provider_name: self.provider_name,
            provider_kind: ProviderKind::parse_stored(&self.provider_kind)?,
            service_code: self.service_code,
            admin_unit: self.admin_unit,
            service_point_id: self.service_point_id,
            places: self.places,
            free_places: self.places.map(|p| (i64::from(p) - self.taken).max(0)),
            waiting: self.waiting,
            active: self.active,
            version: self.version,
        })
    }
}

impl Store {
    // ----- the register -----------------------------------------------------------------------

    /// Registers a provider organisation.
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
            return Err(StoreError::invalid(
                "external_id",
                "letters, digits and punctuation only, no spaces",
            )
            .saying("store-provider-id-form", vec![]));
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
            return Err(StoreError::invalid(
                "external_id",
                format!("a provider with id '{external_id}' is already registered"),
            )
            .saying(
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
    pub async fn provider(&self, principal: &Principal, id: Uuid) -> StoreResult<Provider> {
        require(principal, Permission::ManageProviders)?;
        let p = self.provider_unaudited(id).await?;
        self.audit(principal, AuditEvent::on("provider.read", "provider", id))
            .await?;
        Ok(p)
    }

    async fn provider_unaudited(&self, id: Uuid) -> StoreResult<Provider> {
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
            kind: ProviderKind::parse_stored(&row.kind)?,
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
            offers: offers
                .into_iter()
                .map(OfferRow::into_offer)
                .collect::<StoreResult<_>>()?,
        })
    }

    /// Adds a place where the provider serves people.
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
                    return Err(StoreError::invalid(
                        "active",
                        format!(
                            "active offers are delivered at this service point ({}): end them or move them to another point first",
                            open.join(", ")
                        ),
                    ).saying("store-point-has-offers", vec![("detail", SayArg::Text(open.join(", ")))]));
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

    /// Sets what the provider offers for one service in one unit: creates the offer, or changes
    /// it if nobody changed it since `version`.
    pub async fn set_offer(
        &self,
        principal: &Principal,
        provider: Uuid,
        req: OfferRequest,
    ) -> StoreResult<Offer> {
        require(principal, Permission::ManageProviders)?;
        self.check_place(&req.admin_unit)?;
        let catalogue = self.catalogue();
        let Some(service) = catalogue.service(&req.service_code) else {
            return Err(StoreError::invalid(
                "service_code",
                crate::catalogue::Catalogue::unknown_service_message(req.service_code.as_str()),
            ));
        };
        use goldaw_core::cases::ServiceRoute;
        match service.route() {
            ServiceRoute::Register => {}
            ServiceRoute::Recipient => {
                return Err(StoreError::invalid(
                    "service_code",
                    "universal services belong to other sectors: refer to them by naming the recipient, without an offer",
                ).saying("store-offer-universal", vec![]));
            }
            ServiceRoute::OwnWork => {
                return Err(StoreError::invalid(
                    "service_code",
                    format!("{} is the case's own work (the etrap social work service or the hotline): providers do not offer it and cases are not referred to it; offer one of the specialised or residential services", req.service_code),
                ).saying("store-offer-own-work", vec![("service", SayArg::Text(req.service_code.to_string()))]));
            }
        }
        if matches!(req.places, Some(p) if p < 0) {
            return Err(StoreError::invalid("places", "cannot be negative")
                .saying("store-places-negative", vec![]));
        }
        self.provider_unaudited(provider).await?;
        let now = Utc::now();
        let id = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            // The audit event first, as every change does (the same order of locks everywhere:
            // the audit head, then the rows); a refusal below rolls it back with the rest.
            append_audit!(self, tx, principal, AuditEvent::on("provider.offer", "provider", provider)
                .with_detail(format!("{} {} places {:?}", req.service_code, req.admin_unit, req.places)));
            // Then the provider's row: `update_service_point` takes the same row before it looks
            // for active offers at a point, so the two take turns and an offer cannot become
            // active at a point that is ending at the same moment (their checks both passed when
            // this one looked at the point outside its transaction).
            sqlx::query("UPDATE providers SET updated_at = updated_at WHERE id = $1")
                .bind(provider)
                .execute(&mut *tx)
                .await?;
            if let Some(point) = req.service_point {
                let found: Option<(bool,)> =
                    sqlx::query_as("SELECT active FROM service_points WHERE id = $1 AND provider_id = $2")
                        .bind(point)
                        .bind(provider)
                        .fetch_optional(&mut *tx)
                        .await?;
                match found {
                    None => {
                        return Err(StoreError::invalid(
                            "service_point",
                            "no such service point of this provider",
                        ).saying("store-point-unknown", vec![]))
                    }
                    Some((false,)) if req.active => {
                        return Err(StoreError::invalid(
                            "service_point",
                            "this service point has ended: choose an open one, or reopen it first",
                        ).saying("store-point-ended", vec![]))
                    }
                    Some(_) => {}
                }
            }
            let existing: Option<(Uuid, i32)> = sqlx::query_as(
                "SELECT id, version FROM provider_services WHERE provider_id = $1 AND service_code = $2 AND admin_unit = $3")
                .bind(provider)
                .bind(req.service_code.as_str())
                .bind(req.admin_unit.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let id = match existing {
                None => {
                    let id = Uuid::now_v7();
                    sqlx::query("INSERT INTO provider_services (id, provider_id, service_point_id, service_code, admin_unit, places, active, version, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)")
                        .bind(id)
                        .bind(provider)
                        .bind(req.service_point)
                        .bind(req.service_code.as_str())
                        .bind(req.admin_unit.as_str())
                        .bind(req.places)
                        .bind(req.active)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                Some((id, version)) => {
                    let Some(expected) = req.version else {
                        return Err(StoreError::invalid(
                            "version",
                            "this offer exists: send the version you read to change it",
                        ).saying("store-offer-exists", vec![]));
                    };
                    if expected != version {
                        return Err(StoreError::Conflict {
                            expected,
                            actual: version,
                        });
                    }
                    let updated = sqlx::query("UPDATE provider_services SET service_point_id = $1, places = $2, active = $3,
                                                 version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6")
                        .bind(req.service_point)
                        .bind(req.places)
                        .bind(req.active)
                        .bind(now)
                        .bind(id)
                        .bind(expected)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() != 1 {
                        return Err(StoreError::Conflict { expected, actual: expected + 1 });
                    }
                    id
                }
            };
            tx.commit().await?;
            id
        });
        self.offer_unaudited(id).await
    }

    /// One offer, for choosing where to refer (readers of cases) or keeping the register.
    pub async fn offer(&self, principal: &Principal, id: Uuid) -> StoreResult<Offer> {
        if !principal.may(Permission::ReadCases) {
            require(principal, Permission::ManageProviders)?;
        }
        self.offer_unaudited(id).await
    }

    async fn offer_unaudited(&self, id: Uuid) -> StoreResult<Offer> {
        let sql = format!("{SELECT_OFFER} WHERE o.id = $1");
        let row: Option<OfferRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)?.into_offer()
    }

    /// Every active offer, of any service, for the people of an etrap, by service and then most
    /// free places first: the choices of the case page's referral form, in one query. Not audited:
    /// the provider register holds no personal data.
    pub async fn referable_offers(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
    ) -> StoreResult<Vec<Offer>> {
        require(principal, Permission::ReadCases)?;
        let sql = format!("{SELECT_OFFER} WHERE o.active = $1 AND pr.active = $1 ORDER BY pr.name");
        let rows: Vec<OfferRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(true).fetch_all(pool).await?
        });
        let mut offers: Vec<Offer> = rows
            .into_iter()
            .filter(|o| {
                o.admin_unit
                    .parse::<AdminUnitCode>()
                    .is_ok_and(|u| unit.is_within(&u))
            })
            .map(OfferRow::into_offer)
            .collect::<StoreResult<_>>()?;
        offers.sort_by(|a, b| {
            a.service_code.cmp(&b.service_code).then_with(|| {
                b.free_places
                    .unwrap_or(i64::MAX)
                    .cmp(&a.free_places.unwrap_or(i64::MAX))
            })
        });
        Ok(offers)
    }

    /// The active offers of a service for the people of an etrap (offers for the etrap itself or
    /// for a unit containing it), most free places first: where a worker may refer.
    pub async fn offers_for(
        &self,
        principal: &Principal,
        service_code: &ServiceCode,
        unit: &AdminUnitCode,
    ) -> StoreResult<Vec<Offer>> {
        if !principal.may(Permission::ReadCases) {
            require(principal, Permission::ManageProviders)?;
        }
        let sql = format!(
            "{SELECT_OFFER} WHERE o.service_code = $1 AND o.active = $2 AND pr.active = $2 ORDER BY pr.name"
        );
        let rows: Vec<OfferRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(service_code.as_str()).bind(true).fetch_all(pool).await?
        });
        let mut offers: Vec<Offer> = rows
            .into_iter()
            .filter(|o| {
                o.admin_unit
                    .parse::<AdminUnitCode>()
                    .is_ok_and(|u| unit.is_within(&u))
            })
            .map(OfferRow::into_offer)
            .collect::<StoreResult<_>>()?;
        // Unlimited first, then most free places.
        offers.sort_by_key(|o| std::cmp::Reverse(o.free_places.unwrap_or(i64::MAX)));
        self.audit(
            principal,
            AuditEvent::plain("provider.offers")
                .with_detail(format!("{service_code} {unit}: {}", offers.len())),
        )
        .await?;
        Ok(offers)
    }

    // ----- the worker's side ------------------------------------------------------------------

    /// The case, through the one scoped read every case route uses (not audited: callers audit).
    async fn referral_case(&self, principal: &Principal, case: Uuid) -> StoreResult<CaseRow> {
        self.load_case_row(principal, case).await
    }

    /// The assigned worker or a supervisor of the case's etrap may work on the case, with the
    /// sensitive permission for a sensitive one: the rule of all case work.
    fn may_work(&self, principal: &Principal, case: &CaseRow) -> StoreResult<()> {
        self.may_act(principal, case, CaseAction::ToActive)
    }

    /// Records a court order or a ministry referral on the case (a supervisor in scope): the
    /// legal basis residential care needs.
    pub async fn record_legal_basis(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewLegalBasis,
    ) -> StoreResult<LegalBasis> {
        require(principal, Permission::ApproveCases)?;
        let facts = self.referral_case(principal, case).await?;
        self.may_work(principal, &facts)?;
        let reference = required_text("reference", &new.reference, MAX_NAME)?;
        let issued_by = required_text("issued_by", &new.issued_by, MAX_NAME)?;
        if new.issued_on > local_date(Utc::now()) {
            return Err(StoreError::invalid("issued_on", "lies in the future")
                .saying("store-legal-basis-future", vec![]));
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.legal_basis", "case", case).with_detail(format!("{} {id}", new.kind)));
            sqlx::query("INSERT INTO legal_bases (id, case_id, kind, reference, issued_on, issued_by, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(case)
                .bind(new.kind.as_str())
                .bind(&reference)
                .bind(new.issued_on)
                .bind(&issued_by)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(LegalBasis {
            id,
            case_id: case,
            kind: new.kind,
            reference,
            issued_on: new.issued_on,
            issued_by,
            recorded_by: principal.actor.clone(),
            recorded_at: now,
        })
    }

    /// Refers a person of the case to a service. Residential (tertiary) care is refused without
    /// a legal basis on the case or a court or ministry referral source.
    pub async fn refer(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewServiceReferral,
    ) -> StoreResult<ReferralRecord> {
        let facts = self.referral_case(principal, case).await?;
        self.may_work(principal, &facts)?;
        let status: CaseStatus = facts
            .status
            .parse()
            .map_err(|e| corrupt("case status", e))?;
        let catalogue = self.catalogue();
        let Some(service) = catalogue.service(&new.service_code) else {
            return Err(StoreError::invalid(
                "service_code",
                crate::catalogue::Catalogue::unknown_service_message(new.service_code.as_str()),
            ));
        };
        let level = service.level;
        let universal = level == ServiceLevel::Universal;
        let open_for = if universal {
            !matches!(status, CaseStatus::Referred | CaseStatus::Closed)
        } else {
            !matches!(
                status,
                CaseStatus::Referred | CaseStatus::InitialAssessment | CaseStatus::Closed
            )
        };
        if !open_for {
            return Err(StoreError::Refused(Refusal::ReferralNotNow { status }));
        }
        if !service.route().referable() {
            return Err(StoreError::invalid(
                "service_code",
                "the etrap social work service and the hotline are not referred to: they are the case's own work",
            ).saying("store-refer-own-work", vec![]));
        }
        // The person: the case's or a member of the same household.
        let person_ok: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as(concat!("SELECT p.id FROM persons p WHERE p.id = $1 AND (p.id = $2 OR p.household_id = $3)
                                    AND p.merged_into IS NULL AND ", person_visible!("p", "$4")))
                .bind(new.person)
                .bind(facts.person_id)
                .bind(facts.person_household_id)
                .bind(principal.sensitive)
                .fetch_optional(pool)
                .await?
        });
        if person_ok.is_none() {
            return Err(StoreError::invalid(
                "person",
                "refer the case's person or a member of their household",
            )
            .saying("store-refer-not-household", vec![]));
        }
        let info = clean_text("info", new.info.as_deref())?;
        let recipient = clean_text("recipient", new.recipient.as_deref())?;
        let (offer, recipient) = if universal {
            if new.provider_service.is_some() {
                return Err(StoreError::invalid(
                    "provider_service",
                    "universal services are referred to by naming the recipient, not a provider's offer",
                ).saying("store-refer-universal-offer", vec![]));
            }
            let Some(r) = recipient else {
                return Err(StoreError::invalid(
                    "recipient",
                    "name the school, clinic or office the person is referred to",
                )
                .saying("store-refer-recipient-missing", vec![]));
            };
            (None, Some(r))
        } else {
            let Some(offer_id) = new.provider_service else {
                return Err(StoreError::invalid(
                    "provider_service",
                    "choose the provider's offer to refer to",
                )
                .saying("store-refer-offer-missing", vec![]));
            };
            let offer = self.offer_unaudited(offer_id).await.map_err(|e| match e {
                StoreError::NotFound => {
                    StoreError::invalid("provider_service", "no such offer of a provider")
                        .saying("store-refer-offer-unknown", vec![])
                }
                e => e,
            })?;
            let provider_active: Option<(bool,)> = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT active FROM providers WHERE id = $1")
                    .bind(offer.provider_id)
                    .fetch_optional(pool)
                    .await?
            });
            if offer.service_code != new.service_code.as_str() {
                return Err(StoreError::invalid(
                    "provider_service",
                    format!(
                        "this offer is for {}, not {}",
                        offer.service_code, new.service_code
                    ),
                ));
            }
            if !offer.active || provider_active != Some((true,)) {
                return Err(StoreError::invalid(
                    "provider_service",
                    "this offer is no longer active",
                ));
            }
            let covers = match (
                facts.admin_unit.parse::<AdminUnitCode>(),
                offer.admin_unit.parse::<AdminUnitCode>(),
            ) {
                (Ok(case_unit), Ok(offer_unit)) => case_unit.is_within(&offer_unit),
                _ => false,
            };
            if !covers {
                return Err(StoreError::invalid(
                    "provider_service",
                    format!(
                        "this offer serves {}, not the case's etrap {}",
                        offer.admin_unit, facts.admin_unit
                    ),
                ));
            }
            if recipient.is_some() {
                return Err(StoreError::invalid(
                    "recipient",
                    "a referral to a provider's offer names no other recipient",
                ));
            }
            (Some(offer), None)
        };
        // Residential care is the last resort: a court order or a ministry referral.
        let mut legal_basis: Option<Uuid> = None;
        if level == ServiceLevel::Tertiary {
            let source: ReferralSource = facts
                .referral_source
                .parse()
                .map_err(|e| corrupt("referral source", e))?;
            let basis: Option<(Uuid,)> = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT id FROM legal_bases WHERE case_id = $1 ORDER BY recorded_at DESC, id DESC LIMIT 1")
                    .bind(case)
                    .fetch_optional(pool)
                    .await?
            });
            legal_basis = basis.map(|(id,)| id);
            if legal_basis.is_none() && !source.permits_residential_care() {
                self.audit(
                    principal,
                    AuditEvent::on("referral.refused", "case", case).with_detail(format!(
                        "{}: residential_needs_legal_basis",
                        new.service_code
                    )),
                )
                .await?;
                return Err(StoreError::Refused(Refusal::ResidentialNeedsLegalBasis));
            }
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        let info_sealed = self.seal_text(
            "referral text",
            info.as_deref(),
            &format!("service_referrals.info:{id}"),
        )?;
        let detail = match &offer {
            Some(o) => format!(
                "{} to {} ({})",
                new.service_code, o.provider_external_id, o.id
            ),
            None => format!("{} (universal)", new.service_code),
        };
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("referral.send", "referral", id).with_detail(format!("case {case}: {detail}")));
            sqlx::query("INSERT INTO service_referrals (id, case_id, person_id, service_code, provider_service_id, provider_id,
                             recipient, status, info_sealed, legal_basis_id, sent_at, sent_by, version, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent', $8, $9, $10, $11, 1, $10)")
                .bind(id)
                .bind(case)
                .bind(new.person)
                .bind(new.service_code.as_str())
                .bind(offer.as_ref().map(|o| o.id))
                .bind(offer.as_ref().map(|o| o.provider_id))
                .bind(recipient.as_deref())
                .bind(info_sealed)
                .bind(legal_basis)
                .bind(now)
                .bind(&principal.actor)
                .execute(&mut *tx)
                .await?;
            // A sensitive case names the person it refers.
            sqlx::query(MARK_NAMED_IN_CASE).bind(case).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        let row = self.referral_row(id).await?;
        self.referral_record(principal, row)
    }

    async fn referral_row(&self, id: Uuid) -> StoreResult<ReferralRow> {
        let sql = format!("{SELECT_REFERRAL} WHERE r.id = $1");
        let row: Option<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    fn referral_record(
        &self,
        principal: &Principal,
        row: ReferralRow,
    ) -> StoreResult<ReferralRecord> {
        let restricted = privacy::restricted(principal, row.sensitive);
        let info = if restricted {
            None
        } else {
            self.open_text(
                "referral text",
                row.info_sealed.as_deref(),
                &format!("service_referrals.info:{}", row.id),
            )?
        };
        let shown = |v| if restricted { None } else { v };
        Ok(ReferralRecord {
            id: row.id,
            case_id: row.case_id,
            person_id: shown(Some(row.person_id)),
            service_code: row.service_code,
            provider_service_id: shown(row.provider_service_id),
            provider_external_id: if restricted {
                None
            } else {
                row.provider_external_id
            },
            provider_name: if restricted { None } else { row.provider_name },
            recipient: if restricted { None } else { row.recipient },
            status: ReferralStatus::parse_stored(&row.status)?,
            decision_reason: row
                .decision_reason
                .as_deref()
                .map(DeclineReason::parse_stored)
                .transpose()?,
            info,
            legal_basis_id: shown(row.legal_basis_id),
            restricted,
            sent_at: row.sent_at,
            sent_by: row.sent_by,
            decided_at: row.decided_at,
            decided_by: row.decided_by,
            started_on: row.started_on,
            ended_on: row.ended_on,
            units: row.units,
            version: row.version,
        })
    }

    /// The referrals made from a case, newest first.
    pub async fn case_referrals(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<ReferralRecord>> {
        self.referral_case(principal, case).await?;
        let out = self.referrals_of(principal, case).await?;
        self.audit(principal, AuditEvent::on("referral.list", "case", case))
            .await?;
        Ok(out)
    }

    /// The referrals of a case the caller was already allowed to read; not audited here.
    pub(crate) async fn referrals_of(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<ReferralRecord>> {
        let sql =
            format!("{SELECT_REFERRAL} WHERE r.case_id = $1 ORDER BY r.sent_at DESC, r.id DESC");
        let rows: Vec<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(case).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| self.referral_record(principal, r))
            .collect()
    }

    /// Cancels an open referral (the case's worker or a supervisor), if nobody changed it since
    /// `version`. A started service ends today.
    pub async fn cancel_referral(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
    ) -> StoreResult<ReferralRecord> {
        // Deny by default before looking anything up.
        require(principal, Permission::WorkCases)?;
        let row = self.referral_row(id).await?;
        // Scope: the case must be the principal's to read, else the referral does not exist.
        let facts = self.referral_case(principal, row.case_id).await?;
        self.may_work(principal, &facts)?;
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: row.version,
            });
        }
        let status = ReferralStatus::parse_stored(&row.status)?;
        if !status.is_open() {
            return Err(StoreError::invalid(
                "status",
                format!("a referral that is {status} cannot be cancelled"),
            ));
        }
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("referral.cancel", "referral", id).with_detail(format!("{status} -> cancelled")));
            let updated = sqlx::query("UPDATE service_referrals SET status = 'cancelled', version = version + 1, updated_at = $1
                                       WHERE id = $2 AND version = $3")
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            sqlx::query("UPDATE service_episodes SET ended_on = $1, version = version + 1, updated_at = $2
                         WHERE referral_id = $3 AND ended_on IS NULL")
                .bind(local_date(now))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        let row = self.referral_row(id).await?;
        self.referral_record(principal, row)
    }

    // ----- the provider's side ----------------------------------------------------------------

    /// A referral to the principal's organisation, or `NotFound`.
    async fn provider_row(&self, principal: &Principal, id: Uuid) -> StoreResult<ReferralRow> {
        let ext = provider_scope(principal)?;
        let sql = format!("{SELECT_REFERRAL} WHERE r.id = $1 AND pr.external_id = $2");
        let row: Option<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).bind(ext).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// What the provider's staff see of a referral: `goldaw_core::privacy::provider_referral_sight`.
    fn provider_view(
        &self,
        principal: &Principal,
        row: ReferralRow,
    ) -> StoreResult<ProviderReferral> {
        let status = ReferralStatus::parse_stored(&row.status)?;
        let sight = provider_referral_sight(
            principal,
            status == ReferralStatus::Cancelled,
            row.sensitive,
        );
        if sight == ReferralSight::Cancelled {
            return Ok(ProviderReferral {
                id: row.id,
                status,
                version: row.version,
                restricted: true,
                service_code: None,
                admin_unit_of_offer: None,
                given_name: None,
                sex: None,
                birth_year: None,
                info: None,
                referring_unit: None,
                sent_at: None,
                decided_at: None,
                decision_reason: None,
                started_on: None,
                ended_on: None,
                units: None,
            });
        }
        let full = sight == ReferralSight::Full;
        let info = if full {
            self.open_text(
                "referral text",
                row.info_sealed.as_deref(),
                &format!("service_referrals.info:{}", row.id),
            )?
        } else {
            None
        };
        Ok(ProviderReferral {
            id: row.id,
            status,
            version: row.version,
            restricted: !full,
            service_code: Some(row.service_code),
            admin_unit_of_offer: row.offer_unit,
            given_name: full.then_some(row.given_name),
            sex: if full { row.sex.parse().ok() } else { None },
            birth_year: if full {
                row.birth_date.map(|d| d.year())
            } else {
                None
            },
            info,
            referring_unit: Some(row.case_unit),
            sent_at: Some(row.sent_at),
            decided_at: row.decided_at,
            decision_reason: row
                .decision_reason
                .as_deref()
                .map(DeclineReason::parse_stored)
                .transpose()?,
            started_on: row.started_on,
            ended_on: row.ended_on,
            units: row.units,
        })
    }

    /// The referrals to the principal's organisation: the waiting list first (oldest first: the
    /// next to take when a place frees), then new ones, then those accepted, started, and done.
    pub async fn provider_inbox(
        &self,
        principal: &Principal,
        status: Option<ReferralStatus>,
    ) -> StoreResult<Vec<ProviderReferral>> {
        let ext = provider_scope(principal)?;
        let sql = format!(
            "{SELECT_REFERRAL} WHERE pr.external_id = $1 AND ($2 IS NULL OR r.status = $2)
             ORDER BY CASE r.status WHEN 'waiting' THEN 0 WHEN 'sent' THEN 1 WHEN 'accepted' THEN 2
                                    WHEN 'started' THEN 3 ELSE 4 END, r.sent_at, r.id
             LIMIT 1000"
        );
        let rows: Vec<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(ext)
                .bind(status.map(ReferralStatus::as_str))
                .fetch_all(pool)
                .await?
        });
        let out = rows
            .into_iter()
            .map(|r| self.provider_view(principal, r))
            .collect::<StoreResult<Vec<_>>>()?;
        self.audit(
            principal,
            AuditEvent::plain("referral.inbox").with_detail(format!("{ext}: {}", out.len())),
        )
        .await?;
        Ok(out)
    }

    /// One referral to the principal's organisation, with the minimum fields.
    pub async fn provider_referral(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<ProviderReferral> {
        let row = self.provider_row(principal, id).await?;
        let view = self.provider_view(principal, row)?;
        self.audit(principal, AuditEvent::on("referral.read", "referral", id))
            .await?;
        Ok(view)
    }

    /// Accept (a waiting-list place when none is free), put on the waiting list, decline, start
    /// or complete a referral to the principal's organisation.
    pub async fn provider_act(
        &self,
        principal: &Principal,
        id: Uuid,
        act: ProviderAction,
    ) -> StoreResult<ProviderReferral> {
        let row = self.provider_row(principal, id).await?;
        if row.version != act.version {
            return Err(StoreError::Conflict {
                expected: act.version,
                actual: row.version,
            });
        }
        let from = ReferralStatus::parse_stored(&row.status)?;
        let now = Utc::now();
        let today = local_date(now);
        let on = act.on.unwrap_or(today);
        if on > today {
            return Err(StoreError::invalid("on", "lies in the future")
                .saying("store-provider-act-future", vec![]));
        }
        use ProviderActionKind as A;
        use ReferralStatus as S;
        let out_of_order = || {
            StoreError::invalid(
                "action",
                format!(
                    "'{}' is not possible while the referral is {from}",
                    act.action
                ),
            )
        };
        let to = match (act.action, from) {
            // Accepted or waiting: decided inside the transaction below, against the places
            // taken at that moment.
            (A::Accept, S::Sent | S::Waiting) => S::Accepted,
            (A::Wait, S::Sent) => S::Waiting,
            (A::Decline, S::Sent | S::Waiting | S::Accepted) => S::Declined,
            (A::Start, S::Accepted) => S::Started,
            (A::Complete, S::Started) => S::Completed,
            _ => return Err(out_of_order()),
        };
        if act.action == A::Decline && act.reason.is_none() {
            return Err(StoreError::invalid(
                "reason",
                "say why: no_capacity, not_eligible, person_declined or other",
            )
            .saying("store-decline-reason-missing", vec![]));
        }
        if act.action != A::Decline && (act.reason.is_some() || act.note.is_some()) {
            return Err(StoreError::invalid(
                "reason",
                "a reason and a note go with a decline only",
            ));
        }
        let note = clean_text("note", act.note.as_deref())?;
        let note_sealed = self.seal_text(
            "referral text",
            note.as_deref(),
            &format!("service_referrals.decision_note:{id}"),
        )?;
        if act.action == A::Complete {
            if let Some(started) = row.started_on {
                if on < started {
                    return Err(StoreError::invalid(
                        "on",
                        format!("the service started on {started}"),
                    ));
                }
            }
        }
        let ext = principal.scope.to_stored();
        let decides = matches!(act.action, A::Accept | A::Wait | A::Decline);
        let offer_to_count = match act.action {
            A::Accept => row.provider_service_id,
            _ => None,
        };
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let mut to = to;
            if let Some(offer) = offer_to_count {
                // Count the places taken under the lock every writer takes first (the audit
                // head's row; SQLite: the write lock), in the same order as every other writer
                // so no deadlock: two staff accepting at once cannot both take the last place.
                // The event is appended after, when the outcome is known.
                sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let (places, taken): (Option<i32>, i64) = sqlx::query_as(
                    "SELECT o.places, (SELECT COUNT(*) FROM service_referrals r
                         WHERE r.provider_service_id = o.id AND r.status IN ('accepted', 'started'))
                     FROM provider_services o WHERE o.id = $1")
                    .bind(offer)
                    .fetch_one(&mut *tx)
                    .await?;
                if places.is_some_and(|p| taken >= i64::from(p)) {
                    to = S::Waiting;
                }
            }
            let event = AuditEvent::on("referral.provider", "referral", id)
                .with_detail(format!("{}: {from} -> {to}", act.action));
            append_audit!(self, tx, principal, event);
            let updated = sqlx::query("UPDATE service_referrals SET status = $1, version = version + 1, updated_at = $2
                                       WHERE id = $3 AND version = $4")
                .bind(to.as_str())
                .bind(now)
                .bind(id)
                .bind(act.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: act.version, actual: act.version + 1 });
            }
            if decides {
                sqlx::query("UPDATE service_referrals SET decided_at = $1, decided_by = $2, decision_reason = $3,
                                 decision_note_sealed = $4 WHERE id = $5")
                    .bind(now)
                    .bind(&principal.actor)
                    .bind(act.reason.map(DeclineReason::as_str))
                    .bind(note_sealed)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            match act.action {
                A::Start => {
                    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_episodes WHERE case_id = $1 AND service_code = $2")
                        .bind(row.case_id)
                        .bind(&row.service_code)
                        .fetch_one(&mut *tx)
                        .await?;
                    let external_id = format!("{}/{}/{}", row.case_number, row.service_code, n + 1);
                    let provider_ext = ext.strip_prefix("provider:").unwrap_or(&ext).to_owned();
                    sqlx::query("INSERT INTO service_episodes (id, external_id, case_id, person_id, service_code, provider_id,
                                     started_on, units, version, created_at, updated_at, referral_id)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $8, $8, $9)")
                        .bind(Uuid::now_v7())
                        .bind(&external_id)
                        .bind(row.case_id)
                        .bind(row.person_id)
                        .bind(&row.service_code)
                        .bind(&provider_ext)
                        .bind(on)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                A::Complete => {
                    sqlx::query("UPDATE service_episodes SET ended_on = $1, version = version + 1, updated_at = $2
                                 WHERE referral_id = $3 AND ended_on IS NULL")
                        .bind(on)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {}
            }
            tx.commit().await?;
        });
        let row = self.provider_row(principal, id).await?;
        self.provider_view(principal, row)
    }

    /// Records units delivered on a started referral: a delivery row, and the episode's units.
    pub async fn record_delivery(
        &self,
        principal: &Principal,
        id: Uuid,
        delivery: Delivery,
    ) -> StoreResult<ProviderReferral> {
        let row = self.provider_row(principal, id).await?;
        if row.status != ReferralStatus::Started.as_str() {
            return Err(StoreError::invalid(
                "status",
                format!(
                    "units are recorded on a started service; this referral is {}",
                    row.status
                ),
            ));
        }
        let Some(episode) = row.episode_id else {
            return Err(StoreError::Corrupt(format!(
                "referral {id} is started without a service episode"
            )));
        };
        if !(1..=10_000).contains(&delivery.units) {
            return Err(StoreError::invalid("units", "between 1 and 10000"));
        }
        let now = Utc::now();
        let on = delivery.delivered_on.unwrap_or(local_date(now));
        if on > local_date(now) {
            return Err(StoreError::invalid("delivered_on", "lies in the future")
                .saying("store-delivery-future", vec![]));
        }
        if row.started_on.is_some_and(|s| on < s) {
            return Err(StoreError::invalid(
                "delivered_on",
                "lies before the service started",
            ));
        }
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("referral.delivery", "referral", id).with_detail(format!("{} units on {on}", delivery.units)));
            sqlx::query("INSERT INTO service_deliveries (id, episode_id, delivered_on, units, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(Uuid::now_v7())
                .bind(episode)
                .bind(on)
                .bind(delivery.units)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE service_episodes SET units = COALESCE(units, 0) + $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(delivery.units)
                .bind(now)
                .bind(episode)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        let row = self.provider_row(principal, id).await?;
        self.provider_view(principal, row)
    }
}
