//! What calamine allocates when it opens an XLSX, checked before it does.
//!
//! Sheets are streamed (see `sheet.rs`), but opening the workbook loads
//! the shared strings and the cell formats whole: `<sst uniqueCount=…>` is
//! reserved as given (`uniqueCount="9999999999"` was a 240 GB
//! allocation), and every `<si/>` or `<xf/>` (five bytes of XML) becomes
//! a string or a style of tens to hundreds of bytes.

use std::io::{BufReader, Cursor};

use quick_xml::Reader;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::bounds;
use crate::error::DocsError;

const FORMAT: &str = "XLSX";
/// Shared strings a workbook may hold (Excel writes each distinct text once).
const MAX_SHARED_STRINGS: u64 = 4_000_000;
/// Cell formats, fonts, fills and borders (Excel allows 64,000 formats).
const MAX_STYLES: u64 = 256_000;

/// Refuses a workbook whose shared strings or styles declare more than
/// the limits.
pub(super) fn check(bytes: &[u8]) -> Result<(), DocsError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocsError::corrupt(FORMAT, format!("not an XLSX (zip) package: {e}")))?;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else {
            continue;
        };
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        let (counted, limit, unit): (&[&str], u64, &str) = if lower.ends_with("sharedstrings.xml") {
            (&["si"], MAX_SHARED_STRINGS, "shared strings")
        } else if lower.ends_with("styles.xml") {
            (
                &["xf", "font", "fill", "border"],
                MAX_STYLES,
                "cell formats",
            )
        } else {
            continue;
        };
        let mut reader = Reader::from_reader(BufReader::new(entry));
        let mut buf = Vec::new();
        let mut count: u64 = 0;
        // Broken XML ends the count: it is calamine's to report.
        while let Ok(event) = reader.read_event_into(&mut buf) {
            let start = match event {
                Event::Start(e) | Event::Empty(e) => e,
                Event::Eof => break,
                _ => {
                    buf.clear();
                    continue;
                }
            };
            let local = start.local_name();
            let local: &str = local.as_ref();
            let declared = if local == "sst" {
                start
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "uniqueCount")
                    .and_then(|a| a.value.trim().parse::<u64>().ok())
            } else {
                None
            };
            if counted.contains(&local) {
                count += 1;
            }
            let over = declared
                .filter(|&n| n > limit)
                .or((count > limit).then_some(count));
            if let Some(n) = over {
                return Err(DocsError::TooLarge {
                    format: FORMAT,
                    part: format!("part `{name}`"),
                    declared: format!("declares {} {unit}", bounds::thousands(n)),
                    limit: format!("{} {unit}", bounds::thousands(limit)),
                    hint: "save the sheets you need as .csv and read those",
                });
            }
            buf.clear();
        }
    }
    Ok(())
}
