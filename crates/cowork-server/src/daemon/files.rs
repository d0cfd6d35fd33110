//! What a task created or changed, folded from its log, and reading those
//! files back for previews and downloads.
//!
//! The log's `FileChanged` events are the only list of paths a task may be
//! asked about: a preview route is not a file server. Files are opened
//! through the task's folder grants, beneath each folder's root
//! (`openat2(RESOLVE_BENEATH)` in cowork-files), never by joining strings.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use cowork_files::{FileError, Folders, show_path};
use cowork_protocol::{Change, Event, FolderGrant};
use cowork_store::StoredEvent;

use crate::backend::{BackendError, FileChangeKind, FileContent, TaskFile};

/// The most a preview or download reads: larger files are refused, not
/// cut, so a download is never silently incomplete.
pub const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;

/// One path's latest state in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Touched {
    pub path: PathBuf,
    pub change: FileChangeKind,
    /// The seq of the last change, to list the newest first.
    seq: u64,
}

/// Folds the log's file changes into one entry per path as it is now:
/// a file created and then edited is still `Created`; a move carries what
/// lay below its source (a folder) to the destination; a file moved or
/// trashed away keeps no entry under its old name except as `Deleted`.
/// Folders created are left out: they are not files to preview. Newest
/// first.
pub(crate) fn touched(events: &[StoredEvent]) -> Vec<Touched> {
    let mut by_path: HashMap<PathBuf, Touched> = HashMap::new();
    for stored in events {
        let Event::FileChanged { change, .. } = &stored.event else {
            continue;
        };
        let seq = stored.seq;
        match change {
            Change::Created { path, .. } => {
                let path = path.as_path().to_path_buf();
                let change = FileChangeKind::Created;
                by_path.insert(path.clone(), Touched { path, change, seq });
            }
            Change::Modified { path, .. } => {
                let path = path.as_path().to_path_buf();
                let change = match by_path.get(&path).map(|t| t.change) {
                    // Created by this task: still new to the person.
                    Some(FileChangeKind::Created) => FileChangeKind::Created,
                    Some(
                        FileChangeKind::Modified | FileChangeKind::Moved | FileChangeKind::Deleted,
                    )
                    | None => FileChangeKind::Modified,
                };
                by_path.insert(path.clone(), Touched { path, change, seq });
            }
            Change::Moved { from, to, .. } => {
                move_below(&mut by_path, from.as_path(), to.as_path(), seq);
            }
            Change::Trashed { path, .. } => {
                for entry in by_path.values_mut() {
                    if entry.path.starts_with(path.as_path()) {
                        entry.change = FileChangeKind::Deleted;
                        entry.seq = seq;
                    }
                }
                let path = path.as_path().to_path_buf();
                by_path
                    .entry(path.clone())
                    .or_insert(Touched {
                        path,
                        change: FileChangeKind::Deleted,
                        seq,
                    })
                    .seq = seq;
            }
            Change::DirCreated { .. } => {}
        }
    }
    let mut list: Vec<Touched> = by_path.into_values().collect();
    list.sort_by(|a, b| b.seq.cmp(&a.seq).then_with(|| a.path.cmp(&b.path)));
    list
}

/// Renames every entry at or below `from` to lie below `to`, and records
/// the moved entry itself when the log knew nothing of it before.
fn move_below(by_path: &mut HashMap<PathBuf, Touched>, from: &Path, to: &Path, seq: u64) {
    let below: Vec<PathBuf> = by_path
        .keys()
        .filter(|p| p.starts_with(from))
        .cloned()
        .collect();
    let mut moved_itself = false;
    for old in below {
        let Some(mut entry) = by_path.remove(&old) else {
            continue;
        };
        let rest = old.strip_prefix(from).unwrap_or(Path::new(""));
        moved_itself |= rest.as_os_str().is_empty();
        entry.path = if rest.as_os_str().is_empty() {
            to.to_path_buf()
        } else {
            to.join(rest)
        };
        entry.change = match entry.change {
            FileChangeKind::Created => FileChangeKind::Created,
            FileChangeKind::Modified | FileChangeKind::Moved | FileChangeKind::Deleted => {
                FileChangeKind::Moved
            }
        };
        entry.seq = seq;
        by_path.insert(entry.path.clone(), entry);
    }
    if !moved_itself {
        let path = to.to_path_buf();
        by_path.insert(
            path.clone(),
            Touched {
                path,
                change: FileChangeKind::Moved,
                seq,
            },
        );
    }
}

