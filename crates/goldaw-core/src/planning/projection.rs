//! How many social workers there will be, year by year: a stock-and-flow projection.
//!
//! # The model
//!
//! Each year some social workers join (newly certified staff, university graduates: the *inflow*) and a
//! fixed share of those in post at the start of the year leave the profession (the *attrition*):
//!
//! ```text
//! leavers(t) = attrition × stock(t-1)
//! stock(t)   = stock(t-1) + inflow(t) − leavers(t)
//! ```
//!
//! Stocks are counted at the end of each year. The start year's row carries the given `start_stock` with no
//! inflow and no leavers. The chain is computed **unrounded** in `f64` and rounded only for display (half away
//! from zero, [`f64::round`]). Rounding each year before computing the next would drift from the seeds'
//! table: with whole workers carried forward, 2029 would end with 1,024 instead of 1,025 and 2030 with 1,069
//! instead of 1,070.
//!
//! # The seeds' table
//!
//! `shared/seeds/002_596a45bacafcab1f.txt` projects the MLSP's social workers from the 45 hired in 2021 with
//! 20% leaving each year, 140 newly certified in 2022, 250 in 2023 and in 2024, and 250 university graduates a
//! year from 2025 to 2030 ([`Scenario::seeds_2021`]). Its "Total" row, 45, 176, 391, 563, 700, 810, 898, 968,
//! 1,025, 1,070 (2021-2030), and its leavers, 9, 35, 78, 113, 140, 162, 180, 194, 205 (2022-2030), are exactly
//! this model rounded half away from zero: for example 2023: 176 − 35.2 + 250 = 390.8 → 391; 2030:
//! 1,024.77 − 204.95 + 250 = 1,069.81 → 1,070. (The seed's first "Number of social workers" row, 45 45 176 ... 1,025, is
//! the same stock at the start of each year, i.e. shifted by one.)
//!
//! # Scenario files
//!
//! A scenario is TOML ([`Scenario::from_toml`]):
//!
//! ```toml
//! start_year = 2021
//! start_stock = 45
//! attrition = 0.20
//! [inflow]
//! 2022 = 140
//! 2023 = 250
//! ```
//!
//! Inflow keys are years; a year without an entry has no inflow. Unknown keys, an attrition outside 0..=1,
//! negative or non-finite numbers and inflow for the start year or earlier are refused with a
//! [`ProjectionError`] that says what to change.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// The first line of [`render_csv`]'s output.
pub const CSV_HEADER: &str = "year,inflow,leavers,stock";

/// The longest projection [`project`] computes, in years after the start year; guards against a mistyped
/// `until` year producing millions of rows.
pub const MAX_PROJECTION_YEARS: i64 = 1000;

/// The seeds' scenario as a scenario file; parses to [`Scenario::seeds_2021`].
pub const SEEDS_2021_TOML: &str = "\
# MLSP social workers, from shared/seeds/002_596a45bacafcab1f.txt
start_year = 2021
start_stock = 45
attrition = 0.20

[inflow]
# newly certified MLSP social workers
2022 = 140
2023 = 250
2024 = 250
# university social work graduates
2025 = 250
2026 = 250
2027 = 250
2028 = 250
2029 = 250
2030 = 250
";

/// A projection scenario: where the stock starts, the share leaving each year and the inflow by year.
///
/// Build one in code, from [`SEEDS_2021_TOML`]-style text with [`Scenario::from_toml`] (or `str::parse`), or
/// through serde (`toml::from_str::<Scenario>`; then the checks' messages arrive inside the TOML error).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawScenario")]
pub struct Scenario {
    /// The year whose end-of-year stock is `start_stock`.
    pub start_year: i32,
    /// Social workers in post at the end of `start_year`.
    pub start_stock: f64,
    /// Share of the stock leaving each year, 0 to 1 (0.20 = 20% a year).
    pub attrition: f64,
    /// Social workers joining in each year after `start_year`; missing years have none.
    pub inflow: BTreeMap<i32, f64>,
}

/// The file as written, before its keys are read as years and its numbers checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    start_year: i32,
    start_stock: f64,
    attrition: f64,
    #[serde(default)]
    inflow: BTreeMap<String, f64>,
}

/// A line and column in a scenario file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

