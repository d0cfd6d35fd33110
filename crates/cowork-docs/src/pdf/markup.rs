//! The Markdown block model as typst source.
//!
//! User text only ever appears inside typst string literals (`#"..."`),
//! escaped by [`string`], so no input can reach typst's markup or code
//! syntax. Every emitted inline starts with `#` and is followed by `#`, `]`
//! or a newline, so one call can never swallow the next as an argument.
//! Images travel as bytes in `sys.inputs.images`, referenced by index.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::markdown::{Align, Block, Inline, ListItem, Markdown};

/// Containers nested deeper than this are flattened: typst lays out each
/// level recursively, and a hostile `>>>>>>…` must not exhaust the stack.
const MAX_DEPTH: usize = 24;

/// Where the body's images come from: called once per distinct `src`,
/// returning the image's bytes.
pub(crate) trait ImageSource {
    /// The bytes of the image `src` (a path or `chart:NAME`).
    fn image(&mut self, src: &str) -> Result<Vec<u8>, crate::DocsError>;
}

/// Typst source for a document body, and the images it references.
#[derive(Debug, Default)]
pub(crate) struct Body {
    /// Typst markup, to be appended to the preamble.
    pub source: String,
    /// Image bytes; the source refers to them as `images.at(i)`.
    pub images: Vec<Vec<u8>>,
}

/// Renders `markdown` as typst markup, loading images through `source`.
pub(crate) fn body(
    markdown: &Markdown,
    source: &mut dyn ImageSource,
) -> Result<Body, crate::DocsError> {
    let mut writer = Writer {
        out: String::new(),
        images: Vec::new(),
        index: HashMap::new(),
        source,
    };
    writer.blocks(&markdown.blocks, 0)?;
    Ok(Body {
        source: writer.out,
        images: writer.images,
    })
}

/// `text` as a typst string literal, quotes included.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Writer<'a> {
    out: String,
    images: Vec<Vec<u8>>,
    /// Image `src` → index in `images`, so a repeated image is stored once.
    index: HashMap<String, usize>,
    source: &'a mut dyn ImageSource,
}

