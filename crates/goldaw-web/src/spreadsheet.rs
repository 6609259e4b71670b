//! Text cells of the XLSX workbooks, through the rule of `goldaw_core::spreadsheet`: a text that
//! could be read as a formula is written with a leading `'`. Numbers are written as number cells
//! (`write_number…`) and need nothing. `clippy.toml` forbids writing text to a worksheet any other
//! way, so a new workbook cannot forget it.

use goldaw_core::spreadsheet::text_cell;
use rust_xlsxwriter::{ColNum, Format, RowNum, Worksheet, XlsxError};

/// Writing text cells to a worksheet.
pub trait TextCells {
    /// A text cell, neutralised if it could be a formula.
    fn text(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: impl AsRef<str>,
    ) -> Result<&mut Worksheet, XlsxError>;

    /// A text cell with a format, neutralised if it could be a formula.
    fn text_with_format(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: impl AsRef<str>,
        format: &Format,
    ) -> Result<&mut Worksheet, XlsxError>;
}

// The one place text reaches a worksheet.
#[allow(clippy::disallowed_methods)]
impl TextCells for Worksheet {
    fn text(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: impl AsRef<str>,
    ) -> Result<&mut Worksheet, XlsxError> {
        self.write_string(row, col, text_cell(text.as_ref()))
    }

    fn text_with_format(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: impl AsRef<str>,
        format: &Format,
    ) -> Result<&mut Worksheet, XlsxError> {
        self.write_string_with_format(row, col, text_cell(text.as_ref()), format)
    }
}
