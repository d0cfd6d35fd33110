//! Applying what a sandboxed command changed in a connected folder,
//! through the journal, so `cowork undo` covers commands too.
//!
//! The sandbox mounts a writable folder as an overlay whose upper directory
//! is a [`Stage`]: the command sees a normal writable folder, but the
//! folder itself is untouched while it runs. Afterwards [`apply`] walks the
//! upper directory — a regular file is new or changed content, a character
//! device 0:0 is a deletion (a whiteout), a directory marked
//! `user.overlay.opaque` replaced the folder's directory of that name — and
//! makes each change the way the file tools do: what it replaces is saved
//! (blob or trash), the change is journaled, and only then is the folder
//! changed, with atomic renames. Only what the command touched is read, so
//! the cost follows the size of the change, not of the folder.
//!
//! Before anything is applied, [`check`] measures the stage against
//! [`StageLimits`] (bytes, entries, depth) without reading file content: a
//! command that left too much gets a refusal and the folder stays as it
//! was. What is applied never carries setuid, setgid or sticky bits or file
//! capabilities ([`Applied::stripped`] says where they were removed), and
//! every walk is iterative, so no depth of tree can overflow the stack.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cowork_protocol::Change;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, Stat};

use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, io_err};
use crate::journal::Journal;
use crate::names;
use crate::store::{SavedBlob, hash_reader};
use crate::trash::Pending;

mod install;
mod scan;
mod stage;

use install::{Cleaned, install};
pub use scan::{Excess, StageLimits, check};
pub use stage::Stage;

/// Changes journaled in one record at most; a command that touched more
/// files is applied in several batches.
const BATCH: usize = 512;

/// What [`apply`] changed, for the model and the person.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Files that did not exist before.
    pub created: Vec<String>,
    /// Files whose content or permissions changed.
    pub modified: Vec<String>,
    /// Files and folders moved to cowork's trash.
    pub trashed: Vec<String>,
    /// Folders created.
    pub dirs: Vec<String>,
    /// What was not applied, and why (links, special files).
    pub skipped: Vec<String>,
    /// Files and folders applied without the setuid, setgid or sticky bits
    /// or the file capabilities the command gave them: `path: what`.
    pub stripped: Vec<String>,
}

impl Applied {
    /// Whether nothing changed and nothing was skipped.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
            && self.modified.is_empty()
            && self.trashed.is_empty()
            && self.dirs.is_empty()
            && self.skipped.is_empty()
            && self.stripped.is_empty()
    }

    /// Adds another folder's changes.
    pub fn extend(&mut self, other: Applied) {
        self.created.extend(other.created);
        self.modified.extend(other.modified);
        self.trashed.extend(other.trashed);
        self.dirs.extend(other.dirs);
        self.skipped.extend(other.skipped);
        self.stripped.extend(other.stripped);
    }

    /// The number of changes made in the folder.
    fn done(&self) -> usize {
        self.created.len() + self.modified.len() + self.trashed.len() + self.dirs.len()
    }

    /// A few lines for the model: counts, then up to `max` paths.
    pub fn summary(&self, max: usize) -> String {
        if self.is_empty() {
            return "No files in the connected folders changed.".to_owned();
        }
        let mut counts = Vec::new();
        for (n, what) in [
            (self.created.len(), "created"),
            (self.modified.len(), "modified"),
            (self.trashed.len(), "moved to cowork's trash"),
            (self.dirs.len(), "folders created"),
        ] {
            if n > 0 {
                counts.push(format!("{n} {what}"));
            }
        }
        let mut lines = Vec::new();
        if !counts.is_empty() {
            lines.push(format!(
                "Changes in the connected folders (journaled; undoing the task reverts them): {}.",
                counts.join(", ")
            ));
        }
        let listed: Vec<String> = self
            .created
            .iter()
            .map(|p| format!("+ {p}"))
            .chain(self.modified.iter().map(|p| format!("~ {p}")))
            .chain(self.trashed.iter().map(|p| format!("- {p}")))
            .collect();
        let total = listed.len();
        lines.extend(listed.into_iter().take(max));
        if total > max {
            lines.push(format!("… and {} more", total - max));
        }
        for note in &self.skipped {
            lines.push(format!("Not kept: {note}"));
        }
        for note in &self.stripped {
            lines.push(format!("~ {note}"));
        }
        lines.join("\n")
    }
}

