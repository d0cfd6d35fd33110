//! Folders the person trusted. A connected folder is someone's files, and
//! its own instructions (`COWORK.md`, `CLAUDE.md`, `AGENTS.md` at its
//! root) and skills (`.claude/skills/`) were written by whoever made the
//! folder: they are followed only after the person said yes for that
//! folder, once. One answer covers both; answers given when it covered
//! only skills stand as they were given.
//!
//! A front with nobody to ask (the daemon, a script) asks nothing: an
//! unanswered folder is untrusted, its instructions reach the model as
//! quoted data and its skills not at all, until the person trusts it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use cowork_core::instructions::FOLDER_INSTRUCTION_FILES;
use cowork_files::{FileError, Folders};
use cowork_protocol::FolderGrant;
use serde::{Deserialize, Serialize};

use crate::host::FOLDER_SKILLS;

/// What trusting a folder would enable: its instruction files and
/// whether it has skills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderContents {
    pub folder: PathBuf,
    /// The instruction files at its root, in the order they are read.
    pub instructions: Vec<&'static str>,
    pub skills: bool,
}

impl FolderContents {
    /// What `folder` holds that trust would enable (by name only: the
    /// task reads the files beneath the folder, refusing links out).
    pub fn of(folder: &Path) -> Self {
        Self {
            folder: folder.to_owned(),
            instructions: FOLDER_INSTRUCTION_FILES
                .into_iter()
                .filter(|name| std::fs::symlink_metadata(folder.join(name)).is_ok())
                .collect(),
            skills: folder.join(FOLDER_SKILLS).is_dir(),
        }
    }

    /// Whether there is anything to trust.
    pub fn is_empty(&self) -> bool {
        self.instructions.is_empty() && !self.skills
    }

    /// What trusting the folder enables, in words for a question or a
    /// page: `its instructions (COWORK.md, AGENTS.md) and its skills
    /// (.claude/skills)`.
    pub fn enables(&self) -> String {
        let mut out = String::new();
        if !self.instructions.is_empty() {
            let _ = write!(out, "its instructions ({})", self.instructions.join(", "));
        }
        if self.skills {
            if !out.is_empty() {
                out.push_str(" and ");
            }
            let _ = write!(out, "its skills ({FOLDER_SKILLS})");
        }
        out
    }
}

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

    /// The folders of `grants` that hold instructions or skills and that
    /// the person has not answered for yet, with what they hold.
    pub fn unanswered(&self, grants: &[FolderGrant]) -> Vec<FolderContents> {
        let mut out: Vec<FolderContents> = Vec::new();
        for grant in grants {
            if self.answer(&grant.path).is_some() || out.iter().any(|c| c.folder == grant.path) {
                continue;
            }
            let contents = FolderContents::of(&grant.path);
            if !contents.is_empty() {
                out.push(contents);
            }
        }
        out
    }

    /// The folders of `grants` the person trusted, as granted.
    pub fn trusted(&self, grants: &[FolderGrant]) -> Vec<PathBuf> {
        grants
            .iter()
            .filter(|g| self.answer(&g.path) == Some(true))
            .map(|g| g.path.clone())
            .collect()
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

/// Why a folder's skills `dir` is not used when it does not lie beneath
/// the folder: trusting a folder trusts what is in it, and a link out of
/// it would make wherever it points readable to the task (skill folders
/// join the task's grants). Judged by the kernel, beneath the folder's
/// descriptor, as every file tool judges paths.
pub(crate) fn outside_its_folder(grant: &FolderGrant, dir: &Path) -> Option<String> {
    let opened = Folders::open(std::slice::from_ref(grant))
        .and_then(|folders| folders.resolve_path(dir)?.open_dir().map(drop));
    match opened {
        Ok(()) => None,
        Err(FileError::OutsideFolders { .. }) => Some(format!(
            "{} leads outside its folder, so this task does not use the skills there",
            dir.display()
        )),
        Err(e) => Some(format!("the skills in {} are not used: {e}", dir.display())),
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
    fn a_folder_with_instructions_or_skills_is_asked_about_once_whatever_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let grant = |name: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(&path).unwrap();
            FolderGrant {
                path,
                read_only: false,
            }
        };
        let (plain, agents, both) = (grant("plain"), grant("agents"), grant("both"));
        std::fs::write(agents.path.join("AGENTS.md"), "use tabs").unwrap();
        std::fs::write(both.path.join("COWORK.md"), "be brief").unwrap();
        std::fs::write(both.path.join("CLAUDE.md"), "be kind").unwrap();
        std::fs::create_dir_all(both.path.join(FOLDER_SKILLS)).unwrap();
        let file = FolderTrust::file(&dir.path().join("plugins"));
        let mut trust = FolderTrust::load(&file).unwrap();
        let asked = trust.unanswered(&[plain.clone(), agents.clone(), both.clone()]);
        let enables: Vec<String> = asked.iter().map(FolderContents::enables).collect();
        assert_eq!(
            enables,
            [
                "its instructions (AGENTS.md)",
                "its instructions (COWORK.md, CLAUDE.md) and its skills (.claude/skills)",
            ]
        );
        trust.set(&file, &agents.path, false).unwrap();
        trust.set(&file, &both.path, true).unwrap();
        let again = FolderTrust::load(&file).unwrap();
        let grants = [plain, agents, both.clone()];
        assert!(again.unanswered(&grants).is_empty());
        assert_eq!(again.trusted(&grants), [both.path]);
    }

    #[test]
    fn an_answer_given_when_trust_covered_only_skills_still_stands() {
        // The file as cowork wrote it before instructions existed.
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().canonicalize().unwrap().join("notes");
        std::fs::create_dir(&folder).unwrap();
        let file = dir.path().join("trusted_folders.json");
        let old = serde_json::json!({"folders": {folder.to_str().unwrap(): true}});
        std::fs::write(&file, old.to_string()).unwrap();
        std::fs::write(folder.join("COWORK.md"), "be brief").unwrap();
        let trust = FolderTrust::load(&file).unwrap();
        assert_eq!(trust.answer(&folder), Some(true));
        let grant = FolderGrant {
            path: folder,
            read_only: false,
        };
        assert!(trust.unanswered(&[grant]).is_empty());
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
