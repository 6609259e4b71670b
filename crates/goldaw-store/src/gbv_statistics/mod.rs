//! Anonymised statistics for the survivors' services (issue #18, item 5; docs/survivors.md), in
//! the shape the GBVIMS uses. The rules — what may be counted, the dimensions of each measure,
//! the stricter suppression — are `goldaw_core::gbv_statistics`; this module reads the rows in
//! the reader's area (survivors only with a consent to statistics in force), counts them into a
//! table and suppresses it (`goldaw_core::disclosure`). No name or record id leaves: a table is
//! counts, and the read is audited as the table asked for.

use crate::audit::AuditEvent;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use goldaw_core::access::{nation, Principal};
use goldaw_core::deadlines::{local_date, LOCAL_OFFSET};
use goldaw_core::disclosure::{suppress, Published};
use goldaw_core::gbv_statistics::{
    age_band, check_query, may_read, months, report_delay, rule, GbvRefusal, ReportDelay,
};
pub use goldaw_core::gbv_statistics::{GbvDimension, GbvMeasure};
use goldaw_core::hotline::{AgeBand, CallCategory, CallOutcome};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A table asked for.
#[derive(Debug, Clone)]
pub struct GbvQuery {
    pub measure: GbvMeasure,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Up to three dimensions; by month if none.
    pub by: Vec<GbvDimension>,
}

/// One cell of a published table: `None` in a key's position is the total over that dimension.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GbvRow {
    pub key: Vec<Option<String>>,
    /// The count, or `None` when withheld.
    pub count: Option<u64>,
    /// Why withheld: `primary` (small) or `secondary` (it would give a small one away).
    pub suppressed: Option<String>,
}

/// A published table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GbvTable {
    pub measure: GbvMeasure,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub dimensions: Vec<GbvDimension>,
    /// Counts below this are hidden (0: nothing hidden).
    pub threshold: u64,
    /// Zeros are hidden too, so a hidden cell does not say that someone is there.
    pub hides_zeros: bool,
    pub rows: Vec<GbvRow>,
}

/// A counted row: the value of every dimension the measure has.
struct Fact {
    values: HashMap<GbvDimension, String>,
}

fn refused(r: GbvRefusal) -> StoreError {
    match r {
        GbvRefusal::Dimension(d) => StoreError::refuse(
            "by",
            "gbv-dimension-not-for-measure",
            vec![("dimension", SayArg::Text(d.to_string()))],
        ),
        GbvRefusal::Shape => StoreError::refuse("by", "gbv-dimensions-shape", vec![]),
        GbvRefusal::Period => StoreError::refuse("to", "gbv-period", vec![]),
    }
}

/// The first instant of `day` in Turkmenistan, in UTC.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    LOCAL_OFFSET
        .from_local_datetime(&midnight)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

fn month_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

const UNKNOWN: &str = "unknown";
const NOT_FROM_CALL: &str = "not_from_call";

impl Store {
    /// The velayat of an etrap (or the unit itself if it is one), `unknown` if none.
    fn velayat_of(&self, unit: Option<&str>) -> String {
        let catalogue = self.catalogue();
        let mut at = unit.map(str::to_owned);
        for _ in 0..6 {
            let Some(code) = at
                .as_deref()
                .and_then(|c| c.parse::<goldaw_core::ids::AdminUnitCode>().ok())
            else {
                break;
            };
            let Some(u) = catalogue.admin_unit(&code) else {
                break;
            };
            if matches!(u.level.as_str(), "velayat" | "capital_city_velayat_status") {
                return u.code.clone();
            }
            at = u.parent_code.clone();
        }
        UNKNOWN.to_owned()
    }

