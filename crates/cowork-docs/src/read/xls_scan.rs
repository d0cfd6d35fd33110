//! What calamine would allocate for an XLS file, counted before it does.
//!
//! calamine parses every sheet of an XLS when it opens it: it reserves the
//! cells a sheet's DIMENSIONS record declares, then builds dense value and
//! formula ranges spanning the furthest cells (two cells, A1 and IV65536,
//! make 16.7 million), and clones a shared string into every cell naming
//! it. This walks the same BIFF records (after checking the compound
//! file's chains, see [`super::cfb`]) and adds those up, refusing a
//! workbook over [`DENSE_CELLS`] cells or [`DENSE_TEXT`] bytes of text.
//! Where the records are too broken for calamine to read, the scan stops
//! and leaves the error to calamine.

use super::bounds::{self, DENSE_CELLS, DENSE_TEXT};
use super::cfb::Cfb;
use crate::error::DocsError;

const FORMAT: &str = "XLS";
/// Text a formula's tokens can expand to per byte: a 4-byte space token
/// stands for up to 255 spaces.
const FORMULA_TEXT_PER_BYTE: u64 = 64;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A BIFF record with the CONTINUE records that follow it, as calamine
/// groups them.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    cont: std::collections::VecDeque<&'a [u8]>,
}

impl<'a> Record<'a> {
    fn continue_record(&mut self) -> bool {
        match self.cont.pop_front() {
            Some(next) => {
                self.data = next;
                true
            }
            None => false,
        }
    }

    /// Skips `len` bytes across continues; `None` when too short.
    fn skip(&mut self, mut len: usize) -> Option<()> {
        while len > 0 {
            if self.data.is_empty() && !self.continue_record() {
                return None;
            }
            let l = len.min(self.data.len());
            self.data = &self.data[l..];
            len -= l;
        }
        Some(())
    }
}

/// The records from `stream`; stops (like calamine, with an error) at a
/// record running past the end.
fn records(mut stream: &[u8]) -> impl Iterator<Item = Record<'_>> {
    std::iter::from_fn(move || {
        let typ = u16_at(stream, 0)?;
        let len = usize::from(u16_at(stream, 2)?);
        let data = stream.get(4..4 + len)?;
        stream = &stream[4 + len..];
        let mut cont = std::collections::VecDeque::new();
        while stream.len() > 4 && u16_at(stream, 0) == Some(0x003C) {
            let len = usize::from(u16_at(stream, 2)?);
            cont.push_back(stream.get(4..4 + len)?);
            stream = &stream[4 + len..];
        }
        Some(Record { typ, data, cont })
    })
}

/// Refuses an XLS whose sheets would make calamine allocate past the
/// limits.
pub(super) fn check(bytes: &[u8]) -> Result<(), DocsError> {
    let Some(cfb) = Cfb::open(bytes)? else {
        return Ok(());
    };
    let stream = match cfb.stream("Workbook")? {
        Some(stream) => stream,
        None => match cfb.stream("Book")? {
            Some(stream) => stream,
            None => return Ok(()),
        },
    };
    let Some(globals) = Globals::read(&stream) else {
        return Ok(());
    };
    let mut total = Total::default();
    // Sheets sharing a position are parsed once each by calamine.
    let mut seen: std::collections::HashMap<usize, Cost> = std::collections::HashMap::new();
    for (pos, name) in &globals.sheets {
        let cost = match seen.get(pos) {
            Some(cost) => *cost,
            None => {
                let Some(sheet) = stream.get(*pos..) else {
                    // calamine fails on this sheet; it reads none after.
                    return Ok(());
                };
                let cost = sheet_cost(sheet, &globals);
                seen.insert(*pos, cost);
                cost
            }
        };
        total.add(&cost, name)?;
    }
    Ok(())
}

/// What the globals substream says about the sheets.
#[derive(Default)]
struct Globals {
    /// Stream position and name of each sheet.
    sheets: Vec<(usize, String)>,
    /// Characters of each shared string.
    strings: Vec<u64>,
    /// The longest sheet name, in bytes (formulas repeat them).
    longest_name: u64,
}

