//! The client `@modelcontextprotocol/conformance client` drives: it runs
//! this program with the scenario's server URL as its last argument (and
//! the scenario's name in `MCP_CONFORMANCE_SCENARIO`). Like a task, it
//! connects over Streamable HTTP, lists the tools, and calls each with
//! arguments made from its input schema.
//!
//! It authenticates the way cowork does: an [`OAuthProvider`] over a
//! [`TokenStore`] in a temporary folder. When the connector needs a login
//! (at the start, or after a 403 `insufficient_scope`), it runs
//! [`Login`] headlessly, standing in for the person's browser: it follows
//! the authorization server's redirects until one reaches the loopback
//! callback. All OAuth behaviour is the library's; this is only the
//! browser.
//!
//! `cargo test` builds it; `tests/suite/mcp_conformance_tests.rs` runs
//! the suite against it.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value, json};

use cowork_core::{CallContext, Connectors};
use cowork_plugins::mcp::config::{McpServer, OAuthConfig, RemoteKind, RemoteServer};
use cowork_plugins::mcp::{ConnectOptions, ResolvedServer, TaskConnectors};
use cowork_plugins::oauth::{Login, LoginOptions, OAuthProvider, TokenStore};
use cowork_protocol::ConnectorStatus;

/// The Client ID Metadata Document URL the suite's authorization servers
/// expect (cowork's own is published at another address the suite does
/// not know; `LoginOptions` lets every front name its own).
const SUITE_CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";

/// Logins one run may need: the first, and one per scope step-up.
const MAX_LOGINS: usize = 3;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        let _ = writeln!(std::io::stderr(), "usage: mcp_conformance_client URL");
        return ExitCode::from(2);
    };
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    // Pre-registration scenarios hand the client its identity.
    let context: Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let oauth = context["client_id"].as_str().map(|id| OAuthConfig {
        client_id: Some(id.to_owned()),
        callback_port: None,
    });
    let remote = RemoteServer {
        kind: RemoteKind::Http,
        url,
        headers: Default::default(),
        oauth,
    };
    let Ok(data) = tempfile::tempdir() else {
        return ExitCode::from(2);
    };
    let store = TokenStore::new(data.path().join("mcp"));
    let options = ConnectOptions {
        auth: Arc::new(OAuthProvider::new(store.clone())),
        restart_attempts: 0,
        ..ConnectOptions::default()
    };
    let mut out = std::io::stdout().lock();
    let mut logins = 0;
    loop {
        let outcome = run(&remote, &options, &mut out, &scenario).await;
        match outcome {
            Outcome::Done => return ExitCode::SUCCESS,
            Outcome::Failed => return ExitCode::from(1),
            Outcome::NeedsLogin if logins == MAX_LOGINS => {
                let _ = writeln!(out, "still needs a login after {logins} logins");
                return ExitCode::from(1);
            }
            Outcome::NeedsLogin => {
                logins += 1;
                if let Err(e) = log_in(&store, &remote).await {
                    let _ = writeln!(out, "login failed: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    }
}

enum Outcome {
    Done,
    NeedsLogin,
    Failed,
}

/// One task's worth: connect, then call every tool.
async fn run(
    remote: &RemoteServer,
    options: &ConnectOptions,
    out: &mut impl Write,
    scenario: &str,
) -> Outcome {
    let server = ResolvedServer::new(McpServer::Remote(remote.clone()));
    let connectors = TaskConnectors::new(vec![("server".into(), server)], options.clone());
    let update = connectors.poll().await;
    let _ = writeln!(out, "scenario {scenario}: {:?}", update.statuses);
    match update.statuses.as_slice() {
        [(_, ConnectorStatus::Connected { .. })] => {}
        [(_, ConnectorStatus::NeedsLogin)] => {
            connectors.shutdown().await;
            return Outcome::NeedsLogin;
        }
        _ => {
            connectors.shutdown().await;
            return Outcome::Failed;
        }
    }
    let mut outcome = Outcome::Done;
    for tool in update.tools.unwrap_or_default() {
        let name = tool.spec().name.clone();
        if !name.starts_with("mcp__server__")
            || [
                "list_resources",
                "read_resource",
                "list_prompts",
                "get_prompt",
            ]
            .iter()
            .any(|b| name.ends_with(b))
        {
            continue;
        }
        let input = arguments_for(&tool.spec().input_schema);
        let ctx = CallContext {
            call_id: name.clone(),
            cancel: Arc::new(AtomicBool::new(false)),
        };
        match tool.call(input, ctx).await {
            Ok(text) => {
                let _ = writeln!(out, "{name}: {text}");
            }
            Err(e) => {
                let _ = writeln!(out, "{name} failed: {e}");
                // A refused login shows on the next poll, as in a task.
                let update = connectors.poll().await;
                let _ = writeln!(out, "then: {:?}", update.statuses);
                outcome = match update.statuses.as_slice() {
                    [(_, ConnectorStatus::NeedsLogin)] => Outcome::NeedsLogin,
                    _ => Outcome::Failed,
                };
                break;
            }
        }
    }
    connectors.shutdown().await;
    outcome
}

/// `cowork mcp login`, with this program as the browser.
async fn log_in(store: &TokenStore, remote: &RemoteServer) -> Result<(), String> {
    let options = LoginOptions {
        client_metadata_url: SUITE_CLIENT_METADATA_URL.to_owned(),
        ..LoginOptions::default()
    };
    let login = Login::start(store, "server", remote, &options)
        .await
        .map_err(|e| e.to_string())?;
    let url = login.authorization_url().to_owned();
    let (finished, browsed) = tokio::join!(login.finish(), browse(&url));
    browsed?;
    finished.map(|_| ()).map_err(|e| e.to_string())
}

/// Opens `url` and follows its redirects by hand, as a browser would,
/// until a page answers (the loopback callback's, at the end).
async fn browse(url: &str) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut url = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    for _ in 0..10 {
        let response = http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_redirection() {
            return Ok(());
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or("a redirect without a location")?;
        url = url.join(location).map_err(|e| e.to_string())?;
    }
    Err("too many redirects".to_owned())
}

/// An input that satisfies a simple schema: each property from its type.
fn arguments_for(schema: &Value) -> Value {
    let mut args = Map::new();
    if let Some(properties) = schema["properties"].as_object() {
        for (key, property) in properties {
            let value = match property["type"].as_str() {
                Some("number" | "integer") => json!(1),
                Some("boolean") => json!(true),
                Some("array") => json!([]),
                Some("object") => json!({}),
                _ => json!("test"),
            };
            args.insert(key.clone(), value);
        }
    }
    Value::Object(args)
}
