//! The comparison of the ways a service is delivered (state provider, NGO under contract, NGO
//! with other funding): units, people served, cost, cost per unit, per person and per goal
//! achieved, and the outcome at the follow-ups 3 and 6–12 months after, from the deliveries
//! recorded in the reader's scope (the scope is a range condition in SQL, `scope::unit_range`).
//! A contracted delivery costs its contract's price; any other the cost model's unit cost
//! (`goldaw_core::planning::costing`, the shipped model, as `goldaw plan cost`); the model also
//! gives the service's cost per user-year in the community against residential care's per
//! person-year. Counts from 1 to 4 (people, follow-up reviews) are suppressed, with what is
//! computed from them, unless the reader holds the grant to see unsuppressed statistics.
//!
//! A goal achieved: a plan goal a referral of the service was made for, rated `achieved` at a
//! review. The outcome at a follow-up: the share of the follow-up reviews (`follow_up_short` at 3
//! months, `follow_up_long` at 6–12) of the cases served that found the person living at home.

use super::performance::{start_of_local_day, TimingRow};
use crate::error::{StoreError, StoreResult};
use crate::scope::unit_range;
use crate::service_referrals::corrupt;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cases::ServiceCode;
use goldaw_core::contracting::timeliness::{timeliness, ReferralTiming, Timeliness};
use goldaw_core::contracting::{delivery_way, per, DeliveryWay};
use goldaw_core::deadlines::local_date;
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
    /// Units delivered; `None` when the people are hidden (with one to four people the units
    /// and what they cost tell what each received).
    pub units: Option<i64>,
    /// People served; `None` when suppressed.
    pub people: Option<i64>,
    /// What the units cost, in manat; `None` without a price or a unit cost, or when suppressed.
    pub cost: Option<f64>,
    pub cost_per_unit: Option<f64>,
    /// `None` when suppressed or without a cost.
    pub cost_per_person: Option<f64>,
    pub suppressed: bool,
    /// Plan goals the referrals were made for, rated achieved; `None` when suppressed.
    pub goals_achieved: Option<i64>,
    pub cost_per_goal: Option<f64>,
    /// Follow-up reviews at 3 months of the cases served, and the share living at home (0–1);
    /// `None` when suppressed (1–4 reviews) or without reviews.
    pub followed_3m: Option<i64>,
    pub at_home_3m: Option<f64>,
    /// The same at 6–12 months.
    pub followed_12m: Option<i64>,
    pub at_home_12m: Option<f64>,
    /// The referrals of the service sent in the period to providers of this way: accepted within
    /// WORKFLOW.md's deadline, days to acceptance, declined, waiting (as a contract's).
    pub timeliness: Timeliness,
}

/// Residential care as goldaw recorded it in the reader's scope in the period: the bed-nights
/// delivered on `RES_CARE` episodes, the people who stayed, and what that cost at the cost
/// model's cost per bed-night (the model's cost per person-year ÷ 365). People from 1 to 4 are
/// hidden, with the bed-nights and the costs: in a small etrap one woman's bed-nights in a
/// shelter are the length of her stay.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResidentialDelivered {
    /// `None` when suppressed.
    pub units: Option<i64>,
    pub people: Option<i64>,
    /// In manat; `None` without a cost per bed-night in the model, or when suppressed.
    pub cost: Option<f64>,
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
    /// The cost model's cost of the service per user-year in the community (manat).
    pub community_per_user_year: Option<f64>,
    /// Residential care's cost per person-year in the same model (manat).
    pub residential_per_person_year: Option<f64>,
    /// Community ÷ residential.
    pub community_to_residential: Option<f64>,
    /// What the service delivered cost per person served in the period, all ways together (the
    /// people counted once); `None` when suppressed (1–4 people) or without a cost.
    pub community_delivered_per_person: Option<f64>,
    /// Residential care delivered in the same scope and period.
    pub residential_delivered: ResidentialDelivered,
    pub rows: Vec<ComparisonRow>,
}

#[derive(sqlx::FromRow)]
struct DeliveryFact {
    provider_id: Uuid,
    kind: String,
    delivered_on: NaiveDate,
    units: i32,
    person_id: Uuid,
    case_id: Uuid,
    goal_id: Option<Uuid>,
    goal_achieved: i32,
}

#[derive(sqlx::FromRow)]
struct FollowUp {
    case_id: Uuid,
    kind: String,
    living_at_home: Option<bool>,
}

/// Deliveries of a service in a period whose case lies in a unit range.
const DELIVERIES_IN_SCOPE: &str = "FROM service_deliveries d
     JOIN service_episodes e ON e.id = d.episode_id
     JOIN service_referrals r ON r.id = e.referral_id
     JOIN cases c ON c.id = r.case_id
     WHERE r.service_code = $1 AND d.delivered_on >= $2 AND d.delivered_on <= $3
       AND c.admin_unit >= $4 AND c.admin_unit < $5";

