//! What an installed (or about to be installed) plugin brings, as the
//! person must see it before saying yes: skills, commands, agents, the
//! connectors it will start and the hooks it will run.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::Diagnostic;
use crate::format::{HooksDecl, LoadError, load_plugin};
use crate::mcp::config::McpServer;

/// One connector: its name and what it starts or reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorInfo {
    pub name: String,
    /// The command line of a local server, or the URL of a remote one,
    /// as written (`${VAR}` unexpanded).
    pub target: String,
    /// `Some(url)` for a remote server.
    pub url: Option<String>,
}

/// One hook: the event it runs on and the command (or prompt) it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookInfo {
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// A command hook's command line, or `prompt: …` for a prompt hook.
    pub command: String,
}

/// What a plugin folder provides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PluginSummary {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub skills: Vec<String>,
    pub commands: Vec<String>,
    pub agents: Vec<String>,
    pub connectors: Vec<ConnectorInfo>,
    pub hooks: Vec<HookInfo>,
    /// Problems found while reading it.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

/// Describes the plugin in `dir` as the loader reads it
/// ([`load_plugin`]), so what the person is shown is what tasks get. A
/// component the loader skips is in the diagnostics, not in the lists.
pub fn describe(dir: &Path) -> Result<PluginSummary, LoadError> {
    let (plugin, mut diagnostics) = load_plugin(dir)?;
    let mut hooks = Vec::new();
    for decl in &plugin.hooks {
        match decl {
            HooksDecl::Inline { hooks: value, .. } => hooks.extend(hook_list(value)),
            HooksDecl::File { path } => {
                match std::fs::read_to_string(path)
                    .map_err(|e| e.to_string())
                    .and_then(|text| {
                        serde_json::from_str::<Value>(&text).map_err(|e| e.to_string())
                    }) {
                    Ok(value) => hooks.extend(hook_list(&value)),
                    Err(message) => diagnostics.push(Diagnostic::error(path, None, message)),
                }
            }
        }
    }
    Ok(PluginSummary {
        name: plugin.name,
        version: plugin.version,
        description: plugin.description,
        skills: plugin.skills.into_iter().map(|s| s.name).collect(),
        commands: plugin.commands.into_iter().map(|c| c.name).collect(),
        agents: plugin.agents.into_iter().map(|a| a.name).collect(),
        connectors: plugin.mcp.servers.into_iter().map(connector).collect(),
        hooks,
        diagnostics,
    })
}

fn connector((name, server): (String, McpServer)) -> ConnectorInfo {
    match server {
        McpServer::Remote(remote) => ConnectorInfo {
            name,
            target: remote.url.clone(),
            url: Some(remote.url),
        },
        McpServer::Stdio(stdio) => {
            let mut line = vec![stdio.command];
            line.extend(stdio.args);
            ConnectorInfo {
                name,
                target: line.join(" "),
                url: None,
            }
        }
    }
}

/// Hooks in either form: the bare events map, or `{description, hooks}`.
pub(crate) fn hook_list(value: &Value) -> Vec<HookInfo> {
    let events = value
        .get("hooks")
        .filter(|h| h.is_object())
        .unwrap_or(value);
    let Some(events) = events.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (event, groups) in events {
        for group in groups.as_array().into_iter().flatten() {
            let matcher = group
                .get("matcher")
                .and_then(Value::as_str)
                .map(str::to_owned);
            for hook in group
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let text = |key| hook.get(key).and_then(Value::as_str).unwrap_or_default();
                let command = match text("type") {
                    "prompt" => format!("prompt: {}", text("prompt")),
                    _ => text("command").to_owned(),
                };
                out.push(HookInfo {
                    event: event.clone(),
                    matcher: matcher.clone(),
                    command,
                });
            }
        }
    }
    out
}
