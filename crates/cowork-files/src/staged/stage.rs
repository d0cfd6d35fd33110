//! Where a command's changes to one folder wait: an overlay upper and
//! work directory under cowork's data dir, removed when dropped.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};

use crate::error::FileError;
use crate::fsops::{self, io_err};
use crate::store::JournalStore;

/// Stages left behind by a crash are removed when they are this old.
const STALE: Duration = Duration::from_secs(24 * 3600);

/// An overlay upper and work directory for one folder of one command,
/// under cowork's data dir; removed when dropped.
#[derive(Debug)]
pub struct Stage {
    root: PathBuf,
    upper: PathBuf,
    work: PathBuf,
}

impl Stage {
    /// Creates an empty stage under the store's data dir (`stage/<id>/`).
    pub fn create(store: &JournalStore) -> Result<Self, FileError> {
        Self::create_in(store.stages())
    }

    /// Creates an empty stage under `parent`, which must be on a file
    /// system with `user.*` extended attributes and outside the folder.
    pub fn create_in(parent: &Path) -> Result<Self, FileError> {
        remove_stale(parent);
        let root = parent.join(format!("{:016x}", fastrand::u64(..)));
        let upper = root.join("upper");
        let work = root.join("work");
        for dir in [&upper, &work] {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io_err(&dir.display().to_string(), e))?;
        }
        Ok(Self { root, upper, work })
    }

    /// The overlay upper directory: the command's changes.
    pub fn upper(&self) -> &Path {
        &self.upper
    }

    /// The overlay work directory.
    pub fn work(&self) -> &Path {
        &self.work
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        remove_stage(&self.root);
    }
}

/// Removes a stage, first giving back the permissions overlayfs takes from
/// its work directory (`work/work` has mode 0).
/// The walk is cowork's own (iterative, making each directory writable
/// first): a command may have left a tree too deep for a recursive removal,
/// or directories it made read-only.
fn remove_stage(root: &Path) {
    let inner = root.join("work").join("work");
    let _ = rustix::fs::chmod(&inner, Mode::from_raw_mode(0o700));
    let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
        return;
    };
    let Ok(parent) = rustix::fs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return;
    };
    let _ = fsops::remove_own_tree(parent.as_fd(), name);
}

fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > STALE);
        if old {
            remove_stage(&entry.path());
        }
    }
}
