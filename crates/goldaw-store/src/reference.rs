//! The reference data shipped in `reference/` (compiled into the binary), loaded on every migrate.
//!
//! Loading is an upsert: codes are never deleted (records refer to them), names and attributes
//! take the values of the files. A ministry revises a file and runs `goldaw migrate`.

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use chrono::NaiveDate;
use goldaw_core::codes::{ReferralSource, ServiceLevel, TargetGroup};
use goldaw_core::deadlines::DeadlineRule;
use goldaw_core::interchange::{AdminUnitRow, Layout, Row, ADMIN_UNITS};

const ADMIN_UNITS_CSV: &str = include_str!("../../../reference/admin_units.csv");
const SERVICES_CSV: &str = include_str!("../../../reference/services.csv");
const DEADLINES_CSV: &str = include_str!("../../../reference/deadlines.csv");
const HOLIDAYS_CSV: &str = include_str!("../../../reference/holidays.csv");

/// Name lists: (kind stored in `reference_terms`, file name, file content).
const TERM_FILES: [(&str, &str, &str); 6] = [
    (
        "target_group",
        "target_groups.csv",
        include_str!("../../../reference/target_groups.csv"),
    ),
    (
        "referral_source",
        "referral_sources.csv",
        include_str!("../../../reference/referral_sources.csv"),
    ),
    (
        "service_type",
        "service_types.csv",
        include_str!("../../../reference/service_types.csv"),
    ),
    (
        "service_form",
        "service_forms.csv",
        include_str!("../../../reference/service_forms.csv"),
    ),
    (
        "service_level",
        "service_levels.csv",
        include_str!("../../../reference/service_levels.csv"),
    ),
    (
        "unit_of_service",
        "units_of_service.csv",
        include_str!("../../../reference/units_of_service.csv"),
    ),
];

pub(crate) struct Term {
    pub kind: &'static str,
    pub code: String,
    pub name_en: String,
    pub name_ru: String,
    pub name_tk: String,
}

pub(crate) struct ServiceSpec {
    pub code: String,
    pub level: ServiceLevel,
    pub r#type: Option<String>,
    pub form: Option<String>,
    pub unit: String,
}

fn reference_error(file: &str, line: u64, message: impl std::fmt::Display) -> StoreError {
    StoreError::Reference(format!("reference/{file} line {line}: {message}"))
}

/// Reads a simple `code,name_en,name_ru,name_tk,...` style file into records keyed by header.
fn read_named(
    file: &str,
    content: &str,
) -> StoreResult<Vec<(u64, csv::StringRecord, csv::StringRecord)>> {
    let mut reader = csv::Reader::from_reader(content.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| reference_error(file, 1, e))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| reference_error(file, 0, e))?;
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, header.clone(), record));
    }
    Ok(rows)
}

fn field<'r>(
    file: &str,
    line: u64,
    header: &csv::StringRecord,
    record: &'r csv::StringRecord,
    column: &str,
) -> StoreResult<&'r str> {
    header
        .iter()
        .position(|h| h == column)
        .and_then(|i| record.get(i))
        .ok_or_else(|| reference_error(file, line, format!("column {column} is missing")))
}

pub(crate) fn shipped_terms() -> StoreResult<Vec<Term>> {
    let mut terms = Vec::new();
    for (kind, file, content) in TERM_FILES {
        for (line, header, record) in read_named(file, content)? {
            let get = |c: &str| field(file, line, &header, &record, c).map(str::to_owned);
            terms.push(Term {
                kind,
                code: get("code")?,
                name_en: get("name_en")?,
                name_ru: get("name_ru")?,
                name_tk: get("name_tk")?,
            });
        }
    }
    // The code lists the workflow relies on must match the contract exactly.
    let codes_of = |kind: &str| -> Vec<&str> {
        terms
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.code.as_str())
            .collect()
    };
    let expected_groups: Vec<&str> = TargetGroup::ALL.iter().map(|g| g.as_str()).collect();
    if codes_of("target_group") != expected_groups {
        return Err(StoreError::Reference(
            "reference/target_groups.csv must list exactly the contract's target groups, in order"
                .into(),
        ));
    }
    let expected_sources: Vec<&str> = ReferralSource::ALL.iter().map(|s| s.as_str()).collect();
    if codes_of("referral_source") != expected_sources {
        return Err(StoreError::Reference("reference/referral_sources.csv must list exactly the contract's referral sources, in order".into()));
    }
    for (line, header, record) in read_named("services.csv", SERVICES_CSV)? {
        let get = |c: &str| field("services.csv", line, &header, &record, c).map(str::to_owned);
        terms.push(Term {
            kind: "service",
            code: get("code")?,
            name_en: get("name_en")?,
            name_ru: get("name_ru")?,
            name_tk: get("name_tk")?,
        });
    }
    Ok(terms)
}

