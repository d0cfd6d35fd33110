//! Nested grants: the deepest folder containing a path decides whether it
//! may change, for every writing tool and however the path is spelled.
//! Regression tests for "a read-only folder nested in a read-write one can
//! be written" (`--folder x --folder x/sub:ro`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cowork_files::{FileError, FileTools, Folders, Journal, JournalStore};
use cowork_protocol::FolderGrant;
use serde_json::{Value, json};

use super::work::VecSink;

/// A journaled set of tools over `grants` (paths relative to the temp
/// dir's `x`), hiding `hidden` globs and reserving `reserved` paths.
pub struct Nest {
    /// Kept so the temp dir lives as long as the tools.
    _base: tempfile::TempDir,
    /// `base/x`, canonical.
    pub root: PathBuf,
    pub tools: FileTools,
}

impl Nest {
    pub fn new(grants: &[(&str, bool)], prepare: impl FnOnce(&Path)) -> Self {
        Self::with(grants, prepare, &[], &[])
    }

    pub fn with(
        grants: &[(&str, bool)],
        prepare: impl FnOnce(&Path),
        hidden: &[&str],
        reserved: &[&str],
    ) -> Self {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().canonicalize().unwrap().join("x");
        std::fs::create_dir(&root).unwrap();
        prepare(&root);
        let grants: Vec<FolderGrant> = grants
            .iter()
            .map(|(rel, read_only)| FolderGrant {
                path: root.join(rel),
                read_only: *read_only,
            })
            .collect();
        let hidden: Vec<String> = hidden
            .iter()
            .map(|h| h.replace("ROOT", &root.display().to_string()))
            .collect();
        let reserved: Vec<PathBuf> = reserved.iter().map(|r| root.join(r)).collect();
        let folders = Folders::open(&grants)
            .unwrap()
            .with_hidden(&hidden)
            .unwrap()
            .with_reserved(&reserved);
        let store = Arc::new(JournalStore::open(&base.path().join("data")).unwrap());
        let journal = Journal {
            store,
            sink: Arc::new(VecSink::default()),
            task: Some("task-1".to_owned()),
        };
        let tools = FileTools::with_journal(Arc::new(folders), journal);
        Self {
            _base: base,
            root,
            tools,
        }
    }

    pub fn call(&self, tool: &str, input: Value) -> Result<String, FileError> {
        self.tools.call(tool, &input)
    }