impl TextPosition {
    /// The position of byte `offset` in `text` (column in characters).
    fn of(text: &str, offset: usize) -> TextPosition {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TextPosition {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for TextPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

fn at_position(position: &Option<TextPosition>) -> String {
    match position {
        Some(p) => format!(" at {p}"),
        None => String::new(),
    }
}

/// A scenario or request the projection refuses, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectionError {
    /// The file is not valid TOML, a key is unknown or missing, or a value has the wrong type.
    #[error("scenario file{}: {message}", at_position(.position))]
    Toml {
        position: Option<TextPosition>,
        message: String,
    },
    #[error(
        "attrition must be a share between 0 and 1 (for example 0.20 for 20% leaving a year), got {0}"
    )]
    AttritionOutOfRange(f64),
    #[error("start_stock must be a number of social workers, 0 or more, got {0}")]
    InvalidStartStock(f64),
    #[error("inflow for {year} must be a number of social workers, 0 or more, got {value}")]
    InvalidInflow { year: i32, value: f64 },
    #[error("inflow key \"{0}\" is not a year: write each year as a whole number, for example 2023 = 250")]
    InflowKeyNotAYear(String),
    #[error(
        "inflow is given for {year}, but the scenario starts in {start_year}: start_stock already counts \
         everyone in post at the end of {start_year}, so inflow can only be given for later years; \
         remove the entry or move start_year earlier"
    )]
    InflowNotAfterStart { year: i32, start_year: i32 },
    #[error(
        "the projection must end in or after the start year {start_year}, got {until_year}; \
         choose a later end year"
    )]
    UntilBeforeStart { start_year: i32, until_year: i32 },
    #[error(
        "the projection from {start_year} to {until_year} is longer than {max} years; choose an earlier end year"
    )]
    TooLong {
        start_year: i32,
        until_year: i32,
        max: i64,
    },
    #[error("the projected stock in {year} is too large to compute: check the inflow figures")]
    Overflow { year: i32 },
}

fn is_non_negative_number(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

impl Scenario {
    /// The seeds' scenario: 45 social workers at the end of 2021, 20% leaving a year, 140 newly certified in
    /// 2022, 250 in 2023 and 2024, then 250 university graduates a year 2025-2030.
    pub fn seeds_2021() -> Scenario {
        let mut inflow = BTreeMap::from([(2022, 140.0)]);
        for year in 2023..=2030 {
            inflow.insert(year, 250.0);
        }
        Scenario {
            start_year: 2021,
            start_stock: 45.0,
            attrition: 0.20,
            inflow,
        }
    }

    /// Reads and checks a scenario file. TOML errors name their line and column.
    pub fn from_toml(text: &str) -> Result<Scenario, ProjectionError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| ProjectionError::Toml {
            position: e.span().map(|span| TextPosition::of(text, span.start)),
            message: plain_type_names(e.message().trim_end()),
        })?;
        Scenario::try_from(raw)
    }

    /// Checks the figures: attrition in 0..=1, stock and inflows finite and not negative, inflow only after
    /// the start year. [`project`] calls this, so a scenario built in code is checked too.
    pub fn validate(&self) -> Result<(), ProjectionError> {
        if !(0.0..=1.0).contains(&self.attrition) {
            return Err(ProjectionError::AttritionOutOfRange(self.attrition));
        }
        if !is_non_negative_number(self.start_stock) {
            return Err(ProjectionError::InvalidStartStock(self.start_stock));
        }
        for (&year, &value) in &self.inflow {
            if year <= self.start_year {
                return Err(ProjectionError::InflowNotAfterStart {
                    year,
                    start_year: self.start_year,
                });
            }
            if !is_non_negative_number(value) {
                return Err(ProjectionError::InvalidInflow { year, value });
            }
        }
        Ok(())
    }

    /// The inflow in `year` (0 for a year without an entry).
    pub fn inflow_in(&self, year: i32) -> f64 {
        self.inflow.get(&year).copied().unwrap_or(0.0)
    }
}

/// serde names Rust types in its messages ("expected f64"); say what a planner should write instead.
fn plain_type_names(message: &str) -> String {
    message
        .replace("expected f64", "expected a number")
        .replace("expected i32", "expected a whole number")
}

