//! Folders whose own skills (`.claude/skills/`) the person allowed. A
//! connected folder is someone's files, and its skills are instructions
//! written by whoever made the folder: they reach the model only after
//! the person said yes for that folder, once.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The person's answers, by the folder's real path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderTrust {
    #[serde(default)]
    folders: BTreeMap<PathBuf, bool>,
}

/// The trust file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("could not read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is damaged ({source}); delete it to be asked again", .path.display())]
    Damaged {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("could not write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl FolderTrust {
    /// The file the answers live in, under the data dir.
    pub fn file(plugins_dir: &Path) -> PathBuf {
        plugins_dir.join("trusted_folders.json")
    }

    /// Reads the answers; a missing file is no answers yet.
    pub fn load(file: &Path) -> Result<Self, TrustError> {
        match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| TrustError::Damaged {
                path: file.to_owned(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(TrustError::Read {
                path: file.to_owned(),
                source,
            }),
        }
    }

    /// `Some(true)`: allowed; `Some(false)`: refused; `None`: not asked.
    pub fn answer(&self, folder: &Path) -> Option<bool> {
        self.folders.get(&real(folder)).copied()
    }

    /// Records the person's answer for `folder` and saves it atomically.
    pub fn set(&mut self, file: &Path, folder: &Path, allowed: bool) -> Result<(), TrustError> {
        self.folders.insert(real(folder), allowed);
        let write = |source| TrustError::Write {
            path: file.to_owned(),
            source,
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(write)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write)?;
        let json = serde_json::to_vec_pretty(self).map_err(|e| write(std::io::Error::other(e)))?;
        temp.write_all(&json).map_err(write)?;
        temp.as_file().sync_all().map_err(write)?;
        temp.persist(file).map_err(|e| write(e.error))?;
        Ok(())
    }
}

/// A folder by its real path, so `~/notes` and a symlink to it are one.
fn real(folder: &Path) -> PathBuf {
    std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_across_loads_and_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("notes");
        std::fs::create_dir(&folder).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&folder, &link).unwrap();
        let file = FolderTrust::file(&dir.path().join("plugins"));
        let mut trust = FolderTrust::load(&file).unwrap();
        assert_eq!(trust.answer(&folder), None);
        trust.set(&file, &link, true).unwrap();
        let again = FolderTrust::load(&file).unwrap();
        assert_eq!(again.answer(&folder), Some(true));
    }

    #[test]
    fn a_damaged_file_is_an_error_that_says_how_to_recover() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trusted_folders.json");
        std::fs::write(&file, "{not json").unwrap();
        let e = FolderTrust::load(&file).unwrap_err();
        assert!(e.to_string().contains("delete it"), "{e}");
    }
}
