use std::path::{Path, PathBuf};

/// Everything that can go wrong in cowork-files. Each message is a sentence
/// the model (or a person) can act on: what happened, which path, what to do.
///
/// How callers react: `FolderUnavailable` stops the task from starting (the
/// user must fix the folder); every other variant is a tool error sent back
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
    #[error("`{path}` is in a folder connected read-only; it can be read but not changed")]
    ReadOnly { path: String },

    /// The operating system refused or failed (permissions, I/O errors).
    #[error("could not access `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// The tool's arguments do not match its input schema.
    #[error("invalid input for {tool}: {message}")]
    InvalidInput { tool: String, message: String },

    /// No file tool has this name.
    #[error("there is no file tool named `{name}`; the file tools are {}", known.join(", "))]
    UnknownTool { name: String, known: Vec<String> },
}

impl FileError {
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
