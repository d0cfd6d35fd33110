use super::*;

#[test]
fn long_text_is_cut_on_a_character_boundary_with_a_note() {
    let mut text = "a".repeat(TEXT_PREVIEW_CAP - 1).into_bytes();
    text.extend_from_slice("é and more".as_bytes());
    let cut = cut_text(text);
    let shown = String::from_utf8(cut).unwrap();
    assert!(shown.starts_with(&"a".repeat(TEXT_PREVIEW_CAP - 1)));
    assert!(!shown.contains('é'));
    assert!(shown.contains("preview cut at"));
}

#[test]
fn disposition_cannot_be_broken_out_of_by_the_file_name() {
    let header = disposition("attachment", "a\"b\r\nSet-Cookie: x=1;é.txt");
    assert!(HeaderValue::from_str(&header).is_ok());
    assert!(header.starts_with("attachment; filename=\"a_b__Set-Cookie: x=1;_.txt\";"));
    assert!(header.ends_with("filename*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1%3B%C3%A9.txt"));
}

#[test]
fn binary_without_a_known_type_has_no_preview() {
    let file = FileContent {
        name: "data.bin".into(),
        bytes: vec![0, 159, 146, 150],
    };
    assert!(matches!(Kind::of(&file), Err(e) if e.status == StatusCode::UNSUPPORTED_MEDIA_TYPE));
    let html = FileContent {
        name: "page.html".into(),
        bytes: b"<script>alert(1)</script>".to_vec(),
    };
    assert!(matches!(Kind::of(&html), Ok(Kind::Text)));
}
