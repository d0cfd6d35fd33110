//! The body of a DOCX (`word/document.xml`) into Markdown, one paragraph
//! at a time.

use std::collections::HashMap;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::{Numbering, Styles, attr, on, reader, xml_error};
use crate::error::DocsError;

/// Paragraphs (in text boxes) or tables nested deeper than this are
/// refused: each level is held open, and a table's text is copied into
/// its parent's cell, level by level.
const MAX_NESTING: usize = 64;

fn nested_too_deep(what: &str) -> DocsError {
    DocsError::TooLarge {
        format: "DOCX",
        part: "the document body".to_owned(),
        declared: format!("nests {what} more than {MAX_NESTING} deep"),
        limit: format!("{MAX_NESTING} levels"),
        hint: "the file is damaged or hostile; save a copy from Word and read that",
    }
}

/// What was written last, which decides the separator before the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Last {
    Nothing,
    Block,
    ListItem,
}

#[derive(Debug, Default)]
struct Para {
    style: Option<String>,
    num_id: Option<String>,
    ilvl: Option<u8>,
    outline: Option<u8>,
    segs: Vec<Seg>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Seg {
    text: String,
    bold: bool,
    italic: bool,
    link: Option<String>,
}

pub(super) struct Converter<'a> {
    pub styles: &'a Styles,
    pub numbering: &'a Numbering,
    /// Relationship id → (type, target), for hyperlinks.
    pub links: &'a HashMap<String, (String, String)>,
    pub out: String,
    pub last: Last,
    /// (numId, ilvl) → the last number given.
    pub counters: HashMap<(String, u8), u64>,
    /// Lines of a code block being gathered from consecutive paragraphs.
    pub code: Option<String>,
}

