//! What lopdf and pdf-extract would allocate for a PDF, checked on the raw
//! bytes before they parse it.
//!
//! Two things a small PDF can declare: a cross-reference stream whose `/W`
//! field widths lopdf allocates as buffers (`/W [9999999999 0 0]` is a
//! 10 GB allocation), and Flate streams that inflate a thousandfold (lopdf
//! inflates object streams while loading, pdf-extract every page's
//! content). Both are checked here: the `/W` arrays of the dictionaries
//! lopdf reads as cross-reference streams, and every stream's inflated
//! size, counted without keeping it.

use std::io::{Cursor, Read};

use super::bounds;
use crate::error::DocsError;

const FORMAT: &str = "PDF";
/// Inflated bytes of one stream: content, fonts, object streams.
const MAX_STREAM: u64 = 64 * 1024 * 1024;
/// Inflated bytes of an image (a large scan fits). The readers never
/// inflate images, but a stream is only labelled one, so a hostile file
/// could use it as content: it is still bounded, more loosely.
const MAX_IMAGE: u64 = 512 * 1024 * 1024;
/// Inflated bytes of all streams together.
const MAX_INFLATED: u64 = 1024 * 1024 * 1024;
/// Bytes of a cross-reference field: 8 hold any offset.
const MAX_FIELD_WIDTH: u64 = 8;
/// How far around an anchor the cross-reference dictionary is looked for.
const WINDOW: usize = 4096;