/// The task's files as the API lists them: each touched path with its
/// size now, looked up through the grants. A directory a move or trash
/// entry named is listed only when it is not a folder now (the list is of
/// files).
pub(crate) fn list(folders: &Folders, touched: &[Touched]) -> Vec<TaskFile> {
    touched
        .iter()
        .filter_map(|t| {
            let size = match regular_size(folders, &t.path) {
                Ok(Some(size)) => Some(size),
                Ok(None) => return None,
                Err(_) => None,
            };
            Some(TaskFile {
                path: show_path(&t.path),
                change: t.change,
                size,
                exists: size.is_some(),
            })
        })
        .collect()
}

/// `Ok(Some(size))` for a regular file, `Ok(None)` for a directory, an
/// error when it is missing, unreachable through the grants, or anything
/// else.
fn regular_size(folders: &Folders, path: &Path) -> Result<Option<u64>, FileError> {
    let resolved = folders.resolve_path(path)?;
    let fd = resolved.open(OFlags::PATH | OFlags::NOFOLLOW, Mode::empty())?;
    let stat = rustix::fs::fstat(&fd).map_err(|errno| FileError::Io {
        path: show_path(path),
        source: errno.into(),
    })?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Ok(Some(u64::try_from(stat.st_size).unwrap_or(0))),
        FileType::Directory => Ok(None),
        FileType::Symlink
        | FileType::Fifo
        | FileType::Socket
        | FileType::CharacterDevice
        | FileType::BlockDevice
        | FileType::Unknown => Err(FileError::NotFound {
            path: show_path(path),
        }),
    }
}

/// Opens the task's grants for reading what it touched. Deny rules' hidden
/// paths and cowork's own directories stay concealed, as for the task.
pub(crate) fn open_folders(
    grants: &[FolderGrant],
    hidden: &[String],
    reserved: &[PathBuf],
) -> Result<Folders, BackendError> {
    Folders::open(grants)
        .and_then(|f| f.with_hidden(hidden))
        .map(|f| f.with_reserved(reserved))
        .map_err(|e| BackendError::NotFound(format!("the task's folders cannot be opened: {e}")))
}

/// Reads `wanted` (a path as [`list`] shows it) if the task touched it and
/// it is still a regular file inside a grant. The last component is not
/// followed if it is a symlink: a link put in place of a task's file after
/// the task is not what the task wrote.
pub(crate) fn read(
    folders: &Folders,
    touched: &[Touched],
    wanted: &str,
) -> Result<FileContent, BackendError> {
    let not_found = || {
        BackendError::NotFound(format!(
            "`{wanted}` is not a file this task created or changed"
        ))
    };
    let entry = touched
        .iter()
        .find(|t| show_path(&t.path) == wanted)
        .ok_or_else(not_found)?;
    match entry.change {
        FileChangeKind::Deleted => return Err(not_found()),
        FileChangeKind::Created | FileChangeKind::Modified | FileChangeKind::Moved => {}
    }
    let gone = |e: FileError| BackendError::NotFound(format!("`{wanted}` cannot be read: {e}"));
    let resolved = folders.resolve_path(&entry.path).map_err(gone)?;
    let flags = OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::NOFOLLOW;
    let fd = resolved.open(flags, Mode::empty()).map_err(gone)?;
    let stat = rustix::fs::fstat(&fd).map_err(|errno| {
        BackendError::Internal(format!(
            "`{wanted}` cannot be read: {}",
            std::io::Error::from(errno)
        ))
    })?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(not_found());
    }
    let size = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
    if size > MAX_READ_BYTES {
        return Err(BackendError::BadRequest(format!(
            "`{wanted}` is {size} bytes, more than the {MAX_READ_BYTES} bytes a preview or \
             download reads; open it from its folder instead"
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // One byte past the cap tells a file that grew since the stat.
    std::fs::File::from(fd)
        .take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| BackendError::Internal(format!("`{wanted}` cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(BackendError::BadRequest(format!(
            "`{wanted}` is larger than the {MAX_READ_BYTES} bytes a preview or download reads; \
             open it from its folder instead"
        )));
    }
    let name = entry
        .path
        .file_name()
        .map(|n| show_path(Path::new(n)))
        .unwrap_or_else(|| "file".to_owned());
    Ok(FileContent { name, bytes })
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
