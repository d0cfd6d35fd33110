//! Undo: a task's changes put back exactly, conflicts, idempotence.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use cowork_files::FileError;
use cowork_files::undo::UndoAction;
use serde_json::json;

use super::work::{Work, assert_same_tree, latin1, manifest};

/// A nested tree of a few hundred files, some named in Latin-1, with
/// empty folders and a symlink.
fn build_tree(w: &Work) {
    for top in 0..6 {
        for sub in 0..5 {
            for file in 0..10 {
                let ext = ["txt", "md", "csv"][file % 3];
                w.write(
                    format!("dir{top}/sub{sub}/file{file}.{ext}"),
                    format!("content {top}/{sub}/{file}\nline two\n"),
                );
            }
        }
        std::fs::create_dir(w.path(&format!("dir{top}/empty"))).unwrap();
    }
    for i in 0..5 {
        let name = std::path::Path::new("latin").join(latin1(&format!("{i}.txt")));
        w.write(name, format!("fran\u{e7}ais {i}\n"));
    }
    let raw = OsString::from_vec(b"raw\xff\xfe".to_vec());
    std::fs::create_dir_all(w.path("latin").join(&raw)).unwrap();
    std::os::unix::fs::symlink("dir0/sub0/file0.txt", w.path("link")).unwrap();
}

/// Many calls of every write tool, as a task would make them.
fn run_task(w: &Work) {
    w.ok(
        "Write",
        json!({"file_path": "new/a/b/created.txt", "content": "created\n"}),
    );
    w.ok(
        "Write",
        json!({"file_path": "dir0/sub0/file0.txt", "content": "replaced\n"}),
    );
    w.ok("Edit", json!({"file_path": "dir0/sub1/file1.md", "old_string": "line two", "new_string": "LINE 2"}));
    w.ok("Edit", json!({"file_path": "dir0/sub1/file1.md", "old_string": "LINE 2", "new_string": "line 2 again"}));
    w.ok(
        "Write",
        json!({"file_path": "dir1/sub0/file3.txt", "content": "tmp"}),
    );
    w.ok("Mkdir", json!({"path": "archive/2024/q1"}));
    // Reorganise dir2..dir4 by extension, in batches.
    for top in 2..5 {
        let mut moves = Vec::new();
        for sub in 0..5 {
            for file in 0..10 {
                let ext = ["txt", "md", "csv"][file % 3];
                moves.push(json!({
                    "from": format!("dir{top}/sub{sub}/file{file}.{ext}"),
                    "to": format!("by_ext/{ext}/{top}_{sub}_{file}.{ext}"),
                }));
            }
        }
        w.ok("Move", json!({"moves": moves}));
    }
    // Edit a file after it moved, then move it again.
    w.ok("Edit", json!({"file_path": "by_ext/md/2_0_1.md", "old_string": "line two", "new_string": "moved and edited"}));
    w.ok(
        "Move",
        json!({"from": "by_ext/md/2_0_1.md", "to": "archive/2024/q1/"}),
    );
    w.ok(
        "Move",
        json!({"from": "latin/caf\\xE90.txt", "to": "latin/raw\\xFF\\xFE/"}),
    );
    w.ok("Edit", json!({"file_path": "latin/raw\\xFF\\xFE/caf\\xE90.txt", "old_string": "fran", "new_string": "FRAN"}));
    w.ok("Delete", json!({"path": "dir5"}));
    w.ok("Delete", json!({"path": "dir1/sub1/file2.csv"}));
    w.ok("Delete", json!({"path": "link"}));
    w.ok("Move", json!({"from": "dir0/sub2", "to": "dir0/sub3/sub2"}));
    w.ok(
        "Move",
        json!({"from": "dir0/sub4/file0.txt", "to": "dir0/sub4/file3.txt", "overwrite": true}),
    );
    w.ok(
        "Write",
        json!({"file_path": "dir0/sub4/file3.txt", "content": "written over a moved file"}),
    );
    w.ok("Delete", json!({"path": "archive"}));
    w.ok(
        "Write",
        json!({"file_path": "archive/again.txt", "content": "a new archive"}),
    );
    w.ok("Move", json!({"from": "dir1", "to": "renamed_dir1"}));
    w.ok("Edit", json!({"file_path": "renamed_dir1/sub2/file4.md", "old_string": "content", "new_string": "changed"}));
}

