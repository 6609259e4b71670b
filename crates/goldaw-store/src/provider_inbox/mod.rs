//! The provider's inbox (docs/referrals.md): what was referred to the staff's organisation, with
//! the fewest fields needed to serve the person (`goldaw_core::privacy::provider_referral_sight`),
//! and what the staff do with it. The order the actions may come in is
//! `goldaw_core::service_referrals`. A provider reading a referral to another organisation gets
//! `NotFound`, as for any record outside scope.
//!
//! - `inbox`: the list (a page at a time), and one referral read;
//! - `sharing`: whether consent closes each referral of a page, read for the page at once;
//! - `act`: accept (or the waiting list), decline with a reason, start, complete;
//! - `deliver`: units of service delivered on a started referral.

mod act;
mod deliver;
mod inbox;
pub(crate) mod sharing;

pub use inbox::{InboxPage, InboxQuery};

use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::service_referrals::{decline_reason, ReferralRow, SELECT_REFERRAL};
use crate::Store;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal, Scope};
use goldaw_core::codes::Sex;
use goldaw_core::privacy::{provider_referral_sight, ReferralSight};
pub use goldaw_core::service_referrals::ProviderActionKind;
use goldaw_core::service_referrals::{DeclineReason, ReferralStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// The person withdrew (or no longer gives) consent to this provider: the referral is
    /// closed to its staff (issue #18), who see only that.
    #[serde(default)]
    pub consent_withdrawn: bool,
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

pub(crate) fn provider_scope(principal: &Principal) -> StoreResult<&str> {
    require(principal, Permission::ProviderWork)?;
    match &principal.scope {
        Scope::Provider(ext) => Ok(ext.as_str()),
        Scope::Unit(_) => Err(StoreError::Forbidden(
            "provider work needs an account scoped to a provider organisation".into(),
        )),
    }
}

impl Store {
    /// A referral to the principal's organisation, or `NotFound`.
    pub(crate) async fn provider_row(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<ReferralRow> {
        let ext = provider_scope(principal)?;
        let sql = format!("{SELECT_REFERRAL} WHERE r.id = $1 AND pr.external_id = $2");
        let row: Option<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).bind(ext).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// What the provider's staff see of a referral: `goldaw_core::privacy::provider_referral_sight`.
    pub(crate) async fn provider_view(
        &self,
        principal: &Principal,
        row: ReferralRow,
    ) -> StoreResult<ProviderReferral> {
        // Issue #18: consent withdrawn (or expired) closes the referral as a cancellation does.
        let consent_withdrawn = self.consent_closes(&row).await?;
        self.provider_view_with(principal, row, consent_withdrawn)
    }

    /// [`Store::provider_view`] with whether consent closes the referral already known (a page
    /// of the inbox reads it for every row at once).
    pub(crate) fn provider_view_with(
        &self,
        principal: &Principal,
        row: ReferralRow,
        consent_withdrawn: bool,
    ) -> StoreResult<ProviderReferral> {
        let status = row.status;
        let sight = provider_referral_sight(
            principal,
            status == ReferralStatus::Cancelled || consent_withdrawn,
            row.sensitive,
        );
        if sight == ReferralSight::Cancelled {
            return Ok(ProviderReferral {
                id: row.id,
                status,
                version: row.version,
                restricted: true,
                consent_withdrawn,
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
            consent_withdrawn: false,
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
            decision_reason: decline_reason(row.decision_reason.as_deref())?,
            started_on: row.started_on,
            ended_on: row.ended_on,
            units: row.units,
        })
    }
}
