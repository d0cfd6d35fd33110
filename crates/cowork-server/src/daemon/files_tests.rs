use std::path::{Path, PathBuf};

use cowork_protocol::{Change, Event, FileStamp, FolderGrant};
use cowork_store::StoredEvent;

use super::*;

fn log(changes: Vec<Change>) -> Vec<StoredEvent> {
    changes
        .into_iter()
        .enumerate()
        .map(|(i, change)| StoredEvent {
            seq: i as u64 + 2,
            at: 0,
            event: Event::FileChanged {
                call_id: format!("c{i}"),
                change,
            },
        })
        .collect()
}

fn created(path: &str) -> Change {
    Change::Created {
        path: PathBuf::from(path).into(),
        hash: "h".into(),
    }
}

fn modified(path: &str) -> Change {
    Change::Modified {
        path: PathBuf::from(path).into(),
        before: "a".into(),
        mode: 0o644,
        after: "b".into(),
    }
}

fn stamp() -> FileStamp {
    FileStamp {
        size: 1,
        mtime_ns: 0,
        inode: 1,
        hash: None,
    }
}

fn moved(from: &str, to: &str) -> Change {
    Change::Moved {
        from: PathBuf::from(from).into(),
        to: PathBuf::from(to).into(),
        stamp: stamp(),
    }
}

fn trashed(path: &str) -> Change {
    Change::Trashed {
        path: PathBuf::from(path).into(),
        trash_id: "t".into(),
        stamp: stamp(),
    }
}

fn kinds(touched: &[Touched]) -> Vec<(String, FileChangeKind)> {
    touched
        .iter()
        .map(|t| (t.path.display().to_string(), t.change))
        .collect()
}

#[test]
fn a_file_created_then_edited_is_listed_once_as_created() {
    let list = touched(&log(vec![created("/f/a.txt"), modified("/f/a.txt")]));
    assert_eq!(kinds(&list), [("/f/a.txt".into(), FileChangeKind::Created)]);
}

#[test]
fn moving_a_folder_carries_the_files_touched_below_it() {
    let list = touched(&log(vec![
        created("/f/in/a.txt"),
        modified("/f/in/b.txt"),
        moved("/f/in", "/f/out"),
    ]));
    let mut got = kinds(&list);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("/f/out".into(), FileChangeKind::Moved),
            ("/f/out/a.txt".into(), FileChangeKind::Created),
            ("/f/out/b.txt".into(), FileChangeKind::Moved),
        ]
    );
}

#[test]
fn trashing_a_folder_marks_what_the_task_touched_below_it_deleted() {
    let list = touched(&log(vec![created("/f/d/a.txt"), trashed("/f/d")]));
    let mut got = kinds(&list);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("/f/d".into(), FileChangeKind::Deleted),
            ("/f/d/a.txt".into(), FileChangeKind::Deleted),
        ]
    );
}

#[test]
fn the_newest_change_comes_first() {
    let list = touched(&log(vec![created("/f/old"), created("/f/new")]));
    assert_eq!(list[0].path, Path::new("/f/new"));
}

/// A folder with `out.txt` the task "wrote", `secret.txt` it never
/// touched, and a file outside the folder.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    let root = dir.path().join("folder").canonicalize().unwrap();
    std::fs::write(root.join("out.txt"), "the task's output").unwrap();
    std::fs::write(root.join("secret.txt"), "not the task's").unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "outside every grant").unwrap();
    Fixture {
        _dir: dir,
        root,
        outside,
    }
}

fn folders_for(root: &Path) -> Folders {
    open_folders(
        &[FolderGrant {
            path: root.to_path_buf(),
            read_only: false,
        }],
        &[],
        &[],
    )
    .unwrap()
}

fn touched_one(path: &Path) -> Vec<Touched> {
    touched(&log(vec![Change::Created {
        path: path.to_path_buf().into(),
        hash: "h".into(),
    }]))
}

