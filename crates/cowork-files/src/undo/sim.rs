//! What is at a path once the undo steps planned so far have run: the real
//! file system seen through an overlay of those steps' effects, so a plan
//! over many dependent changes (write, edit, then move) is judged
//! correctly without changing anything.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use cowork_protocol::{Change, FileStamp};
use rustix::fd::AsFd;
use rustix::fs::{FileType, Stat};

use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops;
use crate::store::{JournalStore, hash_reader};

/// What a planned step leaves at a path.
#[derive(Debug, Clone)]
pub(super) enum Virt {
    Absent,
    /// Whatever is now at this real path (an entry moved back, an item
    /// put back from the trash).
    At(PathBuf),
    /// A file with this content (restored from a blob).
    Content(String),
}

/// What is at a path, as far as the plan can tell.
#[derive(Debug, Clone)]
pub(super) enum Seen {
    Absent,
    Real { abs: PathBuf, stat: Stat },
    Content(String),
    Unreachable(String),
}

pub(super) struct Sim<'a> {
    folders: &'a Folders,
    store: &'a JournalStore,
    changes: &'a [Change],
    /// For each path something was moved to, the indexes of those moves.
    moved_to: HashMap<&'a Path, Vec<usize>>,
    /// For each written path, its content before the task's first write
    /// (`None`: it did not exist).
    origin: HashMap<&'a Path, Option<&'a str>>,
    overlay: BTreeMap<PathBuf, Virt>,
    hashes: HashMap<(u64, u64, i64, i64, u64), String>,
}

impl<'a> Sim<'a> {
    pub fn new(folders: &'a Folders, store: &'a JournalStore, changes: &'a [Change]) -> Self {
        let mut moved_to: HashMap<&Path, Vec<usize>> = HashMap::new();
        let mut origin: HashMap<&Path, Option<&str>> = HashMap::new();
        for (index, change) in changes.iter().enumerate() {
            match change {
                Change::Moved { to, .. } => moved_to.entry(to.as_path()).or_default().push(index),
                Change::Created { path, .. } => {
                    origin.entry(path.as_path()).or_insert(None);
                }
                Change::Modified { path, before, .. } => {
                    origin
                        .entry(path.as_path())
                        .or_insert(Some(before.as_str()));
                }
                Change::DirCreated { .. } | Change::Trashed { .. } => {}
            }
        }
        Self {
            folders,
            store,
            changes,
            moved_to,
            origin,
            overlay: BTreeMap::new(),
            hashes: HashMap::new(),
        }
    }

