//! Running an undo plan. Every step is checked again as it runs, so a
//! plan applied twice, or after a crash midway, does nothing twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cowork_protocol::FileStamp;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::AtFlags;
use rustix::io::Errno;

use super::{UndoAction, UndoPlan, UndoStep};
use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, Spot, io_err};
use crate::names::show;
use crate::store::{JournalStore, hash_reader, mismatch_or_io};
use crate::trash::{Expected, TrashRecord};

/// What an undo did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UndoReport {
    /// Changes put back.
    pub restored: u32,
    /// Changes already as before (never applied, undone before) or left
    /// as they are.
    pub skipped: u32,
    /// Changes put back over later edits (with `force`); what was there
    /// went to the trash first.
    pub forced: u32,
}

/// Applies `plan` (newest change first). Without `force`, refuses
/// ([`FileError::UndoConflicts`]) when the plan has conflicts, and changes
/// nothing. With `force`, conflicting steps run too, and whatever is at a
/// path being restored is moved to the trash first: nothing is lost.
pub fn apply(
    plan: &UndoPlan,
    folders: &Folders,
    store: &JournalStore,
    force: bool,
) -> Result<UndoReport, FileError> {
    if !force && !plan.conflicts.is_empty() {
        return Err(FileError::UndoConflicts {
            conflicts: plan.conflicts.clone(),
        });
    }
    verify(plan, folders, store)?;
    let mut report = UndoReport::default();
    // Folders renamed in or out of are fsynced once, at the end: a crash
    // before that only means undo runs again, and finds those steps done.
    let mut syncs = Syncs::default();
    for step in &plan.steps {
        let done = run(step, folders, store, &mut syncs);
        let done = match done {
            Ok(done) => done,
            Err(err) => {
                syncs.flush()?;
                return Err(err);
            }
        };
        match (done, step.forced) {
            (false, _) => report.skipped += 1,
            (true, false) => report.restored += 1,
            (true, true) => report.forced += 1,
        }
    }
    syncs.flush()?;
    Ok(report)
}

/// Checks, before anything changes, that every saved version the plan
/// restores still hashes to its name and every trash entry it puts back is
/// still what the journal recorded; the first that is not is named.
fn verify(plan: &UndoPlan, folders: &Folders, store: &JournalStore) -> Result<(), FileError> {
    for step in &plan.steps {
        match &step.action {
            UndoAction::Restore { hash, .. } => store.verify_blob(hash)?,
            UndoAction::RestoreFromTrash { id, path, stamp } => {
                // Put back already (the plan runs again): nothing to check.
                if rustix::fs::lstat(store.trash().item_path(id)).is_err() {
                    continue;
                }
                let target = spot(folders, path, true)?;
                store
                    .trash()
                    .check(id, Some(&trash_record(path, stamp)), &target)?;
            }
            UndoAction::MoveBack { .. }
            | UndoAction::TrashCreated { .. }
            | UndoAction::RemoveDir { .. }
            | UndoAction::AlreadyUndone { .. }
            | UndoAction::Skip { .. } => {}
        }
    }
    Ok(())
}

fn trash_record(path: &Path, stamp: &FileStamp) -> TrashRecord {
    TrashRecord {
        path: path.to_path_buf(),
        expect: Expected::Stamp(stamp.clone()),
    }
}

/// Directories to fsync, each once.
#[derive(Default)]
struct Syncs {
    dirs: BTreeMap<PathBuf, OwnedFd>,
}

impl Syncs {
    fn add(&mut self, path: &Path, fd: OwnedFd) {
        self.dirs.entry(path.to_path_buf()).or_insert(fd);
    }

    fn flush(&mut self) -> Result<(), FileError> {
        for (path, fd) in std::mem::take(&mut self.dirs) {
            rustix::fs::fsync(&fd).map_err(|e| io_err(&show(&path), e))?;
        }
        Ok(())
    }
}

