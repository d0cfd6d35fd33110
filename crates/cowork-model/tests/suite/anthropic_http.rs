//! The Anthropic client against a local responder: request shape, retries
//! and error mapping.

use std::time::{Duration, Instant};

use cowork_model::{
    AnthropicConfig, AnthropicModel, Model, ModelError, ModelEvent, ModelRequest, RetryPolicy,
};
use cowork_protocol::{ContentBlock, Effect, Message, Role, StopReason, ToolSpec};
use serde_json::json;

use super::responder::{Canned, Responder, closed_url};
use super::wire::{OWN_ANTHROPIC_ERROR, OWN_ANTHROPIC_TEXT, OWN_ANTHROPIC_TOOL_USE, own};

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(200),
    }
}

fn model(url: &str, max_attempts: u32) -> AnthropicModel {
    let mut config = AnthropicConfig::new("sk-ant-test");
    config.base_url = format!("{url}/");
    config.retry = fast_retry(max_attempts);
    AnthropicModel::new(config).unwrap()
}

fn request() -> ModelRequest {
    let mut request = ModelRequest::new(
        "You are careful.",
        vec![
            Message::user_text("Weather in Paris?"),
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::ToolUse {
                    id: "toolu_1".into(),
                    name: "get_weather".into(),
                    input: json!({"location": "Paris"}),
                    invalid_input: None,
                }],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "toolu_1".into(),
                    content: "service down".into(),
                    is_error: true,
                }],
            },
        ],
    );
    request.tools = ["get_weather", "get_time"]
        .into_iter()
        .map(|name| ToolSpec {
            name: name.into(),
            description: format!("{name} for a place"),
            input_schema: json!({"type": "object", "properties": {"location": {"type": "string"}}}),
            effect: Effect::Network,
        })
        .collect();
    request.max_tokens = 1024;
    request
}

#[tokio::test]
async fn the_request_carries_headers_cache_markers_tools_and_tool_results() {
    let server = Responder::start(vec![Canned::sse(own(OWN_ANTHROPIC_TOOL_USE))]).await;
    let response = model(&server.url, 1).complete(request()).await.unwrap();
    assert_eq!(response.stop_reason, StopReason::ToolUse);

    let sent = &server.requests()[0];
    assert_eq!(sent.line, "POST /v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body = &sent.body;
    assert_eq!(body["model"], "claude-sonnet-4-6");
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": "You are careful.", "cache_control": {"type": "ephemeral"}}])
    );
    assert_eq!(body["tools"][0]["name"], "get_weather");
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    assert!(body["tools"][0].get("cache_control").is_none());
    assert!(
        body["tools"][0].get("effect").is_none(),
        "our effect is not the API's business"
    );
    assert_eq!(body["tools"][1]["cache_control"]["type"], "ephemeral");
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[1]["content"][0],
        json!({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "Paris"}})
    );
    let result = &messages[2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["tool_use_id"], "toolu_1");
    assert_eq!(result["content"], "service down");
    assert_eq!(result["is_error"], true);
    assert_eq!(result["cache_control"]["type"], "ephemeral");
    assert!(body.to_string().matches("cache_control").count() <= 4);
}