/// Applies `stage` (used for the folder at absolute path `folder`) to the
/// folder through `journal`, after checking it against `limits` (a stage
/// over them is refused whole: [`FileError::StagedTooLarge`], nothing
/// applied).
///
/// On an error midway, the changes made so far stay made and journaled;
/// [`FileError::PartlyApplied`] says how many.
pub fn apply(
    folders: &Folders,
    journal: &Journal,
    folder: &Path,
    stage: &Stage,
    limits: &StageLimits,
) -> Result<Applied, FileError> {
    let resolved = folders.resolve_path(folder)?;
    if resolved.read_only() {
        return Err(FileError::ReadOnly {
            path: resolved.input().to_owned(),
            folder: resolved.root().to_path_buf(),
        });
    }
    check(&[stage], limits)?;
    let target = resolved.open_dir()?;
    let upper = rustix::fs::open(
        stage.upper(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_err(&stage.upper().display().to_string(), e))?;
    let mut run = Run {
        folders,
        journal,
        out: Applied::default(),
    };
    match run.walk(folder.to_path_buf(), target, upper) {
        Ok(()) => Ok(run.out),
        Err(err) => match run.out.done() {
            0 => Err(err),
            done => Err(FileError::PartlyApplied {
                done,
                source: Box::new(err),
            }),
        },
    }
}

/// One change to make in a directory, after its batch is journaled.
enum Step {
    Trash {
        name: OsString,
        shown: String,
        pending: Pending,
    },
    Mkdir {
        name: OsString,
        shown: String,
        /// The staged directory had setuid, setgid or sticky bits.
        special: bool,
    },
    Install {
        name: OsString,
        shown: String,
        new: bool,
        saved: Option<SavedBlob>,
    },
}

struct Run<'a> {
    folders: &'a Folders,
    journal: &'a Journal,
    out: Applied,
}

/// A subdirectory still to apply: opened from its parents when its turn
/// comes, so only the directories on the way down to it stay open.
struct Todo {
    abs: PathBuf,
    /// The folder's and the upper's parent directory.
    parents: Rc<(OwnedFd, OwnedFd)>,
    name: OsString,
    opaque: bool,
}

