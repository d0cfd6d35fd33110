//! A deck from Markdown notes: slides separated by `---` lines.

use super::spec::{Bullet, BulletItem, Column, Layout, PresentationSpec, Slide, Table, Theme};
use crate::error::DocsError;
use crate::markdown::{Block, Inline, ListItem, Markdown};

/// Builds a presentation spec from Markdown.
///
/// - Slides are separated by lines holding only `---` or `\newpage`, and
///   every `#` or `##` heading starts a new slide.
/// - `# Title` on the first slide makes a title slide (the paragraph under
///   it is the subtitle); later, a section slide.
/// - `## Heading` is a slide's title; `-` lists become bullets, nested by
///   indentation; plain paragraphs become bullets too.
/// - Two `### Heading`s make a two-column slide, one column under each.
/// - An image `![caption](figures/x.png)` makes an image slide; a pipe
///   table makes a table slide.
/// - A paragraph starting `Notes:` and everything after it are the
///   speaker notes.
pub fn spec_from_markdown(text: &str) -> Result<PresentationSpec, DocsError> {
    let mut slides = Vec::new();
    for (i, chunk) in split_slides(text).iter().enumerate() {
        if let Some(slide) = slide_from(chunk, i == 0 && slides.is_empty())
            .map_err(|message| DocsError::invalid(format!("markdown, slide {}", i + 1), message))?
        {
            slides.push(slide);
        }
    }
    if slides.is_empty() {
        return Err(DocsError::invalid(
            "markdown",
            "no slides found; start with `# Deck title`, then `---` and `## Slide title` with `-` bullets",
        ));
    }
    let title = slides
        .first()
        .filter(|s| s.layout == Layout::Title)
        .and_then(|s| s.title.clone());
    Ok(PresentationSpec {
        title,
        author: None,
        theme: Theme::default(),
        slides,
    })
}

/// The text of each slide: split at `---` and `\newpage` lines, and
/// before every `#` and `##` heading (a heading always starts a slide), all
/// outside code fences.
fn split_slides(text: &str) -> Vec<String> {
    split_at(text, |trimmed| match trimmed {
        "---" | "\\newpage" => Break::Drop,
        _ if trimmed.starts_with("# ") || trimmed.starts_with("## ") => Break::Keep,
        _ => Break::No,
    })
}

/// What a line does to the slide being collected.
enum Break {
    /// Nothing: it belongs to the slide.
    No,
    /// Ends the slide and is dropped (`---`).
    Drop,
    /// Starts the next slide (a heading).
    Keep,
}

/// Splits `text` into chunks where `classify` says so, outside code
/// fences.
fn split_at(text: &str, classify: impl Fn(&str) -> Break) -> Vec<String> {
    let mut chunks = vec![String::new()];
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else {
            let split = classify(trimmed);
            if !matches!(split, Break::No) && chunks.last().is_some_and(|c| !c.trim().is_empty()) {
                chunks.push(String::new());
            }
            if matches!(split, Break::Drop) {
                continue;
            }
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    chunks
}

/// One slide, or `None` for a chunk with nothing in it.
fn slide_from(chunk: &str, first: bool) -> Result<Option<Slide>, String> {
    let blocks = Markdown::parse(chunk).blocks;
    let notes_at = blocks.iter().position(|b| match b {
        Block::Paragraph(inlines) => notes_text(inlines).is_some(),
        _ => false,
    });
    let (content, notes_blocks) = blocks.split_at(notes_at.unwrap_or(blocks.len()));
    let notes = notes_from(notes_blocks);

    let mut slide = Slide {
        notes,
        ..Slide::default()
    };
    let mut rest: Vec<&Block> = Vec::new();
    let mut columns: Vec<Column> = Vec::new();
    let mut main_level = None;
    for block in content {
        match block {
            Block::Heading { level, content } if *level <= 2 && slide.title.is_none() => {
                slide.title = Some(Inline::plain(content));
                main_level = Some(*level);
            }
            Block::Heading { level: 3, content } => columns.push(Column {
                heading: Some(Inline::plain(content)),
                ..Column::default()
            }),
            other => match columns.last_mut() {
                Some(column) => add_to_column(column, other),
                None => rest.push(other),
            },
        }
    }
    let image = rest.iter().find_map(|b| match b {
        Block::Image { src, alt, title } => Some((src, alt, title)),
        _ => None,
    });
    let table = rest.iter().find_map(|b| match b {
        Block::Table { header, rows, .. } => Some((header, rows)),
        _ => None,
    });

    if main_level == Some(1) {
        slide.layout = if first {
            Layout::Title
        } else {
            Layout::Section
        };
        let subtitle = rest
            .iter()
            .filter_map(|b| paragraph_text(b))
            .collect::<Vec<_>>();
        slide.subtitle = (!subtitle.is_empty()).then(|| subtitle.join("\n"));
    } else if columns.len() >= 2 {
        if columns.len() > 2 {
            return Err(format!(
                "{} `###` column headings; a slide has two columns at most",
                columns.len()
            ));
        }
        slide.layout = Layout::TwoColumn;
        let mut columns = columns.into_iter();
        slide.left = columns.next();
        slide.right = columns.next();
    } else if let Some((src, alt, title)) = image {
        slide.layout = Layout::Image;
        slide.image = Some(src.clone());
        let caption = title.clone().unwrap_or_else(|| alt.clone());
        slide.caption = (!caption.trim().is_empty()).then_some(caption);
    } else if let Some((header, rows)) = table {
        slide.layout = Layout::Table;
        slide.table = Some(Table {
            header: header.iter().map(|c| Inline::plain(c)).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| Inline::plain(c)).collect())
                .collect(),
        });
    } else {
        let mut column = columns.pop().unwrap_or_default();
        for block in &rest {
            add_to_column(&mut column, block);
        }
        if let Some(text) = column.text.take() {
            let mut bullets: Vec<Bullet> = text
                .split("\n\n")
                .map(|p| Bullet::Text(p.to_owned()))
                .collect();
            bullets.append(&mut column.bullets);
            column.bullets = bullets;
        }
        if column.bullets.is_empty() {
            if slide.title.is_none() {
                return Ok(None);
            }
            // A heading alone is a divider.
            slide.layout = Layout::Section;
        } else {
            slide.layout = Layout::Bullets;
            slide.bullets = column.bullets;
        }
    }
    Ok(Some(slide))
}