    /// Records what a planned step leaves at `path`; what was planned
    /// beneath it no longer applies.
    pub fn set(&mut self, path: &Path, virt: Virt) {
        let below: Vec<PathBuf> = self
            .overlay
            .range::<Path, _>((Bound::Excluded(path), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(path))
            .map(|(p, _)| p.clone())
            .collect();
        for p in below {
            self.overlay.remove(&p);
        }
        self.overlay.insert(path.to_path_buf(), virt);
    }

    /// What `seen` would leave if moved elsewhere.
    pub fn as_virt(seen: &Seen) -> Virt {
        match seen {
            Seen::Absent | Seen::Unreachable(_) => Virt::Absent,
            Seen::Real { abs, .. } => Virt::At(abs.clone()),
            Seen::Content(hash) => Virt::Content(hash.clone()),
        }
    }

    pub fn seen(&self, path: &Path) -> Seen {
        for ancestor in path.ancestors() {
            let Some(virt) = self.overlay.get(ancestor) else {
                continue;
            };
            let rest = path.strip_prefix(ancestor).unwrap_or(Path::new(""));
            return match virt {
                Virt::Absent => Seen::Absent,
                Virt::Content(hash) if rest.as_os_str().is_empty() => Seen::Content(hash.clone()),
                Virt::Content(_) => Seen::Absent,
                Virt::At(real) if rest.as_os_str().is_empty() => self.real(real),
                Virt::At(real) => self.real(&real.join(rest)),
            };
        }
        self.real(path)
    }

    /// Where the entry change `index` recorded at `path` is now if the
    /// older moves that brought it there were undone already (by an
    /// earlier undo, or one that crashed midway). Only used to recognise
    /// changes that are already undone.
    pub fn seen_before_moves(&self, path: &Path, index: usize) -> Seen {
        let seen = self.seen(path);
        if !matches!(seen, Seen::Absent) {
            return seen;
        }
        self.before_moves(path, index)
    }

    /// What is at the place `path` had before the older moves that lead
    /// to it (absent when no older move does).
    pub fn before_moves(&self, path: &Path, index: usize) -> Seen {
        let mut best: Option<(usize, &Path)> = None;
        for ancestor in path.ancestors() {
            let Some(moves) = self.moved_to.get(ancestor) else {
                continue;
            };
            let older = moves.iter().rev().find(|&&j| j < index);
            if let Some(&j) = older
                && best.is_none_or(|(b, _)| j > b)
            {
                best = Some((j, ancestor));
            }
        }
        let Some((j, ancestor)) = best else {
            return Seen::Absent;
        };
        let Change::Moved { from, .. } = &self.changes[j] else {
            return Seen::Absent;
        };
        let rest = path.strip_prefix(ancestor).unwrap_or(Path::new(""));
        let earlier = if rest.as_os_str().is_empty() {
            from.0.clone()
        } else {
            from.0.join(rest)
        };
        self.seen_before_moves(&earlier, j)
    }

    /// Whether `seen` (at `path`) is the content the path had before the
    /// task first wrote it.
    pub fn is_origin(&mut self, path: &Path, seen: &Seen) -> bool {
        match self.origin.get(path).copied() {
            None => false,
            Some(None) => matches!(seen, Seen::Absent),
            Some(Some(hash)) => self.hash(seen).as_deref() == Some(hash),
        }
    }

    /// The real file system at `path`: beneath a connected folder, or in
    /// the journal's trash.
    fn real(&self, path: &Path) -> Seen {
        if path.starts_with(self.store.trash_dir()) {
            return match rustix::fs::lstat(path) {
                Ok(stat) => Seen::Real {
                    abs: path.to_path_buf(),
                    stat,
                },
                Err(_) => Seen::Absent,
            };
        }
        let resolved = match self.folders.resolve_path(path) {
            Ok(resolved) => resolved,
            Err(err) => return Seen::Unreachable(reason(&err)),
        };
        match fsops::spot(&resolved, false).and_then(|spot| spot.stat()) {
            Ok(Some(stat)) => Seen::Real {
                abs: path.to_path_buf(),
                stat,
            },
            Ok(None) | Err(FileError::NotFound { .. } | FileError::NotADirectory { .. }) => {
                Seen::Absent
            }
            Err(err) => Seen::Unreachable(reason(&err)),
        }
    }

    /// The content hash of what `seen` shows, if it is a regular file.
    pub fn hash(&mut self, seen: &Seen) -> Option<String> {
        match seen {
            Seen::Absent | Seen::Unreachable(_) => None,
            Seen::Content(hash) => Some(hash.clone()),
            Seen::Real { abs, stat } => {
                if fsops::kind(stat) != FileType::RegularFile {
                    return None;
                }
                let key = (
                    stat.st_dev,
                    stat.st_ino,
                    stat.st_size,
                    stat.st_mtime,
                    stat.st_mtime_nsec,
                );
                if let Some(hash) = self.hashes.get(&key) {
                    return Some(hash.clone());
                }
                let hash = self.hash_file(abs)?;
                self.hashes.insert(key, hash.clone());
                Some(hash)
            }
        }
    }

    fn hash_file(&self, abs: &Path) -> Option<String> {
        let mut file = if abs.starts_with(self.store.trash_dir()) {
            std::fs::File::open(abs).ok()?
        } else {
            let resolved = self.folders.resolve_path(abs).ok()?;
            let spot = fsops::spot(&resolved, false).ok()?;
            fsops::open_file_at(spot.dir.fd.as_fd(), &spot.name).ok()?
        };
        hash_reader(&mut file).ok()
    }

    /// Whether the folder at `path` would be empty: its real entries that
    /// the plan has not moved away, and entries the plan puts there.
    pub fn is_empty_dir(&self, path: &Path, real: &Path) -> bool {
        let fd = if real.starts_with(self.store.trash_dir()) {
            rustix::fs::open(
                real,
                rustix::fs::OFlags::RDONLY
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::NOFOLLOW,
                rustix::fs::Mode::empty(),
            )
            .map_err(FileError::from_errno)
        } else {
            self.folders
                .resolve_path(real)
                .and_then(|resolved| resolved.open_dir())
        };
        let Ok(fd) = fd else {
            return false;
        };
        let Ok(children) = fsops::children(&fd) else {
            return false;
        };
        let real_left = children
            .iter()
            .any(|child| !matches!(self.seen(&path.join(child)), Seen::Absent));
        let planned_in = self
            .overlay
            .range::<Path, _>((Bound::Excluded(path), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(path))
            .any(|(p, virt)| p.parent() == Some(path) && !matches!(virt, Virt::Absent));
        !real_left && !planned_in
    }
}

/// Whether what is seen is the entry a stamp describes: same inode, and
/// for files the same size and modification time.
pub(super) fn matches_stamp(seen: &Seen, stamp: &FileStamp) -> bool {
    match seen {
        Seen::Real { stat, .. } => {
            let now = fsops::stamp(stat);
            now.inode == stamp.inode
                && (fsops::kind(stat) == FileType::Directory
                    || (now.size == stamp.size && now.mtime_ns == stamp.mtime_ns))
        }
        // The task's own version, restored by a step planned before.
        Seen::Content(_) => true,
        Seen::Absent | Seen::Unreachable(_) => false,
    }
}

fn reason(err: &FileError) -> String {
    match err {
        FileError::OutsideFolders { .. } | FileError::NoFolders => {
            "it is outside the connected folders; connect its folder to undo this".to_owned()
        }
        other => other.to_string(),
    }
}