impl Globals {
    fn read(stream: &[u8]) -> Option<Self> {
        let mut globals = Globals::default();
        let mut biff8 = true;
        for mut r in records(stream) {
            match r.typ {
                0x0809 => {
                    let version = u16_at(r.data, 0)?;
                    let dt = u16_at(r.data, 2).unwrap_or(0);
                    biff8 = match version {
                        0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500 => false,
                        0 => dt != 0x1000,
                        _ => true,
                    };
                }
                0x0085 => {
                    let pos = u32_at(r.data, 0)? as usize;
                    let cch = u64::from(*r.data.get(6)?);
                    let name = sheet_name(r.data, biff8);
                    globals.longest_name = globals.longest_name.max(3 * cch);
                    globals.sheets.push((pos, name));
                }
                0x00FC => globals.strings = shared_strings(&mut r)?,
                0x000A => break,
                _ => {}
            }
        }
        Some(globals)
    }
}

/// A sheet's name for messages (best effort: Latin-1 or UTF-16LE).
fn sheet_name(data: &[u8], biff8: bool) -> String {
    let cch = data.get(6).map_or(0, |&c| usize::from(c));
    let (wide, start) = match (biff8, data.get(7)) {
        (true, Some(flags)) => (flags & 1 != 0, 8),
        _ => (false, 7),
    };
    let raw = data.get(start..).unwrap_or(&[]);
    if wide {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .take(cch)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        raw.iter().take(cch).map(|&b| char::from(b)).collect()
    }
}

/// The character count of each string of the SST, walked as calamine
/// walks it; `None` where calamine would fail.
fn shared_strings(r: &mut Record<'_>) -> Option<Vec<u64>> {
    r.data = r.data.get(8..)?;
    let mut out = Vec::new();
    while !r.data.is_empty() || r.continue_record() {
        if r.data.len() < 3 {
            return None;
        }
        let cch = usize::from(u16_at(r.data, 0)?);
        let flags = r.data[2];
        r.data = &r.data[3..];
        let mut c_run = 0;
        if flags & 0x8 != 0 {
            c_run = usize::from(u16_at(r.data, 0)?);
            r.data = &r.data[2..];
        }
        let mut ext = 0;
        if flags & 0x4 != 0 {
            ext = u32_at(r.data, 0)? as i32 as usize;
            r.data = &r.data[4..];
        }
        let mut wide = flags & 0x1 != 0;
        let mut left = cch;
        while left > 0 {
            let (chars, used) = if wide {
                let l = (r.data.len() / 2).min(left);
                (l, 2 * l)
            } else {
                let l = r.data.len().min(left);
                (l, l)
            };
            r.data = &r.data[used..];
            left -= chars;
            if left > 0 {
                if !r.continue_record() {
                    return None;
                }
                wide = *r.data.first()? & 0x1 != 0;
                r.data = &r.data[1..];
            }
        }
        r.skip(c_run.checked_mul(4)?)?;
        r.skip(ext)?;
        out.push(cch as u64);
    }
    Some(out)
}

/// What one sheet costs calamine.
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    /// Cells reserved from DIMENSIONS, and their declared size.
    reserved: (u64, u64, u64),
    /// Cells and formulas read.
    cells: u64,
    formulas: u64,
    /// Extents (first row, last row, first column, last column) of the
    /// values and of the formulas: the dense ranges.
    values: Option<(u32, u32, u32, u32)>,
    formula_extent: Option<(u32, u32, u32, u32)>,
    /// Text bytes the cells and formulas hold at most.
    text: u64,
}

fn widen(extent: &mut Option<(u32, u32, u32, u32)>, row: u32, col: u32) {
    *extent = Some(match *extent {
        Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        None => (row, row, col, col),
    });
}

fn dims(extent: Option<(u32, u32, u32, u32)>) -> (u64, u64) {
    extent.map_or((0, 0), |(r0, r1, c0, c1)| {
        (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1)
    })
}

/// The DIMENSIONS record as calamine reads it: rows and columns reserved.
fn dimensions(data: &[u8]) -> Option<(u64, u64)> {
    let (rf, rl, mut cf, cl) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)?),
            u32::from(u16_at(data, 2)?),
            u32::from(u16_at(data, 4)?),
            u32::from(u16_at(data, 6)?),
        ),
        14 | 16 => (
            u32_at(data, 0)?,
            u32_at(data, 4)?,
            u32::from(u16_at(data, 8)?),
            u32::from(u16_at(data, 10)?),
        ),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    // calamine computes `end - start + 1` in u32: a start past the end
    // wraps around (or panics, which is caught).
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
    let cols = end.1.wrapping_sub(start.1).wrapping_add(1);
    Some((u64::from(rows), u64::from(cols)))
}

