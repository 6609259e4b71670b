//! The statistics downloads (issue #5): CSV in the CLI's format, an XLSX workbook, and the DHIS2
//! `dataValueSets` document. Each writes the published table as the store returned it: a hidden
//! count is an empty cell (CSV, XLSX, with the reason beside it in the workbook) or is left out
//! (DHIS2), never a figure.

use crate::i18n::Translator;
use crate::planning_export::{service_name, unit_name};
use crate::spreadsheet::TextCells;
use crate::statistics::{self, Figure, Indicator, Measure, StatQuery, StatTable};
use goldaw_core::access::Principal;
use goldaw_core::dhis2::{self, DataValueSet, Mapping};
use goldaw_core::disclosure::{Published, Reason, Rule};
use goldaw_core::indicators::{Column, Note};
use goldaw_core::periods::CalendarPeriod;
use goldaw_core::spreadsheet::{Cell, SpreadsheetCsv};
use goldaw_core::statistics::Dimension;
use goldaw_store::catalogue::Catalogue;
use goldaw_store::{Store, StoreError};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

/// The table as CSV, as `goldaw report` prints it: the dimensions in the order asked, the
/// indicator's own columns, then its figures; a hidden or undefined figure is an empty cell.
/// The service-users table keeps the CLI's contract of issue #5: its one figure is `count`.
/// Written for a spreadsheet: text that could be read as a formula is quoted.
pub fn csv(table: &StatTable) -> String {
    let t = &table.table;
    let mut w = SpreadsheetCsv::new();
    let mut header = t.header();
    if t.indicator == Indicator::ServiceUsers {
        if let Some(last) = header.last_mut() {
            *last = "count";
        }
    }
    w.row(header);
    for row in &t.rows {
        let figures: Vec<String> = row.figures.iter().map(Figure::csv).collect();
        w.row(
            row.values
                .iter()
                .map(|v| Cell::Text(v))
                .chain(figures.iter().map(|f| Cell::Number(f))),
        );
    }
    w.finish()
}

/// A value of a dimension as people read it, in the page's language.
pub fn value_label(catalogue: &Catalogue, t: &Translator, dim: Dimension, value: &str) -> String {
    match (dim, value) {
        (_, "unknown") => t.t("stat-value-unknown"),
        (_, "total") => t.t("indicator-value-total"),
        (Dimension::TargetGroup, "none") => t.t("stat-value-none"),
        (Dimension::AdminUnit | Dimension::Velayat, code) => unit_name(catalogue, code, t.lang()),
        (Dimension::Sex, s) => t.t(&format!("sex-{s}")),
        (Dimension::Disability, "true") => t.t("stat-disability-true"),
        (Dimension::Disability, _) => t.t("stat-disability-false"),
        (Dimension::Service, code) => service_name(catalogue, code, t.lang()),
        (Dimension::TargetGroup, code) => catalogue
            .term("target_group", code)
            .map_or_else(|| code.to_owned(), |term| term.name(t.lang()).to_owned()),
        (Dimension::Settlement, s) => t.t(&format!("stat-settlement-{s}")),
        (Dimension::AgeBand, band) => band.to_owned(),
    }
}

/// A value of an indicator's own column as people read it.
pub fn column_value_label(
    catalogue: &Catalogue,
    t: &Translator,
    column: Column,
    value: &str,
) -> String {
    // The message, if there is one for this value; else the value as stored.
    let message = |key: String| {
        let text = t.t(&key);
        if text == key {
            value.to_owned()
        } else {
            text
        }
    };
    if value == "total" {
        return t.t("indicator-value-total");
    }
    match column {
        Column::Step => message(format!("stat-step-{value}")),
        Column::Priority => message(format!("priority-{value}")),
        Column::Rating => message(format!("rating-{value}")),
        Column::Source => catalogue
            .term("referral_source", value)
            .map_or_else(|| value.to_owned(), |term| term.name(t.lang()).to_owned()),
        Column::Provider if value == "none" => t.t("stat-provider-none"),
        Column::Worker if value == "unassigned" => t.t("stat-worker-unassigned"),
        Column::Provider | Column::Worker => value.to_owned(),
    }
}

