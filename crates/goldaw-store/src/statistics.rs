//! Statistics reports (issue #5): counts gathered with the indexes, split in Rust, suppressed
//! before anyone sees them.
//!
//! Service users come from `report_service_uses` (migration 0008): one narrow row per episode of
//! a counted service with the person's attributes beside it, kept by triggers on
//! `service_episodes` and `persons`. About 15,000 of 7 million people used a service in a year,
//! so a report is one range scan of that table's period index, grouped and counted in the
//! database, never a read of the nation's persons table.

use crate::audit::AuditEvent;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::release::pg_key_sum;
use crate::scope::unit_range;
use crate::{DatabaseUrl, Store};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cell_key::{self, Counted, RecordKeys};
use goldaw_core::disclosure::{self, Published, Rule};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::indicators::is_gbv_value;
use goldaw_core::statistics::{
    attributes, born_by, cells_from_groups, AgeBand, Attribute, Dimension, Period,
};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

/// Fills `report_service_uses` from the base tables, as migration 0008 did: for a bulk import,
/// which leaves the per-row triggers out while it loads episodes into an empty table.
pub(crate) const REFILL_REPORT_SERVICE_USES: &str = "DELETE FROM report_service_uses;
    INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
        earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
    SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
           admin_unit, sex, birth_date, disability, settlement, target_groups
    FROM report_service_uses_source;";

/// A published report: the dimensions in the order asked, then one row per non-empty cell.
#[derive(Debug, Clone)]
pub struct Report {
    pub dimensions: Vec<Dimension>,
    pub rows: Vec<ReportRow>,
    /// The rule applied (its threshold is 0 when unsuppressed).
    pub rule: Rule,
    /// Whether the shown counts are perturbed (`goldaw_core::cell_key`): for readers without
    /// the unsuppressed grant.
    pub perturbed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub values: Vec<String>,
    pub count: Published<u64>,
}

/// How small cells are treated, as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The standard rule (k = 5), stricter for sensitive target groups.
    Standard,
    /// Counts from 1 to k − 1 hidden; `k = 0` (or 1) turns suppression off, which needs the
    /// unsuppressed grant.
    MinCell(u64),
}

impl Store {
    /// Service users in `period` (INTERCHANGE.md "Report semantics") by `dims`, within the
    /// principal's scope, suppressed by `suppression`. Audited as a report read (counts only).
    #[tracing::instrument(skip_all)]
    pub async fn service_users(
        &self,
        principal: &Principal,
        period: Period,
        dims: &[Dimension],
        suppression: Suppression,
    ) -> StoreResult<Report> {
        require(principal, Permission::ReadReports)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        crate::indicators::may_ask(principal, suppression)?;
        let released = self.released(principal, Some(&period))?;
        let counts = self
            .service_user_counts(&lo, &hi, &period, dims, released.keys.as_ref())
            .await?;
        let rule = self.report_rule(principal, dims, &counts, suppression)?;
        let perturbed = released.perturbs() && !rule.is_off();
        let (rows, rule) = if rule.is_off() {
            let rows = counts
                .into_iter()
                .map(|(values, c)| ReportRow {
                    values,
                    count: Published::Shown { value: c.n },
                })
                .collect();
            (rows, rule)
        } else {
            self.suppressed_rows(dims, counts, rule, perturbed)?
        };
        self.audit(
            principal,
            AuditEvent::plain("report.service_users").with_detail(format!(
                "{}..{} by [{}], {} cells, k={}",
                period.from(),
                period.to(),
                dims.iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                rows.len(),
                rule.threshold()
            )),
        )
        .await?;
        Ok(Report {
            dimensions: dims.to_vec(),
            rows,
            rule,
            perturbed,
        })
    }