    /// Every value a dimension can take, so that a hidden zero is hidden among all of them.
    fn dimension_values(&self, d: GbvDimension, q: &GbvQuery, lines: &[String]) -> Vec<String> {
        let codes = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match d {
            GbvDimension::Category => {
                let mut v: Vec<String> = CallCategory::ALL
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect();
                if q.measure != GbvMeasure::Calls {
                    v.push(NOT_FROM_CALL.to_owned());
                }
                v
            }
            GbvDimension::AgeBand => AgeBand::ALL.iter().map(|a| a.as_str().to_owned()).collect(),
            GbvDimension::Sex => codes(&["F", "M", UNKNOWN]),
            GbvDimension::Month => months(q.from, q.to),
            GbvDimension::Velayat => {
                let mut v: Vec<String> = self
                    .catalogue()
                    .admin_units
                    .iter()
                    .filter(|u| {
                        matches!(u.level.as_str(), "velayat" | "capital_city_velayat_status")
                    })
                    .map(|u| u.code.clone())
                    .collect();
                v.push(UNKNOWN.to_owned());
                v
            }
            GbvDimension::Line => lines.to_vec(),
            GbvDimension::Outcome => CallOutcome::ALL
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            GbvDimension::Service => self
                .catalogue()
                .services
                .iter()
                .map(|s| s.code.to_string())
                .collect(),
            GbvDimension::ReportDelay => ReportDelay::ALL
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect(),
        }
    }

