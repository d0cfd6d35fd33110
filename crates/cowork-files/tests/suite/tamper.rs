//! cowork's data dir can be written by any local program of the user (or a
//! task connected to the home folder): saved versions and trash entries
//! are checked against the change journal before anything is put back, and
//! saved versions never share an inode with a file that can still change.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use cowork_files::staged::{self, Stage};
use cowork_files::{Expected, FileError, Journal, TrashRecord};
use cowork_protocol::Change;
use serde_json::json;

use super::SECRET;
use super::work::Work;

/// Appends in place, as `>>` or an editor saving in place does.
fn append(path: &Path, bytes: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes.as_bytes()).unwrap();
}

/// Overwrites a blob in place, as another local program could.
fn tamper_blob(path: &Path, bytes: &str) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn modified_before(w: &Work) -> String {
    w.changes()
        .into_iter()
        .find_map(|c| match c {
            Change::Modified { before, .. } => Some(before),
            _ => None,
        })
        .unwrap()
}

/// No blob holds the inode of the file at `rel`.
#[track_caller]
fn assert_not_linked(w: &Work, rel: &str) {
    let live = std::fs::metadata(w.path(rel)).unwrap();
    assert_eq!(live.nlink(), 1, "{rel} has another name (a blob?)");
    let hash = blake3::hash(&std::fs::read(w.path(rel)).unwrap())
        .to_hex()
        .to_string();
    if let Ok(blob) = std::fs::metadata(w.store.blob_path(&hash)) {
        assert_ne!(blob.ino(), live.ino(), "the blob is {rel}'s inode");
    }
}

fn journal(w: &Work) -> Journal {
    Journal {
        store: w.store.clone(),
        sink: w.sink.clone(),
        task: Some("task-1".to_owned()),
    }
}

/// Bug: a Write with the file's own content hard-linked the live file into
/// the journal as the blob of that content. A later in-place append changed
/// the "saved" copy, and undoing another file's change restored its bytes.
#[test]
fn a_no_op_write_then_an_in_place_append_still_undoes_to_the_exact_bytes() {
    let w = Work::new();
    w.write("a.txt", "original\n");
    w.write("b.txt", "original\n");
    w.ok(
        "Write",
        json!({"file_path": "a.txt", "content": "original\n"}),
    );
    assert_not_linked(&w, "a.txt");
    w.ok("Write", json!({"file_path": "b.txt", "content": "new\n"}));
    let before = modified_before(&w);
    let blob = std::fs::metadata(w.store.blob_path(&before)).unwrap();
    let live = std::fs::metadata(w.path("a.txt")).unwrap();
    assert_ne!(
        blob.ino(),
        live.ino(),
        "the blob shares the live file's inode"
    );
    assert_eq!(blob.nlink(), 1);
    append(&w.path("a.txt"), "appended later\n");

    w.undo(false).unwrap();
    assert_eq!(w.read("b.txt"), "original\n");
    assert_eq!(w.read("a.txt"), "original\nappended later\n");
}

#[test]
fn blobs_are_stored_read_only() {
    let w = Work::new();
    w.write("a.txt", "v1\n");
    w.ok("Write", json!({"file_path": "a.txt", "content": "v2\n"}));
    let blob = std::fs::metadata(w.store.blob_path(&modified_before(&w))).unwrap();
    assert_eq!(blob.permissions().mode() & 0o777, 0o400);
}

/// Bug: `touch` in a command (same content, same mode) was skipped by
/// staged apply only after its blob had been hard-linked to the live file.
#[test]
fn a_touch_by_a_command_then_an_append_still_undoes_to_the_exact_bytes() {
    let w = Work::new();
    w.write("a.txt", "original\n");
    w.write("b.txt", "original\n");
    let stage = Stage::create(&w.store).unwrap();
    std::fs::write(stage.upper().join("a.txt"), "original\n").unwrap();
    staged::apply(
        &w.folders,
        &journal(&w),
        &w.root,
        &stage,
        &staged::StageLimits::default(),
    )
    .unwrap();
    drop(stage);
    assert_not_linked(&w, "a.txt");
    let stage = Stage::create(&w.store).unwrap();
    std::fs::write(stage.upper().join("b.txt"), "new\n").unwrap();
    staged::apply(
        &w.folders,
        &journal(&w),
        &w.root,
        &stage,
        &staged::StageLimits::default(),
    )
    .unwrap();
    let before = modified_before(&w);
    let blob = std::fs::metadata(w.store.blob_path(&before)).unwrap();
    assert_ne!(
        blob.ino(),
        std::fs::metadata(w.path("a.txt")).unwrap().ino()
    );
    append(&w.path("a.txt"), "appended later\n");

    w.undo(false).unwrap();
    assert_eq!(w.read("b.txt"), "original\n");
}

