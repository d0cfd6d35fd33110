//! A sheet's cells kept sparse while they stream in, and rendered as a
//! Markdown pipe table capped in rows, columns and characters.
//!
//! Only what the output can show is kept: the first rows and columns of
//! the used range, and of those no more text than the character cap. A
//! sheet that declares A1:XFD1048576 costs its two cells, not 17 billion.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ReadOptions;

/// Columns shown at most; wider sheets are clipped with a note.
pub(super) const MAX_COLUMNS: u32 = 256;

/// Cell text kept at most per sheet, whatever `max_chars` asks for.
const MAX_KEPT_BYTES: usize = 32 * 1024 * 1024;

/// Collects the cells of one sheet.
pub(super) struct TableBuilder {
    /// The top-left cell of the table (absolute row, column).
    origin: (u32, u32),
    /// Rows from `origin` whose cells are kept.
    window_rows: u32,
    max_cells: usize,
    max_bytes: usize,
    /// Non-empty cells inside the window, relative to `origin`.
    cells: BTreeMap<(u32, u32), String>,
    bytes: usize,
    /// The furthest row and column holding a value (absolute).
    end: Option<(u32, u32)>,
}

impl TableBuilder {
    /// A table whose first cell is `origin`, kept within `options`.
    pub(super) fn new(origin: (u32, u32), options: &ReadOptions) -> Self {
        let rows = options.max_rows.saturating_add(1).max(2);
        let max_bytes = options.max_chars.clamp(1, MAX_KEPT_BYTES);
        Self {
            origin,
            window_rows: u32::try_from(rows).unwrap_or(u32::MAX),
            // A shown cell takes at least four characters (` x |`).
            max_cells: max_bytes / 4 + 1,
            max_bytes,
            cells: BTreeMap::new(),
            bytes: 0,
            end: None,
        }
    }

    /// Adds the cell at (`row`, `column`) (absolute) holding `text`.
    pub(super) fn push(&mut self, row: u32, column: u32, text: &str) {
        if text.is_empty() || row < self.origin.0 || column < self.origin.1 {
            return;
        }
        self.end = Some(match self.end {
            Some((r, c)) => (r.max(row), c.max(column)),
            None => (row, column),
        });
        let key = (row - self.origin.0, column - self.origin.1);
        if key.0 >= self.window_rows || key.1 >= MAX_COLUMNS {
            return;
        }
        let text = clip(text, self.max_bytes);
        self.bytes += text.len();
        if let Some(old) = self.cells.insert(key, text.to_owned()) {
            self.bytes -= old.len();
        }
        // Cells are shown row by row: the last ones are the first that
        // the character cap would cut, so they go first.
        while self.cells.len() > self.max_cells || self.bytes > self.max_bytes {
            match self.cells.pop_last() {
                Some((_, dropped)) => self.bytes -= dropped.len(),
                None => break,
            }
        }
    }

    /// The table named `name`.
    pub(super) fn finish(self, name: String) -> Table {
        let size = self.end.map(|(row, column)| {
            (
                u64::from(row - self.origin.0) + 1,
                u64::from(column - self.origin.1) + 1,
            )
        });
        Table {
            name,
            size,
            cells: self.cells,
        }
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One sheet, ready to render.
pub(super) struct Table {
    name: String,
    /// Rows × columns of the used range; `None` when the sheet is empty.
    size: Option<(u64, u64)>,
    cells: BTreeMap<(u32, u32), String>,
}

impl Table {
    /// A sheet with no cells.
    pub(super) fn empty(name: String) -> Self {
        Self {
            name,
            size: None,
            cells: BTreeMap::new(),
        }
    }
}

/// The Markdown of all sheets, within `options`' caps.
pub(super) fn render(tables: Vec<Table>, options: &ReadOptions) -> String {
    let mut out = String::new();
    let total = tables.len();
    for (i, table) in tables.into_iter().enumerate() {
        if !out.is_empty() {
            out.push('\n');
        }
        let Some((rows, columns)) = table.size else {
            let _ = writeln!(out, "## Sheet: {} (empty)", table.name);
            continue;
        };
        let _ = writeln!(
            out,
            "## Sheet: {} ({rows} rows × {columns} columns)\n",
            table.name
        );
        let shown = rows.min(options.max_rows.saturating_add(1).max(2) as u64);
        let width = columns.min(u64::from(MAX_COLUMNS));
        for r in 0..shown {
            out.push('|');
            for c in 0..width {
                let key = (
                    u32::try_from(r).unwrap_or(u32::MAX),
                    u32::try_from(c).unwrap_or(u32::MAX),
                );
                let cell = table.cells.get(&key).map_or("", String::as_str);
                let _ = write!(out, " {} |", escape(cell));
            }
            out.push('\n');
            if r == 0 {
                out.push('|');
                for _ in 0..width {
                    out.push_str("---|");
                }
                out.push('\n');
            }
            if out.len() > options.max_chars {
                break;
            }
        }
        let hidden = rows - shown;
        if hidden > 0 {
            let _ = writeln!(out, "\n… {hidden} more rows (use a narrower request)");
        }
        if columns > width {
            let _ = writeln!(
                out,
                "\n… {} more columns not shown (only the first {width} are read)",
                columns - width
            );
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
    let cut = clip(s, max).rfind('\n').unwrap_or(clip(s, max).len());
    s.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(max_rows: usize, max_chars: usize) -> ReadOptions {
        ReadOptions {
            max_rows,
            max_chars,
        }
    }

    #[test]
    fn only_the_shown_window_is_kept_whatever_the_declared_extent() {
        let mut builder = TableBuilder::new((0, 0), &options(10, 10_000));
        builder.push(0, 0, "a");
        builder.push(1_048_575, 16_383, "z");
        builder.push(3, 300, "far right");
        let table = builder.finish("S".to_owned());
        assert_eq!(table.size, Some((1_048_576, 16_384)));
        assert_eq!(table.cells.len(), 1);
        let text = render(vec![table], &options(10, 10_000));
        assert!(text.contains("(1048576 rows × 16384 columns)"), "{text}");
        assert!(text.contains("… 16128 more columns not shown"), "{text}");
    }

    #[test]
    fn kept_text_stays_within_the_character_cap_keeping_the_first_cells() {
        let mut builder = TableBuilder::new((0, 0), &options(1_000_000, 100));
        for row in (0..1_000).rev() {
            builder.push(row, 0, &"x".repeat(30));
        }
        assert!(builder.bytes <= 100, "{}", builder.bytes);
        assert!(builder.cells.contains_key(&(0, 0)));
        assert!(!builder.cells.contains_key(&(999, 0)));
    }
}
