use std::fs::File;
use std::io::Read;

use super::*;

fn saved(store: &JournalStore, dir: &Path, bytes: &[u8]) -> String {
    let path = dir.join("f.txt");
    std::fs::write(&path, bytes).unwrap();
    let mut file = File::open(&path).unwrap();
    let stat = rustix::fs::fstat(&file).unwrap();
    let saved = store.save_blob(&mut file, &stat).unwrap();
    saved.hash().to_owned()
}

#[test]
fn a_blob_changed_after_it_was_saved_fails_the_read_that_would_end_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = JournalStore::open(&dir.path().join("data")).unwrap();
    let hash = saved(&store, dir.path(), b"saved bytes\n");
    let path = store.blob_path(&hash);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::write(&path, b"other bytes\n").unwrap();

    let mut out = Vec::new();
    let err = store
        .open_blob(&hash)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap_err();
    let FileError::Tampered { what, .. } = mismatch_or_io("x", err) else {
        panic!("not reported as tampered");
    };
    assert!(what.contains(&hash), "{what}");
    assert!(store.verify_blob(&hash).is_err());
}

#[test]
fn a_copy_from_a_tampered_blob_is_never_installed() {
    let dir = tempfile::tempdir().unwrap();
    let store = JournalStore::open(&dir.path().join("data")).unwrap();
    let hash = saved(&store, dir.path(), b"saved bytes\n");
    let path = store.blob_path(&hash);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::write(&path, b"other bytes\n").unwrap();
    let target = dir.path().join("target");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("f.txt"), b"current\n").unwrap();
    let fd = open_dir(&target).unwrap();

    let mut blob = store.open_blob(&hash).unwrap();
    assert!(fsops::atomic_write(fd.as_fd(), "f.txt".as_ref(), &mut blob, None).is_err());
    assert_eq!(std::fs::read(target.join("f.txt")).unwrap(), b"current\n");
    assert_eq!(
        std::fs::read_dir(&target).unwrap().count(),
        1,
        "a temp file was left"
    );
}

#[test]
fn a_valid_blob_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = JournalStore::open(&dir.path().join("data")).unwrap();
    let hash = saved(&store, dir.path(), b"saved bytes\n");
    let mut out = Vec::new();
    store
        .open_blob(&hash)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, b"saved bytes\n");
    store.verify_blob(&hash).unwrap();
}
