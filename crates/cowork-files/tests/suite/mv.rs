//! Move: single, batch, into folders, overwrite.

use std::os::unix::fs::MetadataExt;

use cowork_files::FileError;
use cowork_protocol::Change;
use serde_json::json;

use super::work::Work;

#[test]
fn move_renames_a_file_and_records_its_identity() {
    let w = Work::new();
    let inode = std::fs::metadata(w.write("a.txt", "A")).unwrap().ino();
    let out = w.ok("Move", json!({"from": "a.txt", "to": "b.txt"}));
    assert_eq!(out, "Moved `a.txt` to `b.txt`.");
    assert!(!w.exists("a.txt"));
    assert_eq!(w.read("b.txt"), "A");
    match &w.changes()[..] {
        [Change::Moved { from, to, stamp }] => {
            assert_eq!(from.0, w.path("a.txt"));
            assert_eq!(to.0, w.path("b.txt"));
            assert_eq!(stamp.inode, inode);
            assert_eq!(stamp.size, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn move_into_an_existing_folder_or_a_trailing_slash() {
    let w = Work::new();
    w.write("a.txt", "A");
    w.write("b.txt", "B");
    std::fs::create_dir(w.path("dir")).unwrap();
    w.ok("Move", json!({"from": "a.txt", "to": "dir"}));
    assert_eq!(w.read("dir/a.txt"), "A");
    w.ok("Move", json!({"from": "b.txt", "to": "new/"}));
    assert_eq!(w.read("new/b.txt"), "B");
}

#[test]
fn move_refuses_to_overwrite_unless_asked() {
    let w = Work::new();
    w.write("a.txt", "A");
    w.write("b.txt", "B");
    let err = w.err("Move", json!({"from": "a.txt", "to": "b.txt"}));
    assert!(matches!(err, FileError::Exists { .. }), "{err:?}");
    assert!(err.to_string().contains("overwrite: true"), "{err}");
    assert_eq!(w.read("b.txt"), "B");
    assert!(w.changes().is_empty());
}

#[test]
fn move_with_overwrite_sends_the_replaced_target_to_the_trash() {
    let w = Work::new();
    w.write("a.txt", "A");
    w.write("b.txt", "B");
    w.ok(
        "Move",
        json!({"from": "a.txt", "to": "b.txt", "overwrite": true}),
    );
    assert_eq!(w.read("b.txt"), "A");
    let changes = w.changes();
    let Change::Trashed { trash_id, path, .. } = &changes[0] else {
        panic!("{changes:?}")
    };
    assert_eq!(path.0, w.path("b.txt"));
    assert!(matches!(&changes[1], Change::Moved { .. }));
    let trashed = std::fs::read_to_string(w.store.trash().item_path(trash_id)).unwrap();
    assert_eq!(trashed, "B");
    let entries = w.store.trash().list().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].task.as_deref(), Some("task-1"));
}

#[test]
fn batch_move_creates_parents_and_records_one_call() {
    let w = Work::new();
    for name in ["a.pdf", "b.pdf", "c.txt"] {
        w.write(name, name);
    }
    let out = w.ok(
        "Move",
        json!({"moves": [
            {"from": "a.pdf", "to": "docs/pdf/a.pdf"},
            {"from": "b.pdf", "to": "docs/pdf/"},
            {"from": "c.txt", "to": "docs/text/c.txt"},
        ]}),
    );
    assert_eq!(out, "Moved 3 items.");
    assert_eq!(w.read("docs/pdf/a.pdf"), "a.pdf");
    assert_eq!(w.read("docs/pdf/b.pdf"), "b.pdf");
    assert_eq!(w.read("docs/text/c.txt"), "c.txt");
    assert_eq!(
        *w.sink.calls.lock().unwrap(),
        vec![6],
        "3 dirs + 3 moves in one record"
    );
    let dirs: Vec<_> = w
        .changes()
        .into_iter()
        .filter_map(|c| match c {
            Change::DirCreated { path } => Some(path.0),
            _ => None,
        })
        .collect();
    assert_eq!(
        dirs,
        vec![w.path("docs"), w.path("docs/pdf"), w.path("docs/text")]
    );
}

#[test]
fn a_batch_with_one_bad_move_moves_nothing() {
    let w = Work::new();
    w.write("a.txt", "A");
    w.write("b.txt", "B");
    let err = w.err(
        "Move",
        json!({"moves": [
            {"from": "a.txt", "to": "x/a.txt"},
            {"from": "missing.txt", "to": "x/m.txt"},
        ]}),
    );
    assert!(matches!(err, FileError::NotFound { .. }), "{err:?}");
    assert!(w.exists("a.txt"));
    assert!(!w.exists("x"));
    assert!(w.changes().is_empty());
}

#[test]
fn overlapping_moves_in_a_batch_are_refused() {
    let w = Work::new();
    w.write("d/a.txt", "A");
    w.write("b.txt", "B");
    let err = w.err(
        "Move",
        json!({"moves": [{"from": "d", "to": "e"}, {"from": "d/a.txt", "to": "a.txt"}]}),
    );
    assert!(err.to_string().contains("overlap"), "{err}");
    let err = w.err(
        "Move",
        json!({"moves": [{"from": "b.txt", "to": "c.txt"}, {"from": "d/a.txt", "to": "c.txt"}]}),
    );
    assert!(err.to_string().contains("overlap"), "{err}");
    assert!(w.changes().is_empty());
}

#[test]
fn a_folder_cannot_move_into_itself() {
    let w = Work::new();
    w.write("d/a.txt", "A");
    let err = w.err("Move", json!({"from": "d", "to": "d/sub/d"}));
    assert!(err.to_string().contains("into itself"), "{err}");
}

#[test]
fn moving_a_symlink_moves_the_link_not_its_target() {
    let w = Work::new();
    w.write("real.txt", "R");
    std::os::unix::fs::symlink("../outside.txt", w.path("link")).unwrap();
    w.ok("Move", json!({"from": "link", "to": "sub/link2"}));
    let meta = w.path("sub/link2").symlink_metadata().unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(
        std::fs::read_to_string(w.outside().join("outside.txt")).unwrap(),
        super::SECRET
    );
}

#[test]
fn move_preview_lists_moves_and_caps_them() {
    let w = Work::new();
    let mut moves = Vec::new();
    for i in 0..60 {
        w.write(format!("f{i}.txt"), "x");
        moves.push(json!({"from": format!("f{i}.txt"), "to": format!("out/f{i}.txt")}));
    }
    let preview = w.tools.preview("Move", &json!({"moves": moves})).unwrap();
    assert!(
        preview.summary.contains("f0.txt → out/f0.txt"),
        "{}",
        preview.summary
    );
    assert!(
        preview.summary.contains("… and 10 more"),
        "{}",
        preview.summary
    );
    assert_eq!(preview.paths.len(), 120);
    assert!(w.exists("f0.txt"));
}

#[test]
fn move_needs_from_and_to_or_moves() {
    let w = Work::new();
    let err = w.err("Move", json!({"from": "a"}));
    assert!(err.to_string().contains("`moves`"), "{err}");
}
