//! Read: numbered lines, windows, encodings, binary and special files.

use cowork_files::FileError;
use serde_json::json;

use super::Fixture;

fn numbered(range: std::ops::RangeInclusive<usize>) -> String {
    range
        .map(|n| format!("{n:>6}\tline {n}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn lines(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

#[test]
fn lines_are_numbered_like_cat_n() {
    let fx = Fixture::new();
    fx.write("notes.txt", "first\nsecond\r\n\nlast");
    let text = fx.ok("Read", json!({ "file_path": "notes.txt" }));
    assert_eq!(
        text,
        "     1\tfirst\n     2\tsecond\n     3\t\n     4\tlast"
    );
}

#[test]
fn offset_and_limit_pick_a_window_and_the_note_says_how_to_continue() {
    let fx = Fixture::new();
    fx.write("long.txt", lines(50));
    let text = fx.ok(
        "Read",
        json!({ "file_path": "long.txt", "offset": 10, "limit": 5 }),
    );
    let expected = format!(
        "{}\n(showing lines 10-14 of 50; call Read with offset=15 to continue)",
        numbered(10..=14)
    );
    assert_eq!(text, expected);
    let tail = fx.ok("Read", json!({ "file_path": "long.txt", "offset": 48 }));
    assert_eq!(tail, numbered(48..=50));
}

#[test]
fn the_default_window_is_2000_lines() {
    let fx = Fixture::new();
    fx.write("big.txt", lines(2500));
    let text = fx.ok("Read", json!({ "file_path": "big.txt" }));
    assert!(text.contains(&format!("{:>6}\tline 2000\n", 2000)));
    assert!(!text.contains("line 2001"));
    assert!(
        text.ends_with("(showing lines 1-2000 of 2500; call Read with offset=2001 to continue)")
    );
}

#[test]
fn an_offset_past_the_end_is_an_error_naming_the_line_count() {
    let fx = Fixture::new();
    fx.write("short.txt", lines(3));
    let err = fx
        .call("Read", json!({ "file_path": "short.txt", "offset": 9 }))
        .unwrap_err();
    assert!(matches!(err, FileError::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("has 3 lines"), "{err}");
}

#[test]
fn long_lines_are_cut_with_a_marker() {
    let fx = Fixture::new();
    fx.write("wide.txt", format!("{}\nshort\n", "x".repeat(5000)));
    let text = fx.ok("Read", json!({ "file_path": "wide.txt" }));
    let first = text.lines().next().unwrap();
    assert!(first.starts_with(&format!("     1\t{}", "x".repeat(2000))));
    assert!(first.ends_with("… [line cut: 5000 characters]"), "{first}");
    assert!(!first.contains(&"x".repeat(2001)));
    assert!(text.ends_with("     2\tshort"));
}

#[test]
fn a_utf8_byte_order_mark_is_stripped() {
    let fx = Fixture::new();
    fx.write("bom.txt", b"\xEF\xBB\xBFhello\n");
    assert_eq!(
        fx.ok("Read", json!({ "file_path": "bom.txt" })),
        "     1\thello"
    );
}

#[test]
fn utf16_le_with_a_bom_is_decoded_and_noted() {
    let fx = Fixture::new();
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Grüße\r\nzwei\r\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    fx.write("utf16.txt", bytes);
    let text = fx.ok("Read", json!({ "file_path": "utf16.txt" }));
    assert_eq!(text, "(decoded from UTF-16LE)\n     1\tGrüße\n     2\tzwei");
}

#[test]
fn latin1_bytes_are_decoded_as_windows_1252_with_a_note() {
    let fx = Fixture::new();
    fx.write("latin1.csv", b"caf\xe9;na\xefve;\x80 5\n");
    let text = fx.ok("Read", json!({ "file_path": "latin1.csv" }));
    assert_eq!(
        text,
        "(the file is not valid UTF-8; it was decoded as windows-1252)\n     1\tcafé;naïve;€ 5"
    );
}

#[test]
fn a_pdf_is_described_not_dumped() {
    let fx = Fixture::new();
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    pdf.resize(48_213, b' ');
    fx.write("report.pdf", pdf);
    let text = fx.ok("Read", json!({ "file_path": "report.pdf" }));
    assert_eq!(
        text,
        "`report.pdf` is a binary file (PDF document, 48,213 bytes); it cannot be shown as text."
    );
}

#[test]
fn a_file_with_nul_bytes_is_binary() {
    let fx = Fixture::new();
    fx.write("blob.dat", b"abc\x00def");
    let text = fx.ok("Read", json!({ "file_path": "blob.dat" }));
    assert!(
        text.contains("binary file (binary data, 7 bytes)"),
        "{text}"
    );
}

#[test]
fn a_png_is_recognised_by_its_magic() {
    let fx = Fixture::new();
    fx.write("chart.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    let text = fx.ok("Read", json!({ "file_path": "chart.png" }));
    assert!(text.contains("PNG image"), "{text}");
}

#[test]
fn an_empty_file_says_it_is_empty() {
    let fx = Fixture::new();
    fx.write("empty.txt", "");
    assert_eq!(
        fx.ok("Read", json!({ "file_path": "empty.txt" })),
        "`empty.txt` is empty (0 bytes)."
    );
}

#[test]
fn a_directory_is_an_error_pointing_to_ls() {
    let fx = Fixture::new();
    fx.write("docs/a.md", "a");
    let err = fx.call("Read", json!({ "file_path": "docs" })).unwrap_err();
    assert!(matches!(err, FileError::IsADirectory { .. }), "{err:?}");
    assert!(err.to_string().contains("use LS"), "{err}");
}

#[test]
fn a_missing_file_is_not_found() {
    let fx = Fixture::new();
    let err = fx
        .call("Read", json!({ "file_path": "nope.txt" }))
        .unwrap_err();
    assert!(
        matches!(err, FileError::NotFound { ref path } if path == "nope.txt"),
        "{err:?}"
    );
}

#[test]
fn absolute_paths_inside_the_folder_and_inward_symlinks_work() {
    let fx = Fixture::new();
    let path = fx.write("sub/a.txt", "alpha\n");
    fx.symlink("sub/a.txt", "link.txt");
    let abs = fx.ok("Read", json!({ "file_path": path }));
    assert_eq!(abs, "     1\talpha");
    assert_eq!(
        fx.ok("Read", json!({ "file_path": "link.txt" })),
        "     1\talpha"
    );
    assert_eq!(
        fx.ok("Read", json!({ "file_path": "sub/../sub/a.txt" })),
        "     1\talpha"
    );
}

#[test]
fn a_file_over_ten_mebibytes_is_streamed_without_a_total() {
    let fx = Fixture::new();
    let line = format!("{}\n", "y".repeat(99));
    fx.write("huge.log", line.repeat(110_000));
    let text = fx.ok(
        "Read",
        json!({ "file_path": "huge.log", "offset": 100, "limit": 2 }),
    );
    let ys = "y".repeat(99);
    assert_eq!(
        text,
        format!(
            "   100\t{ys}\n   101\t{ys}\n(showing lines 100-101; more lines follow; call Read with offset=102 to continue, limit=2 at a time)"
        )
    );
}

#[test]
fn bad_arguments_name_the_field() {
    let fx = Fixture::new();
    let err = fx
        .call("Read", json!({ "path": "a.txt" }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `path`"), "{err}");
    let err = fx
        .call("Read", json!({ "file_path": "a.txt", "limit": "ten" }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`limit`"), "{err}");
    let err = fx.call("Read", json!({})).unwrap_err().to_string();
    assert!(err.contains("missing field `file_path`"), "{err}");
    let err = fx
        .call("Read", json!({ "file_path": "a.txt", "limit": 0 }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 1"), "{err}");
}

#[test]
fn a_named_pipe_is_refused_without_blocking() {
    let fx = Fixture::new();
    let fifo = fx.root.join("pipe");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let err = fx.call("Read", json!({ "file_path": "pipe" })).unwrap_err();
    assert!(
        err.to_string().contains("named pipe, not a regular file"),
        "{err}"
    );
    // Grep's walk skips it too.
    fx.write("a.txt", "x\n");
    assert_eq!(fx.ok("Grep", json!({ "pattern": "x" })), "a.txt");
}
