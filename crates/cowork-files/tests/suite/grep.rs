//! Grep: ripgrep's semantics, every output mode and filter.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use std::sync::Arc;

use cowork_files::{FileError, FileTools, Folders};
use cowork_protocol::FolderGrant;
use serde_json::json;

use super::Fixture;

/// A small tree: two markdown notes, a CSV, an ignored file, a hidden one
/// and a binary one, all mentioning "invoice".
fn corpus() -> Fixture {
    let fx = Fixture::new();
    fx.write(
        "notes/a.md",
        "intro\nInvoice 42 paid\nmiddle\nmore\ninvoice 43 due\nend\n",
    );
    fx.write("notes/b.md", "nothing here\n");
    fx.write("data/sales.csv", "id,what\n1,invoice 7\n");
    fx.write(".gitignore", "ignored/\n");
    fx.write("ignored/c.md", "invoice hidden by gitignore\n");
    fx.write(".hidden.md", "invoice in a hidden file\n");
    fx.write("blob.bin", b"invoice\x00\x01\x02");
    fx
}

#[test]
fn files_with_matches_is_the_default_and_sorted() {
    let fx = corpus();
    let text = fx.ok("Grep", json!({ "pattern": "invoice" }));
    assert_eq!(text, "data/sales.csv\nnotes/a.md");
}

#[test]
fn case_insensitive_search_finds_more() {
    let fx = corpus();
    let text = fx.ok(
        "Grep",
        json!({ "pattern": "INVOICE", "-i": true, "output_mode": "count" }),
    );
    assert_eq!(text, "data/sales.csv:1\nnotes/a.md:2");
}

#[test]
fn content_mode_shows_path_line_and_text() {
    let fx = corpus();
    let text = fx.ok(
        "Grep",
        json!({ "pattern": "invoice", "output_mode": "content", "-i": true }),
    );
    assert_eq!(
        text,
        "data/sales.csv:2:1,invoice 7\nnotes/a.md:2:Invoice 42 paid\nnotes/a.md:5:invoice 43 due"
    );
    let bare = fx.ok(
        "Grep",
        json!({ "pattern": "paid", "output_mode": "content", "-n": false }),
    );
    assert_eq!(bare, "notes/a.md:Invoice 42 paid");
}

#[test]
fn context_lines_use_dashes_and_groups_are_separated() {
    let fx = corpus();
    let text = fx.ok(
        "Grep",
        json!({ "pattern": "(?i)invoice", "output_mode": "content", "-B": 1, "path": "notes" }),
    );
    assert_eq!(
        text,
        "notes/a.md-1-intro\nnotes/a.md:2:Invoice 42 paid\n--\nnotes/a.md-4-more\nnotes/a.md:5:invoice 43 due"
    );
    let both = fx.ok(
        "Grep",
        json!({ "pattern": "42", "output_mode": "content", "-C": 1 }),
    );
    assert_eq!(
        both,
        "notes/a.md-1-intro\nnotes/a.md:2:Invoice 42 paid\nnotes/a.md-3-middle"
    );
    let after = fx.ok(
        "Grep",
        json!({ "pattern": "invoice", "output_mode": "content", "-A": 1, "-i": true }),
    );
    assert_eq!(
        after,
        "data/sales.csv:2:1,invoice 7\n--\nnotes/a.md:2:Invoice 42 paid\nnotes/a.md-3-middle\n--\nnotes/a.md:5:invoice 43 due\nnotes/a.md-6-end"
    );
}

#[test]
fn glob_and_type_filters_narrow_the_files() {
    let fx = corpus();
    assert_eq!(
        fx.ok("Grep", json!({ "pattern": "invoice", "glob": "*.csv" })),
        "data/sales.csv"
    );
    // As in ripgrep, a file named by `glob` or `type` is searched even when
    // hidden; gitignored files stay out.
    let md = ".hidden.md\nnotes/a.md";
    assert_eq!(
        fx.ok(
            "Grep",
            json!({ "pattern": "invoice", "glob": "*.{md,txt}" })
        ),
        md
    );
    assert_eq!(
        fx.ok("Grep", json!({ "pattern": "invoice", "type": "md" })),
        md
    );
    assert_eq!(
        fx.ok("Grep", json!({ "pattern": "invoice", "glob": "!*.csv" })),
        "notes/a.md"
    );
    assert_eq!(
        fx.ok("Grep", json!({ "pattern": "invoice", "type": "csv" })),
        "data/sales.csv"
    );
}

