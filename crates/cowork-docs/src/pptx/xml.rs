//! Small builders for DrawingML text: escaping, runs with inline Markdown,
//! paragraphs.

use std::fmt::Write as _;

use crate::markdown::{Block, Inline, Markdown};

/// The XML declaration every part starts with.
pub(crate) const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// The namespaces of PresentationML parts.
pub(crate) const NS: &str = "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"";

/// EMU per inch.
pub(crate) const INCH: i64 = 914_400;
/// EMU per point.
pub(crate) const PT: i64 = 12_700;

/// Appends `text` escaped for XML text or attribute values, dropping the
/// control characters XML 1.0 forbids.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// `text` escaped for XML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Character properties set on every run of a text box (placeholders leave
/// them to the layout).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunProps<'a> {
    /// Hundredths of a point.
    pub size: Option<u32>,
    /// `RRGGBB`.
    pub color: Option<&'a str>,
    pub bold: bool,
    pub italic: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    bold: bool,
    italic: bool,
    strike: bool,
    code: bool,
}

/// Appends the runs of `text`, reading `**bold**`, `*italic*`, `~~struck~~`
/// and `` `code` `` when the text uses them; newlines become line breaks.
pub(crate) fn runs(out: &mut String, text: &str, props: RunProps<'_>) {
    let marked = text.contains(['*', '_', '`', '~', '[']);
    if marked {
        let parsed = Markdown::parse(text);
        if let [Block::Paragraph(inlines)] = parsed.blocks.as_slice() {
            inline_runs(out, inlines, props, Marks::default());
            return;
        }
    }
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            line_break(out, props);
        }
        run(out, line.trim_end_matches('\r'), props, Marks::default());
    }
}

fn inline_runs(out: &mut String, inlines: &[Inline], props: RunProps<'_>, marks: Marks) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => run(out, text, props, marks),
            Inline::Code(text) => run(
                out,
                text,
                props,
                Marks {
                    code: true,
                    ..marks
                },
            ),
            Inline::Strong(inner) => inline_runs(
                out,
                inner,
                props,
                Marks {
                    bold: true,
                    ..marks
                },
            ),
            Inline::Emphasis(inner) => {
                inline_runs(
                    out,
                    inner,
                    props,
                    Marks {
                        italic: true,
                        ..marks
                    },
                );
            }
            Inline::Strike(inner) => {
                inline_runs(
                    out,
                    inner,
                    props,
                    Marks {
                        strike: true,
                        ..marks
                    },
                );
            }
            Inline::Link { content, .. } => inline_runs(out, content, props, marks),
            Inline::Image { alt, .. } => run(out, alt, props, marks),
            Inline::LineBreak => line_break(out, props),
        }
    }
}

fn run_props(out: &mut String, tag: &str, props: RunProps<'_>, marks: Marks) {
    out.push_str("<a:");
    out.push_str(tag);
    out.push_str(" lang=\"en-US\"");
    if let Some(size) = props.size {
        let _ = write!(out, " sz=\"{size}\"");
    }
    if props.bold || marks.bold {
        out.push_str(" b=\"1\"");
    }
    if props.italic || marks.italic {
        out.push_str(" i=\"1\"");
    }
    if marks.strike {
        out.push_str(" strike=\"sngStrike\"");
    }
    out.push_str(" dirty=\"0\"");
    if props.color.is_none() && !marks.code {
        out.push_str("/>");
        return;
    }
    out.push('>');
    if let Some(color) = props.color {
        let _ = write!(
            out,
            "<a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill>"
        );
    }
    if marks.code {
        out.push_str("<a:latin typeface=\"Consolas\"/><a:cs typeface=\"Consolas\"/>");
    }
    out.push_str("</a:");
    out.push_str(tag);
    out.push('>');
}

fn run(out: &mut String, text: &str, props: RunProps<'_>, marks: Marks) {
    if text.is_empty() {
        return;
    }
    out.push_str("<a:r>");
    run_props(out, "rPr", props, marks);
    out.push_str("<a:t>");
    escape_into(out, text);
    out.push_str("</a:t></a:r>");
}

fn line_break(out: &mut String, props: RunProps<'_>) {
    out.push_str("<a:br>");
    run_props(out, "rPr", props, Marks::default());
    out.push_str("</a:br>");
}

/// Appends one paragraph: `ppr` is the `<a:pPr .../>` element (or empty).
pub(crate) fn paragraph(out: &mut String, ppr: &str, text: &str, props: RunProps<'_>) {
    out.push_str("<a:p>");
    out.push_str(ppr);
    runs(out, text, props);
    // An end mark keeps an empty paragraph's size, as PowerPoint writes it.
    run_props(out, "endParaRPr", props, Marks::default());
    out.push_str("</a:p>");
}

/// Paragraphs of plain text: blank lines separate paragraphs.
pub(crate) fn text_paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}
