//! The statistics downloads (issue #5): CSV in the CLI's format, an XLSX workbook, and the DHIS2
//! `dataValueSets` document. Each writes the published table as the store returned it: a hidden
//! count is an empty cell (CSV, XLSX, with the reason beside it in the workbook) or is left out
//! (DHIS2), never a figure.

use crate::pages::i18n::Translator;
use crate::planning_export::{service_name, unit_name};
use crate::statistics::{self, Indicator, StatQuery, StatRow, StatTable};
use goldaw_core::access::Principal;
use goldaw_core::dhis2::{self, DataValueSet, Mapping};
use goldaw_core::disclosure::{Published, Reason, Rule};
use goldaw_core::periods::CalendarPeriod;
use goldaw_core::statistics::Dimension;
use goldaw_store::catalogue::Catalogue;
use goldaw_store::{Store, StoreError};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

/// The table as CSV: the dimensions in the order asked, then `count`; one row per cell as the
/// store returned it; a hidden count is an empty cell (`goldaw report service-users` prints the
/// same).
pub fn csv(dimensions: &[Dimension], rows: &[StatRow]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = dimensions.iter().map(|d| d.as_str()).collect();
    header.push("count");
    w.write_record(&header)?;
    for row in rows {
        let count = row.count.value().map(|n| n.to_string()).unwrap_or_default();
        w.write_record(
            row.values
                .iter()
                .map(String::as_str)
                .chain([count.as_str()]),
        )?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A value of a dimension as people read it, in the page's language.
pub fn value_label(catalogue: &Catalogue, t: &Translator, dim: Dimension, value: &str) -> String {
    match (dim, value) {
        (_, "unknown") => t.t("stat-value-unknown"),
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

/// The name of a dimension, in the page's language.
pub fn dimension_label(t: &Translator, dim: Dimension) -> String {
    t.t(&format!("stat-dim-{}", dim.as_str()))
}

/// What the rule hides, as a sentence for the table's note.
pub fn rule_note(t: &Translator, rule: Rule) -> String {
    if rule.is_off() {
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

/// Why one cell is hidden.
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
    format!("stat-indicator-{}", indicator.as_str())
}

/// The row of the header (0-based) in the workbook, after the title and the notes.
pub const XLSX_HEADER_ROW: u32 = 4;

/// The table as a workbook: a title with the period, the suppression note, a header, then one
/// row per cell: the codes of its values, their names, and the count as a number (empty when
/// hidden, with the reason in the last column).
pub fn xlsx(table: &StatTable, catalogue: &Catalogue, lang: &str) -> Result<Vec<u8>, XlsxError> {
    let t = Translator::new(Some(lang));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let name: String = table
        .query
        .indicator
        .as_str()
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet.set_name(name)?;
    let bold = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin);
    let count = Format::new().set_num_format("#,##0");
    let hidden = Format::new().set_font_color("#A4161A");

    sheet.write_string_with_format(0, 0, title(&t, &table.query), &bold)?;
    sheet.write_string(1, 0, rule_note(&t, table.rule))?;
    sheet.write_string(2, 0, t.t("stat-xlsx-note"))?;
    let dims = &table.query.dims;
    let mut col: u16 = 0;
    for d in dims {
        sheet.write_string_with_format(XLSX_HEADER_ROW, col, d.as_str(), &header)?;
        sheet.write_string_with_format(
            XLSX_HEADER_ROW,
            col + 1,
            dimension_label(&t, *d),
            &header,
        )?;
        col += 2;
    }
    let count_col = col;
    sheet.write_string_with_format(XLSX_HEADER_ROW, count_col, t.t("stat-col-count"), &header)?;
    sheet.write_string_with_format(
        XLSX_HEADER_ROW,
        count_col + 1,
        t.t("stat-col-hidden"),
        &header,
    )?;
    for (i, row) in table.rows.iter().enumerate() {
        let r = XLSX_HEADER_ROW + 1 + i as u32;
        for (j, (d, v)) in dims.iter().zip(&row.values).enumerate() {
            let c = 2 * j as u16;
            sheet.write_string(r, c, v)?;
            sheet.write_string(r, c + 1, value_label(catalogue, &t, *d, v))?;
        }
        match row.count {
            Published::Shown { value } => {
                sheet.write_number_with_format(r, count_col, value as f64, &count)?;
            }
            Published::Suppressed { reason } => {
                sheet.write_string_with_format(
                    r,
                    count_col + 1,
                    reason_label(&t, reason),
                    &hidden,
                )?;
            }
        }
    }
    sheet.set_freeze_panes(XLSX_HEADER_ROW + 1, 0)?;
    for c in 0..count_col {
        sheet.set_column_width(c, if c % 2 == 0 { 12.0 } else { 28.0 })?;
    }
    sheet.set_column_width(count_col, 12.0)?;
    sheet.set_column_width(count_col + 1, 40.0)?;
    workbook.save_to_buffer()
}

/// The mapping the server and the CLI use: the file at `GOLDAW_DHIS2_MAPPING` if set, else the
/// shipped one. Read each time, so that a changed file needs no restart.
pub fn configured_mapping() -> Result<Mapping, String> {
    match std::env::var_os("GOLDAW_DHIS2_MAPPING") {
        Some(path) => mapping_from_file(std::path::Path::new(&path)),
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
    /// The mapping does not fit the data or names an indicator goldaw does not have.
    #[error("{0}")]
    Mapping(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The data value set of `period` for the principal's area: one report per data element of the
/// mapping, suppressed with the standard rule, its hidden cells left out.
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
        let indicator: Indicator = element.indicator.parse().map_err(|e| {
            Dhis2Error::Mapping(format!("data element {}: {e}", element.data_element))
        })?;
        let query = StatQuery {
            indicator,
            period: period.period(),
            dims: element.dimensions(),
            min_cell: None,
        };
        let table = statistics::run(store, principal, &query).await?;
        let values = dhis2::data_values(
            mapping,
            element,
            period,
            &scope,
            table.rows.iter().map(|r| (r.values.as_slice(), r.count)),
        )
        .map_err(|e| Dhis2Error::Mapping(e.to_string()))?;
        data_values.extend(values);
    }
    Ok(DataValueSet {
        data_set: mapping.data_set.clone(),
        data_values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_writes_hidden_counts_as_empty_cells() {
        let rows = vec![
            StatRow {
                values: vec!["F".into(), "0-17".into()],
                count: Published::Shown { value: 12 },
            },
            StatRow {
                values: vec!["M".into(), "60+".into()],
                count: Published::Suppressed {
                    reason: Reason::Primary,
                },
            },
        ];
        assert_eq!(
            csv(&[Dimension::Sex, Dimension::AgeBand], &rows).unwrap(),
            "sex,age_band,count\nF,0-17,12\nM,60+,\n"
        );
        let total = vec![StatRow {
            values: vec![],
            count: Published::Shown { value: 3 },
        }];
        assert_eq!(csv(&[], &total).unwrap(), "count\n3\n");
    }
}
