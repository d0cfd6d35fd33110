//! Undoing a task's changes from its journal.
//!
//! [`plan`] reads the folders' current state and decides, change by change
//! (newest first), what restores the state before the task; it changes
//! nothing. Changes already in their original state (never applied, or
//! undone before) become [`UndoAction::AlreadyUndone`], so undo is
//! idempotent and safe after a crash. Files changed after the task are
//! [`Conflict`]s: [`apply`] refuses them unless forced, and forcing never
//! loses data: what is in the way goes to the trash first.
//!
//! What undo puts back comes from cowork's data dir, which any local
//! program of the user can write. So before changing anything, [`apply`]
//! checks every saved version it will restore against its name (its BLAKE3
//! hash) and every trash entry against the journal's record of it, and
//! refuses the whole undo, naming what does not match
//! ([`FileError::Tampered`](crate::FileError::Tampered)); each copy is
//! checked again as it is written, so bytes changed in between are never
//! installed.

mod apply;
mod sim;

use std::path::{Path, PathBuf};

use cowork_protocol::{Change, FileStamp};

use crate::folders::Folders;
use crate::names::show;
use crate::store::JournalStore;
use crate::tools::human_size;

pub use apply::{UndoReport, apply};
use sim::{Seen, Sim, Virt, matches_stamp};

/// What undoing a task would do.
#[derive(Debug, Clone, Default)]
pub struct UndoPlan {
    /// In the order they run: the newest change first.
    pub steps: Vec<UndoStep>,
    /// Paths changed after the task; [`apply`] needs `force` for these.
    pub conflicts: Vec<Conflict>,
}

/// Undoing one recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoStep {
    /// Index of the change in the list given to [`plan`].
    pub change_index: usize,
    pub action: UndoAction,
    /// For a person: "restore a.txt to its version before the task".
    pub description: String,
    /// The step overrides a later edit and only runs with `force`.
    pub forced: bool,
    /// With `force`: whatever is at the step's target is moved to the trash
    /// first.
    pub displace: bool,
}

/// What one undo step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoAction {
    /// Writes the saved version (blob `hash`, permission bits `mode`) back.
    Restore {
        path: PathBuf,
        hash: String,
        mode: u32,
    },
    /// Renames `from` (where the task put it) back to `to`.
    MoveBack { from: PathBuf, to: PathBuf },
    /// Moves a file the task created to the trash.
    TrashCreated { path: PathBuf },
    /// Removes a folder the task created (only if empty).
    RemoveDir { path: PathBuf },
    /// Puts a trashed item back; it must still be what the journal
    /// recorded (`stamp`).
    RestoreFromTrash {
        id: String,
        path: PathBuf,
        stamp: FileStamp,
    },
    /// The path is already as before the task.
    AlreadyUndone { path: PathBuf },
    /// Cannot be undone safely (saved content gone, folder now holds newer
    /// files); left as it is.
    Skip { path: PathBuf },
}

/// A path changed after the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub path: PathBuf,
    /// "changed after the task (size 120 → 98)".
    pub reason: String,
}

/// Plans undoing `changes` (in the order they were recorded), judged
/// against the folders' current state. Changes nothing.
pub fn plan(changes: &[Change], folders: &Folders, store: &JournalStore) -> UndoPlan {
    let mut sim = Sim::new(folders, store, changes);
    let mut out = UndoPlan::default();
    for (index, change) in changes.iter().enumerate().rev() {
        let (step, conflict) = plan_one(index, change, &mut sim, store);
        if let Some(reason) = conflict {
            out.conflicts.push(Conflict {
                path: conflict_path(&step.action),
                reason,
            });
        }
        out.steps.push(step);
    }
    out
}

type Planned = (UndoStep, Option<String>);

