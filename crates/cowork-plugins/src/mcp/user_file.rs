//! The person's own connectors, `mcp.json` in their configuration folder
//! (the `.mcp.json` format): added and removed entry by entry, keeping
//! every other entry and every key cowork does not know, written
//! atomically so a crash never leaves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::config::{McpFile, McpServer};

/// What went wrong with the person's `mcp.json`.
#[derive(Debug, thiserror::Error)]
pub enum UserFileError {
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not the `{"mcpServers": {...}}` format: the person
    /// fixes it by hand (cowork never overwrites what it cannot read).
    #[error("{} is not valid: {reason}; fix it by hand, cowork leaves it as it is", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A connector of that name exists with another configuration.
    #[error(
        "a connector named `{name}` already exists with another configuration; remove it first (`cowork mcp remove {name}`) or choose another name"
    )]
    Clash { name: String },
    /// A name outside `[A-Za-z0-9_-]+`.
    #[error("`{name}` is not a valid connector name: use letters, digits, `_` and `-` only")]
    BadName { name: String },
}

/// What [`add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New,
    /// The same configuration was already there.
    Unchanged,
}

/// Whether `name` may name a connector: `[A-Za-z0-9_-]+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The servers in `path`; an absent file has none.
pub fn read(path: &Path) -> Result<McpFile, UserFileError> {
    let root = read_root(path)?;
    serde_json::from_value(root).map_err(|e| UserFileError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Adds `server` as `name`. The same configuration again is
/// [`Added::Unchanged`]; another one under that name is a clash.
pub fn add(path: &Path, name: &str, server: &McpServer) -> Result<Added, UserFileError> {
    if !valid_name(name) {
        return Err(UserFileError::BadName {
            name: name.to_owned(),
        });
    }
    let mut root = read_root(path)?;
    let servers = servers_of(path, &mut root)?;
    let entry = serde_json::to_value(server).map_err(|e| UserFileError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if let Some(existing) = servers.get(name) {
        let same = serde_json::from_value::<McpServer>(existing.clone())
            .ok()
            .as_ref()
            == Some(server);
        return if same {
            Ok(Added::Unchanged)
        } else {
            Err(UserFileError::Clash {
                name: name.to_owned(),
            })
        };
    }
    servers.insert(name.to_owned(), entry);
    write_atomically(path, &root)?;
    Ok(Added::New)
}

/// Removes `name`; `Ok(false)` when there was none.
pub fn remove(path: &Path, name: &str) -> Result<bool, UserFileError> {
    if !path.exists() {
        return Ok(false);
    }
    let mut root = read_root(path)?;
    let servers = servers_of(path, &mut root)?;
    if servers.remove(name).is_none() {
        return Ok(false);
    }
    write_atomically(path, &root)?;
    Ok(true)
}

fn read_root(path: &Path) -> Result<Value, UserFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Value::Object(Map::new())),
        Err(source) => {
            return Err(UserFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let root: Value = serde_json::from_str(&text).map_err(|e| UserFileError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if !root.is_object() {
        return Err(UserFileError::Invalid {
            path: path.to_owned(),
            reason: "it is not a JSON object".to_owned(),
        });
    }
    Ok(root)
}

fn servers_of<'a>(
    path: &Path,
    root: &'a mut Value,
) -> Result<&'a mut Map<String, Value>, UserFileError> {
    let invalid = || UserFileError::Invalid {
        path: path.to_owned(),
        reason: "`mcpServers` is not an object".to_owned(),
    };
    let root = root.as_object_mut().ok_or_else(invalid)?;
    root.entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(invalid)
}

/// Writes `root` to a new file beside `path`, syncs it, and renames it
/// over `path`: readers see the old file or the new one, never a mix.
fn write_atomically(path: &Path, root: &Value) -> Result<(), UserFileError> {
    let failed = |source| UserFileError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let mut text =
        serde_json::to_string_pretty(root).map_err(|e| failed(std::io::Error::other(e)))?;
    text.push('\n');
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mcp.json".to_owned());
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(failed)
}

#[cfg(test)]
#[path = "user_file_tests.rs"]
mod tests;
