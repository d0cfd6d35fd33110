//! The chat-completions request body.

use cowork_protocol::{ContentBlock, Message, Role};
use serde_json::{Value, json};

use crate::ModelRequest;

/// The streaming request body. `official` (api.openai.com) takes
/// `max_completion_tokens`, which OpenAI's reasoning models require;
/// other servers know only `max_tokens`.
pub(crate) fn body(model: &str, request: &ModelRequest, official: bool) -> Value {
    let mut messages = Vec::new();
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    for message in &request.messages {
        push_message(&mut messages, message);
    }
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let limit = if official {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[limit] = json!(request.max_tokens);
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({"type": "function", "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.input_schema,
                }})
            })
            .collect();
    }
    body
}

/// One of our messages becomes one or more wire messages: tool results
/// travel as `tool` messages, which must directly follow the assistant
/// message that made the calls, so they come before any user text.
fn push_message(out: &mut Vec<Value>, message: &Message) {
    let mut texts = Vec::new();
    let mut calls = Vec::new();
    let mut results = Vec::new();
    for block in &message.content {
        match block {
            ContentBlock::Text { text } => {
                if !text.is_empty() {
                    texts.push(text.as_str());
                }
            }
            ContentBlock::ToolUse {
                id, name, input, ..
            } => calls.push(json!({
                "id": id,
                "type": "function",
                // Invalid arguments were replaced by `{}`: servers that
                // parse the history (Ollama) would reject the raw text.
                "function": {"name": name, "arguments": input.to_string()},
            })),
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let content = if *is_error {
                    format!("Error: {content}")
                } else {
                    content.clone()
                };
                results
                    .push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": content}));
            }
        }
    }
    let text = texts.join("\n\n");
    match message.role {
        Role::User => {
            out.extend(results);
            if !text.is_empty() {
                out.push(json!({"role": "user", "content": text}));
            }
            // Tool calls never come from the user; dropping one keeps the
            // request valid.
        }
        Role::Assistant => {
            if !text.is_empty() || !calls.is_empty() {
                let mut wire = json!({
                    "role": "assistant",
                    "content": if text.is_empty() { Value::Null } else { json!(text) },
                });
                if !calls.is_empty() {
                    wire["tool_calls"] = Value::Array(calls);
                }
                out.push(wire);
            }
            out.extend(results);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cowork_protocol::{Effect, ToolSpec};

    #[test]
    fn conversations_map_to_system_assistant_tool_and_user_messages() {
        let mut request = ModelRequest::new(
            "be brief",
            vec![
                Message::user_text("list files"),
                Message {
                    role: Role::Assistant,
                    content: vec![
                        ContentBlock::Text {
                            text: "Looking.".into(),
                        },
                        ContentBlock::ToolUse {
                            id: "c1".into(),
                            name: "Glob".into(),
                            input: json!({"pattern": "*"}),
                            invalid_input: None,
                        },
                        ContentBlock::ToolUse {
                            id: "c2".into(),
                            name: "Read".into(),
                            input: json!({}),
                            invalid_input: None,
                        },
                    ],
                },
                Message {
                    role: Role::User,
                    content: vec![
                        ContentBlock::Text {
                            text: "hurry".into(),
                        },
                        ContentBlock::ToolResult {
                            tool_use_id: "c1".into(),
                            content: "a.txt".into(),
                            is_error: false,
                        },
                        ContentBlock::ToolResult {
                            tool_use_id: "c2".into(),
                            content: "no such file".into(),
                            is_error: true,
                        },
                    ],
                },
            ],
        );
        request.tools = vec![ToolSpec {
            name: "Glob".into(),
            description: "find".into(),
            input_schema: json!({"type": "object"}),
            effect: Effect::Read,
        }];
        let body = body("m", &request, false);
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            ["system", "user", "assistant", "tool", "tool", "user"]
        );
        let assistant = &body["messages"][2];
        assert_eq!(assistant["content"], "Looking.");
        assert_eq!(
            assistant["tool_calls"][0]["function"]["arguments"],
            r#"{"pattern":"*"}"#
        );
        assert_eq!(body["messages"][4]["content"], "Error: no such file");
        assert_eq!(body["tools"][0]["function"]["parameters"]["type"], "object");
        assert_eq!(body["max_tokens"], 8192);
        assert!(body.get("max_completion_tokens").is_none());
        assert_eq!(body["stream_options"]["include_usage"], true);
    }

    #[test]
    fn openai_itself_gets_max_completion_tokens_and_no_empty_tool_list() {
        let body = body(
            "gpt-4.1",
            &ModelRequest::new("", vec![Message::user_text("hi")]),
            true,
        );
        assert_eq!(body["max_completion_tokens"], 8192);
        assert!(body.get("max_tokens").is_none());
        assert!(body.get("tools").is_none());
        assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    }
}
