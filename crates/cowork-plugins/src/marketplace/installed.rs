//! `<data>/plugins/installed.json`: which plugins are installed, where,
//! and whether the person turned them on, seen through the
//! administrator's policy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::PluginPaths;
use crate::curation::{Blocked, PluginState, Policy};

use super::manifest::{PluginSource, is_safe_name};
use super::{MarketError, state};

/// The file as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstalledFile {
    /// By `name@marketplace`.
    #[serde(default)]
    pub plugins: BTreeMap<String, InstalledRecord>,
    /// `installed_by_default` plugins the person uninstalled: not
    /// installed again on the next update.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub declined: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledRecord {
    pub version: String,
    pub path: PathBuf,
    pub enabled: bool,
    pub installed_at: String,
    pub source: PluginSource,
    /// Where its marketplace came from (URL or folder), for the policy's
    /// source patterns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_source: Option<String>,
}

/// One installed plugin, after the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledPlugin {
    /// `name@marketplace`.
    pub id: String,
    pub name: String,
    pub marketplace: String,
    pub version: String,
    /// The plugin's folder (read-only to tasks).
    pub path: PathBuf,
    /// On for tasks: the person's choice, except that the policy turns
    /// `required` plugins on and `blocked` ones off.
    pub enabled: bool,
    pub policy: PluginState,
    pub installed_at: String,
    /// Why the policy keeps it off: the plugin is blocked, or its
    /// marketplace is no longer allowed.
    #[serde(skip)]
    pub blocked: Option<Blocked>,
}

/// Installed plugins and the policy that governs them.
#[derive(Debug, Clone)]
pub struct Installed {
    file: InstalledFile,
    policy: Policy,
}

pub(crate) fn installed_file(paths: &PluginPaths) -> PathBuf {
    paths.plugins_dir().join("installed.json")
}

/// `name@marketplace` split; `None` for a bare name.
pub(crate) fn split_id(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once('@') {
        Some((name, market)) => (name, Some(market)),
        None => (spec, None),
    }
}