fn sheet_cost(sheet: &[u8], globals: &Globals) -> Cost {
    let mut cost = Cost::default();
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut fmla_pos = (0u32, 0u32);
    for r in records(sheet) {
        if depth > 0 {
            match r.typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let d = r.data;
        let pos = || Some((u32::from(u16_at(d, 0)?), u32::from(u16_at(d, 2)?)));
        let cell = |cost: &mut Cost, at: Option<(u32, u32)>, text: u64| {
            if let Some((row, col)) = at {
                cost.cells += 1;
                cost.text = cost.text.saturating_add(text);
                widen(&mut cost.values, row, col);
            }
        };
        match r.typ {
            0x0809 => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            0x0200 => {
                let Some((rows, cols)) = dimensions(d) else {
                    return cost;
                };
                let reserved = rows.saturating_mul(cols);
                if reserved > cost.reserved.0 {
                    cost.reserved = (reserved, rows, cols);
                }
            }
            0x0203 | 0x0205 | 0x027E => cell(&mut cost, pos(), 0),
            0x0204 | 0x00D6 | 0x0207 => {
                let at = if r.typ == 0x0207 {
                    Some(fmla_pos)
                } else {
                    pos()
                };
                cell(&mut cost, at, 3 * d.len() as u64);
            }
            0x00FD => {
                let index = u32_at(d, 6).map(|i| i as usize);
                if let Some(&chars) = index.and_then(|i| globals.strings.get(i)) {
                    cell(&mut cost, pos(), 3 * chars);
                }
            }
            0x00BD => {
                let (Some((row, first)), Some(last)) =
                    (pos(), d.len().checked_sub(2).and_then(|at| u16_at(d, at)))
                else {
                    return cost;
                };
                let last = u32::from(last);
                if last < first {
                    return cost;
                }
                cost.cells += u64::from(last - first) + 1;
                widen(&mut cost.values, row, first);
                widen(&mut cost.values, row, last);
            }
            0x0006 => {
                let Some(at) = pos().filter(|_| d.len() >= 20) else {
                    return cost;
                };
                fmla_pos = at;
                cell(&mut cost, Some(at), 0);
                cost.formulas += 1;
                widen(&mut cost.formula_extent, at.0, at.1);
                let per_byte = FORMULA_TEXT_PER_BYTE + globals.longest_name;
                let text = (d.len() as u64 - 20).saturating_mul(per_byte) + 64;
                cost.text = cost.text.saturating_add(text);
            }
            0x000A => break,
            _ => {}
        }
    }
    cost
}

/// The workbook's running total.
#[derive(Default)]
struct Total {
    cells: u64,
    text: u64,
}

impl Total {
    fn add(&mut self, cost: &Cost, sheet: &str) -> Result<(), DocsError> {
        let values = dims(cost.values);
        let formulas = dims(cost.formula_extent);
        let dense_values = values.0.saturating_mul(values.1);
        let dense_formulas = formulas.0.saturating_mul(formulas.1);
        let cells = cost
            .reserved
            .0
            .max(cost.cells)
            .saturating_add(dense_values)
            .saturating_add(cost.formulas)
            .saturating_add(dense_formulas);
        self.cells = self.cells.saturating_add(cells);
        self.text = self.text.saturating_add(cost.text);
        if self.cells > DENSE_CELLS {
            // Name the largest thing the sheet declares.
            let (rows, cols) = if cost.reserved.0 >= dense_values.max(dense_formulas) {
                (cost.reserved.1, cost.reserved.2)
            } else if dense_values >= dense_formulas {
                values
            } else {
                formulas
            };
            return Err(bounds::sheet_too_large(
                FORMAT,
                sheet,
                rows,
                cols,
                DENSE_CELLS,
            ));
        }
        if self.text > DENSE_TEXT {
            return Err(DocsError::TooLarge {
                format: FORMAT,
                part: format!("sheet `{sheet}`"),
                declared: format!(
                    "holds up to {} of cell and formula text",
                    bounds::bytes_text(self.text)
                ),
                limit: bounds::bytes_text(DENSE_TEXT),
                hint: "save the range you need as .xlsx or .csv and read that",
            });
        }
        Ok(())
    }
}
