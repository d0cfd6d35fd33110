//! A server's tools, resources and prompts as cowork tools: each is
//! `mcp__<server>__<name>` with the `external` effect, so the permission
//! engine asks (or a rule allows) before any of them runs.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use serde_json::{Value, json};

use cowork_core::{CallContext, Preview, Tool, ToolFailure};
use cowork_protocol::{Effect, ToolSpec};

use super::connect::{CallError, Connection, bounded_call};
use super::names::tool_name;
use super::render;

/// The live connection of one server, replaced when it restarts, so a
/// tool handed out before the restart reaches the new process.
pub(crate) struct Live {
    pub server: String,
    conn: RwLock<Option<Arc<Connection>>>,
}

impl Live {
    pub(crate) fn new(server: String) -> Self {
        Self {
            server,
            conn: RwLock::new(None),
        }
    }

    pub(crate) fn get(&self) -> Option<Arc<Connection>> {
        self.conn.read().ok().and_then(|c| c.clone())
    }

    pub(crate) fn set(&self, conn: Option<Arc<Connection>>) -> Option<Arc<Connection>> {
        match self.conn.write() {
            Ok(mut slot) => std::mem::replace(&mut *slot, conn),
            Err(_) => None,
        }
    }
}

/// What a tool does on its server.
#[derive(Debug, Clone)]
enum Action {
    /// `tools/call` of the server's tool with this real name.
    Call(String),
    ListResources,
    ReadResource,
    ListPrompts,
    GetPrompt,
}

pub(crate) struct McpTool {
    spec: ToolSpec,
    live: Arc<Live>,
    action: Action,
    read_only: bool,
}

/// The cowork tools for `tools` of a connected server, plus the resource
/// and prompt tools when it offers those.
pub(crate) fn tools_of(
    live: &Arc<Live>,
    tools: &[rmcp::model::Tool],
    has_resources: bool,
    has_prompts: bool,
) -> Vec<Arc<dyn Tool>> {
    let server = &live.server;
    let mut taken = HashSet::new();
    let mut out: Vec<Arc<dyn Tool>> = Vec::new();
    let builtin = |name: &str, description: String, schema: Value, action: Action| {
        Arc::new(McpTool {
            spec: ToolSpec {
                name: name.to_owned(),
                description,
                input_schema: schema,
                effect: Effect::External,
            },
            live: Arc::clone(live),
            action,
            read_only: true,
        }) as Arc<dyn Tool>
    };
    // The resource and prompt tools' names are reserved first, so a
    // server tool of the same name is the one renamed.
    let mut reserved = Vec::new();
    if has_resources {
        let list = tool_name(server, "list_resources", &mut taken);
        let read = tool_name(server, "read_resource", &mut taken);
        reserved.push(builtin(
            &list,
            format!("[{server}] Lists the resources (and resource templates) the MCP server {server} offers."),
            json!({"type": "object", "properties": {}}),
            Action::ListResources,
        ));
        reserved.push(builtin(
            &read,
            format!("[{server}] Reads one resource of the MCP server {server} by its URI."),
            json!({"type": "object", "properties": {"uri": {"type": "string", "description": "The resource's URI, from list_resources"}}, "required": ["uri"]}),
            Action::ReadResource,
        ));
    }
    if has_prompts {
        let list = tool_name(server, "list_prompts", &mut taken);
        let get = tool_name(server, "get_prompt", &mut taken);
        reserved.push(builtin(
            &list,
            format!(
                "[{server}] Lists the prompts the MCP server {server} offers, with their arguments."
            ),
            json!({"type": "object", "properties": {}}),
            Action::ListPrompts,
        ));
        reserved.push(builtin(
            &get,
            format!("[{server}] Gets one prompt of the MCP server {server}, filled in with its arguments."),
            json!({"type": "object", "properties": {
                "name": {"type": "string"},
                "arguments": {"type": "object", "additionalProperties": {"type": "string"}}
            }, "required": ["name"]}),
            Action::GetPrompt,
        ));
    }
    for tool in tools {
        let name = tool_name(server, &tool.name, &mut taken);
        let description = match tool.description.as_deref() {
            Some(d) if !d.trim().is_empty() => format!("[{server}] {d}"),
            _ => format!("[{server}] {}", tool.name),
        };
        let mut schema = Value::Object((*tool.input_schema).clone());
        if let Value::Object(map) = &mut schema {
            // Providers reject a tool whose schema is not an object schema.
            map.insert("type".to_owned(), json!("object"));
        }
        let read_only = tool
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false);
        out.push(Arc::new(McpTool {
            spec: ToolSpec {
                name,
                description,
                input_schema: schema,
                effect: Effect::External,
            },
            live: Arc::clone(live),
            action: Action::Call(tool.name.to_string()),
            read_only,
        }));
    }
    out.extend(reserved);
    out
}

