//! A plugin's MCP servers (`.mcp.json`, or `mcpServers` in plugin.json),
//! read server by server so one bad server is skipped, not the file.

use std::path::Path;

use serde_json::{Map, Value};

use super::jsonpos::{JsonLines, child};
use super::manifest::kind;
use crate::Diagnostic;
use crate::mcp::config::{McpFile, McpServer};

const STDIO_KEYS: &[&str] = &["type", "command", "args", "env"];
const REMOTE_KEYS: &[&str] = &["type", "url", "headers", "oauth"];
const OAUTH_KEYS: &[&str] = &["clientId", "callbackPort"];

/// Adds the servers of `value` to `into`. `value` is a file's whole JSON
/// (`{"mcpServers": {…}}`, or the bare `{name: server}` map Claude Code
/// also accepts) or, with `inline`, plugin.json's `mcpServers` object.
pub(crate) fn read(
    value: &Value,
    inline: bool,
    file: &Path,
    lines: &JsonLines,
    pointer: &str,
    into: &mut McpFile,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(object) = value.as_object() else {
        diagnostics.push(Diagnostic::error(
            file,
            lines.line(pointer),
            format!(
                "MCP servers must be a JSON object (`{{\"mcpServers\": {{…}}}}`), not {}",
                kind(value)
            ),
        ));
        return;
    };
    let (servers, pointer) = match object.get("mcpServers") {
        Some(Value::Object(servers)) if !inline => (servers, child(pointer, "mcpServers")),
        Some(other) if !inline => {
            diagnostics.push(Diagnostic::error(
                file,
                lines.line(&child(pointer, "mcpServers")),
                format!(
                    "`mcpServers` must be an object of servers, not {}",
                    kind(other)
                ),
            ));
            return;
        }
        _ => (object, pointer.to_owned()),
    };
    for (name, server) in servers {
        let at = child(&pointer, name);
        let line = lines.line(&at);
        if into.servers.contains_key(name) {
            diagnostics.push(Diagnostic::warning(
                file,
                line,
                format!("the server `{name}` is declared twice; the first one is used"),
            ));
            continue;
        }
        match server_from(name, server, |message| {
            diagnostics.push(Diagnostic::warning(file, line, message));
        }) {
            Ok(server) => {
                into.servers.insert(name.clone(), server);
            }
            Err(message) => diagnostics.push(Diagnostic::error(file, line, message)),
        }
    }
}

/// One server: unknown keys are dropped with a warning; a server that is
/// neither `command` nor `url` is an error.
fn server_from(
    name: &str,
    value: &Value,
    mut warn: impl FnMut(String),
) -> Result<McpServer, String> {
    let Some(object) = value.as_object() else {
        return Err(format!(
            "the server `{name}` must be an object with `command` or `url`, not {}; it was skipped",
            kind(value)
        ));
    };
    let mut object = object.clone();
    let kind_name = object
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let remote = match kind_name.as_deref() {
        Some("http" | "sse") => true,
        Some("stdio") => false,
        None if object.contains_key("command") => false,
        // Anthropic's own plugins give remote servers only a `url`;
        // Streamable HTTP is what such a URL speaks.
        None if object.contains_key("url") => {
            object.insert("type".to_owned(), Value::String("http".to_owned()));
            true
        }
        None => {
            return Err(format!(
                "the server `{name}` has neither `command` (a local server) nor `url` (a remote \
                 one); it was skipped"
            ));
        }
        Some(other) => {
            return Err(format!(
                "the server `{name}` has the unknown transport `\"type\": \"{other}\"`; use \
                 `stdio`, `http` or `sse`; it was skipped"
            ));
        }
    };
    let known = if remote { REMOTE_KEYS } else { STDIO_KEYS };
    drop_unknown(&mut object, known, &format!("server `{name}`"), &mut warn);
    if let Some(Value::Object(oauth)) = object.get_mut("oauth") {
        drop_unknown(
            oauth,
            OAUTH_KEYS,
            &format!("`oauth` of server `{name}`"),
            &mut warn,
        );
    }
    serde_json::from_value(Value::Object(object))
        .map_err(|error| format!("the server `{name}` is not valid: {error}; it was skipped"))
}

fn drop_unknown(
    object: &mut Map<String, Value>,
    known: &[&str],
    what: &str,
    warn: &mut impl FnMut(String),
) {
    let unknown: Vec<String> = object
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .cloned()
        .collect();
    for key in unknown {
        warn(format!(
            "unknown key `{key}` in {what}; it was ignored (known: {})",
            known.join(", ")
        ));
        object.remove(&key);
    }
}
