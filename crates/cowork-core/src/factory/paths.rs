//! cowork's own files, which no task may see or change whatever folders
//! it was given. Core never looks for them itself (it does not read
//! `$HOME`): the front that knows where they are says so.

use std::path::{Path, PathBuf};

/// Where cowork's configuration lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigLocation {
    /// The usual place: the whole folder is cowork's.
    Folder(PathBuf),
    /// A file named explicitly, whose folder may hold anything (even a
    /// connected folder): only the file itself is cowork's.
    File(PathBuf),
}

/// cowork's data dir (database, journal blobs, trash, stages, caches) and
/// its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnPaths {
    data_dir: PathBuf,
    config: Option<ConfigLocation>,
}

impl OwnPaths {
    pub fn new(data_dir: impl Into<PathBuf>, config: Option<ConfigLocation>) -> Self {
        Self {
            data_dir: data_dir.into(),
            config,
        }
    }

    /// Where a project's files are kept: its tasks read them (read-only)
    /// like a connected folder.
    pub fn project_files(&self, project_id: &str) -> PathBuf {
        self.data_dir
            .join("projects")
            .join(project_id)
            .join("files")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// What file tools refuse to touch: the data dir and the configuration
    /// (its folder, or the named file and the global instructions beside
    /// it).
    pub fn reserved(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.data_dir.clone()];
        match &self.config {
            Some(ConfigLocation::Folder(path)) => paths.push(path.clone()),
            Some(ConfigLocation::File(path)) => {
                paths.push(path.clone());
                paths.extend(self.global_instructions());
            }
            None => {}
        }
        paths
    }

    /// The person's global instructions (`COWORK.md`), which every task
    /// is given: in the configuration folder, or beside a named
    /// configuration file. A task may no more change them than the
    /// configuration, or it could give every later task its orders.
    pub fn global_instructions(&self) -> Option<PathBuf> {
        let name = crate::instructions::GLOBAL_INSTRUCTION_FILE;
        match &self.config {
            Some(ConfigLocation::Folder(dir)) => Some(dir.join(name)),
            Some(ConfigLocation::File(file)) => Some(file.with_file_name(name)),
            None => None,
        }
    }

    /// What commands never see, even inside a connected folder (`--folder
    /// ~`), as absolute paths. A named configuration file that does not
    /// exist yet is left out: its mask would be created as a folder, in the
    /// way of the file the person writes later.
    pub fn hidden_from_commands(&self) -> Vec<PathBuf> {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let mut paths = vec![absolute(&self.data_dir)];
        match &self.config {
            Some(ConfigLocation::Folder(dir)) => paths.push(absolute(dir)),
            Some(ConfigLocation::File(file)) => {
                let global = self.global_instructions();
                for file in std::iter::once(file).chain(global.as_ref()) {
                    if file.is_file() {
                        paths.push(absolute(file));
                    }
                }
            }
            None => {}
        }
        paths
    }

    /// Where the sandbox probe's result is remembered: beside cowork's
    /// data, which commands never see (the file is keyed by boot, kernel
    /// and binary, so a stale one is simply ignored).
    pub fn probe_cache_dir(&self) -> PathBuf {
        self.data_dir.join("cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_folder_is_reserved_and_hidden_whole() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let paths = OwnPaths::new(
            dir.path().join("data"),
            Some(ConfigLocation::Folder(config.clone())),
        );
        assert_eq!(
            paths.reserved(),
            vec![dir.path().join("data"), config.clone()]
        );
        assert_eq!(
            paths.hidden_from_commands(),
            vec![dir.path().join("data"), config]
        );
    }

    #[test]
    fn a_named_config_file_is_hidden_from_commands_only_once_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("my.toml");
        let paths = OwnPaths::new(
            dir.path().join("data"),
            Some(ConfigLocation::File(file.clone())),
        );
        assert_eq!(
            paths.reserved(),
            vec![
                dir.path().join("data"),
                file.clone(),
                dir.path().join("COWORK.md")
            ]
        );
        assert_eq!(paths.hidden_from_commands(), vec![dir.path().join("data")]);
        std::fs::write(&file, "").unwrap();
        assert_eq!(
            paths.hidden_from_commands(),
            vec![dir.path().join("data"), file]
        );
    }

    #[test]
    fn global_instructions_beside_a_named_config_file_are_kept_from_tasks_like_it() {
        // A task that could write them would give every later task its
        // orders, as trusted global instructions.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("my.toml");
        let paths = OwnPaths::new(dir.path().join("data"), Some(ConfigLocation::File(file)));
        let global = dir.path().join("COWORK.md");
        assert_eq!(paths.global_instructions(), Some(global.clone()));
        assert!(paths.reserved().contains(&global));
        std::fs::write(&global, "be brief").unwrap();
        assert!(paths.hidden_from_commands().contains(&global));
        let folder = OwnPaths::new("data", Some(ConfigLocation::Folder("cfg".into())));
        assert_eq!(
            folder.global_instructions(),
            Some(PathBuf::from("cfg/COWORK.md"))
        );
    }

    #[test]
    fn a_relative_data_dir_is_hidden_as_an_absolute_path() {
        let paths = OwnPaths::new("relative/data", None);
        assert!(paths.hidden_from_commands().iter().all(|p| p.is_absolute()));
    }
}
