//! The marketplaces the person added: `add`, `list`, `update`, `remove`.
//!
//! A folder is used in place (recorded by its real path, not copied), as
//! Claude Code does, so editing a marketplace one maintains needs no
//! `update`. A git URL, a path to a git repository, or `owner/repo`
//! (GitHub) is cloned into `<data>/plugins/marketplaces/<name>/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Diagnostic;
use crate::PluginPaths;
use crate::curation::Policy;

use super::install::apply_policy;
use super::manifest::{MARKETPLACE_FILE, Marketplace, github_url, is_github_repo};
use super::{InstalledPlugin, MarketError, git, state};

/// `<data>/plugins/known_marketplaces.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KnownFile {
    #[serde(default)]
    pub marketplaces: BTreeMap<String, KnownMarketplace>,
}

/// One added marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownMarketplace {
    pub source: MarketSource,
    /// The folder holding `.claude-plugin/marketplace.json`: the person's
    /// folder, or cowork's clone.
    pub root: PathBuf,
    pub added_at: String,
    pub updated_at: String,
}

/// Where a marketplace comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MarketSource {
    /// A folder, used in place.
    Path { path: PathBuf },
    /// A git repository, cloned.
    Git {
        url: String,
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        git_ref: Option<String>,
    },
}

impl MarketSource {
    /// On this machine: a folder, or a git repository reached by path or
    /// `file://`.
    pub fn is_local(&self) -> bool {
        match self {
            Self::Path { .. } => true,
            Self::Git { url, .. } => is_local_git_url(url),
        }
    }

    /// The URL or folder, as shown and as policy source patterns see it;
    /// a password in the URL is masked (it is still used to fetch).
    pub fn display(&self) -> String {
        match self {
            Self::Path { path } => path.display().to_string(),
            Self::Git { url, .. } => match reqwest::Url::parse(url) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    // Cannot fail: the URL has a password, so it has a host.
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                Ok(_) | Err(_) => url.clone(),
            },
        }
    }
}

/// What `marketplace add` was given, understood.
///
/// - a URL (`scheme://…`) or `user@host:path`: git;
/// - an existing folder with `.claude-plugin/marketplace.json`: that
///   folder, in place;
/// - an existing git repository without one at its top (a bare repository,
///   a `.git` folder): git, cloned from that path;
/// - `owner/repo` that is no existing path: GitHub.
pub fn parse_source(given: &str) -> Result<MarketSource, MarketError> {
    let refuse = |reason: &str| MarketError::NotAMarketplace {
        given: given.to_owned(),
        reason: reason.to_owned(),
    };
    if given.is_empty() || given.starts_with('-') {
        return Err(refuse("is not a folder, a git URL or owner/repo"));
    }
    if given.contains("://") || is_scp_like(given) {
        return Ok(MarketSource::Git {
            url: given.to_owned(),
            git_ref: None,
        });
    }
    let path = Path::new(given);
    if path.exists() {
        let real = path
            .canonicalize()
            .map_err(MarketError::io("resolve", path))?;
        if real.join(MARKETPLACE_FILE).is_file() {
            return Ok(MarketSource::Path { path: real });
        }
        if real.join("HEAD").is_file() && real.join("objects").is_dir() {
            return Ok(MarketSource::Git {
                url: real.display().to_string(),
                git_ref: None,
            });
        }
        return Err(refuse(&format!(
            "has no {MARKETPLACE_FILE}: give the folder that holds `.claude-plugin/`"
        )));
    }
    if is_github_repo(given) {
        return Ok(MarketSource::Git {
            url: github_url(given),
            git_ref: None,
        });
    }
    Err(refuse(
        "does not exist and is not a git URL or owner/repo (a GitHub repository)",
    ))
}

/// A git URL that names this machine's files: `file://…` or a path.
pub fn is_local_git_url(url: &str) -> bool {
    url.to_ascii_lowercase().starts_with("file:") || !(url.contains("://") || is_scp_like(url))
}

/// `git@github.com:owner/repo.git`.
fn is_scp_like(given: &str) -> bool {
    match given.split_once(':') {
        Some((host, path)) => host.contains('@') && !host.contains('/') && !path.is_empty(),
        None => false,
    }
}

