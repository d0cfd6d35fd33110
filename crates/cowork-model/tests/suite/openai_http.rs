//! The OpenAI-compatible client against a local responder.

use std::time::Duration;

use cowork_model::{Model, ModelError, ModelRequest, OpenAiConfig, OpenAiModel, RetryPolicy};
use cowork_protocol::{ContentBlock, Effect, Message, Role, StopReason, ToolSpec};
use serde_json::json;

use super::responder::{Canned, Responder, closed_url};
use super::wire::own_openai_tool_call;

fn model(base_url: &str, key: Option<&str>, max_attempts: u32) -> OpenAiModel {
    let mut config = OpenAiConfig::new("qwen2.5:7b", format!("{base_url}/v1/"));
    config.api_key = key.map(str::to_owned);
    config.retry = RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    };
    OpenAiModel::new(config).unwrap()
}

fn request() -> ModelRequest {
    let mut request = ModelRequest::new(
        "You are careful.",
        vec![
            Message::user_text("Weather in Tokyo?"),
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::ToolUse {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    input: json!({"location": "Tokyo"}),
                    invalid_input: None,
                }],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "call_1".into(),
                    content: "timeout".into(),
                    is_error: true,
                }],
            },
        ],
    );
    request.tools = vec![ToolSpec {
        name: "get_weather".into(),
        description: "Weather for a place".into(),
        input_schema: json!({"type": "object", "properties": {"location": {"type": "string"}}}),
        effect: Effect::Network,
    }];
    request
}

#[tokio::test]
async fn the_request_carries_bearer_auth_tools_and_tool_messages() {
    let server = Responder::start(vec![Canned::sse(own_openai_tool_call())]).await;
    let response = model(&server.url, Some("sk-local"), 1)
        .complete(request())
        .await
        .unwrap();
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert!(
        matches!(&response.content[0], ContentBlock::ToolUse { name, input, .. }
        if name == "Grep" && input == &json!({"pattern": "invoice", "glob": "*.md"}))
    );
    assert_eq!(response.usage.input_tokens, 301);

    let sent = &server.requests()[0];
    assert_eq!(sent.line, "POST /v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-local"));
    let body = &sent.body;
    assert_eq!(body["model"], "qwen2.5:7b");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["max_tokens"], 8192);
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {
            "name": "get_weather",
            "description": "Weather for a place",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        }}])
    );
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are careful."},
            {"role": "user", "content": "Weather in Tokyo?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"Tokyo\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "Error: timeout"},
        ])
    );
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let server = Responder::start(vec![Canned::sse(own_openai_tool_call())]).await;
    model(&server.url, None, 1)
        .complete(request())
        .await
        .unwrap();
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried() {
    let server = Responder::start(vec![
        Canned::json(
            429,
            r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#,
        )
        .header("retry-after", "0.01"),
        Canned::json(503, r#"{"error":"server busy"}"#),
        Canned::sse(own_openai_tool_call()),
    ])
    .await;
    let response = model(&server.url, None, 3)
        .complete(request())
        .await
        .unwrap();
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn refused_credentials_name_the_openai_key_variable() {
    let server = Responder::start(vec![Canned::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    )])
    .await;
    let err = model(&server.url, Some("sk-bad"), 5)
        .complete(request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ModelError::Auth { message, .. } if message == "Incorrect API key provided"),
        "{err}"
    );
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_ollama_style_missing_model_is_not_found() {
    let server = Responder::start(vec![Canned::json(
        404,
        r#"{"error":"model \"qwen9\" not found, try pulling it first"}"#,
    )])
    .await;
    let err = model(&server.url, None, 5)
        .complete(request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ModelError::NotFound { message, .. } if message.contains("try pulling it first")),
        "{err}"
    );
}

#[tokio::test]
async fn a_context_overflow_is_a_prompt_too_long_bad_request() {
    let server = Responder::start(vec![Canned::json(
        400,
        r#"{"error":{"message":"This model's maximum context length is 32768 tokens. However, your messages resulted in 40000 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
    )])
    .await;
    let err = model(&server.url, None, 5)
        .complete(request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::BadRequest {
                prompt_too_long: true,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_local_connection_asks_whether_ollama_is_running() {
    let url = closed_url().await;
    let err = model(&url, None, 2).complete(request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Connection {
                provider: "openai",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("ollama serve"), "{err}");
}
