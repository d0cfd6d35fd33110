//! Spreadsheets (XLSX/XLSM, XLS, ODS via calamine; CSV/TSV via csv) to
//! Markdown: one `## Sheet:` section per sheet with a pipe table of its
//! used range, capped in rows and characters.

use std::io::Cursor;

use calamine::{Data, Ods, Reader, Xls, Xlsx, XlsxError};

use super::ooxml::contains_utf16;
use super::table::{Table, TableBuilder, render};
use super::{Format, ReadOptions, bounds, ods_scan, xls_scan, xlsx_scan};
use crate::error::DocsError;

/// The magic bytes of an OLE compound file (XLS, or encrypted OOXML).
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(crate) fn read(
    format: Format,
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<String, DocsError> {
    let tables = match format {
        Format::Csv => {
            let (text, note) = decode(bytes);
            let tsv = name.to_ascii_lowercase().ends_with(".tsv");
            let delimiter = if tsv { b'\t' } else { sniff_delimiter(&text) };
            let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
            let table = csv_table(stem, &text, delimiter, options)?;
            let mut out = render(vec![table], options);
            if let Some(note) = note {
                out.insert_str(0, &format!("_{note}_\n\n"));
            }
            return Ok(out);
        }
        Format::Xlsx | Format::Xls | Format::Ods => workbook_tables(format, bytes, options)?,
        Format::Docx | Format::Pptx | Format::Pdf => {
            return Err(DocsError::Unsupported {
                what: name.to_owned(),
                hint: "the spreadsheet reader reads .xlsx .xlsm .xls .ods .csv .tsv".to_owned(),
            });
        }
    };
    Ok(render(tables, options))
}

fn workbook_tables(
    format: Format,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<Vec<Table>, DocsError> {
    let is_cfb = bytes.starts_with(CFB_MAGIC);
    // An encrypted OOXML file is an OLE container whatever its extension.
    if is_cfb && contains_utf16(bytes, "EncryptedPackage") {
        return Err(DocsError::Encrypted {
            format: label(format),
        });
    }
    // Files are often misnamed (an old .xls saved as .xlsx): trust the bytes.
    let actual = match (format, is_cfb, bytes.starts_with(b"PK")) {
        (_, true, _) => Format::Xls,
        (Format::Xls, false, true) => Format::Xlsx,
        _ => format,
    };
    let label = label(actual);
    // calamine allocates by what a file declares: check that first.
    match actual {
        Format::Xls => xls_scan::check(bytes)?,
        Format::Ods => {
            bounds::check_package(bytes, label, bounds::PACKAGE)?;
            ods_scan::check(bytes)?;
        }
        Format::Xlsx | Format::Csv | Format::Docx | Format::Pptx | Format::Pdf => {
            bounds::check_package(bytes, label, bounds::PACKAGE)?;
            xlsx_scan::check(bytes)?;
        }
    }
    // calamine is a third-party parser of untrusted bytes: a panic in it
    // must become an error, not take the caller down.
    let result = super::quietly(|| -> Result<Vec<Table>, DocsError> {
        let cursor = Cursor::new(bytes);
        match actual {
            Format::Xls => {
                let wb: Xls<_> = Xls::new(cursor).map_err(|e| classify(label, &e.to_string()))?;
                collect(wb, label, options)
            }
            Format::Ods => {
                let wb: Ods<_> = Ods::new(cursor).map_err(|e| classify(label, &e.to_string()))?;
                collect(wb, label, options)
            }
            Format::Xlsx | Format::Csv | Format::Docx | Format::Pptx | Format::Pdf => {
                let wb: Xlsx<_> = Xlsx::new(cursor).map_err(|e| classify(label, &e.to_string()))?;
                stream_xlsx(wb, label, options)
            }
        }
    });
    result.unwrap_or_else(|_| {
        Err(DocsError::corrupt(
            label,
            "the file's structure is broken (the parser gave up)",
        ))
    })
}

/// XLS and ODS sheets, whose dense ranges calamine builds (within the
/// limits checked before).
fn collect<R, RS>(
    mut wb: R,
    label: &'static str,
    options: &ReadOptions,
) -> Result<Vec<Table>, DocsError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let names = wb.sheet_names();
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| classify(label, &format!("sheet {name:?}: {e}")))?;
        let table = match range.start() {
            Some(origin) => {
                let mut builder = TableBuilder::new(origin, options);
                for (row, column, data) in range.used_cells() {
                    let (row, column) = (row as u64, column as u64);
                    let row = u32::try_from(u64::from(origin.0) + row).unwrap_or(u32::MAX);
                    let column = u32::try_from(u64::from(origin.1) + column).unwrap_or(u32::MAX);
                    builder.push(row, column, &show(data));
                }
                builder.finish(name)
            }
            None => Table::empty(name),
        };
        tables.push(table);
    }
    Ok(tables)
}

/// XLSX sheets, streamed cell by cell: never a dense range, whatever the
/// sheet's extent. A first pass finds where the values start, a second
/// keeps what the output can show.
fn stream_xlsx(
    mut wb: Xlsx<Cursor<&[u8]>>,
    label: &'static str,
    options: &ReadOptions,
) -> Result<Vec<Table>, DocsError> {
    let names = wb.sheet_names();
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let mut origin: Option<(u32, u32)> = None;
        each_xlsx_cell(&mut wb, &name, label, |row, column, _| {
            origin = Some(origin.map_or((row, column), |(r, c)| (r.min(row), c.min(column))));
        })?;
        let table = match origin {
            Some(origin) => {
                let mut builder = TableBuilder::new(origin, options);
                each_xlsx_cell(&mut wb, &name, label, |row, column, text| {
                    builder.push(row, column, text);
                })?;
                builder.finish(name)
            }
            None => Table::empty(name),
        };
        tables.push(table);
    }
    Ok(tables)
}

