//! What a front gives core's factory: for each task, the skills of the
//! enabled plugins, the person's own skills and (when allowed) a folder's,
//! the connectors of the person's `mcp.json` and of the enabled plugins,
//! and the plugins' hooks; and `/name args` expanded into the command's or
//! skill's text.
//!
//! Everything is read afresh for each task (loading every fixture plugin
//! takes a few milliseconds), so a plugin installed or disabled while the
//! daemon runs counts from the next task on. Nothing here fails a task: a
//! damaged state file, a bad component or a connector the policy blocks
//! becomes a notice or a connector status.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use cowork_core::{
    Connectors, ConnectorsUpdate, ExpandedPrompt, ExtensionSource, Skill, TaskContext,
    TaskExtensions, UnknownCommand, close_matches,
};
use cowork_protocol::ConnectorStatus;

use crate::curation::Policy;
use crate::diag::{Diagnostic, Severity};
use crate::format::{
    Plugin, SkillDef, expand, expand_server, load_hooks, load_plugin, load_skills, plugin_lookup,
    render_command, resolve_placeholders,
};
use crate::hooks::{HookSandbox, HookSet, HookSetup, HookSource, PluginHooks};
use crate::marketplace::Installed;
use crate::mcp::auth::AuthProvider;
use crate::mcp::config::{McpFile, McpServer};
use crate::mcp::{ConnectOptions, ConnectionPool, InheritedEnv, ResolvedServer, TaskConnectors};
use crate::paths::PluginPaths;
use crate::trust::FolderTrust;

/// Where a folder keeps its own skills.
pub const FOLDER_SKILLS: &str = ".claude/skills";

/// What the host works with, from the front that knows the person.
#[derive(Clone)]
pub struct HostSetup {
    pub paths: PluginPaths,
    /// The person's environment: `${VAR}` in plugins' configurations
    /// expands from it, and local servers inherit a few of its variables.
    pub env: BTreeMap<String, String>,
    /// How command hooks run: in the sandbox (as probed), or not at all
    /// where it is unavailable, or unsandboxed when the person chose so.
    pub hook_sandbox: HookSandbox,
    /// cowork's own data and configuration, hidden from hooks.
    pub hidden: Vec<PathBuf>,
    /// Deny rules hide paths inside folders, which the sandbox cannot
    /// mask: command hooks then see no folder at all (as `Bash` is off).
    pub rules_hide_paths: bool,
    /// Credentials of remote connectors.
    pub auth: Arc<dyn AuthProvider>,
}

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
    /// its own servers the policy allows.
    fn connected_for(&self, plugin: &CatalogPlugin) -> Vec<String> {
        plugin
            .plugin
            .mcp
            .servers
            .iter()
            .filter(|(name, server)| self.policy.mcp_allowed(name, url_of(server)).is_ok())
            .map(|(name, _)| name.clone())
            .collect()
    }
}

