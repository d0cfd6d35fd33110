//! DOCX → Markdown: headings (by style or outline level), paragraphs with
//! bold and italic, bulleted and numbered lists nested by level, tables as
//! pipe tables, hyperlinks, code and quotes. Field instructions are
//! skipped; their results (page numbers, tables of contents) are kept.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};

use super::ooxml::{self, OLE_MAGIC, Package, attr, contains_utf16, parse_rels, reader};
use super::{ReadOptions, bounds};
use crate::error::DocsError;

const FORMAT: &str = "DOCX";

pub(crate) fn read(bytes: &[u8], options: &ReadOptions) -> Result<String, DocsError> {
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(ole_error(bytes));
    }
    let mut package = Package::open(bytes, FORMAT, bounds::PACKAGE)?;
    // A package whose root relationships cannot be parsed still has its
    // document at the usual place.
    let main = package
        .part("_rels/.rels")?
        .and_then(|rels| parse_rels(FORMAT, "", &rels).ok())
        .and_then(|rels| {
            rels.into_values()
                .find(|(kind, _)| kind.ends_with("/officeDocument"))
                .map(|(_, target)| target)
        })
        .unwrap_or_else(|| "word/document.xml".to_owned());
    let document = package.part(&main)?.ok_or_else(|| {
        DocsError::corrupt(
            FORMAT,
            format!("the package has no `{main}`; it is not a Word document"),
        )
    })?;
    let dir = main.rsplit_once('/').map_or("", |(dir, _)| dir);
    let links = package.rels(&main)?;
    let styles = match package.part(format!("{dir}/styles.xml").trim_start_matches('/'))? {
        Some(xml) => Styles::parse(&xml)?,
        None => Styles::default(),
    };
    let numbering = match package.part(format!("{dir}/numbering.xml").trim_start_matches('/'))? {
        Some(xml) => Numbering::parse(&xml)?,
        None => Numbering::default(),
    };
    let mut converter = Converter {
        styles: &styles,
        numbering: &numbering,
        links: &links,
        out: String::new(),
        last: Last::Nothing,
        counters: HashMap::new(),
        code: None,
    };
    converter.document(&document)?;
    Ok(cap(converter.finish(), options.max_chars))
}

/// An OLE compound file: an encrypted OOXML package, or a Word 97–2003
/// `.doc` with a `.docx` name.
fn ole_error(bytes: &[u8]) -> DocsError {
    if contains_utf16(bytes, "EncryptedPackage") {
        DocsError::Encrypted { format: FORMAT }
    } else {
        DocsError::Unsupported {
            what: "doc".to_owned(),
            hint: "this is a legacy Word 97–2003 .doc file, not a .docx; save it as .docx (Word, or `soffice --convert-to docx`) and read that".to_owned(),
        }
    }
}

fn xml_error(e: impl std::fmt::Display) -> DocsError {
    ooxml::xml_error(FORMAT, e)
}

/// Styles, lists or list levels a document may define: each is kept as a
/// map entry many times the size of its XML; real documents have hundreds.
const MAX_DEFINITIONS: usize = 100_000;

fn too_many_definitions(part: &str, what: &str) -> DocsError {
    DocsError::TooLarge {
        format: FORMAT,
        part: format!("part `{part}`"),
        declared: format!("defines more than {MAX_DEFINITIONS} {what}"),
        limit: format!("{MAX_DEFINITIONS} {what}"),
        hint: "the file is damaged or hostile; save a copy from Word and read that",
    }
}

/// Whether an on/off property (`<w:b/>`, `<w:b w:val="0"/>`) is on.
fn on(e: &BytesStart<'_>) -> bool {
    !matches!(
        attr(e, "val").as_deref(),
        Some("0" | "false" | "off" | "none")
    )
}

/// What a paragraph style means for Markdown.
#[derive(Debug, Clone, Default)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    num: Option<(String, u8)>,
}

#[derive(Debug, Default)]
struct Styles(HashMap<String, Style>);