    /// The total of service users in each of `periods` (the months of a chart), as
    /// [`Store::service_users`] would publish each without dimensions, from one scan of
    /// `report_service_uses` over the span of all of them instead of one scan per period: a
    /// month's scan reads every use still running after it began, so a year of months read the
    /// running uses twelve times. Each period is counted as its own report (distinct persons
    /// with a use overlapping it), suppressed on its own and audited as its own report read.
    #[tracing::instrument(skip_all, fields(periods = periods.len()))]
    pub async fn service_user_totals(
        &self,
        principal: &Principal,
        periods: &[Period],
        suppression: Suppression,
    ) -> StoreResult<Vec<Report>> {
        require(principal, Permission::ReadReports)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        crate::indicators::may_ask(principal, suppression)?;
        // Every period is checked: a chart's buckets are whole months or quarters when the
        // period asked for is a whole calendar period.
        let mut released = None;
        for period in periods {
            released = Some(self.released(principal, Some(period))?);
        }
        let keys = released.and_then(|r| r.keys);
        let (Some(from), Some(to)) = (
            periods.iter().map(Period::from).min(),
            periods.iter().map(Period::to).max(),
        ) else {
            return Ok(Vec::new());
        };
        let sql = "SELECT person_id, started_on, until_on FROM report_service_uses
                   WHERE until_on >= $1 AND started_on <= $2 AND admin_unit >= $3 AND admin_unit < $4";
        let uses: Vec<(uuid::Uuid, chrono::NaiveDate, chrono::NaiveDate)> = with_db!(self.db(), pool => {
            sqlx::query_as(sql)
                .bind(from)
                .bind(to)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
        });
        let mut reports = Vec::with_capacity(periods.len());
        for period in periods {
            let persons: BTreeSet<uuid::Uuid> = uses
                .iter()
                .filter(|(_, started, until)| *started <= period.to() && *until >= period.from())
                .map(|(person, ..)| *person)
                .collect();
            let mut all = Counted::default();
            for person in &persons {
                all += Counted::one(keys.as_ref().map_or(0, |k| k.of(person)));
            }
            let counts = if all.n == 0 {
                Vec::new()
            } else {
                vec![(Vec::new(), all)]
            };
            let rule = self.report_rule(principal, &[], &counts, suppression)?;
            let perturbed = keys.is_some() && !rule.is_off();
            let (rows, rule) = if rule.is_off() {
                let rows = counts
                    .into_iter()
                    .map(|(values, c)| ReportRow {
                        values,
                        count: Published::Shown { value: c.n },
                    })
                    .collect();
                (rows, rule)
            } else {
                self.suppressed_rows(&[], counts, rule, perturbed)?
            };
            reports.push((
                *period,
                Report {
                    dimensions: Vec::new(),
                    rows,
                    rule,
                    perturbed,
                },
            ));
        }
        // One event per table, as if each had been asked for alone; awaited together, so they
        // commit in one group.
        futures::future::try_join_all(reports.iter().map(|(period, report)| {
            self.audit(
                principal,
                AuditEvent::plain("report.service_users").with_detail(format!(
                    "{}..{} by [], {} cells, k={}",
                    period.from(),
                    period.to(),
                    report.rows.len(),
                    report.rule.threshold()
                )),
            )
        }))
        .await?;
        Ok(reports.into_iter().map(|(_, r)| r).collect())
    }

