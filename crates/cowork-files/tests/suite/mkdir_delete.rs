//! Mkdir, Delete and the trash.

use cowork_files::FileError;
use cowork_protocol::Change;
use serde_json::json;

use super::work::Work;

#[test]
fn mkdir_creates_every_missing_level_and_journals_each() {
    let w = Work::new();
    w.ok("Mkdir", json!({"path": "a/b/c"}));
    assert!(w.path("a/b/c").is_dir());
    let dirs: Vec<_> = w
        .changes()
        .into_iter()
        .map(|c| match c {
            Change::DirCreated { path } => path.0,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(dirs, vec![w.path("a"), w.path("a/b"), w.path("a/b/c")]);
}

#[test]
fn mkdir_of_an_existing_folder_changes_nothing() {
    let w = Work::new();
    std::fs::create_dir(w.path("a")).unwrap();
    let out = w.ok("Mkdir", json!({"path": "a"}));
    assert!(out.contains("already exists"), "{out}");
    assert!(w.changes().is_empty());
}

#[test]
fn mkdir_over_a_file_is_refused() {
    let w = Work::new();
    w.write("a", "file");
    let err = w.err("Mkdir", json!({"path": "a"}));
    assert!(matches!(err, FileError::Exists { .. }), "{err:?}");
}

#[test]
fn delete_moves_a_file_to_the_trash() {
    let w = Work::new();
    w.write("a.txt", "keep me");
    let preview = w
        .tools
        .preview("Delete", &json!({"path": "a.txt"}))
        .unwrap();
    assert_eq!(preview.summary, "move a.txt to the trash (1 file, 7 B)");
    w.ok("Delete", json!({"path": "a.txt"}));
    assert!(!w.exists("a.txt"));
    let entries = w.store.trash().list().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].original, w.path("a.txt"));
    assert_eq!(entries[0].size, 7);
    assert!(!entries[0].is_dir);
    let item = w.store.trash().item_path(&entries[0].id);
    assert_eq!(std::fs::read_to_string(item).unwrap(), "keep me");
}

#[test]
fn delete_of_a_folder_tree_keeps_the_whole_tree() {
    let w = Work::new();
    w.write("tree/a.txt", "A");
    w.write("tree/sub/b.txt", "BB");
    w.write("tree/sub/deep/c.txt", "CCC");
    let preview = w.tools.preview("Delete", &json!({"path": "tree"})).unwrap();
    assert_eq!(preview.summary, "move tree/ to the trash (3 files, 6 B)");
    w.ok("Delete", json!({"path": "tree"}));
    assert!(!w.exists("tree"));
    let entry = &w.store.trash().list().unwrap()[0];
    assert!(entry.is_dir);
    let item = w.store.trash().item_path(&entry.id);
    assert_eq!(
        std::fs::read_to_string(item.join("sub/deep/c.txt")).unwrap(),
        "CCC"
    );
}

#[test]
fn delete_of_a_symlink_trashes_the_link_only() {
    let w = Work::new();
    std::os::unix::fs::symlink(w.outside().join("outside.txt"), w.path("link")).unwrap();
    w.ok("Delete", json!({"path": "link"}));
    assert!(!w.exists("link"));
    assert!(w.outside().join("outside.txt").exists());
}

#[test]
fn delete_of_a_missing_path_says_so() {
    let w = Work::new();
    let err = w.err("Delete", json!({"path": "nope"}));
    assert!(matches!(err, FileError::NotFound { .. }), "{err:?}");
}

#[test]
fn delete_of_the_folder_itself_is_refused() {
    let w = Work::new();
    let err = w.err("Delete", json!({"path": "."}));
    assert!(err.to_string().contains("connected folder itself"), "{err}");
    let err = w.err("Delete", json!({"path": w.root.to_str().unwrap()}));
    assert!(err.to_string().contains("connected folder itself"), "{err}");
}

#[test]
fn trash_restore_puts_an_entry_back_and_refuses_when_occupied() {
    let w = Work::new();
    w.write("a.txt", "first");
    w.ok("Delete", json!({"path": "a.txt"}));
    w.write("a.txt", "second");
    let id = w.store.trash().list().unwrap()[0].id.clone();
    let record = w.trash_record(&id);
    let trash = w.store.trash();
    let err = trash
        .restore(&id, Some(&record), &w.folders, None)
        .unwrap_err();
    assert!(matches!(err, FileError::Exists { .. }), "{err:?}");
    assert_eq!(w.read("a.txt"), "second");
    let to = w.path("restored/a.txt");
    let restored = trash.restore(&id, Some(&record), &w.folders, Some(&to));
    assert_eq!(restored.unwrap(), to);
    assert_eq!(w.read("restored/a.txt"), "first");
    assert!(trash.list().unwrap().is_empty());
    let err = trash
        .restore(&id, Some(&record), &w.folders, None)
        .unwrap_err();
    assert!(matches!(err, FileError::NoTrashEntry { .. }), "{err:?}");
}

#[test]
fn trash_lists_newest_first_and_empties_by_age() {
    let w = Work::new();
    w.write("old.txt", "1");
    w.ok("Delete", json!({"path": "old.txt"}));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let cutoff = w.store.trash().list().unwrap()[0].trashed_at_ms + 10;
    w.write("new.txt", "22");
    w.ok("Delete", json!({"path": "new.txt"}));
    let entries = w.store.trash().list().unwrap();
    assert_eq!(entries[0].original, w.path("new.txt"));
    assert_eq!(entries[1].original, w.path("old.txt"));
    assert_eq!(w.store.trash().empty(Some(cutoff)).unwrap(), (1, 1));
    let left = w.store.trash().list().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].original, w.path("new.txt"));
    assert_eq!(w.store.trash().empty(None).unwrap(), (1, 2));
    assert!(w.store.trash().list().unwrap().is_empty());
}

#[test]
fn trash_ids_sort_by_time() {
    let w = Work::new();
    w.write("a", "1");
    w.ok("Delete", json!({"path": "a"}));
    let id = &w.store.trash().list().unwrap()[0].id;
    let (stamp, hex) = id.split_once('-').unwrap();
    assert_eq!(stamp.len(), 15, "{id}");
    assert_eq!(&stamp[8..9], "T", "{id}");
    assert_eq!(hex.len(), 8, "{id}");
}