/// A year key as written: digits only (no sign, spaces or decimals), fitting an `i32`.
fn parse_year(key: &str) -> Option<i32> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

impl TryFrom<RawScenario> for Scenario {
    type Error = ProjectionError;

    fn try_from(raw: RawScenario) -> Result<Scenario, ProjectionError> {
        let mut inflow = BTreeMap::new();
        for (key, value) in raw.inflow {
            let year = parse_year(&key).ok_or(ProjectionError::InflowKeyNotAYear(key))?;
            // "2022" and "02022" are the same year: refuse the second rather than silently keep one.
            if inflow.insert(year, value).is_some() {
                return Err(ProjectionError::Toml {
                    position: None,
                    message: format!("inflow for {year} is given twice: give each year once"),
                });
            }
        }
        let scenario = Scenario {
            start_year: raw.start_year,
            start_stock: raw.start_stock,
            attrition: raw.attrition,
            inflow,
        };
        scenario.validate()?;
        Ok(scenario)
    }
}

impl FromStr for Scenario {
    type Err = ProjectionError;

    fn from_str(text: &str) -> Result<Scenario, ProjectionError> {
        Scenario::from_toml(text)
    }
}

/// One year of the projection, unrounded (round only for display, see [`render_csv`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YearRow {
    pub year: i32,
    /// Social workers joining during the year (0 in the start year).
    pub inflow: f64,
    /// Social workers leaving during the year: attrition × the previous year's stock (0 in the start year).
    pub leavers: f64,
    /// Social workers in post at the end of the year.
    pub stock: f64,
}

/// Projects `scenario` from its start year to `until_year`, both included: one row a year, the first
/// holding the start stock. Refuses an invalid scenario, an end before the start, a horizon over
/// [`MAX_PROJECTION_YEARS`] and a stock too large for `f64`.
pub fn project(scenario: &Scenario, until_year: i32) -> Result<Vec<YearRow>, ProjectionError> {
    scenario.validate()?;
    let start_year = scenario.start_year;
    if until_year < start_year {
        return Err(ProjectionError::UntilBeforeStart {
            start_year,
            until_year,
        });
    }
    let span = i64::from(until_year) - i64::from(start_year);
    if span > MAX_PROJECTION_YEARS {
        return Err(ProjectionError::TooLong {
            start_year,
            until_year,
            max: MAX_PROJECTION_YEARS,
        });
    }
    // span ≤ MAX_PROJECTION_YEARS, so the capacity is small.
    let mut rows = Vec::with_capacity(usize::try_from(span).unwrap_or(0) + 1);
    let mut previous = YearRow {
        year: start_year,
        inflow: 0.0,
        leavers: 0.0,
        stock: scenario.start_stock,
    };
    rows.push(previous);
    for year in (start_year + 1)..=until_year {
        let inflow = scenario.inflow_in(year);
        let leavers = scenario.attrition * previous.stock;
        let stock = previous.stock + inflow - leavers;
        if !stock.is_finite() {
            return Err(ProjectionError::Overflow { year });
        }
        previous = YearRow {
            year,
            inflow,
            leavers,
            stock,
        };
        rows.push(previous);
    }
    Ok(rows)
}

/// A value as a whole number, rounded half away from zero; never "-0".
fn rounded(x: f64) -> String {
    let r = x.round();
    if r == 0.0 {
        "0".to_string()
    } else {
        format!("{r}")
    }
}

