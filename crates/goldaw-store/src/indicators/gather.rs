//! Reading what the indicators count: rows by their ids in chunks (primary keys, never a scan of
//! the nation's persons), the persons cases and episodes are about, cases and their history.

use super::publish::velayat_of;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use goldaw_core::codes::Sex;
use goldaw_core::deadlines::LOCAL_OFFSET;
use goldaw_core::statistics::{Period, ServiceUse};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use std::collections::HashMap;
use uuid::Uuid;

/// The persons' facts the dimensions need.
#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub id: Uuid,
    pub admin_unit: String,
    pub sex: String,
    pub birth_date: Option<NaiveDate>,
    pub disability: bool,
    pub target_groups: String,
    pub settlement: Option<String>,
}

impl PersonRow {
    /// The facts of this person, placed in `place` (the person's own unit for episodes, the
    /// case's etrap for cases), using `service` (episodes only).
    pub(crate) fn facts(
        &self,
        store: &Store,
        place: &str,
        service: &str,
    ) -> StoreResult<ServiceUse> {
        Ok(ServiceUse {
            person: self.id,
            service: service.to_owned(),
            admin_unit: place.to_owned(),
            velayat: velayat_of(&store.catalogue(), place),
            sex: self
                .sex
                .parse::<Sex>()
                .map_err(|e| StoreError::Corrupt(format!("sex: {e}")))?,
            birth_date: self.birth_date,
            disability: self.disability,
            target_groups: self
                .target_groups
                .split(';')
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
            settlement: self.settlement.clone(),
        })
    }
}

/// A case, with what the indicators need of it.
#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub admin_unit: String,
    pub referral_source: String,
    pub priority: Option<String>,
    pub status: String,
    pub closed_on: Option<NaiveDate>,
    /// Set for cases registered in goldaw; `None` for imported ones, which have no history.
    pub referred_at: Option<DateTime<Utc>>,
    /// The worker code of an imported case, or the username of the allocated worker.
    pub worker_id: Option<String>,
}

impl CaseRow {
    pub(crate) fn imported(&self) -> bool {
        self.referred_at.is_none()
    }
}

pub(crate) const CASE_COLUMNS: &str = "SELECT id, person_id, admin_unit, referral_source, priority, status, closed_on, referred_at, worker_id FROM cases";

/// One event of a case's history.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub case_id: Uuid,
    pub at: DateTime<Utc>,
    pub action: String,
    pub to_status: Option<String>,
    pub detail: Option<String>,
}

pub(crate) const EVENT_COLUMNS: &str =
    "SELECT case_id, at, action, to_status, detail FROM case_events";

/// The instants the local days of the period begin and end: `[start, end)`.
pub(crate) fn instants(period: &Period) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| (d.and_time(NaiveTime::MIN) - LOCAL_OFFSET).and_utc();
    let after = period.to().succ_opt().unwrap_or(NaiveDate::MAX);
    (start(period.from()), start(after))
}

/// Whether `unit` lies in the principal's unit range.
pub(crate) fn in_range(unit: &str, (lo, hi): &(String, String)) -> bool {
    unit >= lo.as_str() && unit < hi.as_str()
}

impl Store {
    /// Rows of `select` (a `SELECT … FROM table` without WHERE) whose `column` is one of `ids`,
    /// read in chunks by that column's index.
    pub(crate) async fn rows_by_ids<R>(
        &self,
        select: &str,
        column: &str,
        ids: &[Uuid],
    ) -> StoreResult<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        match self.db() {
            crate::db::Db::Sqlite(pool) => {
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::new(select);
                    q.push(format!(" WHERE {column} IN ("));
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    out.extend(q.build_query_as::<R>().fetch_all(pool).await?);
                }
            }
            crate::db::Db::Postgres(pool) => {
                for chunk in ids.chunks(10_000) {
                    out.extend(
                        sqlx::query_as::<_, R>(&format!("{select} WHERE {column} = ANY($1)"))
                            .bind(chunk)
                            .fetch_all(pool)
                            .await?,
                    );
                }
            }
        }
        Ok(out)
    }

    /// The persons of `ids`, by id.
    pub(crate) async fn persons_by_id(
        &self,
        ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, PersonRow>> {
        let rows: Vec<PersonRow> = self
            .rows_by_ids(
                "SELECT id, admin_unit, sex, birth_date, disability, target_groups, settlement FROM persons",
                "id",
                ids,
            )
            .await?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }

    /// Cases in the unit range opened in the period (their referral).
    pub(crate) async fn cases_opened(
        &self,
        range: &(String, String),
        period: &Period,
    ) -> StoreResult<Vec<CaseRow>> {
        let sql = format!(
            "{CASE_COLUMNS} WHERE opened_on >= $1 AND opened_on <= $2 AND admin_unit >= $3 AND admin_unit < $4"
        );
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(period.from())
                .bind(period.to())
                .bind(&range.0)
                .bind(&range.1)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Events of these actions in the period (any case; the caller scopes by the case).
    pub(crate) async fn events_in(
        &self,
        actions: &[&str],
        period: &Period,
    ) -> StoreResult<Vec<EventRow>> {
        let (start, end) = instants(period);
        // The action names are constants of the workflow, not input.
        let list = actions
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("{EVENT_COLUMNS} WHERE action IN ({list}) AND at >= $1 AND at < $2");
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(start)
                .bind(end)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Every event of these cases, oldest first per case.
    pub(crate) async fn histories(
        &self,
        cases: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, Vec<EventRow>>> {
        let rows: Vec<EventRow> = self.rows_by_ids(EVENT_COLUMNS, "case_id", cases).await?;
        let mut out: HashMap<Uuid, Vec<EventRow>> = HashMap::new();
        for e in rows {
            out.entry(e.case_id).or_default().push(e);
        }
        for events in out.values_mut() {
            events.sort_by_key(|e| e.at);
        }
        Ok(out)
    }

    /// The cases of `ids` that lie in the unit range, by id.
    pub(crate) async fn cases_in_range(
        &self,
        ids: &[Uuid],
        range: &(String, String),
    ) -> StoreResult<HashMap<Uuid, CaseRow>> {
        let rows: Vec<CaseRow> = self.rows_by_ids(CASE_COLUMNS, "id", ids).await?;
        Ok(rows
            .into_iter()
            .filter(|c| in_range(&c.admin_unit, range))
            .map(|c| (c.id, c))
            .collect())
    }
}
