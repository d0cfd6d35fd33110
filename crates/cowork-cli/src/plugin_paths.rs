//! Where the CLI's plugins, marketplaces, connectors and tokens live, and
//! which policy file binds them.

use std::path::PathBuf;

use anyhow::{Result, bail};

use cowork_plugins::{PluginPaths, SYSTEM_POLICY};

/// The CLI's [`PluginPaths`]: the data dir as [`crate::home::data_dir`]
/// finds it, the configuration folder as [`crate::config`] locates the
/// configuration file, and the administrator's policy.
///
/// `COWORK_POLICY_FILE` moves the policy file in debug builds only, for
/// tests: a release build always reads [`SYSTEM_POLICY`], so no variable
/// in the person's environment can loosen what the administrator set.
pub fn plugin_paths() -> Result<PluginPaths> {
    let data_dir = crate::home::data_dir()?;
    let Some(config_file) = crate::config::config_path() else {
        bail!(
            "cannot tell where cowork's configuration lives: set XDG_CONFIG_HOME or COWORK_CONFIG (or HOME)"
        );
    };
    let config_dir = match config_file.parent() {
        Some(dir) => dir.to_path_buf(),
        None => bail!(
            "the configuration file {} has no folder: point COWORK_CONFIG at a file inside one",
            config_file.display()
        ),
    };
    Ok(PluginPaths {
        data_dir,
        config_dir,
        policy_file: policy_file(),
    })
}

fn policy_file() -> PathBuf {
    if cfg!(debug_assertions)
        && let Some(path) = std::env::var_os("COWORK_POLICY_FILE").filter(|v| !v.is_empty())
    {
        return PathBuf::from(path);
    }
    PathBuf::from(SYSTEM_POLICY)
}
