//! The document's frame around the body: title page, table of contents,
//! header and footer, section properties, and the package's bookkeeping
//! parts (content types, relationships, properties).

use std::fmt::Write as _;

use super::body::{Rel, TocEntry};
use super::image::Kind;
use super::xml::{escape, escape_into, field, run};
use crate::report::{PageSize, ReportSpec};

/// Page geometry in twips.
#[derive(Debug, Clone, Copy)]
pub(super) struct Page {
    pub width: u32,
    pub height: u32,
    pub margin: u32,
}

impl Page {
    /// A4 or Letter with one-inch margins.
    pub(super) fn new(size: PageSize) -> Self {
        let (width, height) = match size {
            PageSize::A4 => (11_906, 16_838),
            PageSize::Letter => (12_240, 15_840),
        };
        Self {
            width,
            height,
            margin: 1_440,
        }
    }

    pub(super) fn text_width(self) -> u32 {
        self.width - 2 * self.margin
    }

    pub(super) fn text_height(self) -> u32 {
        self.height - 2 * self.margin
    }
}

/// The title page: title, subtitle, author and date, ending in a page
/// break. When there is no title page but a title, the same lines open
/// the first page instead.
pub(super) fn title_block(out: &mut String, spec: &ReportSpec, own_page: bool) {
    let Some(title) = spec.title.as_deref() else {
        return;
    };
    // Set the title a third of the way down its own page.
    let before = if own_page { 3_600 } else { 0 };
    let _ = write!(
        out,
        r#"<w:p><w:pPr><w:pStyle w:val="Title"/><w:spacing w:before="{before}"/></w:pPr>"#
    );
    run(out, "", title);
    out.push_str("</w:p>");
    if let Some(subtitle) = spec.subtitle.as_deref() {
        out.push_str(r#"<w:p><w:pPr><w:pStyle w:val="Subtitle"/></w:pPr>"#);
        run(out, "", subtitle);
        out.push_str("</w:p>");
    }
    let meta = [spec.author.as_deref(), spec.date.as_deref()];
    let meta: Vec<&str> = meta.into_iter().flatten().collect();
    for (i, line) in meta.iter().enumerate() {
        let after = if i + 1 == meta.len() { 360 } else { 40 };
        let _ = write!(out, r#"<w:p><w:pPr><w:spacing w:after="{after}"/></w:pPr>"#);
        let rpr = if i == 0 {
            r#"<w:rPr><w:b/><w:bCs/><w:color w:val="404040"/><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr>"#
        } else {
            r#"<w:rPr><w:color w:val="595959"/><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr>"#
        };
        run(out, rpr, line);
        out.push_str("</w:p>");
    }
    if own_page {
        out.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
    }
}

/// A table of contents field over headings 1–3, with `entries` filled in
/// as its current result so it reads right before Word refreshes it.
/// Page numbers are left to that refresh rather than guessed.
pub(super) fn toc(out: &mut String, entries: &[TocEntry]) {
    out.push_str(concat!(
        r#"<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>"#,
        r#"<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr><w:r><w:t>Contents</w:t></w:r></w:p>"#,
    ));
    let begin = concat!(
        r#"<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>"#,
        r#"<w:r><w:instrText xml:space="preserve"> TOC \o "1-3" \h \z \u </w:instrText></w:r>"#,
        r#"<w:r><w:fldChar w:fldCharType="separate"/></w:r>"#,
    );
    if entries.is_empty() {
        out.push_str(r#"<w:p><w:pPr><w:pStyle w:val="TOC1"/></w:pPr>"#);
        out.push_str(begin);
        run(out, "", "No headings.");
        out.push_str(r#"<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>"#);
    } else {
        for (i, entry) in entries.iter().enumerate() {
            let _ = write!(
                out,
                r#"<w:p><w:pPr><w:pStyle w:val="TOC{}"/></w:pPr>"#,
                entry.level
            );
            if i == 0 {
                out.push_str(begin);
            }
            out.push_str(r#"<w:hyperlink w:anchor=""#);
            escape_into(out, &entry.bookmark);
            out.push_str(r#"" w:history="1">"#);
            run(out, "", &entry.text);
            out.push_str("</w:hyperlink>");
            if i + 1 == entries.len() {
                out.push_str(r#"<w:r><w:fldChar w:fldCharType="end"/></w:r>"#);
            }
            out.push_str("</w:p>");
        }
    }
    out.push_str(r#"</w:sdtContent></w:sdt><w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
}

const HDR_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
);
const FTR_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
);

/// `word/header1.xml`: `text` at the right, over a thin rule.
pub(super) fn header_xml(text: &str) -> String {
    let mut s = String::from(HDR_OPEN);
    s.push_str(r#"<w:p><w:pPr><w:pStyle w:val="Header"/><w:pBdr><w:bottom w:val="single" w:sz="4" w:space="4" w:color="BFBFBF"/></w:pBdr><w:jc w:val="right"/></w:pPr>"#);
    run(&mut s, "", text);
    s.push_str("</w:p></w:hdr>");
    s
}

/// `word/footer1.xml`: `text` at the left, "Page N of M" at the right.
pub(super) fn footer_xml(text: Option<&str>, page: Page) -> String {
    let mut s = String::from(FTR_OPEN);
    let _ = write!(
        s,
        r#"<w:p><w:pPr><w:pStyle w:val="Footer"/><w:tabs><w:tab w:val="clear" w:pos="4680"/><w:tab w:val="clear" w:pos="9360"/><w:tab w:val="right" w:pos="{}"/></w:tabs></w:pPr>"#,
        page.text_width()
    );
    if let Some(text) = text {
        run(&mut s, "", text);
    }
    s.push_str("<w:r><w:tab/></w:r>");
    run(&mut s, "", "Page ");
    field(&mut s, "", "PAGE", "1");
    run(&mut s, "", " of ");
    field(&mut s, "", "NUMPAGES", "1");
    s.push_str("</w:p></w:ftr>");
    s
}

/// An empty header or footer, for the title page.
pub(super) fn blank_xml(footer: bool) -> String {
    let (open, close) = if footer {
        (FTR_OPEN, "</w:ftr>")
    } else {
        (HDR_OPEN, "</w:hdr>")
    };
    format!(
        r#"{open}<w:p><w:pPr><w:pStyle w:val="{}"/></w:pPr></w:p>{close}"#,
        if footer { "Footer" } else { "Header" }
    )
}

/// Which header and footer parts exist, by relationship id.
#[derive(Debug, Clone, Copy)]
pub(super) struct HeaderRefs {
    pub header: Option<&'static str>,
    pub footer: &'static str,
    /// Blank first-page header and footer: the title page has none.
    pub first: Option<(&'static str, &'static str)>,
}

/// The body's final `w:sectPr`.
pub(super) fn sect_pr(out: &mut String, page: Page, refs: HeaderRefs) {
    out.push_str("<w:sectPr>");
    if let Some(id) = refs.header {
        let _ = write!(out, r#"<w:headerReference w:type="default" r:id="{id}"/>"#);
    }
    if let Some((header, _)) = refs.first {
        let _ = write!(
            out,
            r#"<w:headerReference w:type="first" r:id="{header}"/>"#
        );
    }
    let _ = write!(
        out,
        r#"<w:footerReference w:type="default" r:id="{}"/>"#,
        refs.footer
    );
    if let Some((_, footer)) = refs.first {
        let _ = write!(
            out,
            r#"<w:footerReference w:type="first" r:id="{footer}"/>"#
        );
    }
    let m = page.margin;
    let _ = write!(
        out,
        r#"<w:pgSz w:w="{}" w:h="{}"/><w:pgMar w:top="{m}" w:right="{m}" w:bottom="{m}" w:left="{m}" w:header="708" w:footer="708" w:gutter="0"/><w:cols w:space="708"/>"#,
        page.width, page.height
    );
    if refs.first.is_some() {
        out.push_str("<w:titlePg/>");
    }
    out.push_str(r#"<w:docGrid w:linePitch="360"/></w:sectPr>"#);
}

/// `word/_rels/document.xml.rels`.
pub(super) fn document_rels(rels: &[Rel]) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    ));
    for rel in rels {
        let _ = write!(
            s,
            r#"<Relationship Id="{}" Type="{}" Target=""#,
            rel.id, rel.kind
        );
        escape_into(&mut s, &rel.target);
        s.push('"');
        if rel.external {
            s.push_str(r#" TargetMode="External""#);
        }
        s.push_str("/>");
    }
    s.push_str("</Relationships>");
    s
}

/// `[Content_Types].xml`. `parts` are the overrides (part name, type).
pub(super) fn content_types(parts: &[(&str, &str)], kinds: &[Kind]) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
        r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
        r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    ));
    if kinds.contains(&Kind::Png) {
        s.push_str(r#"<Default Extension="png" ContentType="image/png"/>"#);
    }
    if kinds.contains(&Kind::Jpeg) {
        s.push_str(r#"<Default Extension="jpeg" ContentType="image/jpeg"/>"#);
    }
    for (name, kind) in parts {
        let _ = write!(s, r#"<Override PartName="/{name}" ContentType="{kind}"/>"#);
    }
    s.push_str("</Types>");
    s
}

/// `_rels/.rels`.
pub(super) const PACKAGE_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>"#,
    r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>"#,
    r#"<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>"#,
    r#"</Relationships>"#,
);

/// `docProps/core.xml`: title and author.
pub(super) fn core_xml(spec: &ReportSpec) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
    ));
    if let Some(title) = &spec.title {
        let _ = write!(s, "<dc:title>{}</dc:title>", escape(title));
    }
    if let Some(subtitle) = &spec.subtitle {
        let _ = write!(s, "<dc:subject>{}</dc:subject>", escape(subtitle));
    }
    if let Some(author) = &spec.author {
        let _ = write!(s, "<dc:creator>{}</dc:creator>", escape(author));
        let _ = write!(
            s,
            "<cp:lastModifiedBy>{}</cp:lastModifiedBy>",
            escape(author)
        );
    }
    s.push_str("</cp:coreProperties>");
    s
}

/// `docProps/app.xml`.
pub(super) const APP_XML: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">"#,
    r#"<Application>cowork</Application><DocSecurity>0</DocSecurity></Properties>"#,
);
