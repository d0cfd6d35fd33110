use super::*;

#[test]
fn plain_text_is_printed_as_it_is() {
    assert!(matches!(text("héllo 世界 👩‍💻\n\tcode"), Cow::Borrowed(_)));
    assert!(matches!(line("a.txt in src"), Cow::Borrowed(_)));
}

#[test]
fn escape_sequences_and_carriage_returns_become_visible() {
    // Regression: `\r\e[2K` erased the real command from the approval
    // prompt and printed another in its place.
    assert_eq!(line("rm -rf ~\r\x1b[2Kls"), "rm -rf ~\\r\\x1B[2Kls");
    assert_eq!(
        text("a\rb\n"),
        "a\\rb\n",
        "a lone CR is escaped even in prose"
    );
    assert_eq!(
        text("bell\x07 del\x7f nul\0"),
        "bell\\x07 del\\x7F nul\\x00"
    );
}

#[test]
fn newlines_and_tabs_are_kept_in_prose_and_escaped_on_one_line() {
    assert_eq!(text("a\n\tb"), "a\n\tb");
    assert_eq!(line("a\n\tb"), "a\\n\\tb");
}

#[test]
fn c1_controls_are_escaped_as_code_points() {
    // U+009B is a one-character CSI on terminals that honour C1.
    assert_eq!(line("x\u{9b}2Jy\u{85}"), "x\\u{009B}2Jy\\u{0085}");
}

#[test]
fn bidi_overrides_and_invisible_characters_in_names_are_escaped() {
    // Regression: "invoice\u{202E}fdp.exe" read as "invoiceexe.pdf".
    assert_eq!(line("invoice\u{202E}fdp.exe"), "invoice\\u{202E}fdp.exe");
    for c in [
        '\u{061C}',
        '\u{200B}',
        '\u{200E}',
        '\u{200F}',
        '\u{2028}',
        '\u{2029}',
        '\u{202A}',
        '\u{2066}',
        '\u{2069}',
        '\u{FEFF}',
        '\u{E0041}',
    ] {
        let shown = text(&format!("a{c}b")).into_owned();
        assert!(
            shown.starts_with("a\\u{") && shown.ends_with("}b"),
            "{c:?}: {shown}"
        );
    }
}

#[test]
fn joiners_that_emoji_and_scripts_need_are_kept() {
    assert_eq!(text("👩\u{200D}💻 \u{200C}"), "👩\u{200D}💻 \u{200C}");
}

#[test]
fn paths_show_bad_bytes_and_controls_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(b"caf\xE9\x1b[31m\r.txt");
    assert_eq!(path(Path::new(name)), "caf\\xE9\\x1B[31m\\r.txt");
}
