//! Tests of the mock model server over real HTTP, and shared helpers.

mod anthropic;
mod binary;
mod browser;
mod mock_mcp_tests;
mod openai;
mod recording;
mod turns;

use cowork_test_support::MockModelServer;
use serde_json::{Value, json};

/// One server-sent event, parsed here independently of the crate's own
/// `sse::parse_sse`, so the tests do not check the server with its own code.
#[derive(Debug)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

impl Frame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("data is not JSON ({e}): {}", self.data))
    }
}

pub fn frames(body: &str) -> Vec<Frame> {
    assert!(
        body.ends_with("\n\n"),
        "a stream must end with a blank line: {body:?}"
    );
    body.split("\n\n")
        .filter(|block| !block.is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(rest) = line.strip_prefix("event: ") {
                    assert!(event.is_none(), "two event lines in {block:?}");
                    event = Some(rest.to_owned());
                } else if let Some(rest) = line.strip_prefix("data: ") {
                    assert!(data.is_none(), "two data lines in {block:?}");
                    data = Some(rest.to_owned());
                } else {
                    panic!("unexpected line {line:?} in {block:?}");
                }
            }
            Frame {
                event,
                data: data.unwrap_or_else(|| panic!("no data line in {block:?}")),
            }
        })
        .collect()
}

/// A conversation holding `assistant_turns` assistant messages, ending
/// with a user message, as a client sends it.
pub fn conversation(assistant_turns: usize) -> Value {
    let mut messages = vec![json!({"role": "user", "content": "Tidy my receipts."})];
    for n in 0..assistant_turns {
        messages.push(json!({"role": "assistant", "content": format!("step {n}")}));
        messages.push(json!({"role": "user", "content": format!("result {n}")}));
    }
    Value::Array(messages)
}

pub fn anthropic_body(messages: Value) -> Value {
    json!({"model": "claude-test", "max_tokens": 1024, "stream": true, "messages": messages})
}

pub fn openai_body(messages: Value, include_usage: bool) -> Value {
    json!({
        "model": "gpt-test",
        "stream": true,
        "stream_options": {"include_usage": include_usage},
        "messages": messages,
    })
}

pub async fn post_anthropic(server: &MockModelServer, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", "test-key")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn post_openai(server: &MockModelServer, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", server.openai_url()))
        .bearer_auth("test-key")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The text of a streamed Anthropic answer.
pub fn anthropic_text(frames: &[Frame]) -> String {
    frames
        .iter()
        .filter(|f| f.event.as_deref() == Some("content_block_delta"))
        .filter_map(|f| f.json()["delta"]["text"].as_str().map(str::to_owned))
        .collect()
}

/// The text of a streamed OpenAI answer.
pub fn openai_text(frames: &[Frame]) -> String {
    frames
        .iter()
        .filter(|f| f.data != "[DONE]")
        .filter_map(|f| {
            f.json()["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}
