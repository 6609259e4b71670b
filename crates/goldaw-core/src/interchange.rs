//! The interchange CSV contract (INTERCHANGE.md): which columns each file has, and how one row
//! becomes a typed record. Reading files and writing the database is the store's job.
//!
//! Columns may come in any order. Every column the contract had from the start is required in
//! the header; columns added later (optional) may be missing, and then read as empty.
//! Unknown columns are refused, so a misspelt column never silently loses data.

use crate::cases::{CaseData, EpisodeData};
use crate::codes::{AgeBand, Sex};
use crate::ids::{AdminUnitCode, ExternalId};
use crate::people::{check_address, parse_date, HouseholdData, PersonData};
use crate::washington_group::{WgAnswers, WG_COLUMNS};
use crate::ParseError;
use chrono::NaiveDate;
use std::str::FromStr;

/// One file of the contract.
#[derive(Debug)]
pub struct FileSpec {
    pub file: &'static str,
    /// Columns every file must have, in the order goldaw writes them.
    pub required: &'static [&'static str],
    /// Columns added to the contract later: may be absent; written after the required ones.
    pub optional: &'static [&'static str],
}

impl FileSpec {
    /// All columns in the order an export writes them.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().chain(self.optional.iter()).copied()
    }
}

pub const ADMIN_UNITS: FileSpec = FileSpec {
    file: "admin_units.csv",
    required: &[
        "code",
        "name_tk",
        "name_en",
        "name_ru",
        "level",
        "parent_code",
        "population",
        "population_year",
        "source",
    ],
    optional: &[],
};

pub const POPULATION: FileSpec = FileSpec {
    file: "population.csv",
    required: &["admin_unit", "sex", "age_band", "population", "year"],
    optional: &[],
};

pub const HOUSEHOLDS: FileSpec = FileSpec {
    file: "households.csv",
    required: &["household_id", "admin_unit", "settlement", "address"],
    optional: &[],
};

pub const PERSONS: FileSpec = FileSpec {
    file: "persons.csv",
    required: &[
        "person_id",
        "household_id",
        "given_name",
        "family_name",
        "sex",
        "birth_date",
        "admin_unit",
        "settlement",
        "receives_benefits",
        "wg_seeing",
        "wg_hearing",
        "wg_walking",
        "wg_cognition",
        "wg_selfcare",
        "wg_communication",
        "target_groups",
    ],
    // goldaw's extension: the person's relationship to the head of the household.
    optional: &["relationship"],
};

pub const CASES: FileSpec = FileSpec {
    file: "cases.csv",
    required: &[
        "case_id",
        "person_id",
        "admin_unit",
        "opened_on",
        "referral_source",
        "priority",
        "status",
        "closed_on",
        "worker_id",
    ],
    optional: &[],
};

pub const SERVICE_EPISODES: FileSpec = FileSpec {
    file: "service_episodes.csv",
    required: &[
        "episode_id",
        "case_id",
        "person_id",
        "service_code",
        "provider_id",
        "started_on",
        "ended_on",
        "units",
    ],
    optional: &[],
};

/// In the order they must be imported: each file refers only to files before it.
pub const ALL_FILES: [&FileSpec; 6] = [
    &ADMIN_UNITS,
    &POPULATION,
    &HOUSEHOLDS,
    &PERSONS,
    &CASES,
    &SERVICE_EPISODES,
];

/// A problem in one field (or the header), before the file and line are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: String,
    pub message: String,
}

impl FieldError {
    pub fn new(column: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            column: column.to_owned(),
            message: message.into(),
        }
    }
}

/// Where each of a spec's columns sits in a particular file.
#[derive(Debug)]
pub struct Layout {
    spec: &'static FileSpec,
    /// For each column of `spec.columns()`, its position in the file.
    positions: Vec<Option<usize>>,
}