impl Writer<'_> {
    fn blocks(&mut self, blocks: &[Block], depth: usize) -> Result<(), crate::DocsError> {
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                // A blank line: typst's paragraph break.
                self.out.push_str("\n\n");
            }
            self.block(block, depth)?;
        }
        Ok(())
    }

    fn block(&mut self, block: &Block, depth: usize) -> Result<(), crate::DocsError> {
        match block {
            Block::Heading { level, content } => {
                let _ = write!(
                    self.out,
                    "#heading(level: {}, outlined: true)[",
                    (*level).clamp(1, 3)
                );
                self.inlines(content)?;
                self.out.push(']');
            }
            Block::Paragraph(content) => self.inlines(content)?,
            Block::List {
                ordered,
                start,
                items,
            } => self.list(*ordered, *start, items, depth)?,
            Block::Table {
                align,
                header,
                rows,
            } => self.table(align, header, rows)?,
            Block::Quote(inner) => {
                if depth >= MAX_DEPTH {
                    return self.blocks(inner, depth);
                }
                self.out.push_str("#report-quote[");
                self.blocks(inner, depth + 1)?;
                self.out.push(']');
            }
            Block::Code { lang, text } => {
                let text = text.strip_suffix('\n').unwrap_or(text);
                self.out.push_str("#raw(block: true, ");
                if let Some(lang) = lang.as_deref().filter(|l| !l.is_empty()) {
                    let _ = write!(self.out, "lang: {}, ", string(lang));
                }
                self.out.push_str(&string(text));
                self.out.push(')');
            }
            Block::Image { src, alt, title } => {
                let index = self.image(src)?;
                let caption = title.as_deref().unwrap_or(alt).trim();
                let _ = write!(
                    self.out,
                    "#report-figure(images.at({index}), {}, {})",
                    string(alt),
                    if caption.is_empty() {
                        "none".to_owned()
                    } else {
                        format!("[#{}]", string(caption))
                    }
                );
            }
            Block::PageBreak => self.out.push_str("#pagebreak(weak: true)"),
            Block::Rule => self.out.push_str("#rule()"),
        }
        Ok(())
    }

    fn list(
        &mut self,
        ordered: bool,
        start: u64,
        items: &[ListItem],
        depth: usize,
    ) -> Result<(), crate::DocsError> {
        if depth >= MAX_DEPTH {
            for item in items {
                self.blocks(&item.blocks, depth)?;
                self.out.push_str("\n\n");
            }
            return Ok(());
        }
        // Loose lists (items of several paragraphs) get paragraph spacing.
        let tight = items.iter().all(|item| item.blocks.len() <= 1);
        if ordered {
            // typst's integers are i64; CommonMark allows 9 digits anyway.
            let start = start.min(999_999_999);
            let _ = write!(self.out, "#enum(tight: {tight}, start: {start}");
        } else if items.iter().all(|item| item.checked.is_some()) {
            // A checklist: the boxes are the markers.
            let _ = write!(self.out, "#list(tight: {tight}, marker: []");
        } else {
            let _ = write!(self.out, "#list(tight: {tight}");
        }
        for item in items {
            self.out.push_str(", [");
            if let Some(done) = item.checked {
                let _ = write!(self.out, "#checkbox({done})");
            }
            self.blocks(&item.blocks, depth + 1)?;
            self.out.push(']');
        }
        self.out.push(')');
        Ok(())
    }

    fn table(
        &mut self,
        align: &[Align],
        header: &[Vec<Inline>],
        rows: &[Vec<Vec<Inline>>],
    ) -> Result<(), crate::DocsError> {
        let columns = header
            .len()
            .max(align.len())
            .max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if columns == 0 {
            return Ok(());
        }
        self.out.push_str("#report-table((");
        for column in 0..columns {
            let name = match align.get(column).copied().unwrap_or(Align::None) {
                Align::None | Align::Left => "left",
                Align::Center => "center",
                Align::Right => "right",
            };
            let _ = write!(self.out, "{name}, ");
        }
        self.out.push_str("), (");
        self.cells(header, columns)?;
        self.out.push_str("), (");
        for row in rows {
            self.out.push('(');
            self.cells(row, columns)?;
            self.out.push_str("), ");
        }
        self.out.push_str("))");
        Ok(())
    }

    /// Exactly `columns` cells, padding short rows: typst fills a table
    /// row by row, so a short row would shift every later cell.
    fn cells(&mut self, cells: &[Vec<Inline>], columns: usize) -> Result<(), crate::DocsError> {
        for column in 0..columns {
            self.out.push('[');
            if let Some(cell) = cells.get(column) {
                self.inlines(cell)?;
            }
            self.out.push_str("], ");
        }
        Ok(())
    }

    fn inlines(&mut self, inlines: &[Inline]) -> Result<(), crate::DocsError> {
        // The parser splits text at every special character; one literal
        // per run keeps the source small.
        let mut run = String::new();
        for inline in inlines {
            if let Inline::Text(text) = inline {
                run.push_str(text);
                continue;
            }
            self.text(&mut run);
            self.inline(inline)?;
        }
        self.text(&mut run);
        Ok(())
    }

    fn text(&mut self, run: &mut String) {
        if !run.is_empty() {
            self.out.push('#');
            self.out.push_str(&string(run));
            run.clear();
        }
    }

    fn inline(&mut self, inline: &Inline) -> Result<(), crate::DocsError> {
        match inline {
            Inline::Text(text) => self.text(&mut text.clone()),
            Inline::Strong(inner) => self.wrapped("strong", inner)?,
            Inline::Emphasis(inner) => self.wrapped("emph", inner)?,
            Inline::Strike(inner) => self.wrapped("strike", inner)?,
            Inline::Code(code) => {
                let _ = write!(self.out, "#raw({})", string(code));
            }
            Inline::Link { url, content } => {
                // typst refuses empty and very long URLs; keep the text.
                if url.is_empty() || url.len() > 8000 {
                    return self.inlines(content);
                }
                let _ = write!(self.out, "#link({})[", string(url));
                if content.is_empty() {
                    let _ = write!(self.out, "#{}", string(url));
                } else {
                    self.inlines(content)?;
                }
                self.out.push(']');
            }
            Inline::Image { src, alt, .. } => {
                let index = self.image(src)?;
                let _ = write!(
                    self.out,
                    "#inline-image(images.at({index}), {})",
                    string(alt)
                );
            }
            Inline::LineBreak => self.out.push_str("#linebreak()"),
        }
        Ok(())
    }

    fn wrapped(&mut self, function: &str, inner: &[Inline]) -> Result<(), crate::DocsError> {
        let _ = write!(self.out, "#{function}[");
        self.inlines(inner)?;
        self.out.push(']');
        Ok(())
    }

    fn image(&mut self, src: &str) -> Result<usize, crate::DocsError> {
        if let Some(&index) = self.index.get(src) {
            return Ok(index);
        }
        let bytes = self.source.image(src)?;
        let index = self.images.len();
        self.images.push(bytes);
        self.index.insert(src.to_owned(), index);
        Ok(index)
    }
}

#[cfg(test)]
#[path = "markup_tests.rs"]
mod tests;
