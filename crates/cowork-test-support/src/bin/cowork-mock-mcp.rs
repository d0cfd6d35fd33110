//! A small MCP server over stdio (newline-delimited JSON-RPC) for tests
//! that must run without node: `initialize`, `tools/list`, `tools/call`,
//! `resources/list`, `prompts/list`, `ping`.
//!
//! Tools: `echo {text}` (read-only hint), `add {a, b}`, and `record {text}`,
//! which appends its text to the file named by `MOCK_MCP_RECORD` so a test
//! can see that a call really reached the server (and only after it was
//! approved).

use std::io::{BufRead, Write};

use serde_json::{Value, json};

fn main() {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let Ok(request) = serde_json::from_str::<Value>(&line) else {
            reply(&json!({"jsonrpc": "2.0", "id": null,
                "error": {"code": -32700, "message": "parse error"}}));
            continue;
        };
        // Notifications have no id and get no answer.
        let Some(id) = request.get("id").cloned() else {
            continue;
        };
        let method = request["method"].as_str().unwrap_or_default();
        let params = &request["params"];
        let answer = match method {
            "initialize" => Ok(json!({
                "protocolVersion": params["protocolVersion"].as_str().unwrap_or("2025-06-18"),
                "capabilities": {"tools": {"listChanged": false}, "resources": {}, "prompts": {}},
                "serverInfo": {"name": "cowork-mock-mcp", "version": "1.0.0"}
            })),
            "ping" => Ok(json!({})),
            "tools/list" => Ok(json!({"tools": [
                {"name": "echo", "description": "Echoes the text back.",
                 "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
                 "annotations": {"readOnlyHint": true}},
                {"name": "add", "description": "Adds two numbers.",
                 "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}},
                {"name": "record", "description": "Records a note on the server.",
                 "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}
            ]})),
            "tools/call" => Ok(call(params)),
            "resources/list" => Ok(json!({"resources": [
                {"uri": "mock://readme", "name": "readme", "mimeType": "text/plain"}
            ]})),
            "resources/read" => Ok(json!({"contents": [
                {"uri": "mock://readme", "mimeType": "text/plain", "text": "The mock server's readme."}
            ]})),
            "prompts/list" => Ok(json!({"prompts": []})),
            other => Err(json!({"code": -32601, "message": format!("no method {other}")})),
        };
        match answer {
            Ok(result) => reply(&json!({"jsonrpc": "2.0", "id": id, "result": result})),
            Err(error) => reply(&json!({"jsonrpc": "2.0", "id": id, "error": error})),
        }
    }
}

fn call(params: &Value) -> Value {
    let args = &params["arguments"];
    let text = |t: String| json!({"content": [{"type": "text", "text": t}], "isError": false});
    match params["name"].as_str().unwrap_or_default() {
        "echo" => text(args["text"].as_str().unwrap_or_default().to_owned()),
        "add" => text(format!(
            "{}",
            args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0)
        )),
        "record" => {
            let note = args["text"].as_str().unwrap_or_default();
            let recorded = std::env::var_os("MOCK_MCP_RECORD").is_some_and(|path| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut f| writeln!(f, "{note}"))
                    .is_ok()
            });
            if recorded {
                text(format!("recorded: {note}"))
            } else {
                json!({"content": [{"type": "text", "text": "MOCK_MCP_RECORD is not set"}], "isError": true})
            }
        }
        other => {
            json!({"content": [{"type": "text", "text": format!("no tool {other}")}], "isError": true})
        }
    }
}

fn reply(message: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{message}");
    let _ = out.flush();
}
