//! `.claude-plugin/marketplace.json`, read as Claude Code reads it.
//!
//! Unknown keys are ignored (Claude Code ignores them too, and
//! marketplaces carry `displayName`, `homepage`, `keywords`…). A bad plugin
//! entry is skipped with a [`Diagnostic`] naming its line; the rest of the
//! marketplace stays usable.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Diagnostic;

use super::MarketError;

/// Where a marketplace keeps its file, relative to its root.
pub const MARKETPLACE_FILE: &str = ".claude-plugin/marketplace.json";

/// A marketplace: its name (the key it is known by) and the plugins it
/// offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Marketplace {
    pub name: String,
    pub owner: Option<Owner>,
    pub metadata: Metadata,
    /// The entries that parsed; the others are in the diagnostics
    /// [`Marketplace::read`] returns.
    pub plugins: Vec<PluginEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Owner {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// Prepended to a relative source written as a bare name
    /// (`"formatter"` with `pluginRoot: "./plugins"` is
    /// `./plugins/formatter`).
    #[serde(default, rename = "pluginRoot")]
    pub plugin_root: Option<String>,
}

/// One plugin a marketplace offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginEntry {
    pub name: String,
    pub source: PluginSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Owner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `false`: the entry is the whole plugin definition; its inline
    /// component fields say what the plugin brings.
    #[serde(default = "strict_by_default")]
    pub strict: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Paths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Paths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Paths>,
    /// A path to a hooks file, or the hooks object itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Value>,
    /// A path to an `.mcp.json`-shaped file, or the servers object itself.
    #[serde(
        default,
        rename = "mcpServers",
        skip_serializing_if = "Option::is_none"
    )]
    pub mcp_servers: Option<Value>,
}

fn strict_by_default() -> bool {
    true
}

/// One path or several, as component fields allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(path) => vec![path.clone()],
            Self::Many(paths) => paths.clone(),
        }
    }
}

/// Where a plugin's files come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PluginSource {
    /// A folder of the marketplace: `"./productivity"`, or a bare name
    /// under `metadata.pluginRoot`.
    Relative(String),
    Git(GitSource),
}

/// A plugin in a git repository of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum GitSource {
    Url {
        url: String,
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        git_ref: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha: Option<String>,
    },
    Github {
        repo: String,
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        git_ref: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha: Option<String>,
    },
    GitSubdir {
        url: String,
        path: String,
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        git_ref: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha: Option<String>,
    },
}

/// What to clone: the URL, which ref and commit, and which folder of it
/// is the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCheckout {
    pub url: String,
    pub git_ref: Option<String>,
    pub sha: Option<String>,
    pub subdir: Option<String>,
}

impl GitSource {
    pub fn checkout(&self) -> GitCheckout {
        match self {
            Self::Url { url, git_ref, sha } => GitCheckout {
                url: url.clone(),
                git_ref: git_ref.clone(),
                sha: sha.clone(),
                subdir: None,
            },
            Self::Github { repo, git_ref, sha } => GitCheckout {
                url: github_url(repo),
                git_ref: git_ref.clone(),
                sha: sha.clone(),
                subdir: None,
            },
            Self::GitSubdir {
                url,
                path,
                git_ref,
                sha,
            } => GitCheckout {
                url: url.clone(),
                git_ref: git_ref.clone(),
                sha: sha.clone(),
                subdir: Some(path.clone()),
            },
        }
    }
}

/// `owner/repo` → its GitHub clone URL.
pub fn github_url(repo: &str) -> String {
    format!("https://github.com/{repo}.git")
}

/// Whether `text` is `owner/repo` as GitHub spells them.
pub fn is_github_repo(text: &str) -> bool {
    let ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match text.split_once('/') {
        Some((owner, repo)) => ok(owner) && ok(repo) && !owner.starts_with('-'),
        None => false,
    }
}

/// Whether `name` can name a marketplace or a plugin: it becomes a folder
/// name under the data dir, so nothing that could climb out of it.
pub fn is_safe_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.contains("..")
}

