//! The shapes of a slide or notes page, in document order (PowerPoint's
//! reading order), with their text.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::{attr, reader, xml_error};
use crate::error::DocsError;

/// One paragraph of a shape's text.
#[derive(Debug, Default)]
pub(super) struct Para {
    level: usize,
    /// Set when the paragraph says it has (or has not) a bullet.
    bullet: Option<bool>,
    text: String,
}

/// A shape with its text.
#[derive(Debug, Default)]
pub(super) struct Shape {
    /// The placeholder type (`title`, `body`, `obj` for a typeless one ...),
    /// or `None` for an ordinary shape.
    pub placeholder: Option<String>,
    paragraphs: Vec<Para>,
    table: Option<Vec<Vec<String>>>,
    /// A picture's description (alt text).
    picture: Option<String>,
}

impl Shape {
    pub(super) fn is_title(&self) -> bool {
        matches!(self.placeholder.as_deref(), Some("title" | "ctrTitle"))
    }

    /// Slide numbers, dates, footers: furniture, not content.
    pub(super) fn is_chrome(&self) -> bool {
        matches!(
            self.placeholder.as_deref(),
            Some("sldNum" | "dt" | "ftr" | "hdr" | "sldImg")
        )
    }

    /// The paragraphs' text joined by `separator`.
    pub(super) fn plain_text(&self, separator: &str) -> String {
        self.paragraphs
            .iter()
            .map(|p| p.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// The shape as Markdown: bullets indented by level, tables as pipe
    /// tables, pictures by description.
    pub(super) fn markdown(&self) -> String {
        if let Some(rows) = &self.table {
            return pipe_table(rows);
        }
        if let Some(descr) = &self.picture {
            let descr = descr.trim();
            return if descr.is_empty() {
                "[Picture]".to_owned()
            } else {
                format!("[Picture: {descr}]")
            };
        }
        // Body placeholders have bullets unless a paragraph turns them off;
        // other shapes have none unless a paragraph turns them on.
        let bulleted = matches!(self.placeholder.as_deref(), Some("body" | "obj"));
        let mut out = String::new();
        let mut last_plain = true;
        for para in &self.paragraphs {
            let text = para.text.trim();
            if text.is_empty() {
                continue;
            }
            let bullet = para.bullet.unwrap_or(bulleted);
            if !out.is_empty() {
                out.push_str(if bullet && !last_plain { "\n" } else { "\n\n" });
            }
            if bullet {
                out.push_str(&"  ".repeat(para.level));
                out.push_str("- ");
                out.push_str(&text.replace('\n', " "));
            } else {
                out.push_str(text);
            }
            last_plain = !bullet;
        }
        out
    }
}

fn pipe_table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    if columns == 0 {
        return String::new();
    }
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        out.push('|');
        for c in 0..columns {
            out.push(' ');
            out.push_str(&cell(row.get(c).map_or("", String::as_str)));
            out.push_str(" |");
        }
        out.push('\n');
        if r == 0 {
            out.push('|');
            out.push_str(&" --- |".repeat(columns));
            out.push('\n');
        }
    }
    out.trim_end().to_owned()
}

/// Shapes, paragraphs, table rows and cells one slide may hold: each is a
/// few dozen bytes kept from a few bytes of XML (`<p:sp/>`), so a part is
/// refused past this rather than held at ten times its size.
const MAX_ITEMS: usize = 1_000_000;

/// The shapes of a slide (or notes page) XML part.
pub(super) fn shapes(xml: &str) -> Result<Vec<Shape>, DocsError> {
    let mut reader = reader(xml);
    let mut out = Vec::new();
    let mut items = 0usize;
    let mut current: Option<(String, Shape)> = None;
    let mut para: Option<Para> = None;
    let mut in_ppr = false;
    let mut in_t = false;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) => {
                let name = e.local_name();
                let name: &str = name.as_ref();
                if matches!(
                    name,
                    "sp" | "pic" | "graphicFrame" | "cxnSp" | "p" | "tr" | "tc"
                ) {
                    items += 1;
                    if items > MAX_ITEMS {
                        return Err(DocsError::TooLarge {
                            format: "PPTX",
                            part: "a slide".to_owned(),
                            declared: format!(
                                "holds more than {MAX_ITEMS} shapes, paragraphs and table cells"
                            ),
                            limit: format!("{MAX_ITEMS} per slide"),
                            hint: "split the slide, or save the deck again from PowerPoint",
                        });
                    }
                }
                match name {
                    "sp" | "pic" | "graphicFrame" | "cxnSp" if current.is_none() => {
                        let shape = Shape {
                            picture: (name == "pic").then(String::new),
                            ..Shape::default()
                        };
                        current = Some((name.to_owned(), shape));
                    }
                    _ => {}
                }
                let Some((_, shape)) = current.as_mut() else {
                    continue;
                };
                match name {
                    "ph" => {
                        shape.placeholder =
                            Some(attr(&e, "type").unwrap_or_else(|| "obj".to_owned()));
                    }
                    "cNvPr" => {
                        if let Some(picture) = shape.picture.as_mut() {
                            *picture = attr(&e, "descr").unwrap_or_default();
                        }
                    }
                    "tbl" => shape.table = Some(Vec::new()),
                    "tr" => {
                        if let Some(table) = shape.table.as_mut() {
                            table.push(Vec::new());
                        }
                    }
                    "tc" => {
                        if let Some(row) = shape.table.as_mut().and_then(|t| t.last_mut()) {
                            row.push(String::new());
                        }
                    }
                    "p" => para = Some(Para::default()),
                    "pPr" => {
                        in_ppr = true;
                        if let Some(p) = para.as_mut() {
                            p.level = attr(&e, "lvl")
                                .and_then(|l| l.parse::<usize>().ok())
                                .unwrap_or(0)
                                .min(8);
                        }
                    }
                    "buNone" if in_ppr => set_bullet(&mut para, false),
                    "buChar" | "buAutoNum" | "buBlip" if in_ppr => set_bullet(&mut para, true),
                    "t" => in_t = true,
                    "br" => {
                        if let Some(p) = para.as_mut() {
                            p.text.push('\n');
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                let name: &str = name.as_ref();
                match name {
                    "t" => in_t = false,
                    "pPr" => in_ppr = false,
                    "p" => {
                        let (Some(p), Some((_, shape))) = (para.take(), current.as_mut()) else {
                            continue;
                        };
                        match shape
                            .table
                            .as_mut()
                            .and_then(|t| t.last_mut())
                            .and_then(|r| r.last_mut())
                        {
                            Some(cell) => {
                                let text = p.text.trim();
                                if !text.is_empty() {
                                    if !cell.is_empty() {
                                        cell.push(' ');
                                    }
                                    cell.push_str(text);
                                }
                            }
                            None => shape.paragraphs.push(p),
                        }
                    }
                    _ => {
                        if current.as_ref().is_some_and(|(open, _)| open == name)
                            && let Some((_, shape)) = current.take()
                        {
                            out.push(shape);
                        }
                    }
                }
            }
            Event::Text(t) if in_t => push_text(&mut para, &t),
            Event::CData(t) if in_t => push_text(&mut para, &t),
            Event::GeneralRef(r) if in_t => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => resolve_predefined_entity(&r).unwrap_or_default().to_owned(),
                };
                push_text(&mut para, &resolved);
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

fn set_bullet(para: &mut Option<Para>, on: bool) {
    if let Some(p) = para.as_mut() {
        p.bullet = Some(on);
    }
}

fn push_text(para: &mut Option<Para>, text: &str) {
    if let Some(p) = para.as_mut() {
        p.text.push_str(text);
    }
}
