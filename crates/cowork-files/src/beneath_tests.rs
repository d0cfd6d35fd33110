//! Both resolvers — the kernel's `openat2` and the fallback walk — must
//! agree on every case: what opens, and what is refused as an escape.

use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::{open_beneath, walk_beneath};

type Opener = fn(rustix::fd::BorrowedFd<'_>, &Path, OFlags, Mode) -> rustix::io::Result<OwnedFd>;

const OPENERS: [(&str, Opener); 2] = [("openat2", open_beneath), ("walk", walk_beneath)];

/// `base/root` (the folder) with `a.txt`, `sub/b.txt`, and links; and
/// `base/outside.txt`, which must never be read.
fn setup() -> (tempfile::TempDir, OwnedFd) {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(root.join("a.txt"), "inside a").unwrap();
    std::fs::write(root.join("sub/b.txt"), "inside b").unwrap();
    std::fs::write(base.path().join("outside.txt"), "SECRET").unwrap();
    symlink("sub/b.txt", root.join("to_b")).unwrap();
    symlink("../a.txt", root.join("sub/up_to_a")).unwrap();
    symlink("../outside.txt", root.join("out_rel")).unwrap();
    symlink(base.path().join("outside.txt"), root.join("out_abs")).unwrap();
    symlink("/", root.join("slash")).unwrap();
    symlink("..", root.join("parent")).unwrap();
    symlink("sub", root.join("sub_link")).unwrap();
    symlink("loop2", root.join("loop1")).unwrap();
    symlink("loop1", root.join("loop2")).unwrap();
    let fd = rustix::fs::open(&root, OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
    (base, fd)
}

fn read(fd: OwnedFd) -> String {
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text).unwrap();
    text
}

#[test]
fn paths_inside_the_folder_open_with_both_resolvers() {
    let (_base, root) = setup();
    let cases = [
        ("a.txt", "inside a"),
        ("sub/b.txt", "inside b"),
        ("sub/../a.txt", "inside a"),
        ("./sub/deeper/../b.txt", "inside b"),
        ("to_b", "inside b"),
        ("sub/up_to_a", "inside a"),
        ("sub_link/b.txt", "inside b"),
        ("sub_link/../a.txt", "inside a"),
    ];
    for (name, opener) in OPENERS {
        for (path, expected) in cases {
            let fd = opener(root.as_fd(), Path::new(path), OFlags::RDONLY, Mode::empty())
                .unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
            assert_eq!(read(fd), expected, "{name}: {path}");
        }
    }
}

#[test]
fn every_escape_is_refused_by_both_resolvers() {
    let (_base, root) = setup();
    let escapes = [
        "../outside.txt",
        "sub/../../outside.txt",
        "out_rel",
        "out_abs",
        "slash/etc/passwd",
        "parent/outside.txt",
        "sub/deeper/../../../outside.txt",
    ];
    for (name, opener) in OPENERS {
        for path in escapes {
            let result = opener(root.as_fd(), Path::new(path), OFlags::RDONLY, Mode::empty());
            match result {
                Err(Errno::XDEV | Errno::LOOP) => {}
                Err(other) => panic!("{name}: {path}: unexpected {other}"),
                Ok(fd) => panic!("{name}: {path} opened: {:?}", read(fd)),
            }
        }
    }
}

#[test]
fn the_walk_refuses_an_absolute_path() {
    let (_base, root) = setup();
    let result = walk_beneath(
        root.as_fd(),
        Path::new("/etc/passwd"),
        OFlags::RDONLY,
        Mode::empty(),
    );
    assert_eq!(result.err(), Some(Errno::XDEV));
}

#[test]
fn a_symlink_loop_is_reported_as_a_loop_by_the_walk() {
    let (_base, root) = setup();
    let result = walk_beneath(
        root.as_fd(),
        Path::new("loop1"),
        OFlags::RDONLY,
        Mode::empty(),
    );
    assert_eq!(result.err(), Some(Errno::LOOP));
}

#[test]
fn a_missing_file_is_not_found_and_can_be_created_by_the_walk() {
    let (base, root) = setup();
    let missing = walk_beneath(
        root.as_fd(),
        Path::new("sub/new.txt"),
        OFlags::RDONLY,
        Mode::empty(),
    );
    assert_eq!(missing.err(), Some(Errno::NOENT));
    let fd = walk_beneath(
        root.as_fd(),
        Path::new("sub/new.txt"),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
        Mode::from_raw_mode(0o600),
    )
    .unwrap();
    drop(fd);
    assert!(base.path().join("root/sub/new.txt").is_file());
}

#[test]
fn the_walk_creating_through_an_escaping_symlink_is_refused() {
    let (base, root) = setup();
    symlink(base.path(), base.path().join("root/out_dir")).unwrap();
    let result = walk_beneath(
        root.as_fd(),
        Path::new("out_dir/planted.txt"),
        OFlags::WRONLY | OFlags::CREATE,
        Mode::from_raw_mode(0o600),
    );
    assert_eq!(result.err(), Some(Errno::XDEV));
    assert!(!base.path().join("planted.txt").exists());
}

#[test]
fn the_folder_itself_opens_as_a_directory() {
    let (_base, root) = setup();
    for (name, opener) in OPENERS {
        for path in ["", ".", "sub/..", "sub_link/.."] {
            let fd = opener(
                root.as_fd(),
                Path::new(path),
                OFlags::RDONLY | OFlags::DIRECTORY,
                Mode::empty(),
            );
            assert!(fd.is_ok(), "{name}: {path:?}: {fd:?}");
        }
    }
}
