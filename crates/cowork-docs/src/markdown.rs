//! Markdown parsed once into a small block model that the DOCX and PDF
//! writers both render, so a memo looks the same in either.
//!
//! CommonMark plus tables and strikethrough. A page break is a line holding
//! only `\newpage` or `<!-- pagebreak -->`. A paragraph holding only an
//! image becomes an [`Block::Image`] (a figure); `chart:NAME` as an image
//! source names a chart of the spec.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A parsed document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Markdown {
    /// Top-level blocks in order.
    pub blocks: Vec<Block>,
}

/// A block-level element.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `#` to `######`; writers map 1–3 to their heading styles and deeper
    /// levels to level 3.
    Heading {
        /// 1 to 6.
        level: u8,
        /// The heading's text.
        content: Vec<Inline>,
    },
    /// A paragraph.
    Paragraph(Vec<Inline>),
    /// A bulleted or numbered list; items may nest lists.
    List {
        /// Numbered (`1.`) rather than bulleted.
        ordered: bool,
        /// The first number of a numbered list.
        start: u64,
        /// The items.
        items: Vec<ListItem>,
    },
    /// A pipe table; the first row is the header.
    Table {
        /// Column alignment, one per column.
        align: Vec<Align>,
        /// Header cells.
        header: Vec<Vec<Inline>>,
        /// Body rows of cells (rows may be shorter than the header).
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// `>` block quote.
    Quote(Vec<Block>),
    /// Fenced or indented code.
    Code {
        /// The fence's language tag, if any.
        lang: Option<String>,
        /// The code, with its final newline.
        text: String,
    },
    /// A paragraph that is only an image: a figure with a caption (`alt`,
    /// or `title` when given).
    Image {
        /// As written: a path for [`crate::Assets`], or `chart:NAME`.
        src: String,
        /// The alt text.
        alt: String,
        /// The optional title (`![alt](src "title")`).
        title: Option<String>,
    },
    /// `\newpage` or `<!-- pagebreak -->`.
    PageBreak,
    /// `---`.
    Rule,
}

/// One list item.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// `- [x]` / `- [ ]` task items.
    pub checked: Option<bool>,
    /// The item's content (paragraphs, nested lists ...).
    pub blocks: Vec<Block>,
}

/// Table column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Not specified (left).
    None,
    /// `:--`
    Left,
    /// `:-:`
    Center,
    /// `--:`
    Right,
}

/// Inline content.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// `**bold**`
    Strong(Vec<Inline>),
    /// `*italic*`
    Emphasis(Vec<Inline>),
    /// `~~struck~~`
    Strike(Vec<Inline>),
    /// `` `code` ``
    Code(String),
    /// `[text](url)`
    Link {
        /// The target.
        url: String,
        /// The link text.
        content: Vec<Inline>,
    },
    /// An image inside running text.
    Image {
        /// As written.
        src: String,
        /// The alt text.
        alt: String,
        /// The optional title.
        title: Option<String>,
    },
    /// A hard line break (two trailing spaces or `\`).
    LineBreak,
}

impl Inline {
    /// The text of `inlines` without formatting (for TOC entries, alt
    /// text, sheet names ...).
    pub fn plain(inlines: &[Inline]) -> String {
        let mut out = String::new();
        for inline in inlines {
            match inline {
                Inline::Text(t) | Inline::Code(t) => out.push_str(t),
                Inline::Strong(c) | Inline::Emphasis(c) | Inline::Strike(c) => {
                    out.push_str(&Inline::plain(c));
                }
                Inline::Link { content, .. } => out.push_str(&Inline::plain(content)),
                Inline::Image { alt, .. } => out.push_str(alt),
                Inline::LineBreak => out.push(' '),
            }
        }
        out
    }
}

impl Markdown {
    /// Parses `text`. Never fails: Markdown has no invalid input.
    pub fn parse(text: &str) -> Self {
        let options =
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
        let mut builder = Builder::default();
        for event in Parser::new_ext(text, options) {
            builder.event(event);
        }
        Markdown {
            blocks: builder.finish(),
        }
    }

    /// Every heading as (level, text), in order: for tables of contents.
    pub fn headings(&self) -> Vec<(u8, String)> {
        let mut out = Vec::new();
        collect_headings(&self.blocks, &mut out);
        out
    }
}

