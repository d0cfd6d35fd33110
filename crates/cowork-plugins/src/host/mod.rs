//! What a front gives core's factory: for each task, the skills of the
//! enabled plugins, the person's own skills and (when allowed) a folder's,
//! the connectors of the person's `mcp.json` and of the enabled plugins
//! (only those the task was given by name, when it was), and the plugins'
//! hooks; and `/name args` expanded into the command's or skill's text.
//!
//! The catalog is read afresh for each task, once (loading every fixture
//! plugin takes a few milliseconds): the task's skills, connectors, hooks
//! and `/commands` all come from that one reading, so a plugin installed
//! or disabled while the daemon runs counts from the next task on. Nothing
//! here fails a task: a damaged state file, a bad component, a connector
//! the policy blocks or one the task names that is gone becomes a notice
//! or a connector status.

mod catalog;
mod commands;
mod connectors;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use cowork_core::{
    ExpandedPrompt, ExtensionSource, Skill, TaskContext, TaskExtensions, UnknownCommand,
};
use cowork_protocol::ConnectorStatus;

use crate::format::{
    SkillDef, expand, expand_server, load_skills, plugin_lookup, resolve_placeholders,
};
use crate::hooks::{HookSandbox, HookSetup, HookSource, PluginHooks};
use crate::mcp::auth::AuthProvider;
use crate::mcp::config::McpServer;
use crate::mcp::{ConnectOptions, ConnectionPool, InheritedEnv, ResolvedServer};
use crate::paths::PluginPaths;
use crate::trust::{FolderTrust, TrustError};

pub use catalog::{Catalog, CatalogError, CatalogPlugin, CatalogServer};
use catalog::{is_error, url_of};
use commands::TaskCommands;

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
        trust: &Result<FolderTrust, TrustError>,
        notices: &mut Vec<String>,
    ) -> (Vec<(Skill, bool)>, Vec<PathBuf>) {
        let given = ctx.connectors.as_deref();
        let env = self.lookup();
        let mut skills = Vec::new();
        let mut dirs = Vec::new();
        for entry in &catalog.plugins {
            if entry.plugin.skills.is_empty() {
                continue;
            }
            let connected = catalog.connected_for(entry, given);
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
        let trust = match trust {
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

impl PluginHost {
    /// The `/commands` of a task over `ctx`, from the catalog it was built
    /// with (`None`: the catalog could not be read, so none is known).
    fn commands(
        &self,
        catalog: Option<Arc<Catalog>>,
        skills: &[(Skill, bool)],
        ctx: &TaskContext,
    ) -> TaskCommands {
        TaskCommands {
            catalog,
            skills: skills
                .iter()
                .filter(|(s, _)| s.user_invocable)
                .map(|(s, _)| s.clone())
                .collect(),
            env: self.setup.env.clone(),
            given: ctx.connectors.clone(),
        }
    }
}

impl ExtensionSource for PluginHost {
    fn for_task(&self, ctx: &TaskContext) -> TaskExtensions {
        let catalog = match Catalog::load(&self.setup.paths) {
            Ok(catalog) => Arc::new(catalog),
            Err(e) => {
                return TaskExtensions {
                    notices: vec![format!("plugins and connectors are off for this task: {e}")],
                    commands: Some(Arc::new(self.commands(None, &[], ctx))),
                    ..TaskExtensions::default()
                };
            }
        };
        let mut notices: Vec<String> = catalog
            .diagnostics
            .iter()
            .map(|d| format!("skipped: {d}"))
            .collect();
        let trust = FolderTrust::load(&FolderTrust::file(&self.setup.paths.plugins_dir()));
        let (skills, read_only) = self.skills(&catalog, ctx, &trust, &mut notices);
        let connectors = self.connectors(&catalog, ctx, &mut notices);
        TaskExtensions {
            // One answer covers a folder's instructions and its skills; a
            // damaged trust file trusts none (the skills' notice says why).
            trusted_folders: trust
                .as_ref()
                .map(|t| t.trusted(&ctx.folders))
                .unwrap_or_default(),
            commands: Some(Arc::new(self.commands(
                Some(Arc::clone(&catalog)),
                &skills,
                ctx,
            ))),
            // Skills only the person may invoke stay out of the model's list.
            skills: skills
                .into_iter()
                .filter_map(|(skill, model)| model.then_some(skill))
                .collect(),
            read_only,
            connectors,
            hooks: self.hooks(&catalog, ctx),
            notices,
        }
    }

    /// For a front checking a message before a task gets it: the catalog
    /// as it is now. The task itself expands with the catalog it started
    /// with ([`TaskExtensions::commands`]).
    fn expand(
        &self,
        prompt: &str,
        ctx: &TaskContext,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        if commands::parse_invocation(prompt).is_none() {
            return Ok(None);
        }
        let Ok(catalog) = Catalog::load(&self.setup.paths) else {
            return self.commands(None, &[], ctx).expand(prompt);
        };
        let trust = FolderTrust::load(&FolderTrust::file(&self.setup.paths.plugins_dir()));
        let mut ignored = Vec::new();
        let (skills, _) = self.skills(&catalog, ctx, &trust, &mut ignored);
        self.commands(Some(Arc::new(catalog)), &skills, ctx)
            .expand(prompt)
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
