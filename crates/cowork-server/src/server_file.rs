//! `<data dir>/server.json`: how a client on this machine finds the
//! running daemon and proves it may talk to it.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::server::ServeError;

pub const SERVER_FILE: &str = "server.json";

/// What `server.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The base URL, e.g. `http://127.0.0.1:4680/`.
    pub url: String,
    pub port: u16,
    /// The bearer token. The file is readable by its owner only.
    pub token: String,
    pub pid: u32,
}

impl ServerInfo {
    /// Reads the data dir's `server.json`: `Ok(None)` when no daemon
    /// wrote one. It may be stale (a daemon killed with `kill -9`): a
    /// client confirms with `GET /api/health`.
    pub fn read(data_dir: &Path) -> Result<Option<Self>, ServeError> {
        let path = data_dir.join(SERVER_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ServeError::Io { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ServeError::BadServerFile {
                path,
                reason: e.to_string(),
            })
    }
}

/// A file only its owner can read, removed when dropped: `server.json`,
/// the page `--open` hands the browser. A clean exit leaves neither.
#[derive(Debug)]
pub struct PrivateFile {
    path: PathBuf,
}

impl PrivateFile {
    /// Writes `bytes` to `path` atomically: a temp file beside it created
    /// with mode 0600 (never readable by others, not even for an instant),
    /// synced, then renamed over `path`.
    pub fn write(path: &Path, bytes: &[u8]) -> Result<Self, ServeError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ServeError::Io { path, source }
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        // A temp file left by a crash of this pid's predecessor.
        match std::fs::remove_file(&temp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(io(&temp)(source)),
        }
        // create_new: O_EXCL, so a planted symlink is refused, not followed.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(io(&temp))?;
        file.write_all(bytes).map_err(io(&temp))?;
        file.sync_all().map_err(io(&temp))?;
        drop(file);
        std::fs::rename(&temp, path).map_err(io(path))?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// Writes `server.json` into `data_dir`.
    pub fn server_json(data_dir: &Path, info: &ServerInfo) -> Result<Self, ServeError> {
        let path = data_dir.join(SERVER_FILE);
        let json = serde_json::to_vec_pretty(info).map_err(|e| ServeError::BadServerFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Self::write(&path, &json)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a file of the server's");
        }
    }
}
