//! Where a worker may refer: the active offers of the register that serve the case's etrap.

use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::people::require;
use crate::providers::{Offer, OfferRow, SELECT_OFFER};
use crate::Store;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cases::ServiceCode;
use goldaw_core::ids::AdminUnitCode;

impl Store {
    /// Every active offer, of any service, for the people of an etrap, by service and then most
    /// free places first: the choices of the case page's referral form, in one query. Not audited:
    /// the provider register holds no personal data.
    #[tracing::instrument(skip_all)]
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
            .collect();
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
    #[tracing::instrument(skip_all)]
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
            .collect();
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
}
