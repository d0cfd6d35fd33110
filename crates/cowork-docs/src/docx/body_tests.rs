use super::*;
use crate::assets::NoAssets;
use crate::docx::xml::escape;
use crate::markdown::Markdown;

fn render(markdown: &str) -> String {
    let charts = BTreeMap::new();
    let mut body = Body::new(9_000, 13_000, &charts, &NoAssets);
    body.render(&Markdown::parse(markdown).blocks).unwrap();
    body.out
}

#[test]
fn xml_special_and_control_characters_are_escaped_or_dropped() {
    assert_eq!(
        escape(r#"a < b & "c" > d"#),
        "a &lt; b &amp; &quot;c&quot; &gt; d"
    );
    assert_eq!(escape("bell\u{7}nul\u{0}ok\u{FFFF}\ttab"), "bellnulok\ttab");
    let out = render("R&D <b>bold</b> \u{1b}[31m");
    assert!(out.contains("R&amp;D"), "{out}");
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn code_keeps_whitespace_with_breaks_and_tabs() {
    let out = render("```\nfn main() {\n\tlet x = 1;\n    x\n}\n```\n");
    assert!(out.contains(r#"<w:pStyle w:val="Code"/>"#), "{out}");
    assert!(out.contains(r#"<w:br/><w:tab/><w:t xml:space="preserve">let x = 1;</w:t><w:br/><w:t xml:space="preserve">    x</w:t>"#), "{out}");
}

#[test]
fn nested_lists_use_levels_and_numbered_lists_restart() {
    let out = render("1. a\n   - b\n     - c\n2. d\n\ntext\n\n1. e\n");
    assert!(
        out.contains(
            r#"<w:pStyle w:val="ListNumber"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/>"#
        ),
        "{out}"
    );
    assert!(
        out.contains(
            r#"<w:pStyle w:val="ListBullet2"/><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/>"#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"<w:pStyle w:val="ListBullet3"/><w:numPr><w:ilvl w:val="2"/>"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<w:numId w:val="3"/>"#),
        "the second list restarts: {out}"
    );
}

#[test]
fn inline_formatting_and_links_become_runs_and_hyperlinks() {
    let charts = BTreeMap::new();
    let mut body = Body::new(9_000, 13_000, &charts, &NoAssets);
    let md = Markdown::parse(
        "**b** *i* ~~s~~ `c` [x](https://a.example/?q=1&r=2) [y](https://a.example/?q=1&r=2) [z](#Next-Steps)",
    );
    body.render(&md.blocks).unwrap();
    let out = &body.out;
    assert!(out.contains("<w:rPr><w:b/><w:bCs/></w:rPr>"), "{out}");
    assert!(out.contains("<w:rPr><w:i/><w:iCs/></w:rPr>"));
    assert!(out.contains("<w:rPr><w:strike/></w:rPr>"));
    assert!(out.contains(r#"<w:rStyle w:val="CodeChar"/>"#));
    assert!(out.contains(
        r#"<w:hyperlink r:id="rId100" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/>"#
    ));
    assert!(
        out.contains(r#"<w:hyperlink w:anchor="next_steps""#),
        "{out}"
    );
    // One relationship per distinct URL.
    assert_eq!(body.rels.len(), 1);
    assert_eq!(body.rels[0].target, "https://a.example/?q=1&r=2");
}

#[test]
fn headings_get_bookmarks_for_the_table_of_contents() {
    let charts = BTreeMap::new();
    let mut body = Body::new(9_000, 13_000, &charts, &NoAssets);
    body.render(&Markdown::parse("# One\n\n## Two\n\n#### Four\n\n# One").blocks)
        .unwrap();
    let levels: Vec<u8> = body.toc.iter().map(|e| e.level).collect();
    assert_eq!(levels, [1, 2, 3, 1]);
    for entry in &body.toc {
        assert!(
            body.out
                .contains(&format!(r#"w:name="{}""#, entry.bookmark))
        );
    }
    assert_eq!(
        body.out.matches(r#"w:name="one""#).count(),
        1,
        "bookmark names are unique"
    );
}

#[test]
fn tables_have_a_repeating_header_row_and_aligned_cells() {
    let out = render(
        "| Item | Amount |\n|:--|--:|\n| Taxi | 42.50 |\n| Hotel | 310.00 |\n\n| A |\n|---|\n| 1 |\n",
    );
    assert!(out.contains(r#"<w:tblStyle w:val="TableGrid"/>"#));
    assert!(out.contains("<w:trPr><w:tblHeader/></w:trPr>"));
    assert!(out.contains(r#"<w:pStyle w:val="TableHeading"/>"#));
    assert!(
        out.contains(r#"<w:jc w:val="right"/></w:pPr><w:r><w:t xml:space="preserve">42.50"#),
        "{out}"
    );
    assert!(
        out.contains("</w:tbl><w:p/><w:tbl>"),
        "adjacent tables are kept apart"
    );
    assert!(
        out.ends_with("</w:tbl><w:p/>"),
        "a paragraph closes the body"
    );
}

#[test]
fn column_widths_fill_the_text_width() {
    let cell = |s: &str| vec![Inline::Text(s.to_owned())];
    let header = vec![cell("Id"), cell("A long description of the line item")];
    let widths = column_widths(&header, &[], 9_000);
    assert!(widths[1] > widths[0]);
    assert!(
        widths[0] >= 9_000 / 4 - 1,
        "short columns keep half an even share"
    );
    assert!((widths.iter().sum::<u32>() as i64 - 9_000).abs() <= 2);
}

#[test]
fn bookmark_names_follow_markdown_anchors() {
    assert_eq!(
        bookmark_name("Quarterly Results (Q3)"),
        "quarterly_results_q3"
    );
    assert_eq!(bookmark_name("2026 plan"), "plan");
    assert_eq!(bookmark_name(&"x".repeat(60)).len(), 40);
}
