//! A provider's offers: one service for the people of one unit, with its places; set by the
//! register's keepers and read by anyone choosing where to refer.

use super::{Offer, OfferRequest, OfferRow, SELECT_OFFER};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use uuid::Uuid;

impl Store {
    /// Sets what the provider offers for one service in one unit: creates the offer, or changes
    /// it if nobody changed it since `version`.
    #[tracing::instrument(skip_all, fields(provider = %provider))]
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
            return Err(StoreError::refuse(
                "service_code",
                "store-service-unknown",
                vec![("service", SayArg::Text(req.service_code.to_string()))],
            ));
        };
        use goldaw_core::cases::ServiceRoute;
        match service.route() {
            ServiceRoute::Register => {}
            ServiceRoute::Recipient => {
                return Err(StoreError::refuse(
                    "service_code",
                    "store-offer-universal",
                    vec![],
                ));
            }
            ServiceRoute::OwnWork => {
                return Err(StoreError::refuse(
                    "service_code",
                    "store-offer-own-work",
                    vec![("service", SayArg::Text(req.service_code.to_string()))],
                ));
            }
        }
        if matches!(req.places, Some(p) if p < 0) {
            return Err(StoreError::refuse(
                "places",
                "store-places-negative",
                vec![],
            ));
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
                        return Err(StoreError::refuse("service_point", "store-point-unknown", vec![]))
                    }
                    Some((false,)) if req.active => {
                        return Err(StoreError::refuse("service_point", "store-point-ended", vec![]))
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
                        return Err(StoreError::refuse("version", "store-offer-exists", vec![]));
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
    #[tracing::instrument(skip_all, fields(offer = %id))]
    pub async fn offer(&self, principal: &Principal, id: Uuid) -> StoreResult<Offer> {
        if !principal.may(Permission::ReadCases) {
            require(principal, Permission::ManageProviders)?;
        }
        self.offer_unaudited(id).await
    }

    pub(crate) async fn offer_unaudited(&self, id: Uuid) -> StoreResult<Offer> {
        let sql = format!("{SELECT_OFFER} WHERE o.id = $1");
        let row: Option<OfferRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.ok_or(StoreError::NotFound)?.into_offer())
    }
}