fn is_error(d: &Diagnostic) -> bool {
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

fn url_of(server: &McpServer) -> Option<&str> {
    match server {
        McpServer::Remote(remote) => Some(&remote.url),
        McpServer::Stdio(_) => None,
    }
}

/// The [`ExtensionSource`] every front hands core's factory.
pub struct PluginHost {
    setup: HostSetup,
    /// Set in a daemon: its tasks share connections.
    pool: std::sync::OnceLock<ConnectionPool>,
}

impl PluginHost {
    pub fn new(setup: HostSetup) -> Self {
        Self {
            setup,
            pool: std::sync::OnceLock::new(),
        }
    }

    /// Makes the tasks of this host share their connectors' connections
    /// (see [`ConnectionPool`]), each closed once unused for `idle`: for a
    /// daemon, whose tasks come one after another. Once; later calls keep
    /// the first pool.
    pub fn share_connections(&self, idle: std::time::Duration) {
        let _ = self.pool.set(ConnectionPool::new(idle));
    }

    pub fn setup(&self) -> &HostSetup {
        &self.setup
    }

    /// How connectors are reached: the person's inherited variables and
    /// the stored logins.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            env: InheritedEnv::from_vars(self.setup.env.clone()),
            auth: Arc::clone(&self.setup.auth),
            pool: self.pool.get().cloned(),
            ..ConnectOptions::default()
        }
    }

    /// A connector of `catalog` ready to start, as a task would start it:
    /// refused when the policy blocks it, `${…}` expanded (its plugin's
    /// root included), or the variables it lacks named.
    pub fn resolve(
        &self,
        catalog: &Catalog,
        server: &CatalogServer,
    ) -> Result<ResolvedServer, ConnectorStatus> {
        if let Err(blocked) = catalog
            .policy
            .mcp_allowed(&server.name, url_of(&server.config))
        {
            return Err(ConnectorStatus::Blocked {
                by: format!("{} ({})", blocked.file.display(), blocked.by),
            });
        }
        if let McpServer::Remote(remote) = &server.config
            && remote.url.trim().is_empty()
        {
            // Anthropic's directory connectors are named without a URL;
            // Cowork resolves them by name from its directory.
            return Err(ConnectorStatus::Unreachable {
                error: format!(
                    "{} names it without a URL (a connector of Anthropic's directory); add it \
                     with its URL under another name to use it",
                    server.source
                ),
            });
        }
        let env = self.lookup();
        let root = server.root.clone().unwrap_or_default();
        let lookup = plugin_lookup(&root, &env);
        match expand_server(&server.config, &lookup) {
            Ok(config) => Ok(ResolvedServer {
                config,
                cwd: server.root.clone(),
            }),
            Err(missing) => Err(ConnectorStatus::Unreachable {
                error: missing.to_string(),
            }),
        }
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name: &str| self.setup.env.get(name).cloned()
    }

    /// Every skill a task over `ctx` gets, with the folders they live in,
    /// and notices about what was left out.
    fn skills(
        &self,
        catalog: &Catalog,
        ctx: &TaskContext,
        notices: &mut Vec<String>,
    ) -> (Vec<(Skill, bool)>, Vec<PathBuf>) {
        let env = self.lookup();
        let mut skills = Vec::new();
        let mut dirs = Vec::new();
        for entry in &catalog.plugins {
            if entry.plugin.skills.is_empty() {
                continue;
            }
            let connected = catalog.connected_for(entry);
            let lookup = plugin_lookup(&entry.plugin.root, &env);
            for def in &entry.plugin.skills {
                let body = expand(&def.body, &lookup).text;
                let body = resolve_placeholders(&body, &entry.plugin.connectors, &connected);
                let qualified = format!("{}:{}", entry.plugin.name, def.name);
                skills.push((
                    to_skill(def, qualified, body),
                    !def.disable_model_invocation,
                ));
            }
            // The whole plugin: skills point at its scripts and references
            // through ${CLAUDE_PLUGIN_ROOT}.
            dirs.push(entry.plugin.root.clone());
        }
        if !catalog.user_skills.is_empty() {
            for def in &catalog.user_skills {
                skills.push((
                    to_skill(def, def.name.clone(), def.body.clone()),
                    !def.disable_model_invocation,
                ));
            }
            dirs.push(self.setup.paths.user_skills_dir());
        }
        let trust = match FolderTrust::load(&FolderTrust::file(&self.setup.paths.plugins_dir())) {
            Ok(trust) => trust,
            Err(e) => {
                notices.push(format!("folders' own skills are not used: {e}"));
                return (skills, dirs);
            }
        };
        for grant in &ctx.folders {
            let dir = grant.path.join(FOLDER_SKILLS);
            if !dir.is_dir() {
                continue;
            }
            if trust.answer(&grant.path) != Some(true) {
                notices.push(format!(
                    "{} has its own skills ({FOLDER_SKILLS}) that this task does not use: they \
                     were not allowed for this folder",
                    grant.path.display()
                ));
                continue;
            }
            if let Some(refused) = crate::trust::outside_its_folder(grant, &dir) {
                notices.push(refused);
                continue;
            }
            match load_skills(&dir) {
                Ok((defs, found)) => {
                    notices.extend(found.iter().filter(|d| is_error(d)).map(|d| d.to_string()));
                    for def in &defs {
                        skills.push((
                            to_skill(def, def.name.clone(), def.body.clone()),
                            !def.disable_model_invocation,
                        ));
                    }
                    dirs.push(dir);
                }
                Err(e) => notices.push(e.to_string()),
            }
        }
        (skills, dirs)
    }

    /// The connectors of a task: the allowed ones resolved, the rest as
    /// statuses the first poll reports.
    fn connectors(&self, catalog: &Catalog) -> Option<Arc<dyn Connectors>> {
        if catalog.servers.is_empty() {
            return None;
        }
        let mut resolved = Vec::new();
        let mut statuses = Vec::new();
        for server in &catalog.servers {
            match self.resolve(catalog, server) {
                Ok(ready) => resolved.push((server.name.clone(), ready)),
                Err(status) => statuses.push((server.name.clone(), status)),
            }
        }
        let options = self.connect_options();
        let inner = (!resolved.is_empty()).then(|| TaskConnectors::new(resolved, options));
        Some(Arc::new(HostConnectors {
            inner,
            initial: Mutex::new(statuses),
        }))
    }

    fn hooks(&self, catalog: &Catalog, ctx: &TaskContext) -> Option<Arc<dyn cowork_core::Hooks>> {
        let sources: Vec<HookSource> = catalog
            .plugins
            .iter()
            .flat_map(|entry| {
                entry.hooks.iter().map(|set| HookSource {
                    plugin: entry.plugin.name.clone(),
                    root: entry.plugin.root.clone(),
                    hooks: set.clone(),
                })
            })
            .collect();
        if sources.is_empty() {
            return None;
        }
        let folders = if self.setup.rules_hide_paths {
            Vec::new()
        } else {
            ctx.folders.clone()
        };
        let setup = HookSetup {
            folders,
            mode: ctx.mode,
            sandbox: self.setup.hook_sandbox.clone(),
            hidden: self.setup.hidden.clone(),
        };
        Some(Arc::new(PluginHooks::new(sources, setup)))
    }
}

