//! `Mkdir` (like `mkdir -p`) and `Delete` (to cowork's trash, never
//! unlinked).

use std::path::PathBuf;

use cowork_protocol::Change;
use rustix::fd::AsFd;
use rustix::fs::{FileType, Stat};
use serde::Deserialize;

use super::change::{Need, Preview, carried, target};
use super::human_size;
use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, Spot, io_err};
use crate::journal::Journal;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PathInput {
    path: String,
}

pub(crate) struct PlannedMkdir {
    spot: Spot,
    exists: bool,
}

pub(crate) fn plan_mkdir(folders: &Folders, input: PathInput) -> Result<PlannedMkdir, FileError> {
    let spot = target(folders, &input.path, true, Need::New)?;
    let exists = match spot.stat()? {
        None => false,
        Some(stat) if fsops::kind(&stat) == FileType::Directory => true,
        Some(_) => {
            return Err(FileError::Exists {
                path: spot.shown.clone(),
                hint: "and it is not a folder; choose another name".to_owned(),
            });
        }
    };
    Ok(PlannedMkdir { spot, exists })
}

impl PlannedMkdir {
    pub fn preview(&self) -> Preview {
        let summary = if self.exists {
            format!("folder {} already exists (nothing to do)", self.spot.shown)
        } else {
            format!("create folder {}", self.spot.shown)
        };
        Preview {
            paths: vec![self.spot.abs.clone()],
            summary,
        }
    }

    pub fn apply(self, journal: &Journal) -> Result<String, FileError> {
        let shown = &self.spot.shown;
        if self.exists {
            return Ok(format!("Folder `{shown}` already exists; nothing changed."));
        }
        let mut changes: Vec<Change> = self
            .spot
            .missing_paths()
            .into_iter()
            .map(|path| Change::DirCreated { path: path.into() })
            .collect();
        changes.push(Change::DirCreated {
            path: self.spot.abs.clone().into(),
        });
        journal.record(&changes)?;
        let parent = self.spot.make_parent()?;
        fsops::make_dir(parent.as_fd(), &self.spot.name).map_err(|e| io_err(shown, e))?;
        Ok(format!("Created folder `{shown}`."))
    }
}

pub(crate) struct PlannedDelete {
    spot: Spot,
    stat: Stat,
    /// Real paths below a deleted folder, which go to the trash with it.
    carried: Vec<PathBuf>,
    files: u64,
    bytes: u64,
}

pub(crate) fn plan_delete(folders: &Folders, input: PathInput) -> Result<PlannedDelete, FileError> {
    let spot = target(folders, &input.path, false, Need::Existing)?;
    let stat = spot.stat()?.ok_or_else(|| FileError::NotFound {
        path: spot.shown.clone(),
    })?;
    let carried = carried(folders, &spot, &stat)?;
    let (files, bytes) =
        fsops::tree_size(spot.dir.fd.as_fd(), &spot.name).map_err(|e| io_err(&spot.shown, e))?;
    Ok(PlannedDelete {
        spot,
        stat,
        carried,
        files,
        bytes,
    })
}

impl PlannedDelete {
    fn is_dir(&self) -> bool {
        fsops::kind(&self.stat) == FileType::Directory
    }

    fn what(&self) -> String {
        let files = if self.files == 1 {
            "1 file".to_owned()
        } else {
            format!("{} files", self.files)
        };
        format!("{files}, {}", human_size(self.bytes))
    }

    pub fn preview(&self) -> Preview {
        let shown = &self.spot.shown;
        let summary = match fsops::kind(&self.stat) {
            FileType::Symlink => format!("move the link {shown} to the trash (not its target)"),
            FileType::Directory => format!("move {shown}/ to the trash ({})", self.what()),
            FileType::RegularFile
            | FileType::Fifo
            | FileType::Socket
            | FileType::CharacterDevice
            | FileType::BlockDevice
            | FileType::Unknown => format!("move {shown} to the trash ({})", self.what()),
        };
        let mut paths = vec![self.spot.abs.clone()];
        paths.extend(self.carried.iter().cloned());
        Preview { paths, summary }
    }

    pub fn apply(self, journal: &Journal) -> Result<String, FileError> {
        let shown = &self.spot.shown;
        let trash = journal.store.trash();
        let entry = trash
            .prepare(
                &self.spot.abs,
                journal.task.as_deref(),
                self.bytes,
                self.is_dir(),
            )
            .map_err(|e| io_err(shown, e))?;
        let change = Change::Trashed {
            path: self.spot.abs.clone().into(),
            trash_id: entry.id.clone(),
            stamp: fsops::stamp(&self.stat),
        };
        if let Err(err) = journal.record(&[change]) {
            trash.discard(entry);
            return Err(err);
        }
        trash
            .commit(&entry, self.spot.dir.fd.as_fd(), &self.spot.name)
            .map_err(|e| io_err(shown, e))?;
        Ok(format!(
            "Moved `{shown}` to cowork's trash ({}); it can be restored from the trash (entry {}) or by undoing the task.",
            self.what(),
            entry.id
        ))
    }
}
