//! Zip packages (any OOXML or ODS format), DOCX bodies and PPTX slides.

use cowork_docs::DocsError;
use cowork_docs::read::{ReadOptions, read};

use super::{declare_size, in_bounded_child, zip};

fn docx(document: &str) -> Vec<u8> {
    zip(&[("word/document.xml", document.as_bytes())])
}

#[test]
fn a_package_part_declared_larger_than_the_limit_is_refused_before_inflating() {
    in_bounded_child(
        module_path!(),
        "a_package_part_declared_larger_than_the_limit_is_refused_before_inflating",
        || {
            for (name, part) in [
                ("bomb.docx", "word/document.xml"),
                ("bomb.pptx", "ppt/presentation.xml"),
                ("bomb.xlsx", "xl/sharedStrings.xml"),
            ] {
                let mut bytes = zip(&[(part, b"<x/>".as_slice())]);
                declare_size(&mut bytes, part, 1 << 30);
                let err = read(name, &bytes, &ReadOptions::default()).unwrap_err();
                assert!(matches!(err, DocsError::TooLarge { .. }), "{name}: {err}");
                assert!(err.to_string().contains(part), "{err}");
                assert!(err.to_string().contains("1,024 MiB"), "{err}");
            }
        },
    );
}

/// A part that inflates past the size it declares is an error, never a
/// silently longer (or shorter) read.
#[test]
fn a_part_inflating_past_its_declared_size_is_an_error() {
    let body = format!(
        "<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>",
        "x".repeat(100_000)
    );
    let mut bytes = docx(&body);
    declare_size(&mut bytes, "word/document.xml", 1_000);
    let err = read("liar.docx", &bytes, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("word/document.xml"), "{err}");
}

#[test]
fn xml_parts_adding_up_past_the_package_limit_are_refused() {
    let parts: Vec<String> = (0..4)
        .map(|i| format!("xl/worksheets/sheet{i}.xml"))
        .collect();
    let mut bytes = zip(&parts
        .iter()
        .map(|p| (p.as_str(), b"<x/>".as_slice()))
        .collect::<Vec<_>>());
    for part in &parts {
        declare_size(&mut bytes, part, 100 << 20);
    }
    let err = read("many.xlsx", &bytes, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("the package's XML parts"), "{err}");
}

#[test]
fn a_package_with_too_many_entries_is_refused() {
    let names: Vec<String> = (0..20_001).map(|i| format!("m/{i}")).collect();
    let bytes = zip(&names
        .iter()
        .map(|n| (n.as_str(), b"".as_slice()))
        .collect::<Vec<_>>());
    let err = read("crowd.docx", &bytes, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("20,001 parts"), "{err}");
}

/// Tables nested in table cells were each held open, and each level's
/// text copied into its parent's cell: quadratic work, memory by depth.
#[test]
fn a_docx_nesting_tables_or_paragraphs_without_end_is_refused() {
    in_bounded_child(
        module_path!(),
        "a_docx_nesting_tables_or_paragraphs_without_end_is_refused",
        || {
            let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
            for (open, close, what) in [
                ("<w:tbl><w:tr><w:tc>", "</w:tc></w:tr></w:tbl>", "tables"),
                ("<w:p>", "</w:p>", "paragraphs"),
            ] {
                let depth = 100_000;
                let body = format!("{}x{}", open.repeat(depth), close.repeat(depth));
                let bytes = docx(&format!(
                    "<w:document {w}><w:body>{body}</w:body></w:document>"
                ));
                let err = read("deep.docx", &bytes, &ReadOptions::default()).unwrap_err();
                assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
                assert!(err.to_string().contains(what), "{err}");
            }
        },
    );
}

/// Each `<p:sp/>` (7 bytes of XML) was kept as a shape of about a hundred
/// bytes: a slide part at the size limit held ten times its size.
#[test]
fn a_pptx_slide_with_millions_of_empty_shapes_is_refused() {
    let p = r#"xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let presentation = format!(
        r#"<p:presentation {p}><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst></p:presentation>"#
    );
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/></Relationships>"#;
    let slide = format!(
        "<p:sld {p}><p:cSld><p:spTree>{}</p:spTree></p:cSld></p:sld>",
        "<p:sp/>".repeat(1_000_001)
    );
    let bytes = zip(&[
        ("ppt/presentation.xml", presentation.as_bytes()),
        ("ppt/_rels/presentation.xml.rels", rels.as_bytes()),
        ("ppt/slides/slide1.xml", slide.as_bytes()),
    ]);
    let err = read("shapes.pptx", &bytes, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("1000000 shapes"), "{err}");
}

/// Every `<w:style/>` was kept as a map entry several times its size.
#[test]
fn a_docx_defining_hundreds_of_thousands_of_styles_is_refused() {
    let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
    let styles: String = (0..100_001)
        .map(|i| format!(r#"<w:style w:styleId="s{i}"/>"#))
        .collect();
    let document =
        format!("<w:document {w}><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>");
    let styles = format!("<w:styles {w}>{styles}</w:styles>");
    let bytes = zip(&[
        ("word/document.xml", document.as_bytes()),
        ("word/styles.xml", styles.as_bytes()),
    ]);
    let err = read("styles.docx", &bytes, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, DocsError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("styles.xml"), "{err}");
}