fn to_skill(def: &SkillDef, qualified: String, body: String) -> Skill {
    Skill {
        qualified,
        description: def.description.clone(),
        argument_hint: def.argument_hint.clone(),
        user_invocable: def.user_invocable,
        dir: def.dir.clone(),
        body,
    }
}

impl ExtensionSource for PluginHost {
    fn for_task(&self, ctx: &TaskContext) -> TaskExtensions {
        let catalog = match Catalog::load(&self.setup.paths) {
            Ok(catalog) => catalog,
            Err(e) => {
                return TaskExtensions {
                    notices: vec![format!("plugins and connectors are off for this task: {e}")],
                    ..TaskExtensions::default()
                };
            }
        };
        let mut notices: Vec<String> = catalog
            .diagnostics
            .iter()
            .map(|d| format!("skipped: {d}"))
            .collect();
        let (skills, read_only) = self.skills(&catalog, ctx, &mut notices);
        TaskExtensions {
            // One answer covers a folder's instructions and its skills; a
            // damaged trust file trusts none (the skills' notice says why).
            trusted_folders: FolderTrust::load(&FolderTrust::file(&self.setup.paths.plugins_dir()))
                .unwrap_or_default()
                .trusted(&ctx.folders),
            // Skills only the person may invoke stay out of the model's list.
            skills: skills
                .into_iter()
                .filter_map(|(skill, model)| model.then_some(skill))
                .collect(),
            read_only,
            connectors: self.connectors(&catalog),
            hooks: self.hooks(&catalog, ctx),
            notices,
            // The factory expands later messages through `expand`.
            commands: None,
        }
    }

