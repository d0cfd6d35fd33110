//! Installing a plugin: resolve its entry, fetch its files into a staging
//! folder, describe what it brings, and only then (after the person said
//! yes) move it into `<data>/plugins/cache/<marketplace>/<plugin>/<version>/`
//! and record it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::PluginPaths;
use crate::curation::{PluginState, Policy};

use super::fsutil::{self, beneath, copy_tree};
use super::installed::{Installed, InstalledPlugin, InstalledRecord, record_locked, split_id};
use super::known::{self, KnownMarketplace, MarketSource, PolicyInstalls, is_local_git_url};
use super::manifest::{Marketplace, PluginEntry, PluginSource, inner_path, is_safe_version};
use super::summary::{PluginSummary, describe};
use super::{MarketError, git, state};

/// A plugin fetched and described, not yet installed. Dropping it deletes
/// the fetched files.
#[derive(Debug)]
pub struct Staged {
    paths: PluginPaths,
    id: String,
    name: String,
    marketplace: String,
    version: String,
    source: PluginSource,
    marketplace_source: String,
    staging: TempDir,
    dir: PathBuf,
    summary: PluginSummary,
    left_out: Vec<String>,
}

impl Staged {
    /// `name@marketplace`.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// What the plugin brings, to show before [`Staged::commit`].
    pub fn summary(&self) -> &PluginSummary {
        &self.summary
    }

    /// Files that were not copied (symbolic links, special files) and
    /// component paths that were missing, each saying why.
    pub fn left_out(&self) -> &[String] {
        &self.left_out
    }

    /// Installs the staged plugin (enabled), replacing an installed
    /// version of it.
    pub fn commit(self) -> Result<InstalledPlugin, MarketError> {
        let plugins_dir = self.paths.plugins_dir();
        let _lock = state::lock(&plugins_dir)?;
        // The policy may have changed while the files were fetched.
        let policy = Policy::load(self.paths.policy_file())?;
        policy.plugin_allowed(&self.name, &self.marketplace)?;
        let plugin_dir = plugins_dir
            .join("cache")
            .join(&self.marketplace)
            .join(&self.name);
        let target = plugin_dir.join(&self.version);
        std::fs::create_dir_all(&plugin_dir).map_err(MarketError::io("create", &plugin_dir))?;
        // Older versions go into the staging folder, deleted with it once
        // the new one is in place, and put back if it cannot be.
        let mut moved = Vec::new();
        let old = std::fs::read_dir(&plugin_dir).map_err(MarketError::io("read", &plugin_dir))?;
        for (index, entry) in old.enumerate() {
            let entry = entry.map_err(MarketError::io("read", &plugin_dir))?;
            let aside = self.staging.path().join(format!("old-{index}"));
            std::fs::rename(entry.path(), &aside)
                .map_err(MarketError::io("replace", entry.path()))?;
            moved.push((entry.path(), aside));
        }
        if let Err(e) = std::fs::rename(&self.dir, &target) {
            for (original, aside) in moved {
                // Best effort: the error below is what the person must see.
                let _ = std::fs::rename(aside, original);
            }
            return Err(MarketError::io("install into", &target)(e));
        }
        record_locked(
            &self.paths,
            &self.id,
            InstalledRecord {
                version: self.version.clone(),
                path: target,
                enabled: true,
                installed_at: state::now(),
                source: self.source.clone(),
                marketplace_source: Some(self.marketplace_source.clone()),
            },
        )?;
        Installed::load(&self.paths)?.find(&self.id)
    }
}

/// Finds `spec` (`name@marketplace`, or `name` when exactly one known
/// marketplace offers it), checks the policy, and fetches it.
pub fn prepare(paths: &PluginPaths, spec: &str) -> Result<Staged, MarketError> {
    let policy = Policy::load(paths.policy_file())?;
    let (known, market, entry) = resolve(paths, spec)?;
    policy.marketplace_allowed(&market.name, &known.source.display())?;
    policy.plugin_allowed(&entry.name, &market.name)?;
    fetch(paths, &known, &market, &entry)
}

