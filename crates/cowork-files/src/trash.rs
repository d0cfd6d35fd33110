//! cowork's trash: `data_dir/trash/<id>/item` plus `meta.json`. Delete
//! moves things here (a rename on the same file system), so nothing a task
//! deletes is lost until a person empties the trash.

use std::ffi::OsStr;
use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use crate::error::FileError;
use crate::fsops;
use crate::names;
use crate::store::store_err;

const ITEM: &str = "item";
const META: &str = "meta.json";

/// The trash directory.
#[derive(Debug)]
pub struct Trash {
    dir: PathBuf,
}

/// One trashed file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashEntry {
    /// Sortable by time: `20261124T154500-1a2b3c4d`.
    pub id: String,
    /// Where it was, absolute.
    pub original: PathBuf,
    /// When it was trashed, milliseconds since the Unix epoch.
    pub trashed_at_ms: i64,
    /// The task that trashed it, if any.
    pub task: Option<String>,
    /// Bytes (all files, for a folder).
    pub size: u64,
    pub is_dir: bool,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    #[serde(with = "cowork_protocol::serde_path")]
    original: PathBuf,
    trashed_at_ms: i64,
    task: Option<String>,
    size: u64,
    is_dir: bool,
}

/// An entry whose metadata is written but whose item is not moved in yet.
pub(crate) struct Pending {
    pub id: String,
    dir: OwnedFd,
}

impl Trash {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where an entry's item is (or would be).
    pub fn item_path(&self, id: &str) -> PathBuf {
        self.dir.join(id).join(ITEM)
    }

    /// Every entry holding an item, newest first.
    pub fn list(&self) -> Result<Vec<TrashEntry>, FileError> {
        let mut entries: Vec<TrashEntry> = self
            .all_entries()?
            .into_iter()
            .filter(|e| self.item_path(&e.id).symlink_metadata().is_ok())
            .collect();
        entries.sort_by(|a, b| {
            b.trashed_at_ms
                .cmp(&a.trashed_at_ms)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(entries)
    }

    /// Entries with readable metadata, items present or not.
    fn all_entries(&self) -> Result<Vec<TrashEntry>, FileError> {
        let dir = std::fs::read_dir(&self.dir).map_err(|e| store_err(&self.dir, e))?;
        let mut entries = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| store_err(&self.dir, e))?;
            let Some(id) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Ok(meta) = self.meta(&id) {
                entries.push(entry_of(id, meta));
            }
        }
        Ok(entries)
    }

