//! A connector as a front shows it, with what may be a secret masked:
//! every `env` value, every header value, and the values of a URL's
//! query (`?api_key=…`).

use serde_json::{Value, json};

use super::config::{McpServer, RemoteKind};

/// What a masked value reads as.
pub const MASK: &str = "***";

/// One connector a front lists: the person's own or a plugin's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedServer {
    pub name: String,
    /// `user` for the person's own `mcp.json`, else the plugin's name.
    pub source: String,
    pub server: McpServer,
}

impl ListedServer {
    /// "stdio", "http" or "sse".
    pub fn transport(&self) -> &'static str {
        match &self.server {
            McpServer::Stdio(_) => "stdio",
            McpServer::Remote(remote) => match remote.kind {
                RemoteKind::Http => "http",
                RemoteKind::Sse => "sse",
            },
        }
    }

    /// The command line or URL, masked: `npx -y pkg` or
    /// `https://x/mcp?key=***`, followed by `K=***` / `H: ***` for each
    /// variable or header.
    pub fn target(&self) -> String {
        match &self.server {
            McpServer::Stdio(stdio) => {
                let mut parts = vec![stdio.command.clone()];
                parts.extend(stdio.args.iter().cloned());
                parts.extend(stdio.env.keys().map(|k| format!("{k}={MASK}")));
                parts.join(" ")
            }
            McpServer::Remote(remote) if remote.url.trim().is_empty() => {
                "(no URL: a connector of Anthropic's directory, not available here)".to_owned()
            }
            McpServer::Remote(remote) => {
                let mut parts = vec![mask_query(&remote.url)];
                parts.extend(remote.headers.keys().map(|k| format!("[{k}: {MASK}]")));
                parts.join(" ")
            }
        }
    }

    /// The entry as JSON for `--json`, masked.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "name": self.name,
            "source": self.source,
            "transport": self.transport(),
        });
        match &self.server {
            McpServer::Stdio(stdio) => {
                out["command"] = json!(stdio.command);
                out["args"] = json!(stdio.args);
                out["env"] = stdio.env.keys().map(|k| (k.clone(), json!(MASK))).collect();
            }
            McpServer::Remote(remote) => {
                out["url"] = json!(mask_query(&remote.url));
                out["headers"] = remote
                    .headers
                    .keys()
                    .map(|k| (k.clone(), json!(MASK)))
                    .collect();
            }
        }
        out
    }
}

/// `url` with each query value replaced by [`MASK`].
pub fn mask_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) => format!("{k}={MASK}"),
            None => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{base}?{}", masked.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::mcp::config::{RemoteServer, StdioServer};

    #[test]
    fn env_values_headers_and_query_values_are_masked() {
        let local = ListedServer {
            name: "notion".into(),
            source: "user".into(),
            server: McpServer::Stdio(StdioServer {
                kind: None,
                command: "npx".into(),
                args: vec!["-y".into(), "notion-mcp".into()],
                env: BTreeMap::from([("NOTION_TOKEN".into(), "secret_abc".into())]),
            }),
        };
        assert_eq!(local.target(), "npx -y notion-mcp NOTION_TOKEN=***");
        assert!(!local.to_json().to_string().contains("secret_abc"));
        let remote = ListedServer {
            name: "x".into(),
            source: "productivity".into(),
            server: McpServer::Remote(RemoteServer {
                kind: RemoteKind::Sse,
                url: "https://h/sse?api_key=k123&v=2#top".into(),
                headers: BTreeMap::from([("Authorization".into(), "Bearer t0k".into())]),
                oauth: None,
            }),
        };
        assert_eq!(
            remote.target(),
            "https://h/sse?api_key=***&v=***#top [Authorization: ***]"
        );
        let json = remote.to_json().to_string();
        assert!(!json.contains("t0k") && !json.contains("k123"), "{json}");
    }
}