/// A count shown only from [`THRESHOLD`] on (or to a reader with the grant).
fn shown(n: i64, unsuppressed: bool) -> Option<i64> {
    (unsuppressed || n == 0 || n >= THRESHOLD).then_some(n)
}

/// The share living at home among the reviews that say, as (reviews, rate).
fn at_home(reviews: &[Option<bool>], unsuppressed: bool) -> (Option<i64>, Option<f64>) {
    let said: Vec<bool> = reviews.iter().filter_map(|r| *r).collect();
    let n = said.len() as i64;
    match shown(n, unsuppressed) {
        Some(n) if n > 0 => {
            let yes = said.iter().filter(|r| **r).count() as f64;
            (Some(n), Some((yes / n as f64 * 1000.0).round() / 1000.0))
        }
        shown => (shown, None),
    }
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
            return Err(super::denied("contracting-denied-comparison"));
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
        let Some((lo, hi)) = unit_range(principal) else {
            return Err(super::denied("contracting-denied-comparison"));
        };
        type Priced = Vec<(Uuid, i64, NaiveDate, NaiveDate)>;
        let facts_sql = format!(
            "SELECT pr.id AS provider_id, pr.kind, d.delivered_on, d.units, r.person_id, r.case_id, r.goal_id,
                    CASE WHEN EXISTS (SELECT 1 FROM review_goals rg WHERE rg.goal_id = r.goal_id AND rg.rating = 'achieved')
                         THEN 1 ELSE 0 END AS goal_achieved
             {DELIVERIES_IN_SCOPE}"
        )
        .replace("JOIN cases c", "JOIN providers pr ON pr.id = r.provider_id JOIN cases c");
        let follow_sql = format!(
            "SELECT rv.case_id, rv.kind, rv.living_at_home FROM reviews rv
             WHERE rv.kind IN ('follow_up_short', 'follow_up_long')
               AND rv.case_id IN (SELECT r.case_id {DELIVERIES_IN_SCOPE})"
        );
        let timing_sql = "SELECT r.provider_id, r.sent_at, r.status, r.decided_at, c.priority
             FROM service_referrals r JOIN cases c ON c.id = r.case_id
             WHERE r.service_code = $1 AND r.provider_id IS NOT NULL AND r.sent_at >= $2 AND r.sent_at < $3
               AND c.admin_unit >= $4 AND c.admin_unit < $5";
        type Kinds = Vec<(Uuid, String)>;
        let (timings, kinds, res_care): (Vec<TimingRow>, Kinds, (i64, i64)) = with_db!(self.db(), pool => {
            let res_care = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(d.units), 0) AS BIGINT), COUNT(DISTINCT e.person_id)
                 FROM service_deliveries d
                 JOIN service_episodes e ON e.id = d.episode_id
                 JOIN cases c ON c.id = e.case_id
                 WHERE e.service_code = 'RES_CARE' AND d.delivered_on >= $1 AND d.delivered_on <= $2
                   AND c.admin_unit >= $3 AND c.admin_unit < $4")
                .bind(from)
                .bind(to)
                .bind(&lo)
                .bind(&hi)
                .fetch_one(pool)
                .await?;
            let timings = sqlx::query_as(timing_sql)
                .bind(service.as_str())
                .bind(start_of_local_day(from))
                .bind(start_of_local_day(to.succ_opt().unwrap_or(to)))
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?;
            let kinds = sqlx::query_as("SELECT id, kind FROM providers").fetch_all(pool).await?;
            (timings, kinds, res_care)
        });
        let (facts, follow_ups, contracts): (Vec<DeliveryFact>, Vec<FollowUp>, Priced) = with_db!(self.db(), pool => {
            let facts = sqlx::query_as(&facts_sql)
                .bind(service.as_str())
                .bind(from)
                .bind(to)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?;
            let follow_ups = sqlx::query_as(&follow_sql)
                .bind(service.as_str())
                .bind(from)
                .bind(to)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?;
            let contracts = sqlx::query_as(
                "SELECT provider_id, price_per_unit, period_from, period_to FROM contracts WHERE service_code = $1")
                .bind(service.as_str())
                .fetch_all(pool)
                .await?;
            (facts, follow_ups, contracts)
        });
        let model = CostModel::shipped().ok();
        let model_unit_cost = model.as_ref().and_then(|m| m.unit_cost(service.as_str()));
        let community = model
            .as_ref()
            .and_then(|m| m.cost_per_place_year(service.as_str()));
        let residential = model
            .as_ref()
            .map(|m| m.residential.cost_per_person_year)
            .filter(|r| *r > 0.0);
        #[derive(Default)]
        struct Acc {
            units: i64,
            people: BTreeSet<Uuid>,
            cost: f64,
            costed: bool,
            goals: BTreeSet<Uuid>,
            cases: BTreeSet<Uuid>,
        }
        let mut acc: BTreeMap<DeliveryWay, Acc> = BTreeMap::new();
        let mut everyone = Acc::default();
        for f in facts {
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
            a.cases.insert(f.case_id);
            if let (Some(goal), 1) = (f.goal_id, f.goal_achieved) {
                a.goals.insert(goal);
            }
            let unit_cost = match (way, price) {
                (DeliveryWay::NgoContracted, Some(p)) => Some(p as f64 / 100.0),
                _ => model_unit_cost,
            };
            if let Some(c) = unit_cost {
                a.cost += c * f64::from(f.units);
                a.costed = true;
                everyone.cost += c * f64::from(f.units);
                everyone.costed = true;
            }
            everyone.people.insert(f.person_id);
        }
        let unsuppressed = principal.may(Permission::ReadUnsuppressed);
        let hidden = |people: i64| !unsuppressed && (1..THRESHOLD).contains(&people);
        let round = |c: f64| (c * 100.0).round() / 100.0;
        let community_delivered_per_person = {
            let people = everyone.people.len() as i64;
            let cost = everyone.costed.then(|| round(everyone.cost));
            cost.filter(|_| !hidden(people))
                .and_then(|c| per(c, people))
        };
        let residential_delivered = {
            let (units, people) = res_care;
            let cost = model
                .as_ref()
                .and_then(|m| m.unit_cost("RES_CARE"))
                .map(|c| round(c * units as f64));
            let suppressed = hidden(people);
            ResidentialDelivered {
                units: (!suppressed).then_some(units),
                people: (!suppressed).then_some(people),
                cost: cost.filter(|_| !suppressed),
                cost_per_person: cost.filter(|_| !suppressed).and_then(|c| per(c, people)),
                suppressed,
            }
        };
        let kinds: BTreeMap<Uuid, String> = kinds.into_iter().collect();
        let mut by_way: BTreeMap<DeliveryWay, Vec<ReferralTiming>> = BTreeMap::new();
        for t in &timings {
            let Some(kind) = kinds.get(&t.provider_id) else {
                continue;
            };
            let kind: ProviderKind = kind.parse().map_err(|e| corrupt("provider kind", e))?;
            let day = local_date(t.sent_at);
            let contracted = contracts
                .iter()
                .any(|(p, _, a, b)| *p == t.provider_id && *a <= day && day <= *b);
            by_way
                .entry(delivery_way(kind, contracted))
                .or_default()
                .push(t.timing()?);
        }
        let deadlines = self.deadlines();
        let now = chrono::Utc::now();
        let rows = DeliveryWay::ALL
            .iter()
            .map(|way| {
                let a = acc.remove(way).unwrap_or_default();
                let people = a.people.len() as i64;
                let suppressed = !unsuppressed && (1..THRESHOLD).contains(&people);
                let cost = a.costed.then(|| (a.cost * 100.0).round() / 100.0);
                let goals = a.goals.len() as i64;
                let reviews = |kind: &str| -> Vec<Option<bool>> {
                    follow_ups
                        .iter()
                        .filter(|r| r.kind == kind && a.cases.contains(&r.case_id))
                        .map(|r| r.living_at_home)
                        .collect()
                };
                let (followed_3m, at_home_3m) = at_home(&reviews("follow_up_short"), unsuppressed);
                let (followed_12m, at_home_12m) = at_home(&reviews("follow_up_long"), unsuppressed);
                ComparisonRow {
                    way: *way,
                    units: (!suppressed).then_some(a.units),
                    people: (!suppressed).then_some(people),
                    cost: cost.filter(|_| !suppressed),
                    // The price of a unit tells nothing of the people.
                    cost_per_unit: cost.and_then(|c| per(c, a.units)),
                    cost_per_person: if suppressed {
                        None
                    } else {
                        cost.and_then(|c| per(c, people))
                    },
                    suppressed,
                    goals_achieved: (!suppressed).then_some(goals),
                    cost_per_goal: if suppressed {
                        None
                    } else {
                        cost.and_then(|c| per(c, goals))
                    },
                    followed_3m,
                    at_home_3m,
                    followed_12m,
                    at_home_12m,
                    timeliness: timeliness(
                        by_way.get(way).map_or(&[][..], Vec::as_slice),
                        &deadlines,
                        now,
                        unsuppressed,
                    ),
                }
            })
            .collect();
        Ok(Comparison {
            service_code: service.to_string(),
            from,
            to,
            model_unit_cost: model_unit_cost.map(|c| (c * 100.0).round() / 100.0),
            community_per_user_year: community.map(|c| (c * 100.0).round() / 100.0),
            residential_per_person_year: residential.map(|c| (c * 100.0).round() / 100.0),
            community_to_residential: community
                .zip(residential)
                .map(|(c, r)| (c / r * 1000.0).round() / 1000.0),
            community_delivered_per_person,
            residential_delivered,
            rows,
        })
    }
}