/// The name of a dimension, in the page's language.
pub fn dimension_label(t: &Translator, dim: Dimension) -> String {
    t.t(&format!("stat-dim-{}", dim.as_str()))
}

pub fn column_label(t: &Translator, column: Column) -> String {
    t.t(&format!("indicator-column-{}", column.as_str()))
}

pub fn measure_label(t: &Translator, measure: Measure) -> String {
    t.t(&format!("indicator-measure-{}", measure.as_str()))
}

/// What the rule hides, as a sentence for the table's note.
pub fn rule_note(t: &Translator, rule: Rule, indicator: Indicator) -> String {
    if indicator.is_internal() {
        t.t("stat-rule-internal")
    } else if rule.is_off() {
        t.t("stat-rule-off")
    } else if rule.hides_zeros() {
        t.t_with(
            "stat-rule-zeros",
            &[("limit", (rule.threshold() - 1).into())],
        )
    } else {
        t.t_with("stat-rule", &[("limit", (rule.threshold() - 1).into())])
    }
}

/// A note published with a table, in the page's language.
pub fn note_text(t: &Translator, note: &Note) -> String {
    match note {
        Note::PopulationYear { year } => t.t_with(
            "indicator-note-population_year",
            &[("year", (*year).into())],
        ),
        Note::PopulationNotAvailable { units } => t.t_with(
            "indicator-note-population_not_available",
            &[("unit", units.join(", ").into())],
        ),
        other => t.t(&format!("indicator-note-{}", other.code())),
    }
}

/// Why a figure is hidden, if it is.
pub fn figure_reason(f: Figure) -> Option<Reason> {
    match f {
        Figure::Count {
            value: Published::Suppressed { reason },
        }
        | Figure::Number {
            value: Published::Suppressed { reason },
        } => Some(reason),
        _ => None,
    }
}

/// Why one figure is hidden, for people.
pub fn reason_label(t: &Translator, reason: Reason) -> String {
    t.t(match reason {
        Reason::Primary => "stat-reason-primary",
        Reason::Secondary => "stat-reason-secondary",
    })
}

/// The title of a table: the indicator over the period.
pub fn title(t: &Translator, query: &StatQuery) -> String {
    t.t_with(
        "stat-table-title",
        &[
            ("indicator", t.t(&indicator_key(query.indicator)).into()),
            ("from", query.period.from().to_string().into()),
            ("to", query.period.to().to_string().into()),
        ],
    )
}

pub fn indicator_key(indicator: Indicator) -> String {
    format!("indicator-{}", indicator.as_str())
}

/// The row of the header (0-based) in the workbook, after the title and the notes.
pub const XLSX_HEADER_ROW: u32 = 4;