impl Layout {
    pub fn from_header<'h>(
        spec: &'static FileSpec,
        header: impl IntoIterator<Item = &'h str>,
    ) -> Result<Layout, FieldError> {
        let names: Vec<&str> = spec.columns().collect();
        let mut positions = vec![None; names.len()];
        for (at, name) in header.into_iter().enumerate() {
            // A byte-order mark is common in files saved by spreadsheet programs.
            let name = if at == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                name
            };
            match names.iter().position(|n| *n == name) {
                Some(i) if positions[i].is_some() => {
                    return Err(FieldError::new(name, "column appears twice in the header"))
                }
                Some(i) => positions[i] = Some(at),
                None => {
                    return Err(FieldError::new(
                        name,
                        format!(
                            "unknown column '{name}' (this file's columns are: {})",
                            names.join(", ")
                        ),
                    ))
                }
            }
        }
        for (i, name) in names.iter().enumerate().take(spec.required.len()) {
            if positions[i].is_none() {
                return Err(FieldError::new(
                    name,
                    format!("column '{name}' is missing from the header"),
                ));
            }
        }
        Ok(Layout { spec, positions })
    }

    pub fn spec(&self) -> &'static FileSpec {
        self.spec
    }

    /// Number of fields each row must have.
    pub fn width(&self) -> usize {
        self.positions.iter().flatten().count()
    }

    /// A row's field for `column`, empty when the (optional) column is absent.
    pub fn field<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        let i = self
            .spec
            .columns()
            .position(|c| c == column)
            .and_then(|i| self.positions[i]);
        i.and_then(|i| record.get(i)).unwrap_or("")
    }
}

/// Accessor over one row that turns field problems into [`FieldError`]s naming the column.
pub struct Row<'a> {
    pub layout: &'a Layout,
    pub record: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    pub fn raw(&self, column: &str) -> &'a str {
        self.layout.field(self.record, column)
    }

    pub fn required<T: FromStr<Err = ParseError>>(&self, column: &str) -> Result<T, FieldError> {
        let raw = self.raw(column);
        if raw.is_empty() {
            return Err(FieldError::new(column, format!("{column} is required")));
        }
        raw.parse()
            .map_err(|e: ParseError| FieldError::new(column, e.0))
    }

    pub fn optional<T: FromStr<Err = ParseError>>(
        &self,
        column: &str,
    ) -> Result<Option<T>, FieldError> {
        let raw = self.raw(column);
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse()
            .map(Some)
            .map_err(|e: ParseError| FieldError::new(column, e.0))
    }

    pub fn date(&self, column: &str) -> Result<NaiveDate, FieldError> {
        let raw = self.raw(column);
        if raw.is_empty() {
            return Err(FieldError::new(column, format!("{column} is required")));
        }
        parse_date(raw).map_err(|e| FieldError::new(column, e.0))
    }

    pub fn optional_date(&self, column: &str) -> Result<Option<NaiveDate>, FieldError> {
        let raw = self.raw(column);
        if raw.is_empty() {
            return Ok(None);
        }
        parse_date(raw)
            .map(Some)
            .map_err(|e| FieldError::new(column, e.0))
    }

    pub fn optional_bool(&self, column: &str) -> Result<Option<bool>, FieldError> {
        match self.raw(column) {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(FieldError::new(
                column,
                format!("'{other}' is not true or false"),
            )),
        }
    }

    pub fn optional_count<T: FromStr>(&self, column: &str) -> Result<Option<T>, FieldError> {
        let raw = self.raw(column);
        if raw.is_empty() {
            return Ok(None);
        }
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                column,
                format!("'{raw}' is not a whole number of zero or more"),
            ));
        }
        raw.parse()
            .map(Some)
            .map_err(|_| FieldError::new(column, format!("'{raw}' is too large")))
    }

    pub fn optional_text(&self, column: &str) -> Option<String> {
        Some(self.raw(column))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
}

