//! The tree walks behind Delete, Move, the trash and staged commands:
//! no setuid bits copied, no recursion per level, no wrong turn going up.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};

use super::walk::Cursor;
use super::{copy_tree, remove_tree, tree_size};

fn open(path: &Path) -> OwnedFd {
    rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `dir/d/d/…/d/leaf`, built one level at a time (longer than PATH_MAX).
fn nest(dir: &Path, depth: usize) {
    let mut fd = open(dir);
    for _ in 0..depth {
        rustix::fs::mkdirat(&fd, "d", Mode::from_raw_mode(0o755)).unwrap();
        fd = rustix::fs::openat(&fd, "d", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
            .unwrap();
    }
    let leaf = rustix::fs::openat(
        &fd,
        "leaf",
        OFlags::WRONLY | OFlags::CREATE,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&leaf, b"abc").unwrap();
}

#[test]
fn a_copied_tree_keeps_no_setuid_setgid_or_sticky_bits() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("shared/locked")).unwrap();
    std::fs::write(src.join("shared/tool"), "x").unwrap();
    std::fs::write(src.join("shared/locked/inside"), "y").unwrap();
    chmod(&src.join("shared/tool"), 0o6755);
    chmod(&src.join("shared"), 0o3775);
    // Read-only: the copy must still be able to fill it first.
    chmod(&src.join("shared/locked"), 0o555);

    let dir = open(tmp.path());
    copy_tree(
        dir.as_fd(),
        OsStr::new("src"),
        dir.as_fd(),
        OsStr::new("dst"),
    )
    .unwrap();
    let dst = tmp.path().join("dst");
    assert_eq!(mode(&dst.join("shared/tool")), 0o755);
    assert_eq!(mode(&dst.join("shared")), 0o775);
    assert_eq!(mode(&dst.join("shared/locked")), 0o555);
    assert_eq!(
        std::fs::read_to_string(dst.join("shared/locked/inside")).unwrap(),
        "y"
    );
    chmod(&src.join("shared/locked"), 0o755);
    chmod(&dst.join("shared/locked"), 0o755);
}

/// Regression: tree_size, copy_tree and remove_tree recursed once per
/// level, so a deep enough tree overflowed the stack (Delete and Move of
/// a tree a command left crashed cowork).
#[test]
fn a_3000_deep_tree_is_measured_copied_and_removed_on_a_small_stack() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("deep")).unwrap();
    nest(&tmp.path().join("deep"), 3_000);
    let root = tmp.path().to_path_buf();
    std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            let dir = open(&root);
            let (deep, copy) = (OsStr::new("deep"), OsStr::new("copy"));
            assert_eq!(tree_size(dir.as_fd(), deep).unwrap(), (1, 3));
            copy_tree(dir.as_fd(), deep, dir.as_fd(), copy).unwrap();
            assert_eq!(tree_size(dir.as_fd(), copy).unwrap(), (1, 3));
            remove_tree(dir.as_fd(), deep).unwrap();
            remove_tree(dir.as_fd(), copy).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_walk_stops_when_a_folder_it_is_in_was_moved_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("a/b/c")).unwrap();
    std::fs::create_dir(tmp.path().join("elsewhere")).unwrap();
    let dir = open(tmp.path());
    let mut cursor = Cursor::open(dir.as_fd(), OsStr::new("a")).unwrap();
    cursor.descend(OsStr::new("b")).unwrap();
    cursor.descend(OsStr::new("c")).unwrap();
    std::fs::rename(tmp.path().join("a/b"), tmp.path().join("elsewhere/b")).unwrap();

    // Back up to b: the same folder, wherever it is now.
    assert_eq!(cursor.ascend().unwrap().as_deref(), Some(OsStr::new("c")));
    // Up from b leads to `elsewhere`, not to `a`: refused.
    let err = cursor.ascend().unwrap_err();
    assert!(err.to_string().contains("moved"), "{err}");
}
