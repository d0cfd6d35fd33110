//! What an installed (or about to be installed) plugin brings, as the
//! person must see it before saying yes: skills, commands, agents, the
//! connectors it will start and the hooks it will run.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::Diagnostic;
use crate::mcp::config::{McpFile, McpServer};

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

/// Describes the plugin in `dir` (named `fallback_name` when its
/// `plugin.json` does not say).
///
/// This reads the default layout only (`skills/*/SKILL.md`,
/// `commands/*.md`, `agents/*.md`, `.mcp.json`, `hooks/hooks.json`): it
/// stands in for `format::load_plugin` until that loader lands, and will
/// be switched to it.
pub fn describe(dir: &Path, fallback_name: &str) -> PluginSummary {
    let mut summary = PluginSummary {
        name: fallback_name.to_owned(),
        ..PluginSummary::default()
    };
    let manifest = dir.join(".claude-plugin/plugin.json");
    if let Some(value) = read_json(&manifest, &mut summary.diagnostics) {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(name) = text("name") {
            summary.name = name;
        }
        summary.version = text("version");
        summary.description = text("description");
    }
    summary.skills = names(&dir.join("skills"), |entry| {
        entry
            .path()
            .join("SKILL.md")
            .is_file()
            .then(|| entry.file_name())
    });
    let markdown = |entry: &std::fs::DirEntry| {
        let path = entry.path();
        (path.extension().is_some_and(|e| e == "md") && path.is_file())
            .then(|| path.file_stem().map(ToOwned::to_owned))
            .flatten()
    };
    summary.commands = names(&dir.join("commands"), markdown);
    summary.agents = names(&dir.join("agents"), markdown);
    let mcp = dir.join(".mcp.json");
    if let Some(value) = read_json(&mcp, &mut summary.diagnostics) {
        match serde_json::from_value::<McpFile>(value) {
            Ok(file) => summary.connectors = file.servers.into_iter().map(connector).collect(),
            Err(e) => summary
                .diagnostics
                .push(Diagnostic::error(&mcp, None, e.to_string())),
        }
    }
    let hooks = dir.join("hooks/hooks.json");
    if let Some(value) = read_json(&hooks, &mut summary.diagnostics) {
        summary.hooks = hook_list(&value);
    }
    summary
}

fn read_json(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                path,
                u32::try_from(e.line()).ok(),
                e.to_string(),
            ));
            None
        }
    }
}

fn names(
    dir: &Path,
    pick: impl Fn(&std::fs::DirEntry) -> Option<std::ffi::OsString>,
) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| pick(&entry))
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
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
