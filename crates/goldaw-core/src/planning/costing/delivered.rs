//! What delivered services cost: unit costs, cost per user and per episode from delivered units,
//! and community against residential care.

use serde::Serialize;

use super::file::CostingError;
use super::model::CostModel;

/// One service's unit cost and its parts (residential care has only the total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCost {
    pub service: String,
    pub unit: String,
    pub staff: f64,
    pub overhead: f64,
    pub transport: f64,
    pub materials: f64,
    pub unit_cost: f64,
}

/// Units delivered by one service in a period, with the people and episodes they served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub service: String,
    pub units: f64,
    /// Distinct people served.
    pub users: u64,
    /// Service episodes (a person can have several).
    pub episodes: u64,
}

/// What delivered units cost. The per-user and per-episode figures are `None` when there were none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveredCost {
    pub service: String,
    pub units: f64,
    pub users: u64,
    pub episodes: u64,
    pub unit_cost: f64,
    /// units × unit cost.
    pub total: f64,
    pub cost_per_user: Option<f64>,
    pub cost_per_episode: Option<f64>,
}

/// Costs delivered units with the model's unit costs. Refuses services the model does not cost and negative or
/// non-finite unit counts.
pub fn delivered_costs(
    model: &CostModel,
    deliveries: &[Delivery],
) -> Result<Vec<DeliveredCost>, CostingError> {
    deliveries
        .iter()
        .map(|d| {
            let unit_cost =
                model
                    .unit_cost(&d.service)
                    .ok_or_else(|| CostingError::UnknownService {
                        service: d.service.clone(),
                        context: "in the delivered units".to_string(),
                    })?;
            if !d.units.is_finite() || d.units < 0.0 {
                return Err(CostingError::Invalid {
                    file: "delivered units".to_string(),
                    key: format!("{}.units", d.service),
                    why: format!("must be a number, 0 or more, got {}", d.units),
                });
            }
            let total = d.units * unit_cost;
            let per = |n: u64| (n > 0).then(|| total / n as f64);
            Ok(DeliveredCost {
                service: d.service.clone(),
                units: d.units,
                users: d.users,
                episodes: d.episodes,
                unit_cost,
                total,
                cost_per_user: per(d.users),
                cost_per_episode: per(d.episodes),
            })
        })
        .collect()
}

/// One community service against residential care, per person-year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityVsResidential {
    pub service: String,
    /// Unit cost × units per user-year.
    pub community_per_user_year: f64,
    pub residential_per_person_year: f64,
    /// community ÷ residential (`None` if residential care costs 0).
    pub ratio: Option<f64>,
}

/// Every community service's cost per user-year against residential care's cost per person-year.
pub fn community_vs_residential(model: &CostModel) -> Vec<CommunityVsResidential> {
    let residential = model.residential.cost_per_person_year;
    model
        .services
        .iter()
        .map(|(code, s)| {
            let community = s.cost_per_user_year();
            CommunityVsResidential {
                service: code.clone(),
                community_per_user_year: community,
                residential_per_person_year: residential,
                ratio: (residential > 0.0).then(|| community / residential),
            }
        })
        .collect()
}