#[test]
fn undo_restores_a_whole_tree_byte_for_byte() {
    let w = Work::new();
    build_tree(&w);
    let before = manifest(&w.root);
    assert!(before.len() > 300, "{}", before.len());
    run_task(&w);
    assert_ne!(manifest(&w.root), before);

    let plan = w.plan();
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
    assert_eq!(plan.steps.len(), w.changes().len());
    let report = w.undo(false).unwrap();
    assert_eq!(report.forced, 0);
    assert_eq!(
        report.restored as usize + report.skipped as usize,
        w.changes().len()
    );
    assert_same_tree(&w, &before);

    // Idempotent: a second undo finds everything already as before.
    let again = w.plan();
    assert!(again.conflicts.is_empty(), "{:?}", again.conflicts);
    let acting: Vec<_> = again
        .steps
        .iter()
        .filter(|s| {
            !matches!(
                s.action,
                UndoAction::AlreadyUndone { .. } | UndoAction::Skip { .. }
            )
        })
        .collect();
    assert!(acting.is_empty(), "{acting:#?}");
    let skipped: Vec<_> = again
        .steps
        .iter()
        .filter(|s| matches!(s.action, UndoAction::Skip { .. }))
        .map(|s| &s.description)
        .collect();
    assert!(skipped.len() <= 6, "{skipped:#?}");
    let report = w.undo(false).unwrap();
    assert_eq!(report.restored, 0);
    assert_same_tree(&w, &before);
}

#[test]
fn applying_the_same_plan_twice_changes_nothing_the_second_time() {
    let w = Work::new();
    w.write("a.txt", "A");
    w.write("d/b.txt", "B");
    let before = manifest(&w.root);
    w.ok("Write", json!({"file_path": "a.txt", "content": "AA"}));
    w.ok("Move", json!({"from": "d/b.txt", "to": "e/b.txt"}));
    w.ok("Delete", json!({"path": "d"}));
    w.ok("Write", json!({"file_path": "n/c.txt", "content": "C"}));
    let plan = w.plan();
    cowork_files::undo::apply(&plan, &w.folders, &w.store, false).unwrap();
    assert_same_tree(&w, &before);
    let second = cowork_files::undo::apply(&plan, &w.folders, &w.store, false).unwrap();
    assert_eq!(second.restored, 0, "{second:?}");
    assert_same_tree(&w, &before);
}

#[test]
fn a_file_edited_after_the_task_is_a_conflict() {
    let w = Work::new();
    w.write("a.txt", "original");
    w.write("b.txt", "untouched by the person");
    w.ok(
        "Write",
        json!({"file_path": "a.txt", "content": "by the task"}),
    );
    w.ok("Write", json!({"file_path": "b.txt", "content": "task b"}));
    std::fs::write(w.path("a.txt"), "edited by the person later").unwrap();

    let plan = w.plan();
    assert_eq!(plan.conflicts.len(), 1, "{:?}", plan.conflicts);
    assert_eq!(plan.conflicts[0].path, w.path("a.txt"));
    assert!(
        plan.conflicts[0].reason.contains("changed after the task"),
        "{}",
        plan.conflicts[0].reason
    );

    let snapshot = manifest(&w.root);
    let err = w.undo(false).unwrap_err();
    assert!(
        matches!(&err, FileError::UndoConflicts { conflicts } if conflicts.len() == 1),
        "{err:?}"
    );
    assert!(err.to_string().contains("a.txt"), "{err}");
    assert_eq!(
        manifest(&w.root),
        snapshot,
        "a refused undo changes nothing"
    );

    let report = w.undo(true).unwrap();
    assert_eq!((report.restored, report.forced), (1, 1));
    assert_eq!(w.read("a.txt"), "original");
    assert_eq!(w.read("b.txt"), "untouched by the person");
    let trashed = w.store.trash().list().unwrap();
    assert_eq!(trashed.len(), 1);
    let item = w.store.trash().item_path(&trashed[0].id);
    assert_eq!(
        std::fs::read_to_string(item).unwrap(),
        "edited by the person later"
    );
}

