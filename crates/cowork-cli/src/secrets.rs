//! What is secret where this CLI keeps things: its model keys and any
//! variable named like a credential, passwords in URLs, the notification
//! command's arguments, every connector's headers and variables, OAuth
//! tokens. `cowork export` and the daemon's web UI export (handed in by
//! `cowork serve`) redact the same list, gathered afresh each time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cowork_plugins::host::Catalog;
use cowork_plugins::mcp::config::McpServer;
use cowork_protocol::config::Config;

use crate::home;

/// The variables cowork reads its model keys from.
const KEY_VARS: &[&str] = &["ANTHROPIC_API_KEY", "OPENAI_API_KEY"];

/// Headers that say how to talk, never who is talking.
const PLAIN_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "user-agent",
    "mcp-protocol-version",
];

/// Everything this CLI knows to be secret: its model keys and any
/// variable named like a credential, the password in a base URL, every
/// connector's header and variable values (after `${VAR}` expansion, and
/// every variable a connector's configuration names), and the OAuth
/// tokens and client secrets in the data dir.
pub fn gather(config: &Config) -> Vec<String> {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (name, value) in &env {
        if KEY_VARS.contains(&name.as_str()) || credential_name(name) {
            out.push(value.clone());
        }
    }
    let urls = [
        config.model.base_url.clone(),
        env.get("ANTHROPIC_BASE_URL").cloned(),
        env.get("OPENAI_BASE_URL").cloned(),
    ];
    out.extend(urls.iter().flatten().filter_map(|url| url_password(url)));
    // The notification command's arguments (a webhook URL with its token,
    // a chat key): the program itself is a path, not a secret.
    for arg in config.notifications.command.iter().skip(1) {
        out.push(arg.clone());
        out.extend(url_password(arg));
    }
    connector_secrets(&env, &mut out);
    if let Ok(dir) = home::data_dir() {
        for sub in ["mcp/tokens", "mcp/clients"] {
            token_secrets(&dir.join(sub), &mut out);
        }
    }
    out
}

/// `GITHUB_TOKEN`, `SLACK_BOT_TOKEN`, `DB_PASSWORD`, `AWS_SECRET_ACCESS_KEY`…
fn credential_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "CREDENTIALS",
        "PAT",
    ]
    .iter()
    .any(|word| upper == *word || upper.ends_with(&format!("_{word}")))
        || upper.contains("SECRET")
        || upper.contains("API_KEY")
}

/// The password of `scheme://user:password@host/…`, if any.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':').map_or(userinfo, |(_, p)| p);
    (!password.is_empty()).then(|| password.to_owned())
}

/// The person's connectors and those of enabled plugins, read as a task
/// would start them.
fn connector_secrets(env: &BTreeMap<String, String>, out: &mut Vec<String>) {
    let Ok(paths) = crate::plugin_paths::plugin_paths() else {
        return;
    };
    let mut servers: Vec<(McpServer, Option<PathBuf>)> = Vec::new();
    // The person's file is read on its own too: a catalog that fails to
    // load (a broken plugin state) must not hide its secrets.
    if let Ok(file) = cowork_plugins::mcp::user_file::read(&paths.user_mcp_file()) {
        servers.extend(file.servers.into_values().map(|s| (s, None)));
    }
    if let Ok(catalog) = Catalog::load(&paths) {
        servers.extend(catalog.servers.into_iter().map(|s| (s.config, s.root)));
    }
    for (server, root) in &servers {
        server_secrets(server, root.as_deref(), env, out);
    }
}

fn server_secrets(
    server: &McpServer,
    root: Option<&Path>,
    env: &BTreeMap<String, String>,
    out: &mut Vec<String>,
) {
    // Every variable the configuration names came from the environment
    // into a connector: secret, whatever its name.
    let used = RefCell::new(Vec::new());
    let lookup = |name: &str| {
        if name == "CLAUDE_PLUGIN_ROOT" {
            return root.map(|r| r.to_string_lossy().into_owned());
        }
        let value = env.get(name).cloned();
        if let Some(value) = &value {
            used.borrow_mut().push(value.clone());
        }
        value
    };
    let expand = |text: &str| cowork_plugins::format::expand(text, &lookup).text;
    match server {
        McpServer::Stdio(stdio) => {
            expand(&stdio.command);
            for arg in &stdio.args {
                expand(arg);
            }
            for value in stdio.env.values() {
                out.push(expand(value));
            }
        }
        McpServer::Remote(remote) => {
            let url = expand(&remote.url);
            out.extend(url_password(&url));
            for (name, value) in &remote.headers {
                if PLAIN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    continue;
                }
                let value = expand(value);
                // `Bearer X`, `Basic X`: the credential alone may appear.
                if let Some((_, credential)) = value.split_once(' ') {
                    out.push(credential.trim().to_owned());
                }
                out.push(value);
            }
        }
    }
    out.extend(used.into_inner());
}

