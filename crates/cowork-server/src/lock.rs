//! One daemon per data dir: an advisory lock on `<data dir>/server.lock`,
//! which the kernel releases when the process ends, however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::server::ServeError;

pub const LOCK_FILE: &str = "server.lock";

/// Held while the daemon runs; dropping it lets another daemon start.
/// Take it before anything that acts on the data dir's tasks (resuming
/// them), so a second daemon is refused before it touches any.
#[derive(Debug)]
pub struct DaemonLock {
    data_dir: PathBuf,
    // Kept open: the lock lives as long as this descriptor.
    _file: File,
}

impl DaemonLock {
    /// Takes the data dir's lock, creating the dir if needed. Fails with
    /// [`ServeError::AlreadyRunning`] naming the pid that holds it.
    pub fn acquire(data_dir: &Path) -> Result<Self, ServeError> {
        let io = |source| ServeError::Io {
            path: data_dir.join(LOCK_FILE),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(|source| ServeError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // The holder wrote its pid after locking; a read racing
                // that write finds nothing, and says so.
                let _ = file.read_to_string(&mut holder);
                return Err(ServeError::AlreadyRunning {
                    data_dir: data_dir.to_path_buf(),
                    pid: holder.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            _file: file,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}
