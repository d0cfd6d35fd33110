//! LS: one directory, sorted, with sizes and symlink targets.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use cowork_files::FileError;
use serde_json::json;

use super::Fixture;

#[test]
fn directories_come_first_then_files_with_sizes_sorted_by_name() {
    let fx = Fixture::new();
    fx.write("zeta.txt", "z");
    fx.write("Alpha.md", vec![b'a'; 2048]);
    fx.write("beta/x.txt", "x");
    fx.write("archive/y.txt", "y");
    let text = fx.ok("LS", json!({}));
    assert_eq!(
        text,
        "Directory `.`: 2 directories, 2 files\narchive/\nbeta/\nAlpha.md (2.0 KiB)\nzeta.txt (1 B)"
    );
}

#[test]
fn symlinks_are_shown_with_their_target_and_not_followed() {
    let fx = Fixture::new();
    fx.write("real.txt", "r");
    fx.symlink("real.txt", "link.txt");
    fx.symlink(fx.outside().join("outside_dir"), "out");
    let text = fx.ok("LS", json!({ "path": "." }));
    let outside = fx.outside().join("outside_dir");
    assert!(text.contains("link.txt -> real.txt\n"), "{text}");
    assert!(
        text.contains(&format!("out -> {}\n", outside.display())),
        "{text}"
    );
    assert!(!text.contains("secret.txt"), "{text}");
}

#[test]
fn ignore_globs_leave_entries_out() {
    let fx = Fixture::new();
    fx.write("keep.md", "k");
    fx.write("skip.tmp", "s");
    fx.write("node_modules/pkg.js", "p");
    let text = fx.ok(
        "LS",
        json!({ "path": "", "ignore": ["*.tmp", "node_modules"] }),
    );
    assert_eq!(text, "Directory `.`: 0 directories, 1 file\nkeep.md (1 B)");
}

#[test]
fn a_subdirectory_and_an_empty_directory_are_listed() {
    let fx = Fixture::new();
    fx.write("docs/readme.md", "hello");
    std::fs::create_dir(fx.root.join("empty")).unwrap();
    assert_eq!(
        fx.ok("LS", json!({ "path": "docs" })),
        "Directory `docs`: 0 directories, 1 file\nreadme.md (5 B)"
    );
    assert_eq!(
        fx.ok("LS", json!({ "path": "empty" })),
        "Directory `empty` is empty."
    );
}

#[test]
fn a_file_is_not_a_directory() {
    let fx = Fixture::new();
    fx.write("a.txt", "a");
    let err = fx.call("LS", json!({ "path": "a.txt" })).unwrap_err();
    assert!(matches!(err, FileError::NotADirectory { .. }), "{err:?}");
}

#[test]
fn non_utf8_names_are_listed_with_byte_escapes() {
    let fx = Fixture::new();
    let name = OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(fx.root.join(name), "x").unwrap();
    let text = fx.ok("LS", json!({}));
    assert!(text.contains("caf\\xE9.txt (1 B)"), "{text}");
}

#[test]
fn more_than_1000_entries_are_capped_with_a_note() {
    let fx = Fixture::new();
    for i in 0..1005 {
        fx.write(&format!("f{i:04}.txt"), "");
    }
    let text = fx.ok("LS", json!({}));
    assert_eq!(text.lines().count(), 1 + 1000 + 1);
    assert!(text.ends_with("(showing 1000 of 1,005 entries; use Glob with a pattern, or `ignore`, to narrow the listing)"));
}
