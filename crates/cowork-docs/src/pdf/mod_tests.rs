use super::*;
use crate::assets::NoAssets;

fn spec(markdown: &str) -> ReportSpec {
    crate::spec::parse(&serde_json::json!({ "markdown": markdown })).unwrap()
}

/// Text of the PDF's content streams is compressed; our own reader gets
/// it back.
fn text_of(pdf: &[u8]) -> String {
    crate::read::read("out.pdf", pdf, &crate::read::ReadOptions::default()).unwrap()
}

#[test]
fn a_small_report_is_a_pdf() {
    let pdf = write(&spec("# Hello\n\nWorld."), &NoAssets).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = text_of(&pdf);
    assert!(text.contains("Hello") && text.contains("World."), "{text}");
}

#[test]
fn the_same_spec_gives_the_same_bytes() {
    let spec = spec("# Same\n\nBytes every time.");
    assert_eq!(
        write(&spec, &NoAssets).unwrap(),
        write(&spec, &NoAssets).unwrap()
    );
}

#[test]
fn a_title_page_needs_a_title() {
    let mut spec = spec("body");
    spec.title_page = true;
    let err = write(&spec, &NoAssets).unwrap_err();
    assert!(
        matches!(&err, DocsError::InvalidSpec { path, .. } if path == "title"),
        "{err}"
    );
}

#[test]
fn an_unknown_chart_is_named_in_the_error() {
    let err = write(&spec("![Sales](chart:sales)"), &NoAssets).unwrap_err();
    match err {
        DocsError::InvalidSpec { path, message } => {
            assert_eq!(path, "markdown");
            assert!(
                message.contains("chart:sales") && message.contains("none"),
                "{message}"
            );
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn an_image_that_is_not_an_image_is_refused_by_name() {
    struct Junk;
    impl Assets for Junk {
        fn load(&self, _name: &str) -> Result<Vec<u8>, DocsError> {
            Ok(b"\x89PNG\r\n\x1a\n-- not really --".to_vec())
        }
    }
    let err = write(&spec("![Logo](logo.png)"), &Junk).unwrap_err();
    assert!(
        matches!(&err, DocsError::Asset { name, .. } if name == "logo.png"),
        "{err}"
    );
}

#[test]
fn a_missing_image_is_an_asset_error() {
    let err = write(&spec("![Logo](logo.png)"), &NoAssets).unwrap_err();
    assert!(matches!(err, DocsError::Asset { .. }), "{err}");
}

/// Regression guard for "a typst compile error should never happen for any
/// Markdown": odd corners of CommonMark, each typeset on its own.
#[test]
fn odd_markdown_always_typesets() {
    let long_word = "x".repeat(5000);
    let deep_list = (0..40)
        .map(|i| format!("{}- level {i}\n", "  ".repeat(i)))
        .collect::<String>();
    let cases = [
        String::new(),
        "   \n\n  ".to_owned(),
        "#\n\n##\n\n###### \n".to_owned(),
        "| a |\n|---|\n".to_owned(),
        "| | |\n|-|-|\n| | |\n| x | y | z |\n".to_owned(),
        "0. zero\n\n999999999. big\n".to_owned(),
        "<div>html block</div>\n\n<!-- comment -->\n".to_owned(),
        "Footnote[^1].\n\n[^1]: The note.\n".to_owned(),
        "$x$ and $$y$$ and \\$ and \\\\ and \\# and \\[".to_owned(),
        "``` \n```\n\n```\n\n\n```\n\n    indented\n".to_owned(),
        "`` ` `` and ```` ``` ````".to_owned(),
        "[](<>) [a]() [b](# \"t\") <https://auto.link> <mail@x.org>".to_owned(),
        "***bold italic*** ~~**both**~~ _*nested*_".to_owned(),
        "line one  \nline two\\\nline three".to_owned(),
        format!("{long_word}\n\n| {long_word} | b |\n|--|--|\n"),
        deep_list,
        format!("{}quote", "> ".repeat(60)),
        "- [x] \n- [ ]\n".to_owned(),
        "> # Heading in a quote\n>\n> - list\n>\n> ```\n> code\n> ```\n".to_owned(),
        "---\n\n***\n\n\\newpage\n\n\\newpage\n\n<!-- pagebreak -->".to_owned(),
        "\u{0}\u{1}\u{7f}\u{200b}\u{feff}\u{202e}RTL \u{5d0}\u{5d1} 中文 🙂".to_owned(),
    ];
    for markdown in cases {
        let result = write(&spec(&markdown), &NoAssets);
        assert!(result.is_ok(), "{markdown:?}: {result:?}");
    }
}
