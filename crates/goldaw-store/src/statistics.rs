//! Statistics reports (issue #5): counts gathered with the indexes, split in Rust, suppressed
//! before anyone sees them.
//!
//! Service users come from `service_episodes` by the `(service_code, started_on, ended_on)`
//! index: about 15,000 of 7 million people used a service in a year, so a report reads those
//! episodes and their persons by primary key, never the nation's persons table.

use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{Sex, TargetGroup};
use goldaw_core::disclosure::{self, Published, Rule};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::statistics::{
    count_service_users, Dimension, Period, ServiceUse, SERVICE_USER_SERVICES,
};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// A published report: the dimensions in the order asked, then one row per non-empty cell.
#[derive(Debug, Clone)]
pub struct Report {
    pub dimensions: Vec<Dimension>,
    pub rows: Vec<ReportRow>,
    /// The rule applied (its threshold is 0 when unsuppressed).
    pub rule: Rule,
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

#[derive(sqlx::FromRow)]
struct PersonRow {
    person_id: Uuid,
    admin_unit: String,
    sex: String,
    birth_date: Option<NaiveDate>,
    disability: bool,
    target_groups: String,
    settlement: Option<String>,
}

impl Store {
    /// Service users in `period` (INTERCHANGE.md "Report semantics") by `dims`, within the
    /// principal's scope, suppressed by `suppression`. Audited as a report read (counts only).
    pub async fn service_users(
        &self,
        principal: &Principal,
        period: Period,
        dims: &[Dimension],
        suppression: Suppression,
    ) -> StoreResult<Report> {
        require(principal, Permission::ReadReports)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let uses = self.service_uses(&lo, &hi, &period).await?;
        let counts = count_service_users(&uses, dims, &period);
        let rule = self.report_rule(principal, dims, &counts, suppression)?;
        let rows = if rule.is_off() {
            counts
                .into_iter()
                .map(|(values, n)| ReportRow {
                    values,
                    count: Published::Shown { value: n },
                })
                .collect()
        } else {
            self.suppressed_rows(dims, counts, rule)?
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
        })
    }

    /// Every (person, service) with a service-user episode overlapping the period, persons in
    /// the unit range `lo..hi`.
    async fn service_uses(
        &self,
        lo: &str,
        hi: &str,
        period: &Period,
    ) -> StoreResult<Vec<ServiceUse>> {
        let services = SERVICE_USER_SERVICES
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        // The service list is a constant of the contract, not input: safe to write into the SQL.
        // Two steps, so that neither planner can choose to drive the join from the nation's
        // persons (measured: 0.4-0.6 s that way): the episodes by their period index, then
        // their persons by primary key.
        let episodes_sql = format!(
            "SELECT DISTINCT person_id, service_code FROM service_episodes
             WHERE service_code IN ({services}) AND started_on <= $1
               AND (ended_on IS NULL OR ended_on >= $2)"
        );
        let uses: Vec<(Uuid, String)> = with_db!(self.db(), pool => {
            sqlx::query_as(&episodes_sql)
                .bind(period.to())
                .bind(period.from())
                .fetch_all(pool)
                .await?
        });
        let mut ids: Vec<Uuid> = uses.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        const PERSON_COLUMNS: &str = "SELECT id AS person_id, admin_unit, sex, birth_date, disability, target_groups, settlement FROM persons";
        let mut persons: HashMap<Uuid, PersonRow> = HashMap::with_capacity(ids.len());
        match self.db() {
            crate::db::Db::Sqlite(pool) => {
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::new(PERSON_COLUMNS);
                    q.push(" WHERE id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    for row in q.build_query_as::<PersonRow>().fetch_all(pool).await? {
                        persons.insert(row.person_id, row);
                    }
                }
            }
            crate::db::Db::Postgres(pool) => {
                for chunk in ids.chunks(10_000) {
                    let rows: Vec<PersonRow> =
                        sqlx::query_as(&format!("{PERSON_COLUMNS} WHERE id = ANY($1)"))
                            .bind(chunk)
                            .fetch_all(pool)
                            .await?;
                    for row in rows {
                        persons.insert(row.person_id, row);
                    }
                }
            }
        }
        // The scope is applied here, not in the SQL: a range on admin_unit there tempts SQLite's
        // planner to walk the admin_unit index over the whole range instead of the primary key.
        persons.retain(|_, p| p.admin_unit.as_str() >= lo && p.admin_unit.as_str() < hi);
        // Persons outside the scope are gone: their uses drop out here.
        let catalogue = self.catalogue();
        uses.into_iter()
            .filter_map(|(id, service)| persons.get(&id).map(|p| (id, service, p)))
            .map(|(person, service, p)| {
                Ok(ServiceUse {
                    person,
                    service,
                    velayat: velayat_of(&catalogue, &p.admin_unit),
                    admin_unit: p.admin_unit.clone(),
                    sex: p
                        .sex
                        .parse::<Sex>()
                        .map_err(|e| StoreError::Corrupt(format!("sex: {e}")))?,
                    birth_date: p.birth_date,
                    disability: p.disability,
                    target_groups: p
                        .target_groups
                        .split(';')
                        .filter(|g| !g.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    settlement: p.settlement.clone(),
                })
            })
            .collect()
    }

