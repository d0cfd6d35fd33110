//! What the readers take in at most, checked before a parser allocates.
//!
//! A document is a few KB that can declare gigabytes: a sheet spanning
//! A1:XFD1048576, ODS cells repeated 16,384 × 1,048,576 times, a zip part
//! that inflates a thousandfold. Out-of-memory aborts the process (it is
//! not a panic `catch_unwind` could stop), so every reader checks what a
//! file declares against these limits before its parser builds anything
//! sized by it, and refuses with [`DocsError::TooLarge`].

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::error::DocsError;

/// Limits on a zip package (XLSX, ODS, DOCX, PPTX).
#[derive(Debug, Clone, Copy)]
pub(super) struct ZipLimits {
    /// Entries in the central directory.
    pub entries: usize,
    /// Inflated bytes of one XML part.
    pub part: u64,
    /// Inflated bytes of all XML parts together.
    pub total: u64,
}

/// Office packages: text parts far beyond what any real document holds,
/// far below what would hurt.
pub(super) const PACKAGE: ZipLimits = ZipLimits {
    entries: 20_000,
    part: 128 * 1024 * 1024,
    total: 384 * 1024 * 1024,
};

/// Cells a workbook read through calamine's dense ranges may hold (XLS,
/// ODS): each costs about 56 bytes (value and formula) before its text.
pub(super) const DENSE_CELLS: u64 = 2_000_000;

/// Text bytes that repeated ODS cells may expand to.
pub(super) const DENSE_TEXT: u64 = 128 * 1024 * 1024;

/// Columns a CSV record may have.
pub(super) const CSV_FIELDS: u64 = 16_384;

/// The parts of a package that parsers inflate: XML (and the ODS
/// `mimetype`). Media and embedded binaries are never read, so their size
/// does not matter.
fn is_parsed(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels") || lower == "mimetype"
}

/// Checks a package's central directory against `limits` before anything
/// is inflated. The declared sizes are what the zip reader holds each
/// entry to (it fails an entry that inflates past its declared size), and
/// [`read_part`] counts again for the parts we read ourselves.
pub(super) fn check_package(
    bytes: &[u8],
    format: &'static str,
    limits: ZipLimits,
) -> Result<(), DocsError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocsError::corrupt(format, format!("not a {format} (zip) package: {e}")))?;
    if zip.len() > limits.entries {
        return Err(DocsError::TooLarge {
            format,
            part: "the package".to_owned(),
            declared: format!("has {} parts", thousands(zip.len() as u64)),
            limit: format!("{} parts", thousands(limits.entries as u64)),
            hint: "save a copy without embedded files and read that",
        });
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| DocsError::corrupt(format, format!("zip entry {i}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| DocsError::corrupt(format, format!("zip entry {i}: {e}")))?;
        if !is_parsed(&name) {
            continue;
        }
        let size = entry.size();
        if size > limits.part {
            return Err(part_too_large(format, &name, size, limits.part));
        }
        total = total.saturating_add(size);
        if total > limits.total {
            return Err(DocsError::TooLarge {
                format,
                part: "the package's XML parts".to_owned(),
                declared: format!("inflate to {} or more", bytes_text(total)),
                limit: bytes_text(limits.total),
                hint: "split the document, or save it without its largest parts",
            });
        }
    }
    Ok(())
}

/// The error for part `name` that inflates to `size` bytes, over `limit`.
pub(super) fn part_too_large(format: &'static str, name: &str, size: u64, limit: u64) -> DocsError {
    DocsError::TooLarge {
        format,
        part: format!("part `{name}`"),
        declared: format!("inflates to {}", bytes_text(size)),
        limit: format!("{} per part", bytes_text(limit)),
        hint: "split the document into smaller files",
    }
}

/// Reads `reader` (part `name`) to a string, failing once it passes
/// `limit` bytes instead of cutting it short: a truncated part would read
/// as silently missing text.
pub(super) fn read_part(
    reader: impl Read,
    format: &'static str,
    name: &str,
    limit: u64,
) -> Result<String, DocsError> {
    let mut text = String::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(|e| DocsError::corrupt(format, format!("`{name}` cannot be read: {e}")))?;
    if text.len() as u64 > limit {
        return Err(part_too_large(format, name, text.len() as u64, limit));
    }
    Ok(text)
}

pub(super) use cowork_protocol::words::thousands;

/// A byte count as people read it: 384 MiB.
pub(super) fn bytes_text(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        format!("{} MiB", thousands(n / MIB))
    } else {
        format!("{} bytes", thousands(n))
    }
}

/// The error for a sheet whose dense range would hold `rows × columns`
/// cells, over `limit` for the workbook.
pub(super) fn sheet_too_large(
    format: &'static str,
    sheet: &str,
    rows: u64,
    columns: u64,
    limit: u64,
) -> DocsError {
    let cells = u128::from(rows) * u128::from(columns);
    let cells = u64::try_from(cells).unwrap_or(u64::MAX);
    DocsError::TooLarge {
        format,
        part: format!("sheet `{sheet}`"),
        declared: format!(
            "declares {} rows × {} columns ({} cells)",
            thousands(rows),
            thousands(columns),
            thousands(cells)
        ),
        limit: format!("{} cells per workbook", thousands(limit)),
        hint: "save the range you need as .xlsx or .csv and read that",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(17_179_869_184), "17,179,869,184");
    }

    #[test]
    fn a_part_longer_than_the_limit_is_an_error_not_a_truncation() {
        let err = read_part(&b"0123456789"[..], "DOCX", "word/document.xml", 4).unwrap_err();
        assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("word/document.xml"), "{err}");
        let ok = read_part(&b"0123"[..], "DOCX", "word/document.xml", 4).unwrap();
        assert_eq!(ok, "0123");
    }
}