    /// Service users in the period per cell of `dims`, persons in the unit range `lo..hi`.
    ///
    /// One range scan of `report_service_uses` (migration 0008) by its period index, counting
    /// for each person only the first of their uses in the period (per service when the table
    /// is split by service): one row per service user. They are counted per group of the
    /// attributes the dimensions read, and core turns the groups into cells. Coverage counts its
    /// numerators here too. With `keys`, each group also sums its persons' record keys (for
    /// cell-key perturbation): in Rust on SQLite, in SQL on PostgreSQL.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn service_user_counts(
        &self,
        lo: &str,
        hi: &str,
        period: &Period,
        dims: &[Dimension],
        keys: Option<&RecordKeys>,
    ) -> StoreResult<Vec<(Vec<String>, Counted)>> {
        let attrs = attributes(dims);
        let scan = Scan {
            keys: keys.cloned(),
            period: *period,
            lo: lo.to_owned(),
            hi: hi.to_owned(),
            // The first use in the period is the one that nothing earlier of theirs reaches into.
            earlier: if attrs.contains(&Attribute::Service) {
                "earlier_until_service"
            } else {
                "earlier_until"
            },
            attrs,
        };
        let groups = match self.db() {
            Db::Sqlite(_) => {
                let DatabaseUrl::Sqlite(path) = self.url() else {
                    return Err(StoreError::Config(
                        "SQLite pool without a SQLite URL".into(),
                    ));
                };
                let path = path.clone();
                // rusqlite is synchronous: run it where it cannot stall the async workers.
                tokio::task::spawn_blocking(move || scan.sqlite(&path))
                    .await
                    .map_err(|e| StoreError::Config(format!("the report stopped: {e}")))??
            }
            Db::Postgres(pool) => scan.postgres(pool).await?,
        };
        let catalogue = self.catalogue();
        Ok(cells_from_groups(dims, groups, |unit| {
            velayat_of(&catalogue, unit)
        }))
    }

    /// The rule for the report: as for every indicator (`indicator_rule`), strict when a cell
    /// shows survivors of gender-based violence or children at risk (a sensitive target group,
    /// the GBV services S10 and S11).
    fn report_rule(
        &self,
        principal: &Principal,
        dims: &[Dimension],
        counts: &[(Vec<String>, Counted)],
        suppression: Suppression,
    ) -> StoreResult<Rule> {
        let gbv = counts.iter().any(|(values, _)| {
            dims.iter()
                .zip(values)
                .any(|(dim, value)| is_gbv_value(*dim, value))
        });
        self.indicator_rule(principal, suppression, gbv)
    }

    /// Builds the full table (every total of every dimension, place rolled up through the
    /// hierarchy), suppresses it, and returns the rows of the cells asked for with the rule
    /// that was applied (which hides zeros when the table could not be protected otherwise).
    /// With `perturb`, every shown count is perturbed by its cell key, a total from all of its
    /// persons (`goldaw_core::cell_key`).
    fn suppressed_rows(
        &self,
        dims: &[Dimension],
        counts: Vec<(Vec<String>, Counted)>,
        rule: Rule,
        perturb: bool,
    ) -> StoreResult<(Vec<ReportRow>, Rule)> {
        if counts.is_empty() {
            // Nobody counted: nothing to split and nothing to hide.
            return Ok((Vec::new(), rule));
        }
        if dims.is_empty() {
            // The single total: a count, suppressed if small, perturbed if asked.
            let rows = counts
                .into_iter()
                .map(|(values, c)| ReportRow {
                    values,
                    count: cell_key::release(c.n, perturb.then(|| c.cell_key()), rule),
                })
                .collect();
            return Ok((rows, rule));
        }
        let catalogue = self.catalogue();
        // Each dimension's values, in order: the leaves of the table.
        let leaves: Vec<BTreeSet<&str>> = (0..dims.len())
            .map(|i| counts.iter().map(|(v, _)| v[i].as_str()).collect())
            .collect();
        let mut tables_dims = Vec::with_capacity(dims.len());
        for (dim, values) in dims.iter().zip(&leaves) {
            let built = if *dim == Dimension::AdminUnit {
                // Leaves under their velayat: a velayat total is published too.
                let mut pairs: HashMap<String, Option<String>> = HashMap::new();
                for v in values {
                    let mut code = v.to_string();
                    while let Some(parent) = parent_of(&catalogue, &code) {
                        if parent == "TM" {
                            pairs.insert(code.clone(), None);
                            break;
                        }
                        pairs.insert(code.clone(), Some(parent.clone()));
                        code = parent;
                    }
                    pairs.entry(code).or_insert(None);
                }
                disclosure::Dimension::hierarchy(dim.as_str(), pairs)
            } else {
                disclosure::Dimension::flat(dim.as_str(), values)
            };
            tables_dims.push(built.map_err(breakdown_failed)?);
        }
        let table = disclosure::Table::from_leaves(
            tables_dims.clone(),
            counts.iter().map(|(v, c)| (v.clone(), c.n)),
        )
        .map_err(breakdown_failed)?;
        let mut published = disclosure::suppress(&table, rule)
            .map_err(|_| StoreError::refuse("by", "store-breakdown-too-fine", vec![]))?;
        if perturb {
            let keys = disclosure::Table::from_leaves(
                tables_dims,
                counts.iter().map(|(v, c)| (v.clone(), c.keys)),
            )
            .and_then(|keys| published.perturbed(&keys))
            .map_err(breakdown_failed)?;
            published = keys;
        }
        let rule = published.rule();
        let counts: Vec<(Vec<String>, u64)> =
            counts.iter().map(|(v, c)| (v.clone(), c.n)).collect();
        let row_of = |values: Vec<String>, n: u64| {
            let key: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
            let count = published.get(&key).unwrap_or(Published::Shown { value: n });
            ReportRow { values, count }
        };
        if !rule.hides_zeros() {
            return Ok((
                counts.into_iter().map(|(v, n)| row_of(v, n)).collect(),
                rule,
            ));
        }
        // Zeros are hidden like small counts, so every leaf is listed, the empty ones too: a
        // missing row would say "nobody here".
        let found: HashMap<&[String], u64> =
            counts.iter().map(|(v, n)| (v.as_slice(), *n)).collect();
        let mut keys: Vec<Vec<String>> = vec![Vec::with_capacity(dims.len())];
        for values in &leaves {
            keys = keys
                .into_iter()
                .flat_map(|key| {
                    values.iter().map(move |v| {
                        let mut k = key.clone();
                        k.push((*v).to_owned());
                        k
                    })
                })
                .collect();
        }
        let rows = keys
            .into_iter()
            .map(|key| {
                let n = found.get(key.as_slice()).copied().unwrap_or(0);
                row_of(key, n)
            })
            .collect();
        Ok((rows, rule))
    }
}