impl Tool for McpTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn preview(&self, input: &Value) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        let what = match &self.action {
            Action::Call(tool) => tool.as_str(),
            Action::ListResources => "list_resources",
            Action::ReadResource => "read_resource",
            Action::ListPrompts => "list_prompts",
            Action::GetPrompt => "get_prompt",
        };
        let summary = format!(
            "{} → {what}({})",
            self.live.server,
            render::arguments(input)
        );
        Box::pin(async move {
            Ok(Preview {
                paths: Vec::new(),
                summary,
            })
        })
    }

    fn read_only_hint(&self) -> bool {
        self.read_only
    }

    fn call(
        &self,
        input: Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let live = Arc::clone(&self.live);
        let action = self.action.clone();
        Box::pin(async move {
            let Some(conn) = live.get() else {
                return Err(ToolFailure::new(format!(
                    "the MCP server {} is not connected right now (it may be restarting); try again later",
                    live.server
                )));
            };
            let arguments = match input {
                Value::Object(map) => map,
                Value::Null => serde_json::Map::new(),
                other => {
                    return Err(ToolFailure::new(format!(
                        "the input must be a JSON object, not {other}"
                    )));
                }
            };
            let result = run(&conn, &action, arguments, &ctx).await;
            if let Err(Failure::Call(e)) = &result {
                conn.saw_error(e);
            }
            result.map_err(|e| match e {
                Failure::Call(CallError::Cancelled) => {
                    ToolFailure::new("cancelled before the server answered")
                }
                Failure::Call(e) => ToolFailure::new(format!("{}: {e}", live.server)),
                Failure::Tool(message) => ToolFailure::new(message),
            })
        })
    }
}

enum Failure {
    Call(CallError),
    /// The server answered, with an error or input we refuse.
    Tool(String),
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        Failure::Call(e)
    }
}

async fn run(
    conn: &Connection,
    action: &Action,
    arguments: serde_json::Map<String, Value>,
    ctx: &CallContext,
) -> Result<String, Failure> {
    let timeout = conn.call_timeout;
    let cancel = Some(ctx.cancel.as_ref());
    let request = |method: &'static str, params: Value| {
        bounded_call(conn.request(method, Some(params)), timeout, cancel)
    };
    match action {
        Action::Call(tool) => {
            // The progress token asks the server for progress notifications
            // (see `Connection::last_progress`).
            let params = json!({
                "name": tool,
                "arguments": arguments,
                "_meta": {"progressToken": ctx.call_id},
            });
            let result = request("tools/call", params).await?;
            render::tool_result(&result).map_err(Failure::Tool)
        }
        Action::ListResources => {
            let resources = conn.list_all("resources/list", "resources", cancel).await?;
            // Templates are optional: a server may offer resources without.
            let templates = conn
                .list_all("resources/templates/list", "resourceTemplates", cancel)
                .await
                .unwrap_or_default();
            Ok(render::resources(
                &Value::Array(resources),
                &Value::Array(templates),
            ))
        }
        Action::ReadResource => {
            let Some(uri) = arguments.get("uri").and_then(Value::as_str) else {
                return Err(Failure::Tool(
                    "`uri` is required: a resource URI from list_resources".to_owned(),
                ));
            };
            let result = request("resources/read", json!({ "uri": uri })).await?;
            Ok(render::resource_contents(&result["contents"]))
        }
        Action::ListPrompts => {
            let prompts = conn.list_all("prompts/list", "prompts", cancel).await?;
            Ok(render::prompts(&Value::Array(prompts)))
        }
        Action::GetPrompt => {
            let Some(name) = arguments.get("name").and_then(Value::as_str) else {
                return Err(Failure::Tool(
                    "`name` is required: a prompt name from list_prompts".to_owned(),
                ));
            };
            let mut params = json!({ "name": name });
            match arguments.get("arguments") {
                None | Some(Value::Null) => {}
                Some(Value::Object(args)) if args.values().all(Value::is_string) => {
                    params["arguments"] = Value::Object(args.clone());
                }
                Some(_) => {
                    return Err(Failure::Tool(
                        "invalid arguments: `arguments` must be an object of strings".to_owned(),
                    ));
                }
            }
            let result = request("prompts/get", params).await?;
            Ok(render::prompt_messages(&result))
        }
    }
}
