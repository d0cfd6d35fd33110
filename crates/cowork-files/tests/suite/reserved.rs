//! cowork's own state (its data dir and configuration) is concealed from
//! every file tool whatever the grants. Regression for "cowork's own state
//! is reachable through a grant": with `--folder ~`, a task could read
//! other tasks' transcripts, forge trash entries, overwrite journal blobs
//! or rewrite `config.toml`.

use serde_json::json;

use cowork_files::FileError;

use super::grants::Nest;

/// `x` granted read-write; `x/data` (cowork's data dir) and
/// `x/cfg/config.toml` (its configuration) reserved.
fn home() -> Nest {
    Nest::with(
        &[("", false)],
        |root| {
            std::fs::create_dir_all(root.join("data/trash/t1")).unwrap();
            std::fs::write(root.join("data/cowork.db"), "SECRET transcript").unwrap();
            std::fs::write(root.join("data/trash/t1/info"), "SECRET trash").unwrap();
            std::fs::create_dir_all(root.join("cfg")).unwrap();
            std::fs::write(root.join("cfg/config.toml"), "mode = \"ask\"\n").unwrap();
            std::fs::write(root.join("cfg/other.txt"), "plain").unwrap();
            std::fs::write(root.join("notes.txt"), "notes").unwrap();
            std::os::unix::fs::symlink("data", root.join("alias")).unwrap();
        },
        &[],
        &["data", "cfg/config.toml"],
    )
}

#[test]
fn cowork_s_own_files_are_answered_as_missing_by_every_tool() {
    let n = home();
    for path in [
        "data",
        "data/cowork.db",
        "data/trash/t1/info",
        "data/none",
        "alias/cowork.db",
        "notes.txt/../data/cowork.db",
        "cfg/config.toml",
    ] {
        let missing = FileError::NotFound {
            path: path.to_owned(),
        }
        .to_string();
        for (tool, input) in [
            ("Read", json!({"file_path": path})),
            ("LS", json!({"path": path})),
            ("Grep", json!({"pattern": "SECRET", "path": path})),
            (
                "Edit",
                json!({"file_path": path, "old_string": "ask", "new_string": "auto"}),
            ),
            ("Delete", json!({"path": path})),
            ("Move", json!({"from": path, "to": "stolen"})),
        ] {
            let err = n.err(tool, input.clone());
            assert_eq!(err.to_string(), missing, "{tool} {input}");
        }
    }
    assert_eq!(n.read("cfg/config.toml"), "mode = \"ask\"\n");
    assert_eq!(n.read("data/cowork.db"), "SECRET transcript");
}

#[test]
fn cowork_s_own_files_cannot_be_created_or_replaced() {
    let n = home();
    for path in [
        "cfg/config.toml",
        "data/trash/forged/info",
        "data/blobs/ab",
        "alias/new",
    ] {
        let err = n.err(
            "Write",
            json!({"file_path": path, "content": "mode = \"auto\""}),
        );
        assert!(matches!(err, FileError::Hidden { .. }), "{path}: {err}");
    }
    let err = n.err("Mkdir", json!({"path": "data/trash/forged"}));
    assert!(matches!(err, FileError::Hidden { .. }), "{err}");
    let err = n.err(
        "Move",
        json!({"from": "notes.txt", "to": "cfg/config.toml", "overwrite": true}),
    );
    assert!(matches!(err, FileError::Hidden { .. }), "{err}");
    let err = n.tools.save("data/x.pdf", b"%PDF".to_vec()).unwrap_err();
    assert!(matches!(err, FileError::Hidden { .. }), "{err}");
    assert_eq!(n.read("cfg/config.toml"), "mode = \"ask\"\n");
    assert!(!n.root.join("data/trash/forged").exists());
    // The rest of the configuration folder is the person's own.
    n.call(
        "Write",
        json!({"file_path": "cfg/other.txt", "content": "mine"}),
    )
    .unwrap();
}

#[test]
fn walks_and_listings_never_show_cowork_s_own_files() {
    let n = home();
    let grep = n
        .call(
            "Grep",
            json!({"pattern": "SECRET", "output_mode": "content"}),
        )
        .unwrap();
    assert!(
        !grep.contains("transcript") && !grep.contains("trash"),
        "{grep}"
    );
    let glob = n.call("Glob", json!({"pattern": "**/*"})).unwrap();
    assert!(
        !glob.contains("data/") && !glob.contains("config.toml"),
        "{glob}"
    );
    assert!(glob.contains("notes.txt"), "{glob}");
    let ls = n.call("LS", json!({})).unwrap();
    assert!(!ls.lines().any(|l| l.starts_with("data")), "{ls}");
    let ls = n.call("LS", json!({"path": "cfg"})).unwrap();
    assert!(
        !ls.contains("config.toml") && ls.contains("other.txt"),
        "{ls}"
    );
}

#[test]
fn a_folder_holding_cowork_s_own_files_cannot_be_moved_or_deleted() {
    let n = Nest::with(
        &[("", false)],
        |root| {
            std::fs::create_dir_all(root.join("share/cowork")).unwrap();
            std::fs::write(root.join("share/cowork/cowork.db"), "db").unwrap();
        },
        &[],
        &["share/cowork"],
    );
    for (tool, input) in [
        ("Move", json!({"from": "share", "to": "moved"})),
        ("Delete", json!({"path": "share"})),
    ] {
        let err = n.err(tool, input.clone());
        assert!(
            matches!(&err, FileError::InvalidPath { why, .. } if why.contains("may not see")),
            "{tool} {input}: {err}"
        );
    }
    assert_eq!(n.read("share/cowork/cowork.db"), "db");
}

#[test]
fn a_reserved_path_that_does_not_exist_yet_cannot_be_created() {
    let n = Nest::with(&[("", false)], |_| {}, &[], &["later/cowork"]);
    let err = n.err(
        "Write",
        json!({"file_path": "later/cowork/config.toml", "content": "x"}),
    );
    assert!(matches!(err, FileError::Hidden { .. }), "{err}");
    n.call("Mkdir", json!({"path": "later"})).unwrap();
    let err = n.err("Mkdir", json!({"path": "later/cowork"}));
    assert!(matches!(err, FileError::Hidden { .. }), "{err}");
}
