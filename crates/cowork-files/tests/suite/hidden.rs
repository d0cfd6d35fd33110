//! Paths hidden by deny rules: refused when named, skipped when walking,
//! and not reachable through a link.

use std::sync::Arc;

use serde_json::json;

use cowork_files::{FileError, FileTools, Folders};
use cowork_protocol::FolderGrant;

fn setup() -> (tempfile::TempDir, FileTools) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("id.key"), "SECRET-KEY").unwrap();
    std::fs::write(root.join("notes.txt"), "SECRET mentioned here").unwrap();
    std::fs::create_dir(root.join("tax")).unwrap();
    std::fs::write(root.join("tax/2025.txt"), "SECRET income").unwrap();
    std::os::unix::fs::symlink("id.key", root.join("innocent.txt")).unwrap();
    let grant = FolderGrant {
        path: root.clone(),
        read_only: false,
    };
    let tax = root.join("tax").display().to_string();
    let hidden = vec!["**/*.key".to_owned(), tax.clone(), format!("{tax}/**")];
    let folders = Folders::open(&[grant])
        .unwrap()
        .with_hidden(&hidden)
        .unwrap();
    (dir, FileTools::new(Arc::new(folders)))
}

#[test]
fn a_hidden_file_cannot_be_read_even_through_a_link() {
    let (_dir, tools) = setup();
    for path in ["id.key", "innocent.txt", "tax/2025.txt", "tax"] {
        let tool = if path == "tax" { "LS" } else { "Read" };
        let key = if path == "tax" { "path" } else { "file_path" };
        let err = tools.call(tool, &json!({ key: path })).unwrap_err();
        assert!(matches!(err, FileError::Hidden { .. }), "{path}: {err}");
        assert!(err.to_string().contains("deny rule"));
    }
    assert!(
        tools
            .call("Read", &json!({"file_path": "notes.txt"}))
            .is_ok()
    );
}

#[test]
fn searches_and_listings_skip_hidden_paths() {
    let (_dir, tools) = setup();
    let grep = tools
        .call(
            "Grep",
            &json!({"pattern": "SECRET", "output_mode": "content"}),
        )
        .unwrap();
    assert!(grep.contains("notes.txt"), "{grep}");
    assert!(
        !grep.contains("SECRET-KEY") && !grep.contains("income"),
        "{grep}"
    );
    let glob = tools.call("Glob", &json!({"pattern": "**/*"})).unwrap();
    assert!(!glob.contains("id.key") && !glob.contains("2025"), "{glob}");
    let ls = tools.call("LS", &json!({})).unwrap();
    let entries: Vec<&str> = ls.lines().skip(1).collect();
    assert!(
        entries
            .iter()
            .all(|l| !l.starts_with("id.key") && !l.starts_with("tax")),
        "{ls}"
    );
    assert!(ls.contains("notes.txt"));
}
