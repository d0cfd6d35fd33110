use std::io::{Cursor, Read as _, Write as _};

use super::*;

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

fn package(body: &str, styles: &str, numbering: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut put = |name: &str, text: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    put(
        "word/document.xml",
        &format!("<w:document {W}><w:body>{body}</w:body></w:document>"),
    );
    put(
        "word/styles.xml",
        &format!("<w:styles {W}>{styles}</w:styles>"),
    );
    put(
        "word/numbering.xml",
        &format!("<w:numbering {W}>{numbering}</w:numbering>"),
    );
    put(
        "word/_rels/document.xml.rels",
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdL" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.org/a?b=1&amp;c=2" TargetMode="External"/></Relationships>"#,
    );
    zip.finish().unwrap().into_inner()
}

fn read_md(body: &str, styles: &str, numbering: &str) -> String {
    read(&package(body, styles, numbering), &ReadOptions::default()).unwrap()
}

fn p(ppr: &str, runs: &str) -> String {
    format!("<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>")
}

fn r(rpr: &str, text: &str) -> String {
    format!(r#"<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>"#)
}

#[test]
fn headings_come_from_style_names_ids_or_outline_levels() {
    let styles = r#"<w:style w:type="paragraph" w:styleId="Berschrift2"><w:name w:val="heading 2"/></w:style>
        <w:style w:type="paragraph" w:styleId="MyHead"><w:name w:val="My Head"/><w:basedOn w:val="Berschrift2"/></w:style>
        <w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="Custom"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>"#;
    let body = [
        p(r#"<w:pStyle w:val="Title"/>"#, &r("", "Big title")),
        p(r#"<w:pStyle w:val="Berschrift2"/>"#, &r("<w:b/>", "Second")),
        p(r#"<w:pStyle w:val="MyHead"/>"#, &r("", "Inherited")),
        p(r#"<w:pStyle w:val="Custom"/>"#, &r("", "Third")),
        p(r#"<w:outlineLvl w:val="0"/>"#, &r("", "Direct")),
        p(r#"<w:pStyle w:val="Heading5"/>"#, &r("", "Fifth")),
    ]
    .concat();
    let md = read_md(&body, styles, "");
    assert_eq!(
        md,
        "# Big title\n\n## Second\n\n## Inherited\n\n### Third\n\n# Direct\n\n##### Fifth\n"
    );
}

#[test]
fn runs_keep_bold_italic_links_and_skip_instructions_and_deletions() {
    let body = p(
        "",
        &[
            r("<w:b/>", "Bold "),
            r(r#"<w:b w:val="0"/>"#, "plain "),
            r("<w:i/><w:b/>", "both"),
            r("", " &amp; "),
            r#"<w:hyperlink r:id="rIdL"><w:r><w:t>a link</w:t></w:r></w:hyperlink>"#.to_owned(),
            r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t xml:space="preserve"> p7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>"#.to_owned(),
            r#"<w:del><w:r><w:delText>gone</w:delText><w:t>gone too</w:t></w:r></w:del>"#.to_owned(),
            r#"<mc:AlternateContent><mc:Choice><w:r><w:t> shown</w:t></w:r></mc:Choice><mc:Fallback><w:r><w:t> twice</w:t></w:r></mc:Fallback></mc:AlternateContent>"#.to_owned(),
            r("", "&#x263A;"),
        ]
        .concat(),
    );
    let md = read_md(&body, "", "");
    assert_eq!(
        md,
        "**Bold** plain ***both*** & [a link](https://example.org/a?b=1&c=2) p7 shown\u{263A}\n"
    );
}

#[test]
fn lists_nest_by_level_and_count_from_their_start() {
    let numbering = r#"<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum>
        <w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="3"/><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum>
        <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
        <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>"#;
    let styles = r#"<w:style w:type="paragraph" w:styleId="ListBullet"><w:name w:val="List Bullet"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>"#;
    let num = |id: u32, ilvl: u32| {
        format!(r#"<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{id}"/></w:numPr>"#)
    };
    let body = [
        p(r#"<w:pStyle w:val="ListBullet"/>"#, &r("", "by style")),
        p(&num(1, 1), &r("", "one")),
        p(&num(1, 1), &r("", "two")),
        p(&num(1, 0), &r("", "back")),
        p(&num(1, 1), &r("", "restarted")),
        p(&num(0, 0), &r("", "numId 0 is no list")),
        p(&num(2, 0), &r("", "third")),
        p(&num(2, 0), &r("", "fourth")),
    ]
    .concat();
    let md = read_md(&body, styles, numbering);
    assert_eq!(
        md,
        "- by style\n    1. one\n    2. two\n- back\n    1. restarted\n\nnumId 0 is no list\n\n3. third\n4. fourth\n"
    );
}

#[test]
fn tables_become_pipe_tables_with_escaped_cells() {
    let cell = |text: &str| format!("<w:tc>{}</w:tc>", p("", &r("", text)));
    let body = format!(
        "<w:tbl><w:tr>{}{}</w:tr><w:tr>{}<w:tc>{}{}</w:tc></w:tr><w:tr>{}</w:tr></w:tbl>{}",
        cell("Name"),
        cell("Note"),
        cell("a|b"),
        p("", &r("", "line 1")),
        p("", &r("", "line 2")),
        cell("short row"),
        p("", &r("", "after")),
    );
    let md = read_md(&body, "", "");
    assert_eq!(
        md,
        "| Name | Note |\n| --- | --- |\n| a\\|b | line 1<br>line 2 |\n| short row |  |\n\nafter\n"
    );
}

#[test]
fn code_paragraphs_gather_into_one_fence() {
    let styles = r#"<w:style w:type="paragraph" w:styleId="Code"><w:name w:val="Code"/></w:style>"#;
    let body = [
        p(r#"<w:pStyle w:val="Code"/>"#, r#"<w:r><w:t xml:space="preserve">let a = 1;</w:t><w:br/><w:t xml:space="preserve">  a</w:t></w:r>"#),
        p(r#"<w:pStyle w:val="Code"/>"#, &r("", "done")),
        p("", &r("", "text")),
    ]
    .concat();
    assert_eq!(
        read_md(&body, styles, ""),
        "```\nlet a = 1;\n  a\ndone\n```\n\ntext\n"
    );
}

#[test]
fn long_text_is_cut_with_a_note() {
    let md = cap("é".repeat(50), 10);
    assert!(md.starts_with(&"é".repeat(10)));
    assert!(md.contains("[… 40 more characters not shown"), "{md}");
    assert_eq!(cap("short".to_owned(), 10), "short");
}

#[test]
fn broken_xml_is_corrupt_not_a_panic() {
    let bytes = package("<w:p><w:r><w:t>open", "", "");
    let err = read(&bytes, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(err, DocsError::Corrupt { format: "DOCX", .. }),
        "{err}"
    );
}

/// Regression guard for the fuzzing the issue asks for: thousands of
/// damaged copies of a real document never make the reader panic.
#[test]
fn damaged_documents_never_panic() {
    let spec: crate::report::ReportSpec = crate::spec::parse(&serde_json::json!({
        "title": "Fuzz", "toc": true,
        "markdown": "# A\n\n- b\n  1. c\n\n| x | y |\n|---|--:|\n| 1 | 2 |\n\n> q **b** [l](https://e.org)\n\n```\ncode\n```\n"
    }))
    .unwrap();
    let good = crate::docx::write(&spec, &crate::NoAssets).unwrap();
    // Also an uncompressed copy, so byte flips land in the XML itself.
    let stored = {
        let mut src = zip::ZipArchive::new(Cursor::new(good.as_slice())).unwrap();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..src.len() {
            let mut file = src.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            zip.start_file(file.name().unwrap().into_owned(), options)
                .unwrap();
            zip.write_all(&data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    assert!(
        read(&stored, &ReadOptions::default())
            .unwrap()
            .contains("# A")
    );
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3_000 {
        let mut bytes = if round % 2 == 0 {
            good.clone()
        } else {
            stored.clone()
        };
        for _ in 0..=(next() % 8) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = next() as u8,
                1 => bytes[at] = b"<>&\"/:w"[(next() % 7) as usize],
                _ => bytes.truncate(at.max(1)),
            }
        }
        let _ = read(&bytes, &ReadOptions::default());
    }
}
