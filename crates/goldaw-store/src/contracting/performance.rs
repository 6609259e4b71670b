//! A contract's performance (issue #21, item 6): the referrals made to its provider for its
//! service in its etraps during its period, how promptly they were accepted against WORKFLOW.md's
//! deadline, the waiting list now, and what was delivered month by month against the targets
//! (`goldaw_core::contracting::timeliness`). The rows are selected, and the deliveries summed by
//! day, in SQL; a keeper reads only the cases in the keeper's scope (a range condition on the
//! case's unit, as every scoped read), the provider's staff the referrals made to their
//! organisation. Small counts are hidden unless the reader holds the unsuppressed grant.

use super::contracts::ContractRow;
use crate::error::{StoreError, StoreResult};
use crate::scope::unit_range;
use crate::service_referrals::corrupt;
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::Priority;
use goldaw_core::contracting::timeliness::{
    performance, DeliveredByDay, Performance, ReferralTiming, Targets,
};
use goldaw_core::deadlines::LOCAL_OFFSET;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct TimingRow {
    pub(crate) provider_id: Uuid,
    pub(crate) sent_at: DateTime<Utc>,
    pub(crate) status: String,
    pub(crate) decided_at: Option<DateTime<Utc>>,
    pub(crate) priority: Option<String>,
}

impl TimingRow {
    pub(crate) fn timing(&self) -> StoreResult<ReferralTiming> {
        Ok(ReferralTiming {
            sent_at: self.sent_at,
            status: self
                .status
                .parse()
                .map_err(|e| corrupt("referral status", e))?,
            decided_at: self.decided_at,
            priority: self
                .priority
                .as_deref()
                .map(str::parse::<Priority>)
                .transpose()
                .map_err(|e| corrupt("case priority", e))?,
        })
    }
}

/// The contract's referrals: to its provider, for its service, through the provider's offers in
/// the tender's etraps (the same as the delivery report's). `$1` provider, `$2` service, `$3`
/// tender.
const CONTRACT_REFERRALS: &str = "FROM service_referrals r
     JOIN provider_services o ON o.id = r.provider_service_id
     JOIN cases c ON c.id = r.case_id
     WHERE r.provider_id = $1 AND r.service_code = $2
       AND o.admin_unit IN (SELECT admin_unit FROM tender_units WHERE tender_id = $3)";

/// The keeper's scope: `$6`, `$7` the unit range.
const IN_SCOPE: &str = " AND c.admin_unit >= $6 AND c.admin_unit < $7";

/// The first instant of a local day, in UTC.
pub(crate) fn start_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    (day.and_time(chrono::NaiveTime::MIN) - LOCAL_OFFSET).and_utc()
}