/// Bug: undo wrote whatever a blob held, so overwriting one in the data
/// dir put an attacker's bytes into a folder the attacker never had.
#[test]
fn a_tampered_blob_is_named_and_undo_changes_nothing() {
    let w = Work::new();
    w.write("a.txt", "a1\n");
    w.write("b.txt", "b1\n");
    w.ok("Write", json!({"file_path": "a.txt", "content": "a2\n"}));
    w.ok("Write", json!({"file_path": "b.txt", "content": "b2\n"}));
    let blob = w.store.blob_path(&modified_before(&w));
    tamper_blob(&blob, "attacker's bytes\n");

    let err = w.undo(false).unwrap_err();
    assert!(matches!(err, FileError::Tampered { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&blob.display().to_string()), "{message}");
    assert_eq!(
        w.read("a.txt"),
        "a2\n",
        "undo changed a file before refusing"
    );
    assert_eq!(w.read("b.txt"), "b2\n");
}

#[test]
fn a_blob_whose_name_is_not_a_hash_is_never_opened() {
    let w = Work::new();
    w.write("a.txt", "a1\n");
    w.ok("Write", json!({"file_path": "a.txt", "content": "a2\n"}));
    let mut changes = w.changes();
    let Change::Modified { before, .. } = &mut changes[0] else {
        panic!("{changes:?}");
    };
    *before = "../../../outside.txt".to_owned();
    assert!(!w.store.has_blob(before));
    let plan = cowork_files::undo::plan(&changes, &w.folders, &w.store);
    cowork_files::undo::apply(&plan, &w.folders, &w.store, true).unwrap();
    assert_ne!(w.read("a.txt"), SECRET);
}

fn forge_entry(w: &Work, id: &str, original: &Path, content: &str) {
    let dir = w.store.trash_dir().join(id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("item"), content).unwrap();
    let meta = json!({
        "original": original,
        "trashed_at_ms": 1,
        "task": "task-1",
        "size": content.len(),
        "is_dir": false,
    });
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
}

/// Bug: `trash restore` wrote a forged entry wherever its `meta.json` said.
#[test]
fn a_forged_trash_entry_with_no_journal_record_is_not_restored() {
    let w = Work::new();
    let target = w.outside().join("planted.txt");
    forge_entry(&w, "20260101T000000-deadbeef", &target, "planted\n");
    let err = w
        .store
        .trash()
        .restore("20260101T000000-deadbeef", None, &w.folders, None)
        .unwrap_err();
    assert!(
        matches!(err, FileError::UnverifiedTrashEntry { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("20260101T000000-deadbeef"),
        "{err}"
    );
    assert!(!target.exists());
}

#[test]
fn a_trash_entry_whose_metadata_disagrees_with_the_journal_is_refused() {
    let w = Work::new();
    w.write("a.txt", "mine\n");
    w.ok("Delete", json!({"path": "a.txt"}));
    let id = w.store.trash().list().unwrap()[0].id.clone();
    let record = w.trash_record(&id);
    // Retarget the entry, as a forger would.
    let meta_path = w.store.trash_dir().join(&id).join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["original"] = json!(w.outside().join("planted.txt"));
    std::fs::write(&meta_path, meta.to_string()).unwrap();

    let err = w
        .store
        .trash()
        .restore(&id, Some(&record), &w.folders, None)
        .unwrap_err();
    assert!(matches!(err, FileError::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains(&id), "{err}");
    assert!(!w.exists("a.txt"));
    assert!(!w.outside().join("planted.txt").exists());
}

#[test]
fn a_trash_entry_whose_item_was_swapped_is_refused_by_restore_and_undo() {
    let w = Work::new();
    w.write("a.txt", "mine\n");
    w.ok("Delete", json!({"path": "a.txt"}));
    let id = w.store.trash().list().unwrap()[0].id.clone();
    let item = w.store.trash().item_path(&id);
    std::fs::remove_file(&item).unwrap();
    std::fs::write(&item, "attacker\n").unwrap();

    let err = w
        .store
        .trash()
        .restore(&id, Some(&w.trash_record(&id)), &w.folders, None)
        .unwrap_err();
    assert!(matches!(err, FileError::Tampered { .. }), "{err:?}");
    let err = w.undo(false).unwrap_err();
    assert!(matches!(err, FileError::Tampered { .. }), "{err:?}");
    assert!(!w.exists("a.txt"));
}

#[test]
fn a_trash_entry_turned_into_a_symlink_is_refused() {
    let w = Work::new();
    w.write("a.txt", "mine\n");
    w.ok("Delete", json!({"path": "a.txt"}));
    let id = w.store.trash().list().unwrap()[0].id.clone();
    let entry = w.store.trash_dir().join(&id);
    let elsewhere = w.outside().join("elsewhere");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let err = w
        .store
        .trash()
        .restore(&id, Some(&w.trash_record(&id)), &w.folders, None)
        .unwrap_err();
    assert!(matches!(err, FileError::Tampered { .. }), "{err:?}");
    assert!(!w.exists("a.txt"));
}

/// Bug: restore did `create_dir_all(parent)` and a rename by path, so a
/// parent replaced by a symlink led the item out of the folder.
#[test]
fn trash_restore_through_a_parent_replaced_by_a_symlink_out_is_refused() {
    let w = Work::new();
    w.write("docs/a.txt", "mine\n");
    w.ok("Delete", json!({"path": "docs"}));
    w.write("docs/a.txt", "again\n");
    w.ok("Delete", json!({"path": "docs/a.txt"}));
    let entries = w.store.trash().list().unwrap();
    let inner = entries
        .iter()
        .find(|e| !e.is_dir)
        .map(|e| e.id.clone())
        .unwrap();
    std::fs::remove_dir(w.path("docs")).unwrap();
    std::os::unix::fs::symlink(w.outside().join("outside_dir"), w.path("docs")).unwrap();

    let err = w
        .store
        .trash()
        .restore(&inner, Some(&w.trash_record(&inner)), &w.folders, None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            FileError::OutsideFolders { .. } | FileError::NotADirectory { .. }
        ),
        "{err:?}"
    );
    assert!(!w.outside().join("outside_dir/a.txt").exists());
    assert!(w.store.trash().item_path(&inner).exists());
}

#[test]
fn trash_restore_to_a_path_outside_the_given_folders_is_refused() {
    let w = Work::new();
    w.write("a.txt", "mine\n");
    w.ok("Delete", json!({"path": "a.txt"}));
    let id = w.store.trash().list().unwrap()[0].id.clone();
    let to = w.outside().join("outside_dir/a.txt");
    let err = w
        .store
        .trash()
        .restore(&id, Some(&w.trash_record(&id)), &w.folders, Some(&to))
        .unwrap_err();
    assert!(matches!(err, FileError::OutsideFolders { .. }), "{err:?}");
    assert!(!to.exists());
}

/// An entry an undo made (the task's own file, moved aside) has no
/// `Trashed` record; the journal still vouches for its content.
#[test]
fn an_entry_made_by_undo_is_restored_when_its_content_is_what_the_task_wrote() {
    let w = Work::new();
    w.ok(
        "Write",
        json!({"file_path": "new.txt", "content": "made\n"}),
    );
    w.undo(false).unwrap();
    assert!(!w.exists("new.txt"));
    let entry = w.store.trash().list().unwrap().remove(0);
    let Change::Created { path, hash } = w.changes().remove(0) else {
        panic!("{:?}", w.changes());
    };
    assert_eq!(w.store.trash().item_hash(&entry.id), Some(hash.clone()));
    let record = TrashRecord {
        path: path.0,
        expect: Expected::Content(hash),
    };
    let trash = w.store.trash();
    trash
        .restore(&entry.id, Some(&record), &w.folders, None)
        .unwrap();
    assert_eq!(w.read("new.txt"), "made\n");
}

#[test]
fn an_entry_made_by_undo_whose_content_changed_is_refused() {
    let w = Work::new();
    w.ok(
        "Write",
        json!({"file_path": "new.txt", "content": "made\n"}),
    );
    w.undo(false).unwrap();
    let entry = w.store.trash().list().unwrap().remove(0);
    let Change::Created { path, hash } = w.changes().remove(0) else {
        panic!("{:?}", w.changes());
    };
    append(&w.store.trash().item_path(&entry.id), "attacker\n");
    let record = TrashRecord {
        path: path.0,
        expect: Expected::Content(hash),
    };
    let err = w
        .store
        .trash()
        .restore(&entry.id, Some(&record), &w.folders, None)
        .unwrap_err();
    assert!(matches!(err, FileError::Tampered { .. }), "{err:?}");
    assert!(!w.exists("new.txt"));
}

/// A blob an older cowork left hard-linked to a file still in the folder
/// becomes a copy as soon as a change reuses it.
#[test]
fn a_blob_still_linked_to_a_live_file_is_unshared_when_reused() {
    let w = Work::new();
    let live = w.write("a.txt", "shared\n");
    w.write("b.txt", "shared\n");
    let hash = blake3::hash(b"shared\n").to_hex().to_string();
    let blob = w.store.blob_path(&hash);
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::hard_link(&live, &blob).unwrap();

    w.ok("Write", json!({"file_path": "b.txt", "content": "new\n"}));
    let meta = std::fs::metadata(&blob).unwrap();
    assert_ne!(meta.ino(), std::fs::metadata(&live).unwrap().ino());
    append(&live, "appended later\n");
    w.undo(false).unwrap();
    assert_eq!(w.read("b.txt"), "shared\n");
}