#[test]
fn something_new_where_a_moved_file_came_from_is_kept_on_force() {
    let w = Work::new();
    w.write("a.txt", "moved one");
    w.ok("Move", json!({"from": "a.txt", "to": "b.txt"}));
    std::fs::write(w.path("a.txt"), "a new a").unwrap();
    let plan = w.plan();
    assert_eq!(plan.conflicts.len(), 1);
    assert!(
        plan.conflicts[0]
            .reason
            .contains("something else is now at"),
        "{}",
        plan.conflicts[0].reason
    );
    w.undo(true).unwrap();
    assert_eq!(w.read("a.txt"), "moved one");
    assert!(!w.exists("b.txt"));
    let item = w
        .store
        .trash()
        .item_path(&w.store.trash().list().unwrap()[0].id);
    assert_eq!(std::fs::read_to_string(item).unwrap(), "a new a");
}

#[test]
fn a_created_file_changed_later_goes_to_the_trash_on_force() {
    let w = Work::new();
    w.ok("Write", json!({"file_path": "new.txt", "content": "task"}));
    std::fs::write(w.path("new.txt"), "person").unwrap();
    assert_eq!(w.plan().conflicts.len(), 1);
    let report = w.undo(true).unwrap();
    assert_eq!(report.forced, 1);
    assert!(!w.exists("new.txt"));
    assert_eq!(w.store.trash().list().unwrap().len(), 1);
}

#[test]
fn a_created_folder_holding_new_files_is_left_in_place() {
    let w = Work::new();
    w.ok("Mkdir", json!({"path": "made"}));
    std::fs::write(w.path("made/mine.txt"), "mine").unwrap();
    let plan = w.plan();
    assert!(plan.conflicts.is_empty());
    assert!(
        matches!(plan.steps[0].action, UndoAction::Skip { .. }),
        "{:?}",
        plan.steps
    );
    w.undo(false).unwrap();
    assert_eq!(w.read("made/mine.txt"), "mine");
}

#[test]
fn changes_recorded_but_never_applied_are_already_undone() {
    let w = Work::new();
    w.write("a.txt", "A");
    w.write("d/b.txt", "B");
    let before = manifest(&w.root);
    // Changes as a crash right after recording leaves them: in the log,
    // not on disk.
    let changes = vec![
        cowork_protocol::Change::Created {
            path: w.path("new.txt").into(),
            hash: "00".repeat(32),
        },
        cowork_protocol::Change::Modified {
            path: w.path("a.txt").into(),
            before: blake3::hash(b"A").to_hex().to_string(),
            mode: 0o644,
            after: blake3::hash(b"AA").to_hex().to_string(),
        },
        cowork_protocol::Change::DirCreated {
            path: w.path("newdir").into(),
        },
        cowork_protocol::Change::Moved {
            from: w.path("d/b.txt").into(),
            to: w.path("e/b.txt").into(),
            stamp: stamp_of(&w.path("d/b.txt")),
        },
        cowork_protocol::Change::Trashed {
            path: w.path("d").into(),
            trash_id: "20260101T000000-deadbeef".to_owned(),
            stamp: stamp_of(&w.path("d")),
        },
    ];
    // The blob for a.txt's "before" exists, as it would have been saved.
    w.write("tmp.txt", "A");
    w.ok("Write", json!({"file_path": "tmp.txt", "content": "x"}));
    std::fs::remove_file(w.path("tmp.txt")).unwrap();
    w.sink.changes.lock().unwrap().clear();
    w.sink.changes.lock().unwrap().extend(changes);

    let plan = w.plan();
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
    assert!(
        plan.steps
            .iter()
            .all(|s| matches!(s.action, UndoAction::AlreadyUndone { .. })),
        "{:#?}",
        plan.steps
    );
    let report = w.undo(false).unwrap();
    assert_eq!((report.restored, report.skipped), (0, 5));
    assert_same_tree(&w, &before);
}

fn stamp_of(path: &std::path::Path) -> cowork_protocol::FileStamp {
    use std::os::unix::fs::MetadataExt;
    let meta = path.symlink_metadata().unwrap();
    cowork_protocol::FileStamp {
        size: meta.size(),
        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        inode: meta.ino(),
        hash: None,
    }
}