/// What `add` did.
#[derive(Debug)]
pub struct Added {
    pub name: String,
    pub source: MarketSource,
    pub plugins: usize,
    /// Entries that were skipped, each with its line.
    pub diagnostics: Vec<Diagnostic>,
    /// `false` when the same source was already added (it was read again).
    pub new: bool,
    /// Plugins the policy requires or installs by default, installed now.
    pub policy_installs: PolicyInstalls,
}

/// What [`super::install::apply_policy`] installed, each by id.
pub type PolicyInstalls = Vec<(String, Result<InstalledPlugin, MarketError>)>;

/// What `update` did: each marketplace's outcome (its plugin count), and
/// the plugins the policy brought.
#[derive(Debug)]
pub struct Updated {
    pub outcomes: Vec<(String, Result<usize, MarketError>)>,
    pub policy_installs: PolicyInstalls,
}

fn known_file(paths: &PluginPaths) -> PathBuf {
    paths.plugins_dir().join("known_marketplaces.json")
}

fn clones_dir(paths: &PluginPaths) -> PathBuf {
    paths.plugins_dir().join("marketplaces")
}

/// The known marketplaces.
pub fn load(paths: &PluginPaths) -> Result<KnownFile, MarketError> {
    state::read(&known_file(paths))
}

/// Adds a marketplace from a folder, a git URL or `owner/repo`.
pub fn add(paths: &PluginPaths, given: &str) -> Result<Added, MarketError> {
    let policy = Policy::load(paths.policy_file())?;
    let source = parse_source(given)?;
    match &source {
        MarketSource::Path { path } => {
            let (market, diagnostics) = Marketplace::read(path)?;
            policy.marketplace_allowed(&market.name, &source.display())?;
            let new = record(paths, &market.name, &source, path)?;
            Ok(Added {
                name: market.name,
                plugins: market.plugins.len(),
                source,
                diagnostics,
                new,
                policy_installs: apply_policy(paths)?,
            })
        }
        MarketSource::Git { url, git_ref } => {
            let clones = clones_dir(paths);
            let staging = super::fsutil::temp_dir_in(&clones, ".adding-")?;
            let checkout = staging.path().join("repo");
            git::clone(url, git_ref.as_deref(), &checkout)?;
            let (market, diagnostics) = Marketplace::read(&checkout)?;
            policy.marketplace_allowed(&market.name, &source.display())?;
            let root = clones.join(&market.name);
            let lock = state::lock(&paths.plugins_dir())?;
            check_clash(paths, &market.name, &source)?;
            if root.exists() {
                std::fs::remove_dir_all(&root).map_err(MarketError::io("replace", &root))?;
            }
            std::fs::rename(&checkout, &root)
                .map_err(MarketError::io("move the clone to", &root))?;
            let new = record_locked(paths, &market.name, &source, &root)?;
            drop(lock);
            Ok(Added {
                name: market.name,
                plugins: market.plugins.len(),
                source,
                diagnostics,
                new,
                policy_installs: apply_policy(paths)?,
            })
        }
    }
}

fn check_clash(paths: &PluginPaths, name: &str, source: &MarketSource) -> Result<(), MarketError> {
    match load(paths)?.marketplaces.get(name) {
        Some(existing) if existing.source != *source => Err(MarketError::Clash {
            name: name.to_owned(),
            existing: existing.source.display(),
            new: source.display(),
        }),
        Some(_) | None => Ok(()),
    }
}

fn record(
    paths: &PluginPaths,
    name: &str,
    source: &MarketSource,
    root: &Path,
) -> Result<bool, MarketError> {
    let _lock = state::lock(&paths.plugins_dir())?;
    check_clash(paths, name, source)?;
    record_locked(paths, name, source, root)
}

