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
        // Answered as missing: the model cannot tell a hidden file exists.
        assert!(matches!(err, FileError::NotFound { .. }), "{path}: {err}");
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

/// Regression for "deny rules leak through the write tools": Edit's
/// answers told a hidden file's content character by character, Write's
/// preview showed it. Every call needing an existing entry answers a
/// hidden path exactly as a missing one, whatever the content.
#[test]
fn edit_of_a_hidden_file_answers_exactly_as_a_missing_file_whatever_its_content() {
    let n = super::grants::Nest::with(
        &[("", false)],
        |root| {
            std::fs::write(root.join("id.key"), "SECRET-KEY SECRET-KEY").unwrap();
        },
        &["**/*.key"],
        &[],
    );
    for old in ["SECRET-KEY", "S", "not in it", "SECRET-KEY SECRET-KEY"] {
        let input = json!({"file_path": "id.key", "old_string": old, "new_string": "x"});
        let err = n.err("Edit", input.clone());
        let missing = FileError::NotFound {
            path: "id.key".to_owned(),
        };
        assert_eq!(err.to_string(), missing.to_string(), "{old}");
        let preview = n.tools.preview("Edit", &input).unwrap_err();
        assert_eq!(preview.to_string(), missing.to_string());
    }
    assert_eq!(n.read("id.key"), "SECRET-KEY SECRET-KEY");
}

#[test]
fn write_to_a_hidden_path_is_refused_alike_whether_it_exists_or_not() {
    let n = super::grants::Nest::with(
        &[("", false)],
        |root| {
            std::fs::write(root.join("id.key"), "SECRET-KEY").unwrap();
            std::fs::create_dir(root.join("tax")).unwrap();
            std::fs::write(root.join("tax/2025.txt"), "SECRET income").unwrap();
        },
        &["**/*.key", "ROOT/tax", "ROOT/tax/**"],
        &[],
    );
    let answer = |path: &str| {
        let input = json!({"file_path": path, "content": "new"});
        let preview = n.tools.preview("Write", &input).unwrap_err().to_string();
        let err = n.err("Write", input);
        assert!(matches!(err, FileError::Hidden { .. }), "{path}: {err}");
        assert!(!preview.contains("SECRET"), "{preview}");
        err.to_string().replace(path, "PATH")
    };
    assert_eq!(answer("id.key"), answer("other.key"));
    assert_eq!(answer("tax/2025.txt"), answer("tax/2026.txt"));
    assert_eq!(answer("tax/2025.txt"), answer("tax/new/deep.txt"));
    assert_eq!(n.read("id.key"), "SECRET-KEY");
    assert!(!n.root.join("other.key").exists());
}

/// Every tool, reading or changing, answers a hidden path, existing or
/// not, exactly as a path that does not exist, also where the lookup
/// would otherwise stop at a file inside the hidden place.
#[test]
fn every_tool_answers_a_hidden_path_exactly_as_a_missing_one() {
    let n = super::grants::Nest::with(
        &[("", false)],
        |root| {
            std::fs::write(root.join("id.key"), "SECRET-KEY").unwrap();
            std::fs::create_dir_all(root.join("tax/2025")).unwrap();
            std::fs::write(root.join("tax/2025/a.txt"), "SECRET income").unwrap();
            std::fs::write(root.join("tax/file"), "SECRET").unwrap();
            std::fs::write(root.join("notes.txt"), "plain").unwrap();
        },
        &["**/*.key", "ROOT/tax", "ROOT/tax/**"],
        &[],
    );
    let paths = [
        "id.key",
        "gone.key",
        "id.key/below",
        "tax",
        "tax/2025/a.txt",
        "tax/2025/none.txt",
        "tax/none/none.txt",
        "tax/file/below",
        // Passing through the hidden folder would tell whether it exists.
        "tax/2025/../../notes.txt",
        "tax/none/../../notes.txt",
    ];
    for path in paths {
        let missing = FileError::NotFound {
            path: path.to_owned(),
        }
        .to_string();
        let calls = [
            ("Read", json!({"file_path": path})),
            ("LS", json!({"path": path})),
            ("Glob", json!({"pattern": "*", "path": path})),
            ("Grep", json!({"pattern": "SECRET", "path": path})),
            (
                "Edit",
                json!({"file_path": path, "old_string": "SECRET", "new_string": "x"}),
            ),
            ("Delete", json!({"path": path})),
            ("Move", json!({"from": path, "to": "elsewhere"})),
        ];
        for (tool, input) in calls {
            let err = n.err(tool, input.clone());
            assert_eq!(err.to_string(), missing, "{tool} {input}");
            let targets = n.tools.targets(tool, &input).unwrap_err().to_string();
            assert_eq!(targets, missing, "targets of {tool} {input}");
        }
    }
    assert_eq!(n.read("tax/2025/a.txt"), "SECRET income");
}