fn collect_headings(blocks: &[Block], out: &mut Vec<(u8, String)>) {
    for block in blocks {
        match block {
            Block::Heading { level, content } => out.push((*level, Inline::plain(content))),
            Block::Quote(inner) => collect_headings(inner, out),
            Block::List { items, .. } => {
                for item in items {
                    collect_headings(&item.blocks, out);
                }
            }
            Block::Paragraph(_)
            | Block::Table { .. }
            | Block::Code { .. }
            | Block::Image { .. }
            | Block::PageBreak
            | Block::Rule => {}
        }
    }
}

/// An open container while events stream in.
enum Frame {
    /// Blocks of a quote or list item being filled.
    Blocks(Vec<Block>, Container),
    /// Items of a list being filled.
    List {
        ordered: bool,
        start: u64,
        items: Vec<ListItem>,
    },
    /// Inline content of a paragraph, heading, cell or span.
    Inlines(Vec<Inline>, Span),
    /// A table being filled.
    Table {
        align: Vec<Align>,
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        in_head: bool,
    },
    /// Text of a code block.
    Code(Option<String>, String),
}

enum Container {
    Quote,
    Item(Option<bool>),
}

enum Span {
    Paragraph,
    /// Text of a tight list item, which comes without a paragraph.
    Implicit,
    Heading(u8),
    Cell,
    Strong,
    Emphasis,
    Strike,
    Link(String),
    Image(String, Option<String>),
}

