//! `Move`: rename files and folders, one or a batch, validated completely
//! before anything moves and journaled in one record.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cowork_protocol::Change;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{FileType, OFlags, Stat};
use rustix::io::Errno;
use serde::Deserialize;

use super::change::{Need, Preview, carried, target};
use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, Spot, io_err};
use crate::journal::Journal;
use crate::names;

/// Moves in one call at most.
const MAX_MOVES: usize = 1000;
/// Moves listed in a preview.
const PREVIEW_MOVES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveInput {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    moves: Option<Vec<Pair>>,
    #[serde(default)]
    overwrite: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pair {
    from: String,
    to: String,
}

struct One {
    from: Spot,
    stat: Stat,
    to: Spot,
    /// What is at the target now (only with `overwrite`).
    replaced: Option<Stat>,
    /// Real paths the move carries along (below a moved folder) and the
    /// ones a replaced folder takes to the trash, for the permission
    /// engine: a rule about them must not be escaped by a new name.
    carried: Vec<PathBuf>,
}

pub(crate) struct Planned {
    moves: Vec<One>,
    /// New folders, in creation order.
    new_dirs: Vec<PathBuf>,
}

pub(crate) fn plan(folders: &Folders, input: MoveInput) -> Result<Planned, FileError> {
    let pairs = match (input.from, input.to, input.moves) {
        (Some(from), Some(to), None) => vec![Pair { from, to }],
        (None, None, Some(moves)) if !moves.is_empty() => moves,
        (None, None, Some(_)) => return Err(invalid("`moves` is empty")),
        _ => {
            return Err(invalid(
                "give either `from` and `to`, or `moves` (a list of {from, to}), not both",
            ));
        }
    };
    if pairs.len() > MAX_MOVES {
        return Err(invalid(format!(
            "{} moves in one call; at most {MAX_MOVES} are allowed, split the batch",
            pairs.len()
        )));
    }
    let mut moves = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        moves.push(plan_one(folders, pair, input.overwrite)?);
    }
    check_overlaps(&moves)?;
    let mut seen = BTreeSet::new();
    let mut new_dirs = Vec::new();
    for one in &moves {
        for dir in one.to.missing_paths() {
            if seen.insert(dir.clone()) {
                new_dirs.push(dir);
            }
        }
    }
    Ok(Planned { moves, new_dirs })
}

fn plan_one(folders: &Folders, pair: &Pair, overwrite: bool) -> Result<One, FileError> {
    let from = target(folders, &pair.from, false, Need::Existing)?;
    let stat = from.stat()?.ok_or_else(|| FileError::NotFound {
        path: from.shown.clone(),
    })?;
    let below = carried(folders, &from, &stat)?;
    let to_path = into_dir_target(folders, &pair.to, &from)?;
    let to = target(folders, &to_path, true, Need::New)?;
    let mut carried_paths = Vec::with_capacity(below.len() * 2);
    let renames = std::iter::once((from.abs.clone(), to.abs.clone())).chain(
        below.into_iter().filter_map(|path| {
            let new = to.abs.join(path.strip_prefix(&from.abs).ok()?);
            Some((path, new))
        }),
    );
    for (old, new) in renames {
        if folders.escapes_rule(&old, &new) {
            return Err(invalid(format!(
                "`{}` is or holds a path a deny rule names, and `{}` would take it out of \
                 that rule; keep its name, or ask the user to change the rule",
                from.shown, to.shown
            )));
        }
        if old != from.abs {
            carried_paths.push(new);
            carried_paths.push(old);
        }
    }
    if to.abs == from.abs {
        return Err(invalid(format!(
            "`{}` and `{}` are the same path; nothing would move",
            from.shown, to.shown
        )));
    }
    if fsops::kind(&stat) == FileType::Directory && to.abs.starts_with(&from.abs) {
        return Err(invalid(format!(
            "`{}` cannot be moved into itself (`{}`)",
            from.shown, to.shown
        )));
    }
    let parent_dev = rustix::fs::fstat(&to.dir.fd)
        .map_err(|e| io_err(&to.shown, e))?
        .st_dev;
    if parent_dev != stat.st_dev {
        return Err(invalid(format!(
            "`{}` and `{}` are on different file systems; Move can only rename within one \
             (Write a copy instead, then Delete the original)",
            from.shown, to.shown
        )));
    }
    let replaced = match to.stat()? {
        None => None,
        Some(_) if !overwrite => {
            return Err(FileError::Exists {
                path: to.shown.clone(),
                hint: "set `overwrite: true` to replace it (the current one goes to the trash), \
                       or choose another name"
                    .to_owned(),
            });
        }
        Some(existing) => {
            carried_paths.extend(carried(folders, &to, &existing)?);
            Some(existing)
        }
    };
    Ok(One {
        from,
        stat,
        to,
        replaced,
        carried: carried_paths,
    })
}

/// `to` ending in `/`, or naming an existing folder, means "into it".
fn into_dir_target(folders: &Folders, to: &str, from: &Spot) -> Result<String, FileError> {
    let name = names::show_name(&from.name);
    if to.ends_with('/') {
        return Ok(format!("{to}{name}"));
    }
    let resolved = folders.resolve(to)?;
    match resolved.open(OFlags::PATH | OFlags::DIRECTORY, rustix::fs::Mode::empty()) {
        Ok(_) => Ok(format!("{to}/{name}")),
        Err(FileError::NotFound { .. } | FileError::NotADirectory { .. }) => Ok(to.to_owned()),
        Err(other) => Err(other),
    }
}