fn resolve(
    paths: &PluginPaths,
    spec: &str,
) -> Result<(KnownMarketplace, Marketplace, PluginEntry), MarketError> {
    let (name, market_name) = split_id(spec);
    let all = known::load(paths)?;
    if let Some(market_name) = market_name {
        let Some(known) = all.marketplaces.get(market_name) else {
            return Err(MarketError::UnknownMarketplace {
                name: market_name.to_owned(),
                known: all.marketplaces.keys().cloned().collect(),
            });
        };
        let (market, _) = Marketplace::read(&known.root)?;
        return match market.plugin(name).cloned() {
            Some(entry) => Ok((known.clone(), market, entry)),
            None => Err(MarketError::UnknownPlugin {
                name: name.to_owned(),
                where_: format!("the marketplace `{market_name}`"),
                close: cowork_core::close_matches(
                    name,
                    market.plugins.iter().map(|p| p.name.as_str()),
                ),
            }),
        };
    }
    let mut offers = Vec::new();
    let mut every_name = Vec::new();
    for known in all.marketplaces.into_values() {
        let Ok((market, _)) = Marketplace::read(&known.root) else {
            continue;
        };
        every_name.extend(market.plugins.iter().map(|p| p.name.clone()));
        if let Some(entry) = market.plugin(name).cloned() {
            offers.push((known, market, entry));
        }
    }
    match offers.len() {
        1 => Ok(offers.remove(0)),
        0 => Err(MarketError::UnknownPlugin {
            name: name.to_owned(),
            where_: "any known marketplace".to_owned(),
            close: cowork_core::close_matches(name, every_name.iter().map(String::as_str)),
        }),
        _ => Err(MarketError::Ambiguous {
            name: name.to_owned(),
            choices: offers
                .iter()
                .map(|(_, market, _)| format!("{name}@{}", market.name))
                .collect(),
        }),
    }
}

fn fetch(
    paths: &PluginPaths,
    known: &KnownMarketplace,
    market: &Marketplace,
    entry: &PluginEntry,
) -> Result<Staged, MarketError> {
    let bad = |message: String| MarketError::BadSource {
        plugin: entry.name.clone(),
        message,
    };
    let cache = paths.plugins_dir().join("cache");
    let staging = fsutil::temp_dir_in(&cache, ".staging-")?;
    let (source_dir, commit) = match &entry.source {
        PluginSource::Relative(source) => {
            let rel = market.relative_dir(source).map_err(bad)?;
            let commit = match &known.source {
                MarketSource::Git { url, .. } => Some(git::head(&known.root, url)?),
                MarketSource::Path { .. } => None,
            };
            (beneath(&known.root, &rel, &entry.name)?, commit)
        }
        PluginSource::Git(source) => {
            let checkout = source.checkout();
            if is_local_git_url(&checkout.url) && !known.source.is_local() {
                return Err(bad(format!(
                    "its source {} is on this machine, but the marketplace {} is not: a marketplace from elsewhere cannot install this machine's files",
                    checkout.url,
                    known.source.display()
                )));
            }
            let repo = staging.path().join("repo");
            match &checkout.sha {
                Some(sha) => {
                    git::checkout_commit(&checkout.url, checkout.git_ref.as_deref(), sha, &repo)?;
                }
                None => git::clone(&checkout.url, checkout.git_ref.as_deref(), &repo)?,
            }
            let commit = git::head(&repo, &checkout.url)?;
            let dir = match &checkout.subdir {
                Some(subdir) => beneath(&repo, &inner_path(subdir).map_err(bad)?, &entry.name)?,
                None => Some(repo),
            };
            (dir, Some(commit))
        }
    };
    let source_dir = match source_dir {
        Some(dir) if dir.is_dir() => dir,
        Some(_) | None => {
            return Err(bad(format!(
                "its source {} is not a folder of {}",
                source_label(&entry.source),
                known.source.display()
            )));
        }
    };
    let dir = staging.path().join("plugin");
    let left_out = if entry.strict {
        let mut left_out = copy_tree(&source_dir, &dir, &[])?;
        if entry.skills.is_some()
            || entry.commands.is_some()
            || entry.agents.is_some()
            || entry.hooks.is_some()
            || entry.mcp_servers.is_some()
        {
            left_out.push(
                "the marketplace entry lists components but is strict: the plugin's own files decide what it brings"
                    .to_owned(),
            );
        }
        left_out
    } else {
        synthesize(entry, &source_dir, &dir)?
    };
    let summary = describe(&dir).map_err(|e| bad(e.to_string()))?;
    let version = entry
        .version
        .clone()
        .or_else(|| summary.version.clone().filter(|v| is_safe_version(v)))
        .or_else(|| commit.map(|c| c.chars().take(12).collect()))
        .unwrap_or_else(|| "local".to_owned());
    Ok(Staged {
        paths: paths.clone(),
        id: format!("{}@{}", entry.name, market.name),
        name: entry.name.clone(),
        marketplace: market.name.clone(),
        version,
        source: entry.source.clone(),
        marketplace_source: known.source.display(),
        staging,
        dir,
        summary,
        left_out,
    })
}

