//! What Glob and Grep share: where a search starts, and how the tree is
//! walked.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use std::os::unix::fs::MetadataExt;

use ignore::WalkBuilder;
use rustix::fs::FileType;

use crate::conceal::Concealed;
use crate::error::FileError;
use crate::folders::Folders;

/// Where a search starts: a checked location inside one folder.
pub(crate) struct Base {
    /// Which folder.
    pub root: usize,
    /// The real absolute path, inside the folder's root.
    pub path: PathBuf,
    pub kind: FileType,
    /// The path as the caller wrote it (`.` when absent).
    pub input: String,
}

impl Base {
    /// Locates `path` (the first folder when absent or empty). The kernel
    /// checks that it lies inside a folder before anything is walked.
    pub fn locate(folders: &Folders, path: Option<&str>) -> Result<Base, FileError> {
        let input = match path {
            None | Some("") => ".",
            Some(path) => path,
        };
        let resolved = folders.resolve(input)?;
        let (path, kind) = resolved.locate()?;
        Ok(Base {
            root: resolved.root_index(),
            path,
            kind,
            input: input.to_owned(),
        })
    }
}

/// A walker over `dir` with ripgrep's standard filters: `.gitignore`,
/// `.ignore` and `.git/info/exclude` are honoured (in plain folders too,
/// not only in git repositories), hidden files are skipped unless
/// `hidden` is set, and symlinks are never followed, so a link pointing
/// out of the folder leads nowhere.
///
/// Ignore files above `dir` and the user's global git excludes are not
/// read: what a search finds depends on the folder alone.
///
/// What `skip` conceals (paths hidden by deny rules, cowork's own
/// directories, by name or by identity) is never entered or yielded.
pub(crate) fn walker(dir: &Path, hidden: bool, skip: &Concealed) -> WalkBuilder {
    let mut builder = WalkBuilder::new(dir);
    let skip = skip.clone();
    builder
        .follow_links(false)
        .hidden(!hidden)
        .require_git(false)
        .git_global(false)
        .parents(false)
        .threads(threads())
        // One filter (a later one would replace it): `.git` is hidden, but
        // a pattern naming hidden files must still not wade through a
        // repository's object store; concealed paths are never entered or
        // yielded.
        .filter_entry(move |entry| {
            if entry.file_name() == ".git" || skip.entry(entry.path()) {
                return false;
            }
            // A reserved directory under another name (a bind mount): the
            // inode from the directory entry is a cheap first test.
            let same = entry.ino().is_some_and(|ino| skip.has_ino(ino))
                && entry.metadata().is_ok_and(|m| skip.by_id(m.dev(), m.ino()));
            !same
        });
    builder
}

/// One walker thread per core, as ripgrep does (capped at 12).
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().min(12))
        .unwrap_or(2)
}

/// `abs` relative to folder `root`'s root, for opening beneath it.
pub(crate) fn rel_to_root<'p>(folders: &Folders, root: usize, abs: &'p Path) -> Option<&'p Path> {
    abs.strip_prefix(folders.root_path(root)).ok()
}

/// A walker thread's results, merged into the shared list once, when the
/// thread's visitor is dropped.
pub(crate) struct Batch<'s, T> {
    pub items: Vec<T>,
    sink: &'s Mutex<Vec<T>>,
}

impl<'s, T> Batch<'s, T> {
    pub fn new(sink: &'s Mutex<Vec<T>>) -> Self {
        Self {
            items: Vec::new(),
            sink,
        }
    }
}

impl<T> Drop for Batch<'_, T> {
    fn drop(&mut self) {
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sink.append(&mut self.items);
    }
}
