//! The journal: every change recorded before it happens, and only then.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cowork_files::{ChangeSink, FileError};
use cowork_protocol::Change;
use serde_json::json;

use super::work::{Work, manifest};

/// Checks, at the moment a change is recorded, that it has NOT happened.
#[derive(Default)]
struct Before {
    trash: Mutex<Option<PathBuf>>,
    seen: Mutex<Vec<Change>>,
    violations: Mutex<Vec<String>>,
}

impl ChangeSink for Before {
    fn record(&self, changes: &[Change]) -> Result<(), String> {
        let trash = self.trash.lock().unwrap().clone().unwrap();
        let mut bad = self.violations.lock().unwrap();
        for change in changes {
            match change {
                Change::Created { path, .. } | Change::DirCreated { path } => {
                    if path.0.symlink_metadata().is_ok() {
                        bad.push(format!("already there: {change:?}"));
                    }
                }
                Change::Modified { path, before, .. } => {
                    let now = blake3::hash(&std::fs::read(&path.0).unwrap())
                        .to_hex()
                        .to_string();
                    if &now != before {
                        bad.push(format!("already modified: {change:?}"));
                    }
                }
                Change::Moved { from, to, .. } => {
                    // A target being replaced is trashed first, in the same record.
                    let replaced = changes
                        .iter()
                        .any(|c| matches!(c, Change::Trashed { path, .. } if path == to));
                    if from.0.symlink_metadata().is_err()
                        || (to.0.symlink_metadata().is_ok() && !replaced)
                    {
                        bad.push(format!("already moved: {change:?}"));
                    }
                }
                Change::Trashed { path, trash_id, .. } => {
                    let item = trash.join(trash_id).join("item");
                    if path.0.symlink_metadata().is_err() || item.symlink_metadata().is_ok() {
                        bad.push(format!("already trashed: {change:?}"));
                    }
                }
            }
        }
        self.seen.lock().unwrap().extend_from_slice(changes);
        Ok(())
    }
}

#[test]
fn every_change_is_recorded_before_it_happens() {
    let sink = Arc::new(Before::default());
    let w = Work::with_sink(sink.clone());
    *sink.trash.lock().unwrap() = Some(w.store.trash_dir().to_path_buf());
    w.write("a.txt", "a\n");
    w.write("b.txt", "b\n");
    w.write("tree/x.txt", "x");
    w.ok(
        "Write",
        json!({"file_path": "new/deep/c.txt", "content": "c"}),
    );
    w.ok("Write", json!({"file_path": "a.txt", "content": "A\n"}));
    w.ok(
        "Edit",
        json!({"file_path": "b.txt", "old_string": "b", "new_string": "B"}),
    );
    w.ok("Mkdir", json!({"path": "m/n"}));
    w.ok(
        "Move",
        json!({"moves": [{"from": "a.txt", "to": "moved/a.txt"}, {"from": "tree", "to": "m/n"}]}),
    );
    w.ok(
        "Move",
        json!({"from": "b.txt", "to": "new/deep/c.txt", "overwrite": true}),
    );
    w.ok("Delete", json!({"path": "m"}));
    assert!(
        sink.violations.lock().unwrap().is_empty(),
        "{:?}",
        sink.violations.lock().unwrap()
    );
    let kinds: Vec<&str> = sink
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| match c {
            Change::Created { .. } => "created",
            Change::Modified { .. } => "modified",
            Change::Moved { .. } => "moved",
            Change::DirCreated { .. } => "dir",
            Change::Trashed { .. } => "trashed",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "dir", "dir", "created", "modified", "modified", "dir", "dir", "dir", "moved", "moved",
            "trashed", "moved", "trashed"
        ]
    );
}