    fn report_rule(
        &self,
        principal: &Principal,
        dims: &[Dimension],
        counts: &[(Vec<String>, u64)],
        suppression: Suppression,
    ) -> StoreResult<Rule> {
        // A table that shows survivors of violence or children at risk gets the strict rule.
        let sensitive = || {
            let Some(i) = dims.iter().position(|d| *d == Dimension::TargetGroup) else {
                return false;
            };
            let groups = counts
                .iter()
                .filter_map(|(values, _)| values[i].parse::<TargetGroup>().ok());
            Rule::for_groups(groups) == Rule::SENSITIVE
        };
        match suppression {
            Suppression::MinCell(k) if k <= 1 => {
                if !principal.may(Permission::ReadUnsuppressed) {
                    return Err(StoreError::Forbidden(
                        "statistics without small-cell suppression need the unsuppressed grant"
                            .into(),
                    ));
                }
                Ok(Rule::OFF)
            }
            _ if sensitive() => Ok(Rule::SENSITIVE),
            Suppression::Standard => Ok(Rule::STANDARD),
            Suppression::MinCell(k) => {
                Rule::new(k, 1).map_err(|e| StoreError::invalid("min_cell", e.to_string()))
            }
        }
    }

    /// Builds the full table (every total of every dimension, place rolled up through the
    /// hierarchy), suppresses it, and returns the rows of the cells asked for.
    fn suppressed_rows(
        &self,
        dims: &[Dimension],
        counts: Vec<(Vec<String>, u64)>,
        rule: Rule,
    ) -> StoreResult<Vec<ReportRow>> {
        if dims.is_empty() {
            // The single total: a count, suppressed if small.
            return Ok(counts
                .into_iter()
                .map(|(values, n)| ReportRow {
                    values,
                    count: if (1..rule.threshold()).contains(&n) {
                        Published::Suppressed {
                            reason: disclosure::Reason::Primary,
                        }
                    } else {
                        Published::Shown { value: n }
                    },
                })
                .collect());
        }
        let catalogue = self.catalogue();
        let mut tables_dims = Vec::with_capacity(dims.len());
        for (i, dim) in dims.iter().enumerate() {
            let values: BTreeSet<&str> = counts.iter().map(|(v, _)| v[i].as_str()).collect();
            let built = if *dim == Dimension::AdminUnit {
                // Leaves under their velayat: a velayat total is published too.
                let mut pairs: HashMap<String, Option<String>> = HashMap::new();
                for v in &values {
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
            tables_dims.push(built.map_err(|e| StoreError::invalid("by", e.to_string()))?);
        }
        let table = disclosure::Table::from_leaves(
            tables_dims,
            counts.iter().map(|(v, n)| (v.clone(), *n)),
        )
        .map_err(|e| StoreError::invalid("by", e.to_string()))?;
        let published = disclosure::suppress(&table, rule).map_err(|_| {
            StoreError::invalid(
                "by",
                "this breakdown is too fine to publish safely even with suppression: use fewer dimensions or a longer period",
            )
        })?;
        Ok(counts
            .into_iter()
            .map(|(values, n)| {
                let key: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
                let count = published.get(&key).unwrap_or(Published::Shown { value: n });
                ReportRow { values, count }
            })
            .collect())
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
