//! Costing from the records (issue #21, item 7; docs/contracting.md "Costing"): the units of each
//! service delivered in a period in the reader's scope, with the people and episodes they
//! served, for `goldaw_core::planning::costing::delivered_costs` (as `goldaw plan cost` does with a
//! file). The scope is a range condition in SQL (`scope::unit_range`) on the episode's case;
//! people counts from 1 to 4 are suppressed unless the reader holds the unsuppressed grant.

use crate::error::{StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use serde::Serialize;

/// Counts below this are hidden (the standard rule of published tables).
const THRESHOLD: i64 = 5;

/// One service's units delivered in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveredUnits {
    pub service_code: String,
    pub units: i64,
    /// Distinct people served; `None` when suppressed (1 to 4).
    pub people: Option<i64>,
    /// Service episodes; `None` when the people are suppressed.
    pub episodes: Option<i64>,
}

impl Store {
    /// The units delivered per service between `from` and `to` (inclusive) in the reader's scope:
    /// planners and the ministry.
    #[tracing::instrument(skip_all)]
    pub async fn delivered_units(
        &self,
        principal: &Principal,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DeliveredUnits>> {
        if !principal.may(Permission::Planning) && !principal.may(Permission::Contracting) {
            return Err(crate::contracting::denied("contracting-denied-comparison"));
        }
        if to < from || (to - from).num_days() > 3660 {
            return Err(StoreError::refuse("to", "contracting-period-order", vec![]));
        }
        let Some((lo, hi)) = unit_range(principal) else {
            return Err(crate::contracting::denied("contracting-denied-comparison"));
        };
        let rows: Vec<(String, i64, i64, i64)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT e.service_code, CAST(SUM(d.units) AS BIGINT), COUNT(DISTINCT e.person_id), COUNT(DISTINCT e.id)
                 FROM service_deliveries d
                 JOIN service_episodes e ON e.id = d.episode_id
                 JOIN cases c ON c.id = e.case_id
                 WHERE d.delivered_on >= $1 AND d.delivered_on <= $2
                   AND c.admin_unit >= $3 AND c.admin_unit < $4
                 GROUP BY e.service_code ORDER BY e.service_code")
                .bind(from)
                .bind(to)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
        });
        let unsuppressed = principal.may(Permission::ReadUnsuppressed);
        Ok(rows
            .into_iter()
            .map(|(service_code, units, people, episodes)| {
                let hidden = !unsuppressed && (1..THRESHOLD).contains(&people);
                DeliveredUnits {
                    service_code,
                    units,
                    people: (!hidden).then_some(people),
                    episodes: (!hidden).then_some(episodes),
                }
            })
            .collect())
    }
}
