//! Regression tests for the security review's defect 7: a command could
//! stage a 4 TiB sparse file (the apply hung hashing it), any number of
//! files, or thousands of nested folders (cowork crashed with a stack
//! overflow, the task half applied). Now a stage is measured first and
//! refused whole, and every walk is iterative.

use std::path::Path;
use std::time::{Duration, Instant};

use cowork_files::FileError;
use cowork_files::staged::{self, Excess, Stage, StageLimits};
use cowork_protocol::config::SandboxConfig;
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use serde_json::json;

use super::staged::{journal, put, whiteout};
use super::work::{Work, manifest};

/// Small enough that a walk recursing once per level (a few hundred
/// bytes a frame) overflows within a few thousand levels.
const SMALL_STACK: usize = 256 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn open_dir(path: &Path) -> OwnedFd {
    rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap()
}

/// `dir/d/d/…/d/leaf.txt`, `depth` folders deep. Built one level at a
/// time: the path is far longer than PATH_MAX.
fn nest(dir: &Path, depth: usize) {
    let mut fd = open_dir(dir);
    for _ in 0..depth {
        rustix::fs::mkdirat(&fd, "d", Mode::from_raw_mode(0o755)).unwrap();
        fd = rustix::fs::openat(&fd, "d", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
            .unwrap();
    }
    let leaf = rustix::fs::openat(
        &fd,
        "leaf.txt",
        OFlags::WRONLY | OFlags::CREATE,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&leaf, b"deep\n").unwrap();
}

/// How many `d` folders nest below `dir`, and whether the last holds
/// `leaf.txt`.
fn nested_depth(dir: &Path) -> (usize, bool) {
    let mut fd = open_dir(dir);
    let mut depth = 0;
    while let Ok(next) =
        rustix::fs::openat(&fd, "d", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
    {
        fd = next;
        depth += 1;
    }
    let leaf = rustix::fs::statat(&fd, "leaf.txt", rustix::fs::AtFlags::empty()).is_ok();
    (depth, leaf)
}

fn apply_with(w: &Work, stage: &Stage, limits: &StageLimits) -> Result<staged::Applied, FileError> {
    staged::apply(&w.folders, &journal(w), &w.root, stage, limits)
}

#[test]
fn a_4_tib_sparse_file_is_refused_at_once_and_nothing_is_applied() {
    let w = Work::new();
    w.write("keep.txt", "old\n");
    w.write("gone.txt", "bye\n");
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "a.txt", "applied first in sorted order\n");
    put(stage.upper(), "keep.txt", "changed\n");
    whiteout(stage.upper(), "gone.txt");
    let big = std::fs::File::create(stage.upper().join("huge.bin")).unwrap();
    big.set_len(4 << 40).unwrap();

    let started = Instant::now();
    let err = apply_with(&w, &stage, &StageLimits::default()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let FileError::StagedTooLarge { excess } = &err else {
        panic!("{err}");
    };
    assert_eq!(
        *excess,
        Excess::Bytes {
            limit: StageLimits::DEFAULT_MAX_BYTES
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("none of the command's changes"),
        "{message}"
    );
    assert!(message.contains("/tmp"), "{message}");
    assert_eq!(manifest(&w.root), before);
    assert!(w.changes().is_empty(), "{:#?}", w.changes());
    assert!(w.store.trash().list().unwrap().is_empty());
}

#[test]
fn more_entries_than_the_cap_applies_nothing() {
    let w = Work::new();
    w.write("gone.txt", "bye\n");
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    whiteout(stage.upper(), "gone.txt");
    for i in 0..60 {
        put(stage.upper(), &format!("out/{i:02}.txt"), "x\n");
    }
    let limits = StageLimits {
        max_entries: 50,
        ..StageLimits::default()
    };

    let err = apply_with(&w, &stage, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            FileError::StagedTooLarge {
                excess: Excess::Entries { limit: 50 }
            }
        ),
        "{err}"
    );
    assert_eq!(manifest(&w.root), before);
    assert!(w.changes().is_empty());

    // At the cap exactly, everything is applied.
    let limits = StageLimits {
        max_entries: 62,
        ..StageLimits::default()
    };
    let applied = apply_with(&w, &stage, &limits).unwrap();
    assert_eq!(applied.created.len(), 60);
    assert_eq!(applied.trashed, ["gone.txt"]);
}

#[test]
fn the_caps_of_several_folders_stages_add_up() {
    let w = Work::new();
    let one = Stage::create(&w.store).unwrap();
    let two = Stage::create(&w.store).unwrap();
    put(one.upper(), "a.bin", &"a".repeat(700 * 1024));
    put(two.upper(), "b.bin", &"b".repeat(700 * 1024));
    let limits = StageLimits {
        max_bytes: 1 << 20,
        ..StageLimits::default()
    };
    staged::check(&[&one], &limits).unwrap();
    let err = staged::check(&[&one, &two], &limits).unwrap_err();
    assert!(
        matches!(
            err,
            FileError::StagedTooLarge {
                excess: Excess::Bytes { .. }
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("1 MiB"), "{err}");
}

#[test]
fn the_configuration_overrides_the_default_caps() {
    let defaults = StageLimits::default();
    assert_eq!(defaults.max_bytes, 2 << 30);
    assert_eq!(defaults.max_entries, 100_000);
    assert_eq!(defaults.max_depth, 256);
    let limits = StageLimits::from_config(&SandboxConfig {
        max_stage_mb: Some(10),
        max_stage_entries: Some(7),
        ..SandboxConfig::default()
    });
    assert_eq!(limits.max_bytes, 10 << 20);
    assert_eq!(limits.max_entries, 7);
}

#[test]
fn thousands_of_nested_folders_are_refused_by_the_depth_cap_without_overflowing_the_stack() {
    for depth in [3_000, 20_000] {
        let w = Work::new();
        let before = manifest(&w.root);
        let stage = Stage::create(&w.store).unwrap();
        nest(stage.upper(), depth);
        let stage_root = stage.upper().parent().unwrap().to_path_buf();

        let (w, result) = on_small_stack(move || {
            let result = apply_with(&w, &stage, &StageLimits::default()).map(|_| ());
            // Dropping the stage removes the deep tree too.
            drop(stage);
            (w, result)
        });
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                FileError::StagedTooLarge {
                    excess: Excess::Depth { limit: 256 }
                }
            ),
            "{err}"
        );
        assert_eq!(manifest(&w.root), before);
        assert!(w.changes().is_empty());
        assert!(!stage_root.exists(), "the stage of depth {depth} was left");
    }
}

#[test]
fn thousands_of_nested_folders_within_a_raised_cap_are_applied_without_recursion() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    nest(stage.upper(), 3_000);
    let limits = StageLimits {
        max_depth: 5_000,
        ..StageLimits::default()
    };

    let (w, applied) = on_small_stack(move || {
        let applied = apply_with(&w, &stage, &limits);
        (w, applied)
    });
    let applied = applied.unwrap();
    assert_eq!(applied.dirs.len(), 3_000);
    assert_eq!(applied.created.len(), 1);
    assert_eq!(nested_depth(&w.root), (3_000, true));
}

#[test]
fn deleting_a_3000_deep_tree_moves_it_to_the_trash_without_overflowing_the_stack() {
    let w = Work::new();
    std::fs::create_dir(w.path("deep")).unwrap();
    nest(&w.path("deep"), 3_000);

    let w = on_small_stack(move || {
        w.ok("Delete", json!({"path": "deep"}));
        w
    });
    assert!(!w.exists("deep"));
    let trash = w.store.trash().list().unwrap();
    assert_eq!(trash.len(), 1, "{trash:?}");
    assert!(trash[0].is_dir);
    assert_eq!(trash[0].original, w.path("deep"));
    // tree_size walked all the way down to the one file.
    assert_eq!(trash[0].size, 5);

    let w = on_small_stack(move || {
        w.undo(false).unwrap();
        w
    });
    assert_eq!(nested_depth(&w.path("deep")), (3_000, true));
}