    /// A table of anonymised statistics for the survivors' services.
    #[tracing::instrument(skip_all, fields(measure = %q.measure))]
    pub async fn gbv_statistics(
        &self,
        principal: &Principal,
        q: GbvQuery,
    ) -> StoreResult<GbvTable> {
        if !may_read(principal) {
            return Err(StoreError::Forbidden(
                "these statistics are for those who read reports in an area (ReadReports)".into(),
            ));
        }
        let by = if q.by.is_empty() {
            vec![GbvDimension::Month]
        } else {
            q.by.clone()
        };
        check_query(q.measure, &by, q.from, q.to).map_err(refused)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let national = principal.unit_scope() == Some(&nation());
        let (start, end) = (
            day_start(q.from),
            day_start(q.to + chrono::Duration::days(1)),
        );
        let today = local_date(Utc::now());
        let facts = match q.measure {
            GbvMeasure::Survivors => {
                self.survivor_facts(principal, &lo, &hi, q.from, q.to, today)
                    .await?
            }
            GbvMeasure::Referrals => self.referral_facts(&lo, &hi, start, end, today).await?,
            GbvMeasure::Calls => self.call_facts(&lo, &hi, national, start, end).await?,
        };
        let lines: Vec<String> = if by.contains(&GbvDimension::Line) {
            with_db!(self.db(), pool => {
                sqlx::query_as::<_, (String,)>("SELECT code FROM hotline_lines ORDER BY code")
                    .fetch_all(pool)
                    .await?
            })
            .into_iter()
            .map(|(c,)| c)
            .collect()
        } else {
            Vec::new()
        };
        let corrupt = |e: goldaw_core::ParseError| StoreError::Corrupt(format!("statistics: {e}"));
        let dimensions = by
            .iter()
            .map(|d| {
                goldaw_core::disclosure::Dimension::flat(
                    d.as_str(),
                    self.dimension_values(*d, &q, &lines),
                )
                .map_err(corrupt)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let leaves = facts.iter().map(|f| {
            let key: Vec<String> = by
                .iter()
                .map(|d| {
                    f.values
                        .get(d)
                        .cloned()
                        .unwrap_or_else(|| UNKNOWN.to_owned())
                })
                .collect();
            (key, 1u64)
        });
        let table =
            goldaw_core::disclosure::Table::from_leaves(dimensions, leaves).map_err(corrupt)?;
        let published = suppress(&table, rule(principal))
            .map_err(|_| StoreError::refuse("by", "gbv-unprotectable", vec![]))?;
        let applied = published.rule();
        let rows = published
            .rows()
            .map(|r| GbvRow {
                key: r.key,
                count: r.count.value(),
                suppressed: match r.count {
                    Published::Shown { .. } => None,
                    Published::Suppressed { reason } => Some(
                        match reason {
                            goldaw_core::disclosure::Reason::Primary => "primary",
                            goldaw_core::disclosure::Reason::Secondary => "secondary",
                        }
                        .to_owned(),
                    ),
                },
            })
            .collect();
        let shape: Vec<&str> = by.iter().map(|d| d.as_str()).collect();
        self.audit(
            principal,
            AuditEvent::plain("statistics.gbv").with_detail(format!(
                "{} {}..{} by {}",
                q.measure,
                q.from,
                q.to,
                shape.join(",")
            )),
        )
        .await?;
        Ok(GbvTable {
            measure: q.measure,
            from: q.from,
            to: q.to,
            dimensions: by,
            threshold: if applied.is_off() {
                0
            } else {
                applied.threshold()
            },
            hides_zeros: applied.hides_zeros(),
            rows,
        })
    }

    /// Sensitive cases opened in the period whose person consents to statistics today, one fact
    /// per survivor code (the only identifier these tables read: a case without one, registered
    /// before migration 0033, is given it here, as at its first full read).
    async fn survivor_facts(
        &self,
        principal: &Principal,
        lo: &str,
        hi: &str,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> StoreResult<Vec<Fact>> {
        let rows: Vec<SurvivorRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!(
                "SELECT c.id, c.survivor_code, c.admin_unit, c.opened_on, p.sex, p.birth_date,
                        (SELECT MIN(h.category) FROM hotline_calls h WHERE h.case_id = c.id) AS category,
                        c.incident_on, {CALLED_AT}
                 FROM cases c JOIN persons p ON p.id = c.person_id
                 WHERE c.sensitive = $1 AND c.admin_unit >= $2 AND c.admin_unit < $3
                   AND c.opened_on >= $4 AND c.opened_on <= $5 AND {CONSENTED}"
            ))
            .bind(true)
            .bind(lo)
            .bind(hi)
            .bind(from)
            .bind(to)
            .bind(today)
            .fetch_all(pool)
            .await?
        });
        // Codes for the counted cases that have none, then one fact per code.
        let missing: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.survivor_code.is_none())
            .map(|r| r.id)
            .collect();
        let given = self.ensure_survivor_codes(principal, &missing).await?;
        let mut seen = HashSet::new();
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let code = r
                    .survivor_code
                    .clone()
                    .or_else(|| given.get(&r.id).cloned())?;
                seen.insert(code).then_some(r)
            })
            .map(|r| {
                let SurvivorRow {
                    admin_unit: unit,
                    opened_on: opened,
                    sex,
                    birth_date: birth,
                    category,
                    incident_on,
                    called_at,
                    ..
                } = r;
                Fact {
                    values: HashMap::from([
                        (
                            GbvDimension::ReportDelay,
                            delay(incident_on, called_at, opened),
                        ),
                        (
                            GbvDimension::Category,
                            category.unwrap_or_else(|| NOT_FROM_CALL.to_owned()),
                        ),
                        (
                            GbvDimension::AgeBand,
                            age_band(birth, opened).as_str().to_owned(),
                        ),
                        (GbvDimension::Sex, sex),
                        (GbvDimension::Month, month_of(opened)),
                        (GbvDimension::Velayat, self.velayat_of(Some(&unit))),
                    ]),
                }
            })
            .collect())
    }

    /// Referrals to services, made in the period, of survivors who consent to statistics.
    async fn referral_facts(
        &self,
        lo: &str,
        hi: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        today: NaiveDate,
    ) -> StoreResult<Vec<Fact>> {
        type Row = (
            String,
            String,
            DateTime<Utc>,
            String,
            Option<NaiveDate>,
            Option<String>,
            Option<NaiveDate>,
            Option<DateTime<Utc>>,
            NaiveDate,
        );
        let rows: Vec<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!(
                "SELECT r.service_code, c.admin_unit, r.sent_at, p.sex, p.birth_date,
                        (SELECT MIN(h.category) FROM hotline_calls h WHERE h.case_id = c.id) AS category,
                        c.incident_on, {CALLED_AT}, c.opened_on
                 FROM service_referrals r JOIN cases c ON c.id = r.case_id JOIN persons p ON p.id = r.person_id
                 WHERE c.sensitive = $1 AND c.admin_unit >= $2 AND c.admin_unit < $3
                   AND r.sent_at >= $4 AND r.sent_at < $5 AND {}",
                CONSENTED.replace("c.person_id", "r.person_id")
            ))
            .bind(true)
            .bind(lo)
            .bind(hi)
            .bind(start)
            .bind(end)
            .bind(today)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(service, unit, sent, sex, birth, category, incident_on, called_at, opened)| {
                    let day = local_date(sent);
                    Fact {
                        values: HashMap::from([
                            (
                                GbvDimension::ReportDelay,
                                delay(incident_on, called_at, opened),
                            ),
                            (GbvDimension::Service, service),
                            (
                                GbvDimension::Category,
                                category.unwrap_or_else(|| NOT_FROM_CALL.to_owned()),
                            ),
                            (
                                GbvDimension::AgeBand,
                                age_band(birth, day).as_str().to_owned(),
                            ),
                            (GbvDimension::Sex, sex),
                            (GbvDimension::Month, month_of(day)),
                            (GbvDimension::Velayat, self.velayat_of(Some(&unit))),
                        ]),
                    }
                },
            )
            .collect())
    }

    /// Hotline calls received in the period whose caller's etrap is in the area (and, for the
    /// nation, those whose etrap was not given).
    async fn call_facts(
        &self,
        lo: &str,
        hi: &str,
        national: bool,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> StoreResult<Vec<Fact>> {
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            DateTime<Utc>,
            Option<NaiveDate>,
        );
        let rows: Vec<Row> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT l.code, c.category, c.outcome, c.caller_age_band, c.caller_sex, c.caller_admin_unit, c.received_at,
                        c.incident_on
                 FROM hotline_calls c JOIN hotline_lines l ON l.id = c.line_id
                 WHERE c.received_at >= $1 AND c.received_at < $2
                   AND ((c.caller_admin_unit >= $3 AND c.caller_admin_unit < $4)
                        OR (c.caller_admin_unit IS NULL AND $5))",
            )
            .bind(start)
            .bind(end)
            .bind(lo)
            .bind(hi)
            .bind(national)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(line, category, outcome, age, sex, unit, at, incident_on)| Fact {
                    values: HashMap::from([
                        (
                            GbvDimension::ReportDelay,
                            report_delay(incident_on, local_date(at))
                                .as_str()
                                .to_owned(),
                        ),
                        (GbvDimension::Line, line),
                        (GbvDimension::Category, category),
                        (GbvDimension::Outcome, outcome),
                        (GbvDimension::AgeBand, age),
                        (GbvDimension::Sex, sex.unwrap_or_else(|| UNKNOWN.to_owned())),
                        (GbvDimension::Month, month_of(local_date(at))),
                        (GbvDimension::Velayat, self.velayat_of(unit.as_deref())),
                    ]),
                },
            )
            .collect())
    }
}

