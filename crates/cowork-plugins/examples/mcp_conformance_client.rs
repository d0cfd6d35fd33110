//! The client `@modelcontextprotocol/conformance client` drives: it runs
//! this program with the scenario's server URL as its last argument (and
//! the scenario's name in `MCP_CONFORMANCE_SCENARIO`). Like a task, it
//! connects over Streamable HTTP, lists the tools, and calls each with
//! arguments made from its input schema.
//!
//! `cargo test` builds it; `tests/suite/mcp_conformance_tests.rs` runs
//! the suite against it.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value, json};

use cowork_core::{CallContext, Connectors};
use cowork_plugins::mcp::config::{McpServer, RemoteKind, RemoteServer};
use cowork_plugins::mcp::{ConnectOptions, ResolvedServer, TaskConnectors};
use cowork_protocol::ConnectorStatus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        let _ = writeln!(std::io::stderr(), "usage: mcp_conformance_client URL");
        return ExitCode::from(2);
    };
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let server = ResolvedServer::new(McpServer::Remote(RemoteServer {
        kind: RemoteKind::Http,
        url,
        headers: Default::default(),
        oauth: None,
    }));
    let connectors =
        TaskConnectors::new(vec![("server".into(), server)], ConnectOptions::default());
    let update = connectors.poll().await;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "scenario {scenario}: {:?}", update.statuses);
    if !matches!(
        update.statuses.as_slice(),
        [(_, ConnectorStatus::Connected { .. })]
    ) {
        return ExitCode::from(1);
    }
    let mut failed = false;
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
                failed = true;
                let _ = writeln!(out, "{name} failed: {e}");
            }
        }
    }
    connectors.shutdown().await;
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
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