fn notes_text(inlines: &[Inline]) -> Option<String> {
    let text = to_markdown(inlines);
    let trimmed = text.trim_start();
    let head = trimmed.get(..6)?;
    head.eq_ignore_ascii_case("notes:")
        .then(|| trimmed[6..].trim().to_owned())
}

fn notes_from(blocks: &[Block]) -> Option<String> {
    let mut paragraphs = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let text = match block {
            Block::Paragraph(inlines) if i == 0 => notes_text(inlines).unwrap_or_default(),
            Block::Paragraph(inlines) => to_markdown(inlines),
            Block::List { items, .. } => items
                .iter()
                .filter_map(|item| item.blocks.iter().find_map(paragraph_text))
                .map(|t| format!("- {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => continue,
        };
        if !text.trim().is_empty() {
            paragraphs.push(text);
        }
    }
    (!paragraphs.is_empty()).then(|| paragraphs.join("\n\n"))
}

fn paragraph_text(block: &Block) -> Option<String> {
    match block {
        Block::Paragraph(inlines) => Some(to_markdown(inlines)),
        _ => None,
    }
}

fn add_to_column(column: &mut Column, block: &Block) {
    match block {
        Block::Paragraph(inlines) => {
            let text = to_markdown(inlines);
            column.text = Some(match column.text.take() {
                Some(before) => format!("{before}\n\n{text}"),
                None => text,
            });
        }
        Block::List { items, .. } => bullets_from(items, 0, &mut column.bullets),
        Block::Quote(inner) => {
            for block in inner {
                add_to_column(column, block);
            }
        }
        Block::Code { text, .. } => {
            column
                .bullets
                .push(Bullet::Text(format!("`{}`", text.trim_end())));
        }
        Block::Heading { content, .. } => column
            .bullets
            .push(Bullet::Text(format!("**{}**", Inline::plain(content)))),
        Block::Table { .. } | Block::Image { .. } | Block::PageBreak | Block::Rule => {}
    }
}

/// List items as bullets, depth first, deeper lists one level down.
fn bullets_from(items: &[ListItem], level: u8, out: &mut Vec<Bullet>) {
    for item in items {
        let mut seen = false;
        for block in &item.blocks {
            match block {
                Block::Paragraph(inlines) if !seen => {
                    seen = true;
                    let text = to_markdown(inlines);
                    if !text.trim().is_empty() {
                        out.push(if level == 0 {
                            Bullet::Text(text)
                        } else {
                            Bullet::Item(BulletItem { text, level })
                        });
                    }
                }
                // Deeper than the theme's levels stays at the deepest.
                Block::List { items, .. } => bullets_from(items, (level + 1).min(4), out),
                _ => {}
            }
        }
    }
}

/// Inline content back to the Markdown subset bullets understand, so
/// emphasis survives into the slide.
fn to_markdown(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(t),
            Inline::Code(t) => {
                out.push('`');
                out.push_str(t);
                out.push('`');
            }
            Inline::Strong(c) => out.push_str(&format!("**{}**", to_markdown(c))),
            Inline::Emphasis(c) => out.push_str(&format!("*{}*", to_markdown(c))),
            Inline::Strike(c) => out.push_str(&format!("~~{}~~", to_markdown(c))),
            Inline::Link { content, .. } => out.push_str(&to_markdown(content)),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::LineBreak => out.push('\n'),
        }
    }
    out
}
