//! cowork's own state files: read whole, written atomically, changed only
//! under the plugins folder's lock.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::MarketError;

/// An exclusive lock on `<plugins>/.lock`, held for a read-modify-write of
/// the state files; released when dropped. The daemon and the CLI take it
/// alike, so neither loses the other's change.
pub(crate) struct StateLock {
    _file: File,
}

pub(crate) fn lock(plugins_dir: &Path) -> Result<StateLock, MarketError> {
    std::fs::create_dir_all(plugins_dir)
        .map_err(MarketError::io("create the plugins folder", plugins_dir))?;
    let path = plugins_dir.join(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(MarketError::io("open the lock file", &path))?;
    file.lock()
        .map_err(MarketError::io("lock the plugin state", &path))?;
    Ok(StateLock { _file: file })
}

/// A state file, or its default when there is none yet.
pub(crate) fn read<T: DeserializeOwned + Default>(path: &Path) -> Result<T, MarketError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return Err(MarketError::io("read", path)(e)),
    };
    serde_json::from_str(&text).map_err(|e| MarketError::State {
        file: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `value` to `path` atomically: a reader sees the old file or the
/// new one, never half of either.
pub(crate) fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), MarketError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(MarketError::io("create", dir))?;
    let mut text = serde_json::to_string_pretty(value).map_err(|e| MarketError::State {
        file: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(MarketError::io("create a temporary file in", dir))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(MarketError::io("write", tmp.path().to_path_buf()))?;
    tmp.persist(path)
        .map_err(|e| MarketError::io("replace", path)(e.error))?;
    Ok(())
}

/// Now, as stored in state files.
pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}