impl Store {
    /// The performance of a contract the reader sees (`keeper`: the reader keeps it; otherwise
    /// the reader is its provider's staff).
    pub(crate) async fn contract_performance(
        &self,
        principal: &Principal,
        row: &ContractRow,
        keeper: bool,
    ) -> StoreResult<Performance> {
        let range = if keeper {
            Some(unit_range(principal).ok_or(StoreError::NotFound)?)
        } else {
            None
        };
        let scope = if range.is_some() { IN_SCOPE } else { "" };
        let referrals_sql = format!(
            "SELECT r.provider_id, r.sent_at, r.status, r.decided_at, c.priority {CONTRACT_REFERRALS}
               AND r.sent_at >= $4 AND r.sent_at < $5{scope}"
        );
        let units_sql = format!(
            "SELECT d.delivered_on, CAST(SUM(d.units) AS BIGINT)
             FROM service_deliveries d
             JOIN service_episodes e ON e.id = d.episode_id
             JOIN service_referrals r ON r.id = e.referral_id
             JOIN provider_services o ON o.id = r.provider_service_id
             JOIN cases c ON c.id = r.case_id
             WHERE r.provider_id = $1 AND r.service_code = $2
               AND o.admin_unit IN (SELECT admin_unit FROM tender_units WHERE tender_id = $3)
               AND d.delivered_on >= $4 AND d.delivered_on <= $5{scope}
             GROUP BY d.delivered_on"
        );
        let first_sql = format!(
            "SELECT f.first_on, COUNT(*) FROM (
                 SELECT r.person_id, MIN(d.delivered_on) AS first_on
                 FROM service_deliveries d
                 JOIN service_episodes e ON e.id = d.episode_id
                 JOIN service_referrals r ON r.id = e.referral_id
                 JOIN provider_services o ON o.id = r.provider_service_id
                 JOIN cases c ON c.id = r.case_id
                 WHERE r.provider_id = $1 AND r.service_code = $2
                   AND o.admin_unit IN (SELECT admin_unit FROM tender_units WHERE tender_id = $3)
                   AND d.delivered_on >= $4 AND d.delivered_on <= $5{scope}
                 GROUP BY r.person_id) f
             GROUP BY f.first_on"
        );
        let goals_sql = format!(
            "SELECT g.first_on, COUNT(*) FROM (
                 SELECT rg.goal_id, MIN(rv.held_on) AS first_on
                 FROM review_goals rg JOIN reviews rv ON rv.id = rg.review_id
                 WHERE rg.rating = 'achieved'
                   AND rg.goal_id IN (SELECT r.goal_id {CONTRACT_REFERRALS} AND r.goal_id IS NOT NULL{scope})
                 GROUP BY rg.goal_id) g
             WHERE g.first_on >= $4 AND g.first_on <= $5
             GROUP BY g.first_on"
        );
        let (from, to) = (row.period_from, row.period_to);
        let (from_at, to_at) = (
            start_of_local_day(from),
            start_of_local_day(to.succ_opt().unwrap_or(to)),
        );
        type Days = Vec<(NaiveDate, i64)>;
        let (timings, units, first, goals): (Vec<TimingRow>, Days, Days, Days) = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&referrals_sql)
                .bind(row.provider_id)
                .bind(&row.service_code)
                .bind(row.tender_id)
                .bind(from_at)
                .bind(to_at);
            if let Some((lo, hi)) = &range {
                q = q.bind(lo).bind(hi);
            }
            let timings = q.fetch_all(pool).await?;
            let mut by_day = Vec::new();
            for sql in [&units_sql, &first_sql, &goals_sql] {
                let mut q = sqlx::query_as(sql)
                    .bind(row.provider_id)
                    .bind(&row.service_code)
                    .bind(row.tender_id)
                    .bind(from)
                    .bind(to);
                if let Some((lo, hi)) = &range {
                    q = q.bind(lo).bind(hi);
                }
                by_day.push(q.fetch_all(pool).await?);
            }
            let goals = by_day.pop().unwrap_or_default();
            let first = by_day.pop().unwrap_or_default();
            let units = by_day.pop().unwrap_or_default();
            (timings, units, first, goals)
        });
        let referrals = timings
            .iter()
            .map(TimingRow::timing)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(performance(
            Targets {
                from,
                to,
                people: i64::from(row.target_people),
                units: i64::from(row.target_units),
            },
            &referrals,
            &DeliveredByDay {
                units,
                first_served: first,
                goals_achieved: goals,
            },
            &self.deadlines(),
            Utc::now(),
            principal.may(Permission::ReadUnsuppressed),
        ))
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Tests only (the `testing` feature): a referral was sent at `sent_at` and decided at
    /// `decided_at`, as a later read would find it after days of waiting; no route calls it.
    pub async fn testing_move_referral_times(
        &self,
        referral: Uuid,
        sent_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        with_db!(self.db(), pool => {
            sqlx::query("UPDATE service_referrals SET sent_at = $1, decided_at = COALESCE($2, decided_at) WHERE id = $3")
                .bind(sent_at)
                .bind(decided_at)
                .bind(referral)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
