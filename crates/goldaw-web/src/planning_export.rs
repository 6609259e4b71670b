//! The costed draft service development plan as an XLSX workbook (rust_xlsxwriter), for the web page's download
//! and `goldaw plan gaps --format xlsx`.
//!
//! One sheet, named after the velayat: a title, the cost model's warning that its amounts are composed, the
//! currency and price year, a header row, one row per etrap and service, and a totals row. Counts and amounts
//! are written as numbers (amounts rounded to the tiyn) with number formats, so a spreadsheet adds them up.

use crate::i18n::Translator;
use crate::spreadsheet::TextCells;
use goldaw_core::planning::costing::round_money;
use goldaw_core::planning::gaps::DevelopmentPlan;
use goldaw_store::catalogue::Catalogue;
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

/// The row of the header (0-based), after the title and notes.
pub const HEADER_ROW: u32 = 4;

/// The header keys, in column order.
const COLUMNS: [&str; 11] = [
    "planning-col-etrap-code",
    "planning-col-etrap",
    "planning-col-service-code",
    "planning-col-service",
    "planning-col-population",
    "planning-col-need",
    "planning-col-basis",
    "planning-col-places",
    "planning-col-gap",
    "planning-col-cost-per-place",
    "planning-col-cost",
];

/// A unit's name in `lang`, or its code if the reference data does not have it.
pub(crate) fn unit_name(catalogue: &Catalogue, code: &str, lang: &str) -> String {
    catalogue
        .admin_units
        .iter()
        .find(|u| u.code == code)
        .map_or_else(
            || code.to_owned(),
            |u| match lang {
                "en" => u.name_en.clone(),
                "ru" => u.name_ru.clone(),
                _ => u.name_tk.clone(),
            },
        )
}

/// A service's name in `lang`, or its code.
pub(crate) fn service_name(catalogue: &Catalogue, code: &str, lang: &str) -> String {
    catalogue
        .term("service", code)
        .map_or_else(|| code.to_owned(), |t| t.name(lang).to_owned())
}

/// The sheet's name: the velayat's code and a word (at most 31 characters, none of `[]:*?/\`).
fn sheet_name(t: &Translator, velayat: &str) -> String {
    let name: String = format!("{velayat} {}", t.t("planning-sheet"))
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    name
}

/// The workbook of the plan of `velayat` (its lines: every etrap of the plan in that velayat), in `lang`.
/// `protected`: the plan's counts of people were protected for a reader without the unsuppressed grant
/// (`NeedsAndSupply::protected`), which the warning row says instead of "not suppressed".
pub fn velayat_plan_xlsx(
    plan: &DevelopmentPlan,
    velayat: &str,
    catalogue: &Catalogue,
    lang: &str,
    protected: bool,
) -> Result<Vec<u8>, XlsxError> {
    let t = Translator::new(Some(lang));
    let lang = t.lang();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&t, velayat))?;

    let title = Format::new().set_bold().set_font_size(14);
    let warning = Format::new().set_bold().set_font_color("#A4161A");
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin);
    let count = Format::new().set_num_format("#,##0");
    let money = Format::new().set_num_format("#,##0.00");
    let total_count = Format::new()
        .set_bold()
        .set_num_format("#,##0")
        .set_border_top(FormatBorder::Thin);
    let total_money = Format::new()
        .set_bold()
        .set_num_format("#,##0.00")
        .set_border_top(FormatBorder::Thin);
    let total_text = Format::new().set_bold().set_border_top(FormatBorder::Thin);

    let velayat_name = unit_name(catalogue, velayat, lang);
    sheet.text_with_format(
        0,
        0,
        t.t_with(
            "planning-plan-title",
            &[
                ("name", velayat_name.clone().into()),
                ("unit", velayat.to_owned().into()),
            ],
        ),
        &title,
    )?;
    sheet.text_with_format(1, 0, t.t("planning-composed-warning"), &warning)?;
    let counts_note = if protected {
        "disclosure-planning-protected"
    } else {
        "planning-unsuppressed-warning"
    };
    sheet.text_with_format(2, 0, t.t(counts_note), &warning)?;
    sheet.text(
        3,
        0,
        t.t_with(
            "planning-currency-note",
            &[
                ("currency", plan.currency.clone().into()),
                ("year", plan.price_year.into()),
            ],
        ),
    )?;
    for (col, key) in COLUMNS.iter().enumerate() {
        sheet.text_with_format(HEADER_ROW, col as u16, t.t(key), &header)?;
    }

    let mut row = HEADER_ROW + 1;
    for line in plan.lines().filter(|l| l.velayat == velayat) {
        sheet.text(row, 0, &line.etrap)?;
        sheet.text(row, 1, unit_name(catalogue, &line.etrap, lang))?;
        sheet.text(row, 2, &line.service)?;
        sheet.text(row, 3, service_name(catalogue, &line.service, lang))?;
        sheet.write_number_with_format(row, 4, line.population as f64, &count)?;
        sheet.write_number_with_format(row, 5, line.need as f64, &count)?;
        sheet.text(
            row,
            6,
            t.t(&format!("planning-basis-{}", line.basis.as_str())),
        )?;
        sheet.write_number_with_format(row, 7, line.places as f64, &count)?;
        sheet.write_number_with_format(row, 8, line.gap as f64, &count)?;
        sheet.write_number_with_format(row, 9, round_money(line.cost_per_place_year), &money)?;
        sheet.write_number_with_format(row, 10, round_money(line.cost), &money)?;
        row += 1;
    }
    if let Some(v) = plan.velayats.iter().find(|v| v.velayat == velayat) {
        sheet.text_with_format(
            row,
            0,
            t.t_with("planning-total-of", &[("unit", velayat.to_owned().into())]),
            &total_text,
        )?;
        for col in [1u16, 2, 3, 6, 9] {
            sheet.write_blank(row, col, &total_text)?;
        }
        sheet.write_number_with_format(row, 4, v.population as f64, &total_count)?;
        sheet.write_number_with_format(row, 5, v.totals.need as f64, &total_count)?;
        sheet.write_number_with_format(row, 7, v.totals.places as f64, &total_count)?;
        sheet.write_number_with_format(row, 8, v.totals.gap as f64, &total_count)?;
        sheet.write_number_with_format(row, 10, round_money(v.totals.cost), &total_money)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
    for (col, width) in [
        10.0, 24.0, 8.0, 48.0, 12.0, 10.0, 22.0, 10.0, 12.0, 14.0, 16.0,
    ]
    .iter()
    .enumerate()
    {
        sheet.set_column_width(col as u16, *width)?;
    }
    workbook.save_to_buffer()
}