/// Calls `f` with each non-empty cell of sheet `name` as text.
fn each_xlsx_cell(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    label: &'static str,
    mut f: impl FnMut(u32, u32, &str),
) -> Result<(), DocsError> {
    let error = |e: &dyn std::fmt::Display| classify(label, &format!("sheet {name:?}: {e}"));
    let mut cells = match wb.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        // A chart sheet: no cells.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(()),
        Err(e) => return Err(error(&e)),
    };
    while let Some(cell) = cells.next_cell().map_err(|e| error(&e))? {
        let (row, column) = cell.get_position();
        let text = show(&Data::from(cell.get_value().clone()));
        f(row, column, &text);
    }
    Ok(())
}

fn classify(label: &'static str, message: &str) -> DocsError {
    if message.to_ascii_lowercase().contains("password") {
        DocsError::Encrypted { format: label }
    } else {
        DocsError::corrupt(label, message)
    }
}

fn label(format: Format) -> &'static str {
    match format {
        Format::Xlsx => "XLSX",
        Format::Xls => "XLS",
        Format::Ods => "ODS",
        Format::Csv => "CSV",
        Format::Docx => "DOCX",
        Format::Pptx => "PPTX",
        Format::Pdf => "PDF",
    }
}

/// A cell as a person would read it.
fn show(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => show_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                let total = dt.as_f64() * 24.0;
                let hours = total.trunc();
                let minutes = ((total - hours) * 60.0).round();
                format!("{hours}:{minutes:02}")
            } else if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else if s == 0 {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// Whole numbers without decimals; others to at most 10 places, without
/// binary noise (0.1 + 0.2 shows as 0.3).
fn show_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{f:.0}");
    }
    if f.abs() >= 1e15 || (f != 0.0 && f.abs() < 1e-6) {
        return format!("{f:e}");
    }
    let s = format!("{f:.10}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// UTF-8 (BOM stripped), or Windows-1252 with a note.
fn decode(bytes: &[u8]) -> (String, Option<String>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), None),
        Err(_) => (
            bytes.iter().map(|&b| windows_1252(b)).collect(),
            Some("Not UTF-8: decoded as Windows-1252; some characters may be wrong.".to_owned()),
        ),
    }
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// The delimiter that splits the first lines most consistently.
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(10)
        .collect();
    let mut best = (b',', 0usize);
    for candidate in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines
            .iter()
            .map(|l| l.bytes().filter(|&b| b == candidate).count())
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        let consistent = counts.iter().all(|&c| c == first);
        let score = if consistent { first * 2 } else { first };
        if first > 0 && score > best.1 {
            best = (candidate, score);
        }
    }
    best.0
}

/// A CSV text as one table, streamed record by record after checking
/// that no record has more fields than a sheet could show.
fn csv_table(
    name: &str,
    text: &str,
    delimiter: u8,
    options: &ReadOptions,
) -> Result<Table, DocsError> {
    check_csv_fields(text, delimiter)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut builder = TableBuilder::new((0, 0), options);
    let mut record = csv::StringRecord::new();
    let mut row: u32 = 0;
    while reader
        .read_record(&mut record)
        .map_err(|e| DocsError::corrupt("CSV", e))?
    {
        for (column, field) in record.iter().enumerate() {
            builder.push(row, u32::try_from(column).unwrap_or(u32::MAX), field);
        }
        row = row.saturating_add(1);
    }
    Ok(builder.finish(name.to_owned()))
}

/// Refuses a record with more than [`bounds::CSV_FIELDS`] fields before the
/// csv reader holds it (it keeps every field's bounds: a 100 MB line of
/// commas would take 800 MB). The fields are counted as csv-core splits
/// them: a quote opens a quoted field only at the start of a field.
fn check_csv_fields(text: &str, delimiter: u8) -> Result<(), DocsError> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut fields: u64 = 1;
    let mut line: u64 = 1;
    let mut record_line: u64 = 1;
    for &b in text.as_bytes() {
        if b == b'\n' {
            line += 1;
        }
        let end_of_record = matches!(b, b'\n' | b'\r');
        state = match state {
            State::Quoted => {
                if b == b'"' {
                    State::QuoteInQuoted
                } else {
                    State::Quoted
                }
            }
            State::FieldStart if b == b'"' => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::FieldStart | State::Unquoted | State::QuoteInQuoted => {
                if b == delimiter {
                    fields += 1;
                    if fields > bounds::CSV_FIELDS {
                        return Err(DocsError::TooLarge {
                            format: "CSV",
                            part: format!("the record starting on line {record_line}"),
                            declared: format!(
                                "has more than {} fields",
                                bounds::thousands(bounds::CSV_FIELDS)
                            ),
                            limit: format!("{} columns", bounds::thousands(bounds::CSV_FIELDS)),
                            hint: "check the delimiter, or split the file by columns",
                        });
                    }
                    State::FieldStart
                } else if end_of_record {
                    fields = 1;
                    record_line = line;
                    State::FieldStart
                } else {
                    State::Unquoted
                }
            }
        };
    }
    Ok(())
}

#[cfg(test)]
#[path = "sheet_tests.rs"]
mod tests;
