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

/// The configuration; defaults when there is no file. `~/` at the start of
/// a rule's folder or path means the home folder.
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
    let mut config: Config = toml::from_str(&text).with_context(|| {
        format!(
            "the configuration {} is not valid (see the README's \"Permissions\" section)",
            path.display()
        )
    })?;
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        for rule in &mut config.rules {
            if let Some(folder) = &rule.folder
                && let Ok(rest) = folder.strip_prefix("~")
            {
                rule.folder = Some(home.join(rest));
            }
            if let Some(rest) = rule.path.as_deref().and_then(|p| p.strip_prefix("~/")) {
                rule.path = Some(format!("{}/{rest}", home.display()));
            }
        }
    }
    Ok(config)
}
