//! cowork's trash: `data_dir/trash/<id>/item` plus `meta.json`. Delete
//! moves things here (a rename on the same file system), so nothing a task
//! deletes is lost until a person empties the trash.
//!
//! The trash lives in cowork's data dir, which any local program of the
//! user can write, so an entry's `meta.json` is never what decides where it
//! goes back: [`Trash::restore`] takes the change journal's record of the
//! entry ([`TrashRecord`]), refuses an entry that disagrees with it, and
//! puts the item back beneath the task's folders without following
//! symlinks.

use std::ffi::OsStr;
use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use cowork_protocol::FileStamp;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, Spot};
use crate::names;
use crate::store::{HashingReader, hash_reader, mismatch_or_io, store_err};

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

/// What the change journal recorded about a trash entry: the trust root
/// for putting it back, since the entry's own metadata lives in cowork's
/// data dir, which any local program of the user could write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashRecord {
    /// Where the entry came from, as journaled.
    pub path: PathBuf,
    pub expect: Expected,
}

/// What the entry must be to match its [`TrashRecord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A `Trashed` change: the entry as it was when trashed (same inode,
    /// size and modification time; the content hash when recorded).
    Stamp(FileStamp),
    /// A file with this content, which a task wrote and an undo moved to
    /// the trash.
    Content(String),
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

    /// Puts an entry back, beneath `folders`, at the path the change journal
    /// recorded for it (`record`), or at `to`.
    ///
    /// The entry's own `meta.json` is never trusted alone: anything that can
    /// write cowork's data dir could forge one. With a `record`, the entry
    /// must agree with it (see [`TrashRecord`]) or is refused
    /// ([`FileError::Tampered`]); without one, only a `to` the person chose
    /// is accepted ([`FileError::UnverifiedTrashEntry`]). The destination is
    /// opened beneath `folders` without following symlinks, so a parent that
    /// became a link out is refused, and nothing there is ever replaced
    /// ([`FileError::Exists`]).
    pub fn restore(
        &self,
        id: &str,
        record: Option<&TrashRecord>,
        folders: &Folders,
        to: Option<&Path>,
    ) -> Result<PathBuf, FileError> {
        let meta = self.meta(id)?;
        let dest = match (to, record) {
            (Some(to), _) => to.to_path_buf(),
            (None, Some(record)) => record.path.clone(),
            (None, None) => {
                return Err(FileError::UnverifiedTrashEntry {
                    id: id.to_owned(),
                    path: names::show(&meta.original),
                    why: "no task's change journal records it, so the path its metadata names \
                          cannot be trusted"
                        .to_owned(),
                });
            }
        };
        let spot = fsops::spot(&folders.resolve_path(&dest)?, true)?;
        if spot.stat()?.is_some() {
            return Err(exists(&spot.shown));
        }
        self.restore_into(id, record, &spot)?;
        Ok(spot.abs)
    }

    /// Checks an entry against what the journal recorded, as it would be put
    /// back at `spot`, without moving anything.
    pub(crate) fn check(
        &self,
        id: &str,
        record: Option<&TrashRecord>,
        spot: &Spot,
    ) -> Result<Option<String>, FileError> {
        let meta = self.meta(id)?;
        let entry = self.entry_dir(id)?;
        let what = || format!("trash entry `{id}`");
        let item = fsops::lstat_at(entry.as_fd(), OsStr::new(ITEM))
            .map_err(|e| store_err(&self.item_path(id), e.into()))?
            .ok_or_else(|| FileError::NoTrashEntry { id: id.to_owned() })?;
        let is_dir = fsops::kind(&item) == FileType::Directory;
        if is_dir != meta.is_dir {
            return Err(FileError::Tampered {
                what: what(),
                why: format!(
                    "its metadata says it is a {}, but it holds a {}",
                    kind_name(meta.is_dir),
                    kind_name(is_dir)
                ),
            });
        }
        let Some(record) = record else {
            return Ok(None);
        };
        if meta.original != record.path {
            return Err(FileError::Tampered {
                what: what(),
                why: format!(
                    "its metadata says it came from `{}`, the journal says `{}`",
                    names::show(&meta.original),
                    names::show(&record.path)
                ),
            });
        }
        match &record.expect {
            Expected::Content(hash) => {
                if fsops::kind(&item) != FileType::RegularFile {
                    return Err(FileError::Tampered {
                        what: what(),
                        why: "the journal recorded a file, it holds something else".to_owned(),
                    });
                }
                Ok(Some(hash.clone()))
            }
            Expected::Stamp(stamp) => {
                let folder_dev = rustix::fs::fstat(&spot.dir.fd)
                    .map_err(|e| fsops::io_err(&spot.shown, e))?
                    .st_dev;
                let now = fsops::stamp(&item);
                let copied_across = item.st_dev != folder_dev;
                // A rename into the trash keeps the inode, size and
                // modification time; a copy across file systems only the
                // size.
                let same = if copied_across {
                    is_dir || now.size == stamp.size
                } else {
                    now.inode == stamp.inode
                        && (is_dir || (now.size == stamp.size && now.mtime_ns == stamp.mtime_ns))
                };
                if !same {
                    return Err(FileError::Tampered {
                        what: what(),
                        why: "it is not the entry that was trashed (its inode, size or \
                              modification time differ from the journal's)"
                            .to_owned(),
                    });
                }
                Ok(stamp.hash.clone())
            }
        }
    }

    /// Checks an entry (see [`Trash::check`]) and moves its item to `spot`
    /// (whose parent is created beneath the folder), never replacing
    /// anything; then drops the emptied entry.
    pub(crate) fn restore_into(
        &self,
        id: &str,
        record: Option<&TrashRecord>,
        spot: &Spot,
    ) -> Result<(), FileError> {
        let hash = self.check(id, record, spot)?;
        let entry = self.entry_dir(id)?;
        let item = OsStr::new(ITEM);
        let item_shown = names::show(&self.item_path(id));
        if let Some(hash) = &hash {
            let file = fsops::open_file_at(entry.as_fd(), item)
                .map_err(|e| fsops::io_err(&item_shown, e))?;
            let mut reader =
                HashingReader::new(file).expecting(hash, format!("trash entry `{id}`"));
            std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(|e| mismatch_or_io(&item_shown, e))?;
        }
        let parent = spot.make_parent()?;
        match fsops::rename_noreplace(entry.as_fd(), item, parent.as_fd(), &spot.name) {
            Ok(()) => {}
            Err(Errno::EXIST) => return Err(exists(&spot.shown)),
            Err(Errno::XDEV) => {
                fsops::copy_tree(entry.as_fd(), item, parent.as_fd(), &spot.name)
                    .map_err(|e| fsops::io_err(&spot.shown, e))?;
                fsops::remove_tree(entry.as_fd(), item)
                    .map_err(|e| fsops::io_err(&item_shown, e))?;
            }
            Err(errno) => return Err(fsops::io_err(&spot.shown, errno)),
        }
        rustix::fs::fsync(&parent).map_err(|e| fsops::io_err(&spot.shown, e))?;
        let _ = std::fs::remove_dir_all(self.dir.join(id));
        Ok(())
    }

    /// Opens an entry's folder, never through a symlink.
    fn entry_dir(&self, id: &str) -> Result<OwnedFd, FileError> {
        let trash = rustix::fs::open(
            &self.dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| store_err(&self.dir, e.into()))?;
        match fsops::open_dir_at(trash.as_fd(), OsStr::new(id)) {
            Ok(fd) => Ok(fd),
            Err(Errno::NOENT) => Err(FileError::NoTrashEntry { id: id.to_owned() }),
            Err(Errno::LOOP | Errno::NOTDIR) => Err(FileError::Tampered {
                what: format!("trash entry `{id}`"),
                why: "it is a link or a file, not a folder cowork made".to_owned(),
            }),
            Err(errno) => Err(store_err(&self.dir.join(id), errno.into())),
        }
    }

    /// The content hash of an entry's item, when it is a regular file.
    pub fn item_hash(&self, id: &str) -> Option<String> {
        let entry = self.entry_dir(id).ok()?;
        let mut file = fsops::open_file_at(entry.as_fd(), OsStr::new(ITEM)).ok()?;
        let stat = rustix::fs::fstat(&file).ok()?;
        if fsops::kind(&stat) != FileType::RegularFile {
            return None;
        }
        hash_reader(&mut file).ok()
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

fn kind_name(is_dir: bool) -> &'static str {
    if is_dir { "folder" } else { "file" }
}
