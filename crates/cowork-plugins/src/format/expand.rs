//! `${VAR}` expansion in plugin configuration, as Claude Code does it in
//! `.mcp.json`, hooks and commands.
//!
//! - `${NAME}` becomes the variable's value; an unset one becomes empty
//!   and is reported in [`Expanded::missing`], so the caller can refuse
//!   with "API_KEY is not set" ([`MissingVars`]).
//! - `${NAME:-default}` becomes the value when it is set and not empty,
//!   else `default`, which may itself hold `${…}` (expanded in turn).
//! - `${CLAUDE_PLUGIN_ROOT}` is the plugin's folder: see
//!   [`plugin_lookup`].
//! - Nothing else is special. `$NAME` without braces stays as written
//!   (Claude Code expands only the braced forms, and commands use `$1`,
//!   `$ARGUMENTS` for their own purpose), `$$` stays `$$`, and a `${`
//!   that does not close or holds no valid name stays as written.
//!
//! Values are inserted as they are: a value holding `${X}` is not expanded
//! again. The library never reads the process environment itself: the
//! caller passes a lookup (the task's environment, a test's map).

use std::path::Path;

use crate::mcp::config::{McpServer, RemoteServer, StdioServer};

/// A text after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub text: String,
    /// Variables that were used without a default and are not set, in
    /// order of first use, each once.
    pub missing: Vec<String>,
}

/// Variables a configuration needs and the environment lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", missing_message(.names))]
pub struct MissingVars {
    pub names: Vec<String>,
}

fn missing_message(names: &[String]) -> String {
    match names {
        [one] => format!("{one} is not set; set it in the environment cowork runs in"),
        many => format!(
            "{} are not set; set them in the environment cowork runs in",
            many.join(", ")
        ),
    }
}

/// The lookup for a plugin's configuration: `CLAUDE_PLUGIN_ROOT` is
/// `root`, everything else comes from `env`.
pub fn plugin_lookup<'a>(
    root: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        if name == "CLAUDE_PLUGIN_ROOT" {
            Some(root.to_string_lossy().into_owned())
        } else {
            env(name)
        }
    }
}

/// Expands `${…}` in `text` with `lookup`.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Expanded {
    let mut missing = Vec::new();
    let text = expand_into(text, lookup, &mut missing);
    Expanded { text, missing }
}

fn expand_into(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let inner_start = at + 2;
        let Some(close) = closing_brace(&rest[inner_start..]) else {
            // An unclosed `${` is text.
            out.push_str(&rest[at..]);
            return out;
        };
        let inner = &rest[inner_start..inner_start + close];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        if is_name(name) {
            match (
                lookup(name).filter(|v| default.is_none() || !v.is_empty()),
                default,
            ) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(&expand_into(default, lookup, missing)),
                (None, None) => {
                    if !missing.iter().any(|m| m == name) {
                        missing.push(name.to_owned());
                    }
                }
            }
        } else {
            out.push_str(&rest[at..inner_start + close + 1]);
        }
        rest = &rest[inner_start + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The index of the `}` closing a `${`, counting nested `${…}`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// A shell variable name: a letter or `_`, then letters, digits, `_`.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A server's configuration with every `${…}` expanded (command, args,
/// env values, URL, header values), or the variables it lacks.
pub fn expand_server(
    server: &McpServer,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<McpServer, MissingVars> {
    let mut missing = Vec::new();
    let mut one = |text: &str| expand_into(text, lookup, &mut missing);
    let expanded = match server {
        McpServer::Stdio(stdio) => McpServer::Stdio(StdioServer {
            kind: stdio.kind,
            command: one(&stdio.command),
            args: stdio.args.iter().map(|a| one(a)).collect(),
            env: stdio.env.iter().map(|(k, v)| (k.clone(), one(v))).collect(),
        }),
        McpServer::Remote(remote) => McpServer::Remote(RemoteServer {
            kind: remote.kind,
            url: one(&remote.url),
            headers: remote
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), one(v)))
                .collect(),
            oauth: remote.oauth.clone(),
        }),
    };
    if missing.is_empty() {
        Ok(expanded)
    } else {
        Err(MissingVars { names: missing })
    }
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;
