//! Reading a plugin's files beneath its root, with the kernel as judge.
//!
//! The root is held open as a connected folder of cowork-files, so every
//! file and folder is opened with `openat2(RESOLVE_BENEATH)`: a symlink
//! or a `..` that leads out of the plugin is refused by the kernel, not by
//! comparing path strings. A plugin can therefore never make cowork read
//! (and hand the model) a file outside it.

use std::io::Read;
use std::path::{Path, PathBuf};

use cowork_files::{FileError, Folders};
use cowork_protocol::FolderGrant;
use rustix::fs::{FileType, Mode, OFlags};

use super::LoadError;
use crate::Diagnostic;

/// The largest plugin file cowork reads. Skill bodies are meant to stay
/// under a few thousand words; anything near this is not a plugin file.
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// A plugin folder, open for reading beneath its root.
pub(crate) struct PluginDir {
    folders: Folders,
    /// The root as the caller named it: diagnostics show paths under it,
    /// so `cowork plugin validate DIR` can print them relative to `DIR`.
    given: PathBuf,
}

/// What is at a path, after following symlinks that stay inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Other,
}

/// Why a path could not be used.
#[derive(Debug)]
pub(crate) enum Problem {
    Missing,
    Outside,
    NotUtf8 {
        line: u32,
    },
    TooLarge {
        bytes: u64,
    },
    NotAFile,
    NotAFolder,
    /// Reading failed; `denied` when for lack of permission.
    Io {
        message: String,
        denied: bool,
    },
}

impl Problem {
    /// The sentence a diagnostic carries, after the file's name.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Missing => "does not exist".to_owned(),
            Self::Outside => "leads outside the plugin folder (through a symlink or `..`), so it \
                              was not read; a plugin may only use its own files: copy the file \
                              into the plugin instead of linking to it"
                .to_owned(),
            Self::NotUtf8 { .. } => "is not UTF-8 text; save it as UTF-8".to_owned(),
            Self::TooLarge { bytes } => format!(
                "is {bytes} bytes, more than the {MAX_FILE} bytes a plugin file may have; move \
                 large content out of the plugin's text files"
            ),
            Self::NotAFile => "is not a regular file".to_owned(),
            Self::NotAFolder => "is not a folder".to_owned(),
            Self::Io {
                message,
                denied: true,
            } => format!("cannot be read ({message}); check its permissions"),
            Self::Io {
                message,
                denied: false,
            } => format!("cannot be read ({message})"),
        }
    }

    fn line(&self) -> Option<u32> {
        match self {
            Self::NotUtf8 { line } => Some(*line),
            Self::Missing
            | Self::Outside
            | Self::TooLarge { .. }
            | Self::NotAFile
            | Self::NotAFolder
            | Self::Io { .. } => None,
        }
    }
}

/// One entry of a listed folder, by UTF-8 name.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub kind: Kind,
}

impl PluginDir {
    pub(crate) fn open(root: &Path) -> Result<Self, LoadError> {
        let grant = FolderGrant {
            path: root.to_path_buf(),
            read_only: true,
        };
        let folders = Folders::open(&[grant]).map_err(|error| match error {
            FileError::FolderUnavailable { source, .. }
                if source.kind() == std::io::ErrorKind::NotADirectory =>
            {
                LoadError::NotADirectory {
                    dir: root.to_path_buf(),
                }
            }
            FileError::FolderUnavailable { source, .. } => LoadError::Unreadable {
                dir: root.to_path_buf(),
                reason: source.to_string(),
            },
            other => LoadError::Unreadable {
                dir: root.to_path_buf(),
                reason: other.to_string(),
            },
        })?;
        let this = Self {
            folders,
            given: root.to_path_buf(),
        };
        match this.kind(Path::new("")) {
            Ok(Kind::Dir) => Ok(this),
            Ok(Kind::File | Kind::Other) | Err(_) => Err(LoadError::NotADirectory {
                dir: root.to_path_buf(),
            }),
        }
    }

    /// The real, absolute root (symlinks resolved).
    pub(crate) fn real_root(&self) -> &Path {
        self.folders
            .grants()
            .first()
            .map_or(self.given.as_path(), |g| g.path.as_path())
    }

    /// `rel` as diagnostics show it: under the root the caller named.
    pub(crate) fn shown(&self, rel: &Path) -> PathBuf {
        self.given.join(rel)
    }

    /// A diagnostic for `rel`, which could not be used.
    pub(crate) fn problem(&self, rel: &Path, problem: &Problem) -> Diagnostic {
        Diagnostic::error(self.shown(rel), problem.line(), problem.message())
    }

