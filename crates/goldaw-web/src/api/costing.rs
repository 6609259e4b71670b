//! `/api/v1/costing/...`: the cost model where people can use it (issue #21 item 7;
//! docs/contracting.md "Costing"), as `goldaw plan cost` and `goldaw plan budget` give it on the
//! command line: the unit costs, community services against residential care, the budget to
//! reach a coverage target, and what the units delivered in the reader's area cost. The model is
//! the shipped one (`reference/costing.toml`); the figures are computed by
//! `goldaw_core::planning::costing`. Planners and the ministry.

use crate::error::{ApiError, ErrorBody};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::planning::costing::{
    budget_by_year, community_vs_residential, delivered_costs, round_money, BudgetInputs,
    CostModel, Delivery,
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/costing/unit-costs", get(unit_costs))
        .route("/costing/community-vs-residential", get(community))
        .route("/costing/budget", get(budget))
        .route("/costing/delivered", get(delivered))
}

/// Planners and the ministry use the cost model.
fn may(principal: &Principal) -> Result<(), ApiError> {
    if principal.may(Permission::Planning) || principal.may(Permission::Contracting) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role does not use the cost model (planners and the ministry)",
        ))
    }
}

fn model() -> Result<CostModel, ApiError> {
    CostModel::shipped().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the shipped cost model: {e}"),
        )
    })
}

/// One service's unit cost and its parts, in manat (rounded to the tiyn).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitCostRow {
    pub service: String,
    pub unit: String,
    pub staff: f64,
    pub overhead: f64,
    pub transport: f64,
    pub materials: f64,
    pub unit_cost: f64,
    /// The cost of one person served for a year (one place).
    pub cost_per_user_year: Option<f64>,
}

/// The unit cost of every service in the model (`goldaw plan cost`).
#[utoipa::path(get, path = "/api/v1/costing/unit-costs", tag = "costing",
    responses((status = 200, body = Vec<UnitCostRow>), (status = 403, body = ErrorBody)))]
pub async fn unit_costs(Caller(principal): Caller) -> Result<Json<Vec<UnitCostRow>>, ApiError> {
    may(&principal)?;
    let m = model()?;
    Ok(Json(
        m.unit_costs()
            .into_iter()
            .map(|u| UnitCostRow {
                cost_per_user_year: m.cost_per_place_year(&u.service).map(round_money),
                service: u.service,
                unit: u.unit,
                staff: round_money(u.staff),
                overhead: round_money(u.overhead),
                transport: round_money(u.transport),
                materials: round_money(u.materials),
                unit_cost: round_money(u.unit_cost),
            })
            .collect(),
    ))
}

/// A community service per user-year against residential care per person-year.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommunityRow {
    pub service: String,
    pub community_per_user_year: f64,
    pub residential_per_person_year: f64,
    /// Community ÷ residential.
    pub ratio: Option<f64>,
}

/// Every community service against residential care, from the model.
#[utoipa::path(get, path = "/api/v1/costing/community-vs-residential", tag = "costing",
    responses((status = 200, body = Vec<CommunityRow>), (status = 403, body = ErrorBody)))]
pub async fn community(Caller(principal): Caller) -> Result<Json<Vec<CommunityRow>>, ApiError> {
    may(&principal)?;
    Ok(Json(
        community_vs_residential(&model()?)
            .into_iter()
            .map(|c| CommunityRow {
                service: c.service,
                community_per_user_year: round_money(c.community_per_user_year),
                residential_per_person_year: round_money(c.residential_per_person_year),
                ratio: c.ratio.map(|r| (r * 1000.0).round() / 1000.0),
            })
            .collect(),
    ))
}

/// What the budget is computed from.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BudgetParams {
    /// The population covered.
    pub population: u64,
    /// Coverage in the first year, a share (0.0002 = 0.02%).
    pub start: f64,
    /// Coverage to reach in the last year, a share (0.001 = 0.1%).
    pub target: f64,
    pub from: i32,
    pub to: i32,
}

/// One year of the budget, in manat.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetRow {
    pub year: i32,
    pub coverage: f64,
    pub users: u64,
    pub cost_per_user: f64,
    pub budget: f64,
}

/// The budget each year to ramp coverage from `start` to `target` (`goldaw plan budget`).
#[utoipa::path(get, path = "/api/v1/costing/budget", tag = "costing", params(BudgetParams),
    responses((status = 200, body = Vec<BudgetRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn budget(
    Caller(principal): Caller,
    params: Result<Query<BudgetParams>, QueryRejection>,
) -> Result<Json<Vec<BudgetRow>>, ApiError> {
    may(&principal)?;
    let Query(p) = params?;
    let rows = budget_by_year(
        &model()?,
        &BudgetInputs {
            population: p.population,
            start_coverage: p.start,
            target_coverage: p.target,
            from_year: p.from,
            to_year: p.to,
        },
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        rows.into_iter()
            .map(|y| BudgetRow {
                year: y.year,
                coverage: y.coverage,
                users: y.users,
                cost_per_user: round_money(y.cost_per_user),
                budget: round_money(y.budget),
            })
            .collect(),
    ))
}

/// The period of the units delivered.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// What one service's delivered units cost, in manat.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveredRow {
    pub service: String,
    pub units: i64,
    /// `None` when suppressed (1 to 4 people).
    pub people: Option<i64>,
    pub episodes: Option<i64>,
    pub unit_cost: Option<f64>,
    pub total: Option<f64>,
    pub cost_per_user: Option<f64>,
    pub cost_per_episode: Option<f64>,
}

/// What the units delivered in the reader's area between `from` and `to` cost, by service, at
/// the model's unit costs (a service the model does not cost has no total).
#[utoipa::path(get, path = "/api/v1/costing/delivered", tag = "costing", params(PeriodParams),
    responses((status = 200, body = Vec<DeliveredRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delivered(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<PeriodParams>, QueryRejection>,
) -> Result<Json<Vec<DeliveredRow>>, ApiError> {
    may(&principal)?;
    let Query(p) = params?;
    let units = state
        .store
        .delivered_units(&principal, p.from, p.to)
        .await?;
    Ok(Json(delivered_rows(&model()?, units)))
}

/// The delivered units costed (shared with the page).
pub(crate) fn delivered_rows(
    m: &CostModel,
    units: Vec<goldaw_store::costing::DeliveredUnits>,
) -> Vec<DeliveredRow> {
    units
        .into_iter()
        .map(|u| {
            let costed = delivered_costs(
                m,
                &[Delivery {
                    service: u.service_code.clone(),
                    units: u.units as f64,
                    users: u.people.unwrap_or(0).max(0) as u64,
                    episodes: u.episodes.unwrap_or(0).max(0) as u64,
                }],
            )
            .ok()
            .and_then(|mut v| v.pop());
            DeliveredRow {
                service: u.service_code,
                units: u.units,
                people: u.people,
                episodes: u.episodes,
                unit_cost: costed.as_ref().map(|c| round_money(c.unit_cost)),
                total: costed.as_ref().map(|c| round_money(c.total)),
                cost_per_user: costed
                    .as_ref()
                    .and_then(|c| c.cost_per_user)
                    .filter(|_| u.people.is_some())
                    .map(round_money),
                cost_per_episode: costed
                    .as_ref()
                    .and_then(|c| c.cost_per_episode)
                    .filter(|_| u.episodes.is_some())
                    .map(round_money),
            }
        })
        .collect()
}