fn checked<T>(r: Result<T, (&'static str, ParseError)>) -> Result<T, FieldError> {
    r.map_err(|(column, e)| FieldError::new(column, e.0))
}

pub struct AdminUnitRow {
    pub code: AdminUnitCode,
    pub name_tk: String,
    pub name_en: String,
    pub name_ru: String,
    pub level: String,
    pub parent_code: Option<AdminUnitCode>,
    pub population: Option<u64>,
    pub population_year: Option<i32>,
    pub source: String,
}

impl AdminUnitRow {
    pub fn parse(row: &Row) -> Result<AdminUnitRow, FieldError> {
        let code: AdminUnitCode = row.required("code")?;
        let parent_code: Option<AdminUnitCode> = row.optional("parent_code")?;
        match &parent_code {
            None if code.as_str() != "TM" => {
                return Err(FieldError::new("parent_code", "only the country (TM) has no parent"))
            }
            Some(parent) if !(code.is_within(parent) && code != *parent) => {
                return Err(FieldError::new(
                    "parent_code",
                    format!("a unit's code must start with its parent's code and '-': '{code}' is not inside '{parent}'"),
                ))
            }
            _ => {}
        }
        let name = |column: &str| -> Result<String, FieldError> {
            let v = row.raw(column);
            if v.trim().is_empty() {
                Err(FieldError::new(column, format!("{column} is required")))
            } else {
                Ok(v.to_owned())
            }
        };
        let level = name("level")?;
        if !level.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(FieldError::new(
                "level",
                format!("'{level}' is not a level code (lower-case letters and _)"),
            ));
        }
        Ok(AdminUnitRow {
            name_tk: name("name_tk")?,
            name_en: name("name_en")?,
            name_ru: name("name_ru")?,
            level,
            population: row.optional_count("population")?,
            population_year: row.optional_count("population_year")?,
            source: row.raw("source").to_owned(),
            code,
            parent_code,
        })
    }
}

pub struct PopulationRow {
    pub admin_unit: AdminUnitCode,
    pub sex: Sex,
    pub age_band: AgeBand,
    pub population: u64,
    pub year: i32,
}

impl PopulationRow {
    pub fn parse(row: &Row) -> Result<PopulationRow, FieldError> {
        let population = row
            .optional_count("population")?
            .ok_or_else(|| FieldError::new("population", "population is required"))?;
        let year: i32 = row
            .optional_count("year")?
            .ok_or_else(|| FieldError::new("year", "year is required"))?;
        if !(1900..=2100).contains(&year) {
            return Err(FieldError::new(
                "year",
                format!("year {year} is not between 1900 and 2100"),
            ));
        }
        Ok(PopulationRow {
            admin_unit: row.required("admin_unit")?,
            sex: row.required("sex")?,
            age_band: row.required("age_band")?,
            population,
            year,
        })
    }
}

pub struct HouseholdRow {
    pub household_id: ExternalId,
    pub data: HouseholdData,
}

impl HouseholdRow {
    pub fn parse(row: &Row) -> Result<HouseholdRow, FieldError> {
        let address = row.optional_text("address");
        check_address(address.as_deref()).map_err(|e| FieldError::new("address", e.0))?;
        Ok(HouseholdRow {
            household_id: row.required("household_id")?,
            data: HouseholdData {
                admin_unit: row.required("admin_unit")?,
                settlement: row.optional("settlement")?,
                address,
            },
        })
    }
}

pub struct PersonRow {
    pub person_id: ExternalId,
    pub data: PersonData,
}

impl PersonRow {
    pub fn parse(row: &Row, today: NaiveDate) -> Result<PersonRow, FieldError> {
        let mut wg = [None; 6];
        for (answer, column) in wg.iter_mut().zip(WG_COLUMNS) {
            *answer = row.optional(column)?;
        }
        let data = PersonData {
            given_name: row.required("given_name")?,
            family_name: row.optional("family_name")?,
            sex: row.required("sex")?,
            birth_date: row.optional_date("birth_date")?,
            admin_unit: row.required("admin_unit")?,
            settlement: row.optional("settlement")?,
            receives_benefits: row.optional_bool("receives_benefits")?,
            washington_group: WgAnswers::from_array(wg),
            target_groups: row.required_or_empty("target_groups")?,
            household_id: row.optional("household_id")?,
            relationship: row.optional("relationship")?,
        };
        data.check_dates(today)
            .map_err(|e| FieldError::new("birth_date", e.0))?;
        Ok(PersonRow {
            person_id: row.required("person_id")?,
            data,
        })
    }
}