#[tokio::test]
async fn overloaded_529_is_retried_after_the_wait_the_server_asks_for() {
    let server = Responder::start(vec![
        Canned::json(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .header("retry-after-ms", "150"),
        Canned::json(
            429,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
        ),
        Canned::sse(own(OWN_ANTHROPIC_TEXT)),
    ])
    .await;
    let started = Instant::now();
    let response = model(&server.url, 3).complete(request()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "retry-after-ms was not honoured"
    );
    assert_eq!(
        response.content,
        vec![ContentBlock::Text {
            text: "Three notes mention the budget — café ☕ included.".into()
        }]
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent[0].body, sent[2].body,
        "a retry resends the same request"
    );
}

#[tokio::test]
async fn each_retry_is_announced_before_its_wait() {
    use futures::StreamExt;
    let server = Responder::start(vec![
        Canned::json(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .header("retry-after-ms", "5"),
        Canned::sse(own(OWN_ANTHROPIC_TEXT)),
    ])
    .await;
    let events: Vec<ModelEvent> = model(&server.url, 3)
        .stream(request())
        .map(|e| e.unwrap())
        .collect()
        .await;
    match &events[0] {
        ModelEvent::Retrying {
            attempt,
            max_attempts,
            wait,
            reason,
        } => {
            assert_eq!((*attempt, *max_attempts), (1, 3));
            assert_eq!(*wait, Duration::from_millis(5));
            assert!(
                reason.contains("529") && reason.contains("Overloaded"),
                "{reason}"
            );
        }
        other => panic!("expected a retry notice first, got {other:?}"),
    }
    assert!(matches!(
        events.last(),
        Some(ModelEvent::Stop(StopReason::EndTurn))
    ));
}

#[tokio::test]
async fn a_server_overloaded_on_every_attempt_is_unavailable_with_the_attempt_count() {
    let overloaded = Canned::json(
        529,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    )
    .header("retry-after", "0");
    let server = Responder::start(vec![overloaded; 3]).await;
    let err = model(&server.url, 3).complete(request()).await.unwrap_err();
    match &err {
        ModelError::Unavailable {
            status,
            attempts,
            message,
            retry_after,
            ..
        } => {
            assert_eq!(*status, 529);
            assert_eq!(*attempts, 3);
            assert_eq!(message, "Overloaded");
            assert_eq!(*retry_after, Some(Duration::ZERO));
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn refused_credentials_are_not_retried_and_name_the_key_variable() {
    let server = Responder::start(vec![Canned::json(
        401,
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
    )])
    .await;
    let err = model(&server.url, 5).complete(request()).await.unwrap_err();
    assert!(
        matches!(&err, ModelError::Auth { status: 401, message, .. } if message == "invalid x-api-key"),
        "{err}"
    );
    assert!(err.to_string().contains("ANTHROPIC_API_KEY"), "{err}");
    assert!(!err.is_transient());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_unknown_model_is_not_found() {
    let server = Responder::start(vec![Canned::json(
        404,
        r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-nope"}}"#,
    )])
    .await;
    let err = model(&server.url, 5).complete(request()).await.unwrap_err();
    assert!(
        matches!(&err, ModelError::NotFound { message, .. } if message == "model: claude-nope"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_huge_error_body_is_read_only_in_part() {
    // Regression: an error response's body was read whole, however large.
    let huge = format!(
        r#"{{"type":"error","error":{{"type":"not_found_error","message":"{}"}}}}"#,
        "x".repeat(20 * 1024 * 1024)
    );
    let server = Responder::start(vec![Canned::json(404, &huge)]).await;
    let err = model(&server.url, 1).complete(request()).await.unwrap_err();
    assert!(matches!(err, ModelError::NotFound { .. }), "{err}");
    assert!(
        err.to_string().len() < 64 * 1024,
        "{}",
        err.to_string().len()
    );
}

#[tokio::test]
async fn a_prompt_too_long_rejection_says_so() {
    let server = Responder::start(vec![
        Canned::json(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215000 tokens > 200000 maximum"}}"#,
        ),
        Canned::json(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages.0.content: Field required"}}"#,
        ),
    ])
    .await;
    let model = model(&server.url, 5);
    let err = model.complete(request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::BadRequest {
                status: 400,
                prompt_too_long: true,
                ..
            }
        ),
        "{err}"
    );
    let err = model.complete(request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::BadRequest {
                prompt_too_long: false,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(server.requests().len(), 2, "400 is never retried");
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_the_stream_with_a_stream_error() {
    use futures::StreamExt;
    let mut body = String::from_utf8(own(OWN_ANTHROPIC_TEXT)).unwrap();
    let at = body.find("event: content_block_stop").unwrap();
    body.truncate(at);
    body.push_str(&String::from_utf8(own(OWN_ANTHROPIC_ERROR)).unwrap());
    let server = Responder::start(vec![Canned::sse(body)]).await;
    let items: Vec<_> = model(&server.url, 1).stream(request()).collect().await;
    assert!(
        matches!(items.last(), Some(Err(ModelError::Stream { kind, .. })) if kind == "overloaded_error")
    );
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Ok(cowork_model::ModelEvent::TextDelta(_)))),
        "text before the error is kept"
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_protocol_error() {
    let body = String::from_utf8(own(OWN_ANTHROPIC_TEXT)).unwrap();
    let cut = body.find("event: message_delta").unwrap();
    let server = Responder::start(vec![Canned::sse(&body.as_bytes()[..cut])]).await;
    let err = model(&server.url, 1).complete(request()).await.unwrap_err();
    assert!(
        matches!(&err, ModelError::Protocol { provider: "anthropic", message } if message.contains("truncated")),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_with_the_url() {
    let url = closed_url().await;
    let err = model(&url, 2).complete(request()).await.unwrap_err();
    match &err {
        ModelError::Connection {
            provider,
            url: reported,
            ..
        } => {
            assert_eq!(*provider, "anthropic");
            assert_eq!(reported, &format!("{url}/v1/messages"));
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_connection_dropped_before_any_answer_is_retried() {
    let server = Responder::start(vec![
        Canned::hang_up(),
        Canned::sse(own(OWN_ANTHROPIC_TEXT)),
    ])
    .await;
    let response = model(&server.url, 2).complete(request()).await.unwrap();
    assert_eq!(response.stop_reason, StopReason::EndTurn);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_connection_dropped_on_the_last_attempt_is_a_connection_error() {
    let server = Responder::start(vec![Canned::hang_up()]).await;
    let err = model(&server.url, 1).complete(request()).await.unwrap_err();
    assert!(matches!(err, ModelError::Connection { .. }), "{err}");
}