fn plan_one(index: usize, change: &Change, sim: &mut Sim<'_>, store: &JournalStore) -> Planned {
    let step = |action: UndoAction, description: String| UndoStep {
        change_index: index,
        action,
        description,
        forced: false,
        displace: false,
    };
    let forced = |mut s: UndoStep, displace: bool, reason: String| {
        s.forced = true;
        s.displace = displace;
        (s, Some(reason))
    };
    match change {
        Change::Created { path, hash } => {
            let path = path.as_path();
            let seen = sim.seen(path);
            let trash = step(
                UndoAction::TrashCreated { path: path.into() },
                format!("move {} (created by the task) to the trash", show(path)),
            );
            let result = match &seen {
                Seen::Absent => (already(index, path), None),
                Seen::Unreachable(why) => (skip(index, path, why), Some(why.clone())),
                _ if sim.hash(&seen).as_ref() == Some(hash) => (trash, None),
                _ => forced(trash, false, changed(&seen, None)),
            };
            sim.set(path, Virt::Absent);
            result
        }
        Change::Modified {
            path,
            before,
            mode,
            after,
        } => {
            let path = path.as_path();
            if !store.has_blob(before) {
                let why = "its version before the task is no longer saved (the journal was \
                           cleaned up); it is left as it is";
                return (skip(index, path, why), Some(why.to_owned()));
            }
            let seen = sim.seen(path);
            let restore = step(
                UndoAction::Restore {
                    path: path.into(),
                    hash: before.clone(),
                    mode: *mode,
                },
                format!("restore {} to its version before the task", show(path)),
            );
            let now = sim.hash(&seen);
            let moved_back = sim.before_moves(path, index);
            let result = match &seen {
                Seen::Unreachable(why) => (skip(index, path, why), Some(why.clone())),
                // A permission change alone (a command's `chmod`): the
                // content says nothing, the mode does.
                Seen::Real { stat, .. }
                    if before == after
                        && now.as_ref() == Some(before)
                        && stat.st_mode & 0o7777 != *mode =>
                {
                    (restore, None)
                }
                _ if now.as_ref() == Some(before) => (already(index, path), None),
                _ if now.as_ref() == Some(after) => (restore, None),
                // Undone before: the path is as before the task's first
                // write, or the content went back with an older move.
                _ if sim.is_origin(path, &seen) => (already(index, path), None),
                _ if sim.hash(&moved_back).as_ref() == Some(before) => (already(index, path), None),
                Seen::Absent => forced(restore, false, "deleted after the task".to_owned()),
                _ => forced(restore, true, changed(&seen, None)),
            };
            if matches!(result.0.action, UndoAction::Restore { .. }) {
                sim.set(path, Virt::Content(before.clone()));
            }
            result
        }
        Change::Moved { from, to, stamp } => {
            let (from, to) = (from.as_path(), to.as_path());
            let at_to = sim.seen(to);
            let at_from = sim.seen_before_moves(from, index);
            let back = step(
                UndoAction::MoveBack {
                    from: to.into(),
                    to: from.into(),
                },
                format!("move {} back to {}", show(to), show(from)),
            );
            let to_ok = matches_stamp(&at_to, stamp);
            let result = match (&at_to, &at_from) {
                (Seen::Unreachable(why), _) | (_, Seen::Unreachable(why)) => {
                    (skip(index, from, why), Some(why.clone()))
                }
                (_, Seen::Absent) if to_ok => (back, None),
                (_, from_seen) if matches_stamp(from_seen, stamp) => (already(index, from), None),
                (_, _) if to_ok => forced(
                    back,
                    true,
                    format!("something else is now at {}", show(from)),
                ),
                (Seen::Absent, Seen::Absent) => {
                    let why = format!("{} no longer exists", show(to));
                    (skip(index, to, &why), Some(why))
                }
                (_, Seen::Absent) => forced(back, false, changed(&at_to, Some(stamp))),
                // The moved item is not where the task put it and its old
                // place is taken: most likely undone before (and edited
                // back to a new inode). Moving anything would guess.
                _ => {
                    let why = format!(
                        "{} is occupied and the moved item is no longer at {}",
                        show(from),
                        show(to)
                    );
                    (skip(index, from, &why), None)
                }
            };
            if matches!(result.0.action, UndoAction::MoveBack { .. }) {
                sim.set(from, Sim::as_virt(&at_to));
                sim.set(to, Virt::Absent);
            }
            result
        }
        Change::DirCreated { path } => {
            let path = path.as_path();
            let seen = sim.seen(path);
            let result = match &seen {
                Seen::Absent => (already(index, path), None),
                Seen::Real { abs, stat }
                    if crate::fsops::kind(stat) == rustix::fs::FileType::Directory =>
                {
                    if sim.is_empty_dir(path, abs) {
                        let remove = step(
                            UndoAction::RemoveDir { path: path.into() },
                            format!("remove the folder {} (created by the task)", show(path)),
                        );
                        (remove, None)
                    } else {
                        // Leaving it loses nothing; it is not a conflict.
                        let why = "it now holds files added after the task; it is left in place";
                        (skip(index, path, why), None)
                    }
                }
                Seen::Unreachable(why) => (skip(index, path, why), Some(why.clone())),
                Seen::Real { .. } | Seen::Content(_) => {
                    let why = "something other than a folder is there now; it is left in place";
                    (skip(index, path, why), Some(why.to_owned()))
                }
            };
            if matches!(result.0.action, UndoAction::RemoveDir { .. }) {
                sim.set(path, Virt::Absent);
            }
            result
        }
        Change::Trashed {
            path,
            trash_id,
            stamp,
        } => {
            let path = path.as_path();
            let item = store.trash().item_path(trash_id);
            let seen = sim.seen(path);
            if rustix::fs::lstat(&item).is_err() {
                return if matches_stamp(&sim.seen_before_moves(path, index), stamp) {
                    (already(index, path), None)
                } else {
                    // Nothing can be put back, and nothing is in the way:
                    // informative, not a conflict.
                    let why = format!(
                        "its trash entry {trash_id} is gone (restored or emptied); nothing to put back"
                    );
                    (skip(index, path, &why), None)
                };
            }
            let restore = step(
                UndoAction::RestoreFromTrash {
                    id: trash_id.clone(),
                    path: path.into(),
                    stamp: stamp.clone(),
                },
                format!("put {} back from the trash", show(path)),
            );
            let result = match &seen {
                Seen::Absent => (restore, None),
                Seen::Unreachable(why) => (skip(index, path, why), Some(why.clone())),
                Seen::Real { .. } | Seen::Content(_) => forced(
                    restore,
                    true,
                    format!("something else is now at {}", show(path)),
                ),
            };
            if matches!(result.0.action, UndoAction::RestoreFromTrash { .. }) {
                sim.set(path, Virt::At(item));
            }
            result
        }
    }
}