impl Converter<'_> {
    pub(super) fn document(&mut self, xml: &str) -> Result<(), DocsError> {
        let mut reader = reader(xml);
        let mut paras: Vec<Para> = Vec::new();
        // Tables being read: rows of cells of text.
        let mut tables: Vec<Vec<Vec<String>>> = Vec::new();
        let (mut bold, mut italic) = (false, false);
        let (mut in_ppr, mut in_rpr, mut in_t) = (false, false, false);
        let mut link: Option<String> = None;
        // Depth inside content that is not the document's text: alternate
        // renderings and deleted revisions.
        let mut skip = 0usize;
        loop {
            let event = reader.read_event().map_err(xml_error)?;
            if skip > 0 {
                match event {
                    Event::Start(_) => skip += 1,
                    Event::End(_) => skip -= 1,
                    Event::Eof => break,
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Start(e) => match e.local_name().as_ref() {
                    "Fallback" | "del" | "moveFrom" => skip = 1,
                    "p" => {
                        if paras.len() >= MAX_NESTING {
                            return Err(nested_too_deep("paragraphs"));
                        }
                        paras.push(Para::default());
                    }
                    "pPr" => in_ppr = true,
                    "rPr" => in_rpr = true,
                    "pStyle" => set(&mut paras, |p| p.style = attr(&e, "val")),
                    "numId" if in_ppr => set(&mut paras, |p| p.num_id = attr(&e, "val")),
                    "ilvl" if in_ppr => {
                        set(&mut paras, |p| {
                            p.ilvl = attr(&e, "val").and_then(|v| v.parse().ok())
                        });
                    }
                    "outlineLvl" if in_ppr => set(&mut paras, |p| {
                        p.outline = attr(&e, "val").and_then(|v| v.parse().ok());
                    }),
                    "r" => (bold, italic) = (false, false),
                    "b" if in_rpr && !in_ppr => bold = on(&e),
                    "i" if in_rpr && !in_ppr => italic = on(&e),
                    "rStyle" if !in_ppr => {
                        let style = attr(&e, "val").unwrap_or_default();
                        bold |= style.contains("Strong");
                        italic |= style.contains("Emphasis");
                    }
                    "t" => in_t = true,
                    "tab" if !in_ppr => push(&mut paras, "\t", bold, italic, &link),
                    "br" | "cr" if !in_ppr && attr(&e, "type").as_deref() != Some("page") => {
                        push(&mut paras, "\n", bold, italic, &link);
                    }
                    "hyperlink" => {
                        link = attr(&e, "id")
                            .and_then(|id| self.links.get(&id))
                            .map(|(_, target)| target.clone());
                    }
                    "tbl" => {
                        if tables.len() >= MAX_NESTING {
                            return Err(nested_too_deep("tables"));
                        }
                        tables.push(Vec::new());
                    }
                    "tr" => {
                        if let Some(table) = tables.last_mut() {
                            table.push(Vec::new());
                        }
                    }
                    "tc" => {
                        if let Some(row) = tables.last_mut().and_then(|t| t.last_mut()) {
                            row.push(String::new());
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "t" => in_t = false,
                    "pPr" => in_ppr = false,
                    "rPr" => in_rpr = false,
                    "hyperlink" => link = None,
                    "p" => {
                        let Some(para) = paras.pop() else { continue };
                        let cell = tables
                            .last_mut()
                            .and_then(|t| t.last_mut())
                            .and_then(|r| r.last_mut());
                        match cell {
                            Some(cell) if paras.is_empty() => {
                                let text = render(&para.segs, false);
                                let text = text.trim();
                                if !text.is_empty() {
                                    if !cell.is_empty() {
                                        cell.push('\n');
                                    }
                                    cell.push_str(text);
                                }
                            }
                            _ => self.paragraph(para),
                        }
                    }
                    "tbl" => {
                        let Some(rows) = tables.pop() else { continue };
                        match tables
                            .last_mut()
                            .and_then(|t| t.last_mut())
                            .and_then(|r| r.last_mut())
                        {
                            // A table in a cell: its text joins the cell's.
                            Some(cell) => {
                                for row in rows {
                                    cell.push('\n');
                                    cell.push_str(&row.join(" · "));
                                }
                            }
                            None => self.table(rows),
                        }
                    }
                    _ => {}
                },
                Event::Text(t) if in_t => push(&mut paras, &t, bold, italic, &link),
                Event::CData(t) if in_t => {
                    push(&mut paras, &t, bold, italic, &link);
                }
                Event::GeneralRef(r) if in_t => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => resolve_predefined_entity(&r).unwrap_or_default().to_owned(),
                    };
                    push(&mut paras, &resolved, bold, italic, &link);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(())
    }

    fn paragraph(&mut self, para: Para) {
        let style = para.style.as_deref().unwrap_or_default();
        let heading = match para.outline {
            Some(o) if o < 9 => Some(o + 1),
            _ => self.styles.heading(style),
        };
        let num = para.num_id.clone().map(|id| (id, para.ilvl.unwrap_or(0)));
        let num = num.or_else(|| {
            self.styles
                .num(style)
                .map(|(id, ilvl)| (id, para.ilvl.unwrap_or(ilvl)))
        });
        let name = self.styles.name(style);
        let code = name.contains("code") || name.contains("preformatted") || name == "macro";
        let text = render(&para.segs, heading.is_some() || code);
        if code {
            let block = self.code.get_or_insert_with(String::new);
            block.push_str(text.trim_end_matches('\n'));
            block.push('\n');
            return;
        }
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if let Some(level) = heading {
            let hashes = "#".repeat(usize::from(level.max(1)));
            return self.block(&format!("{hashes} {}", text.replace('\n', " ")));
        }
        let level = num.and_then(|(id, ilvl)| {
            let (ordered, start) = self.numbering.level(&id, ilvl)?;
            Some((id, ilvl.min(8), ordered, start))
        });
        if let Some((id, ilvl, ordered, start)) = level {
            self.counters
                .retain(|(other, l), _| other != &id || *l <= ilvl);
            let n = self
                .counters
                .entry((id, ilvl))
                .or_insert(start.saturating_sub(1));
            *n += 1;
            let marker = if ordered {
                format!("{n}.")
            } else {
                "-".to_owned()
            };
            return self.item(usize::from(ilvl), &marker, text);
        }
        if let Some(level) = name
            .strip_prefix("toc ")
            .and_then(|l| l.trim().parse::<usize>().ok())
        {
            // Contents entries, with the page numbers Word put after a tab.
            let entry = text.split('\t').next().unwrap_or(text).trim();
            return self.item(level.saturating_sub(1), "-", entry);
        }
        if name.contains("quote") {
            return self.block(&format!("> {}", text.replace('\n', "\n> ")));
        }
        self.block(&text.replace('\n', "  \n"))
    }

    fn separate(&mut self, next: Last) {
        if let Some(code) = self.code.take() {
            self.separate(Last::Block);
            self.out.push_str("```\n");
            self.out.push_str(&code);
            self.out.push_str("```");
            self.last = Last::Block;
        }
        match (self.last, next) {
            (Last::Nothing, _) => {}
            (Last::ListItem, Last::ListItem) => self.out.push('\n'),
            _ => self.out.push_str("\n\n"),
        }
        self.last = next;
    }

    fn block(&mut self, text: &str) {
        self.separate(Last::Block);
        self.out.push_str(text);
    }

    fn item(&mut self, depth: usize, marker: &str, text: &str) {
        self.separate(Last::ListItem);
        self.out.push_str(&"    ".repeat(depth));
        self.out.push_str(marker);
        self.out.push(' ');
        self.out.push_str(&text.replace('\n', " "));
    }

    fn table(&mut self, rows: Vec<Vec<String>>) {
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        self.separate(Last::Block);
        for (i, row) in rows.iter().enumerate() {
            self.out.push('|');
            for c in 0..columns {
                let cell = row.get(c).map_or("", String::as_str);
                self.out.push(' ');
                self.out
                    .push_str(&cell.replace('|', "\\|").replace('\n', "<br>"));
                self.out.push_str(" |");
            }
            if i == 0 {
                self.out.push_str("\n|");
                self.out.push_str(&" --- |".repeat(columns));
            }
            if i + 1 < rows.len() {
                self.out.push('\n');
            }
        }
    }

    pub(super) fn finish(mut self) -> String {
        self.separate(Last::Nothing);
        let mut out = self.out.trim_end().to_owned();
        out.push('\n');
        out
    }
}

fn set(paras: &mut [Para], f: impl FnOnce(&mut Para)) {
    if let Some(p) = paras.last_mut() {
        f(p);
    }
}

fn push(paras: &mut [Para], text: &str, bold: bool, italic: bool, link: &Option<String>) {
    let Some(para) = paras.last_mut() else {
        return;
    };
    match para.segs.last_mut() {
        Some(seg) if seg.bold == bold && seg.italic == italic && &seg.link == link => {
            seg.text.push_str(text);
        }
        _ => para.segs.push(Seg {
            text: text.to_owned(),
            bold,
            italic,
            link: link.clone(),
        }),
    }
}

/// Segments as Markdown; `plain` drops emphasis and links (headings, code).
fn render(segs: &[Seg], plain: bool) -> String {
    let mut out = String::new();
    if plain {
        for seg in segs {
            out.push_str(&seg.text);
        }
        return out;
    }
    let mut i = 0;
    while let Some(first) = segs.get(i) {
        let end = segs[i..]
            .iter()
            .position(|s| s.link != first.link)
            .map_or(segs.len(), |p| i + p);
        let mut inner = String::new();
        for seg in &segs[i..end] {
            emphasis(&mut inner, &seg.text, seg.bold, seg.italic);
        }
        match &first.link {
            Some(url) if !inner.trim().is_empty() => {
                out.push('[');
                out.push_str(&inner);
                out.push_str("](");
                out.push_str(url);
                out.push(')');
            }
            _ => out.push_str(&inner),
        }
        i = end;
    }
    out
}

/// `text` wrapped in `**`/`*`, with its outer spaces kept outside the
/// markers (`** x**` is not emphasis in Markdown).
fn emphasis(out: &mut String, text: &str, bold: bool, italic: bool) {
    let marker = match (bold, italic) {
        (true, true) => "***",
        (true, false) => "**",
        (false, true) => "*",
        (false, false) => "",
    };
    let core = text.trim();
    if marker.is_empty() || core.is_empty() {
        out.push_str(text);
        return;
    }
    let start = text.len() - text.trim_start().len();
    out.push_str(&text[..start]);
    out.push_str(marker);
    out.push_str(core);
    out.push_str(marker);
    out.push_str(&text[start + core.len()..]);
}

/// `text` cut to `max_chars` characters, with a note of what was left out.
pub(super) fn cap(text: String, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text,
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!(
                "{}\n\n[… {rest} more characters not shown: the document is longer than the {max_chars}-character limit]\n",
                &text[..cut]
            )
        }
    }
}