/// Whether `version` can name a folder of the plugin cache.
pub fn is_safe_version(version: &str) -> bool {
    let mut chars = version.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        && !version.contains("..")
}

/// A path inside a marketplace or a repository, checked to stay inside:
/// relative, no `..`. `.` and `./` are the root itself.
pub fn inner_path(path: &str) -> Result<PathBuf, String> {
    let mut out = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::CurDir => {}
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                return Err(format!(
                    "`{path}` climbs out of the marketplace with `..`: sources must stay inside it"
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{path}` is absolute: write a path relative to the marketplace"
                ));
            }
        }
    }
    Ok(out)
}

impl Marketplace {
    /// Reads `<root>/.claude-plugin/marketplace.json`. A file that cannot
    /// be read or is not a marketplace is an error; a bad plugin entry is
    /// a diagnostic and is left out.
    pub fn read(root: &Path) -> Result<(Self, Vec<Diagnostic>), MarketError> {
        let file = root.join(MARKETPLACE_FILE);
        let text = std::fs::read_to_string(&file).map_err(|source| MarketError::Io {
            action: "read the marketplace file",
            path: file.clone(),
            source,
        })?;
        Self::parse(&text, &file)
    }

    /// Parses a marketplace file's text; `file` names it in messages.
    pub fn parse(text: &str, file: &Path) -> Result<(Self, Vec<Diagnostic>), MarketError> {
        let bad = |line: Option<usize>, message: String| MarketError::Manifest {
            file: file.to_path_buf(),
            line,
            message,
        };
        let value: Value =
            serde_json::from_str(text).map_err(|e| bad(Some(e.line()), e.to_string()))?;
        let Value::Object(mut top) = value else {
            return Err(bad(None, "expected a JSON object".to_owned()));
        };
        let name = match top.remove("name") {
            Some(Value::String(name)) => name,
            Some(_) | None => {
                return Err(bad(
                    None,
                    "`name` is missing or not a string: every marketplace needs one".to_owned(),
                ));
            }
        };
        if !is_safe_name(&name) {
            return Err(bad(
                find_line(text, &format!("\"{name}\""), 0).map(|(line, _)| line),
                format!(
                    "the marketplace name `{name}` must be letters, digits, `-`, `_` and `.`, starting with a letter or digit"
                ),
            ));
        }
        let field = |top: &mut serde_json::Map<String, Value>, key: &str| top.remove(key);
        let owner = match field(&mut top, "owner") {
            Some(v) => {
                Some(serde_json::from_value(v).map_err(|e| bad(None, format!("`owner`: {e}")))?)
            }
            None => None,
        };
        let metadata: Metadata = match field(&mut top, "metadata") {
            Some(v) => {
                serde_json::from_value(v).map_err(|e| bad(None, format!("`metadata`: {e}")))?
            }
            None => Metadata::default(),
        };
        let entries = match field(&mut top, "plugins") {
            Some(Value::Array(entries)) => entries,
            Some(_) | None => {
                return Err(bad(
                    None,
                    "`plugins` is missing or not an array of plugin entries".to_owned(),
                ));
            }
        };
        let mut diagnostics = Vec::new();
        let mut plugins: Vec<PluginEntry> = Vec::new();
        let mut from = 0;
        for (index, raw) in entries.into_iter().enumerate() {
            let entry_name = raw.get("name").and_then(Value::as_str).map(str::to_owned);
            let line = entry_name.as_deref().and_then(|n| {
                let (line, end) = find_line(text, &format!("\"{n}\""), from)?;
                from = end;
                Some(line)
            });
            let label = entry_name.unwrap_or_else(|| format!("#{}", index + 1));
            let line = line.and_then(|l| u32::try_from(l).ok());
            match check_entry(raw, &metadata) {
                Ok(entry) if plugins.iter().any(|p| p.name == entry.name) => {
                    diagnostics.push(Diagnostic::error(
                        file,
                        line,
                        format!("plugin `{label}` is listed twice; the first entry is used"),
                    ));
                }
                Ok(entry) => plugins.push(entry),
                Err(message) => diagnostics.push(Diagnostic::error(
                    file,
                    line,
                    format!("plugin `{label}` is skipped: {message}"),
                )),
            }
        }
        Ok((
            Self {
                name,
                owner,
                metadata,
                plugins,
            },
            diagnostics,
        ))
    }

    pub fn plugin(&self, name: &str) -> Option<&PluginEntry> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// The folder of a relative source, inside the marketplace root.
    pub fn relative_dir(&self, source: &str) -> Result<PathBuf, String> {
        relative_dir(source, &self.metadata)
    }
}

/// The 1-based line of the first `needle` at or after byte `from`, and
/// the byte after it. serde_json keeps no positions in a `Value`, and an
/// entry's name is where a person looks for it.
fn find_line(text: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let found = text.get(from..)?.find(needle)? + from;
    let line = text[..found].matches('\n').count() + 1;
    Some((line, found + needle.len()))
}

fn check_entry(raw: Value, metadata: &Metadata) -> Result<PluginEntry, String> {
    let entry: PluginEntry = serde_json::from_value(raw).map_err(|e| describe_serde(&e))?;
    if !is_safe_name(&entry.name) {
        return Err(format!(
            "its name `{}` must be letters, digits, `-`, `_` and `.`, starting with a letter or digit",
            entry.name
        ));
    }
    if let Some(version) = &entry.version
        && !is_safe_version(version)
    {
        return Err(format!(
            "its version `{version}` must be letters, digits, `-`, `_`, `+` and `.`"
        ));
    }
    match &entry.source {
        PluginSource::Relative(source) if source.contains("://") => {
            return Err(format!(
                "`source` `{source}` is a URL: write {{\"source\": \"url\", \"url\": \"{source}\"}}"
            ));
        }
        PluginSource::Relative(source) => {
            relative_dir(source, metadata)?;
        }
        PluginSource::Git(git) => check_git(git)?,
    }
    Ok(entry)
}

fn describe_serde(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if text.contains("did not match any variant of untagged enum PluginSource") {
        return "`source` must be a relative path (\"./name\") or an object with `\"source\"`: \"url\", \"github\" or \"git-subdir\"".to_owned();
    }
    text
}

fn check_git(git: &GitSource) -> Result<(), String> {
    let checkout = git.checkout();
    if let GitSource::Github { repo, .. } = git
        && !is_github_repo(repo)
    {
        return Err(format!("`repo` must be `owner/repo`, not `{repo}`"));
    }
    let url = &checkout.url;
    let relative = !(url.contains("://") || url.starts_with('/') || url.contains('@'));
    if url.starts_with('-') || url.is_empty() || relative {
        return Err(format!(
            "`{url}` is not a git URL (`https://…`, `git@host:path`, `file:///…` or an absolute path)"
        ));
    }
    if let Some(sha) = &checkout.sha
        && !(sha.len() >= 7 && sha.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(format!("`sha` must be a commit hash, not `{sha}`"));
    }
    if let Some(git_ref) = &checkout.git_ref
        && (git_ref.starts_with('-') || git_ref.is_empty())
    {
        return Err(format!("`ref` `{git_ref}` is not a branch or tag name"));
    }
    if let Some(subdir) = &checkout.subdir {
        inner_path(subdir)?;
    }
    Ok(())
}

/// A relative source's folder inside the marketplace: `./x` and `../`-free
/// paths as written, a bare name under `metadata.pluginRoot`.
fn relative_dir(source: &str, metadata: &Metadata) -> Result<PathBuf, String> {
    let explicit = source == "." || source.starts_with("./");
    let path = inner_path(source)?;
    if explicit {
        return Ok(path);
    }
    let root = inner_path(metadata.plugin_root.as_deref().unwrap_or("."))
        .map_err(|e| format!("metadata.pluginRoot: {e}"))?;
    Ok(root.join(path))
}
