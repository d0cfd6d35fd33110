//! What calamine would allocate for an ODS file, counted before it does.
//!
//! calamine's ODS reader builds every sheet at once, expanding
//! `table:number-columns-repeated` and `table:number-rows-repeated` into
//! dense ranges: a 2 KB `content.xml` can declare 16,384 × 1,048,576 cells.
//! This streams `content.xml` (within the package limits already checked)
//! and adds up the cells and text those repeats expand to, the way
//! calamine expands them, refusing a workbook over the limits.

use std::io::{BufReader, Cursor};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::bounds::{self, DENSE_CELLS, DENSE_TEXT};
use crate::error::DocsError;

const FORMAT: &str = "ODS";
/// calamine's own caps on a sheet.
const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;

/// Refuses an ODS whose sheets would expand past [`DENSE_CELLS`] cells or
/// [`DENSE_TEXT`] bytes of text.
pub(super) fn check(bytes: &[u8]) -> Result<(), DocsError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocsError::corrupt(FORMAT, format!("not an ODS (zip) package: {e}")))?;
    let content = match zip.by_name("content.xml") {
        Ok(file) => file,
        // calamine reports the missing part.
        Err(_) => return Ok(()),
    };
    let mut reader = Reader::from_reader(BufReader::new(content));
    reader.config_mut().expand_empty_elements = true;
    let mut scan = Scan::default();
    let mut buf = Vec::new();
    loop {
        // Broken XML is calamine's to report, with its own words.
        let Ok(event) = reader.read_event_into(&mut buf) else {
            return Ok(());
        };
        match event {
            Event::Start(e) => scan.start(&e)?,
            Event::End(e) => scan.end(e.name().as_ref())?,
            Event::Text(t) => scan.text(t.len() as u64),
            Event::CData(t) => scan.text(t.len() as u64),
            Event::GeneralRef(_) => scan.text(1),
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

#[derive(Default)]
struct Scan {
    /// The workbook so far.
    cells: u64,
    text: u64,
    /// The sheet being read.
    sheet: Option<Sheet>,
    row: Option<Row>,
    cell: Option<Cell>,
}

#[derive(Default)]
struct Sheet {
    name: String,
    /// Rows so far, and the empty ones since the last with a value (only
    /// expanded when a value follows).
    rows: u64,
    pending_empty: u64,
    /// Rows from the first with a value to the last.
    span: u64,
    /// Columns holding values: first and last.
    columns: Option<(u64, u64)>,
    /// Cells stored while rows are read (before the dense range).
    stored: u64,
    /// Cells and text counted into the workbook for this sheet so far.
    counted_cells: u64,
}

#[derive(Default)]
struct Row {
    repeats: u64,
    /// Columns read so far.
    position: u64,
    /// One past the last column holding a value (calamine drops the
    /// empty cells after it).
    end: u64,
    first: Option<u64>,
    text: u64,
}

struct Cell {
    repeats: u64,
    /// Elements open inside the cell.
    depth: u64,
    has_value: bool,
    text: u64,
}

fn repeats(e: &BytesStart<'_>, name: &str) -> u64 {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.value.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

impl Scan {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), DocsError> {
        // Content inside a cell (a paragraph, a nested table): calamine
        // reads it as the cell's value.
        if let Some(cell) = self.cell.as_mut() {
            cell.has_value = true;
            cell.text += 1;
            cell.depth += 1;
            return Ok(());
        }
        let name = e.name();
        match name.as_ref() {
            "table:table" if self.sheet.is_none() => {
                let name = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "table:name")
                    .map(|a| a.value.into_owned())
                    .unwrap_or_default();
                self.sheet = Some(Sheet {
                    name,
                    ..Sheet::default()
                });
            }
            "table:table-row" if self.sheet.is_some() && self.row.is_none() => {
                let sheet_rows = self.sheet.as_ref().map_or(0, |s| s.rows);
                let repeats = repeats(e, "table:number-rows-repeated")
                    .min(MAX_ROWS.saturating_sub(sheet_rows));
                self.row = Some(Row {
                    repeats,
                    ..Row::default()
                });
            }
            "table:table-cell" | "table:covered-table-cell" if self.row.is_some() => {
                // Any value, formula or text makes the cell count as full;
                // counting a few empty ones as full only errs on the safe side.
                let mut has_value = false;
                let mut text = 0;
                for a in e.attributes().flatten() {
                    let key = a.key.as_ref();
                    if key.starts_with("office:") && key != "office:value-type"
                        || key == "table:formula"
                    {
                        has_value = true;
                        text += a.value.len() as u64;
                    } else if key == "office:value-type" {
                        has_value = true;
                    }
                }
                self.cell = Some(Cell {
                    repeats: repeats(e, "table:number-columns-repeated"),
                    has_value,
                    text,
                    depth: 0,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn text(&mut self, len: u64) {
        if let Some(cell) = self.cell.as_mut() {
            cell.has_value = true;
            cell.text += len;
        }
    }

    fn end(&mut self, name: &str) -> Result<(), DocsError> {
        if let Some(cell) = self.cell.as_mut()
            && cell.depth > 0
        {
            cell.depth -= 1;
            return Ok(());
        }
        match name {
            "table:table-cell" | "table:covered-table-cell" => {
                if let (Some(cell), Some(row)) = (self.cell.take(), self.row.as_mut()) {
                    let repeats = cell.repeats.min(MAX_COLUMNS.saturating_sub(row.position));
                    if cell.has_value && repeats > 0 {
                        row.first.get_or_insert(row.position);
                        row.end = row.position + repeats;
                        // calamine clones the value into every repeat.
                        row.text = row.text.saturating_add(repeats.saturating_mul(cell.text));
                    }
                    row.position += repeats;
                }
            }
            "table:table-row" => {
                if let Some(row) = self.row.take() {
                    self.end_row(row)?;
                }
            }
            "table:table" if self.row.is_none() => {
                self.sheet = None;
            }
            _ => {}
        }
        Ok(())
    }

    fn end_row(&mut self, row: Row) -> Result<(), DocsError> {
        let Some(sheet) = self.sheet.as_mut() else {
            return Ok(());
        };
        sheet.rows += row.repeats;
        sheet.stored = sheet.stored.saturating_add(row.end);
        let Some(first) = row.first else {
            sheet.pending_empty += row.repeats;
            return Ok(());
        };
        if sheet.columns.is_some() {
            sheet.span += sheet.pending_empty;
        }
        sheet.pending_empty = 0;
        sheet.span += row.repeats;
        let (lo, hi) = sheet.columns.unwrap_or((first, row.end - 1));
        sheet.columns = Some((lo.min(first), hi.max(row.end - 1)));
        // The dense range, plus the cells stored on the way there.
        let (lo, hi) = sheet.columns.unwrap_or((0, 0));
        let width = hi - lo + 1;
        let dense = sheet
            .span
            .saturating_mul(width)
            .saturating_add(sheet.stored);
        self.cells = self
            .cells
            .saturating_add(dense.saturating_sub(sheet.counted_cells));
        sheet.counted_cells = dense;
        if self.cells > DENSE_CELLS {
            return Err(bounds::sheet_too_large(
                FORMAT,
                &sheet.name,
                sheet.span,
                width,
                DENSE_CELLS,
            ));
        }
        self.text = self
            .text
            .saturating_add(row.text.saturating_mul(row.repeats.saturating_add(1)));
        if self.text > DENSE_TEXT {
            return Err(DocsError::TooLarge {
                format: FORMAT,
                part: format!("sheet `{}`", sheet.name),
                declared: format!(
                    "repeats cells into {} of text",
                    bounds::bytes_text(self.text)
                ),
                limit: bounds::bytes_text(DENSE_TEXT),
                hint: "save the range you need as .xlsx or .csv and read that",
            });
        }
        Ok(())
    }
}