/// Refuses a PDF whose cross-reference streams or Flate streams declare
/// more than the limits.
pub(super) fn check(bytes: &[u8]) -> Result<(), DocsError> {
    check_xref_widths(bytes)?;
    check_streams(bytes)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn rfind(haystack: &[u8], needle: &[u8], before: usize) -> Option<usize> {
    haystack
        .get(..before.min(haystack.len()))?
        .windows(needle.len())
        .rposition(|w| w == needle)
}

/// The integer after `key` in `window` (`/Prev 1234`).
fn integer_after(window: &[u8], key: &[u8]) -> Option<u64> {
    let at = find(window, key, 0)? + key.len();
    let rest = &window[at..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let digits: Vec<u8> = rest[start..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Where lopdf looks for cross-reference streams: the `startxref` offset,
/// `/Prev` and `/XRefStm` offsets, and every `/XRef` dictionary (it
/// rebuilds the table by scanning when offsets are wrong).
fn check_xref_widths(bytes: &[u8]) -> Result<(), DocsError> {
    // (position, whether it is inside the dictionary rather than at the
    // start of the object).
    let mut anchors: Vec<(usize, bool)> = Vec::new();
    let mut at = 0;
    while let Some(pos) = find(bytes, b"/XRef", at) {
        at = pos + 1;
        // `/XRefStm` is a key of classic trailers, not a type.
        if !bytes.get(pos + 5).is_some_and(u8::is_ascii_alphanumeric) {
            anchors.push((pos, true));
        }
    }
    let mut at = 0;
    while let Some(pos) = find(bytes, b"startxref", at) {
        if let Some(offset) = integer_after(&bytes[pos..], b"startxref") {
            anchors.push((usize::try_from(offset).unwrap_or(usize::MAX), false));
        }
        at = pos + 1;
    }
    let mut checked = 0;
    while let Some((anchor, inside)) = anchors.pop() {
        checked += 1;
        // Offsets chained through /Prev are followed a bounded number of times.
        if checked > 10_000 || anchor >= bytes.len() {
            continue;
        }
        let start = if inside {
            object_start(bytes, anchor)
        } else {
            anchor
        };
        let end = [&b"stream"[..], b"startxref"]
            .iter()
            .filter_map(|keyword| find(bytes, keyword, anchor + 1))
            .min()
            .filter(|e| e - anchor < WINDOW)
            .unwrap_or_else(|| (anchor + WINDOW).min(bytes.len()));
        let window = &bytes[start..end.max(start)];
        // `/#57` is `/W` spelled with an escape, which would hide it from
        // this scan; no cross-reference dictionary needs one.
        if find(window, b"/#57", 0).is_some() {
            return Err(DocsError::corrupt(
                FORMAT,
                "a cross-reference dictionary spells its keys with escapes; the file is damaged",
            ));
        }
        for key in [&b"/Prev"[..], b"/XRefStm"] {
            if let Some(offset) = integer_after(window, key) {
                anchors.push((usize::try_from(offset).unwrap_or(usize::MAX), false));
            }
        }
        check_widths(window)?;
    }
    Ok(())
}

/// Where the object holding position `at` starts: its `obj` keyword (not
/// a previous object's `endobj`), at most [`WINDOW`] bytes back.
fn object_start(bytes: &[u8], at: usize) -> usize {
    let from = at.saturating_sub(WINDOW);
    let region = &bytes[from..at];
    match rfind(region, b"obj", region.len()) {
        // No object header since the previous object ended.
        Some(pos) if pos >= 3 && &region[pos - 3..pos] == b"end" => from + pos + 3,
        Some(pos) => from + pos,
        None => from,
    }
}

/// Refuses a `/W [a b c]` array in `window` with a field wider than
/// [`MAX_FIELD_WIDTH`].
fn check_widths(window: &[u8]) -> Result<(), DocsError> {
    let mut at = 0;
    while let Some(pos) = find(window, b"/W", at) {
        at = pos + 2;
        let rest = &window[at..];
        let Some(open) = rest.iter().position(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        if rest[open] != b'[' {
            continue;
        }
        let close = rest[open..]
            .iter()
            .position(|&b| b == b']')
            .map_or(rest.len(), |c| open + c);
        // lopdf takes only a flat array of integers as field widths; a
        // nested one is a font's glyph widths.
        if rest[open + 1..close].contains(&b'[') {
            continue;
        }
        for token in rest[open + 1..close].split(|b| b.is_ascii_whitespace()) {
            let Some(width) = std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
            else {
                continue;
            };
            if width > MAX_FIELD_WIDTH {
                return Err(DocsError::TooLarge {
                    format: FORMAT,
                    part: "a cross-reference stream".to_owned(),
                    declared: format!("declares fields {} bytes wide", bounds::thousands(width)),
                    limit: format!("{MAX_FIELD_WIDTH} bytes"),
                    hint: "the file is damaged or hostile; print it to a new PDF and read that",
                });
            }
        }
    }
    Ok(())
}

/// Inflates every stream that looks like Flate data into a counter.
fn check_streams(bytes: &[u8]) -> Result<(), DocsError> {
    let mut total: u64 = 0;
    let mut at = 0;
    // The next `endstream`, found once for all the streams before it.
    let mut next_end: Option<usize> = None;
    while let Some(pos) = find(bytes, b"stream", at) {
        at = pos + 6;
        // `endstream` also contains `stream`.
        if pos >= 3 && &bytes[pos - 3..pos] == b"end" {
            continue;
        }
        let mut data = &bytes[at..];
        if data.starts_with(b"\r\n") {
            data = &data[2..];
        } else if data.starts_with(b"\n") || data.starts_with(b"\r") {
            data = &data[1..];
        } else {
            continue;
        }
        let data_start = bytes.len() - data.len();
        if next_end.is_none_or(|e| e < data_start) {
            next_end = find(bytes, b"endstream", data_start);
        }
        let end = next_end.map_or(data.len(), |e| e - data_start);
        let dictionary = &bytes[pos.saturating_sub(1024)..pos];
        let dictionary =
            rfind(dictionary, b"obj", dictionary.len()).map_or(dictionary, |at| &dictionary[at..]);
        let limit = if find(dictionary, b"/Image", 0).is_some() {
            MAX_IMAGE
        } else {
            MAX_STREAM
        };
        let inflated = inflated_size(&data[..end], limit);
        if inflated > limit {
            return Err(DocsError::TooLarge {
                format: FORMAT,
                part: format!("the stream at byte {pos}"),
                declared: format!("inflates to more than {}", bounds::bytes_text(limit)),
                limit: format!("{} per stream", bounds::bytes_text(limit)),
                hint: "the file is damaged or hostile; print it to a new PDF and read that",
            });
        }
        // The stream's bytes are not searched again for streams.
        at = data_start + end;
        total = total.saturating_add(inflated);
        if total > MAX_INFLATED {
            return Err(DocsError::TooLarge {
                format: FORMAT,
                part: "the file's streams".to_owned(),
                declared: format!("inflate to more than {}", bounds::bytes_text(MAX_INFLATED)),
                limit: bounds::bytes_text(MAX_INFLATED),
                hint: "split the PDF into smaller files",
            });
        }
    }
    Ok(())
}

/// How many bytes `data` inflates to, counting no further than
/// `limit + 1`; 0 when it is not Flate data. zlib-wrapped (as PDF
/// writes it) or raw, as lopdf accepts both.
fn inflated_size(data: &[u8], limit: u64) -> u64 {
    let zlib = data.len() >= 2
        && data[0] & 0x0F == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])).is_multiple_of(31);
    let raw = if zlib { &data[2..] } else { data };
    // The zip reader's inflater, reached through a one-entry archive
    // around the data: the crate has no other deflate dependency.
    let archive = one_entry_zip(raw);
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(archive)) else {
        return 0;
    };
    // The archive's checksum is a placeholder: no use computing it.
    let options = zip::ZipReadOptions::new().ignore_crc32(true);
    let Ok(file) = zip.by_index_with_options(0, options) else {
        return 0;
    };
    let mut counted = 0u64;
    let mut reader = file.take(limit + 1);
    let mut buf = [0u8; 64 * 1024];
    // Data that is not Flate, or ends badly, stops the count; only its
    // length so far matters.
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        counted += n as u64;
    }
    counted
}

