//! The OPC package: every part of the deck and the relationships between
//! them, zipped.

use std::fmt::Write as _;
use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::master::{self, LayoutKind};
use super::slide::{BuiltSlide, FIRST_MEDIA_RID};
use super::validate::Style;
use super::xml::{DECL, NS, escape};
use crate::error::DocsError;

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const CT: &str = "application/vnd.openxmlformats-officedocument";

/// A slide and its speaker notes, ready to zip.
pub(crate) struct Part {
    pub slide: BuiltSlide,
    pub notes: Option<String>,
}

/// Document properties.
pub(crate) struct Properties<'a> {
    pub title: Option<&'a str>,
    pub author: Option<&'a str>,
}

struct Zip {
    writer: zip::ZipWriter<Cursor<Vec<u8>>>,
}

impl Zip {
    fn add(&mut self, name: &str, bytes: &[u8], compress: bool) -> Result<(), DocsError> {
        let method = if compress {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        let options = SimpleFileOptions::default().compression_method(method);
        self.writer
            .start_file(name, options)
            .map_err(|e| DocsError::render("PPTX", e))?;
        self.writer
            .write_all(bytes)
            .map_err(|e| DocsError::render("PPTX", e))
    }

    fn xml(&mut self, name: &str, text: &str) -> Result<(), DocsError> {
        self.add(name, text.as_bytes(), true)
    }
}

/// A relationship: id, type (short names are officeDocument types), target.
type Rel = (String, String, String);

fn rel(id: impl ToString, kind: &str, target: impl ToString) -> Rel {
    let kind = if kind.starts_with("http") {
        kind.to_owned()
    } else {
        format!("{REL}/{kind}")
    };
    (id.to_string(), kind, target.to_string())
}

fn rels(entries: &[Rel]) -> String {
    let mut out = format!(
        "{DECL}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    );
    for (id, kind, target) in entries {
        let _ = write!(
            out,
            "<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{target}\"/>"
        );
    }
    out.push_str("</Relationships>");
    out
}

/// Zips the deck.
pub(crate) fn write(
    parts: Vec<Part>,
    style: &Style,
    props: &Properties<'_>,
) -> Result<Vec<u8>, DocsError> {
    let mut zip = Zip {
        writer: zip::ZipWriter::new(Cursor::new(Vec::with_capacity(64 * 1024))),
    };
    let slides = parts.len();
    zip.xml("[Content_Types].xml", &content_types(&parts))?;
    zip.xml(
        "_rels/.rels",
        &rels(&[
            rel("rId1", "officeDocument", "ppt/presentation.xml"),
            rel("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                "docProps/core.xml",
            ),
            rel("rId3", "extended-properties", "docProps/app.xml"),
        ]),
    )?;
    zip.xml("docProps/core.xml", &core(props))?;
    zip.xml("docProps/app.xml", &app(slides))?;
    zip.xml("ppt/presentation.xml", &presentation(slides))?;
    let mut pres_rels = vec![
        rel("rId1", "slideMaster", "slideMasters/slideMaster1.xml"),
        rel("rId2", "notesMaster", "notesMasters/notesMaster1.xml"),
        rel("rId3", "theme", "theme/theme1.xml"),
        rel("rId4", "presProps", "presProps.xml"),
        rel("rId5", "viewProps", "viewProps.xml"),
        rel("rId6", "tableStyles", "tableStyles.xml"),
    ];
    for n in 1..=slides {
        pres_rels.push(rel(
            format!("rId{}", n + 6),
            "slide",
            format!("slides/slide{n}.xml"),
        ));
    }
    zip.xml("ppt/_rels/presentation.xml.rels", &rels(&pres_rels))?;
    zip.xml(
        "ppt/presProps.xml",
        &format!("{DECL}<p:presentationPr {NS}/>"),
    )?;
    zip.xml(
        "ppt/viewProps.xml",
        &format!(
            "{DECL}<p:viewPr {NS}><p:normalViewPr><p:restoredLeft sz=\"15620\"/><p:restoredTop sz=\"94660\"/></p:normalViewPr><p:gridSpacing cx=\"76200\" cy=\"76200\"/></p:viewPr>"
        ),
    )?;
    zip.xml(
        "ppt/tableStyles.xml",
        &format!(
            "{DECL}<a:tblStyleLst xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" def=\"{{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}}\"/>"
        ),
    )?;
    zip.xml("ppt/theme/theme1.xml", &master::theme(style, "cowork"))?;
    zip.xml(
        "ppt/theme/theme2.xml",
        &master::theme(style, "cowork notes"),
    )?;
    zip.xml("ppt/slideMasters/slideMaster1.xml", &master::slide_master())?;
    let mut master_rels: Vec<Rel> = LayoutKind::ALL
        .iter()
        .map(|k| {
            rel(
                format!("rId{}", k.number()),
                "slideLayout",
                format!("../slideLayouts/slideLayout{}.xml", k.number()),
            )
        })
        .collect();
    master_rels.push(rel("rId7", "theme", "../theme/theme1.xml"));
    zip.xml(
        "ppt/slideMasters/_rels/slideMaster1.xml.rels",
        &rels(&master_rels),
    )?;
    for kind in LayoutKind::ALL {
        let n = kind.number();
        zip.xml(
            &format!("ppt/slideLayouts/slideLayout{n}.xml"),
            &master::slide_layout(kind, style),
        )?;
        zip.xml(
            &format!("ppt/slideLayouts/_rels/slideLayout{n}.xml.rels"),
            &rels(&[rel(
                "rId1",
                "slideMaster",
                "../slideMasters/slideMaster1.xml",
            )]),
        )?;
    }
    zip.xml("ppt/notesMasters/notesMaster1.xml", &master::notes_master())?;
    zip.xml(
        "ppt/notesMasters/_rels/notesMaster1.xml.rels",
        &rels(&[rel("rId1", "theme", "../theme/theme2.xml")]),
    )?;
    let mut image_number = 0;
    for (i, part) in parts.into_iter().enumerate() {
        let n = i + 1;
        let mut slide_rels = vec![rel(
            "rId1",
            "slideLayout",
            format!(
                "../slideLayouts/slideLayout{}.xml",
                part.slide.layout.number()
            ),
        )];
        if let Some(notes) = &part.notes {
            slide_rels.push(rel(
                "rId2",
                "notesSlide",
                format!("../notesSlides/notesSlide{n}.xml"),
            ));
            zip.xml(&format!("ppt/notesSlides/notesSlide{n}.xml"), notes)?;
            zip.xml(
                &format!("ppt/notesSlides/_rels/notesSlide{n}.xml.rels"),
                &rels(&[
                    rel("rId1", "notesMaster", "../notesMasters/notesMaster1.xml"),
                    rel("rId2", "slide", format!("../slides/slide{n}.xml")),
                ]),
            )?;
        }
        for (k, media) in part.slide.media.iter().enumerate() {
            image_number += 1;
            let name = format!("image{image_number}.{}", media.ext);
            zip.add(&format!("ppt/media/{name}"), &media.bytes, false)?;
            slide_rels.push(rel(
                format!("rId{}", FIRST_MEDIA_RID + k),
                "image",
                format!("../media/{name}"),
            ));
        }
        zip.xml(&format!("ppt/slides/slide{n}.xml"), &part.slide.xml)?;
        zip.xml(
            &format!("ppt/slides/_rels/slide{n}.xml.rels"),
            &rels(&slide_rels),
        )?;
    }
    let cursor = zip
        .writer
        .finish()
        .map_err(|e| DocsError::render("PPTX", e))?;
    Ok(cursor.into_inner())
}

fn content_types(parts: &[Part]) -> String {
    let mut out = format!(
        "{DECL}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Default Extension=\"png\" ContentType=\"image/png\"/>\
<Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/>"
    );
    let mut part = |name: &str, kind: &str| {
        let _ = write!(
            out,
            "<Override PartName=\"{name}\" ContentType=\"{kind}\"/>"
        );
    };
    part(
        "/ppt/presentation.xml",
        &format!("{CT}.presentationml.presentation.main+xml"),
    );
    part(
        "/ppt/presProps.xml",
        &format!("{CT}.presentationml.presProps+xml"),
    );
    part(
        "/ppt/viewProps.xml",
        &format!("{CT}.presentationml.viewProps+xml"),
    );
    part(
        "/ppt/tableStyles.xml",
        &format!("{CT}.presentationml.tableStyles+xml"),
    );
    part("/ppt/theme/theme1.xml", &format!("{CT}.theme+xml"));
    part("/ppt/theme/theme2.xml", &format!("{CT}.theme+xml"));
    part(
        "/ppt/slideMasters/slideMaster1.xml",
        &format!("{CT}.presentationml.slideMaster+xml"),
    );
    part(
        "/ppt/notesMasters/notesMaster1.xml",
        &format!("{CT}.presentationml.notesMaster+xml"),
    );
    for kind in LayoutKind::ALL {
        part(
            &format!("/ppt/slideLayouts/slideLayout{}.xml", kind.number()),
            &format!("{CT}.presentationml.slideLayout+xml"),
        );
    }
    for (i, p) in parts.iter().enumerate() {
        let n = i + 1;
        part(
            &format!("/ppt/slides/slide{n}.xml"),
            &format!("{CT}.presentationml.slide+xml"),
        );
        if p.notes.is_some() {
            part(
                &format!("/ppt/notesSlides/notesSlide{n}.xml"),
                &format!("{CT}.presentationml.notesSlide+xml"),
            );
        }
    }
    part(
        "/docProps/core.xml",
        "application/vnd.openxmlformats-package.core-properties+xml",
    );
    part(
        "/docProps/app.xml",
        &format!("{CT}.extended-properties+xml"),
    );
    out.push_str("</Types>");
    out
}

fn presentation(slides: usize) -> String {
    let mut out = format!(
        "{DECL}<p:presentation {NS} saveSubsetFonts=\"1\"><p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst>\
<p:notesMasterIdLst><p:notesMasterId r:id=\"rId2\"/></p:notesMasterIdLst><p:sldIdLst>"
    );
    for n in 1..=slides {
        let _ = write!(out, "<p:sldId id=\"{}\" r:id=\"rId{}\"/>", 255 + n, n + 6);
    }
    out.push_str(
        "</p:sldIdLst><p:sldSz cx=\"12192000\" cy=\"6858000\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/>\
<p:defaultTextStyle><a:defPPr><a:defRPr lang=\"en-US\"/></a:defPPr></p:defaultTextStyle></p:presentation>",
    );
    out
}

fn core(props: &Properties<'_>) -> String {
    let mut out = format!(
        "{DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
    );
    if let Some(title) = props.title {
        let _ = write!(out, "<dc:title>{}</dc:title>", escape(title));
    }
    if let Some(author) = props.author {
        let _ = write!(out, "<dc:creator>{}</dc:creator>", escape(author));
    }
    out.push_str("</cp:coreProperties>");
    out
}

fn app(slides: usize) -> String {
    format!(
        "{DECL}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">\
<Application>cowork</Application><PresentationFormat>Widescreen</PresentationFormat><Slides>{slides}</Slides></Properties>"
    )
}
