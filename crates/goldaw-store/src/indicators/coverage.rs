//! Coverage: service users against the population of the same cell. Denominators come from the
//! population table (`population.csv`: place, sex, age band, year); without it, from the totals of
//! the administrative units (the shipped reference data has them for the nation and the velayats
//! only). A cell whose place has no figure gets none: no etrap figure is invented.

use crate::error::StoreResult;
use crate::Store;
use chrono::Datelike;
use goldaw_core::statistics::Period;
use std::collections::{BTreeSet, HashMap};

/// Population figures of one year.
pub(crate) struct Denominators {
    /// `(unit, sex, age band) → population` from the population table, if it has any rows.
    by_group: HashMap<(String, String, String), u64>,
    /// Units with rows in the population table.
    grouped_units: BTreeSet<String>,
    /// Totals of the administrative units (reference data).
    totals: HashMap<String, u64>,
    children: HashMap<String, Vec<String>>,
    pub year: Option<i32>,
}

impl Denominators {
    /// The population of `unit` (of one sex and age band if given): its own figure, or the sum
    /// of its parts when every part has one.
    pub(crate) fn of(&self, unit: &str, sex: Option<&str>, age_band: Option<&str>) -> Option<u64> {
        if self.grouped_units.is_empty() {
            if sex.is_some() || age_band.is_some() {
                return None;
            }
            if let Some(n) = self.totals.get(unit) {
                return Some(*n);
            }
        } else if self.grouped_units.contains(unit) {
            let sexes: Vec<&str> = sex.map_or(vec!["F", "M"], |s| vec![s]);
            let bands: Vec<&str> = age_band.map_or(vec!["0-17", "18-59", "60+"], |a| vec![a]);
            let mut sum = 0;
            for s in &sexes {
                for a in &bands {
                    sum +=
                        self.by_group
                            .get(&(unit.to_owned(), (*s).to_owned(), (*a).to_owned()))?;
                }
            }
            return Some(sum);
        }
        let children = self.children.get(unit)?;
        children
            .iter()
            .map(|c| self.of(c, sex, age_band))
            .sum::<Option<u64>>()
    }
}

#[derive(sqlx::FromRow)]
struct PopulationRow {
    admin_unit: String,
    sex: String,
    age_band: String,
    year: i32,
    population: i64,
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    code: String,
    parent_code: Option<String>,
    population: Option<i64>,
    population_year: Option<i32>,
}

impl Store {
    /// The population figures for a period: the latest year at or before its end, else the
    /// earliest there is.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn denominators(&self, period: &Period) -> StoreResult<Denominators> {
        let rows: Vec<PopulationRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT admin_unit, sex, age_band, CAST(year AS INTEGER) AS year, CAST(population AS BIGINT) AS population FROM population")
                .fetch_all(pool)
                .await?
        });
        let units: Vec<UnitRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT code, parent_code, population, CAST(population_year AS INTEGER) AS population_year FROM admin_units")
                .fetch_all(pool)
                .await?
        });
        let years: BTreeSet<i32> = rows.iter().map(|r| r.year).collect();
        let end = period.to().year();
        let year = years
            .range(..=end)
            .next_back()
            .or_else(|| years.iter().next())
            .copied();
        let mut by_group = HashMap::new();
        let mut grouped_units = BTreeSet::new();
        for r in rows.into_iter().filter(|r| Some(r.year) == year) {
            grouped_units.insert(r.admin_unit.clone());
            by_group.insert(
                (r.admin_unit, r.sex, r.age_band),
                u64::try_from(r.population).unwrap_or(0),
            );
        }
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut totals = HashMap::new();
        let mut total_year = None;
        for u in units {
            if let Some(p) = &u.parent_code {
                children.entry(p.clone()).or_default().push(u.code.clone());
            }
            if let Some(n) = u.population {
                totals.insert(u.code.clone(), u64::try_from(n).unwrap_or(0));
                total_year = total_year.max(u.population_year);
            }
        }
        Ok(Denominators {
            year: if grouped_units.is_empty() {
                total_year
            } else {
                year
            },
            by_group,
            grouped_units,
            totals,
            children,
        })
    }
}
