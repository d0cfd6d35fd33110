//! PPTX → Markdown, slide by slide: `## Slide N: Title`, then the text of
//! every shape in the slide's reading order (bullets indented by level,
//! tables as pipe tables, pictures by their description), then the
//! speaker notes.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::ReadOptions;
use crate::error::DocsError;

const FORMAT: &str = "PPTX";
/// Largest part we inflate: a guard against zip bombs.
const MAX_PART: u64 = 256 * 1024 * 1024;

type Zip<'a> = ZipArchive<Cursor<&'a [u8]>>;

pub(crate) fn read(bytes: &[u8], options: &ReadOptions) -> Result<String, DocsError> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ole_error(bytes));
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocsError::corrupt(FORMAT, format!("not a PPTX (zip) package: {e}")))?;
    let main = "ppt/presentation.xml";
    let presentation = part(&mut zip, main)?.ok_or_else(|| {
        DocsError::corrupt(
            FORMAT,
            "the package has no `ppt/presentation.xml`; it is not a PowerPoint file",
        )
    })?;
    let rels = part_rels(&mut zip, main)?;
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
        let section = slide_section(&mut zip, name, number)?;
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
fn slide_section(zip: &mut Zip<'_>, name: &str, number: usize) -> Result<String, DocsError> {
    let Some(xml) = part(zip, name)? else {
        return Ok(format!(
            "## Slide {number}\n\n(this slide is missing from the file)\n\n"
        ));
    };
    let content = shapes(&xml)?;
    let rels = part_rels(zip, name)?;
    let notes = match rels
        .values()
        .find(|(kind, _)| kind.ends_with("/notesSlide"))
    {
        Some((_, target)) => match part(zip, target)? {
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
    let utf16: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let legacy: Vec<u8> = "PowerPoint Document"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    if bytes.windows(legacy.len()).any(|w| w == legacy.as_slice())
        && !bytes.windows(utf16.len()).any(|w| w == utf16.as_slice())
    {
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

fn part(zip: &mut Zip<'_>, name: &str) -> Result<Option<String>, DocsError> {
    let file = match zip.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(DocsError::corrupt(FORMAT, format!("`{name}`: {e}"))),
    };
    let mut text = String::new();
    file.take(MAX_PART)
        .read_to_string(&mut text)
        .map_err(|e| DocsError::corrupt(FORMAT, format!("`{name}` cannot be read: {e}")))?;
    Ok(Some(text))
}

/// The relationships of part `name`: id → (type, target as a part name).
fn part_rels(
    zip: &mut Zip<'_>,
    name: &str,
) -> Result<HashMap<String, (String, String)>, DocsError> {
    let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
    let rels_name = if dir.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{dir}/_rels/{file}.rels")
    };
    let Some(xml) = part(zip, &rels_name)? else {
        return Ok(HashMap::new());
    };
    let mut reader = reader(&xml);
    let mut out = HashMap::new();
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                let external = attr(&e, "TargetMode").is_some_and(|m| m == "External");
                if let (Some(id), Some(kind), Some(target), false) = (
                    attr(&e, "Id"),
                    attr(&e, "Type"),
                    attr(&e, "Target"),
                    external,
                ) {
                    out.insert(id, (kind, resolve(dir, &target)));
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// A relationship target as a part name: relative to `dir`, or absolute.
fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            piece => parts.push(piece),
        }
    }
    parts.join("/")
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
    DocsError::corrupt(FORMAT, format!("broken XML: {e}"))
}

/// The value of the attribute whose local name is `name`.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name)
            .then(|| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| v.into_owned())
    })
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

fn reader(xml: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    reader
}

#[path = "pptx_shapes.rs"]
mod shapes_impl;
use shapes_impl::{Shape, shapes};

#[cfg(test)]
#[path = "pptx_tests.rs"]
mod tests;
