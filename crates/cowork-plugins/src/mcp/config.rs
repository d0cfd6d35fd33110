//! How an MCP server is reached, as `.mcp.json` and `cowork mcp add`
//! describe it. Values here are as written: `${VAR}` and
//! `${CLAUDE_PLUGIN_ROOT}` are expanded when a server is started, not when
//! it is read, so a stored configuration never holds a secret from the
//! environment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"mcpServers": {name: server}}`: the file format of `.mcp.json` and of
/// the person's own `mcp.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpFile {
    #[serde(rename = "mcpServers", default)]
    pub servers: BTreeMap<String, McpServer>,
}

/// One server, by transport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum McpServer {
    /// A remote server: `{"type": "http"|"sse", "url", "headers", "oauth"}`.
    Remote(RemoteServer),
    /// A local process: `{"command", "args", "env"}` (`"type": "stdio"`
    /// optional).
    Stdio(StdioServer),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdioServer {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<StdioKind>,
    pub command: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Added to a clean environment (never the person's whole one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdioKind {
    Stdio,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteServer {
    #[serde(rename = "type")]
    pub kind: RemoteKind,
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthConfig>,
}

/// The transport of a remote server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteKind {
    /// Streamable HTTP.
    Http,
    /// The older HTTP+SSE transport.
    Sse,
}

/// A preregistered OAuth client for a remote server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The loopback port the redirect URI uses (`http://127.0.0.1:PORT/callback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_port: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_server_kinds_read_from_one_file() {
        let file: McpFile = serde_json::from_str(
            r#"{"mcpServers": {
                "local": {"command": "node", "args": ["${CLAUDE_PLUGIN_ROOT}/s.js"], "env": {"K": "${K:-x}"}},
                "slack": {"type": "http", "url": "https://mcp.slack.com/mcp", "oauth": {"clientId": "abc", "callbackPort": 3118}},
                "asana": {"type": "sse", "url": "https://mcp.asana.com/sse"}
            }}"#,
        )
        .unwrap();
        assert!(matches!(file.servers["local"], McpServer::Stdio(_)));
        let McpServer::Remote(slack) = &file.servers["slack"] else {
            panic!("slack is remote")
        };
        assert_eq!(slack.kind, RemoteKind::Http);
        assert_eq!(slack.oauth.as_ref().unwrap().callback_port, Some(3118));
        let McpServer::Remote(asana) = &file.servers["asana"] else {
            panic!("asana is remote")
        };
        assert_eq!(asana.kind, RemoteKind::Sse);
    }
}
