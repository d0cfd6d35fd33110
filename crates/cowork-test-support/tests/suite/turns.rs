//! Which turn a request gets, scripted HTTP errors, delays and shutdown.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use cowork_test_support::{MockModelServer, script};
use futures::StreamExt;
use serde_json::{Value, json};

use super::{
    anthropic_body, anthropic_text, conversation, frames, openai_body, openai_text, post_anthropic,
    post_openai,
};

fn three_turns() -> MockModelServer {
    MockModelServer::start(script(json!({"turns": [
        {"text": "first"}, {"text": "second"}, {"text": "third"}
    ]})))
}

#[tokio::test]
async fn the_turn_is_the_number_of_assistant_messages_in_both_formats() {
    let server = three_turns();
    for (assistants, expected) in [(2, "third"), (0, "first"), (1, "second"), (2, "third")] {
        let response = post_anthropic(&server, &anthropic_body(conversation(assistants))).await;
        assert_eq!(
            anthropic_text(&frames(&response.text().await.unwrap())),
            expected
        );
        let response = post_openai(&server, &openai_body(conversation(assistants), false)).await;
        assert_eq!(
            openai_text(&frames(&response.text().await.unwrap())),
            expected
        );
    }
    let turns: Vec<_> = server.requests().iter().map(|r| r.turn).collect();
    assert_eq!(
        turns,
        [2, 2, 0, 0, 1, 1, 2, 2].map(Some).to_vec(),
        "a repeated conversation gets the same turn again"
    );
}

#[tokio::test]
async fn a_conversation_past_the_script_is_a_400_naming_the_turn() {
    let server = three_turns();
    let response = post_anthropic(&server, &anthropic_body(conversation(3))).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(
        error["error"]["message"],
        "mock script has no turn 3 (it has 3 turns)"
    );

    let response = post_openai(&server, &openai_body(conversation(5), false)).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["error"]["message"],
        "mock script has no turn 5 (it has 3 turns)"
    );
    let last = server.requests().pop().unwrap();
    assert_eq!((last.turn, last.status), (Some(5), 400));
}

#[tokio::test]
async fn scripted_http_errors_come_first_in_order_then_the_turn() {
    let server = MockModelServer::start(script(json!({"turns": [
        {"text": "ok", "http_errors": [529, 429, 500]},
        {"text": "second"}
    ]})));
    let body = anthropic_body(conversation(0));
    for (status, kind, retry_after) in [
        (529, "overloaded_error", Some("0")),
        (429, "rate_limit_error", Some("0")),
        (500, "api_error", None),
    ] {
        let response = post_anthropic(&server, &body).await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            retry_after,
            "{status}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], kind, "{status}");
    }
    let response = post_anthropic(&server, &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        anthropic_text(&frames(&response.text().await.unwrap())),
        "ok"
    );
    let again = post_anthropic(&server, &body).await;
    assert_eq!(again.status(), 200, "errors are served once each");

    let other = post_anthropic(&server, &anthropic_body(conversation(1))).await;
    assert_eq!(other.status(), 200, "another turn has its own counter");

    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [529, 429, 500, 200, 200, 200]);
}

#[tokio::test]
async fn scripted_http_errors_are_shaped_as_openai_errors_on_the_openai_route() {
    let server = MockModelServer::start(script(json!({"turns": [
        {"text": "ok", "http_errors": [429, 503]}
    ]})));
    let body = openai_body(conversation(0), false);
    let first = post_openai(&server, &body).await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "0");
    let error: Value = first.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");
    let second = post_openai(&server, &body).await;
    assert_eq!(second.status(), 503);
    let error: Value = second.json().await.unwrap();
    assert_eq!(error["error"]["type"], "server_error");
    let third = post_openai(&server, &body).await;
    assert_eq!(openai_text(&frames(&third.text().await.unwrap())), "ok");
}