/// A `strict: false` plugin: the entry is its whole definition. Its
/// listed skills, commands and agents are copied into the default layout
/// (so the plugin folder reads like any other and brings nothing the
/// entry does not list), its hooks and servers are written where a plugin
/// keeps them, and the rest of the source (shared scripts, references)
/// is copied as is.
fn synthesize(entry: &PluginEntry, from: &Path, to: &Path) -> Result<Vec<String>, MarketError> {
    let bad = |message: String| MarketError::BadSource {
        plugin: entry.name.clone(),
        message,
    };
    let defaults = [
        Path::new("skills"),
        Path::new("commands"),
        Path::new("agents"),
        Path::new("hooks/hooks.json"),
        Path::new(".mcp.json"),
        Path::new(".claude-plugin/plugin.json"),
    ];
    let mut left_out = copy_tree(from, to, &defaults)?;
    let component = |path: &str| -> Result<Option<PathBuf>, MarketError> {
        beneath(from, &inner_path(path).map_err(bad)?, &entry.name)
    };
    for path in entry.skills.iter().flat_map(|p| p.to_vec()) {
        match component(&path)? {
            Some(dir) if dir.join("SKILL.md").is_file() => {
                let name = dir
                    .file_name()
                    .map(ToOwned::to_owned)
                    .ok_or_else(|| bad(format!("the skill path `{path}` names no folder")))?;
                left_out.extend(copy_tree(&dir, &to.join("skills").join(name), &[])?);
            }
            Some(_) | None => left_out.push(format!("the skill `{path}` has no SKILL.md; skipped")),
        }
    }
    for (kind, paths) in [("commands", &entry.commands), ("agents", &entry.agents)] {
        for path in paths.iter().flat_map(|p| p.to_vec()) {
            let Some(found) = component(&path)? else {
                left_out.push(format!("the {kind} path `{path}` does not exist; skipped"));
                continue;
            };
            let target = to.join(kind);
            if found.is_dir() {
                left_out.extend(copy_tree(&found, &target, &[])?);
            } else if let Some(name) = found.file_name() {
                std::fs::create_dir_all(&target).map_err(MarketError::io("create", &target))?;
                std::fs::copy(&found, target.join(name))
                    .map_err(MarketError::io("copy", found.clone()))?;
            }
        }
    }
    let file_or_inline = |value: &Option<Value>, dest: &Path, wrap: Option<&str>| match value {
        None => Ok::<_, MarketError>(None),
        Some(Value::String(path)) => match component(path)? {
            Some(found) if found.is_file() => {
                create_parent(dest)?;
                std::fs::copy(&found, dest).map_err(MarketError::io("copy", found.clone()))?;
                Ok(None)
            }
            Some(_) | None => Ok(Some(format!("`{path}` is not a file; skipped"))),
        },
        Some(inline) => {
            let value = match wrap {
                Some(key) if inline.get(key).is_none() => {
                    serde_json::json!({ key: inline })
                }
                Some(_) | None => inline.clone(),
            };
            create_parent(dest)?;
            write_json(dest, &value)?;
            Ok(None)
        }
    };
    left_out.extend(file_or_inline(
        &entry.hooks,
        &to.join("hooks/hooks.json"),
        None,
    )?);
    left_out.extend(file_or_inline(
        &entry.mcp_servers,
        &to.join(".mcp.json"),
        Some("mcpServers"),
    )?);
    let mut manifest = serde_json::json!({ "name": entry.name });
    if let Some(version) = &entry.version {
        manifest["version"] = Value::from(version.clone());
    }
    if let Some(description) = &entry.description {
        manifest["description"] = Value::from(description.clone());
    }
    if let Some(author) = &entry.author {
        manifest["author"] = serde_json::to_value(author).unwrap_or(Value::Null);
    }
    let manifest_file = to.join(".claude-plugin/plugin.json");
    create_parent(&manifest_file)?;
    write_json(&manifest_file, &manifest)?;
    Ok(left_out)
}