    fn meta(&self, id: &str) -> Result<Meta, FileError> {
        if id.is_empty() || id.starts_with('.') || id.contains('/') {
            return Err(FileError::NoTrashEntry { id: id.to_owned() });
        }
        let path = self.dir.join(id).join(META);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::NoTrashEntry { id: id.to_owned() });
            }
            Err(e) => return Err(store_err(&path, e)),
        };
        serde_json::from_slice(&text).map_err(|e| {
            store_err(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })
    }

    /// Puts an entry back at its original path (or `to`), creating missing
    /// parent folders. Refuses ([`FileError::Exists`]) if something is
    /// there.
    pub fn restore(&self, id: &str, to: Option<&Path>) -> Result<PathBuf, FileError> {
        let meta = self.meta(id)?;
        let item = self.item_path(id);
        if item.symlink_metadata().is_err() {
            return Err(FileError::NoTrashEntry { id: id.to_owned() });
        }
        let dest = to.map_or_else(|| meta.original.clone(), Path::to_path_buf);
        let shown = names::show(&dest);
        if dest.symlink_metadata().is_ok() {
            return Err(exists(&shown));
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| store_err(parent, e))?;
        }
        match rustix::fs::renameat_with(CWD, &item, CWD, &dest, rustix::fs::RenameFlags::NOREPLACE)
        {
            Ok(()) => {}
            Err(Errno::EXIST) => return Err(exists(&shown)),
            Err(Errno::XDEV) => copy_out(&item, &dest).map_err(|e| fsops::io_err(&shown, e))?,
            Err(errno) => return Err(fsops::io_err(&shown, errno)),
        }
        let _ = std::fs::remove_dir_all(self.dir.join(id));
        Ok(dest)
    }

    /// PERMANENTLY deletes the entries trashed before `older_than_ms`
    /// (milliseconds since the epoch; every entry when `None`). Returns
    /// (entries, bytes).
    pub fn empty(&self, older_than_ms: Option<i64>) -> Result<(u64, u64), FileError> {
        let (mut count, mut bytes) = (0, 0);
        for entry in self.all_entries()? {
            if older_than_ms.is_some_and(|cutoff| entry.trashed_at_ms >= cutoff) {
                continue;
            }
            let path = self.dir.join(&entry.id);
            std::fs::remove_dir_all(&path).map_err(|e| store_err(&path, e))?;
            count += 1;
            bytes += entry.size;
        }
        Ok((count, bytes))
    }

    /// Creates an entry's folder and metadata, before the change that
    /// trashes the item is journaled.
    pub(crate) fn prepare(
        &self,
        original: &Path,
        task: Option<&str>,
        size: u64,
        is_dir: bool,
    ) -> std::io::Result<Pending> {
        let now = jiff::Timestamp::now();
        let id = format!(
            "{}-{:08x}",
            now.strftime("%Y%m%dT%H%M%S"),
            fastrand::u32(..)
        );
        let path = self.dir.join(&id);
        DirBuilder::new().mode(0o700).create(&path)?;
        let dir = rustix::fs::open(
            &path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let meta = Meta {
            original: original.to_path_buf(),
            trashed_at_ms: now.as_millisecond(),
            task: task.map(str::to_owned),
            size,
            is_dir,
        };
        let json = serde_json::to_vec_pretty(&meta).map_err(std::io::Error::other)?;
        fsops::atomic_write(dir.as_fd(), OsStr::new(META), &mut json.as_slice(), None)?;
        Ok(Pending { id, dir })
    }

    /// Drops a prepared entry whose change could not be journaled.
    pub(crate) fn discard(&self, pending: Pending) {
        let _ = std::fs::remove_dir_all(self.dir.join(&pending.id));
    }

    /// Moves `name` from `from_dir` into the prepared entry. Across file
    /// systems the item is copied (fsynced) and only then removed; a
    /// failure midway leaves the original in place.
    pub(crate) fn commit(
        &self,
        pending: &Pending,
        from_dir: BorrowedFd<'_>,
        name: &OsStr,
    ) -> std::io::Result<()> {
        let item = OsStr::new(ITEM);
        match fsops::rename_noreplace(from_dir, name, pending.dir.as_fd(), item) {
            Ok(()) => {
                rustix::fs::fsync(from_dir)?;
                rustix::fs::fsync(&pending.dir)?;
                Ok(())
            }
            Err(Errno::XDEV) => {
                if let Err(err) = fsops::copy_tree(from_dir, name, pending.dir.as_fd(), item) {
                    let _ = fsops::remove_tree(pending.dir.as_fd(), item);
                    return Err(err);
                }
                rustix::fs::fsync(&pending.dir)?;
                fsops::remove_tree(from_dir, name)?;
                Ok(())
            }
            Err(errno) => Err(errno.into()),
        }
    }
}

fn entry_of(id: String, meta: Meta) -> TrashEntry {
    TrashEntry {
        id,
        original: meta.original,
        trashed_at_ms: meta.trashed_at_ms,
        task: meta.task,
        size: meta.size,
        is_dir: meta.is_dir,
    }
}

fn exists(shown: &str) -> FileError {
    FileError::Exists {
        path: shown.to_owned(),
        hint: "move it away first, or restore to another path".to_owned(),
    }
}

/// Restores across file systems: copy, then remove the trashed item.
fn copy_out(item: &Path, dest: &Path) -> std::io::Result<()> {
    let open_parent = |path: &Path| {
        rustix::fs::open(
            path.parent().unwrap_or(Path::new("/")),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    };
    let (Some(item_name), Some(dest_name)) = (item.file_name(), dest.file_name()) else {
        return Err(std::io::Error::other("the path has no file name"));
    };
    let from = open_parent(item)?;
    let to = open_parent(dest)?;
    fsops::copy_tree(from.as_fd(), item_name, to.as_fd(), dest_name)?;
    fsops::remove_tree(from.as_fd(), item_name)?;
    Ok(())
}
