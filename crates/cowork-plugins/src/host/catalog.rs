//! What is enabled for tasks now: the installed plugins the policy
//! allows, the person's own skills and connectors, loaded afresh.

use std::path::PathBuf;

use crate::curation::Policy;
use crate::diag::{Diagnostic, Severity};
use crate::format::{Plugin, SkillDef, load_hooks, load_plugin, load_skills};
use crate::hooks::HookSet;
use crate::marketplace::Installed;
use crate::mcp::config::{McpFile, McpServer};
use crate::paths::PluginPaths;

/// One enabled plugin, loaded.
#[derive(Debug, Clone)]
pub struct CatalogPlugin {
    /// `name@marketplace`.
    pub id: String,
    pub plugin: Plugin,
    pub hooks: Vec<HookSet>,
}

/// A connector a task may start, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogServer {
    /// The name its tools carry (`mcp__<name>__…`).
    pub name: String,
    /// `user` for the person's `mcp.json`, else the plugin's id.
    pub source: String,
    pub config: McpServer,
    /// The plugin's root, for `${CLAUDE_PLUGIN_ROOT}` and as a local
    /// server's working directory.
    pub root: Option<PathBuf>,
}

/// Everything enabled for tasks now.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub plugins: Vec<CatalogPlugin>,
    pub user_skills: Vec<SkillDef>,
    pub servers: Vec<CatalogServer>,
    pub policy: Policy,
    /// Problems met while loading, for the person (components skipped).
    pub diagnostics: Vec<Diagnostic>,
}

/// The catalog could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Market(#[from] crate::marketplace::MarketError),
    #[error(transparent)]
    UserConnectors(#[from] crate::mcp::user_file::UserFileError),
}

impl Catalog {
    /// Loads the enabled plugins (after the administrator's policy), the
    /// person's own skills and connectors.
    pub fn load(paths: &PluginPaths) -> Result<Self, CatalogError> {
        let installed = Installed::load(paths)?;
        let mut diagnostics = Vec::new();
        let mut plugins = Vec::new();
        for entry in installed.enabled() {
            match load_plugin(&entry.path) {
                Ok((plugin, found)) => {
                    diagnostics.extend(found.into_iter().filter(is_error));
                    let (hooks, found) = load_hooks(&plugin);
                    diagnostics.extend(found.into_iter().filter(is_error));
                    plugins.push(CatalogPlugin {
                        id: entry.id.clone(),
                        plugin,
                        hooks,
                    });
                }
                Err(e) => diagnostics.push(Diagnostic::error(
                    &entry.path,
                    None,
                    format!("the installed plugin {} could not be loaded: {e}", entry.id),
                )),
            }
        }
        let (user_skills, found) = match load_skills(&paths.user_skills_dir()) {
            Ok(loaded) => loaded,
            Err(e) => (
                Vec::new(),
                vec![Diagnostic::error(
                    paths.user_skills_dir(),
                    None,
                    e.to_string(),
                )],
            ),
        };
        diagnostics.extend(found.into_iter().filter(is_error));
        let user = crate::mcp::user_file::read(&paths.user_mcp_file())?;
        let servers = merge_servers(&user, &plugins);
        Ok(Self {
            plugins,
            user_skills,
            servers,
            policy: installed.policy().clone(),
            diagnostics,
        })
    }

    /// The connector names a plugin's `~~category` placeholders may name:
    /// its own servers the policy allows and the task is given (`given`:
    /// the task's connectors by name, `None` for all).
    pub(super) fn connected_for(
        &self,
        plugin: &CatalogPlugin,
        given: Option<&[String]>,
    ) -> Vec<String> {
        plugin
            .plugin
            .mcp
            .servers
            .iter()
            .filter(|(name, server)| self.policy.mcp_allowed(name, url_of(server)).is_ok())
            .filter(|(name, _)| {
                // A server another of the same name shadowed carries its
                // plugin's name in front (see `merge_servers`).
                given.is_none_or(|given| {
                    let renamed = format!("{}-{name}", plugin.plugin.name);
                    given.iter().any(|g| g == *name || *g == renamed)
                })
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

pub(super) fn is_error(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
}

/// The person's connectors first, then each plugin's. Several plugins
/// declare the same server (Slack in most of Anthropic's): one connection
/// serves them all when the configurations agree; a different one under
/// the same name gets the plugin's name in front.
fn merge_servers(user: &McpFile, plugins: &[CatalogPlugin]) -> Vec<CatalogServer> {
    let mut servers: Vec<CatalogServer> = user
        .servers
        .iter()
        .map(|(name, config)| CatalogServer {
            name: name.clone(),
            source: "user".to_owned(),
            config: config.clone(),
            root: None,
        })
        .collect();
    for entry in plugins {
        for (name, config) in &entry.plugin.mcp.servers {
            let same = servers
                .iter()
                .find(|s| &s.name == name)
                .map(|s| s.config == *config && (s.root.is_none() || !mentions_root(config)));
            let name = match same {
                None => name.clone(),
                Some(true) => continue,
                Some(false) => format!("{}-{name}", entry.plugin.name),
            };
            servers.push(CatalogServer {
                name,
                source: entry.id.clone(),
                config: config.clone(),
                root: Some(entry.plugin.root.clone()),
            });
        }
    }
    servers
}

/// Whether a server's configuration depends on its plugin's folder: then
/// two plugins' identical text means two different servers.
fn mentions_root(config: &McpServer) -> bool {
    let text = serde_json::to_string(config).unwrap_or_default();
    text.contains("CLAUDE_PLUGIN_ROOT")
}

pub(super) fn url_of(server: &McpServer) -> Option<&str> {
    match server {
        McpServer::Remote(remote) => Some(&remote.url),
        McpServer::Stdio(_) => None,
    }
}