#[derive(Default)]
struct Builder {
    top: Vec<Block>,
    stack: Vec<Frame>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(text) => match self.stack.last_mut() {
                Some(Frame::Code(_, body)) => body.push_str(&text),
                _ => self.inline(Inline::Text(text.into_string())),
            },
            Event::Code(code) => self.inline(Inline::Code(code.into_string())),
            Event::SoftBreak => self.inline(Inline::Text(" ".to_owned())),
            Event::HardBreak => self.inline(Inline::LineBreak),
            Event::Rule => self.block(Block::Rule),
            Event::Html(html) | Event::InlineHtml(html) => {
                if html.trim().eq_ignore_ascii_case("<!-- pagebreak -->") {
                    self.block(Block::PageBreak);
                }
            }
            Event::TaskListMarker(checked) => {
                if let Some(Frame::Blocks(_, Container::Item(slot))) = self.stack.last_mut() {
                    *slot = Some(checked);
                }
            }
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let inline_tag = matches!(
            tag,
            Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
        );
        if !inline_tag {
            self.close_implicit();
        }
        let frame = match tag {
            Tag::Paragraph => Frame::Inlines(Vec::new(), Span::Paragraph),
            Tag::Heading { level, .. } => Frame::Inlines(Vec::new(), Span::Heading(heading(level))),
            Tag::BlockQuote(_) => Frame::Blocks(Vec::new(), Container::Quote),
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                    CodeBlockKind::Indented => None,
                };
                Frame::Code(lang, String::new())
            }
            Tag::List(start) => Frame::List {
                ordered: start.is_some(),
                start: start.unwrap_or(1),
                items: Vec::new(),
            },
            Tag::Item => Frame::Blocks(Vec::new(), Container::Item(None)),
            Tag::Table(align) => Frame::Table {
                align: align.iter().map(|a| convert_align(*a)).collect(),
                header: Vec::new(),
                rows: Vec::new(),
                in_head: false,
            },
            Tag::TableHead => {
                if let Some(Frame::Table { in_head, .. }) = self.stack.last_mut() {
                    *in_head = true;
                }
                return;
            }
            Tag::TableRow => {
                if let Some(Frame::Table { rows, .. }) = self.stack.last_mut() {
                    rows.push(Vec::new());
                }
                return;
            }
            Tag::TableCell => Frame::Inlines(Vec::new(), Span::Cell),
            Tag::Emphasis => Frame::Inlines(Vec::new(), Span::Emphasis),
            Tag::Strong => Frame::Inlines(Vec::new(), Span::Strong),
            Tag::Strikethrough => Frame::Inlines(Vec::new(), Span::Strike),
            Tag::Link { dest_url, .. } => {
                Frame::Inlines(Vec::new(), Span::Link(dest_url.into_string()))
            }
            Tag::Image {
                dest_url, title, ..
            } => Frame::Inlines(
                Vec::new(),
                Span::Image(
                    dest_url.into_string(),
                    Some(title.into_string()).filter(|t| !t.is_empty()),
                ),
            ),
            // Unsupported containers keep their text through the frames
            // around them.
            Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_)
            | Tag::Superscript
            | Tag::Subscript => return,
        };
        self.stack.push(frame);
    }

    fn end(&mut self, end: TagEnd) {
        match end {
            TagEnd::TableHead => {
                if let Some(Frame::Table { in_head, .. }) = self.stack.last_mut() {
                    *in_head = false;
                }
                return;
            }
            TagEnd::TableRow
            | TagEnd::HtmlBlock
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_)
            | TagEnd::Superscript
            | TagEnd::Subscript => return,
            TagEnd::Item | TagEnd::BlockQuote(_) => self.close_implicit(),
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::CodeBlock
            | TagEnd::List(_)
            | TagEnd::Table
            | TagEnd::TableCell
            | TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image => {}
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame {
            Frame::Inlines(content, span) => self.close_span(content, span),
            Frame::Blocks(blocks, Container::Quote) => self.block(Block::Quote(blocks)),
            Frame::Blocks(blocks, Container::Item(checked)) => {
                if let Some(Frame::List { items, .. }) = self.stack.last_mut() {
                    items.push(ListItem { checked, blocks });
                }
            }
            Frame::List {
                ordered,
                start,
                items,
            } => self.block(Block::List {
                ordered,
                start,
                items,
            }),
            Frame::Table {
                align,
                header,
                rows,
                ..
            } => self.block(Block::Table {
                align,
                header,
                rows: rows.into_iter().filter(|r| !r.is_empty()).collect(),
            }),
            Frame::Code(lang, text) => self.block(Block::Code { lang, text }),
        }
    }

    fn close_implicit(&mut self) {
        if matches!(self.stack.last(), Some(Frame::Inlines(_, Span::Implicit)))
            && let Some(Frame::Inlines(content, _)) = self.stack.pop()
        {
            self.close_span(content, Span::Paragraph);
        }
    }

    fn close_span(&mut self, content: Vec<Inline>, span: Span) {
        match span {
            Span::Paragraph | Span::Implicit => {
                if let [Inline::Image { src, alt, title }] = content.as_slice() {
                    self.block(Block::Image {
                        src: src.clone(),
                        alt: alt.clone(),
                        title: title.clone(),
                    });
                } else if Inline::plain(&content).trim() == "\\newpage" {
                    self.block(Block::PageBreak);
                } else if !content.is_empty() {
                    self.block(Block::Paragraph(content));
                }
            }
            Span::Heading(level) => self.block(Block::Heading { level, content }),
            Span::Cell => {
                if let Some(Frame::Table {
                    header,
                    rows,
                    in_head,
                    ..
                }) = self.stack.last_mut()
                {
                    if *in_head {
                        header.push(content);
                    } else if let Some(row) = rows.last_mut() {
                        row.push(content);
                    }
                }
            }
            Span::Strong => self.inline(Inline::Strong(content)),
            Span::Emphasis => self.inline(Inline::Emphasis(content)),
            Span::Strike => self.inline(Inline::Strike(content)),
            Span::Link(url) => self.inline(Inline::Link { url, content }),
            Span::Image(src, title) => {
                let alt = Inline::plain(&content);
                self.inline(Inline::Image { src, alt, title });
            }
        }
    }

    fn inline(&mut self, inline: Inline) {
        match self.stack.last_mut() {
            Some(Frame::Inlines(content, _)) => content.push(inline),
            _ => self
                .stack
                .push(Frame::Inlines(vec![inline], Span::Implicit)),
        }
    }

    fn block(&mut self, block: Block) {
        match self.stack.last_mut() {
            Some(Frame::Blocks(blocks, _)) => blocks.push(block),
            // Blocks cannot sit in these; pulldown-cmark never nests them so.
            Some(
                Frame::Inlines(..) | Frame::List { .. } | Frame::Table { .. } | Frame::Code(..),
            ) => {}
            None => self.top.push(block),
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.close_implicit();
        self.top
    }
}

fn heading(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn convert_align(align: Alignment) -> Align {
    match align {
        Alignment::None => Align::None,
        Alignment::Left => Align::Left,
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
    }
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