/// The table as a workbook: a title with the period, the suppression note, a header, then one
/// row per cell: the codes of its values and their names, the figures as numbers (a hidden or
/// undefined figure is an empty cell), and, where something is hidden, why.
pub fn xlsx(table: &StatTable, catalogue: &Catalogue, lang: &str) -> Result<Vec<u8>, XlsxError> {
    let t = Translator::new(Some(lang));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(table.query.indicator.as_str())?;
    let bold = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin);
    let count = Format::new().set_num_format("#,##0");
    let number = Format::new().set_num_format("#,##0.0##");
    let hidden = Format::new().set_font_color("#A4161A");

    sheet.text_with_format(0, 0, title(&t, &table.query), &bold)?;
    sheet.text(1, 0, rule_note(&t, table.table.rule, table.query.indicator))?;
    let mut notes = vec![t.t("stat-xlsx-note")];
    notes.extend(table.table.notes.iter().map(|n| note_text(&t, n)));
    sheet.text(2, 0, notes.join(" "))?;
    let dims = &table.query.dims;
    let columns = table.query.indicator.columns();
    let measures = &table.table.measures;
    let mut col: u16 = 0;
    for name in dims
        .iter()
        .map(|d| (d.as_str(), dimension_label(&t, *d)))
        .chain(columns.iter().map(|c| (c.as_str(), column_label(&t, *c))))
    {
        sheet.text_with_format(XLSX_HEADER_ROW, col, name.0, &header)?;
        sheet.text_with_format(XLSX_HEADER_ROW, col + 1, name.1, &header)?;
        col += 2;
    }
    let first_figure = col;
    for m in measures {
        sheet.text_with_format(XLSX_HEADER_ROW, col, measure_label(&t, *m), &header)?;
        col += 1;
    }
    let why_col = col;
    sheet.text_with_format(XLSX_HEADER_ROW, why_col, t.t("stat-col-hidden"), &header)?;
    for (i, row) in table.table.rows.iter().enumerate() {
        let r = XLSX_HEADER_ROW + 1 + i as u32;
        for (j, v) in row.values.iter().enumerate() {
            let c = 2 * j as u16;
            let label = match dims.get(j) {
                Some(d) => value_label(catalogue, &t, *d, v),
                None => columns
                    .get(j - dims.len())
                    .map_or_else(|| v.clone(), |k| column_value_label(catalogue, &t, *k, v)),
            };
            sheet.text(r, c, v)?;
            sheet.text(r, c + 1, label)?;
        }
        let mut reasons = Vec::new();
        for (k, f) in row.figures.iter().enumerate() {
            let c = first_figure + k as u16;
            match f {
                Figure::Count {
                    value: Published::Shown { value },
                } => {
                    sheet.write_number_with_format(r, c, *value as f64, &count)?;
                }
                Figure::Number {
                    value: Published::Shown { value },
                } => {
                    sheet.write_number_with_format(r, c, *value, &number)?;
                }
                _ => {}
            }
            if let Some(reason) = figure_reason(*f) {
                let text = reason_label(&t, reason);
                if !reasons.contains(&text) {
                    reasons.push(text);
                }
            }
        }
        if !reasons.is_empty() {
            sheet.text_with_format(r, why_col, reasons.join("; "), &hidden)?;
        }
    }
    sheet.set_freeze_panes(XLSX_HEADER_ROW + 1, 0)?;
    for c in 0..first_figure {
        sheet.set_column_width(c, if c % 2 == 0 { 12.0 } else { 28.0 })?;
    }
    for c in first_figure..why_col {
        sheet.set_column_width(c, 12.0)?;
    }
    sheet.set_column_width(why_col, 40.0)?;
    workbook.save_to_buffer()
}

/// The mapping the server and the CLI use: the file configured (`GOLDAW_DHIS2_MAPPING`, read by
/// the binary) if any, else the shipped one. Called at each export, so that a changed file needs
/// no restart.
pub fn configured_mapping(path: Option<&std::path::Path>) -> Result<Mapping, String> {
    match path {
        Some(path) => mapping_from_file(path),
        None => Mapping::shipped().map_err(|e| e.to_string()),
    }
}

pub fn mapping_from_file(path: &std::path::Path) -> Result<Mapping, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("the DHIS2 mapping {} cannot be read: {e}", path.display()))?;
    Mapping::from_toml(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Why a DHIS2 export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Dhis2Error {
    /// The mapping does not fit the data.
    #[error("{0}")]
    Mapping(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The data value set of `period` for the principal's area: one published table per data
/// element of the mapping (the standard rule), its hidden counts left out.
pub async fn dhis2(
    store: &Store,
    principal: &Principal,
    mapping: &Mapping,
    period: CalendarPeriod,
) -> Result<DataValueSet, Dhis2Error> {
    let scope = principal
        .unit_scope()
        .ok_or_else(|| {
            StoreError::Forbidden("statistics are by place; this account has no area".into())
        })?
        .as_str()
        .to_owned();
    let mut data_values = Vec::new();
    for element in &mapping.elements {
        let query = StatQuery {
            indicator: element.indicator,
            period: period.period(),
            dims: element.dimensions(),
            min_cell: None,
        };
        let table = statistics::run(store, principal, &query).await?;
        let counts: Vec<(&[String], Published<u64>)> = table
            .table
            .rows
            .iter()
            .filter_map(|r| {
                let count = statistics::as_count(table.table.figure(r, element.measure)?)?;
                Some((r.values.as_slice(), count))
            })
            .collect();
        let values = dhis2::data_values(mapping, element, period, &scope, counts)
            .map_err(|e| Dhis2Error::Mapping(e.to_string()))?;
        data_values.extend(values);
    }
    Ok(DataValueSet {
        data_set: mapping.data_set.clone(),
        data_values,
    })
}