impl Styles {
    fn parse(xml: &str) -> Result<Self, DocsError> {
        let mut reader = reader(xml);
        let mut styles = HashMap::new();
        let mut current: Option<(String, Style)> = None;
        loop {
            match reader.read_event().map_err(xml_error)? {
                Event::Start(e) => match e.local_name().as_ref() {
                    "style" => {
                        if styles.len() >= MAX_DEFINITIONS {
                            return Err(too_many_definitions("styles.xml", "styles"));
                        }
                        current = attr(&e, "styleId").map(|id| (id, Style::default()));
                    }
                    "name" => {
                        if let (Some((_, s)), Some(v)) = (current.as_mut(), attr(&e, "val")) {
                            s.name = v.to_lowercase();
                        }
                    }
                    "basedOn" => {
                        if let Some((_, s)) = current.as_mut() {
                            s.based_on = attr(&e, "val");
                        }
                    }
                    "outlineLvl" => {
                        if let Some((_, s)) = current.as_mut() {
                            s.outline = attr(&e, "val").and_then(|v| v.parse().ok());
                        }
                    }
                    "numId" => {
                        if let (Some((_, s)), Some(v)) = (current.as_mut(), attr(&e, "val")) {
                            let ilvl = s.num.as_ref().map_or(0, |n| n.1);
                            s.num = Some((v, ilvl));
                        }
                    }
                    "ilvl" => {
                        if let Some((_, s)) = current.as_mut() {
                            let ilvl = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(0);
                            let id = s.num.take().map(|n| n.0).unwrap_or_default();
                            s.num = Some((id, ilvl));
                        }
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == "style" => {
                    if let Some((id, style)) = current.take() {
                        styles.insert(id, style);
                    }
                }
                Event::Eof => return Ok(Self(styles)),
                _ => {}
            }
        }
    }

    /// `id` and the styles it is based on, nearest first (cycles cut).
    fn chain(&self, id: &str) -> impl Iterator<Item = (&str, &Style)> {
        let mut next = Some(id.to_owned());
        std::iter::from_fn(move || {
            let id = next.take()?;
            let (key, style) = self.0.get_key_value(&id)?;
            next = style.based_on.clone();
            Some((key.as_str(), style))
        })
        .take(12)
    }

    /// The heading level (1–6) of a paragraph style; 0 for Title. A style
    /// the styles part does not define is judged by its id (`Heading2`).
    fn heading(&self, id: &str) -> Option<u8> {
        let mut names: Vec<(String, Option<u8>)> = self
            .chain(id)
            .map(|(key, style)| {
                let name = if style.name.is_empty() {
                    key.to_lowercase()
                } else {
                    style.name.clone()
                };
                (name, style.outline)
            })
            .collect();
        if names.is_empty() && !id.is_empty() {
            names.push((id.to_lowercase(), None));
        }
        for (name, outline) in names {
            if name == "title" {
                return Some(0);
            }
            let digits = name
                .strip_prefix("heading")
                .map(str::trim)
                .and_then(|n| n.parse::<u8>().ok());
            if let Some(level) = digits.or(outline.filter(|o| *o < 9).map(|o| o + 1)) {
                return Some(level.clamp(1, 6));
            }
        }
        None
    }

    fn num(&self, id: &str) -> Option<(String, u8)> {
        self.chain(id).find_map(|(_, s)| s.num.clone())
    }

    fn name(&self, id: &str) -> String {
        self.0
            .get(id)
            .map_or_else(|| id.to_lowercase(), |s| s.name.clone())
    }
}

/// List definitions: whether a level is numbered, and where it starts.
#[derive(Debug, Default)]
struct Numbering {
    /// numId → abstractNumId, with per-level start overrides.
    nums: HashMap<String, (String, HashMap<u8, u64>)>,
    /// (abstractNumId, ilvl) → (numFmt, start).
    levels: HashMap<(String, u8), (String, u64)>,
}

impl Numbering {
    fn parse(xml: &str) -> Result<Self, DocsError> {
        let mut reader = reader(xml);
        let mut n = Numbering::default();
        let mut abstract_id: Option<String> = None;
        let mut num_id: Option<String> = None;
        let mut ilvl: u8 = 0;
        loop {
            match reader.read_event().map_err(xml_error)? {
                Event::Start(e) => match e.local_name().as_ref() {
                    "abstractNum" => abstract_id = attr(&e, "abstractNumId"),
                    "num" => {
                        if n.nums.len() >= MAX_DEFINITIONS {
                            return Err(too_many_definitions("numbering.xml", "lists"));
                        }
                        num_id = attr(&e, "numId");
                        if let Some(id) = num_id.clone() {
                            n.nums.insert(id, (String::new(), HashMap::new()));
                        }
                    }
                    "abstractNumId" => {
                        if let (Some(id), Some(v)) = (&num_id, attr(&e, "val"))
                            && let Some(entry) = n.nums.get_mut(id)
                        {
                            entry.0 = v;
                        }
                    }
                    "lvl" | "lvlOverride" => {
                        ilvl = attr(&e, "ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                    }
                    "numFmt" | "start" if num_id.is_none() => {
                        if let Some(id) = &abstract_id {
                            if n.levels.len() >= MAX_DEFINITIONS {
                                return Err(too_many_definitions("numbering.xml", "list levels"));
                            }
                            let entry = n
                                .levels
                                .entry((id.clone(), ilvl))
                                .or_insert_with(|| ("decimal".to_owned(), 1));
                            let value = attr(&e, "val").unwrap_or_default();
                            if e.local_name().as_ref() == "numFmt" {
                                entry.0 = value;
                            } else {
                                entry.1 = value.parse().unwrap_or(1);
                            }
                        }
                    }
                    "startOverride" => {
                        if let (Some(id), Some(v)) = (&num_id, attr(&e, "val"))
                            && let Some(entry) = n.nums.get_mut(id)
                        {
                            entry.1.insert(ilvl, v.parse().unwrap_or(1));
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "abstractNum" => abstract_id = None,
                    "num" => num_id = None,
                    _ => {}
                },
                Event::Eof => return Ok(n),
                _ => {}
            }
        }
    }

    /// Whether list `num_id` at `ilvl` is numbered, and its first number.
    /// `None` when the paragraph is not really in a list (numId 0).
    fn level(&self, num_id: &str, ilvl: u8) -> Option<(bool, u64)> {
        if num_id == "0" {
            return None;
        }
        let Some((abstract_id, overrides)) = self.nums.get(num_id) else {
            return Some((false, 1));
        };
        let (format, start) = self
            .levels
            .get(&(abstract_id.clone(), ilvl))
            .map_or(("bullet", 1), |(f, s)| (f.as_str(), *s));
        let start = overrides.get(&ilvl).copied().unwrap_or(start);
        Some((!matches!(format, "bullet" | "none"), start))
    }
}

#[path = "docx_convert.rs"]
mod convert;

use convert::{Converter, Last, cap};

#[cfg(test)]
#[path = "docx_tests.rs"]
mod tests;