/// The uses that count for one report: one row per service user in the period, within the
/// scope, with the attributes to group by.
struct Scan {
    period: Period,
    lo: String,
    hi: String,
    /// `earlier_until` or `earlier_until_service`: which earlier uses make a row not the first.
    earlier: &'static str,
    attrs: Vec<Attribute>,
    /// When counts are to be perturbed: the record keys, summed per group.
    keys: Option<RecordKeys>,
}

impl Scan {
    /// `SELECT select FROM report_service_uses WHERE <the period, first uses, the scope>` with
    /// the period's first and last day as `$1` and `$2`, the scope's range as `$3` and `$4`.
    fn sql(&self, select: &str) -> String {
        let earlier = self.earlier;
        format!(
            "SELECT {select} FROM report_service_uses
             WHERE until_on >= $1 AND started_on <= $2 AND ({earlier} IS NULL OR {earlier} < $1)
               AND admin_unit >= $3 AND admin_unit < $4"
        )
    }

    /// SQLite: the rows are read with rusqlite and counted in a hash map. On the national set
    /// that took a third of the time of the same rows grouped by SQLite (which sorts them) and
    /// read through sqlx (whose worker thread adds a hand-off per statement and row): see
    /// bench/README.md, "Report benchmark".
    fn sqlite(&self, path: &std::path::Path) -> StoreResult<Vec<(Vec<String>, Counted)>> {
        use rusqlite::{params, types::ValueRef, OpenFlags};
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let columns: Vec<&str> = self
            .attrs
            .iter()
            .map(|a| match a {
                Attribute::AdminUnit => "admin_unit",
                Attribute::Sex => "sex",
                Attribute::AgeBand => "birth_date",
                Attribute::Disability => "disability",
                Attribute::TargetGroups => "target_groups",
                Attribute::Service => "service_code",
                Attribute::Settlement => "settlement",
            })
            .collect();
        let mut select: Vec<&str> = columns.clone();
        if self.keys.is_some() {
            // The person, last, for their record key.
            select.push("person_id");
        }
        let select = if select.is_empty() {
            "1".to_owned()
        } else {
            select.join(", ")
        };
        // Numbered parameters: ?N binds by number wherever it first appears.
        let mut stmt = conn.prepare(&self.sql(&select).replace('$', "?"))?;
        let (from, to) = (self.period.from(), self.period.to());
        let mut rows = stmt.query(params![from.to_string(), to.to_string(), self.lo, self.hi])?;
        fn text(v: ValueRef<'_>) -> StoreResult<Option<&str>> {
            match v {
                ValueRef::Null => Ok(None),
                ValueRef::Text(t) => std::str::from_utf8(t)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(format!("report_service_uses: {e}"))),
                other => Err(StoreError::Corrupt(format!(
                    "report_service_uses holds {other:?} where text belongs"
                ))),
            }
        }
        // A group's values joined by a separator no code or date contains, built in one reused
        // buffer: a row allocates nothing unless it opens a new group.
        const SEPARATOR: char = '\u{1f}';
        let mut key = String::new();
        let mut groups: HashMap<String, Counted> = HashMap::new();
        while let Some(row) = rows.next()? {
            let record_key = match &self.keys {
                None => 0,
                Some(keys) => {
                    let id: Vec<u8> = row.get(self.attrs.len())?;
                    let id = uuid::Uuid::from_slice(&id).map_err(|e| {
                        StoreError::Corrupt(format!("report_service_uses.person_id: {e}"))
                    })?;
                    keys.of(&id)
                }
            };
            key.clear();
            for (i, attr) in self.attrs.iter().enumerate() {
                if i > 0 {
                    key.push(SEPARATOR);
                }
                let value = row.get_ref(i)?;
                key.push_str(match attr {
                    Attribute::AgeBand => text(value)?
                        .and_then(|b| goldaw_core::people::parse_date(b).ok())
                        .and_then(|b| AgeBand::of(b, to))
                        .map_or("unknown", AgeBand::as_str),
                    Attribute::Disability => match value {
                        ValueRef::Integer(0) => "false",
                        ValueRef::Integer(_) => "true",
                        other => {
                            return Err(StoreError::Corrupt(format!(
                                "report_service_uses holds {other:?} where a flag belongs"
                            )))
                        }
                    },
                    Attribute::Settlement => text(value)?.unwrap_or("unknown"),
                    _ => text(value)?.unwrap_or_default(),
                });
            }
            match groups.get_mut(key.as_str()) {
                Some(n) => *n += Counted::one(record_key),
                None => {
                    groups.insert(key.clone(), Counted::one(record_key));
                }
            }
        }
        Ok(groups
            .into_iter()
            .map(|(key, n)| {
                let values = if self.attrs.is_empty() {
                    Vec::new()
                } else {
                    key.split(SEPARATOR).map(str::to_owned).collect()
                };
                (values, n)
            })
            .collect())
    }

    /// PostgreSQL: grouped and counted on the server (a hash aggregate), so a few hundred rows
    /// cross the network instead of one per service user. The age band compares the birth date
    /// with the latest birth dates of an adult and of an older person on the period's last day.
    async fn postgres(&self, pool: &sqlx::PgPool) -> StoreResult<Vec<(Vec<String>, Counted)>> {
        let columns: Vec<&str> = self
            .attrs
            .iter()
            .map(|a| match a {
                Attribute::AdminUnit => "admin_unit",
                Attribute::Sex => "sex",
                Attribute::AgeBand => {
                    "CASE WHEN birth_date IS NULL OR birth_date > $2 THEN 'unknown'
                          WHEN birth_date > $5 THEN '0-17' WHEN birth_date > $6 THEN '18-59'
                          ELSE '60+' END"
                }
                Attribute::Disability => "CASE WHEN disability THEN 'true' ELSE 'false' END",
                Attribute::TargetGroups => "target_groups",
                Attribute::Service => "service_code",
                Attribute::Settlement => "COALESCE(settlement, 'unknown')",
            })
            .collect();
        let ages = self.attrs.contains(&Attribute::AgeBand);
        let mut select: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        select.push("COUNT(*)".to_owned());
        if self.keys.is_some() {
            // The secret follows the age limits, when those are bound.
            select.push(pg_key_sum("person_id", if ages { 7 } else { 5 }));
        }
        let mut sql = self.sql(&select.join(", "));
        if !columns.is_empty() {
            let positions: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
            sql.push_str(&format!(" GROUP BY {}", positions.join(", ")));
        }
        let mut query = sqlx::query(&sql)
            .bind(self.period.from())
            .bind(self.period.to())
            .bind(&self.lo)
            .bind(&self.hi);
        if ages {
            let limit = |band: AgeBand| {
                born_by(self.period.to(), band.start()).ok_or_else(|| {
                    StoreError::refuse("to", "store-period-too-early-for-ages", vec![])
                })
            };
            query = query
                .bind(limit(AgeBand::Adult)?)
                .bind(limit(AgeBand::Older)?);
        }
        if let Some(keys) = &self.keys {
            query = query.bind(keys.secret().to_vec());
        }
        let rows = query.fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(row.try_get::<String, _>(i)?);
            }
            let n: i64 = row.try_get(columns.len())?;
            let keys: i64 = if self.keys.is_some() {
                row.try_get(columns.len() + 1)?
            } else {
                0
            };
            out.push((
                values,
                Counted {
                    n: u64::try_from(n).unwrap_or(0),
                    keys: u64::try_from(keys).unwrap_or(0),
                },
            ));
        }
        Ok(out)
    }
}

/// The unit just below the country that `unit` lies in: its velayat, or a city with velayat status.
fn velayat_of(catalogue: &crate::catalogue::Catalogue, unit: &str) -> String {
    let mut code = unit.to_owned();
    while let Some(parent) = parent_of(catalogue, &code) {
        if parent == "TM" {
            break;
        }
        code = parent;
    }
    code
}

/// The parent of an administrative unit, if it has one.
fn parent_of(catalogue: &crate::catalogue::Catalogue, code: &str) -> Option<String> {
    let code: AdminUnitCode = code.parse().ok()?;
    catalogue.admin_unit(&code)?.parent_code.clone()
}

/// A breakdown the disclosure rules could not build from the counts (the store's own shapes, not
/// the reader's input, should make this unreachable); the core's words are its detail.
pub(crate) fn breakdown_failed(e: goldaw_core::ParseError) -> StoreError {
    StoreError::refuse(
        "by",
        "store-breakdown-failed",
        vec![("detail", crate::error::SayArg::Text(e.0))],
    )
}
