//! Spreadsheets (`CreateSpreadsheet`): a [`SpreadsheetSpec`] to a native
//! XLSX workbook — typed cells with number formats, formulas (cross-sheet
//! too) with cached results where known, a bold header band, fitted column
//! widths, frozen header, autofilter or Excel tables, totals rows,
//! conditional formats and native charts over cell ranges — or one sheet
//! of it to CSV.
//!
//! ```
//! use cowork_docs::{spec, xlsx};
//! let spec: xlsx::SpreadsheetSpec = spec::parse(&serde_json::json!({
//!     "sheets": [{
//!         "name": "Expenses",
//!         "columns": [
//!             {"header": "Date", "type": "date"},
//!             {"header": "Item"},
//!             {"header": "Amount", "type": "currency", "currency": "EUR"}
//!         ],
//!         "rows": [["2026-03-01", "Taxi", 42.5], ["2026-03-02", "Hotel", 180]],
//!         "totals": {"columns": {"Amount": "sum"}}
//!     }],
//!     "charts": [{"kind": "column", "categories": "Expenses!B2:B3",
//!                 "series": [{"name": "Amount", "values": "Expenses!C2:C3"}]}]
//! }))?;
//! let bytes = xlsx::write(&spec)?;
//! assert!(bytes.starts_with(b"PK"));
//! let csv = xlsx::write_csv(&spec, None)?;
//! assert!(String::from_utf8_lossy(&csv).ends_with("Total,,222.5\r\n"));
//! # Ok::<(), cowork_docs::DocsError>(())
//! ```

mod cell;
mod charts;
mod csv_out;
mod spec;
mod styles;
mod validate;
mod writer;

use rust_xlsxwriter::{DocProperties, Workbook};

pub use cell::{CellValue, FormulaResult};
pub use spec::{
    Aggregate, ColumnSpec, ColumnType, Comparison, ConditionalFormatSpec, ConditionalRule,
    Highlight, SheetChart, SheetChartKind, SheetSeries, SheetSpec, SpreadsheetSpec, TableSpec,
    TotalsSpec,
};

use crate::error::DocsError;

/// Above this many cells, saving favours speed over file size.
const LARGE_WORKBOOK_CELLS: usize = 100_000;

/// Writes the workbook as XLSX bytes. Errors name the spec field that is
/// wrong (`sheets[0].rows[3][0]: "03/01/2026" is not a date; ...`).
pub fn write(spec: &SpreadsheetSpec) -> Result<Vec<u8>, DocsError> {
    validate::validate(spec)?;
    let mut workbook = Workbook::new();
    let mut properties = DocProperties::new();
    if let Some(title) = &spec.title {
        properties = properties.set_title(title);
    }
    if let Some(author) = &spec.author {
        properties = properties.set_author(author);
    }
    workbook.set_properties(&properties);
    let cells: usize = spec.sheets.iter().flat_map(|s| &s.rows).map(Vec::len).sum();
    if cells > LARGE_WORKBOOK_CELLS {
        // Deflate dominates saving a large sheet; the fastest level costs
        // about a quarter more bytes and saves most of the time.
        workbook.set_zip_compression_level(1);
    }
    let mut widths = Vec::with_capacity(spec.sheets.len());
    for (i, sheet) in spec.sheets.iter().enumerate() {
        let cells: usize = sheet.rows.iter().map(Vec::len).sum();
        // A large sheet is streamed row by row (through a temporary file)
        // instead of held as a cell map: a third faster. A table writes its
        // header cells after the rows, which streaming cannot take back.
        let worksheet = if cells > LARGE_WORKBOOK_CELLS && sheet.table.is_none() {
            workbook
                .add_worksheet_with_constant_memory()
                .map_err(writer::xlsx_err)?
        } else {
            workbook.add_worksheet()
        };
        widths.push(writer::write_sheet(worksheet, sheet, i)?);
    }
    charts::add_charts(&mut workbook, spec, &widths)?;
    workbook.save_to_buffer().map_err(writer::xlsx_err)
}

/// Writes one sheet (`sheet` by name, default the first) as CSV: UTF-8,
/// RFC 4180 quoting, CRLF line ends, the header row first. Formulas are
/// written as their known result, else as the formula text.
pub fn write_csv(spec: &SpreadsheetSpec, sheet: Option<&str>) -> Result<Vec<u8>, DocsError> {
    csv_out::write_csv(spec, sheet)
}