/// Every token, secret and password in the JSON files of `dir` (OAuth
/// logins and client registrations).
fn token_secrets(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            secret_fields(&value, out);
        }
    }
}

fn secret_fields(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let key = key.to_ascii_lowercase();
                let secret =
                    key.ends_with("token") || key.contains("secret") || key.contains("password");
                match item {
                    serde_json::Value::String(text) if secret => out.push(text.clone()),
                    other => secret_fields(other, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| secret_fields(item, out)),
        serde_json::Value::Null
        | serde_json::Value::Bool(_)
        | serde_json::Value::Number(_)
        | serde_json::Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_are_recognised_and_ordinary_ones_are_not() {
        for name in [
            "GITHUB_TOKEN",
            "SLACK_BOT_TOKEN",
            "DB_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "MY_API_KEY",
            "NOTION_PAT",
        ] {
            assert!(credential_name(name), "{name}");
        }
        for name in ["PATH", "HOME", "KEYBOARD", "TOKENIZERS_PARALLELISM", "LANG"] {
            assert!(!credential_name(name), "{name}");
        }
    }

    #[test]
    fn the_notification_commands_arguments_are_secrets_but_its_program_is_not() {
        let mut config = Config::default();
        config.notifications.command = vec![
            "/usr/local/bin/ping-phone".into(),
            "https://hooks.example.com/T000/B000/XXXXsecretXXXX".into(),
        ];
        let found = gather(&config);
        assert!(found.contains(&"https://hooks.example.com/T000/B000/XXXXsecretXXXX".to_owned()));
        assert!(!found.contains(&"/usr/local/bin/ping-phone".to_owned()));
    }

    #[test]
    fn a_url_password_is_found_and_a_plain_url_has_none() {
        assert_eq!(
            url_password("https://me:s3cret-pass@host/v1").as_deref(),
            Some("s3cret-pass")
        );
        assert_eq!(url_password("https://host/v1?x=a@b"), None);
        assert_eq!(url_password("http://localhost:11434/v1"), None);
    }

    #[test]
    fn a_connector_yields_its_headers_variables_and_the_credential_after_the_scheme() {
        let env: BTreeMap<String, String> = [
            ("CRM_TOKEN_FROM_ENV", "env-value-0123456789"),
            ("ARG_VALUE", "arg-value-0123456789"),
            ("UNUSED", "unused-value-0123456789"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let file: cowork_plugins::mcp::config::McpFile = serde_json::from_value(serde_json::json!({
            "mcpServers": {
                "remote": {"type": "http", "url": "https://u:url-pass-0123@h/mcp", "headers": {
                    "Authorization": "Bearer ${CRM_TOKEN_FROM_ENV}",
                    "X-Literal": "literal-header-0123456789",
                    "Content-Type": "application/json"
                }},
                "local": {"command": "srv", "args": ["--key=${ARG_VALUE}"], "env": {"DB_URL": "postgres://x"}}
            }
        }))
        .unwrap();
        let mut out = Vec::new();
        for server in file.servers.values() {
            server_secrets(server, None, &env, &mut out);
        }
        for wanted in [
            "env-value-0123456789",
            "Bearer env-value-0123456789",
            "literal-header-0123456789",
            "url-pass-0123",
            "arg-value-0123456789",
            "postgres://x",
        ] {
            assert!(out.iter().any(|s| s == wanted), "{wanted} in {out:?}");
        }
        assert!(!out.iter().any(|s| s == "application/json"), "{out:?}");
        assert!(!out.iter().any(|s| s.contains("unused")), "{out:?}");
    }

    #[test]
    fn oauth_files_yield_their_tokens_and_secrets_but_not_endpoints() {
        let value = serde_json::json!({
            "access_token": "at-0123456789",
            "refresh_token": "rt-0123456789",
            "token_endpoint": "https://auth.example/token",
            "client_id": "abc",
            "client_secret": "cs-0123456789",
            "nested": {"id_token": "it-0123456789"}
        });
        let mut out = Vec::new();
        secret_fields(&value, &mut out);
        out.sort();
        assert_eq!(
            out,
            [
                "at-0123456789",
                "cs-0123456789",
                "it-0123456789",
                "rt-0123456789"
            ]
        );
    }
}