fn source_label(source: &PluginSource) -> String {
    match source {
        PluginSource::Relative(path) => format!("`{path}`"),
        PluginSource::Git(git) => {
            let checkout = git.checkout();
            match checkout.subdir {
                Some(subdir) => format!("`{subdir}` in {}", checkout.url),
                None => checkout.url,
            }
        }
    }
}

fn create_parent(path: &Path) -> Result<(), MarketError> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(MarketError::io("create", dir)),
        None => Ok(()),
    }
}

fn write_json(path: &Path, value: &Value) -> Result<(), MarketError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| MarketError::State {
        file: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(MarketError::io("write", path))
}

/// Installs what the policy says every person has: `required` plugins
/// and `installed_by_default` ones the person did not uninstall, from
/// every known marketplace the policy allows. Each outcome is reported on
/// its own; one failing does not stop the others.
pub fn apply_policy(paths: &PluginPaths) -> Result<PolicyInstalls, MarketError> {
    let installed = Installed::load(paths)?;
    let mut outcomes = Vec::new();
    for (known, market, entry, state) in policy_entries(paths)? {
        let id = format!("{}@{}", entry.name, market.name);
        let wanted = match state {
            PluginState::Required => true,
            PluginState::InstalledByDefault => !installed.declined(&id),
            PluginState::Available | PluginState::Blocked => false,
        };
        if wanted && !installed.contains(&id) {
            let outcome = fetch(paths, &known, &market, &entry).and_then(Staged::commit);
            outcomes.push((id, outcome));
        }
    }
    Ok(outcomes)
}

/// `required` plugins of known, allowed marketplaces that are not
/// installed (the policy changed since the last `add` or `update`, or
/// their install failed): for a front to warn about, since
/// [`Installed::load`] installs nothing.
pub fn missing_required(paths: &PluginPaths) -> Result<Vec<String>, MarketError> {
    let installed = Installed::load(paths)?;
    Ok(policy_entries(paths)?
        .into_iter()
        .filter(|(_, _, _, state)| *state == PluginState::Required)
        .map(|(_, market, entry, _)| format!("{}@{}", entry.name, market.name))
        .filter(|id| !installed.contains(id))
        .collect())
}

/// Every entry of every readable known marketplace the policy allows,
/// with what the policy says about it.
fn policy_entries(
    paths: &PluginPaths,
) -> Result<Vec<(KnownMarketplace, Marketplace, PluginEntry, PluginState)>, MarketError> {
    let policy = Policy::load(paths.policy_file())?;
    let mut out = Vec::new();
    for (_, known) in known::load(paths)?.marketplaces {
        let Ok((market, _)) = Marketplace::read(&known.root) else {
            continue;
        };
        if policy
            .marketplace_allowed(&market.name, &known.source.display())
            .is_err()
        {
            continue;
        }
        for entry in &market.plugins {
            let state = policy.plugin_state(&entry.name, &market.name);
            out.push((known.clone(), market.clone(), entry.clone(), state));
        }
    }
    Ok(out)
}
