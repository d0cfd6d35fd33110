use super::*;

fn text(s: &str) -> Inline {
    Inline::Text(s.to_owned())
}

#[test]
fn headings_paragraphs_and_inline_styles_are_parsed() {
    let md = Markdown::parse(
        "# Board memo\n\nRevenue grew **12%** in *Q3*, see `fig 1` and [the report](https://x.org).\n",
    );
    assert_eq!(
        md.blocks[0],
        Block::Heading {
            level: 1,
            content: vec![text("Board memo")]
        }
    );
    let Block::Paragraph(content) = &md.blocks[1] else {
        panic!("{:?}", md.blocks[1]);
    };
    assert!(content.contains(&Inline::Strong(vec![text("12%")])));
    assert!(content.contains(&Inline::Emphasis(vec![text("Q3")])));
    assert!(content.contains(&Inline::Code("fig 1".to_owned())));
    assert!(content.contains(&Inline::Link {
        url: "https://x.org".to_owned(),
        content: vec![text("the report")]
    }));
}

#[test]
fn tight_list_items_keep_their_styled_text_in_one_paragraph() {
    let md = Markdown::parse("- one **bold** item\n  - nested\n- two\n");
    let Block::List { ordered, items, .. } = &md.blocks[0] else {
        panic!("{:?}", md.blocks);
    };
    assert!(!ordered);
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].blocks[0],
        Block::Paragraph(vec![
            text("one "),
            Inline::Strong(vec![text("bold")]),
            text(" item")
        ])
    );
    assert!(matches!(&items[0].blocks[1], Block::List { items, .. } if items.len() == 1));
}

#[test]
fn numbered_lists_keep_their_start_and_tasks_their_checks() {
    let md = Markdown::parse("3. three\n4. four\n\n- [x] done\n- [ ] todo\n");
    assert!(matches!(
        &md.blocks[0],
        Block::List {
            ordered: true,
            start: 3,
            ..
        }
    ));
    let Block::List { items, .. } = &md.blocks[1] else {
        panic!()
    };
    assert_eq!(items[0].checked, Some(true));
    assert_eq!(items[1].checked, Some(false));
}

#[test]
fn tables_have_a_header_rows_and_alignment() {
    let md = Markdown::parse("| Item | Cost |\n|:--|--:|\n| Taxi | 42 |\n| Hotel | 180 |\n");
    let Block::Table {
        align,
        header,
        rows,
    } = &md.blocks[0]
    else {
        panic!("{:?}", md.blocks)
    };
    assert_eq!(align, &[Align::Left, Align::Right]);
    assert_eq!(header.len(), 2);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], vec![text("180")]);
}

#[test]
fn figures_page_breaks_quotes_code_and_rules() {
    let md = Markdown::parse(
        "![Sales by region](chart:sales \"Figure 1\")\n\n\\newpage\n\n> quoted\n\n```python\nprint(1)\n```\n\n---\n\n<!-- pagebreak -->\n",
    );
    assert_eq!(
        md.blocks[0],
        Block::Image {
            src: "chart:sales".to_owned(),
            alt: "Sales by region".to_owned(),
            title: Some("Figure 1".to_owned())
        }
    );
    assert_eq!(md.blocks[1], Block::PageBreak);
    assert!(matches!(&md.blocks[2], Block::Quote(inner) if inner.len() == 1));
    assert_eq!(
        md.blocks[3],
        Block::Code {
            lang: Some("python".to_owned()),
            text: "print(1)\n".to_owned()
        }
    );
    assert_eq!(md.blocks[4], Block::Rule);
    assert_eq!(md.blocks[5], Block::PageBreak);
}

#[test]
fn headings_are_listed_for_a_table_of_contents() {
    let md = Markdown::parse("# A\n## B *b*\n> ### C\n");
    assert_eq!(
        md.headings(),
        vec![
            (1, "A".to_owned()),
            (2, "B b".to_owned()),
            (3, "C".to_owned())
        ]
    );
}
