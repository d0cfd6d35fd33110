//! Shared fixture: a temp directory holding the connected folder and, next
//! to it, content that must never be reachable.

mod escapes;
mod folders;
mod glob;
mod grants;
mod grep;
mod hidden;
mod journal;
mod ls;
mod mkdir_delete;
mod mv;
mod names;
mod read;
mod reserved;
mod staged;
mod staged_limits;
mod staged_modes;
mod tamper;
mod undo;
mod work;
mod write;
mod write_escapes;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cowork_files::{FileError, FileTools, Folders};
use cowork_protocol::FolderGrant;
use serde_json::Value;

/// The text planted outside the folder; no tool output may contain it.
pub const SECRET: &str = "SECRET-OUTSIDE-CONTENT";

pub struct Fixture {
    pub base: tempfile::TempDir,
    /// The connected folder (canonical).
    pub root: PathBuf,
    pub tools: FileTools,
}

impl Fixture {
    /// `base/folder` connected; `base/outside.txt` and
    /// `base/outside_dir/secret.txt` hold [`SECRET`].
    pub fn new() -> Self {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().canonicalize().unwrap().join("folder");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(base.path().join("outside.txt"), SECRET).unwrap();
        std::fs::create_dir(base.path().join("outside_dir")).unwrap();
        std::fs::write(base.path().join("outside_dir/secret.txt"), SECRET).unwrap();
        let folders = Folders::open(&[FolderGrant {
            path: root.clone(),
            read_only: false,
        }])
        .unwrap();
        let tools = FileTools::new(Arc::new(folders));
        Self { base, root, tools }
    }

    /// The temp directory around the folder, canonical.
    pub fn outside(&self) -> PathBuf {
        self.base.path().canonicalize().unwrap()
    }

    /// Writes `bytes` at `rel` inside the folder, creating directories.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn symlink(&self, target: impl AsRef<Path>, rel: &str) {
        std::os::unix::fs::symlink(target, self.root.join(rel)).unwrap();
    }

    pub fn call(&self, tool: &str, input: Value) -> Result<String, FileError> {
        self.tools.call(tool, &input)
    }

    /// Calls a tool that must succeed.
    pub fn ok(&self, tool: &str, input: Value) -> String {
        match self.call(tool, input.clone()) {
            Ok(text) => text,
            Err(err) => panic!("{tool} {input} failed: {err}"),
        }
    }
}

/// Sets a file's modification time, `secs` after the epoch.
pub fn set_mtime(path: &Path, secs: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    file.set_modified(time).unwrap();
}