fn already(index: usize, path: &Path) -> UndoStep {
    UndoStep {
        change_index: index,
        action: UndoAction::AlreadyUndone { path: path.into() },
        description: format!("{} is already as before the task", show(path)),
        forced: false,
        displace: false,
    }
}

fn skip(index: usize, path: &Path, why: &str) -> UndoStep {
    UndoStep {
        change_index: index,
        action: UndoAction::Skip { path: path.into() },
        description: format!("leave {}: {why}", show(path)),
        forced: false,
        displace: false,
    }
}

/// "changed after the task (size 120 → 98)".
fn changed(seen: &Seen, stamp: Option<&FileStamp>) -> String {
    match (seen, stamp) {
        (Seen::Real { stat, .. }, Some(stamp)) => format!(
            "changed after the task (size {} → {})",
            human_size(stamp.size),
            human_size(u64::try_from(stat.st_size).unwrap_or(0))
        ),
        (Seen::Real { stat, .. }, None) => format!(
            "changed after the task (now {})",
            human_size(u64::try_from(stat.st_size).unwrap_or(0))
        ),
        _ => "changed after the task".to_owned(),
    }
}

/// The path a step's conflict is about.
fn conflict_path(action: &UndoAction) -> PathBuf {
    match action {
        UndoAction::Restore { path, .. }
        | UndoAction::TrashCreated { path }
        | UndoAction::RemoveDir { path }
        | UndoAction::RestoreFromTrash { path, .. }
        | UndoAction::AlreadyUndone { path }
        | UndoAction::Skip { path } => path.clone(),
        UndoAction::MoveBack { to, .. } => to.clone(),
    }
}
