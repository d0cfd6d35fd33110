//! The document body: Markdown blocks into WordprocessingML paragraphs,
//! lists, tables and figures, each with its named style.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use super::image::{self, EMU_PER_TWIP, Info};
use super::styles::{self, BAND_FILL, BULLET_NUM, HEADER_FILL, Numbering};
use super::xml::{escape_into, field, run};
use crate::assets::Assets;
use crate::chart::{self, ChartSpec};
use crate::error::DocsError;
use crate::markdown::{Align, Block, Inline, ListItem};

/// Relationship types the body adds.
pub(super) const REL_HYPERLINK: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";
pub(super) const REL_IMAGE: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";

/// A relationship of `word/document.xml`.
#[derive(Debug)]
pub(super) struct Rel {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub external: bool,
}

/// A heading, as the table of contents lists it.
#[derive(Debug)]
pub(super) struct TocEntry {
    /// 1 to 3.
    pub level: u8,
    pub text: String,
    pub bookmark: String,
}

/// Deepest list level Word numbering defines.
const MAX_ILVL: u8 = 8;

/// The body being written, and what it refers to.
pub(super) struct Body<'a> {
    pub out: String,
    pub rels: Vec<Rel>,
    /// (part name under `word/`, bytes).
    pub media: Vec<(String, Vec<u8>)>,
    pub numbering: Numbering,
    pub toc: Vec<TocEntry>,
    links: HashMap<String, String>,
    images: HashMap<String, (String, Info)>,
    bookmarks: HashSet<String>,
    next_bookmark: u32,
    next_drawing: u32,
    figures: u32,
    /// Where the last list paragraph's `</w:numPr>` ends and where the
    /// paragraph ends, to give a finished list room after it.
    last_item: (usize, usize),
    /// Text area in EMUs: pictures are shrunk to fit it.
    max_cx: u64,
    max_cy: u64,
    /// Text width in twips, for table columns.
    text_width: u32,
    charts: &'a BTreeMap<String, ChartSpec>,
    assets: &'a dyn Assets,
}

/// Where a block sits, which changes the style of its paragraphs.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    quote: bool,
    /// Inside a list item at this level (for continuation paragraphs).
    item: Option<u8>,
}

/// Inline formatting in effect.
#[derive(Debug, Clone, Copy, Default)]
struct Fmt {
    bold: bool,
    italic: bool,
    strike: bool,
    code: bool,
    link: bool,
}