#[test]
fn a_journal_that_fails_after_recording_leaves_an_undoable_log() {
    // Records the changes, then reports failure: the tool must not apply
    // them, and undo must find everything already as before.
    struct RecordThenFail(std::sync::Mutex<Vec<cowork_protocol::Change>>);
    impl cowork_files::ChangeSink for RecordThenFail {
        fn record(&self, changes: &[cowork_protocol::Change]) -> Result<(), String> {
            self.0.lock().unwrap().extend_from_slice(changes);
            Err("crashed".to_owned())
        }
    }
    let sink = std::sync::Arc::new(RecordThenFail(Default::default()));
    let w = Work::with_sink(sink.clone());
    w.write("a.txt", "A");
    w.write("d/b.txt", "B");
    let before = manifest(&w.root);
    let _ = w.call("Write", json!({"file_path": "a.txt", "content": "AA"}));
    let _ = w.call("Write", json!({"file_path": "n/new.txt", "content": "N"}));
    let _ = w.call("Move", json!({"moves": [{"from": "d/b.txt", "to": "e/b.txt"}, {"from": "a.txt", "to": "d/b.txt"}]}));
    let _ = w.call(
        "Move",
        json!({"from": "a.txt", "to": "d/b.txt", "overwrite": true}),
    );
    let _ = w.call("Delete", json!({"path": "d"}));
    let _ = w.call("Mkdir", json!({"path": "x/y"}));
    assert_same_tree(&w, &before);
    let changes = sink.0.lock().unwrap().clone();
    assert!(changes.len() >= 8, "{changes:?}");
    let plan = cowork_files::undo::plan(&changes, &w.folders, &w.store);
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
    assert!(
        plan.steps
            .iter()
            .all(|s| matches!(s.action, UndoAction::AlreadyUndone { .. })),
        "{:#?}",
        plan.steps
    );
    cowork_files::undo::apply(&plan, &w.folders, &w.store, false).unwrap();
    assert_same_tree(&w, &before);
}

#[test]
fn undo_never_touches_paths_outside_the_folders() {
    let w = Work::new();
    let outside = w.outside().join("outside.txt");
    let hash = blake3::hash(super::SECRET.as_bytes()).to_hex().to_string();
    // A forged journal: "the task created" a file outside the folder.
    w.sink
        .changes
        .lock()
        .unwrap()
        .push(cowork_protocol::Change::Created {
            path: outside.clone().into(),
            hash,
        });
    let plan = w.plan();
    assert_eq!(plan.conflicts.len(), 1, "{plan:?}");
    assert!(
        plan.conflicts[0]
            .reason
            .contains("outside the connected folders"),
        "{plan:?}"
    );
    w.undo(true).unwrap();
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), super::SECRET);
}

#[test]
fn undo_does_not_follow_a_folder_swapped_for_a_symlink() {
    let w = Work::new();
    w.ok(
        "Write",
        json!({"file_path": "sub/secret.txt", "content": super::SECRET}),
    );
    // After the task, `sub` becomes a link to a folder outside holding a
    // file with the same name and content.
    std::fs::rename(w.path("sub"), w.path("sub_moved")).unwrap();
    std::os::unix::fs::symlink(w.outside().join("outside_dir"), w.path("sub")).unwrap();
    let plan = w.plan();
    assert!(!plan.conflicts.is_empty(), "{plan:?}");
    let _ = w.undo(true);
    let secret = w.outside().join("outside_dir/secret.txt");
    assert_eq!(std::fs::read_to_string(secret).unwrap(), super::SECRET);
}

#[test]
fn undo_of_a_deleted_tree_puts_it_back_and_empties_its_trash_entry() {
    let w = Work::new();
    w.write("t/a.txt", "A");
    w.write("t/s/b.txt", "B");
    let before = manifest(&w.root);
    w.ok("Delete", json!({"path": "t"}));
    assert_eq!(w.store.trash().list().unwrap().len(), 1);
    let report = w.undo(false).unwrap();
    assert_eq!(report.restored, 1);
    assert_same_tree(&w, &before);
    assert!(w.store.trash().list().unwrap().is_empty());
}
