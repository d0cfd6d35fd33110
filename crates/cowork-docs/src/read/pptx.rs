//! PPTX → Markdown, slide by slide: `## Slide N: Title`, then the text of
//! every shape in the slide's reading order (bullets indented by level,
//! tables as pipe tables, pictures by their description), then the
//! speaker notes.

use quick_xml::events::{BytesStart, Event};

use super::ooxml::{self, OLE_MAGIC, Package, attr, contains_utf16, reader};
use super::{ReadOptions, bounds};
use crate::error::DocsError;

const FORMAT: &str = "PPTX";

pub(crate) fn read(bytes: &[u8], options: &ReadOptions) -> Result<String, DocsError> {
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(ole_error(bytes));
    }
    let mut package = Package::open(bytes, FORMAT, bounds::PACKAGE)?;
    let main = "ppt/presentation.xml";
    let presentation = package.part(main)?.ok_or_else(|| {
        DocsError::corrupt(
            FORMAT,
            "the package has no `ppt/presentation.xml`; it is not a PowerPoint file",
        )
    })?;
    let rels = package.rels(main)?;
    let slides = slide_order(&presentation)?
        .into_iter()
        .filter_map(|id| rels.get(&id).map(|(_, target)| target.clone()))
        .collect::<Vec<_>>();
    if slides.is_empty() {
        return Ok("(this presentation has no slides)\n".to_owned());
    }

    let total = slides.len();
    let mut out = String::new();
    let mut chars = 0;
    for (i, name) in slides.iter().enumerate() {
        let number = i + 1;
        let section = slide_section(&mut package, name, number)?;
        let length = section.chars().count();
        if chars + length > options.max_chars {
            let room = options.max_chars.saturating_sub(chars);
            out.extend(section.chars().take(room));
            let rest = if number < total {
                format!(" and slides {}–{total} are not shown", number + 1)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "\n\n[Stopped at {} characters: slide {number} of {total} is cut short{rest}.]\n",
                options.max_chars
            ));
            return Ok(out);
        }
        out.push_str(&section);
        chars += length;
    }
    Ok(out.trim_end().to_owned() + "\n")
}

/// One slide as Markdown, with its notes.
fn slide_section(
    package: &mut Package<'_>,
    name: &str,
    number: usize,
) -> Result<String, DocsError> {
    let Some(xml) = package.part(name)? else {
        return Ok(format!(
            "## Slide {number}\n\n(this slide is missing from the file)\n\n"
        ));
    };
    let content = shapes(&xml)?;
    let rels = package.rels(name)?;
    let notes = match rels
        .values()
        .find(|(kind, _)| kind.ends_with("/notesSlide"))
    {
        Some((_, target)) => match package.part(target)? {
            Some(xml) => notes_text(&shapes(&xml)?),
            None => String::new(),
        },
        None => String::new(),
    };

    let title = content
        .iter()
        .find(|s| s.is_title())
        .map(|s| s.plain_text(" "))
        .filter(|t| !t.is_empty());
    let mut out = match &title {
        Some(title) => format!("## Slide {number}: {title}\n\n"),
        None => format!("## Slide {number}\n\n"),
    };
    let mut title_done = false;
    for shape in &content {
        if shape.is_title() && !title_done {
            title_done = true;
            continue;
        }
        if shape.is_chrome() {
            continue;
        }
        let text = shape.markdown();
        if !text.is_empty() {
            out.push_str(&text);
            out.push_str("\n\n");
        }
    }
    if !notes.is_empty() {
        out.push_str("Notes: ");
        out.push_str(&notes);
        out.push_str("\n\n");
    }
    Ok(out)
}

fn notes_text(shapes: &[Shape]) -> String {
    shapes
        .iter()
        .filter(|s| matches!(s.placeholder.as_deref(), Some("body")))
        .map(|s| s.plain_text("\n"))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An OLE compound file: an encrypted OOXML package, or a PowerPoint
/// 97–2003 `.ppt` with a `.pptx` name.
fn ole_error(bytes: &[u8]) -> DocsError {
    if contains_utf16(bytes, "PowerPoint Document") && !contains_utf16(bytes, "EncryptedPackage") {
        DocsError::Unsupported {
            what: "ppt".to_owned(),
            hint: "this is a legacy PowerPoint 97–2003 .ppt file, not a .pptx; save it as .pptx \
                   (PowerPoint, or `soffice --convert-to pptx`) and read that"
                .to_owned(),
        }
    } else {
        DocsError::Encrypted { format: FORMAT }
    }
}

/// The relationship ids of the slides, in presentation order.
fn slide_order(xml: &str) -> Result<Vec<String>, DocsError> {
    let mut reader = reader(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) if e.local_name().as_ref() == "sldId" => {
                if let Some(id) = relationship_id(&e) {
                    out.push(id);
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

fn xml_error(e: impl std::fmt::Display) -> DocsError {
    ooxml::xml_error(FORMAT, e)
}

/// The `r:id` of an element: the prefixed `id` attribute.
fn relationship_id(e: &BytesStart<'_>) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == "id" && a.key.prefix().is_some())
            .then(|| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| v.into_owned())
    })
}

#[path = "pptx_shapes.rs"]
mod shapes_impl;
use shapes_impl::{Shape, shapes};

#[cfg(test)]
#[path = "pptx_tests.rs"]
mod tests;
