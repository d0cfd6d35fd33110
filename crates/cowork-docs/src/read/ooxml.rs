//! What the DOCX and PPTX readers share: the zip package, its parts read
//! through a size cap, relationships with targets resolved to part names,
//! and quick-xml helpers.

use std::collections::HashMap;
use std::io::Cursor;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::bounds::{self, ZipLimits};
use crate::error::DocsError;

/// The first bytes of an OLE compound file: an encrypted OOXML package, or
/// a legacy Office 97–2003 file.
pub(super) const OLE_MAGIC: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

/// Relationship id → (type, target). Targets of internal relationships
/// are part names (resolved against the source part's folder); external
/// ones (hyperlinks) are kept as written.
pub(super) type Rels = HashMap<String, (String, String)>;

/// An opened OOXML package.
pub(super) struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    format: &'static str,
    limits: ZipLimits,
    /// Bytes inflated so far: parts named again and again (a thousand
    /// slides sharing one part) count each time.
    inflated: u64,
}

impl<'a> Package<'a> {
    /// Opens `bytes` as the zip package of a `format` file, refusing a
    /// package whose parts declare more than `limits`.
    pub(super) fn open(
        bytes: &'a [u8],
        format: &'static str,
        limits: ZipLimits,
    ) -> Result<Self, DocsError> {
        bounds::check_package(bytes, format, limits)?;
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            DocsError::corrupt(format, format!("not a {format} (zip) package: {e}"))
        })?;
        Ok(Self {
            zip,
            format,
            limits,
            inflated: 0,
        })
    }

    /// The text of part `name`, or `None` when the package has no such part.
    pub(super) fn part(&mut self, name: &str) -> Result<Option<String>, DocsError> {
        let format = self.format;
        let file = match self.zip.by_name(name) {
            Ok(file) => file,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(DocsError::corrupt(format, format!("`{name}`: {e}"))),
        };
        let room = self.limits.total.saturating_sub(self.inflated);
        let limit = self.limits.part.min(room);
        let text = bounds::read_part(file, format, name, limit).map_err(|e| match e {
            // Over the budget of the whole read rather than the part's own.
            DocsError::TooLarge { .. } if limit < self.limits.part => DocsError::TooLarge {
                format,
                part: "the parts read".to_owned(),
                declared: format!(
                    "inflate to more than {} (`{name}` read last)",
                    bounds::bytes_text(self.limits.total)
                ),
                limit: bounds::bytes_text(self.limits.total),
                hint: "split the document into smaller files",
            },
            other => other,
        })?;
        self.inflated = self.inflated.saturating_add(text.len() as u64);
        Ok(Some(text))
    }

    /// The relationships of part `name` (`""`: of the package itself).
    pub(super) fn rels(&mut self, name: &str) -> Result<Rels, DocsError> {
        let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
        let rels_name = if dir.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{dir}/_rels/{file}.rels")
        };
        match self.part(&rels_name)? {
            Some(xml) => parse_rels(self.format, dir, &xml),
            None => Ok(HashMap::new()),
        }
    }
}

/// Relationships from a `.rels` part whose source part is in `dir`.
pub(super) fn parse_rels(format: &'static str, dir: &str, xml: &str) -> Result<Rels, DocsError> {
    let mut reader = reader(xml);
    let mut out = HashMap::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(format, e))? {
            Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(kind), Some(target)) =
                    (attr(&e, "Id"), attr(&e, "Type"), attr(&e, "Target"))
                {
                    let external = attr(&e, "TargetMode").is_some_and(|m| m == "External");
                    let target = if external {
                        target
                    } else {
                        resolve(dir, &target)
                    };
                    out.insert(id, (kind, target));
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

/// A reader that reports `<a/>` as a start and an end, so callers handle
/// one shape of element.
pub(super) fn reader(xml: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    reader
}

/// Broken XML in a `format` file.
pub(super) fn xml_error(format: &'static str, e: impl std::fmt::Display) -> DocsError {
    DocsError::corrupt(format, format!("broken XML: {e}"))
}

/// The value of the attribute whose local name is `name` (`w:val` → `val`).
pub(super) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name)
            .then(|| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| v.into_owned())
    })
}

/// Whether `bytes` hold `needle` as UTF-16LE, the way OLE compound files
/// name their streams (`EncryptedPackage`, `PowerPoint Document`).
pub(super) fn contains_utf16(bytes: &[u8], needle: &str) -> bool {
    let pattern: Vec<u8> = needle.encode_utf16().flat_map(u16::to_le_bytes).collect();
    bytes
        .windows(pattern.len())
        .any(|w| w == pattern.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deck whose thousand slides all name one part inflated it a
    /// thousand times: each read counts against the package's budget.
    #[test]
    fn parts_read_again_and_again_count_against_the_package_budget() {
        use std::io::Write as _;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("a.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&[b'x'; 100]).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let limits = ZipLimits {
            entries: 10,
            part: 100,
            total: 250,
        };
        let mut package = Package::open(&bytes, "PPTX", limits).unwrap();
        assert_eq!(package.part("a.xml").unwrap().unwrap().len(), 100);
        assert_eq!(package.part("a.xml").unwrap().unwrap().len(), 100);
        let err = package.part("a.xml").unwrap_err();
        assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("`a.xml` read last"), "{err}");
    }

    #[test]
    fn relative_targets_resolve_against_the_part_folder() {
        assert_eq!(
            resolve("ppt/slides", "../notesSlides/notesSlide1.xml"),
            "ppt/notesSlides/notesSlide1.xml"
        );
        assert_eq!(resolve("ppt", "slides/slide2.xml"), "ppt/slides/slide2.xml");
        assert_eq!(
            resolve("ppt", "/ppt/slides/slide3.xml"),
            "ppt/slides/slide3.xml"
        );
    }

    #[test]
    fn external_targets_are_kept_as_written() {
        let xml = r#"<Relationships>
            <Relationship Id="rId1" Type="t/hyperlink" Target="https://example.org/a/../b" TargetMode="External"/>
            <Relationship Id="rId2" Type="t/image" Target="../media/x.png"/>
        </Relationships>"#;
        let rels = parse_rels("DOCX", "word/sub", xml).unwrap();
        assert_eq!(rels["rId1"].1, "https://example.org/a/../b");
        assert_eq!(rels["rId2"].1, "word/media/x.png");
    }
}
