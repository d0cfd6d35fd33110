//! Applying a sandboxed command's overlay upper directory through the
//! journal. The upper directories are built by hand here exactly as
//! overlayfs leaves them (whiteouts are character devices 0:0, replaced
//! directories carry `user.overlay.opaque`); the sandbox's own tests and
//! the CLI's end-to-end tests cover real commands.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use cowork_files::staged::{self, Stage};
use cowork_files::{FileError, Journal};
use cowork_protocol::Change;

use super::work::{Work, assert_same_tree, manifest};

pub fn journal(w: &Work) -> Journal {
    Journal {
        store: w.store.clone(),
        sink: w.sink.clone(),
        task: Some("task-1".to_owned()),
    }
}

pub fn put(upper: &Path, rel: &str, bytes: &str) {
    let path = upper.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn whiteout(upper: &Path, rel: &str) {
    let path = upper.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &path,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::empty(),
        0,
    )
    .unwrap();
}

fn opaque_dir(upper: &Path, rel: &str) -> PathBuf {
    let path = upper.join(rel);
    std::fs::create_dir_all(&path).unwrap();
    rustix::fs::setxattr(
        &path,
        "user.overlay.opaque",
        b"y",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    path
}

pub fn apply(w: &Work, stage: &Stage) -> Result<staged::Applied, FileError> {
    staged::apply(
        &w.folders,
        &journal(w),
        &w.root,
        stage,
        &staged::StageLimits::default(),
    )
}

#[test]
fn a_commands_changes_are_applied_journaled_and_undone_exactly() {
    let w = Work::new();
    w.write("keep.txt", "old\n");
    w.write("gone.txt", "bye\n");
    w.write("reports/q1.csv", "a,b\n");
    w.write("reports/q2.csv", "c,d\n");
    w.write("same.txt", "unchanged\n");
    let before = manifest(&w.root);

    let stage = Stage::create(&w.store).unwrap();
    let upper = stage.upper();
    put(upper, "keep.txt", "old\nnew\n");
    whiteout(upper, "gone.txt");
    put(upper, "made/deep/new.txt", "made\n");
    // `rm -r reports && mkdir reports && echo … > reports/summary.md`
    opaque_dir(upper, "reports");
    put(upper, "reports/summary.md", "# Summary\n");
    // Opened for writing but left as it was: overlayfs copied it up.
    put(upper, "same.txt", "unchanged\n");

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.created, ["made/deep/new.txt", "reports/summary.md"]);
    assert_eq!(applied.modified, ["keep.txt"]);
    assert_eq!(
        applied.trashed,
        ["gone.txt", "reports/q1.csv", "reports/q2.csv"]
    );
    assert_eq!(applied.dirs, ["made", "made/deep"]);
    assert!(applied.skipped.is_empty());
    let summary = applied.summary(20);
    assert!(
        summary.contains("2 created, 1 modified, 3 moved to cowork's trash"),
        "{summary}"
    );

    assert_eq!(w.read("keep.txt"), "old\nnew\n");
    assert!(!w.exists("gone.txt"));
    assert_eq!(w.read("reports/summary.md"), "# Summary\n");
    assert!(!w.exists("reports/q1.csv"));
    assert_eq!(w.read("made/deep/new.txt"), "made\n");

    // Every change was recorded before it happened, and none for same.txt.
    let changes = w.changes();
    assert_eq!(changes.len(), 8, "{changes:#?}");
    assert!(
        !changes
            .iter()
            .any(|c| c.paths().iter().any(|p| p.as_path().ends_with("same.txt")))
    );

    let report = w.undo(false).unwrap();
    assert_eq!(report.forced, 0);
    assert_same_tree(&w, &before);
}

