//! `Write` and `Edit`: replace a file's content atomically, saving what it
//! replaces in the journal first.

use std::io::Read;

use cowork_protocol::Change;
use rustix::fd::AsFd;
use rustix::fs::{FileType, Stat};
use serde::Deserialize;

use super::change::{
    Need, PREVIEW_DIFF_LINES, Preview, RESULT_DIFF_LINES, cap_lines, diff, lines, target,
};
use super::human_size;
use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, Spot, io_err};
use crate::journal::Journal;
use crate::store::hash_bytes;

/// Old content above this size is not diffed.
const DIFF_MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteInput {
    pub file_path: String,
    content: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditInput {
    pub file_path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: bool,
}

/// A file about to be replaced, with its content when it was read.
type Existing = (Stat, Option<Vec<u8>>);

/// A validated content change, ready to preview or apply.
pub(crate) struct Planned {
    spot: Spot,
    content: Vec<u8>,
    /// The file replaced, with its content when it was read (Edit always;
    /// Write for small files).
    old: Option<Existing>,
    summary: String,
    /// For the result: the diff, or a size note.
    detail: String,
    /// Not text: the result gives sizes, not lines.
    binary: bool,
}

pub(crate) fn plan_write(folders: &Folders, input: WriteInput) -> Result<Planned, FileError> {
    let spot = target(folders, &input.file_path, true, Need::New)?;
    let old = existing_file(&spot, true)?;
    let shown = spot.shown.clone();
    let new = input.content;
    let (old, summary, detail) = match old {
        None => {
            let summary = format!("create {shown} ({})", lines(&new));
            (None, summary, String::new())
        }
        Some((stat, bytes)) => {
            let old_text = bytes.as_deref().and_then(|b| std::str::from_utf8(b).ok());
            let (summary, detail) = match old_text {
                Some(old_text) => (
                    format!(
                        "replace {shown}\n{}",
                        diff(&shown, old_text, &new, PREVIEW_DIFF_LINES)
                    ),
                    diff(&shown, old_text, &new, RESULT_DIFF_LINES),
                ),
                None => {
                    let sizes = format!(
                        "{} → {}",
                        human_size(u64::try_from(stat.st_size).unwrap_or(0)),
                        human_size(new.len() as u64)
                    );
                    (format!("replace {shown} ({sizes})"), sizes)
                }
            };
            (Some((stat, bytes)), summary, detail)
        }
    };
    Ok(Planned {
        spot,
        content: new.into_bytes(),
        old,
        summary,
        detail,
        binary: false,
    })
}

/// A binary file (a produced document) to create or replace at `path`:
/// like Write, but the preview and result give sizes instead of a diff.
pub(crate) fn plan_bytes(
    folders: &Folders,
    path: &str,
    content: Vec<u8>,
) -> Result<Planned, FileError> {
    let spot = target(folders, path, true, Need::New)?;
    let old = existing_file(&spot, true)?;
    let shown = spot.shown.clone();
    let size = human_size(content.len() as u64);
    let (summary, detail) = match &old {
        None => (format!("create {shown} ({size})"), String::new()),
        Some((stat, _)) => {
            let sizes = format!(
                "{} → {size}",
                human_size(u64::try_from(stat.st_size).unwrap_or(0))
            );
            (format!("replace {shown} ({sizes})"), sizes)
        }
    };
    Ok(Planned {
        spot,
        content,
        old,
        summary,
        detail,
        binary: true,
    })
}

pub(crate) fn plan_edit(folders: &Folders, input: EditInput) -> Result<Planned, FileError> {
    let spot = target(folders, &input.file_path, false, Need::Existing)?;
    let shown = spot.shown.clone();
    let Some((stat, Some(bytes))) = existing_file(&spot, false)? else {
        return Err(FileError::NotFound { path: shown });
    };
    let old = String::from_utf8(bytes.clone()).map_err(|_| {
        edit_error(format!(
            "`{shown}` is not UTF-8 text; Edit changes text files only (use Write to replace it)"
        ))
    })?;
    if input.old_string.is_empty() {
        return Err(edit_error(
            "old_string is empty; give the exact text to replace (to create a file, use Write)",
        ));
    }
    if input.old_string == input.new_string {
        return Err(edit_error(
            "old_string and new_string are the same; nothing would change",
        ));
    }
    let found = old.matches(&input.old_string).count();
    let new = match found {
        0 => {
            return Err(edit_error(format!(
                "old_string was not found in `{shown}`; Read the file and copy the exact text, \
                 including whitespace and indentation"
            )));
        }
        1 => old.replacen(&input.old_string, &input.new_string, 1),
        _ if input.replace_all => old.replace(&input.old_string, &input.new_string),
        n => {
            return Err(edit_error(format!(
                "old_string was found {n} times in `{shown}`; add surrounding lines to make it \
                 unique or set replace_all"
            )));
        }
    };
    let summary = format!(
        "edit {shown} ({} replaced)\n{}",
        if found == 1 {
            "1 occurrence".to_owned()
        } else {
            format!("{found} occurrences")
        },
        diff(&shown, &old, &new, PREVIEW_DIFF_LINES)
    );
    let detail = diff(&shown, &old, &new, RESULT_DIFF_LINES);
    Ok(Planned {
        spot,
        content: new.into_bytes(),
        old: Some((stat, Some(bytes))),
        summary,
        detail,
        binary: false,
    })
}

fn edit_error(message: impl Into<String>) -> FileError {
    FileError::invalid("Edit", message)
}

/// The regular file at the spot, with its content when `small_only` allows
/// (always when not `small_only`). Symlinks and directories are refused.
fn existing_file(spot: &Spot, small_only: bool) -> Result<Option<Existing>, FileError> {
    let Some(stat) = spot.stat()? else {
        return Ok(None);
    };
    let shown = &spot.shown;
    match fsops::kind(&stat) {
        FileType::RegularFile => {}
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(spot.dir.fd.as_fd(), &spot.name, Vec::new())
                .map(|t| crate::names::escape_bytes(t.as_bytes()))
                .unwrap_or_else(|_| "?".to_owned());
            return Err(FileError::Symlink {
                path: shown.clone(),
                target,
            });
        }
        FileType::Directory => {
            return Err(FileError::IsADirectory {
                path: shown.clone(),
            });
        }
        FileType::Fifo
        | FileType::Socket
        | FileType::CharacterDevice
        | FileType::BlockDevice
        | FileType::Unknown => {
            return Err(io_err(
                shown,
                std::io::Error::other("it is not a regular file; cowork only writes files"),
            ));
        }
    }
    if small_only && u64::try_from(stat.st_size).unwrap_or(u64::MAX) > DIFF_MAX_BYTES {
        return Ok(Some((stat, None)));
    }
    let mut file =
        fsops::open_file_at(spot.dir.fd.as_fd(), &spot.name).map_err(|e| io_err(shown, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| io_err(shown, e))?;
    Ok(Some((stat, Some(bytes))))
}

impl Planned {
    pub fn preview(&self) -> Preview {
        Preview {
            paths: vec![self.spot.abs.clone()],
            summary: self.summary.clone(),
        }
    }

    /// Saves the old version, journals, then replaces atomically.
    pub fn apply(self, journal: &Journal) -> Result<String, FileError> {
        let spot = &self.spot;
        let shown = &spot.shown;
        let after = hash_bytes(&self.content);
        let mut changes: Vec<Change> = spot
            .missing_paths()
            .into_iter()
            .map(|path| Change::DirCreated { path: path.into() })
            .collect();
        // Held until the replace below: a hard-linked blob must not outlive
        // it sharing the file's inode (see `SavedBlob`).
        let mut saved = None;
        let mode = match &self.old {
            None => {
                changes.push(Change::Created {
                    path: spot.abs.clone().into(),
                    hash: after,
                });
                None
            }
            Some((planned, read)) => {
                let mut file = fsops::open_file_at(spot.dir.fd.as_fd(), &spot.name)
                    .map_err(|e| io_err(shown, e))?;
                let stat = rustix::fs::fstat(&file).map_err(|e| io_err(shown, e))?;
                if stat.st_ino != planned.st_ino
                    || stat.st_size != planned.st_size
                    || stat.st_mtime_nsec != planned.st_mtime_nsec
                {
                    return Err(changed_meanwhile(shown));
                }
                let before = saved
                    .insert(
                        journal
                            .store
                            .save_blob(&mut file, &stat)
                            .map_err(|e| io_err(shown, e))?,
                    )
                    .hash()
                    .to_owned();
                if read.as_deref().is_some_and(|b| hash_bytes(b) != before) {
                    return Err(changed_meanwhile(shown));
                }
                if before == after {
                    return Ok(format!(
                        "`{shown}` already has this content; nothing changed."
                    ));
                }
                changes.push(Change::Modified {
                    path: spot.abs.clone().into(),
                    before,
                    mode: stat.st_mode & 0o7777,
                    after,
                });
                Some(stat.st_mode)
            }
        };
        journal.record(&changes)?;
        let dir = spot.make_parent()?;
        let written =
            fsops::atomic_write(dir.as_fd(), &spot.name, &mut self.content.as_slice(), mode);
        drop(saved);
        if let Err(err) = written {
            return Err(io_err(shown, err));
        }
        if self.binary {
            let size = human_size(self.content.len() as u64);
            return Ok(match &self.old {
                None => format!("Created `{shown}` ({size})."),
                Some(_) => format!("Replaced `{shown}` ({}).", self.detail),
            });
        }
        let text = String::from_utf8_lossy(&self.content);
        Ok(match &self.old {
            None => format!(
                "Created `{shown}` ({}, {}).",
                lines(&text),
                human_size(self.content.len() as u64)
            ),
            Some(_) => format!(
                "Updated `{shown}`.\n{}",
                cap_lines(&self.detail, RESULT_DIFF_LINES)
            ),
        })
    }
}

fn changed_meanwhile(shown: &str) -> FileError {
    io_err(
        shown,
        std::io::Error::other(
            "the file changed while the call was prepared; read it and try again",
        ),
    )
}
