use super::*;

fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return,
            Ok(_) => {}
            Err(e) => panic!("malformed XML at {}: {e}", reader.buffer_position()),
        }
    }
}

#[test]
fn styles_name_the_styles_word_users_expect() {
    let xml = styles_xml();
    well_formed(&xml);
    for (id, name) in [
        ("Normal", "Normal"),
        ("Title", "Title"),
        ("Subtitle", "Subtitle"),
        ("Heading1", "heading 1"),
        ("Heading2", "heading 2"),
        ("Heading3", "heading 3"),
        ("ListBullet", "List Bullet"),
        ("ListNumber", "List Number"),
        ("TableGrid", "Table Grid"),
        ("Quote", "Quote"),
        ("Code", "Code"),
        ("Caption", "caption"),
        ("Hyperlink", "Hyperlink"),
        ("TOCHeading", "TOC Heading"),
        ("TOC1", "toc 1"),
    ] {
        let needle = format!(r#"w:styleId="{id}"><w:name w:val="{name}"/>"#);
        assert!(xml.contains(&needle), "missing style {id}");
    }
}

#[test]
fn headings_carry_outline_levels_for_the_navigation_pane() {
    let xml = styles_xml();
    for level in 1..=3 {
        let start = xml.find(&format!(r#"w:styleId="Heading{level}""#)).unwrap();
        let end = start + xml[start..].find("</w:style>").unwrap();
        assert!(
            xml[start..end].contains(&format!(r#"<w:outlineLvl w:val="{}"/>"#, level - 1)),
            "Heading{level}"
        );
    }
}

#[test]
fn each_numbered_list_gets_its_own_restarting_num() {
    let mut numbering = Numbering::default();
    assert_eq!(numbering.ordered(0, 1), 2);
    assert_eq!(numbering.ordered(1, 1), 3);
    assert_eq!(numbering.ordered(0, 7), 4);
    let xml = numbering.xml();
    well_formed(&xml);
    assert!(xml.contains(r#"<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>"#));
    assert!(xml.contains(
        r#"<w:num w:numId="3"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="1"><w:startOverride w:val="1"/>"#
    ));
    assert!(xml.contains(r#"<w:lvlOverride w:ilvl="0"><w:startOverride w:val="7"/>"#));
    // Nine levels of each definition, all abstract definitions before nums.
    assert_eq!(xml.matches("<w:lvl ").count(), 18);
    assert!(xml.rfind("<w:abstractNum ").unwrap() < xml.find("<w:num ").unwrap());
}

#[test]
fn fields_are_refreshed_only_when_there_is_a_table_of_contents() {
    well_formed(&settings_xml(true));
    assert!(settings_xml(true).contains("<w:updateFields w:val=\"true\"/>"));
    assert!(!settings_xml(false).contains("updateFields"));
}