/// Regression for "deny rules depend on spelling": `pub/../private/x`, a
/// link to the hidden folder, or an absolute spelling reached it.
#[test]
fn a_hidden_folder_is_hidden_under_every_spelling() {
    let n = super::grants::Nest::with(
        &[("", false)],
        |root| {
            std::fs::create_dir_all(root.join("private")).unwrap();
            std::fs::create_dir_all(root.join("pub")).unwrap();
            std::fs::write(root.join("private/hr.txt"), "SECRET salaries").unwrap();
            std::os::unix::fs::symlink("private", root.join("alias")).unwrap();
            std::os::unix::fs::symlink("../private", root.join("pub/up")).unwrap();
        },
        &["ROOT/private", "ROOT/private/**"],
        &[],
    );
    let abs = n.root.join("pub/../private/hr.txt").display().to_string();
    for path in [
        "pub/../private/hr.txt",
        "alias/hr.txt",
        "pub/up/hr.txt",
        "./private/./hr.txt",
        abs.as_str(),
    ] {
        let err = n.err("Read", json!({"file_path": path}));
        assert!(matches!(err, FileError::NotFound { .. }), "{path}: {err}");
        let err = n.err("Write", json!({"file_path": path, "content": "x"}));
        assert!(matches!(err, FileError::Hidden { .. }), "{path}: {err}");
    }
    for dir in ["alias", "pub/up", "pub/.."] {
        let grep = n.call("Grep", json!({"pattern": "SECRET", "path": dir}));
        assert!(
            grep.as_ref().map_or(true, |out| !out.contains("salaries")),
            "{dir}: {grep:?}"
        );
    }
    assert_eq!(n.read("private/hr.txt"), "SECRET salaries");
}

/// Moving a folder whose subtree holds a hidden path would give it a name
/// the rule does not cover; deleting it would destroy what the task may
/// not see. Both are refused; a file cannot be moved INTO a hidden name.
#[test]
fn a_folder_holding_a_hidden_path_cannot_be_moved_or_deleted() {
    let n = super::grants::Nest::with(
        &[("", false)],
        |root| {
            std::fs::create_dir_all(root.join("docs/deep")).unwrap();
            std::fs::write(root.join("docs/deep/id.key"), "SECRET-KEY").unwrap();
            std::fs::write(root.join("docs/readme.txt"), "hello").unwrap();
            std::fs::write(root.join("plain.txt"), "plain").unwrap();
        },
        &["**/*.key"],
        &[],
    );
    for (tool, input) in [
        ("Move", json!({"from": "docs", "to": "docs2"})),
        ("Move", json!({"moves": [{"from": "docs", "to": "other"}]})),
        ("Delete", json!({"path": "docs"})),
    ] {
        let err = n.err(tool, input.clone());
        assert!(
            matches!(&err, FileError::InvalidPath { why, .. } if why.contains("may not see")),
            "{tool} {input}: {err}"
        );
    }
    let err = n.err("Move", json!({"from": "plain.txt", "to": "plain.key"}));
    assert!(matches!(err, FileError::Hidden { .. }), "{err}");
    assert_eq!(n.read("docs/deep/id.key"), "SECRET-KEY");
    // A folder without hidden content still moves.
    n.call(
        "Move",
        json!({"from": "docs/readme.txt", "to": "readme.txt"}),
    )
    .unwrap();
}

/// The paths handed to the permission engine are real and normalised, and
/// a moved or deleted folder's whole subtree is among them (both names).
#[test]
fn targets_are_real_normalised_paths_including_what_a_folder_carries() {
    let n = super::grants::Nest::new(&[("", false)], |root| {
        std::fs::create_dir_all(root.join("private/inner")).unwrap();
        std::fs::create_dir_all(root.join("pub")).unwrap();
        std::fs::write(root.join("private/inner/hr.txt"), "x").unwrap();
        std::os::unix::fs::symlink("private", root.join("alias")).unwrap();
    });
    let r = &n.root;
    let read = n
        .tools
        .targets("Read", &json!({"file_path": "pub/../private/inner/hr.txt"}))
        .unwrap();
    assert_eq!(read, vec![r.join("private/inner/hr.txt")]);
    let read = n
        .tools
        .targets("Read", &json!({"file_path": "alias/inner/hr.txt"}))
        .unwrap();
    assert_eq!(read, vec![r.join("private/inner/hr.txt")]);
    let write = n
        .tools
        .targets(
            "Write",
            &json!({"file_path": "alias/new.txt", "content": "x"}),
        )
        .unwrap();
    assert_eq!(write, vec![r.join("private/new.txt")]);
    let moved = n
        .tools
        .targets("Move", &json!({"from": "pub/../private", "to": "moved"}))
        .unwrap();
    for expected in [
        "private",
        "moved",
        "private/inner",
        "moved/inner",
        "private/inner/hr.txt",
        "moved/inner/hr.txt",
    ] {
        assert!(moved.contains(&r.join(expected)), "{expected}: {moved:?}");
    }
    let preview = n
        .tools
        .preview("Move", &json!({"from": "private", "to": "moved"}))
        .unwrap();
    assert_eq!(preview.paths.len(), moved.len());
    let deleted = n
        .tools
        .targets("Delete", &json!({"path": "private"}))
        .unwrap();
    assert!(
        deleted.contains(&r.join("private/inner/hr.txt")),
        "{deleted:?}"
    );
}