impl Installed {
    /// Reads the installed plugins and the policy. Read-only: it installs
    /// nothing (a task must not wait on git); [`super::install::apply_policy`]
    /// installs what the policy requires.
    pub fn load(paths: &PluginPaths) -> Result<Self, MarketError> {
        Ok(Self {
            file: state::read(&installed_file(paths))?,
            policy: Policy::load(paths.policy_file())?,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Every installed plugin, enabled or not.
    pub fn all(&self) -> Vec<InstalledPlugin> {
        self.file
            .plugins
            .iter()
            .map(|(id, record)| {
                let (name, market) = split_id(id);
                let market = market.unwrap_or_default();
                let policy = self.policy.plugin_state(name, market);
                // An allowlist of marketplaces added after the install
                // cuts the plugin off too.
                let blocked = self
                    .policy
                    .marketplace_allowed(market, record.marketplace_source.as_deref().unwrap_or(""))
                    .and_then(|()| self.policy.plugin_allowed(name, market))
                    .err();
                let enabled = blocked.is_none()
                    && match policy {
                        PluginState::Required => true,
                        PluginState::Blocked => false,
                        PluginState::Available | PluginState::InstalledByDefault => record.enabled,
                    };
                InstalledPlugin {
                    id: id.clone(),
                    name: name.to_owned(),
                    marketplace: market.to_owned(),
                    version: record.version.clone(),
                    path: record.path.clone(),
                    enabled,
                    policy,
                    installed_at: record.installed_at.clone(),
                    blocked,
                }
            })
            .collect()
    }

    /// What tasks get: enabled plugins, after the policy.
    pub fn enabled(&self) -> Vec<InstalledPlugin> {
        self.all().into_iter().filter(|p| p.enabled).collect()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.file.plugins.contains_key(id)
    }

    pub(crate) fn declined(&self, id: &str) -> bool {
        self.file.declined.contains(id)
    }

    /// The installed plugin `spec` names (`name` or `name@marketplace`).
    pub fn find(&self, spec: &str) -> Result<InstalledPlugin, MarketError> {
        let (name, market) = split_id(spec);
        let all = self.all();
        let mut found: Vec<_> = all
            .iter()
            .filter(|p| p.name == name && market.is_none_or(|m| p.marketplace == m))
            .cloned()
            .collect();
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(MarketError::NotInstalled {
                name: spec.to_owned(),
                installed: all.into_iter().map(|p| p.id).collect(),
            }),
            _ => Err(MarketError::Ambiguous {
                name: spec.to_owned(),
                choices: found.into_iter().map(|p| p.id).collect(),
            }),
        }
    }
}

/// Turns an installed plugin on or off. The policy wins: a blocked plugin
/// cannot be enabled, a required one cannot be disabled.
pub fn set_enabled(
    paths: &PluginPaths,
    spec: &str,
    enabled: bool,
) -> Result<InstalledPlugin, MarketError> {
    let _lock = state::lock(&paths.plugins_dir())?;
    let installed = Installed::load(paths)?;
    let plugin = installed.find(spec)?;
    if let (Some(blocked), true) = (&plugin.blocked, enabled) {
        return Err(blocked.clone().into());
    }
    match (plugin.policy, enabled) {
        (PluginState::Required, false) => {
            return Err(MarketError::Required {
                id: plugin.id,
                action: "disabled",
                policy_file: paths.policy_file().to_path_buf(),
            });
        }
        (
            PluginState::Available
            | PluginState::InstalledByDefault
            | PluginState::Blocked
            | PluginState::Required,
            _,
        ) => {}
    }
    let mut file = installed.file;
    if let Some(record) = file.plugins.get_mut(&plugin.id) {
        record.enabled = enabled;
    }
    state::write(&installed_file(paths), &file)?;
    Installed {
        file,
        policy: installed.policy,
    }
    .find(&plugin.id)
}

/// Removes an installed plugin and its files. A required plugin cannot be
/// uninstalled; an `installed_by_default` one is remembered as declined so
/// that updates do not bring it back.
pub fn uninstall(paths: &PluginPaths, spec: &str) -> Result<InstalledPlugin, MarketError> {
    let _lock = state::lock(&paths.plugins_dir())?;
    let installed = Installed::load(paths)?;
    let plugin = installed.find(spec)?;
    match plugin.policy {
        PluginState::Required => {
            return Err(MarketError::Required {
                id: plugin.id,
                action: "uninstalled",
                policy_file: paths.policy_file().to_path_buf(),
            });
        }
        PluginState::Available | PluginState::InstalledByDefault | PluginState::Blocked => {}
    }
    let mut file = installed.file;
    file.plugins.remove(&plugin.id);
    if plugin.policy == PluginState::InstalledByDefault {
        file.declined.insert(plugin.id.clone());
    }
    state::write(&installed_file(paths), &file)?;
    // The state no longer names the files; a failure to delete them
    // leaves only litter in cowork's own cache.
    let cache = paths
        .plugins_dir()
        .join("cache")
        .join(&plugin.marketplace)
        .join(&plugin.name);
    // The names come from cowork's own state file, but a damaged one
    // must not make uninstall delete outside the cache.
    if is_safe_name(&plugin.marketplace) && is_safe_name(&plugin.name) && cache.is_dir() {
        std::fs::remove_dir_all(&cache).map_err(MarketError::io("delete", &cache))?;
    }
    Ok(plugin)
}

/// Records a plugin as installed (enabled); the caller holds the lock.
pub(crate) fn record_locked(
    paths: &PluginPaths,
    id: &str,
    record: InstalledRecord,
) -> Result<(), MarketError> {
    let mut file: InstalledFile = state::read(&installed_file(paths))?;
    file.declined.remove(id);
    file.plugins.insert(id.to_owned(), record);
    state::write(&installed_file(paths), &file)
}
