//! Spreadsheets (XLSX/XLSM, XLS, ODS via calamine; CSV/TSV via csv) to
//! Markdown: one `## Sheet:` section per sheet with a pipe table of its
//! used range, capped in rows and characters.

use std::fmt::Write as _;
use std::io::Cursor;

use calamine::{Data, Ods, Range, Reader, Xls, Xlsx};

use super::ooxml::contains_utf16;
use super::{Format, ReadOptions};
use crate::error::DocsError;

/// The magic bytes of an OLE compound file (XLS, or encrypted OOXML).
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(crate) fn read(
    format: Format,
    name: &str,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<String, DocsError> {
    let sheets = match format {
        Format::Csv => {
            let (text, note) = decode(bytes);
            let tsv = name.to_ascii_lowercase().ends_with(".tsv");
            let delimiter = if tsv { b'\t' } else { sniff_delimiter(&text) };
            let rows = parse_csv(&text, delimiter)?;
            let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
            let mut out = render(vec![(stem.to_owned(), rows)], options);
            if let Some(note) = note {
                out.insert_str(0, &format!("_{note}_\n\n"));
            }
            return Ok(out);
        }
        Format::Xlsx | Format::Xls | Format::Ods => workbook_rows(format, bytes)?,
        Format::Docx | Format::Pptx | Format::Pdf => {
            return Err(DocsError::Unsupported {
                what: name.to_owned(),
                hint: "the spreadsheet reader reads .xlsx .xlsm .xls .ods .csv .tsv".to_owned(),
            });
        }
    };
    Ok(render(sheets, options))
}

type Sheet = (String, Vec<Vec<String>>);

fn workbook_rows(format: Format, bytes: &[u8]) -> Result<Vec<Sheet>, DocsError> {
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
    // calamine is a third-party parser of untrusted bytes: a panic in it
    // must become an error, not take the caller down.
    let result = super::quietly(|| -> Result<Vec<Sheet>, DocsError> {
        let cursor = Cursor::new(bytes);
        match actual {
            Format::Xls => {
                let wb: Xls<_> = Xls::new(cursor).map_err(|e| classify(label, &e.to_string()))?;
                collect(wb, label)
            }
            Format::Ods => {
                let wb: Ods<_> = Ods::new(cursor).map_err(|e| classify(label, &e.to_string()))?;
                collect(wb, label)
            }
            Format::Xlsx | Format::Csv | Format::Docx | Format::Pptx | Format::Pdf => {
                let wb: Xlsx<_> = Xlsx::new(cursor).map_err(|e| classify(label, &e.to_string()))?;
                collect(wb, label)
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

fn collect<R, RS>(mut wb: R, label: &'static str) -> Result<Vec<Sheet>, DocsError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let names = wb.sheet_names();
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| classify(label, &format!("sheet {name:?}: {e}")))?;
        sheets.push((name, range_rows(&range)));
    }
    Ok(sheets)
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

fn range_rows(range: &Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .map(|row| row.iter().map(show).collect())
        .collect()
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

fn parse_csv(text: &str, delimiter: u8) -> Result<Vec<Vec<String>>, DocsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DocsError::corrupt("CSV", e))?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

/// The Markdown of all sheets, within `options`' caps.
fn render(sheets: Vec<Sheet>, options: &ReadOptions) -> String {
    let mut out = String::new();
    let total = sheets.len();
    for (i, (name, mut rows)) in sheets.into_iter().enumerate() {
        // Trailing empty rows and columns are not part of the data.
        while rows.last().is_some_and(|r| r.iter().all(String::is_empty)) {
            rows.pop();
        }
        let width = rows
            .iter()
            .map(|r| r.iter().rposition(|c| !c.is_empty()).map_or(0, |p| p + 1))
            .max()
            .unwrap_or(0);
        if !out.is_empty() {
            out.push('\n');
        }
        if rows.is_empty() || width == 0 {
            let _ = writeln!(out, "## Sheet: {name} (empty)");
            continue;
        }
        let _ = writeln!(
            out,
            "## Sheet: {name} ({} rows × {width} columns)\n",
            rows.len()
        );
        let shown = rows.len().min(options.max_rows.saturating_add(1).max(2));
        for (r, row) in rows.iter().take(shown).enumerate() {
            out.push('|');
            for c in 0..width {
                let _ = write!(out, " {} |", escape(row.get(c).map_or("", String::as_str)));
            }
            out.push('\n');
            if r == 0 {
                out.push('|');
                out.push_str(&"---|".repeat(width));
                out.push('\n');
            }
            if out.len() > options.max_chars {
                break;
            }
        }
        let hidden = rows.len() - shown;
        if hidden > 0 {
            let _ = writeln!(out, "\n… {hidden} more rows (use a narrower request)");
        }
        if out.len() > options.max_chars {
            truncate(&mut out, options.max_chars);
            let left = total - i - 1;
            let _ = write!(
                out,
                "\n\n… output truncated at {} characters",
                options.max_chars
            );
            if left > 0 {
                let _ = write!(out, "; {left} more sheets not shown");
            }
            out.push('\n');
            break;
        }
    }
    out
}

fn escape(cell: &str) -> String {
    cell.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// Cuts `s` at the last line break before `max` bytes (a char boundary).
fn truncate(s: &mut String, max: usize) {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let cut = s[..end].rfind('\n').unwrap_or(end);
    s.truncate(cut);
}

#[cfg(test)]
#[path = "sheet_tests.rs"]
mod tests;
