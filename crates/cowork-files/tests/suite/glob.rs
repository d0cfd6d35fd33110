//! Glob: patterns, ignore files, hidden files, newest first.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use cowork_files::FileError;
use serde_json::json;

use super::{Fixture, set_mtime};

#[test]
fn double_star_finds_files_at_any_depth_newest_first() {
    let fx = Fixture::new();
    set_mtime(&fx.write("old.md", "o"), 1_000);
    set_mtime(&fx.write("notes/new.md", "n"), 3_000);
    set_mtime(&fx.write("notes/deep/mid.md", "m"), 2_000);
    fx.write("notes/skip.txt", "s");
    let text = fx.ok("Glob", json!({ "pattern": "**/*.md" }));
    assert_eq!(text, "notes/new.md\nnotes/deep/mid.md\nold.md");
}

#[test]
fn a_single_star_stays_in_one_directory() {
    let fx = Fixture::new();
    fx.write("top.csv", "t");
    fx.write("sub/below.csv", "b");
    assert_eq!(fx.ok("Glob", json!({ "pattern": "*.csv" })), "top.csv");
    assert_eq!(
        fx.ok("Glob", json!({ "pattern": "*.csv", "path": "sub" })),
        "sub/below.csv"
    );
}

#[test]
fn gitignore_is_respected_in_a_plain_folder() {
    let fx = Fixture::new();
    fx.write(".gitignore", "build/\n*.log\n");
    fx.write("src/main.md", "m");
    fx.write("build/out.md", "o");
    fx.write("debug.log", "d");
    let text = fx.ok("Glob", json!({ "pattern": "**/*" }));
    assert_eq!(text, "src/main.md");
}

#[test]
fn hidden_files_are_skipped_unless_the_pattern_names_them() {
    let fx = Fixture::new();
    fx.write(".env", "SECRET=1");
    fx.write(".config/settings.json", "{}");
    fx.write("visible.json", "{}");
    fx.write(".git/config", "[core]");
    assert_eq!(
        fx.ok("Glob", json!({ "pattern": "**/*.json" })),
        "visible.json"
    );
    assert_eq!(fx.ok("Glob", json!({ "pattern": ".env" })), ".env");
    assert_eq!(
        fx.ok("Glob", json!({ "pattern": ".config/*.json" })),
        ".config/settings.json"
    );
    let text = fx.ok("Glob", json!({ "pattern": "**/.*" }));
    assert!(!text.contains(".git/"), "{text}");
}

#[test]
fn braces_and_absolute_patterns_inside_the_folder_work() {
    let fx = Fixture::new();
    set_mtime(&fx.write("a.csv", "a"), 2_000);
    set_mtime(&fx.write("b.xlsx", "b"), 1_000);
    fx.write("c.txt", "c");
    assert_eq!(
        fx.ok("Glob", json!({ "pattern": "*.{csv,xlsx}" })),
        "a.csv\nb.xlsx"
    );
    let absolute = format!("{}/*.csv", fx.root.display());
    assert_eq!(fx.ok("Glob", json!({ "pattern": absolute })), "a.csv");
}

#[test]
fn no_match_says_so_and_a_bad_pattern_is_invalid_input() {
    let fx = Fixture::new();
    fx.write("a.txt", "a");
    assert_eq!(
        fx.ok("Glob", json!({ "pattern": "*.pdf" })),
        "No files match `*.pdf` in `.`."
    );
    let err = fx.call("Glob", json!({ "pattern": "[a-" })).unwrap_err();
    assert!(matches!(err, FileError::InvalidInput { .. }), "{err:?}");
    let err = fx.call("Glob", json!({ "pattern": "/etc/*" })).unwrap_err();
    assert!(err.to_string().contains("relative to `path`"), "{err}");
}

#[test]
fn results_are_capped_at_1000_with_the_total() {
    let fx = Fixture::new();
    for i in 0..1003 {
        fx.write(&format!("d{}/f{i}.txt", i % 7), "");
    }
    let text = fx.ok("Glob", json!({ "pattern": "**/*.txt" }));
    assert_eq!(text.lines().count(), 1001);
    assert!(text.ends_with("most recently modified of 1,003 matching files; use a narrower pattern or path to see the others)"), "{text}");
}

#[test]
fn non_utf8_file_names_are_shown_with_byte_escapes() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.root.join("d")).unwrap();
    std::fs::write(
        fx.root.join("d").join(OsStr::from_bytes(b"na\xefve.txt")),
        "x",
    )
    .unwrap();
    let text = fx.ok("Glob", json!({ "pattern": "**/*.txt" }));
    assert_eq!(text, "d/na\\xEFve.txt");
}

#[test]
fn a_file_as_path_is_not_a_directory() {
    let fx = Fixture::new();
    fx.write("a.txt", "a");
    let err = fx
        .call("Glob", json!({ "pattern": "*", "path": "a.txt" }))
        .unwrap_err();
    assert!(matches!(err, FileError::NotADirectory { .. }), "{err:?}");
}
