//! Where cowork keeps its data.

use std::path::PathBuf;

use anyhow::{Result, bail};

/// The data dir: `COWORK_HOME` if set, else `$XDG_DATA_HOME/cowork`, else
/// `~/.local/share/cowork`.
pub fn data_dir() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("COWORK_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("cowork"));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/cowork")),
        None => bail!("cannot tell where to keep cowork's data: set COWORK_HOME (or HOME)"),
    }
}

pub fn database_path() -> Result<PathBuf> {
    Ok(data_dir()?.join("cowork.db"))
}
