//! The comparison of the ways a service is delivered (state provider, NGO under contract, NGO
//! with other funding): units, people served, cost, cost per unit and per person, from the
//! deliveries recorded in the reader's scope. A contracted delivery costs its contract's price;
//! any other the cost model's unit cost (`goldaw_core::planning::costing`, the shipped model, as
//! `goldaw plan cost`). People counts from 1 to 4 are suppressed (and the per-person cost with
//! them) unless the reader holds the grant to see unsuppressed statistics.

use crate::error::{StoreError, StoreResult};
use crate::service_referrals::corrupt;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cases::ServiceCode;
use goldaw_core::contracting::{delivery_way, per, DeliveryWay};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::planning::costing::CostModel;
use goldaw_core::service_referrals::ProviderKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// People counts below this are hidden (the standard rule of published tables).
const THRESHOLD: i64 = 5;

/// One way of delivery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    pub way: DeliveryWay,
    pub units: i64,
    /// People served; `None` when suppressed.
    pub people: Option<i64>,
    /// What the units cost, in manat; `None` without a price or a unit cost.
    pub cost: Option<f64>,
    pub cost_per_unit: Option<f64>,
    /// `None` when suppressed or without a cost.
    pub cost_per_person: Option<f64>,
    pub suppressed: bool,
}

/// The comparison for one service and period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub service_code: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The cost model's unit cost of the service, in manat.
    pub model_unit_cost: Option<f64>,
    pub rows: Vec<ComparisonRow>,
}

#[derive(sqlx::FromRow)]
struct DeliveryFact {
    provider_id: Uuid,
    kind: String,
    delivered_on: NaiveDate,
    units: i32,
    person_id: Uuid,
    admin_unit: String,
}

impl Store {
    /// Compares the ways `service` was delivered between `from` and `to` in the reader's scope.
    #[tracing::instrument(skip_all)]
    pub async fn delivery_comparison(
        &self,
        principal: &Principal,
        service: &ServiceCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Comparison> {
        if !principal.may(Permission::Contracting) && !principal.may(Permission::Planning) {
            return Err(StoreError::Forbidden(
                "your role may not read the comparison of costs".into(),
            ));
        }
        if to < from || (to - from).num_days() > 3660 {
            return Err(StoreError::refuse("to", "contracting-period-order", vec![]));
        }
        if self.catalogue().service(service).is_none() {
            return Err(StoreError::refuse(
                "service_code",
                "store-service-unknown",
                vec![("service", crate::error::SayArg::Text(service.to_string()))],
            ));
        }
        type Priced = Vec<(Uuid, i64, NaiveDate, NaiveDate)>;
        let (facts, contracts): (Vec<DeliveryFact>, Priced) = with_db!(self.db(), pool => {
            let facts = sqlx::query_as(
                "SELECT pr.id AS provider_id, pr.kind, d.delivered_on, d.units, r.person_id, c.admin_unit
                 FROM service_deliveries d
                 JOIN service_episodes e ON e.id = d.episode_id
                 JOIN service_referrals r ON r.id = e.referral_id
                 JOIN providers pr ON pr.id = r.provider_id
                 JOIN cases c ON c.id = r.case_id
                 WHERE r.service_code = $1 AND d.delivered_on >= $2 AND d.delivered_on <= $3")
                .bind(service.as_str())
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
            let contracts = sqlx::query_as(
                "SELECT provider_id, price_per_unit, period_from, period_to FROM contracts WHERE service_code = $1")
                .bind(service.as_str())
                .fetch_all(pool)
                .await?;
            (facts, contracts)
        });
        let model_unit_cost = CostModel::shipped()
            .ok()
            .and_then(|m| m.unit_cost(service.as_str()));
        #[derive(Default)]
        struct Acc {
            units: i64,
            people: BTreeSet<Uuid>,
            cost: f64,
            costed: bool,
        }
        let mut acc: BTreeMap<DeliveryWay, Acc> = BTreeMap::new();
        for f in facts {
            let in_scope = f
                .admin_unit
                .parse::<AdminUnitCode>()
                .is_ok_and(|u| principal.can_see_unit(&u));
            if !in_scope {
                continue;
            }
            let kind: ProviderKind = f.kind.parse().map_err(|e| corrupt("provider kind", e))?;
            let price = contracts
                .iter()
                .find(|(p, _, a, b)| {
                    *p == f.provider_id && *a <= f.delivered_on && f.delivered_on <= *b
                })
                .map(|(_, price, _, _)| *price);
            let way = delivery_way(kind, price.is_some());
            let a = acc.entry(way).or_default();
            a.units += i64::from(f.units);
            a.people.insert(f.person_id);
            let unit_cost = match (way, price) {
                (DeliveryWay::NgoContracted, Some(p)) => Some(p as f64 / 100.0),
                _ => model_unit_cost,
            };
            if let Some(c) = unit_cost {
                a.cost += c * f64::from(f.units);
                a.costed = true;
            }
        }
        let unsuppressed = principal.may(Permission::ReadUnsuppressed);
        let rows = DeliveryWay::ALL
            .iter()
            .map(|way| {
                let a = acc.remove(way).unwrap_or_default();
                let people = a.people.len() as i64;
                let suppressed = !unsuppressed && (1..THRESHOLD).contains(&people);
                let cost = a.costed.then(|| (a.cost * 100.0).round() / 100.0);
                ComparisonRow {
                    way: *way,
                    units: a.units,
                    people: (!suppressed).then_some(people),
                    cost,
                    cost_per_unit: cost.and_then(|c| per(c, a.units)),
                    cost_per_person: if suppressed {
                        None
                    } else {
                        cost.and_then(|c| per(c, people))
                    },
                    suppressed,
                }
            })
            .collect();
        Ok(Comparison {
            service_code: service.to_string(),
            from,
            to,
            model_unit_cost: model_unit_cost.map(|c| (c * 100.0).round() / 100.0),
            rows,
        })
    }
}