/// The rows as CSV, byte for byte what other tools read: the line `year,inflow,leavers,stock`, then one line
/// per row with the values rounded half away from zero to whole numbers, each line ending in `\n`; for
/// example `2022,140,9,176`.
pub fn render_csv(rows: &[YearRow]) -> String {
    use crate::spreadsheet::{Cell, SpreadsheetCsv};
    let mut w = SpreadsheetCsv::new();
    w.row(CSV_HEADER.split(','));
    for row in rows {
        let figures = [
            row.year.to_string(),
            rounded(row.inflow),
            rounded(row.leavers),
            rounded(row.stock),
        ];
        w.row(figures.iter().map(|f| Cell::Number(f)));
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEEDS_CSV: &str = "year,inflow,leavers,stock
2021,0,0,45
2022,140,9,176
2023,250,35,391
2024,250,78,563
2025,250,113,700
2026,250,140,810
2027,250,162,898
2028,250,180,968
2029,250,194,1025
2030,250,205,1070
";

    fn seeds_rows() -> Vec<YearRow> {
        project(&Scenario::seeds_2021(), 2030).expect("the seeds' scenario is valid")
    }

    #[test]
    fn seeds_table_reproduced_byte_for_byte() {
        assert_eq!(render_csv(&seeds_rows()), SEEDS_CSV);
    }

    #[test]
    fn seeds_stocks_and_leavers_as_printed_in_the_seed() {
        let rows = seeds_rows();
        let stocks: Vec<f64> = rows.iter().map(|r| r.stock.round()).collect();
        assert_eq!(
            stocks,
            [45., 176., 391., 563., 700., 810., 898., 968., 1025., 1070.]
        );
        let leavers: Vec<f64> = rows[1..].iter().map(|r| r.leavers.round()).collect();
        assert_eq!(leavers, [9., 35., 78., 113., 140., 162., 180., 194., 205.]);
        let years: Vec<i32> = rows.iter().map(|r| r.year).collect();
        assert_eq!(years, (2021..=2030).collect::<Vec<_>>());
    }

    #[test]
    fn seeds_chain_is_unrounded() {
        let rows = seeds_rows();
        assert!((rows[2].stock - 390.8).abs() < 1e-9);
        assert!((rows[3].leavers - 78.16).abs() < 1e-9);
        assert!((rows[3].stock - 562.64).abs() < 1e-9);
        assert!((rows[8].stock - 1_024.765_875_2).abs() < 1e-9);
        assert!((rows[9].leavers - 204.953_175_04).abs() < 1e-9);
        assert!((rows[9].stock - 1_069.812_700_16).abs() < 1e-9);
    }

    #[test]
    fn rounding_each_year_first_would_drift_from_the_seeds() {
        // Carrying whole workers forward (what the model deliberately does not do) ends 2029 at 1,024.
        let mut stock = 45.0_f64;
        let mut stocks = vec![stock];
        for inflow in [
            140.0, 250.0, 250.0, 250.0, 250.0, 250.0, 250.0, 250.0, 250.0,
        ] {
            stock = (stock + inflow - (0.2 * stock).round()).round();
            stocks.push(stock);
        }
        assert_eq!(stocks[8..], [1024.0, 1069.0]);
        let seeds: Vec<f64> = seeds_rows().iter().map(|r| r.stock.round()).collect();
        assert_eq!(seeds[8..], [1025.0, 1070.0]);
    }

    #[test]
    fn seeds_toml_parses_to_the_seeds_scenario() {
        let parsed = Scenario::from_toml(SEEDS_2021_TOML).unwrap();
        assert_eq!(parsed, Scenario::seeds_2021());
        assert_eq!(render_csv(&project(&parsed, 2030).unwrap()), SEEDS_CSV);
    }

    #[test]
    fn parses_the_issue_example() {
        let text = "start_year = 2021\nstart_stock = 45\nattrition = 0.20\n[inflow]\n2022 = 140\n2023 = 250\n";
        let s: Scenario = text.parse().unwrap();
        assert_eq!(s.start_year, 2021);
        assert_eq!(s.start_stock, 45.0);
        assert_eq!(s.attrition, 0.20);
        assert_eq!(s.inflow, BTreeMap::from([(2022, 140.0), (2023, 250.0)]));
        assert_eq!(s.inflow_in(2024), 0.0);
        let csv = render_csv(&project(&s, 2024).unwrap());
        assert_eq!(
            csv,
            "year,inflow,leavers,stock\n2021,0,0,45\n2022,140,9,176\n2023,250,35,391\n2024,0,78,313\n"
        );
        // The same text through serde directly.
        let via_serde: Scenario = toml::from_str(text).unwrap();
        assert_eq!(via_serde, s);
    }

    #[test]
    fn inflow_table_is_optional_and_values_may_be_fractional() {
        let s =
            Scenario::from_toml("start_year = 2021\nstart_stock = 10.5\nattrition = 0").unwrap();
        assert!(s.inflow.is_empty());
        let rows = project(&s, 2023).unwrap();
        assert!(rows.iter().all(|r| r.stock == 10.5));
        // 10.5 rounds half away from zero to 11.
        assert_eq!(render_csv(&rows).lines().last(), Some("2023,0,0,11"));
        let s = Scenario::from_toml(
            "start_year = 2000\nstart_stock = 0\nattrition = 1\n[inflow]\n\"2001\" = 2.5",
        )
        .unwrap();
        assert_eq!(
            render_csv(&project(&s, 2002).unwrap()),
            "year,inflow,leavers,stock\n2000,0,0,0\n2001,3,0,3\n2002,0,3,0\n"
        );
    }

    #[test]
    fn only_the_start_year() {
        let rows = project(&Scenario::seeds_2021(), 2021).unwrap();
        assert_eq!(
            rows,
            vec![YearRow {
                year: 2021,
                inflow: 0.0,
                leavers: 0.0,
                stock: 45.0
            }]
        );
        assert_eq!(
            render_csv(&rows),
            "year,inflow,leavers,stock\n2021,0,0,45\n"
        );
        assert_eq!(render_csv(&[]), "year,inflow,leavers,stock\n");
    }

    #[test]
    fn inflow_after_the_end_year_is_ignored() {
        let rows = project(&Scenario::seeds_2021(), 2023).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            render_csv(&rows),
            SEEDS_CSV.lines().take(4).collect::<Vec<_>>().join("\n") + "\n"
        );
    }

    #[test]
    fn rounding_for_display_is_half_away_from_zero() {
        assert_eq!(rounded(0.5), "1");
        assert_eq!(rounded(1.5), "2");
        assert_eq!(rounded(2.5), "3");
        assert_eq!(rounded(2.4999), "2");
        assert_eq!(rounded(-0.0), "0");
        assert_eq!(rounded(-0.4), "0");
        assert_eq!(rounded(-1.5), "-2");
        assert_eq!(rounded(1e20), "100000000000000000000");
    }

    fn toml_err(text: &str) -> ProjectionError {
        Scenario::from_toml(text).unwrap_err()
    }

    #[test]
    fn refuses_attrition_outside_zero_to_one() {
        for bad in ["1.2", "-0.1", "nan", "inf", "20"] {
            let e = toml_err(&format!(
                "start_year = 2021\nstart_stock = 45\nattrition = {bad}\n"
            ));
            assert!(
                matches!(e, ProjectionError::AttritionOutOfRange(_)),
                "{bad}: {e:?}"
            );
            assert!(e
                .to_string()
                .starts_with("attrition must be a share between 0 and 1"));
        }
        assert_eq!(
            ProjectionError::AttritionOutOfRange(1.2).to_string(),
            "attrition must be a share between 0 and 1 (for example 0.20 for 20% leaving a year), got 1.2"
        );
        for ok in ["0", "1", "0.0", "1.0"] {
            let text = format!("start_year = 2021\nstart_stock = 45\nattrition = {ok}\n");
            assert!(Scenario::from_toml(&text).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_negative_or_non_finite_stock_and_inflow() {
        let e = toml_err("start_year = 2021\nstart_stock = -1\nattrition = 0.2\n");
        assert_eq!(e, ProjectionError::InvalidStartStock(-1.0));
        assert_eq!(
            e.to_string(),
            "start_stock must be a number of social workers, 0 or more, got -1"
        );
        let e = toml_err("start_year = 2021\nstart_stock = inf\nattrition = 0.2\n");
        assert!(matches!(e, ProjectionError::InvalidStartStock(_)));
        let e =
            toml_err("start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow]\n2023 = -5\n");
        assert_eq!(
            e,
            ProjectionError::InvalidInflow {
                year: 2023,
                value: -5.0
            }
        );
        assert_eq!(
            e.to_string(),
            "inflow for 2023 must be a number of social workers, 0 or more, got -5"
        );
        let e = toml_err(
            "start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow]\n2023 = nan\n",
        );
        assert!(matches!(
            e,
            ProjectionError::InvalidInflow { year: 2023, .. }
        ));
    }

    #[test]
    fn refuses_inflow_in_or_before_the_start_year() {
        for year in ["2020", "2021"] {
            let e = toml_err(&format!(
                "start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow]\n{year} = 5\n"
            ));
            assert!(
                matches!(
                    e,
                    ProjectionError::InflowNotAfterStart {
                        start_year: 2021,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(e
                .to_string()
                .contains(&format!("inflow is given for {year}")));
        }
    }

    #[test]
    fn refuses_inflow_keys_that_are_not_years() {
        for key in [
            "next",
            "\"2022.5\"",
            "\"-2022\"",
            "\"+2022\"",
            "\" 2022\"",
            "\"\"",
            "\"99999999999\"",
        ] {
            let e = toml_err(&format!(
                "start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow]\n{key} = 5\n"
            ));
            assert!(
                matches!(e, ProjectionError::InflowKeyNotAYear(_)),
                "{key}: {e:?}"
            );
        }
        assert_eq!(
            ProjectionError::InflowKeyNotAYear("next".into()).to_string(),
            "inflow key \"next\" is not a year: write each year as a whole number, for example 2023 = 250"
        );
        let e = toml_err(
            "start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow]\n2022 = 1\n02022 = 2\n",
        );
        assert!(
            e.to_string().contains("inflow for 2022 is given twice"),
            "{e}"
        );
    }

    #[test]
    fn refuses_unknown_keys_with_their_line() {
        let e = toml_err("start_year = 2021\nstart_stock = 45\nattritoin = 0.2\n");
        let ProjectionError::Toml { position, message } = &e else {
            panic!("expected a TOML error, got {e:?}");
        };
        assert_eq!(position.map(|p| p.line), Some(3));
        assert!(message.contains("unknown field `attritoin`"), "{message}");
        assert!(
            e.to_string()
                .starts_with("scenario file at line 3, column 1: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn refuses_missing_keys_and_wrong_types() {
        let e = toml_err("start_year = 2021\nstart_stock = 45\n");
        assert!(e.to_string().contains("missing field `attrition`"), "{e}");
        let e = toml_err("start_year = 2021\nstart_stock = 45\nattrition = \"20%\"\n");
        let ProjectionError::Toml { position, .. } = &e else {
            panic!("expected a TOML error, got {e:?}");
        };
        assert_eq!(position.map(|p| p.line), Some(3), "{e}");
        assert_eq!(
            e.to_string(),
            "scenario file at line 3, column 13: invalid type: string \"20%\", expected a number"
        );
        let e = toml_err("start_year = 2021.5\nstart_stock = 45\nattrition = 0.2\n");
        assert!(e.to_string().ends_with("expected a whole number"), "{e}");
        assert!(
            matches!(
                e,
                ProjectionError::Toml {
                    position: Some(TextPosition { line: 1, .. }),
                    ..
                }
            ),
            "{e:?}"
        );
        let e = toml_err(
            "start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow]\n2022 = \"many\"\n",
        );
        assert!(
            matches!(
                e,
                ProjectionError::Toml {
                    position: Some(TextPosition { line: 5, .. }),
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn reports_syntax_errors_with_their_line() {
        let e =
            toml_err("start_year = 2021\nstart_stock = 45\nattrition = 0.2\n[inflow\n2022 = 140\n");
        let ProjectionError::Toml { position, .. } = &e else {
            panic!("expected a TOML error, got {e:?}");
        };
        assert_eq!(position.map(|p| p.line), Some(4), "{e}");
        assert!(
            e.to_string()
                .starts_with("scenario file at line 4, column "),
            "{e}"
        );
        let e = toml_err("start_year = 2021\nstart_stock = 45\nattrition = 0.2\nattrition = 0.3\n");
        assert!(
            matches!(
                e,
                ProjectionError::Toml {
                    position: Some(TextPosition { line: 4, .. }),
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn text_positions_count_lines_and_characters_from_one() {
        let text = "ab\nçd\n";
        assert_eq!(
            TextPosition::of(text, 0),
            TextPosition { line: 1, column: 1 }
        );
        assert_eq!(
            TextPosition::of(text, 3),
            TextPosition { line: 2, column: 1 }
        );
        // 'ç' is two bytes: byte 5 is the 'd', the second character of line 2.
        assert_eq!(
            TextPosition::of(text, 5),
            TextPosition { line: 2, column: 2 }
        );
        // An offset inside a character or past the end is clamped.
        assert_eq!(
            TextPosition::of(text, 4),
            TextPosition { line: 2, column: 1 }
        );
        assert_eq!(
            TextPosition::of(text, 99),
            TextPosition { line: 3, column: 1 }
        );
    }

    #[test]
    fn refuses_an_end_before_the_start_or_too_far() {
        let s = Scenario::seeds_2021();
        let e = project(&s, 2020).unwrap_err();
        assert_eq!(
            e,
            ProjectionError::UntilBeforeStart {
                start_year: 2021,
                until_year: 2020
            }
        );
        assert_eq!(
            e.to_string(),
            "the projection must end in or after the start year 2021, got 2020; choose a later end year"
        );
        assert!(project(&s, 2021 + 1000).is_ok());
        let e = project(&s, 2021 + 1001).unwrap_err();
        assert!(matches!(e, ProjectionError::TooLong { max: 1000, .. }));
        assert!(project(&s, i32::MAX).is_err());
        let early = Scenario {
            start_year: i32::MIN,
            inflow: BTreeMap::new(),
            ..s
        };
        assert!(matches!(
            project(&early, i32::MAX),
            Err(ProjectionError::TooLong { .. })
        ));
    }

    #[test]
    fn project_checks_scenarios_built_in_code() {
        let mut s = Scenario::seeds_2021();
        s.attrition = f64::NAN;
        assert!(matches!(
            project(&s, 2030),
            Err(ProjectionError::AttritionOutOfRange(_))
        ));
        let mut s = Scenario::seeds_2021();
        s.inflow.insert(2019, 1.0);
        assert!(matches!(
            project(&s, 2030),
            Err(ProjectionError::InflowNotAfterStart { year: 2019, .. })
        ));
        let mut s = Scenario::seeds_2021();
        s.start_stock = -0.5;
        assert!(matches!(
            project(&s, 2030),
            Err(ProjectionError::InvalidStartStock(_))
        ));
    }

    #[test]
    fn refuses_a_stock_that_overflows() {
        let s = Scenario {
            start_year: 2000,
            start_stock: f64::MAX,
            attrition: 0.0,
            inflow: BTreeMap::from([(2001, f64::MAX)]),
        };
        assert_eq!(
            project(&s, 2001),
            Err(ProjectionError::Overflow { year: 2001 })
        );
    }

    /// A small deterministic generator (64-bit LCG, Knuth's MMIX constants) for grid tests without
    /// new dependencies.
    struct Lcg(u64);

    impl Lcg {
        fn next_u32(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 32) as u32
        }

        /// Uniform-ish in [0, 1).
        fn unit(&mut self) -> f64 {
            f64::from(self.next_u32()) / 4_294_967_296.0
        }

        fn below(&mut self, n: u32) -> u32 {
            self.next_u32() % n
        }
    }

    /// Scenarios over a grid of attritions (including 0 and 1) and start stocks, with random inflows
    /// (some years empty, some whole, some fractional).
    fn grid() -> Vec<Scenario> {
        let mut rng = Lcg(0x5eed_2021);
        let attritions = [0.0, 0.01, 0.05, 0.1, 0.2, 0.25, 0.333, 0.5, 0.9, 1.0];
        let stocks = [0.0, 1.0, 45.0, 1000.5, 123_456.0];
        let mut out = Vec::new();
        for &attrition in &attritions {
            for &start_stock in &stocks {
                for _ in 0..4 {
                    let start_year = 1990 + rng.below(40) as i32;
                    let mut inflow = BTreeMap::new();
                    for year in start_year + 1..=start_year + 40 {
                        match rng.below(4) {
                            0 => {}
                            1 => {
                                inflow.insert(year, f64::from(rng.below(500)));
                            }
                            2 => {
                                inflow.insert(year, rng.unit() * 1000.0);
                            }
                            _ => {
                                inflow.insert(year, 0.0);
                            }
                        }
                    }
                    out.push(Scenario {
                        start_year,
                        start_stock,
                        attrition,
                        inflow,
                    });
                }
            }
        }
        out
    }

    #[test]
    fn property_rows_follow_the_chain_exactly_and_stock_is_never_negative() {
        for s in grid() {
            let until = s.start_year + 40;
            let rows = project(&s, until).unwrap();
            assert_eq!(rows.len(), 41);
            assert_eq!(rows[0].stock, s.start_stock);
            assert_eq!((rows[0].inflow, rows[0].leavers), (0.0, 0.0));
            for pair in rows.windows(2) {
                let (prev, row) = (pair[0], pair[1]);
                assert_eq!(row.year, prev.year + 1);
                assert_eq!(row.inflow, s.inflow_in(row.year));
                assert_eq!(row.leavers, s.attrition * prev.stock);
                // The identity, bit for bit as computed ...
                assert_eq!(row.stock, prev.stock + row.inflow - row.leavers);
                // ... and as a difference, up to rounding of the last bit.
                let diff = row.stock - prev.stock;
                let tolerance = 1e-9 * (1.0 + row.stock.abs() + prev.stock.abs());
                assert!((diff - (row.inflow - row.leavers)).abs() <= tolerance);
                assert!(row.stock >= 0.0 && row.leavers >= 0.0, "{s:?} {row:?}");
                assert!(row.leavers <= prev.stock);
            }
        }
    }

    #[test]
    fn property_without_inflow_the_stock_never_rises() {
        for mut s in grid() {
            s.inflow.clear();
            let rows = project(&s, s.start_year + 60).unwrap();
            for pair in rows.windows(2) {
                assert!(pair[1].stock <= pair[0].stock, "{s:?}");
            }
            if s.attrition == 1.0 {
                assert!(rows[1..].iter().all(|r| r.stock == 0.0));
            }
            if s.attrition == 0.0 {
                assert!(rows.iter().all(|r| r.stock == s.start_stock));
            }
        }
    }

    #[test]
    fn property_without_attrition_stock_is_start_plus_cumulative_inflow() {
        for mut s in grid() {
            s.attrition = 0.0;
            let rows = project(&s, s.start_year + 40).unwrap();
            let mut cumulative = 0.0;
            for row in &rows {
                cumulative += row.inflow;
                assert_eq!(row.leavers, 0.0);
                let expected = s.start_stock + cumulative;
                assert!(
                    (row.stock - expected).abs() <= 1e-9 * (1.0 + expected),
                    "{s:?}"
                );
            }
            // With whole-number inflows the sums are exact.
            let whole = Scenario {
                inflow: s.inflow.iter().map(|(y, v)| (*y, v.floor())).collect(),
                start_stock: s.start_stock.floor(),
                ..s.clone()
            };
            let rows = project(&whole, whole.start_year + 40).unwrap();
            let total: f64 = whole.inflow.values().sum();
            assert_eq!(rows[40].stock, whole.start_stock + total);
        }
    }

    #[test]
    fn property_constant_inflow_approaches_inflow_over_attrition() {
        let mut rng = Lcg(0xa77_2030);
        for &attrition in &[0.05, 0.1, 0.2, 0.25, 0.5, 0.9, 1.0] {
            for _ in 0..10 {
                let inflow_per_year = f64::from(1 + rng.below(1000));
                let start_stock = f64::from(rng.below(20_000));
                let s = Scenario {
                    start_year: 2021,
                    start_stock,
                    attrition,
                    inflow: (2022..=2521).map(|y| (y, inflow_per_year)).collect(),
                };
                let steady = inflow_per_year / attrition;
                let rows = project(&s, 2521).unwrap();
                // The distance to the steady state shrinks by (1 − attrition) each year ...
                for pair in rows.windows(2) {
                    let before = (pair[0].stock - steady).abs();
                    let after = (pair[1].stock - steady).abs();
                    assert!(after <= before * (1.0 - attrition) + 1e-9 * steady, "{s:?}");
                }
                // ... so after 500 years the stock is the steady state, and the leavers equal the inflow.
                let last = rows.last().unwrap();
                assert!(
                    (last.stock - steady).abs() <= 1e-9 * steady,
                    "{} vs {steady}",
                    last.stock
                );
                assert!((last.leavers - inflow_per_year).abs() <= 1e-9 * steady);
            }
        }
        // The seeds' 250 a year at 20% would settle at 1,250 social workers.
        let mut s = Scenario::seeds_2021();
        for year in 2031..=2300 {
            s.inflow.insert(year, 250.0);
        }
        let rows = project(&s, 2300).unwrap();
        assert_eq!(
            render_csv(&rows[rows.len() - 1..]).lines().nth(1),
            Some("2300,250,250,1250")
        );
    }
}
