use super::*;
use crate::web::fixtures::task_id;

fn file(name: &str, bytes: &[u8]) -> FileContent {
    FileContent {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    }
}

#[test]
fn a_csv_is_shown_as_a_table() {
    let Shown::Html(html) = show(&file("sales.csv", b"month,total\nJan,10\nFeb,=1+1\n")) else {
        panic!("not html");
    };
    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains("<td>Jan</td>"), "{html}");
}

#[test]
fn markdown_is_rendered_and_text_is_shown_as_is() {
    assert_eq!(
        show(&file("notes.md", b"# Title\n\n<script>x</script>")),
        Shown::Html("<h3>Title</h3>\n".to_owned())
    );
    assert_eq!(
        show(&file("a.txt", b"<b>hi</b>")),
        Shown::Text("<b>hi</b>".to_owned())
    );
}

#[test]
fn images_svg_included_are_pictures_and_binaries_are_named() {
    assert_eq!(show(&file("chart.svg", b"<svg onload=x>")), Shown::Image);
    assert_eq!(show(&file("chart.PNG", b"\x89PNG")), Shown::Image);
    assert_eq!(
        show(&file("blob.bin", &[0xff, 0xfe, 0x00])),
        Shown::Note("No preview: a binary file of 3 B.".to_owned())
    );
}

#[test]
fn a_corrupt_document_says_so_instead_of_failing() {
    let Shown::Note(note) = show(&file("broken.xlsx", b"not a zip")) else {
        panic!("expected a note");
    };
    assert!(note.contains("could not be read"), "{note}");
}

#[test]
fn an_svg_preview_is_an_img_never_inline_markup() {
    let html = preview_html(&task_id(), "/d/chart.svg", "chart.svg", Shown::Image).unwrap();
    assert!(html.contains("<img src=\""), "{html}");
    assert!(html.contains("image?path=%2Fd%2Fchart.svg\""), "{html}");
    assert!(!html.contains("<svg"), "{html}");
}

#[test]
fn a_hostile_file_name_is_escaped_in_the_panel_and_its_links() {
    let files = vec![TaskFile {
        path: "/d/\"><script>alert(1)</script>&x=.txt".to_owned(),
        change: FileChangeKind::Created,
        size: Some(10),
        exists: true,
    }];
    let html = render::render(
        "files.html",
        serde_json::json!({ "files": file_rows(&task_id(), &files) }),
    )
    .unwrap();
    assert!(!html.contains("<script"), "{html}");
    // The name cannot end the query early or add a parameter.
    assert!(
        html.contains("path=%2Fd%2F%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%26x%3D.txt"),
        "{html}"
    );
    insta::assert_snapshot!(html);
}

#[test]
fn rendered_markup_is_not_escaped_a_second_time() {
    // Regression: safe HTML passed through serde_json lost its mark and a
    // sheet's table showed as `&lt;table&gt;` text.
    let shown = show(&file("t.csv", b"a,b\n1,2\n"));
    let html = preview_html(&task_id(), "/d/t.csv", "t.csv", shown).unwrap();
    assert!(html.contains("<table>"), "{html}");
    assert!(!html.contains("&lt;table"), "{html}");
}

#[test]
fn a_word_document_is_shown_as_its_text() {
    let spec: cowork_docs::report::ReportSpec = cowork_docs::spec::parse(&serde_json::json!({
        "markdown": "# Quarterly <review>\n\nSales rose by **12%**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    }))
    .unwrap();
    let bytes = cowork_docs::docx::write(&spec, &cowork_docs::NoAssets).unwrap();
    let Shown::Html(html) = show(&file("review.docx", &bytes)) else {
        panic!("not html");
    };
    assert!(html.contains("Sales rose by"), "{html}");
    assert!(html.contains("<table>"), "{html}");
    assert!(!html.contains("<review>"), "{html}");
}
