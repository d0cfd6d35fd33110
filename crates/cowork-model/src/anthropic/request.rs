//! The Messages API request body.

use cowork_protocol::{ContentBlock, Message, Role};
use serde_json::{Value, json};

use crate::ModelRequest;

/// At most four `cache_control` markers are allowed per request.
const MAX_CACHE_MARKERS: usize = 4;

/// The streaming request body for `request`.
///
/// Cache markers go on the system prompt, the last tool, and the last
/// block of the last two user turns: the prefix up to each is resent
/// unchanged by the next call of an agent loop, so the next call reads it
/// from the cache instead of paying for it again.
pub(crate) fn body(model: &str, request: &ModelRequest) -> Value {
    let mut markers = 0;
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "stream": true,
    });
    if !request.system.is_empty() {
        body["system"] = json!([{
            "type": "text",
            "text": request.system,
            "cache_control": {"type": "ephemeral"},
        }]);
        markers += 1;
    }
    if !request.tools.is_empty() {
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool.input_schema,
                })
            })
            .collect();
        if let Some(last) = tools.last_mut() {
            last["cache_control"] = json!({"type": "ephemeral"});
            markers += 1;
        }
        body["tools"] = Value::Array(tools);
    }
    let mut messages = messages(&request.messages);
    let user_turns: Vec<usize> = messages
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, m)| m["role"] == "user")
        .map(|(i, _)| i)
        .take(MAX_CACHE_MARKERS - markers)
        .take(2)
        .collect();
    for i in user_turns {
        if let Some(last) = messages[i]["content"]
            .as_array_mut()
            .and_then(|c| c.last_mut())
        {
            last["cache_control"] = json!({"type": "ephemeral"});
        }
    }
    body["messages"] = Value::Array(messages);
    body
}

/// Wire messages: empty text dropped (the API rejects it), messages left
/// empty dropped, consecutive messages of one role merged (the API wants
/// turns to alternate), and tool results first in a user turn (the API
/// wants them right after the assistant's tool calls).
fn messages(messages: &[Message]) -> Vec<Value> {
    let mut turns: Vec<(Role, Vec<Value>)> = Vec::new();
    for message in messages {
        let blocks: Vec<Value> = message.content.iter().filter_map(block).collect();
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((role, existing)) if *role == message.role => existing.extend(blocks),
            Some(_) | None => turns.push((message.role, blocks)),
        }
    }
    turns
        .into_iter()
        .map(|(role, blocks)| {
            let role = match role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            let (mut content, rest): (Vec<Value>, Vec<Value>) =
                blocks.into_iter().partition(|b| b["type"] == "tool_result");
            content.extend(rest);
            json!({"role": role, "content": content})
        })
        .collect()
}

fn block(block: &ContentBlock) -> Option<Value> {
    match block {
        ContentBlock::Text { text } if text.is_empty() => None,
        ContentBlock::Text { text } => Some(json!({"type": "text", "text": text})),
        ContentBlock::ToolUse {
            id, name, input, ..
        } => {
            // `input` is `{}` when the model's arguments were invalid; the
            // API requires an object either way.
            let input = if input.is_object() {
                input.clone()
            } else {
                json!({})
            };
            Some(json!({"type": "tool_use", "id": id, "name": name, "input": input}))
        }
        ContentBlock::ToolResult {
            tool_use_id,
            content,
            is_error,
        } => {
            let mut result =
                json!({"type": "tool_result", "tool_use_id": tool_use_id, "is_error": is_error});
            // An empty string is rejected; no content is not.
            if !content.is_empty() {
                result["content"] = json!(content);
            }
            Some(result)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cowork_protocol::{Effect, ToolSpec};

    fn tool(name: &str) -> ToolSpec {
        ToolSpec {
            name: name.into(),
            description: format!("{name} things"),
            input_schema: json!({"type": "object"}),
            effect: Effect::Read,
        }
    }

    fn markers(body: &Value) -> usize {
        body.to_string().matches("cache_control").count()
    }

    #[test]
    fn the_stable_prefix_is_marked_with_at_most_four_cache_markers() {
        let mut request = ModelRequest::new(
            "sys",
            vec![
                Message::user_text("one"),
                Message::assistant_text("two"),
                Message::user_text("three"),
                Message::assistant_text("four"),
                Message::user_text("five"),
            ],
        );
        request.tools = vec![tool("Read"), tool("Write")];
        let body = body("m", &request);
        assert_eq!(markers(&body), 4);
        assert_eq!(body["system"][0]["cache_control"]["type"], "ephemeral");
        assert!(body["tools"][0].get("cache_control").is_none());
        assert_eq!(body["tools"][1]["cache_control"]["type"], "ephemeral");
        let messages = body["messages"].as_array().unwrap();
        assert!(messages[0]["content"][0].get("cache_control").is_none());
        assert!(messages[2]["content"][0].get("cache_control").is_some());
        assert!(messages[4]["content"][0].get("cache_control").is_some());
    }

    #[test]
    fn no_system_prompt_and_no_tools_leave_room_for_user_markers_only() {
        let body = body("m", &ModelRequest::new("", vec![Message::user_text("hi")]));
        assert!(body.get("system").is_none());
        assert!(body.get("tools").is_none());
        assert_eq!(markers(&body), 1);
    }

    #[test]
    fn empty_text_is_dropped_and_same_role_messages_are_merged_with_results_first() {
        let result = Message {
            role: Role::User,
            content: vec![ContentBlock::ToolResult {
                tool_use_id: "t1".into(),
                content: String::new(),
                is_error: true,
            }],
        };
        let request = ModelRequest::new(
            "s",
            vec![
                Message::user_text("go"),
                Message {
                    role: Role::Assistant,
                    content: vec![
                        ContentBlock::Text {
                            text: String::new(),
                        },
                        ContentBlock::ToolUse {
                            id: "t1".into(),
                            name: "Read".into(),
                            input: json!({}),
                            invalid_input: None,
                        },
                    ],
                },
                Message::user_text("also this"),
                result,
                Message::assistant_text(""),
            ],
        );
        let body = body("m", &request);
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert_eq!(messages[1]["content"].as_array().unwrap().len(), 1);
        let last_user = messages[2]["content"].as_array().unwrap();
        assert_eq!(last_user[0]["type"], "tool_result");
        assert_eq!(last_user[0]["is_error"], true);
        assert!(last_user[0].get("content").is_none());
        assert_eq!(last_user[1]["text"], "also this");
    }
}