#[test]
fn a_failing_journal_aborts_every_change() {
    let w = Work::new();
    w.write("a.txt", "a");
    w.write("d/b.txt", "b");
    w.sink.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let before = manifest(&w.root);
    let calls = [
        ("Write", json!({"file_path": "new.txt", "content": "x"})),
        ("Write", json!({"file_path": "a.txt", "content": "x"})),
        (
            "Edit",
            json!({"file_path": "a.txt", "old_string": "a", "new_string": "b"}),
        ),
        ("Move", json!({"from": "a.txt", "to": "x/y.txt"})),
        (
            "Move",
            json!({"from": "a.txt", "to": "d/b.txt", "overwrite": true}),
        ),
        ("Mkdir", json!({"path": "p/q"})),
        ("Delete", json!({"path": "d"})),
    ];
    for (tool, input) in calls {
        let err = w.err(tool, input);
        assert!(
            matches!(err, FileError::JournalFailed { .. }),
            "{tool}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("could not be written") && text.contains("disk full"),
            "{text}"
        );
        assert!(text.contains("nothing was changed"), "{text}");
    }
    assert_eq!(manifest(&w.root), before);
    assert!(w.store.trash().list().unwrap().is_empty());
    assert!(
        std::fs::read_dir(w.store.trash_dir())
            .unwrap()
            .next()
            .is_none(),
        "no half-made trash entries"
    );
}

fn blob_count(w: &Work) -> usize {
    let blobs = w.outside().join("data/journal/blobs");
    std::fs::read_dir(blobs)
        .unwrap()
        .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
        .sum()
}

#[test]
fn blobs_are_deduplicated_by_content() {
    let w = Work::new();
    w.write("a.txt", "same old content");
    w.write("b.txt", "same old content");
    w.ok("Write", json!({"file_path": "a.txt", "content": "new a"}));
    w.ok("Write", json!({"file_path": "b.txt", "content": "new b"}));
    assert_eq!(blob_count(&w), 1);
    let Change::Modified { before, .. } = &w.changes()[0] else {
        panic!()
    };
    assert_eq!(
        before,
        &blake3::hash(b"same old content").to_hex().to_string()
    );
    assert_eq!(
        std::fs::read(w.store.blob_path(before)).unwrap(),
        b"same old content"
    );
}

#[test]
fn replacing_a_large_file_links_it_into_the_journal_instead_of_copying() {
    let w = Work::new();
    let big = vec![7u8; 8 << 20];
    let path = w.write("big.bin", &big);
    let inode = std::fs::metadata(&path).unwrap().ino();
    w.ok(
        "Write",
        json!({"file_path": "big.bin", "content": "small now"}),
    );
    let Change::Modified { before, .. } = &w.changes()[0] else {
        panic!()
    };
    let blob = std::fs::metadata(w.store.blob_path(before)).unwrap();
    assert_eq!(blob.ino(), inode, "the old inode became the blob");
    // The replace took the inode's other name: nothing left can change it.
    assert_eq!(blob.nlink(), 1);
    assert_eq!(blob.mode() & 0o777, 0o400);
    assert_eq!(blob.len(), big.len() as u64);
    assert_eq!(w.read("big.bin"), "small now");
}

#[test]
fn gc_removes_only_unreferenced_blobs() {
    let w = Work::new();
    w.write("a.txt", "version a");
    w.write("b.txt", "version b");
    w.ok("Write", json!({"file_path": "a.txt", "content": "x"}));
    w.ok("Write", json!({"file_path": "b.txt", "content": "y"}));
    let keep: HashSet<String> = [blake3::hash(b"version a").to_hex().to_string()].into();
    assert_eq!(w.store.gc_blobs(&keep).unwrap(), (1, 9));
    assert_eq!(blob_count(&w), 1);
    assert!(w.store.has_blob(keep.iter().next().unwrap()));
}

#[test]
fn the_journal_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let w = Work::new();
    for dir in ["data/journal/blobs", "data/trash"] {
        let mode = std::fs::metadata(w.outside().join(dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{dir}");
    }
}