    /// What `rel` is, following symlinks only while they stay inside.
    pub(crate) fn kind(&self, rel: &Path) -> Result<Kind, Problem> {
        let resolved = self.folders.resolve_path(rel).map_err(problem)?;
        let fd = resolved
            .open(OFlags::PATH, Mode::empty())
            .map_err(problem)?;
        Ok(match resolved.file_type(&fd).map_err(problem)? {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink
            | FileType::Fifo
            | FileType::Socket
            | FileType::CharacterDevice
            | FileType::BlockDevice
            | FileType::Unknown => Kind::Other,
        })
    }

    /// The text of the file at `rel`.
    pub(crate) fn read(&self, rel: &Path) -> Result<String, Problem> {
        let resolved = self.folders.resolve_path(rel).map_err(problem)?;
        let file = resolved.open_file().map_err(problem)?;
        let size = file.metadata().map_err(|e| io(&e))?.len();
        if size > MAX_FILE {
            return Err(Problem::TooLarge { bytes: size });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // A file that grows while read is cut at the limit, not followed.
        file.take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io(&e))?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(Problem::TooLarge {
                bytes: bytes.len() as u64,
            });
        }
        String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            Problem::NotUtf8 {
                line: u32::try_from(line).unwrap_or(u32::MAX),
            }
        })
    }

    /// The entries of the folder at `rel`, sorted by name. Entries that
    /// cannot be used (a name that is not UTF-8, a symlink out of the
    /// plugin) come back as diagnostics instead.
    pub(crate) fn list(&self, rel: &Path) -> Result<(Vec<Entry>, Vec<Diagnostic>), Problem> {
        let resolved = self.folders.resolve_path(rel).map_err(problem)?;
        let fd = resolved.open_dir().map_err(problem)?;
        let dir = rustix::fs::Dir::read_from(&fd).map_err(|e| io(&e.into()))?;
        let mut entries = Vec::new();
        let mut diagnostics = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| io(&e.into()))?;
            let raw = entry.file_name().to_bytes();
            if raw == b"." || raw == b".." {
                continue;
            }
            let Ok(name) = std::str::from_utf8(raw) else {
                let shown = String::from_utf8_lossy(raw).into_owned();
                diagnostics.push(Diagnostic::warning(
                    self.shown(&rel.join(&shown)),
                    None,
                    "its name is not UTF-8, so it was skipped; rename it",
                ));
                continue;
            };
            let kind = match entry.file_type() {
                FileType::RegularFile => Kind::File,
                FileType::Directory => Kind::Dir,
                // A symlink is judged where it leads, beneath the root.
                FileType::Symlink | FileType::Unknown => match self.kind(&rel.join(name)) {
                    Ok(kind) => kind,
                    Err(Problem::Missing) => {
                        diagnostics.push(Diagnostic::warning(
                            self.shown(&rel.join(name)),
                            None,
                            "is a broken symlink, so it was skipped",
                        ));
                        continue;
                    }
                    Err(problem) => {
                        diagnostics.push(self.problem(&rel.join(name), &problem));
                        continue;
                    }
                },
                FileType::Fifo
                | FileType::Socket
                | FileType::CharacterDevice
                | FileType::BlockDevice => Kind::Other,
            };
            entries.push(Entry {
                name: name.to_owned(),
                kind,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((entries, diagnostics))
    }
}

fn problem(error: FileError) -> Problem {
    match error {
        FileError::OutsideFolders { .. } => Problem::Outside,
        FileError::NotFound { .. } => Problem::Missing,
        FileError::IsADirectory { .. } => Problem::NotAFile,
        FileError::NotADirectory { .. } => Problem::NotAFolder,
        FileError::Io { source, .. } => io(&source),
        // Reading beneath one read-only folder meets none of these; if one
        // ever comes, its own message says what happened.
        error @ (FileError::NoFolders
        | FileError::FolderUnavailable { .. }
        | FileError::ReadOnly { .. }
        | FileError::NoJournal { .. }
        | FileError::JournalFailed { .. }
        | FileError::Exists { .. }
        | FileError::Symlink { .. }
        | FileError::NoTrashEntry { .. }
        | FileError::Tampered { .. }
        | FileError::UnverifiedTrashEntry { .. }
        | FileError::UndoConflicts { .. }
        | FileError::InvalidInput { .. }
        | FileError::InvalidPath { .. }
        | FileError::Hidden { .. }
        | FileError::StagedTooLarge { .. }
        | FileError::PartlyApplied { .. }
        | FileError::UnknownTool { .. }) => Problem::Io {
            message: error.to_string(),
            denied: false,
        },
    }
}

fn io(error: &std::io::Error) -> Problem {
    Problem::Io {
        message: error.to_string(),
        denied: error.kind() == std::io::ErrorKind::PermissionDenied,
    }
}