/// Writes the entry; the caller holds the lock and checked for a clash.
fn record_locked(
    paths: &PluginPaths,
    name: &str,
    source: &MarketSource,
    root: &Path,
) -> Result<bool, MarketError> {
    let mut known = load(paths)?;
    let now = state::now();
    let added_at = known
        .marketplaces
        .get(name)
        .map_or_else(|| now.clone(), |m| m.added_at.clone());
    let new = !known.marketplaces.contains_key(name);
    known.marketplaces.insert(
        name.to_owned(),
        KnownMarketplace {
            source: source.clone(),
            root: root.to_path_buf(),
            added_at,
            updated_at: now,
        },
    );
    state::write(&known_file(paths), &known)?;
    Ok(new)
}

/// One known marketplace as `list` shows it; `plugins` is an error when
/// its file cannot be read now.
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    pub known: KnownMarketplace,
    pub marketplace: Result<Marketplace, MarketError>,
}

pub fn list(paths: &PluginPaths) -> Result<Vec<Listed>, MarketError> {
    Ok(load(paths)?
        .marketplaces
        .into_iter()
        .map(|(name, known)| Listed {
            marketplace: Marketplace::read(&known.root).map(|(m, _)| m),
            name,
            known,
        })
        .collect())
}

/// Fetches git marketplaces again and re-reads folders: the one named, or
/// all. Each marketplace's outcome is reported on its own.
pub fn update(paths: &PluginPaths, name: Option<&str>) -> Result<Updated, MarketError> {
    let known = load(paths)?;
    let names: Vec<String> = match name {
        Some(name) if known.marketplaces.contains_key(name) => vec![name.to_owned()],
        Some(name) => {
            return Err(MarketError::UnknownMarketplace {
                name: name.to_owned(),
                known: known.marketplaces.keys().cloned().collect(),
            });
        }
        None => known.marketplaces.keys().cloned().collect(),
    };
    let mut outcomes = Vec::new();
    for name in names {
        let Some(entry) = known.marketplaces.get(&name) else {
            continue;
        };
        let outcome = update_one(paths, &name, entry);
        outcomes.push((name, outcome));
    }
    Ok(Updated {
        outcomes,
        policy_installs: apply_policy(paths)?,
    })
}

fn update_one(
    paths: &PluginPaths,
    name: &str,
    entry: &KnownMarketplace,
) -> Result<usize, MarketError> {
    if let MarketSource::Git { url, git_ref } = &entry.source {
        git::update(&entry.root, url, git_ref.as_deref())?;
    }
    let (market, _) = Marketplace::read(&entry.root)?;
    if market.name != name {
        return Err(MarketError::Renamed {
            name: name.to_owned(),
            now: market.name,
        });
    }
    Policy::load(paths.policy_file())?.marketplace_allowed(name, &entry.source.display())?;
    let _lock = state::lock(&paths.plugins_dir())?;
    let mut known = load(paths)?;
    if let Some(stored) = known.marketplaces.get_mut(name) {
        stored.updated_at = state::now();
    }
    state::write(&known_file(paths), &known)?;
    Ok(market.plugins.len())
}

/// Forgets a marketplace and deletes cowork's clone of it; a folder added
/// in place is left alone. Installed plugins stay until uninstalled.
pub fn remove(paths: &PluginPaths, name: &str) -> Result<KnownMarketplace, MarketError> {
    let _lock = state::lock(&paths.plugins_dir())?;
    let mut known = load(paths)?;
    let Some(entry) = known.marketplaces.remove(name) else {
        return Err(MarketError::UnknownMarketplace {
            name: name.to_owned(),
            known: known.marketplaces.keys().cloned().collect(),
        });
    };
    state::write(&known_file(paths), &known)?;
    match &entry.source {
        MarketSource::Git { .. } if entry.root.starts_with(clones_dir(paths)) => {
            std::fs::remove_dir_all(&entry.root).map_err(MarketError::io("delete", &entry.root))?;
        }
        MarketSource::Git { .. } | MarketSource::Path { .. } => {}
    }
    Ok(entry)
}

/// Every known marketplace that can be read now, with its entry.
pub fn read_all(paths: &PluginPaths) -> Result<Vec<(KnownMarketplace, Marketplace)>, MarketError> {
    let mut out = Vec::new();
    for (_, known) in load(paths)?.marketplaces {
        let (market, _) = Marketplace::read(&known.root)?;
        out.push((known, market));
    }
    Ok(out)
}