#[test]
fn a_permission_change_alone_is_journaled_and_undone() {
    let w = Work::new();
    let script = w.write("run.sh", "echo hi\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "run.sh", "echo hi\n");
    std::fs::set_permissions(
        stage.upper().join("run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.modified, ["run.sh"]);
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    w.undo(false).unwrap();
    assert_same_tree(&w, &before);
}

#[test]
fn a_file_replaced_by_a_folder_and_a_folder_by_a_file_go_to_the_trash_first() {
    let w = Work::new();
    w.write("was_file", "file\n");
    w.write("was_dir/inner.txt", "inner\n");
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "was_file/now.txt", "now a folder\n");
    put(stage.upper(), "was_dir", "now a file\n");

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.trashed, ["was_dir", "was_file"]);
    assert_eq!(w.read("was_file/now.txt"), "now a folder\n");
    assert_eq!(w.read("was_dir"), "now a file\n");
    w.undo(false).unwrap();
    assert_same_tree(&w, &before);
}

#[test]
fn links_and_special_files_are_not_kept_and_say_why() {
    let w = Work::new();
    w.write("a.txt", "a\n");
    let stage = Stage::create(&w.store).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", stage.upper().join("passwd")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        stage.upper().join("pipe"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    put(stage.upper(), "b.txt", "b\n");

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.created, ["b.txt"]);
    assert_eq!(applied.skipped.len(), 2, "{:?}", applied.skipped);
    assert!(applied.skipped[0].contains("`passwd` is a symbolic link"));
    assert!(applied.skipped[1].contains("`pipe` is a special file"));
    assert!(!w.exists("passwd"));
    assert!(!w.exists("pipe"));
    assert!(applied.summary(10).contains("Not kept: `passwd`"));
}

#[test]
fn when_the_journal_cannot_record_nothing_changes() {
    let w = Work::new();
    w.write("keep.txt", "old\n");
    w.write("gone.txt", "bye\n");
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "keep.txt", "new\n");
    whiteout(stage.upper(), "gone.txt");
    w.sink.fail.store(true, Ordering::SeqCst);

    let err = apply(&w, &stage).unwrap_err();
    assert!(matches!(err, FileError::JournalFailed { .. }), "{err}");
    assert_eq!(manifest(&w.root), before);
    assert!(w.store.trash().list().unwrap().is_empty());
}

#[test]
fn thousands_of_new_files_are_journaled_in_batches() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    for i in 0..1300 {
        put(stage.upper(), &format!("out/{i:04}.txt"), &format!("{i}\n"));
    }
    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.created.len(), 1300);
    assert_eq!(w.read("out/1299.txt"), "1299\n");
    let calls = w.sink.calls.lock().unwrap().clone();
    assert!(calls.len() >= 3, "{calls:?}");
    assert!(calls.iter().all(|n| *n <= 512), "{calls:?}");
    let summary = applied.summary(5);
    assert!(summary.contains("… and 1295 more"), "{summary}");
    w.undo(false).unwrap();
    assert!(manifest(&w.root).is_empty(), "{:?}", manifest(&w.root));
}

#[test]
fn a_stage_is_removed_when_dropped_even_with_overlayfs_permissions() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    let root = stage.upper().parent().unwrap().to_path_buf();
    let inner = stage.work().join("work");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(inner.join("x"), "x").unwrap();
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o0)).unwrap();
    drop(stage);
    assert!(!root.exists());
}

#[test]
fn a_stage_for_a_read_only_folder_is_refused() {
    let w = Work::read_only();
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "x.txt", "x\n");
    let err = apply(&w, &stage).unwrap_err();
    assert!(matches!(err, FileError::ReadOnly { .. }), "{err}");
    assert!(!w.exists("x.txt"));
}

#[test]
fn changes_record_what_undo_needs() {
    let w = Work::new();
    w.write("doc.txt", "v1\n");
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "doc.txt", "v2\n");
    apply(&w, &stage).unwrap();
    let changes = w.changes();
    let [Change::Modified { before, .. }] = changes.as_slice() else {
        panic!("{changes:#?}");
    };
    assert!(w.store.has_blob(before));
}

#[test]
fn a_stage_with_locked_folders_is_removed_without_touching_what_links_point_to() {
    let w = Work::new();
    let outside = w.outside().join("kept");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("file"), "x").unwrap();
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o750)).unwrap();
    let stage = Stage::create(&w.store).unwrap();
    let root = stage.upper().parent().unwrap().to_path_buf();
    put(stage.upper(), "locked/inner/file.txt", "x\n");
    std::os::unix::fs::symlink(&outside, stage.upper().join("locked/link")).unwrap();
    for (rel, mode) in [("locked/inner", 0o000), ("locked", 0o500)] {
        let path = stage.upper().join(rel);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    drop(stage);
    assert!(!root.exists());
    assert_eq!(std::fs::read_to_string(outside.join("file")).unwrap(), "x");
    let mode = std::fs::metadata(&outside).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o750);
}