/// Runs one step; `false` when there was nothing to do.
fn run(
    step: &UndoStep,
    folders: &Folders,
    store: &JournalStore,
    syncs: &mut Syncs,
) -> Result<bool, FileError> {
    match &step.action {
        UndoAction::AlreadyUndone { .. } | UndoAction::Skip { .. } => Ok(false),
        UndoAction::Restore { path, hash, mode } => {
            let spot = spot(folders, path, true)?;
            if step.displace {
                displace(&spot, store)?;
            }
            restore(&spot, store, hash, *mode)
        }
        UndoAction::MoveBack { from, to } => {
            let Some(source) = existing_spot(folders, from)? else {
                return Ok(false);
            };
            let target = spot(folders, to, true)?;
            if step.displace {
                displace(&target, store)?;
            }
            if source.stat()?.is_none() {
                return Ok(false);
            }
            let parent = target.make_parent()?;
            match fsops::rename_noreplace(
                source.dir.fd.as_fd(),
                &source.name,
                parent.as_fd(),
                &target.name,
            ) {
                Ok(()) => {}
                Err(Errno::EXIST) => {
                    return Err(FileError::Exists {
                        path: target.shown.clone(),
                        hint: "plan the undo again (something appeared there meanwhile)".to_owned(),
                    });
                }
                Err(errno) => return Err(io_err(&source.shown, errno)),
            }
            syncs.add(target.abs.parent().unwrap_or(&target.abs), parent);
            syncs.add(&source.dir.abs, source.dir.fd);
            Ok(true)
        }
        UndoAction::TrashCreated { path } => match existing_spot(folders, path)? {
            Some(spot) => trash_entry(&spot, store),
            None => Ok(false),
        },
        UndoAction::RemoveDir { path } => {
            let Some(spot) = existing_spot(folders, path)? else {
                return Ok(false);
            };
            match rustix::fs::unlinkat(spot.dir.fd.as_fd(), &spot.name, AtFlags::REMOVEDIR) {
                Ok(()) => {
                    syncs.add(&spot.dir.abs, spot.dir.fd);
                    Ok(true)
                }
                // Gone already, or files were added since the plan: keep.
                Err(Errno::NOENT | Errno::NOTEMPTY | Errno::EXIST) => Ok(false),
                Err(errno) => Err(io_err(&spot.shown, errno)),
            }
        }
        UndoAction::RestoreFromTrash { id, path, stamp } => {
            if rustix::fs::lstat(store.trash().item_path(id)).is_err() {
                return Ok(false);
            }
            let target = spot(folders, path, true)?;
            if step.displace {
                displace(&target, store)?;
            }
            store
                .trash()
                .restore_into(id, Some(&trash_record(path, stamp)), &target)?;
            Ok(true)
        }
    }
}

fn spot(folders: &Folders, path: &Path, create_parents: bool) -> Result<Spot, FileError> {
    let resolved = folders.resolve_path(path)?;
    fsops::spot(&resolved, create_parents)
}

/// The spot of something that may be gone already (with its folder):
/// `None` then, as there is nothing left to do.
fn existing_spot(folders: &Folders, path: &Path) -> Result<Option<Spot>, FileError> {
    match spot(folders, path, false) {
        Ok(spot) => Ok(Some(spot)),
        Err(FileError::NotFound { .. } | FileError::NotADirectory { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Writes blob `hash` back, unless the file already has that content.
fn restore(spot: &Spot, store: &JournalStore, hash: &str, mode: u32) -> Result<bool, FileError> {
    if let Some(stat) = spot
        .stat()?
        .filter(|s| fsops::kind(s) == rustix::fs::FileType::RegularFile)
    {
        let current = fsops::open_file_at(spot.dir.fd.as_fd(), &spot.name)
            .map_err(std::io::Error::from)
            .and_then(|mut f| hash_reader(&mut f));
        if current.ok().as_deref() == Some(hash) {
            // Same content; only a permission change is left to undo.
            if stat.st_mode & 0o7777 == mode & 0o7777 {
                return Ok(false);
            }
            rustix::fs::chmodat(
                spot.dir.fd.as_fd(),
                &spot.name,
                rustix::fs::Mode::from_raw_mode(mode & 0o7777),
                rustix::fs::AtFlags::empty(),
            )
            .map_err(|e| io_err(&spot.shown, e))?;
            return Ok(true);
        }
    }
    // The copy is hashed as it is written and fails before its rename when
    // the blob no longer hashes to its name: wrong bytes are never
    // installed.
    let mut blob = store.open_blob(hash)?;
    let parent = spot.make_parent()?;
    fsops::atomic_restore(parent.as_fd(), &spot.name, &mut blob, mode)
        .map_err(|e| mismatch_or_io(&spot.shown, e))?;
    Ok(true)
}

/// Moves whatever is at the spot to the trash (a forced step's target).
fn displace(spot: &Spot, store: &JournalStore) -> Result<(), FileError> {
    trash_entry(spot, store).map(|_| ())
}

/// Moves the entry at the spot to the trash; `false` when nothing is there.
fn trash_entry(spot: &Spot, store: &JournalStore) -> Result<bool, FileError> {
    let Some(stat) = spot.stat()? else {
        return Ok(false);
    };
    let (_, size) =
        fsops::tree_size(spot.dir.fd.as_fd(), &spot.name).map_err(|e| io_err(&spot.shown, e))?;
    let is_dir = fsops::kind(&stat) == rustix::fs::FileType::Directory;
    let entry = store
        .trash()
        .prepare(&spot.abs, None, size, is_dir)
        .map_err(|e| io_err(&spot.shown, e))?;
    store
        .trash()
        .commit(&entry, spot.dir.fd.as_fd(), &spot.name)
        .map_err(|e| io_err(&spot.shown, e))?;
    Ok(true)
}