impl Fmt {
    fn rpr(self) -> String {
        if !(self.bold || self.italic || self.strike || self.code || self.link) {
            return String::new();
        }
        let mut s = String::from("<w:rPr>");
        if self.link {
            s.push_str(r#"<w:rStyle w:val="Hyperlink"/>"#);
            if self.code {
                s.push_str(r#"<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>"#);
            }
        } else if self.code {
            s.push_str(r#"<w:rStyle w:val="CodeChar"/>"#);
        }
        if self.bold {
            s.push_str("<w:b/><w:bCs/>");
        }
        if self.italic {
            s.push_str("<w:i/><w:iCs/>");
        }
        if self.strike {
            s.push_str("<w:strike/>");
        }
        s.push_str("</w:rPr>");
        s
    }
}

impl<'a> Body<'a> {
    /// A body for a text area of `text_width` × `text_height` twips.
    pub(super) fn new(
        text_width: u32,
        text_height: u32,
        charts: &'a BTreeMap<String, ChartSpec>,
        assets: &'a dyn Assets,
    ) -> Self {
        Self {
            out: String::new(),
            rels: Vec::new(),
            media: Vec::new(),
            numbering: Numbering::default(),
            toc: Vec::new(),
            links: HashMap::new(),
            images: HashMap::new(),
            bookmarks: HashSet::new(),
            next_bookmark: 0,
            next_drawing: 0,
            figures: 0,
            last_item: (0, 0),
            max_cx: u64::from(text_width) * EMU_PER_TWIP,
            // Leaves room for a caption on the same page.
            max_cy: u64::from(text_height) * EMU_PER_TWIP * 4 / 5,
            text_width,
            charts,
            assets,
        }
    }

    /// Appends `blocks` at the top level.
    pub(super) fn render(&mut self, blocks: &[Block]) -> Result<(), DocsError> {
        self.blocks(blocks, Ctx::default())?;
        // Word wants a paragraph between a table and the section's end.
        if self.out.ends_with("</w:tbl>") {
            self.out.push_str("<w:p/>");
        }
        Ok(())
    }

    fn blocks(&mut self, blocks: &[Block], ctx: Ctx) -> Result<(), DocsError> {
        for block in blocks {
            self.block(block, ctx)?;
        }
        Ok(())
    }

    fn block(&mut self, block: &Block, ctx: Ctx) -> Result<(), DocsError> {
        match block {
            Block::Heading { level, content } => self.heading(*level, content),
            Block::Paragraph(content) => {
                let (style, indent) = match (ctx.quote, ctx.item) {
                    (true, _) => ("Quote", None),
                    (false, Some(ilvl)) => ("ListContinue", Some(styles::list_indent(ilvl))),
                    (false, None) => ("Normal", None),
                };
                self.out.push_str("<w:p>");
                if style != "Normal" || indent.is_some() {
                    let _ = write!(self.out, r#"<w:pPr><w:pStyle w:val="{style}"/>"#);
                    if let Some(left) = indent {
                        let _ = write!(self.out, r#"<w:ind w:left="{left}"/>"#);
                    }
                    self.out.push_str("</w:pPr>");
                }
                self.inlines(content, Fmt::default())?;
                self.out.push_str("</w:p>");
                Ok(())
            }
            Block::List {
                ordered,
                start,
                items,
            } => {
                let ilvl = ctx.item.map_or(0, |l| (l + 1).min(MAX_ILVL));
                self.list(*ordered, *start, items, ilvl, ctx)
            }
            Block::Table {
                align,
                header,
                rows,
            } => self.table(align, header, rows),
            Block::Quote(inner) => self.blocks(inner, Ctx { quote: true, ..ctx }),
            Block::Code { text, .. } => {
                self.out.push_str(r#"<w:p><w:pPr><w:pStyle w:val="Code"/>"#);
                if let Some(ilvl) = ctx.item {
                    let _ = write!(
                        self.out,
                        r#"<w:ind w:left="{}"/>"#,
                        styles::list_indent(ilvl)
                    );
                }
                self.out.push_str("</w:pPr>");
                let text = text.strip_suffix('\n').unwrap_or(text);
                run(&mut self.out, "", text);
                self.out.push_str("</w:p>");
                Ok(())
            }
            Block::Image { src, alt, title } => self.figure(src, alt, title.as_deref()),
            Block::PageBreak => {
                self.out
                    .push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
                Ok(())
            }
            Block::Rule => {
                let _ = write!(
                    self.out,
                    r#"<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="{}"/></w:pBdr><w:spacing w:after="240"/></w:pPr></w:p>"#,
                    styles::LINE
                );
                Ok(())
            }
        }
    }

    fn heading(&mut self, level: u8, content: &[Inline]) -> Result<(), DocsError> {
        let level = level.clamp(1, 3);
        let text = Inline::plain(content);
        let id = self.next_bookmark;
        self.next_bookmark += 1;
        let toc_name = format!("_Toc{}", 100_000_000 + id);
        let _ = write!(
            self.out,
            r#"<w:p><w:pPr><w:pStyle w:val="Heading{level}"/></w:pPr><w:bookmarkStart w:id="{id}" w:name="{toc_name}"/>"#
        );
        // A second bookmark named like the heading's Markdown anchor, so
        // `[see](#quarterly-results)` links land here.
        let slug = bookmark_name(&text);
        let slug_id = (!slug.is_empty() && self.bookmarks.insert(slug.clone())).then(|| {
            let slug_id = self.next_bookmark;
            self.next_bookmark += 1;
            let _ = write!(
                self.out,
                r#"<w:bookmarkStart w:id="{slug_id}" w:name="{slug}"/>"#
            );
            slug_id
        });
        self.inlines(content, Fmt::default())?;
        let _ = write!(self.out, r#"<w:bookmarkEnd w:id="{id}"/>"#);
        if let Some(slug_id) = slug_id {
            let _ = write!(self.out, r#"<w:bookmarkEnd w:id="{slug_id}"/>"#);
        }
        self.out.push_str("</w:p>");
        self.toc.push(TocEntry {
            level,
            text,
            bookmark: toc_name,
        });
        Ok(())
    }

    fn list(
        &mut self,
        ordered: bool,
        start: u64,
        items: &[ListItem],
        ilvl: u8,
        ctx: Ctx,
    ) -> Result<(), DocsError> {
        let num_id = if ordered {
            self.numbering.ordered(ilvl, start)
        } else {
            BULLET_NUM
        };
        let style = styles::list_style(ordered, ilvl);
        let inner = Ctx {
            quote: ctx.quote,
            item: Some(ilvl),
        };
        for item in items {
            let _ = write!(
                self.out,
                r#"<w:p><w:pPr><w:pStyle w:val="{style}"/><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>"#
            );
            let numpr_end = self.out.len();
            self.out.push_str("</w:pPr>");
            if let Some(checked) = item.checked {
                run(
                    &mut self.out,
                    "",
                    if checked { "\u{2612} " } else { "\u{2610} " },
                );
            }
            let rest = match item.blocks.split_first() {
                Some((Block::Paragraph(content), rest)) => {
                    self.inlines(content, Fmt::default())?;
                    rest
                }
                _ => item.blocks.as_slice(),
            };
            self.out.push_str("</w:p>");
            self.last_item = (numpr_end, self.out.len());
            self.blocks(rest, inner)?;
        }
        // List items sit close together; the list as a whole gets the
        // space after a normal paragraph, unless it ended in another block.
        if ctx.item.is_none() && self.last_item.1 == self.out.len() {
            self.out
                .insert_str(self.last_item.0, r#"<w:spacing w:after="160"/>"#);
        }
        Ok(())
    }

    fn table(
        &mut self,
        align: &[Align],
        header: &[Vec<Inline>],
        rows: &[Vec<Vec<Inline>>],
    ) -> Result<(), DocsError> {
        let columns = header.len().max(1);
        if self.out.ends_with("</w:tbl>") {
            // Two tables in a row would merge into one in Word.
            self.out.push_str("<w:p/>");
        }
        let widths = column_widths(header, rows, self.text_width);
        self.out.push_str(concat!(
            r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/>"#,
            r#"<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>"#,
        ));
        for w in &widths {
            let _ = write!(self.out, r#"<w:gridCol w:w="{w}"/>"#);
        }
        self.out
            .push_str(r#"</w:tblGrid><w:tr><w:trPr><w:tblHeader/></w:trPr>"#);
        for (i, cell) in header.iter().enumerate() {
            self.cell(
                cell,
                widths.get(i).copied(),
                align.get(i),
                Some(HEADER_FILL),
                "TableHeading",
            )?;
        }
        self.out.push_str("</w:tr>");
        for (r, row) in rows.iter().enumerate() {
            self.out.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            let fill = (r % 2 == 1).then_some(BAND_FILL);
            for i in 0..columns {
                let cell = row.get(i).map_or(&[][..], Vec::as_slice);
                self.cell(
                    cell,
                    widths.get(i).copied(),
                    align.get(i),
                    fill,
                    "TableText",
                )?;
            }
            self.out.push_str("</w:tr>");
        }
        self.out.push_str("</w:tbl>");
        Ok(())
    }

    fn cell(
        &mut self,
        content: &[Inline],
        width: Option<u32>,
        align: Option<&Align>,
        fill: Option<&str>,
        style: &str,
    ) -> Result<(), DocsError> {
        let _ = write!(
            self.out,
            r#"<w:tc><w:tcPr><w:tcW w:w="{}" w:type="dxa"/>"#,
            width.unwrap_or(0)
        );
        if let Some(fill) = fill {
            let _ = write!(
                self.out,
                r#"<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>"#
            );
        }
        let _ = write!(
            self.out,
            r#"<w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="{style}"/>"#
        );
        match align {
            Some(Align::Center) => self.out.push_str(r#"<w:jc w:val="center"/>"#),
            Some(Align::Right) => self.out.push_str(r#"<w:jc w:val="right"/>"#),
            Some(Align::Left | Align::None) | None => {}
        }
        self.out.push_str("</w:pPr>");
        self.inlines(content, Fmt::default())?;
        self.out.push_str("</w:p></w:tc>");
        Ok(())
    }

    fn figure(&mut self, src: &str, alt: &str, title: Option<&str>) -> Result<(), DocsError> {
        let (rel, info) = self.image(src)?;
        let (cx, cy) = info.fit(self.max_cx, self.max_cy);
        self.next_drawing += 1;
        let caption = title.unwrap_or(alt).trim();
        let keep = if caption.is_empty() {
            ""
        } else {
            "<w:keepNext/>"
        };
        let _ = write!(
            self.out,
            r#"<w:p><w:pPr><w:pStyle w:val="Figure"/>{keep}</w:pPr>"#
        );
        image::drawing(&mut self.out, &rel, self.next_drawing, alt, cx, cy);
        self.out.push_str("</w:p>");
        if !caption.is_empty() {
            self.figures += 1;
            self.out
                .push_str(r#"<w:p><w:pPr><w:pStyle w:val="Caption"/></w:pPr>"#);
            run(&mut self.out, "", "Figure ");
            field(
                &mut self.out,
                "",
                r"SEQ Figure \* ARABIC",
                &self.figures.to_string(),
            );
            run(&mut self.out, "", ": ");
            run(&mut self.out, "", caption);
            self.out.push_str("</w:p>");
        }
        Ok(())
    }

    /// The relationship id and size of the picture `src` (a path for
    /// [`Assets`] or `chart:NAME`), adding it to the package once.
    fn image(&mut self, src: &str) -> Result<(String, Info), DocsError> {
        if let Some((rel, info)) = self.images.get(src) {
            return Ok((rel.clone(), *info));
        }
        let bytes = match src.strip_prefix("chart:") {
            Some(name) => {
                let spec = self.charts.get(name).ok_or_else(|| {
                    let known: Vec<&str> = self.charts.keys().map(String::as_str).collect();
                    DocsError::invalid(
                        "markdown",
                        format!(
                            "the image `chart:{name}` is not a key of charts (known: {}); add it to `charts` or fix the name",
                            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                        ),
                    )
                })?;
                chart::render_png(spec).map_err(|e| match e {
                    DocsError::InvalidSpec { path, message } => {
                        DocsError::invalid(format!("charts.{name}.{path}"), message)
                    }
                    other => other,
                })?
            }
            None => self.assets.load(src)?,
        };
        let info = image::probe(&bytes).ok_or_else(|| DocsError::Asset {
            name: src.to_owned(),
            message: "not a PNG or JPEG image (or its header is damaged); convert it to PNG"
                .to_owned(),
        })?;
        let part = format!(
            "media/image{}.{}",
            self.media.len() + 1,
            info.kind.extension()
        );
        let rel = self.add_rel(REL_IMAGE, part.clone(), false);
        self.media.push((part, bytes));
        self.images.insert(src.to_owned(), (rel.clone(), info));
        Ok((rel, info))
    }

    fn add_rel(&mut self, kind: &str, target: String, external: bool) -> String {
        let id = format!("rId{}", 100 + self.rels.len());
        self.rels.push(Rel {
            id: id.clone(),
            kind: kind.to_owned(),
            target,
            external,
        });
        id
    }

    fn inlines(&mut self, inlines: &[Inline], fmt: Fmt) -> Result<(), DocsError> {
        for inline in inlines {
            match inline {
                Inline::Text(text) => run(&mut self.out, &fmt.rpr(), text),
                Inline::Code(text) => run(&mut self.out, &Fmt { code: true, ..fmt }.rpr(), text),
                Inline::Strong(inner) => self.inlines(inner, Fmt { bold: true, ..fmt })?,
                Inline::Emphasis(inner) => self.inlines(
                    inner,
                    Fmt {
                        italic: true,
                        ..fmt
                    },
                )?,
                Inline::Strike(inner) => self.inlines(
                    inner,
                    Fmt {
                        strike: true,
                        ..fmt
                    },
                )?,
                Inline::Link { url, content } => self.link(url, content, fmt)?,
                Inline::Image { src, alt, .. } => {
                    let (rel, info) = self.image(src)?;
                    let (cx, cy) = info.fit(self.max_cx, self.max_cy);
                    self.next_drawing += 1;
                    image::drawing(&mut self.out, &rel, self.next_drawing, alt, cx, cy);
                }
                Inline::LineBreak => self.out.push_str("<w:r><w:br/></w:r>"),
            }
        }
        Ok(())
    }

    fn link(&mut self, url: &str, content: &[Inline], fmt: Fmt) -> Result<(), DocsError> {
        if fmt.link || url.is_empty() {
            // Word cannot nest hyperlinks.
            return self.inlines(content, fmt);
        }
        if let Some(anchor) = url.strip_prefix('#') {
            self.out.push_str(r#"<w:hyperlink w:anchor=""#);
            escape_into(&mut self.out, &bookmark_name(anchor));
        } else {
            let rel = match self.links.get(url) {
                Some(rel) => rel.clone(),
                None => {
                    let rel = self.add_rel(REL_HYPERLINK, url.to_owned(), true);
                    self.links.insert(url.to_owned(), rel.clone());
                    rel
                }
            };
            let _ = write!(self.out, r#"<w:hyperlink r:id="{rel}"#);
        }
        self.out.push_str(r#"" w:history="1">"#);
        self.inlines(content, Fmt { link: true, ..fmt })?;
        self.out.push_str("</w:hyperlink>");
        Ok(())
    }
}

/// A Word bookmark name for a heading or `#anchor`: the Markdown anchor
/// (`Quarterly Results` → `quarterly-results`) with `-` as `_`, since Word
/// takes letters, digits and `_`, at most 40 characters, starting with a
/// letter.
pub(super) fn bookmark_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
        } else if c == '-' || c == ' ' {
            out.push('_');
        }
    }
    let trimmed = out.trim_start_matches(|c: char| !c.is_alphabetic());
    trimmed.chars().take(40).collect()
}

/// Column widths in twips summing to `total`: wider for columns with more
/// text, but never below half an even share, so short columns stay legible.
fn column_widths(header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>], total: u32) -> Vec<u32> {
    let n = header.len().max(1);
    let mut weight: Vec<f64> = vec![3.0; n];
    let mut measure = |i: usize, cell: &[Inline]| {
        let len = Inline::plain(cell).chars().count() as f64;
        if let Some(w) = weight.get_mut(i) {
            *w = w.max(len.min(60.0));
        }
    };
    for (i, cell) in header.iter().enumerate() {
        measure(i, cell);
    }
    for row in rows.iter().take(200) {
        for (i, cell) in row.iter().enumerate() {
            measure(i, cell);
        }
    }
    let weight: Vec<f64> = weight.iter().map(|w| w.sqrt()).collect();
    let sum: f64 = weight.iter().sum();
    let even = 1.0 / n as f64;
    weight
        .iter()
        .map(|w| (f64::from(total) * (even / 2.0 + w / sum / 2.0)).round() as u32)
        .collect()
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
