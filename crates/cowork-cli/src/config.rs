//! Loading `config.toml`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use cowork_protocol::config::Config;

/// `COWORK_CONFIG` if set, else `$XDG_CONFIG_HOME/cowork/config.toml`, else
/// `~/.config/cowork/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var("COWORK_CONFIG") {
        return Some(PathBuf::from(path));
    }
    if let Some(xdg) = var("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(xdg).join("cowork/config.toml"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".config/cowork/config.toml"))
}

/// The configuration; defaults when there is no file.
pub fn load() -> Result<Config> {
    let Some(path) = config_path() else {
        return Ok(Config::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the configuration {}", path.display()));
        }
    };
    toml::from_str(&text).with_context(|| {
        format!(
            "the configuration {} is not valid (see the README's \"Permissions\" section)",
            path.display()
        )
    })
}