/// `category,age_band` as dimensions; an unknown name is refused, naming it.
pub fn parse_dimensions(by: Option<&str>) -> StoreResult<Vec<GbvDimension>> {
    by.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| {
                StoreError::refuse(
                    "by",
                    "gbv-dimension-not-for-measure",
                    vec![("dimension", SayArg::Text(s.chars().take(40).collect()))],
                )
            })
        })
        .collect()
}

/// A counted survivor: the case's id only to give it a survivor code if it has none.
#[derive(sqlx::FromRow)]
struct SurvivorRow {
    id: Uuid,
    survivor_code: Option<String>,
    admin_unit: String,
    opened_on: NaiveDate,
    sex: String,
    birth_date: Option<NaiveDate>,
    category: Option<String>,
    incident_on: Option<NaiveDate>,
    called_at: Option<DateTime<Utc>>,
}

/// When the survivor first reached a service: the first call of the case (`c`).
const CALLED_AT: &str =
    "(SELECT MIN(h.received_at) FROM hotline_calls h WHERE h.case_id = c.id) AS called_at";

/// The band of the time from the incident to its report: to the first call the case came from,
/// or else to the case's registration (`goldaw_core::gbv_statistics::report_delay`).
fn delay(
    incident: Option<NaiveDate>,
    called_at: Option<DateTime<Utc>>,
    opened_on: NaiveDate,
) -> String {
    let reported = called_at.map(local_date).unwrap_or(opened_on);
    report_delay(incident, reported).as_str().to_owned()
}

/// The person (`c.person_id`) consents to statistics on the day `$6`.
const CONSENTED: &str = "EXISTS (SELECT 1 FROM consents k WHERE k.person_id = c.person_id
    AND k.purpose = 'statistics' AND k.withdrawn_at IS NULL AND k.valid_from <= $6
    AND (k.valid_until IS NULL OR k.valid_until >= $6))";
