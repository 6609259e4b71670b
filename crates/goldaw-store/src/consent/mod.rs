//! Consent that governs sharing (issue #18, docs/survivors.md): consent records per person and
//! purpose (ISO/IEC TS 27560 shape), their withdrawal, a supervisor's override for a reason the
//! law allows, and disclosures to the police or health. The rule is
//! `goldaw_core::consent::sharing_basis`; every act that shares beyond the case's own team asks
//! it with the facts [`sharing_facts!`] reads inside that act's transaction (a referral to a
//! provider, a disclosure) or just before the read (a provider reading a referral).
//!
//! - `record`: a consent recorded, a consent withdrawn;
//! - `overrides`: a supervisor's override;
//! - `disclose`: information shared with the police or health;
//! - `read`: a case's consents, overrides and disclosures; a provider's view closed by consent.

mod disclose;
mod overrides;
mod read;
mod record;

pub(crate) use record::ConsentCase;

use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::consent::{ConsentFacts, ConsentRefusal, OverrideFacts};
pub use goldaw_core::consent::{
    ConsentGiver, ConsentMethod, ConsentPurpose, OverrideReason, ShareBasis,
};
use goldaw_core::service_referrals::ProviderKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A consent as recorded.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    /// The person who consents (or for whom a guardian does): the case's person or a member of
    /// their household; the case's person if absent.
    #[serde(default)]
    pub person: Option<Uuid>,
    pub purpose: ConsentPurpose,
    /// A referral: the named provider (its external id).
    #[serde(default)]
    pub provider: Option<String>,
    /// A referral: a kind of provider.
    #[serde(default)]
    pub provider_kind: Option<ProviderKind>,
    pub giver: ConsentGiver,
    pub method: ConsentMethod,
    /// From (today if absent).
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Until (open if absent).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// A consent record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub case_id: Option<Uuid>,
    pub purpose: ConsentPurpose,
    pub provider: Option<String>,
    pub provider_name: Option<String>,
    pub provider_kind: Option<String>,
    pub giver: ConsentGiver,
    pub method: ConsentMethod,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
    /// Valid today: begun, not ended, not withdrawn.
    pub in_force: bool,
    pub version: i32,
}

/// A withdrawal.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// The version read.
    pub version: i32,
}

/// A supervisor's override of a missing consent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOverride {
    /// The case's person if absent.
    #[serde(default)]
    pub person: Option<Uuid>,
    pub purpose: ConsentPurpose,
    /// A referral: the provider (external id); any provider if absent.
    #[serde(default)]
    pub provider: Option<String>,
    /// The reason the law allows (required).
    #[serde(default)]
    pub reason: Option<OverrideReason>,
    /// What makes it so (required): sealed.
    #[serde(default)]
    pub note: Option<String>,
}

/// An override as shown on the case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverrideRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub purpose: ConsentPurpose,
    pub provider: Option<String>,
    pub reason: OverrideReason,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// Information shared outside the case's team.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisclosure {
    /// The case's person if absent.
    #[serde(default)]
    pub person: Option<Uuid>,
    /// `police` or `health`.
    pub purpose: ConsentPurpose,
    /// The office or the officer.
    pub recipient: String,
    /// What was shared: sealed.
    #[serde(default)]
    pub detail: Option<String>,
}

/// A disclosure as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisclosureRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub purpose: ConsentPurpose,
    pub recipient: String,
    /// `consent`, `override` or `not_governed`.
    pub basis: String,
    pub detail: Option<String>,
    pub shared_by: String,
    pub shared_at: DateTime<Utc>,
}

/// The consents, overrides and disclosures of a case's people, for the case page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseConsents {
    /// Consent governs this case's sharing (`goldaw_core::consent::governed`).
    pub governed: bool,
    pub consents: Vec<ConsentRecord>,
    pub overrides: Vec<OverrideRecord>,
    pub disclosures: Vec<DisclosureRecord>,
}

/// A consent row as the rule reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct FactRow {
    purpose: String,
    provider: Option<String>,
    provider_kind: Option<String>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    withdrawn: bool,
}