pub(crate) fn shipped_services() -> StoreResult<Vec<ServiceSpec>> {
    let file = "services.csv";
    let mut services = Vec::new();
    for (line, header, record) in read_named(file, SERVICES_CSV)? {
        let get = |c: &str| field(file, line, &header, &record, c);
        let optional = |c: &str| get(c).map(|v| Some(v.to_owned()).filter(|v| !v.is_empty()));
        services.push(ServiceSpec {
            code: get("code")?
                .parse::<goldaw_core::cases::ServiceCode>()
                .map_err(|e| reference_error(file, line, e))?
                .to_string(),
            level: get("level")?
                .parse()
                .map_err(|e| reference_error(file, line, e))?,
            r#type: optional("type")?,
            form: optional("form")?,
            unit: get("unit")?.to_owned(),
        });
    }
    Ok(services)
}

pub(crate) fn shipped_admin_units() -> StoreResult<Vec<AdminUnitRow>> {
    let file = "admin_units.csv";
    let mut reader = csv::Reader::from_reader(ADMIN_UNITS_CSV.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| reference_error(file, 1, e))?
        .clone();
    let layout = Layout::from_header(&ADMIN_UNITS, header.iter())
        .map_err(|e| reference_error(file, 1, e.message))?;
    let mut units = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| reference_error(file, 0, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let unit = AdminUnitRow::parse(&Row {
            layout: &layout,
            record: &record,
        })
        .map_err(|e| reference_error(file, line, format!("column {}: {}", e.column, e.message)))?;
        units.push(unit);
    }
    Ok(units)
}

/// The default deadline rules (`reference/deadlines.csv`).
pub(crate) fn shipped_deadlines() -> StoreResult<Vec<DeadlineRule>> {
    let file = "deadlines.csv";
    read_named(file, DEADLINES_CSV)?
        .into_iter()
        .map(|(line, header, record)| {
            let get = |c: &str| field(file, line, &header, &record, c);
            DeadlineRule::parse(get("step")?, get("priority")?, get("amount")?, get("unit")?)
                .map_err(|e| reference_error(file, line, e))
        })
        .collect()
}

pub(crate) struct Holiday {
    pub day: NaiveDate,
    pub name_en: String,
    pub name_ru: String,
    pub name_tk: String,
}

/// Public holidays of Turkmenistan (`reference/holidays.csv`), for the working-day calendar.
pub(crate) fn shipped_holidays() -> StoreResult<Vec<Holiday>> {
    let file = "holidays.csv";
    read_named(file, HOLIDAYS_CSV)?
        .into_iter()
        .map(|(line, header, record)| {
            let get = |c: &str| field(file, line, &header, &record, c).map(str::to_owned);
            let day = get("day")?;
            Ok(Holiday {
                day: day.parse().map_err(|_| {
                    reference_error(file, line, format!("'{day}' is not a date (YYYY-MM-DD)"))
                })?,
                name_en: get("name_en")?,
                name_ru: get("name_ru")?,
                name_tk: get("name_tk")?,
            })
        })
        .collect()
}