/// A zip archive whose one entry is `deflated`, declared as large as a
/// plain zip allows so the count is ours to stop.
fn one_entry_zip(deflated: &[u8]) -> Vec<u8> {
    const DECLARED: u32 = 0xFFFF_FFFE;
    let size = u32::try_from(deflated.len()).unwrap_or(u32::MAX - 1);
    let common = |out: &mut Vec<u8>| {
        out.extend(8u16.to_le_bytes()); // deflate
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend(0u32.to_le_bytes()); // crc
        out.extend(size.to_le_bytes());
        out.extend(DECLARED.to_le_bytes());
        out.extend(1u16.to_le_bytes()); // name length
        out.extend(0u16.to_le_bytes()); // extra length
    };
    let mut out = Vec::with_capacity(deflated.len() + 100);
    out.extend(0x0403_4b50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    common(&mut out);
    out.push(b's');
    out.extend(&deflated[..size as usize]);
    let directory = out.len();
    out.extend(0x0201_4b50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes());
    out.extend(20u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    common(&mut out);
    out.extend([0u8; 10]); // comment length, disk, attributes, external attributes
    out.extend(0u32.to_le_bytes()); // local header offset
    out.push(b's');
    let directory_len = out.len() - directory;
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(1u16.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(u32::try_from(directory_len).unwrap_or(0).to_le_bytes());
    out.extend(u32::try_from(directory).unwrap_or(0).to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_width_arrays_next_to_a_classic_table_are_not_taken_for_xref_fields() {
        let pdf = b"%PDF-1.4\n5 0 obj\n<< /Type /Font /Subtype /CIDFontType2 /W [1 [500 600] 3 9 700] >>\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 6 >>\nstartxref\n90\n%%EOF\n";
        check(pdf).unwrap();
    }

    #[test]
    fn a_cross_reference_stream_hiding_its_widths_behind_an_escape_is_refused() {
        let pdf = b"%PDF-1.5\n1 0 obj\n<< /Type /XRef /#57 [99999 0 0] >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n";
        assert!(check(pdf).is_err());
    }
}