/// The rule's facts about a person on a case: whether consent governs them, their consents,
/// the case's overrides for them. Expands inside a transaction or on a pool
/// (`$conn` is `&mut *tx` or `pool`): the reads of a write happen inside the write.
macro_rules! sharing_facts {
    ($conn:expr, $case:expr, $person:expr) => {{
        let consents: Vec<$crate::consent::FactRow> = sqlx::query_as(
            "SELECT c.purpose, pr.external_id AS provider, c.provider_kind, c.valid_from, c.valid_until,
                    (c.withdrawn_at IS NOT NULL) AS withdrawn
             FROM consents c LEFT JOIN providers pr ON pr.id = c.provider_id
             WHERE c.person_id = $1 ORDER BY c.recorded_at, c.id",
        )
        .bind($person)
        .fetch_all($conn)
        .await?;
        let overrides: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT o.purpose, pr.external_id FROM consent_overrides o
             LEFT JOIN providers pr ON pr.id = o.provider_id
             WHERE o.case_id = $1 AND o.person_id = $2",
        )
        .bind($case)
        .bind($person)
        .fetch_all($conn)
        .await?;
        let (from_call,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM hotline_calls WHERE case_id = $1)",
        )
        .bind($case)
        .fetch_one($conn)
        .await?;
        $crate::consent::facts(consents, overrides, from_call)?
    }};
}
pub(crate) use sharing_facts;

/// The basis on which the case may share the person's information for `$purpose` with
/// `$recipient` on `$today` (`goldaw_core::consent::sharing_basis`), from the facts read on
/// `$conn` (inside the sharing act's transaction): `Err` is the refusal, which the act answers
/// with [`crate::Store::refused_share`] once its transaction is rolled back.
macro_rules! consent_basis {
    ($conn:expr, $case:expr, $person:expr, $purpose:expr, $recipient:expr, $today:expr) => {{
        let (governed, consents, overrides) =
            $crate::consent::sharing_facts!($conn, $case, $person);
        goldaw_core::consent::sharing_basis(
            governed, &consents, &overrides, $purpose, $recipient, $today,
        )
    }};
}
pub(crate) use consent_basis;

impl crate::Store {
    /// A sharing refused for want of consent: audited on its own (the act's transaction, and its
    /// audit event, were rolled back), and the refusal to answer.
    pub(crate) async fn refused_share(
        &self,
        principal: &goldaw_core::access::Principal,
        case: Uuid,
        purpose: goldaw_core::consent::ConsentPurpose,
        recipient: &str,
        refusal: ConsentRefusal,
    ) -> StoreError {
        let event = crate::audit::AuditEvent::on("consent.refused", "case", case)
            .with_detail(format!("{purpose} to {recipient}: {}", refusal.code()));
        match self.audit(principal, event).await {
            Ok(()) => consent_refused(refusal),
            Err(e) => e,
        }
    }
}

/// The facts of the rule from the rows [`sharing_facts!`] read.
pub(crate) fn facts(
    consents: Vec<FactRow>,
    overrides: Vec<(String, Option<String>)>,
    from_call: bool,
) -> StoreResult<(bool, Vec<ConsentFacts>, Vec<OverrideFacts>)> {
    let governed = goldaw_core::consent::governed(!consents.is_empty(), from_call);
    let consents = consents
        .into_iter()
        .map(|r| {
            Ok(ConsentFacts {
                purpose: r
                    .purpose
                    .parse()
                    .map_err(|e| corrupt("consent purpose", e))?,
                provider: r.provider,
                provider_kind: r.provider_kind,
                valid_from: r.valid_from,
                valid_until: r.valid_until,
                withdrawn: r.withdrawn,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let overrides = overrides
        .into_iter()
        .map(|(p, provider)| {
            Ok(OverrideFacts {
                purpose: p.parse().map_err(|e| corrupt("consent purpose", e))?,
                provider,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((governed, consents, overrides))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// A sharing refused for want of consent, with its literal key (`consent.ftl`).
pub(crate) fn consent_refused(r: ConsentRefusal) -> StoreError {
    match r {
        ConsentRefusal::Missing => StoreError::refuse("consent", "consent-refused-missing", vec![]),
        ConsentRefusal::Expired => StoreError::refuse("consent", "consent-refused-expired", vec![]),
        ConsentRefusal::NotYetValid => {
            StoreError::refuse("consent", "consent-refused-not-yet-valid", vec![])
        }
        ConsentRefusal::Withdrawn => {
            StoreError::refuse("consent", "consent-refused-withdrawn", vec![])
        }
    }
}

/// The basis as stored on a disclosure.
pub(crate) fn basis_code(b: ShareBasis) -> &'static str {
    match b {
        ShareBasis::Consent(_) => "consent",
        ShareBasis::Override(_) => "override",
        ShareBasis::NotGoverned => "not_governed",
    }
}
