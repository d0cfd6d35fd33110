//! Markdown to HTML for untrusted text (the model's answers, Markdown
//! files, documents read back as Markdown). It renders cowork-docs' block
//! model, whose parser drops raw HTML, and escapes every piece of text
//! itself: nothing from the input reaches the page as markup. Links keep
//! only `http`, `https` and `mailto` targets; images are never loaded
//! (a page must not fetch what a file names), their alt text is shown.

use std::fmt::Write as _;

use cowork_docs::markdown::{Align, Block, Inline, ListItem, Markdown};

use super::text::escape_html;

/// `source` (Markdown) as HTML safe to put in a page.
pub(crate) fn to_html(source: &str) -> String {
    blocks_to_html(&Markdown::parse(source).blocks)
}

/// Parsed blocks as HTML safe to put in a page, for callers that change
/// the blocks first (an export turns links into text).
pub(crate) fn blocks_to_html(parsed: &[Block]) -> String {
    let mut out = String::new();
    blocks(&mut out, parsed);
    out
}

fn blocks(out: &mut String, blocks_: &[Block]) {
    for block in blocks_ {
        one_block(out, block);
    }
}

fn one_block(out: &mut String, block: &Block) {
    match block {
        Block::Heading { level, content } => {
            // The page's own headings are h1 and h2; a document's start
            // below them so the outline stays right.
            let level = (*level + 2).min(6);
            let _ = write!(out, "<h{level}>");
            inlines(out, content);
            let _ = writeln!(out, "</h{level}>");
        }
        Block::Paragraph(content) => {
            out.push_str("<p>");
            inlines(out, content);
            out.push_str("</p>\n");
        }
        Block::List {
            ordered,
            start,
            items,
        } => list(out, *ordered, *start, items),
        Block::Table {
            align,
            header,
            rows,
        } => table(out, align, header, rows),
        Block::Quote(inner) => {
            out.push_str("<blockquote>\n");
            blocks(out, inner);
            out.push_str("</blockquote>\n");
        }
        Block::Code { text, .. } => {
            let _ = writeln!(out, "<pre><code>{}</code></pre>", escape_html(text));
        }
        Block::Image { alt, .. } => {
            let _ = writeln!(out, "<p class=\"md-image\">{}</p>", image_label(alt));
        }
        Block::PageBreak | Block::Rule => out.push_str("<hr>\n"),
    }
}

fn list(out: &mut String, ordered: bool, start: u64, items: &[ListItem]) {
    if ordered {
        if start == 1 {
            out.push_str("<ol>\n");
        } else {
            let _ = writeln!(out, "<ol start=\"{start}\">");
        }
    } else {
        out.push_str("<ul>\n");
    }
    for item in items {
        out.push_str("<li>");
        match item.checked {
            Some(true) => out.push_str("☑ "),
            Some(false) => out.push_str("☐ "),
            None => {}
        }
        // A tight item is one paragraph: show its text without the <p>
        // margins, as a list is usually written.
        match item.blocks.as_slice() {
            [Block::Paragraph(content)] => inlines(out, content),
            more => blocks(out, more),
        }
        out.push_str("</li>\n");
    }
    out.push_str(if ordered { "</ol>\n" } else { "</ul>\n" });
}

fn table(out: &mut String, align: &[Align], header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>]) {
    out.push_str("<div class=\"table-scroll\"><table>\n<thead><tr>");
    for (i, cell) in header.iter().enumerate() {
        let _ = write!(out, "<th{}>", align_attr(align.get(i)));
        inlines(out, cell);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>", align_attr(align.get(i)));
            inlines(out, cell);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn align_attr(align: Option<&Align>) -> &'static str {
    match align {
        Some(Align::Center) => " class=\"center\"",
        Some(Align::Right) => " class=\"right\"",
        Some(Align::Left | Align::None) | None => "",
    }
}

fn inlines(out: &mut String, content: &[Inline]) {
    for inline in content {
        match inline {
            Inline::Text(text) => out.push_str(&escape_html(text)),
            Inline::Strong(inner) => wrap(out, "strong", inner),
            Inline::Emphasis(inner) => wrap(out, "em", inner),
            Inline::Strike(inner) => wrap(out, "del", inner),
            Inline::Code(code) => {
                let _ = write!(out, "<code>{}</code>", escape_html(code));
            }
            Inline::Link { url, content } => match safe_link(url) {
                Some(url) => {
                    let _ = write!(
                        out,
                        "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">",
                        escape_html(url)
                    );
                    inlines(out, content);
                    out.push_str("</a>");
                }
                None => inlines(out, content),
            },
            Inline::Image { alt, .. } => out.push_str(&image_label(alt)),
            Inline::LineBreak => out.push_str("<br>\n"),
        }
    }
}

fn wrap(out: &mut String, tag: &str, inner: &[Inline]) {
    let _ = write!(out, "<{tag}>");
    inlines(out, inner);
    let _ = write!(out, "</{tag}>");
}

fn image_label(alt: &str) -> String {
    if alt.trim().is_empty() {
        "[image]".to_owned()
    } else {
        format!("[image: {}]", escape_html(alt))
    }
}

/// The link's target when it is one a person can safely follow: a web
/// page or a mail address. `javascript:`, `data:`, relative links (which
/// would hit this server with the person's session) and the rest are not.
fn safe_link(url: &str) -> Option<&str> {
    let url = url.trim();
    let scheme = url.split_once(':')?.0.to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" | "mailto" => Some(url),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_in_markdown_never_becomes_markup() {
        let html = to_html("hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("<p>hi"), "{html}");
    }

    #[test]
    fn text_that_looks_like_markup_is_escaped() {
        let html = to_html("a `<b>` and **\"quoted\" & <i>**");
        assert_eq!(
            html,
            "<p>a <code>&lt;b&gt;</code> and <strong>&quot;quoted&quot; &amp; </strong></p>\n"
        );
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        let html = to_html(
            "[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](data:text/html,x) [d](/api/tasks) [e](https://example.com/?q=\"x\")",
        );
        assert!(!html.to_ascii_lowercase().contains("javascript"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("href=\"/api"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.com/?q=%22x%22\"")
                || html.contains("<a href=\"https://example.com/?q=&quot;x&quot;\""),
            "{html}"
        );
    }

    #[test]
    fn images_show_their_alt_text_and_are_never_loaded() {
        let html =
            to_html("![chart of \"sales\" & costs](http://evil.example/x.png)\n\ntext ![](y.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("[image: chart of &quot;sales&quot; &amp; costs]"),
            "{html}"
        );
        assert!(html.contains("text [image]"), "{html}");
    }

    #[test]
    fn tables_lists_and_code_render_as_html() {
        let html = to_html("| a | b |\n|---|--:|\n| 1 | 2 |\n\n- x\n- [x] y\n\n```\n<code>\n```\n");
        insta::assert_snapshot!(html);
    }
}