/// Upserts the shipped reference data, in one transaction. Deadline rules and holidays are
/// settings an admin may change: the shipped ones are inserted only where absent.
#[tracing::instrument(skip_all)]
pub(crate) async fn load_shipped(db: &Db) -> StoreResult<()> {
    let units = shipped_admin_units()?;
    let terms = shipped_terms()?;
    let services = shipped_services()?;
    let deadlines = shipped_deadlines()?;
    let holidays = shipped_holidays()?;
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        for r in &deadlines {
            sqlx::query(
                "INSERT INTO deadline_rules (step, priority, amount, unit) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (step, priority) DO NOTHING",
            )
            .bind(r.step.as_str())
            .bind(r.priority.as_str())
            .bind(i64::from(r.amount))
            .bind(r.unit.as_str())
            .execute(&mut *tx)
            .await?;
        }
        for h in &holidays {
            sqlx::query(
                "INSERT INTO holidays (day, name_en, name_ru, name_tk) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (day) DO NOTHING",
            )
            .bind(h.day)
            .bind(&h.name_en)
            .bind(&h.name_ru)
            .bind(&h.name_tk)
            .execute(&mut *tx)
            .await?;
        }
        for (order, u) in units.iter().enumerate() {
            sqlx::query(UPSERT_ADMIN_UNIT)
                .bind(u.code.as_str())
                .bind(u.parent_code.as_ref().map(|p| p.as_str()))
                .bind(&u.level)
                .bind(&u.name_tk)
                .bind(&u.name_en)
                .bind(&u.name_ru)
                .bind(u.population.map(|p| p as i64))
                .bind(u.population_year)
                .bind(&u.source)
                .bind(order as i64)
                .execute(&mut *tx)
                .await?;
        }
        for (order, t) in terms.iter().enumerate() {
            sqlx::query(
                "INSERT INTO reference_terms (kind, code, name_en, name_ru, name_tk, sort_order)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (kind, code) DO UPDATE SET name_en = excluded.name_en,
                   name_ru = excluded.name_ru, name_tk = excluded.name_tk, sort_order = excluded.sort_order",
            )
            .bind(t.kind)
            .bind(&t.code)
            .bind(&t.name_en)
            .bind(&t.name_ru)
            .bind(&t.name_tk)
            .bind(order as i64)
            .execute(&mut *tx)
            .await?;
        }
        for (order, s) in services.iter().enumerate() {
            sqlx::query(
                "INSERT INTO services (code, level, type, form, unit, sort_order)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET level = excluded.level, type = excluded.type,
                   form = excluded.form, unit = excluded.unit, sort_order = excluded.sort_order",
            )
            .bind(&s.code)
            .bind(s.level.as_str())
            .bind(&s.r#type)
            .bind(&s.form)
            .bind(&s.unit)
            .bind(order as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Insert or update one administrative unit (shared by migrate and the importer).
pub(crate) const UPSERT_ADMIN_UNIT: &str =
    "INSERT INTO admin_units (code, parent_code, level, name_tk, name_en, name_ru, population,
                              population_year, source, sort_order)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (code) DO UPDATE SET parent_code = excluded.parent_code, level = excluded.level,
       name_tk = excluded.name_tk, name_en = excluded.name_en, name_ru = excluded.name_ru,
       population = excluded.population, population_year = excluded.population_year,
       source = excluded.source";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_reference_data_parses_and_is_complete() {
        let units = shipped_admin_units().unwrap();
        assert_eq!(units.first().map(|u| u.code.as_str()), Some("TM"));
        assert!(units.len() > 60);
        let services = shipped_services().unwrap();
        let codes: Vec<&str> = services.iter().map(|s| s.code.as_str()).collect();
        for code in [
            "S01",
            "S12",
            "ETRAP_SW",
            "HOTLINE",
            "RES_CARE",
            "U_EDU",
            "U_HOUSING",
            "U_BENEFIT",
            "U_EMPLOY",
            "U_HEALTH",
        ] {
            assert!(codes.contains(&code), "{code} missing");
        }
        let res = services.iter().find(|s| s.code == "RES_CARE").unwrap();
        assert_eq!(res.level, ServiceLevel::Tertiary);
        let terms = shipped_terms().unwrap();
        assert!(terms
            .iter()
            .all(|t| !t.name_tk.is_empty() && !t.name_ru.is_empty() && !t.name_en.is_empty()));
        assert_eq!(
            terms.iter().filter(|t| t.kind == "service").count(),
            services.len()
        );
    }
}