#[test]
fn a_file_the_task_wrote_is_read_through_its_grant() {
    let f = fixture();
    let out = f.root.join("out.txt");
    let content = read(
        &folders_for(&f.root),
        &touched_one(&out),
        &out.display().to_string(),
    )
    .unwrap();
    assert_eq!(content.bytes, b"the task's output");
    assert_eq!(content.name, "out.txt");
}

#[test]
fn a_file_the_task_did_not_touch_is_not_found() {
    let f = fixture();
    let out = f.root.join("out.txt");
    let secret = f.root.join("secret.txt").display().to_string();
    let err = read(&folders_for(&f.root), &touched_one(&out), &secret).unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_dot_dot_spelling_of_a_touched_path_is_not_found() {
    let f = fixture();
    let out = f.root.join("out.txt");
    let sneaky = format!(
        "{}/../{}/out.txt",
        f.root.display(),
        f.root.file_name().unwrap().to_string_lossy()
    );
    let err = read(&folders_for(&f.root), &touched_one(&out), &sneaky).unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_touched_file_replaced_by_a_symlink_out_of_the_folder_is_not_read() {
    let f = fixture();
    let out = f.root.join("out.txt");
    std::fs::remove_file(&out).unwrap();
    std::os::unix::fs::symlink(&f.outside, &out).unwrap();
    let err = read(
        &folders_for(&f.root),
        &touched_one(&out),
        &out.display().to_string(),
    )
    .unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_touched_file_replaced_by_a_symlink_to_an_untouched_file_is_not_read() {
    let f = fixture();
    let out = f.root.join("out.txt");
    std::fs::remove_file(&out).unwrap();
    std::os::unix::fs::symlink("secret.txt", &out).unwrap();
    let err = read(
        &folders_for(&f.root),
        &touched_one(&out),
        &out.display().to_string(),
    )
    .unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_touched_path_whose_folder_became_a_symlink_out_is_not_read() {
    let f = fixture();
    let sub = f.root.join("sub");
    let target = f.outside.parent().unwrap().join("elsewhere");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("x.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(&target, &sub).unwrap();
    let touched_path = sub.join("x.txt");
    let err = read(
        &folders_for(&f.root),
        &touched_one(&touched_path),
        &touched_path.display().to_string(),
    )
    .unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_touched_path_outside_every_grant_is_not_read() {
    let f = fixture();
    let err = read(
        &folders_for(&f.root),
        &touched_one(&f.outside),
        &f.outside.display().to_string(),
    )
    .unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_deleted_file_is_not_read_even_if_something_is_there_again() {
    let f = fixture();
    let out = f.root.join("out.txt");
    let list = touched(&log(vec![
        Change::Created {
            path: out.clone().into(),
            hash: "h".into(),
        },
        Change::Trashed {
            path: out.clone().into(),
            trash_id: "t".into(),
            stamp: stamp(),
        },
    ]));
    let err = read(&folders_for(&f.root), &list, &out.display().to_string()).unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[test]
fn a_file_past_the_cap_is_refused_rather_than_cut() {
    let f = fixture();
    let big = f.root.join("big.bin");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(MAX_READ_BYTES + 1).unwrap();
    let err = read(
        &folders_for(&f.root),
        &touched_one(&big),
        &big.display().to_string(),
    )
    .unwrap_err();
    assert!(matches!(err, BackendError::BadRequest(_)), "{err:?}");
}

#[test]
fn listing_reports_current_size_and_a_missing_file_as_gone() {
    let f = fixture();
    let out = f.root.join("out.txt");
    let gone = f.root.join("gone.txt");
    let list = touched(&log(vec![
        Change::Created {
            path: out.clone().into(),
            hash: "h".into(),
        },
        Change::Created {
            path: gone.clone().into(),
            hash: "h".into(),
        },
    ]));
    let files = super::list(&folders_for(&f.root), &list);
    assert_eq!(files.len(), 2);
    let by_path = |p: &Path| {
        files
            .iter()
            .find(|t| t.path == p.display().to_string())
            .unwrap()
    };
    assert_eq!(by_path(&out).size, Some(17));
    assert!(by_path(&out).exists);
    assert_eq!(by_path(&gone).size, None);
    assert!(!by_path(&gone).exists);
}