    fn expand(
        &self,
        prompt: &str,
        ctx: &TaskContext,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        let Some((name, args)) = parse_invocation(prompt) else {
            return Ok(None);
        };
        let Ok(catalog) = Catalog::load(&self.setup.paths) else {
            return Err(UnknownCommand {
                name: name.to_owned(),
                close: Vec::new(),
            });
        };
        let mut entries: Vec<(String, Invocable<'_>)> = Vec::new();
        let env = self.lookup();
        for entry in &catalog.plugins {
            for command in &entry.plugin.commands {
                entries.push((
                    format!("{}:{}", entry.plugin.name, command.name),
                    Invocable::Command {
                        template: &command.template,
                        plugin: entry,
                    },
                ));
            }
        }
        let mut ignored = Vec::new();
        let (skills, _) = self.skills(&catalog, ctx, &mut ignored);
        for (skill, _) in skills.into_iter().filter(|(s, _)| s.user_invocable) {
            entries.push((skill.qualified.clone(), Invocable::Skill(skill)));
        }
        let (name, chosen) = pick(name, &entries)?;
        let text = match chosen {
            Invocable::Command { template, plugin } => {
                let connected = catalog.connected_for(plugin);
                let lookup = plugin_lookup(&plugin.plugin.root, &env);
                let rendered = render_command(template, args);
                let rendered = expand(&rendered, &lookup).text;
                resolve_placeholders(&rendered, &plugin.plugin.connectors, &connected)
            }
            Invocable::Skill(skill) => skill_invocation(skill, args),
        };
        Ok(Some(ExpandedPrompt {
            name: name.clone(),
            text,
        }))
    }
}

/// What `/name` can run.
enum Invocable<'a> {
    Command {
        template: &'a str,
        plugin: &'a CatalogPlugin,
    },
    Skill(Skill),
}

/// `/name args`: the name and the rest. A prompt that starts with a path
/// (`/home/me/notes.md summarise`) is not an invocation.
fn parse_invocation(prompt: &str) -> Option<(&str, &str)> {
    let rest = prompt.trim_start().strip_prefix('/')?;
    let (name, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    valid.then_some((name, args))
}

/// The entry `/name` means: its full name, else a unique bare name.
fn pick<'e, 'a>(
    name: &str,
    entries: &'e [(String, Invocable<'a>)],
) -> Result<(&'e String, &'e Invocable<'a>), UnknownCommand> {
    if let Some((full, found)) = entries.iter().find(|(n, _)| n == name) {
        return Ok((full, found));
    }
    let bare: Vec<&(String, Invocable<'a>)> = entries
        .iter()
        .filter(|(n, _)| n.rsplit(':').next() == Some(name))
        .collect();
    match bare.as_slice() {
        [(full, only)] => Ok((full, only)),
        [] => Err(UnknownCommand {
            name: name.to_owned(),
            close: close_matches(name, entries.iter().map(|(n, _)| n.as_str())),
        }),
        many => Err(UnknownCommand {
            name: name.to_owned(),
            close: many.iter().map(|(n, _)| n.clone()).collect(),
        }),
    }
}

/// A skill run as `/name args`: what the Skill tool would return, as the
/// person's first message.
fn skill_invocation(skill: &Skill, args: &str) -> String {
    let body = if skill.body.contains("$ARGUMENTS") {
        skill.body.replace("$ARGUMENTS", args)
    } else if args.is_empty() {
        skill.body.clone()
    } else {
        format!("{}\n\nARGUMENTS: {args}", skill.body)
    };
    format!(
        "Base directory for this skill: {}\n\n{body}",
        skill.dir.display()
    )
}

/// A task's connectors, with the statuses settled before any server
/// started (blocked by policy, a variable missing) told at the first poll.
struct HostConnectors {
    inner: Option<TaskConnectors>,
    initial: Mutex<Vec<(String, ConnectorStatus)>>,
}

impl Connectors for HostConnectors {
    fn poll(&self) -> BoxFuture<'_, ConnectorsUpdate> {
        Box::pin(async move {
            let initial = self
                .initial
                .lock()
                .map(|mut s| std::mem::take(&mut *s))
                .unwrap_or_default();
            let mut update = match &self.inner {
                Some(inner) => inner.poll().await,
                None => ConnectorsUpdate::default(),
            };
            update.statuses.splice(0..0, initial);
            update
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(inner) = &self.inner {
                inner.shutdown().await;
            }
        })
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
