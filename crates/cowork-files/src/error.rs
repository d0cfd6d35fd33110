use std::path::{Path, PathBuf};

/// Everything that can go wrong in cowork-files. Each message is a sentence
/// the model (or a person) can act on: what happened, which path, what to do.
///
/// How callers react: `FolderUnavailable` stops the task from starting (the
/// user must fix the folder); `JournalFailed` means the task's log cannot
/// be written, so the runner should stop changing files; `UndoConflicts`
/// goes back to the person, who may force the undo; every other variant
/// `Tampered` and `UnverifiedTrashEntry` go back to the person (something
/// changed cowork's own storage); every other variant
/// (including `NoJournal`, `Exists`, `Symlink`, `ReadOnly`) is a tool error
/// sent back
/// to the model, which can correct its call and go on.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The task has no connected folder, so no file tool can work.
    #[error("no folder is connected; start the task with --folder PATH to give it one")]
    NoFolders,

    /// A folder to connect does not exist or is not a directory.
    #[error("the folder {} cannot be connected: {source}", path.display())]
    FolderUnavailable {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The path leads outside every connected folder (`..`, an absolute
    /// path elsewhere, or a symlink pointing out). Nothing was read.
    #[error(
        "`{path}` is outside the connected folders ({}). Only paths inside them can be used: \
         relative to {}, or absolute inside one of them.",
        list(folders),
        first(folders)
    )]
    OutsideFolders { path: String, folders: Vec<PathBuf> },

    /// Nothing exists at the path.
    #[error("`{path}` does not exist; check the name with LS or Glob")]
    NotFound { path: String },

    /// A directory was needed, but the path (or a part of it) is something
    /// else.
    #[error(
        "`{path}` is not a directory (or a part of the path is a file); \
         use Read for a file, or LS on the directory that contains it"
    )]
    NotADirectory { path: String },

    /// A file was needed, but the path is a directory.
    #[error(
        "`{path}` is a directory, not a file; use LS to list it, or Glob or Grep to find files in it"
    )]
    IsADirectory { path: String },

    /// The path lies in a folder connected read-only, and the call would
    /// change it.
    #[error(
        "`{path}` is in a read-only folder ({}); it was connected with :ro, so it can be read \
         but not changed",
        folder.display()
    )]
    ReadOnly { path: String, folder: PathBuf },

    /// A write tool was called on a task that has no change journal.
    #[error(
        "this task has no change journal; writing is disabled ({tool} cannot run). \
         Only Read, LS, Glob and Grep are available"
    )]
    NoJournal { tool: String },

    /// The change could not be journaled, so it was not made.
    #[error("the change journal could not be written ({message}); nothing was changed")]
    JournalFailed { message: String },

    /// Something is already at a path that must be free.
    #[error("`{path}` already exists; {hint}")]
    Exists { path: String, hint: String },

    /// The last component of a path to write is a symbolic link.
    #[error(
        "`{path}` is a symbolic link (to `{target}`); cowork does not write through links. \
         Write to the file it points to instead, or Delete the link first"
    )]
    Symlink { path: String, target: String },

    /// A trash entry does not exist (or was emptied).
    #[error("there is no trash entry `{id}`; list the trash to see its entries")]
    NoTrashEntry { id: String },

    /// Something cowork saved (a replaced version, a trash entry) no longer
    /// matches what the change journal recorded about it: it was changed
    /// outside cowork. It is not restored; the person must look at it.
    #[error(
        "{what} does not match the change journal ({why}); it was changed outside cowork, so \
         cowork will not restore it. Nothing was restored from it"
    )]
    Tampered { what: String, why: String },

    /// A trash entry no task's change journal accounts for: it cannot be
    /// put back at the path its own metadata names.
    #[error(
        "trash entry `{id}` cannot be restored to `{path}`: {why}. Nothing was restored. If you \
         know it is yours, look at it in the trash and restore it to a path you choose"
    )]
    UnverifiedTrashEntry {
        id: String,
        path: String,
        why: String,
    },

    /// Undo found files changed after the task; nothing was changed.
    #[error(
        "{} changed after the task ({}); nothing was undone. Undo with force to restore them \
         anyway (their current versions go to the trash)",
        if conflicts.len() == 1 { "1 path".to_owned() } else { format!("{} paths", conflicts.len()) },
        conflict_list(conflicts)
    )]
    UndoConflicts {
        conflicts: Vec<crate::undo::Conflict>,
    },

    /// The operating system refused or failed (permissions, I/O errors).
    #[error("could not access `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// The tool's arguments do not match its input schema.
    #[error("invalid input for {tool}: {message}")]
    InvalidInput { tool: String, message: String },

    /// The path cannot name what the call needs (the folder itself, `..`).
    #[error("`{path}` cannot be used here: {why}")]
    InvalidPath { path: String, why: String },

    /// A call would create or replace something at a path kept from this
    /// task (a deny rule's hidden paths, or cowork's own files). Refused
    /// alike whether or not something is there; calls that need an
    /// existing entry get [`FileError::NotFound`] instead, exactly as for
    /// a path that does not exist.
    #[error(
        "`{path}` cannot be created or changed: it is kept from this task (a deny rule in the \
         configuration, or cowork's own files) — do not try to reach it another way"
    )]
    Hidden { path: String },

    /// A sandboxed command left more in the connected folders than one
    /// command may; none of its changes were applied (the folders are as
    /// they were). The model can redo the work in smaller steps.
    #[error(
        "none of the command's changes to the connected folders were applied: {excess}. The \
         folders are unchanged. Write large or numerous outputs outside the connected folders \
         (for example under /tmp in the sandbox) and copy only what is needed into them, or \
         split the work into smaller commands"
    )]
    StagedTooLarge { excess: crate::staged::Excess },

    /// Applying a command's changes failed midway: the first `done` of
    /// them were made (and journaled, so undoing the task reverts them),
    /// the rest were not.
    #[error(
        "{source} — after {done} of the command's changes were applied; they are journaled, \
         and undoing the task reverts them"
    )]
    PartlyApplied { done: usize, source: Box<FileError> },

    /// No file tool has this name.
    #[error("there is no file tool named `{name}`; the file tools are {}", known.join(", "))]
    UnknownTool { name: String, known: Vec<String> },
}

impl FileError {
    /// For the journal's own storage, where paths are not the model's.
    pub(crate) fn from_errno(errno: rustix::io::Errno) -> Self {
        FileError::Io {
            path: String::new(),
            source: errno.into(),
        }
    }

    pub(crate) fn invalid_path(path: &str, why: &str) -> Self {
        FileError::InvalidPath {
            path: path.to_owned(),
            why: why.to_owned(),
        }
    }

    pub(crate) fn invalid(tool: &str, message: impl Into<String>) -> Self {
        FileError::InvalidInput {
            tool: tool.to_owned(),
            message: message.into(),
        }
    }
}

fn list(folders: &[PathBuf]) -> String {
    let shown: Vec<String> = folders.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

fn first(folders: &[PathBuf]) -> String {
    folders
        .first()
        .map(|p: &PathBuf| Path::display(p).to_string())
        .unwrap_or_else(|| "the first folder".to_owned())
}

fn conflict_list(conflicts: &[crate::undo::Conflict]) -> String {
    let shown: Vec<String> = conflicts
        .iter()
        .take(5)
        .map(|c| format!("{}: {}", crate::names::show(&c.path), c.reason))
        .collect();
    let more = conflicts.len().saturating_sub(5);
    if more > 0 {
        format!("{}; … and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    }
}
