//! Service episodes and units by service and provider, and the goals rated at reviews.

use super::gather::in_range;
use super::workflow::Gathered;
use crate::error::StoreResult;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::indicators::{Record, GBV_SERVICES};
use goldaw_core::statistics::Period;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct EpisodeRow {
    id: Uuid,
    person_id: Uuid,
    service_code: String,
    provider_id: Option<String>,
    started_on: NaiveDate,
    units: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    episode_id: Uuid,
    delivered_on: NaiveDate,
    units: i64,
}

#[derive(sqlx::FromRow)]
struct RatingRow {
    review_id: Uuid,
    case_id: Uuid,
    held_on: NaiveDate,
    created_at: chrono::DateTime<chrono::Utc>,
    goal_id: Uuid,
    rating: String,
}

/// The value of the provider column for an episode without a provider (etrap social work).
pub(crate) const NO_PROVIDER: &str = "none";

/// Episodes gathered, and the providers whose rows are about survivors of violence.
pub(crate) struct Episodes {
    pub gathered: Gathered,
    pub gbv_providers: BTreeSet<String>,
}

impl Store {
    /// Every episode overlapping the period of a person in the unit range, with the units
    /// delivered in the period.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn episode_records(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Episodes> {
        // All services, each by the (service_code, started_on, ended_on) index.
        let services: Vec<(String,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT code FROM services ORDER BY code").fetch_all(pool).await?
        });
        let mut q = String::from(
            "SELECT id, person_id, service_code, provider_id, started_on, CAST(units AS BIGINT) AS units
             FROM service_episodes WHERE service_code IN (",
        );
        for (i, _) in services.iter().enumerate() {
            if i > 0 {
                q.push_str(", ");
            }
            q.push_str(&format!("${}", i + 3));
        }
        q.push_str(") AND started_on <= $1 AND (ended_on IS NULL OR ended_on >= $2)");
        let episodes: Vec<EpisodeRow> = if services.is_empty() {
            Vec::new()
        } else {
            with_db!(self.db(), pool => {
                let mut query = sqlx::query_as(&q).bind(period.to()).bind(period.from());
                for (code,) in &services {
                    query = query.bind(code);
                }
                query.fetch_all(pool).await?
            })
        };
        let persons = self
            .persons_by_id(&episodes.iter().map(|e| e.person_id).collect::<Vec<_>>())
            .await?;
        let episodes: Vec<EpisodeRow> = episodes
            .into_iter()
            .filter(|e| {
                persons
                    .get(&e.person_id)
                    .is_some_and(|p| in_range(&p.admin_unit, range))
            })
            .collect();
        let deliveries: Vec<DeliveryRow> = self
            .rows_by_ids(
                "SELECT episode_id, delivered_on, CAST(units AS BIGINT) AS units FROM service_deliveries",
                "episode_id",
                &episodes.iter().map(|e| e.id).collect::<Vec<_>>(),
            )
            .await?;
        // Units in the period: each recorded delivery on its day; an episode without any
        // recorded delivery (imported with a total only) counts its total on its first day.
        let mut delivered: HashMap<Uuid, u64> = HashMap::new();
        for d in &deliveries {
            let units = delivered.entry(d.episode_id).or_default();
            if (period.from()..=period.to()).contains(&d.delivered_on) {
                *units += u64::try_from(d.units).unwrap_or(0);
            }
        }
        let mut records = Vec::with_capacity(episodes.len());
        let mut gbv_providers = BTreeSet::new();
        for e in &episodes {
            let Some(person) = persons.get(&e.person_id) else {
                continue;
            };
            let provider = e
                .provider_id
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| NO_PROVIDER.to_owned());
            if GBV_SERVICES.contains(&e.service_code.as_str()) {
                gbv_providers.insert(provider.clone());
            }
            let units = match delivered.get(&e.id) {
                Some(n) => *n,
                None if (period.from()..=period.to()).contains(&e.started_on) => {
                    e.units.and_then(|u| u64::try_from(u).ok()).unwrap_or(0)
                }
                None => 0,
            };
            let mut record = Record::new(
                e.id,
                person.facts(self, &person.admin_unit, &e.service_code)?,
                vec![provider],
            );
            record.units = units;
            records.push(record);
        }
        Ok(Episodes {
            gathered: Gathered {
                records,
                imported: false,
            },
            gbv_providers,
        })
    }

    /// Goals rated at reviews held in the period, each with its latest rating there.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn outcome_records(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Gathered> {
        let ratings: Vec<RatingRow> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT r.id AS review_id, r.case_id, r.held_on, r.created_at, g.goal_id, g.rating
                 FROM reviews r JOIN review_goals g ON g.review_id = r.id
                 WHERE r.held_on >= $1 AND r.held_on <= $2",
            )
            .bind(period.from())
            .bind(period.to())
            .fetch_all(pool)
            .await?
        });
        let mut latest: HashMap<Uuid, &RatingRow> = HashMap::new();
        for r in &ratings {
            let newer = latest.get(&r.goal_id).is_none_or(|l| {
                (r.held_on, r.created_at, r.review_id) > (l.held_on, l.created_at, l.review_id)
            });
            if newer {
                latest.insert(r.goal_id, r);
            }
        }
        let cases = self
            .cases_in_range(
                &latest.values().map(|r| r.case_id).collect::<Vec<_>>(),
                range,
            )
            .await?;
        let persons = self
            .persons_by_id(&cases.values().map(|c| c.person_id).collect::<Vec<_>>())
            .await?;
        let mut records = Vec::with_capacity(latest.len());
        for (goal, r) in &latest {
            let Some(case) = cases.get(&r.case_id) else {
                continue;
            };
            let Some(person) = persons.get(&case.person_id) else {
                continue;
            };
            records.push(Record::new(
                *goal,
                person.facts(self, &case.admin_unit, "")?,
                vec![r.rating.clone()],
            ));
        }
        Ok(Gathered {
            records,
            imported: false,
        })
    }
}