/// Reads a streamed answer, returning the time its first chunk took, the
/// time the whole answer took, and the first chunk.
async fn timed(response: reqwest::Response, sent: Instant) -> (Duration, Duration, String) {
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    let first_at = sent.elapsed();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    (
        first_at,
        sent.elapsed(),
        String::from_utf8(first.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn the_delay_comes_after_message_start_and_only_on_the_first_request() {
    const DELAY: Duration = Duration::from_millis(700);
    let server = MockModelServer::start(script(json!({"turns": [
        {"text": "slow", "delay_ms": 700}
    ]})));
    let body = anthropic_body(conversation(0));

    let sent = Instant::now();
    let (first_chunk_at, total, first_chunk) =
        timed(post_anthropic(&server, &body).await, sent).await;
    assert!(
        first_chunk.starts_with("event: message_start"),
        "{first_chunk}"
    );
    assert!(!first_chunk.contains("message_stop"), "{first_chunk}");
    assert!(
        total - first_chunk_at >= DELAY - Duration::from_millis(50),
        "the pause follows message_start: first chunk {first_chunk_at:?}, end {total:?}"
    );

    let sent = Instant::now();
    let (_, total, _) = timed(post_anthropic(&server, &body).await, sent).await;
    assert!(total < DELAY, "a repeated request does not wait: {total:?}");
}

#[tokio::test]
async fn the_delay_applies_to_the_first_served_turn_after_scripted_errors() {
    let server = MockModelServer::start(script(json!({"turns": [
        {"text": "slow", "delay_ms": 600, "http_errors": [529]}
    ]})));
    let body = openai_body(conversation(0), false);
    let sent = Instant::now();
    let error = post_openai(&server, &body).await;
    assert_eq!(error.status(), 529);
    assert!(
        sent.elapsed() < Duration::from_millis(600),
        "errors are immediate"
    );

    let sent = Instant::now();
    let (first_at, total, first_chunk) = timed(post_openai(&server, &body).await, sent).await;
    assert!(
        first_chunk.contains("\"role\":\"assistant\""),
        "{first_chunk}"
    );
    assert!(total - first_at >= Duration::from_millis(550), "{total:?}");
}

#[tokio::test]
async fn dropping_the_server_mid_delay_does_not_wait_for_the_client() {
    let server = MockModelServer::start(script(json!({"turns": [
        {"text": "never", "delay_ms": 60000}
    ]})));
    let response = post_anthropic(&server, &anthropic_body(conversation(0))).await;
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"event: message_start"));

    let dropping = Instant::now();
    drop(server);
    assert!(dropping.elapsed() < Duration::from_secs(5));
    // The connection is cut, not completed.
    let mut rest = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        rest.extend_from_slice(&chunk);
    }
    assert!(!String::from_utf8_lossy(&rest).contains("message_stop"));
}

#[test]
fn the_server_works_from_a_plain_sync_test_without_a_runtime() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "sync hello"}]})));
    let body = openai_body(conversation(0), false).to_string();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    write!(
        stream,
        // HTTP/1.0, so the streamed body comes unchunked until close.
        "POST /v1/chat/completions HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.addr(),
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, sse) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    let frames = frames(sse);
    assert_eq!(openai_text(&frames), "sync hello");
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_prompt_larger_than_the_context_window_is_refused_like_the_real_apis() {
    let server = MockModelServer::start(script(json!({
        "context_window": 200,
        "turns": [{"text": "fits"}]
    })));
    // About 60 tokens: fits in 200.
    let small = anthropic_body(conversation(0));
    let response = post_anthropic(&server, &small).await;
    assert_eq!(response.status(), 200);

    let mut large = anthropic_body(conversation(0));
    large["messages"][0]["content"] = json!("x".repeat(2000));
    let response = post_anthropic(&server, &large).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("prompt is too long: "), "{message}");
    assert!(message.ends_with(" tokens > 200 maximum"), "{message}");

    let mut large = openai_body(conversation(0), false);
    large["messages"][0]["content"] = json!("x".repeat(2000));
    let response = post_openai(&server, &large).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "context_length_exceeded");

    let refused = server.requests().pop().unwrap();
    assert_eq!((refused.turn, refused.status), (Some(0), 400));
}