impl Run<'_> {
    /// Applies the upper directory to the folder, depth first, with an
    /// explicit stack rather than recursion.
    fn walk(&mut self, root: PathBuf, target: OwnedFd, upper: OwnedFd) -> Result<(), FileError> {
        let mut todo: Vec<Todo> = Vec::new();
        let mut next = Some((root, target, upper, false));
        while let Some((abs, target, upper, opaque)) = next.take() {
            let subdirs = self.dir(&abs, &target, &upper, opaque)?;
            let parents = Rc::new((target, upper));
            // Reversed, so they are applied in sorted order.
            todo.extend(subdirs.into_iter().rev().map(|(name, opaque)| Todo {
                abs: abs.join(&name),
                parents: Rc::clone(&parents),
                name,
                opaque,
            }));
            if let Some(item) = todo.pop() {
                let shown = self.folders.display(&item.abs);
                let (target, upper) = &*item.parents;
                let sub_target = fsops::open_dir_at(target.as_fd(), &item.name)
                    .map_err(|e| io_err(&shown, e))?;
                let sub_upper =
                    fsops::open_dir_at(upper.as_fd(), &item.name).map_err(|e| io_err(&shown, e))?;
                next = Some((item.abs, sub_target, sub_upper, item.opaque));
            }
        }
        Ok(())
    }

    /// Applies the upper directory `upper` to the folder's directory
    /// `target` (at `abs`), and returns its subdirectories still to apply
    /// (and whether each is opaque). `opaque`: the command replaced the
    /// whole directory, so what the folder has and the upper lacks was
    /// deleted.
    fn dir(
        &mut self,
        abs: &Path,
        target: &OwnedFd,
        upper: &OwnedFd,
        opaque: bool,
    ) -> Result<Vec<(OsString, bool)>, FileError> {
        let shown_dir = names::show(abs);
        let mut staged = fsops::children(upper).map_err(|e| io_err(&shown_dir, e))?;
        staged.sort();
        let mut steps = Vec::new();
        let mut changes = Vec::new();
        if opaque {
            let mut existing = fsops::children(target).map_err(|e| io_err(&shown_dir, e))?;
            existing.sort();
            for name in existing {
                if staged.binary_search(&name).is_err() {
                    let stat = lstat(target.as_fd(), &name, &abs.join(&name))?;
                    if let Some(stat) = stat {
                        self.plan_trash(abs, target, name, &stat, &mut steps, &mut changes)?;
                    }
                }
            }
        }
        let mut subdirs = Vec::new();
        for name in staged {
            let path = abs.join(&name);
            let shown = self.folders.display(&path);
            if self.folders.is_hidden(&path) {
                self.out
                    .skipped
                    .push(format!("`{shown}` is hidden from this task by a deny rule"));
                continue;
            }
            let Some(up) = lstat(upper.as_fd(), &name, &path)? else {
                continue;
            };
            let lower = lstat(target.as_fd(), &name, &path)?;
            let lower_kind = lower.as_ref().map(fsops::kind);
            match fsops::kind(&up) {
                FileType::CharacterDevice if up.st_rdev == 0 => {
                    if let Some(stat) = lower {
                        self.plan_trash(abs, target, name, &stat, &mut steps, &mut changes)?;
                    }
                }
                FileType::Directory => {
                    let replaced_dir = match &lower {
                        Some(_) if lower_kind == Some(FileType::Directory) => false,
                        Some(stat) => {
                            self.plan_trash(
                                abs,
                                target,
                                name.clone(),
                                stat,
                                &mut steps,
                                &mut changes,
                            )?;
                            true
                        }
                        None => true,
                    };
                    if replaced_dir {
                        changes.push(Change::DirCreated {
                            path: path.clone().into(),
                        });
                        steps.push(Step::Mkdir {
                            name: name.clone(),
                            shown,
                            special: up.st_mode & 0o7000 != 0,
                        });
                    }
                    // A new directory starts empty, so nothing below it can
                    // be hidden; an existing one is replaced wholesale when
                    // it or an ancestor was.
                    let sub_opaque = !replaced_dir && (opaque || is_opaque(upper, &name));
                    subdirs.push((name, sub_opaque));
                }
                FileType::RegularFile => {
                    let mut file =
                        fsops::open_file_at(upper.as_fd(), &name).map_err(|e| io_err(&shown, e))?;
                    let after = hash_reader(&mut file).map_err(|e| io_err(&shown, e))?;
                    // Held until the install replaces the file (see `SavedBlob`).
                    let mut saved = None;
                    let new = match lower {
                        None => true,
                        Some(old) if lower_kind == Some(FileType::RegularFile) => {
                            let mut current = fsops::open_file_at(target.as_fd(), &name)
                                .map_err(|e| io_err(&shown, e))?;
                            let before = saved
                                .insert(
                                    self.journal
                                        .store
                                        .save_blob(&mut current, &old)
                                        .map_err(|e| io_err(&shown, e))?,
                                )
                                .hash()
                                .to_owned();
                            let (old_mode, new_mode) = (old.st_mode & 0o7777, up.st_mode & 0o7777);
                            // Unchanged once the bits cowork never applies
                            // are dropped: the user's file stays as it is
                            // (with its own bits, if it had any).
                            let added_only_special =
                                old_mode & 0o7000 == 0 && old_mode == fsops::plain_mode(new_mode);
                            if before == after && (old_mode == new_mode || added_only_special) {
                                if old_mode != new_mode {
                                    self.out.stripped.push(format!("{shown}: {SPECIAL_BITS}"));
                                }
                                continue;
                            }
                            changes.push(Change::Modified {
                                path: path.clone().into(),
                                before,
                                mode: old_mode,
                                after: after.clone(),
                            });
                            false
                        }
                        Some(old) => {
                            self.plan_trash(
                                abs,
                                target,
                                name.clone(),
                                &old,
                                &mut steps,
                                &mut changes,
                            )?;
                            true
                        }
                    };
                    if new {
                        changes.push(Change::Created {
                            path: path.clone().into(),
                            hash: after,
                        });
                    }
                    steps.push(Step::Install {
                        name,
                        shown,
                        new,
                        saved,
                    });
                }
                FileType::Symlink => self.out.skipped.push(format!(
                    "`{shown}` is a symbolic link; commands cannot create links in connected \
                     folders"
                )),
                FileType::CharacterDevice
                | FileType::Fifo
                | FileType::Socket
                | FileType::BlockDevice
                | FileType::Unknown => self.out.skipped.push(format!(
                    "`{shown}` is a special file (pipe, socket or device); only files and \
                     folders are kept"
                )),
            }
            if steps.len() >= BATCH {
                self.flush(target, upper, &mut steps, &mut changes)?;
            }
        }
        self.flush(target, upper, &mut steps, &mut changes)?;
        rustix::fs::fsync(target).map_err(|e| io_err(&shown_dir, e))?;
        Ok(subdirs)
    }

    /// Says what [`install`] removed from a file on its way in.
    fn note_cleaned(&mut self, shown: &str, cleaned: Cleaned) {
        if cleaned.bits {
            self.out.stripped.push(format!("{shown}: {SPECIAL_BITS}"));
        }
        if cleaned.capabilities {
            self.out.stripped.push(format!(
                "{shown}: file capabilities (security.capability) removed"
            ));
        }
    }

    fn plan_trash(
        &self,
        abs: &Path,
        target: &OwnedFd,
        name: OsString,
        stat: &Stat,
        steps: &mut Vec<Step>,
        changes: &mut Vec<Change>,
    ) -> Result<(), FileError> {
        let path = abs.join(&name);
        let shown = self.folders.display(&path);
        let (_, size) = fsops::tree_size(target.as_fd(), &name).map_err(|e| io_err(&shown, e))?;
        let pending = self
            .journal
            .store
            .trash()
            .prepare(
                &path,
                self.journal.task.as_deref(),
                size,
                fsops::kind(stat) == FileType::Directory,
            )
            .map_err(|e| io_err(&shown, e))?;
        changes.push(Change::Trashed {
            path: path.into(),
            trash_id: pending.id.clone(),
            stamp: fsops::stamp(stat),
        });
        steps.push(Step::Trash {
            name,
            shown,
            pending,
        });
        Ok(())
    }

    /// Journals a batch, then makes its changes in order.
    fn flush(
        &mut self,
        target: &OwnedFd,
        upper: &OwnedFd,
        steps: &mut Vec<Step>,
        changes: &mut Vec<Change>,
    ) -> Result<(), FileError> {
        let trash = self.journal.store.trash();
        if let Err(err) = self.journal.record(changes) {
            for step in steps.drain(..) {
                if let Step::Trash { pending, .. } = step {
                    trash.discard(pending);
                }
            }
            return Err(err);
        }
        changes.clear();
        for step in steps.drain(..) {
            match step {
                Step::Trash {
                    name,
                    shown,
                    pending,
                } => {
                    trash
                        .commit(&pending, target.as_fd(), &name)
                        .map_err(|e| io_err(&shown, e))?;
                    self.out.trashed.push(shown);
                }
                Step::Mkdir {
                    name,
                    shown,
                    special,
                } => {
                    // Made with plain permissions whatever the staged
                    // directory had.
                    fsops::make_dir(target.as_fd(), &name).map_err(|e| io_err(&shown, e))?;
                    if special {
                        self.out.stripped.push(format!("{shown}: {SPECIAL_BITS}"));
                    }
                    self.out.dirs.push(shown);
                }
                Step::Install {
                    name,
                    shown,
                    new,
                    saved,
                } => {
                    let installed = install(upper.as_fd(), target.as_fd(), &name, new);
                    // The saved version settles only after the replace.
                    drop(saved);
                    let cleaned = installed.map_err(|e| io_err(&shown, e))?;
                    self.note_cleaned(&shown, cleaned);
                    if new {
                        self.out.created.push(shown);
                    } else {
                        self.out.modified.push(shown);
                    }
                }
            }
        }
        Ok(())
    }
}

/// How [`Applied::stripped`] words removed permission bits.
const SPECIAL_BITS: &str = "setuid/setgid bits removed";

fn lstat(dir: BorrowedFd<'_>, name: &OsStr, path: &Path) -> Result<Option<Stat>, FileError> {
    fsops::lstat_at(dir, name).map_err(|e| io_err(&names::show(path), e))
}

/// Whether overlayfs marked the upper directory `name` opaque: the command
/// removed the directory and made a new one of the same name.
fn is_opaque(upper: &OwnedFd, name: &OsStr) -> bool {
    let Ok(dir) = fsops::open_dir_at(upper.as_fd(), name) else {
        return false;
    };
    let mut value = [0u8; 4];
    matches!(
        rustix::fs::fgetxattr(&dir, "user.overlay.opaque", &mut value),
        Ok(n) if value.get(..n) == Some(b"y".as_slice())
    )
}