    #[track_caller]
    pub fn err(&self, tool: &str, input: Value) -> FileError {
        match self.call(tool, input.clone()) {
            Ok(text) => panic!("{tool} {input} should have failed but said: {text}"),
            Err(err) => err,
        }
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[track_caller]
fn assert_read_only(err: &FileError, folder: &Path) {
    match err {
        FileError::ReadOnly { folder: f, .. } => assert_eq!(f, folder, "{err}"),
        other => panic!("expected ReadOnly for {}, got: {other}", folder.display()),
    }
}

/// `x` read-write with `x/sub` read-only; `sub/keep.txt` holds KEEP.
fn nested() -> Nest {
    Nest::new(&[("", false), ("sub", true)], |root| {
        write(root, "sub/keep.txt", "KEEP\n");
        write(root, "sub/deep/file.txt", "DEEP\n");
        write(root, "a/file.txt", "A\n");
        write(root, "out.txt", "OUT\n");
        std::os::unix::fs::symlink("sub", root.join("sub2")).unwrap();
    })
}

#[test]
fn every_writing_tool_refuses_a_read_only_folder_nested_in_a_writable_one() {
    let n = nested();
    let sub = n.root.join("sub");
    let calls = [
        ("Write", json!({"file_path": "sub/new.txt", "content": "x"})),
        (
            "Write",
            json!({"file_path": "sub/keep.txt", "content": "x"}),
        ),
        (
            "Write",
            json!({"file_path": "sub/d/e/new.txt", "content": "x"}),
        ),
        (
            "Edit",
            json!({"file_path": "sub/keep.txt", "old_string": "KEEP", "new_string": "GONE"}),
        ),
        ("Mkdir", json!({"path": "sub/newdir"})),
        ("Delete", json!({"path": "sub/keep.txt"})),
        ("Delete", json!({"path": "sub/deep"})),
        ("Move", json!({"from": "sub/keep.txt", "to": "moved.txt"})),
        ("Move", json!({"from": "out.txt", "to": "sub/in.txt"})),
        ("Move", json!({"from": "out.txt", "to": "sub/"})),
    ];
    for (tool, input) in calls {
        assert_read_only(&n.err(tool, input.clone()), &sub);
        assert!(n.tools.preview(tool, &input).is_err(), "{tool} {input}");
    }
    assert_read_only(
        &n.tools.save("sub/doc.pdf", b"%PDF".to_vec()).unwrap_err(),
        &sub,
    );
    assert!(
        n.tools
            .preview_save("sub/doc.pdf", b"%PDF".to_vec())
            .is_err()
    );
    assert_eq!(n.read("sub/keep.txt"), "KEEP\n");
    assert!(!n.root.join("sub/new.txt").exists() && !n.root.join("sub/in.txt").exists());
    assert!(!n.root.join("sub/d").exists() && !n.root.join("sub/newdir").exists());
    assert_eq!(n.read("out.txt"), "OUT\n");
}

#[test]
fn a_nested_read_only_folder_is_refused_under_every_spelling() {
    let n = nested();
    let sub = n.root.join("sub");
    let abs = n.root.join("sub/keep.txt").display().to_string();
    for path in [
        "sub2/keep.txt",
        "sub2/new.txt",
        "a/../sub/keep.txt",
        "./sub//keep.txt",
        abs.as_str(),
    ] {
        let err = n.err("Write", json!({"file_path": path, "content": "x"}));
        assert_read_only(&err, &sub);
    }
    assert_eq!(n.read("sub/keep.txt"), "KEEP\n");
}

#[test]
fn the_root_of_a_nested_read_only_folder_cannot_be_replaced_moved_or_deleted() {
    let n = nested();
    let sub = n.root.join("sub");
    assert_read_only(
        &n.err("Write", json!({"file_path": "sub", "content": "x"})),
        &sub,
    );
    assert_read_only(&n.err("Delete", json!({"path": "sub"})), &sub);
    assert_read_only(&n.err("Mkdir", json!({"path": "sub"})), &sub);
    assert_read_only(
        &n.err("Move", json!({"from": "sub", "to": "elsewhere"})),
        &sub,
    );
    assert_read_only(
        &n.err(
            "Move",
            json!({"from": "out.txt", "to": "sub", "overwrite": true}),
        ),
        &sub,
    );
    assert_eq!(n.read("sub/keep.txt"), "KEEP\n");
}

#[test]
fn a_writable_folder_holding_a_read_only_one_cannot_be_moved_or_deleted() {
    let n = Nest::new(&[("", false), ("p/sub", true)], |root| {
        write(root, "p/sub/keep.txt", "KEEP\n");
        write(root, "p/other.txt", "O\n");
        write(root, "q/file.txt", "Q\n");
    });
    for (tool, input) in [
        ("Move", json!({"from": "p", "to": "moved"})),
        ("Delete", json!({"path": "p"})),
        ("Move", json!({"from": "p", "to": "q/"})),
    ] {
        let err = n.err(tool, input.clone());
        assert!(
            matches!(&err, FileError::InvalidPath { why, .. } if why.contains("connected folder")),
            "{tool} {input}: {err}"
        );
    }
    assert_eq!(n.read("p/sub/keep.txt"), "KEEP\n");
    // What is beside the read-only folder still changes.
    n.call("Delete", json!({"path": "p/other.txt"})).unwrap();
}

#[test]
fn a_writable_folder_nested_in_a_read_only_one_can_be_written() {
    let n = Nest::new(&[("", true), ("sub", false)], |root| {
        write(root, "sub/a.txt", "A\n");
        write(root, "top.txt", "T\n");
    });
    n.call("Write", json!({"file_path": "sub/b.txt", "content": "B"}))
        .unwrap();
    assert_eq!(n.read("sub/b.txt"), "B");
    assert_read_only(
        &n.err("Write", json!({"file_path": "top.txt", "content": "x"})),
        &n.root,
    );
}

#[test]
fn the_deepest_grant_decides_for_a_real_path() {
    let n = nested();
    let folders = n.tools.folders();
    let grant = folders
        .grant_for(&n.root.join("sub/deep/file.txt"))
        .unwrap();
    assert!(grant.read_only);
    assert!(
        !folders
            .grant_for(&n.root.join("subway/x"))
            .unwrap()
            .read_only
    );
    assert!(folders.grant_for(Path::new("/elsewhere")).is_none());
}

/// Regression for "moving a denied folder's parent makes its files
/// readable under the new name": a rule naming a tool (here: Read) hides
/// nothing, so renaming was the way around it. A Move may not carry a path
/// a deny rule names to a name the rule does not cover.
#[test]
fn a_move_cannot_rename_a_path_out_of_its_deny_rule() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().canonicalize().unwrap();
    for rel in ["parent/private/hr.txt", "notes/a.md", "notes/b.txt", "c.md"] {
        write(&root, rel, "x");
    }
    let folders = Folders::open(&[FolderGrant {
        path: root.clone(),
        read_only: false,
    }])
    .unwrap()
    .with_protected(&[
        format!("{}/parent/private", root.display()),
        format!("{}/parent/private/**", root.display()),
        "**/*.md".to_owned(),
    ])
    .unwrap();
    let journal = Journal {
        store: Arc::new(JournalStore::open(&root.join(".data")).unwrap()),
        sink: Arc::new(VecSink::default()),
        task: None,
    };
    let tools = FileTools::with_journal(Arc::new(folders), journal);
    for (from, to) in [
        ("parent", "open"),
        ("parent/private", "public"),
        ("parent/private/hr.txt", "hr.txt"),
        ("c.md", "c.txt"),
    ] {
        let input = json!({"from": from, "to": to});
        let err = tools.call("Move", &input).unwrap_err();
        assert!(
            err.to_string().contains("deny rule"),
            "{from} → {to}: {err}"
        );
    }
    assert!(root.join("parent/private/hr.txt").exists());
    // Names the rules still cover after the move are fine.
    tools
        .call("Move", &json!({"from": "notes", "to": "docs"}))
        .unwrap();
    tools
        .call("Move", &json!({"from": "c.md", "to": "docs/c.md"}))
        .unwrap();
}