impl Row<'_> {
    /// For types whose empty form is meaningful (an empty set of target groups).
    pub fn required_or_empty<T: FromStr<Err = ParseError>>(
        &self,
        column: &str,
    ) -> Result<T, FieldError> {
        self.raw(column)
            .parse()
            .map_err(|e: ParseError| FieldError::new(column, e.0))
    }
}

pub struct CaseRow {
    pub case_id: ExternalId,
    pub data: CaseData,
}

impl CaseRow {
    pub fn parse(row: &Row, today: NaiveDate) -> Result<CaseRow, FieldError> {
        let data = CaseData {
            person_id: row.required("person_id")?,
            admin_unit: row.required("admin_unit")?,
            opened_on: row.date("opened_on")?,
            referral_source: row.required("referral_source")?,
            priority: row.optional("priority")?,
            status: row.required("status")?,
            closed_on: row.optional_date("closed_on")?,
            worker_id: row.optional("worker_id")?,
        };
        checked(data.check(today))?;
        Ok(CaseRow {
            case_id: row.required("case_id")?,
            data,
        })
    }
}

pub struct EpisodeRow {
    pub episode_id: ExternalId,
    pub data: EpisodeData,
}

impl EpisodeRow {
    pub fn parse(row: &Row, today: NaiveDate) -> Result<EpisodeRow, FieldError> {
        let data = EpisodeData {
            case_id: row.optional("case_id")?,
            person_id: row.required("person_id")?,
            service_code: row.required("service_code")?,
            provider_id: row.optional("provider_id")?,
            started_on: row.date("started_on")?,
            ended_on: row.optional_date("ended_on")?,
            units: row.optional_count("units")?,
        };
        checked(data.check(today))?;
        Ok(EpisodeRow {
            episode_id: row.required("episode_id")?,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(spec: &'static FileSpec, header: &str) -> Result<Layout, FieldError> {
        Layout::from_header(spec, header.split(','))
    }

    #[test]
    fn headers_may_reorder_but_not_invent_or_drop_columns() {
        let reordered = "sex,person_id,household_id,given_name,family_name,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups";
        assert!(layout(&PERSONS, reordered).is_ok());
        let unknown = format!("{reordered},nickname");
        let e = layout(&PERSONS, &unknown).unwrap_err();
        assert_eq!(e.column, "nickname");
        assert!(e.message.contains("unknown column"), "{}", e.message);
        let missing = reordered.replace("sex,", "");
        assert_eq!(layout(&PERSONS, &missing).unwrap_err().column, "sex");
        let twice = format!("{reordered},sex");
        assert!(layout(&PERSONS, &twice)
            .unwrap_err()
            .message
            .contains("twice"));
        let with_bom = format!("\u{feff}{reordered}");
        assert!(layout(&PERSONS, &with_bom).is_ok());
    }

    #[test]
    fn a_person_row_parses_into_typed_data() {
        let l = layout(&PERSONS, &PERSONS.columns().collect::<Vec<_>>().join(",")).unwrap();
        let rec = csv::StringRecord::from(vec![
            "P1",
            "H1",
            "Aýna",
            "Orazowa",
            "F",
            "1990-05-01",
            "TM-A-01",
            "rural",
            "true",
            "1",
            "",
            "3",
            "1",
            "1",
            "1",
            "woman_gbv",
            "head",
        ]);
        let today = parse_date("2026-11-22").unwrap();
        let p = PersonRow::parse(
            &Row {
                layout: &l,
                record: &rec,
            },
            today,
        )
        .unwrap();
        assert_eq!(p.person_id.as_str(), "P1");
        assert!(p.data.has_disability());
        assert_eq!(p.data.target_groups.to_field(), "woman_gbv");
        let mut bad = rec.clone();
        bad = csv::StringRecord::from(
            bad.iter()
                .enumerate()
                .map(|(i, f)| if i == 4 { "X" } else { f })
                .collect::<Vec<_>>(),
        );
        let e = PersonRow::parse(
            &Row {
                layout: &l,
                record: &bad,
            },
            today,
        )
        .err()
        .unwrap();
        assert_eq!(e.column, "sex");
    }
}