#[test]
fn an_unknown_type_is_invalid_input_listing_valid_ones() {
    let fx = corpus();
    let err = fx
        .call("Grep", json!({ "pattern": "x", "type": "spreadsheet" }))
        .unwrap_err();
    assert!(matches!(err, FileError::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("md, txt, csv"), "{err}");
}

#[test]
fn multiline_patterns_span_lines() {
    let fx = corpus();
    let single = fx.ok(
        "Grep",
        json!({ "pattern": "paid.middle", "output_mode": "content" }),
    );
    assert!(single.starts_with("No matches"), "{single}");
    let text = fx.ok(
        "Grep",
        json!({ "pattern": "paid.middle", "multiline": true, "output_mode": "content" }),
    );
    assert_eq!(text, "notes/a.md:2:Invoice 42 paid\nnotes/a.md:3:middle");
}

#[test]
fn an_invalid_regex_is_invalid_input_with_the_regex_error() {
    let fx = corpus();
    let err = fx
        .call("Grep", json!({ "pattern": "invoice(" }))
        .unwrap_err();
    assert!(matches!(err, FileError::InvalidInput { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("not a valid regular expression") && msg.contains("unclosed group"),
        "{msg}"
    );
}

#[test]
fn a_file_path_searches_just_that_file() {
    let fx = corpus();
    let text = fx.ok(
        "Grep",
        json!({ "pattern": "invoice", "path": "notes/a.md", "output_mode": "count", "-i": true }),
    );
    assert_eq!(text, "notes/a.md:2");
    // Named explicitly, even an ignored or hidden file is searched.
    assert_eq!(
        fx.ok(
            "Grep",
            json!({ "pattern": "invoice", "path": ".hidden.md" })
        ),
        ".hidden.md"
    );
    let missing = fx
        .call("Grep", json!({ "pattern": "x", "path": "nope.md" }))
        .unwrap_err();
    assert!(matches!(missing, FileError::NotFound { .. }), "{missing:?}");
}

#[test]
fn head_limit_caps_the_output_and_says_so() {
    let fx = Fixture::new();
    for i in 0..20 {
        fx.write(&format!("f{i:02}.txt"), "match\n");
    }
    let text = fx.ok("Grep", json!({ "pattern": "match", "head_limit": 3 }));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[..3]
            .iter()
            .all(|l| l.starts_with('f') && l.ends_with(".txt"))
    );
    assert!(lines[3].contains("head_limit"), "{text}");
}

#[test]
fn an_absolute_path_inside_the_first_folder_is_shown_relative() {
    let fx = corpus();
    let abs = fx.root.join("notes");
    let text = fx.ok("Grep", json!({ "pattern": "43", "path": abs }));
    assert_eq!(text, "notes/a.md");
}

#[test]
fn matches_in_a_second_folder_are_shown_with_absolute_paths() {
    let base = tempfile::tempdir().unwrap();
    let base_path = base.path().canonicalize().unwrap();
    let (one, two) = (base_path.join("one"), base_path.join("two"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(two.join("sub")).unwrap();
    std::fs::write(two.join("sub/hit.md"), "needle\n").unwrap();
    let grants = [one, two.clone()].map(|path| FolderGrant {
        path,
        read_only: true,
    });
    let tools = FileTools::new(Arc::new(Folders::open(&grants).unwrap()));
    let hit = two.join("sub/hit.md").display().to_string();
    let grep = tools
        .call("Grep", &json!({ "pattern": "needle", "path": two }))
        .unwrap();
    assert_eq!(grep, hit);
    let glob = tools
        .call("Glob", &json!({ "pattern": "**/*.md", "path": two }))
        .unwrap();
    assert_eq!(glob, hit);
    // Without `path`, only the first folder is searched.
    let first = tools.call("Grep", &json!({ "pattern": "needle" })).unwrap();
    assert!(first.starts_with("No matches"), "{first}");
}

#[test]
fn no_match_says_so() {
    let fx = corpus();
    assert_eq!(
        fx.ok("Grep", json!({ "pattern": "zebra" })),
        "No matches for `zebra` in `.`."
    );
}

#[test]
fn bad_output_mode_and_unknown_fields_are_named() {
    let fx = corpus();
    let err = fx
        .call("Grep", json!({ "pattern": "x", "output_mode": "lines" }))
        .unwrap_err();
    assert!(err.to_string().contains("`output_mode`"), "{err}");
    let err = fx
        .call("Grep", json!({ "pattern": "x", "-x": true }))
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `-x`"), "{err}");
    let err = fx
        .call("Grep", json!({ "pattern": "x", "-A": -1 }))
        .unwrap_err();
    assert!(err.to_string().contains("`-A`"), "{err}");
}

#[test]
fn non_utf8_file_names_are_reported_with_byte_escapes() {
    let fx = Fixture::new();
    std::fs::write(
        fx.root.join(OsStr::from_bytes(b"r\xe9sum\xe9.txt")),
        "skills\n",
    )
    .unwrap();
    let text = fx.ok(
        "Grep",
        json!({ "pattern": "skills", "output_mode": "content" }),
    );
    assert_eq!(text, "r\\xE9sum\\xE9.txt:1:skills");
}

#[test]
fn a_large_tree_is_searched_completely() {
    let fx = Fixture::new();
    for i in 0..600 {
        let body = if i % 50 == 0 { "needle\n" } else { "hay\n" };
        fx.write(&format!("d{}/s{}/f{i}.txt", i % 10, i % 3), body);
    }
    let text = fx.ok("Grep", json!({ "pattern": "needle" }));
    assert_eq!(text.lines().count(), 12, "{text}");
}