/// Moves in a batch must not depend on each other's order: no path is
/// used twice, and none lies inside another (moving a folder and
/// something in it, or into it).
fn check_overlaps(moves: &[One]) -> Result<(), FileError> {
    let mut seen: BTreeMap<&Path, &str> = BTreeMap::new();
    for one in moves {
        for spot in [&one.from, &one.to] {
            if let Some(other) = seen.insert(&spot.abs, &spot.shown) {
                return Err(overlap(other, &spot.shown));
            }
        }
    }
    for (path, shown) in &seen {
        for ancestor in path.ancestors().skip(1) {
            if let Some(other) = seen.get(ancestor) {
                return Err(overlap(other, shown));
            }
        }
    }
    Ok(())
}

fn overlap(a: &str, b: &str) -> FileError {
    invalid(format!(
        "the moves overlap (`{a}` and `{b}`); one batch must not use a path twice or move \
         something into or out of a folder it also moves. Split them into separate calls"
    ))
}

fn invalid(message: impl Into<String>) -> FileError {
    FileError::invalid("Move", message)
}

impl Planned {
    pub fn preview(&self) -> Preview {
        let mut paths = Vec::with_capacity(self.moves.len() * 2);
        let mut lines = Vec::new();
        for one in &self.moves {
            paths.push(one.from.abs.clone());
            paths.push(one.to.abs.clone());
            paths.extend(one.carried.iter().cloned());
            if lines.len() < PREVIEW_MOVES {
                let note = if one.replaced.is_some() {
                    " (replaces it; the current one goes to the trash)"
                } else {
                    ""
                };
                lines.push(format!("{} → {}{note}", one.from.shown, one.to.shown));
            }
        }
        if self.moves.len() > PREVIEW_MOVES {
            lines.push(format!("… and {} more", self.moves.len() - PREVIEW_MOVES));
        }
        let head = if self.moves.len() == 1 {
            "move".to_owned()
        } else {
            format!("move {} items", self.moves.len())
        };
        Preview {
            paths,
            summary: format!("{head}:\n{}", lines.join("\n")),
        }
    }

    pub fn apply(self, journal: &Journal) -> Result<String, FileError> {
        let mut changes: Vec<Change> = self
            .new_dirs
            .iter()
            .map(|path| Change::DirCreated {
                path: path.clone().into(),
            })
            .collect();
        let mut pending = Vec::with_capacity(self.moves.len());
        for one in &self.moves {
            let trash = match &one.replaced {
                None => None,
                Some(stat) => {
                    let (_, size) = fsops::tree_size(one.to.dir.fd.as_fd(), &one.to.name)
                        .map_err(|e| io_err(&one.to.shown, e))?;
                    let entry = journal
                        .store
                        .trash()
                        .prepare(
                            &one.to.abs,
                            journal.task.as_deref(),
                            size,
                            fsops::kind(stat) == FileType::Directory,
                        )
                        .map_err(|e| io_err(&one.to.shown, e))?;
                    changes.push(Change::Trashed {
                        path: one.to.abs.clone().into(),
                        trash_id: entry.id.clone(),
                        stamp: fsops::stamp(stat),
                    });
                    Some(entry)
                }
            };
            changes.push(Change::Moved {
                from: one.from.abs.clone().into(),
                to: one.to.abs.clone().into(),
                stamp: fsops::stamp(&one.stat),
            });
            pending.push(trash);
        }
        if let Err(err) = journal.record(&changes) {
            for entry in pending.into_iter().flatten() {
                journal.store.trash().discard(entry);
            }
            return Err(err);
        }
        let total = self.moves.len();
        // Each directory touched is fsynced once, after the batch.
        let mut touched: BTreeMap<PathBuf, OwnedFd> = BTreeMap::new();
        for (done, (one, trash)) in self.moves.iter().zip(&pending).enumerate() {
            let parent = perform(one, trash.as_ref(), journal).map_err(|err| match err {
                FileError::Io { path, source } if done > 0 => FileError::Io {
                    path,
                    source: std::io::Error::other(format!(
                        "{source} (after {done} of {total} moves; undo the task to put them back)"
                    )),
                },
                other => other,
            })?;
            let to_dir = one.to.abs.parent().unwrap_or(&one.to.abs).to_path_buf();
            touched.entry(to_dir).or_insert(parent);
        }
        let mut synced = BTreeSet::new();
        for one in &self.moves {
            if synced.insert(&one.from.dir.abs) && !touched.contains_key(&one.from.dir.abs) {
                rustix::fs::fsync(&one.from.dir.fd).map_err(|e| io_err(&one.from.shown, e))?;
            }
        }
        for (path, fd) in &touched {
            rustix::fs::fsync(fd).map_err(|e| io_err(&names::show(path), e))?;
        }
        Ok(match self.moves.as_slice() {
            [one] => format!("Moved `{}` to `{}`.", one.from.shown, one.to.shown),
            _ => format!("Moved {total} items."),
        })
    }
}

/// Makes one move and returns the target's parent directory.
fn perform(
    one: &One,
    trash: Option<&crate::trash::Pending>,
    journal: &Journal,
) -> Result<OwnedFd, FileError> {
    let parent = one.to.make_parent()?;
    if let Some(entry) = trash {
        journal
            .store
            .trash()
            .commit(entry, parent.as_fd(), &one.to.name)
            .map_err(|e| io_err(&one.to.shown, e))?;
    }
    match fsops::rename_noreplace(
        one.from.dir.fd.as_fd(),
        &one.from.name,
        parent.as_fd(),
        &one.to.name,
    ) {
        Ok(()) => {}
        Err(Errno::EXIST) => {
            return Err(FileError::Exists {
                path: one.to.shown.clone(),
                hint: "it appeared while moving; nothing was replaced".to_owned(),
            });
        }
        Err(errno) => return Err(io_err(&one.from.shown, errno)),
    }
    Ok(parent)
}
