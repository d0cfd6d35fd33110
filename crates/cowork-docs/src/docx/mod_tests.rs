use std::io::Read as _;

use super::*;
use crate::spec;

fn parts(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut text = String::new();
        if file.read_to_string(&mut text).is_ok() {
            out.insert(file.name().unwrap().into_owned(), text);
        }
    }
    out
}

fn well_formed(name: &str, xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return,
            Ok(_) => {}
            Err(e) => panic!("{name} is malformed at {}: {e}", reader.buffer_position()),
        }
    }
}

fn spec(json: serde_json::Value) -> ReportSpec {
    spec::parse(&json).unwrap()
}

#[test]
fn a_full_report_has_every_part_and_well_formed_xml() {
    let bytes = write(
        &spec(serde_json::json!({
            "title": "T <&> \u{1}",
            "author": "A \"B\"",
            "title_page": true,
            "toc": true,
            "footer": "F & G",
            "page_size": "letter",
            "markdown": "# H\n\ntext\u{b} with a vertical tab\n"
        })),
        &crate::NoAssets,
    )
    .unwrap();
    let parts = parts(&bytes);
    for name in [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/core.xml",
        "docProps/app.xml",
        "word/document.xml",
        "word/_rels/document.xml.rels",
        "word/styles.xml",
        "word/numbering.xml",
        "word/settings.xml",
        "word/header1.xml",
        "word/footer1.xml",
        "word/header2.xml",
        "word/footer2.xml",
    ] {
        let xml = parts.get(name).unwrap_or_else(|| panic!("missing {name}"));
        well_formed(name, xml);
    }
    let document = &parts["word/document.xml"];
    assert!(document.contains(r#"<w:pgSz w:w="12240" w:h="15840"/>"#));
    assert!(document.contains("<w:titlePg/>"));
    assert!(document.contains(r#"TOC \o "1-3" \h \z \u"#));
    assert!(parts["docProps/core.xml"].contains("<dc:title>T &lt;&amp;&gt; </dc:title>"));
    assert!(parts["docProps/core.xml"].contains("<dc:creator>A &quot;B&quot;</dc:creator>"));
    assert!(parts["word/footer1.xml"].contains(" PAGE </w:instrText>"));
    assert!(parts["word/footer1.xml"].contains(" NUMPAGES </w:instrText>"));
    // The header defaults to the title.
    assert!(parts["word/header1.xml"].contains("T &lt;&amp;&gt; "));
}

#[test]
fn a_plain_memo_has_no_title_page_or_header() {
    let bytes = write(
        &spec(serde_json::json!({"markdown": "Hello"})),
        &crate::NoAssets,
    )
    .unwrap();
    let parts = parts(&bytes);
    assert!(!parts.contains_key("word/header1.xml"));
    assert!(!parts["word/document.xml"].contains("titlePg"));
    assert!(!parts["word/document.xml"].contains("headerReference"));
    assert!(parts["word/document.xml"].contains(r#"<w:pgSz w:w="11906" w:h="16838"/>"#));
    assert!(!parts["word/settings.xml"].contains("updateFields"));
}

#[test]
fn a_title_page_without_a_title_names_the_field() {
    let err = write(
        &spec(serde_json::json!({"markdown": "x", "title_page": true})),
        &crate::NoAssets,
    )
    .unwrap_err();
    assert!(
        matches!(&err, DocsError::InvalidSpec { path, .. } if path == "title_page"),
        "{err}"
    );
}

#[test]
fn an_unknown_chart_lists_the_known_ones() {
    let err = write(
        &spec(serde_json::json!({
            "markdown": "![Sales](chart:sales)",
            "charts": {
                "revenue": {"kind": "pie", "categories": ["a"], "series": [{"name": "s", "values": [1]}]},
                "costs": {"kind": "pie", "categories": ["a"], "series": [{"name": "s", "values": [1]}]}
            }
        })),
        &crate::NoAssets,
    )
    .unwrap_err();
    let DocsError::InvalidSpec { path, message } = err else {
        panic!("{err}")
    };
    assert_eq!(path, "markdown");
    assert!(
        message.contains("`chart:sales` is not a key of charts (known: costs, revenue)"),
        "{message}"
    );
}

#[test]
fn a_broken_chart_is_reported_under_its_key() {
    let err = write(
        &spec(serde_json::json!({
            "markdown": "![Sales](chart:sales)",
            "charts": {"sales": {"kind": "column", "categories": ["a", "b"], "series": [{"name": "s", "values": [1]}]}}
        })),
        &crate::NoAssets,
    )
    .unwrap_err();
    assert!(
        matches!(&err, DocsError::InvalidSpec { path, .. } if path == "charts.sales.series[0].values"),
        "{err}"
    );
}

#[test]
fn charts_are_embedded_once_as_png() {
    let bytes = write(
        &spec(serde_json::json!({
            "markdown": "![Sales](chart:sales)\n\n![Again](chart:sales)",
            "charts": {"sales": {"kind": "column", "categories": ["a", "b"], "series": [{"name": "s", "values": [1, 2]}]}}
        })),
        &crate::NoAssets,
    )
    .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.as_slice())).unwrap();
    let mut png = Vec::new();
    zip.by_name("word/media/image1.png")
        .unwrap()
        .read_to_end(&mut png)
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(zip.by_name("word/media/image2.png").is_err());
    let parts = parts(&bytes);
    assert!(
        parts["[Content_Types].xml"]
            .contains(r#"<Default Extension="png" ContentType="image/png"/>"#)
    );
    assert_eq!(parts["word/document.xml"].matches("<w:drawing>").count(), 2);
    assert!(parts["word/document.xml"].contains(r"SEQ Figure \* ARABIC"));
}
