//! The Anthropic Messages route: validation and the event stream.

use std::collections::BTreeSet;

use cowork_test_support::{MockModelServer, fixtures_dir, script};
use serde_json::{Value, json};

use super::{Frame, anthropic_body, anthropic_text, conversation, frames, post_anthropic};

fn weather_script() -> MockModelServer {
    MockModelServer::start(script(json!({"turns": [{
        "text": "I'll check the current weather in Paris for you.",
        "tool_calls": [
            {"name": "get_weather", "input": {"location": "Paris", "unit": "celsius"}},
            {"name": "Read", "input": {"file_path": "notes/é.txt"}, "id": "toolu_fixed"}
        ]
    }]})))
}

fn events(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .map(|f| {
            f.event
                .clone()
                .expect("every Anthropic frame names its event")
        })
        .collect()
}

/// Collapses runs of `content_block_delta` so the sequence can be compared
/// whatever the number of pieces.
fn collapsed(events: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for event in events {
        if event == "content_block_delta" && out.last() == Some(&"content_block_delta") {
            continue;
        }
        out.push(event);
    }
    out
}

#[tokio::test]
async fn anthropic_stream_has_the_real_event_sequence_and_tool_inputs_reassemble() {
    let server = weather_script();
    let body = anthropic_body(conversation(0));
    let response = post_anthropic(&server, &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let frames = frames(&response.text().await.unwrap());

    let events = events(&frames);
    assert_eq!(
        collapsed(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    for frame in &frames {
        assert_eq!(frame.json()["type"], frame.event.as_deref().unwrap());
    }

    let start = frames[0].json();
    assert_eq!(start["message"]["role"], "assistant");
    assert_eq!(start["message"]["content"], json!([]));
    let body_len = serde_json::to_vec(&body).unwrap().len() as u64;
    assert_eq!(start["message"]["usage"]["input_tokens"], body_len / 4);

    let text_deltas = frames
        .iter()
        .filter(|f| f.json()["delta"]["type"] == "text_delta")
        .count();
    assert!(text_deltas >= 2, "text comes in several pieces");
    assert_eq!(
        anthropic_text(&frames),
        "I'll check the current weather in Paris for you."
    );

    let expected = [
        (
            "call_0_0",
            "get_weather",
            json!({"location": "Paris", "unit": "celsius"}),
        ),
        ("toolu_fixed", "Read", json!({"file_path": "notes/é.txt"})),
    ];
    for (block, (id, name, input)) in (1..).zip(expected) {
        let start = frames
            .iter()
            .map(Frame::json)
            .find(|d| d["type"] == "content_block_start" && d["index"] == block)
            .unwrap();
        assert_eq!(
            start["content_block"],
            json!({"type": "tool_use", "id": id, "name": name, "input": {}})
        );
        let pieces: Vec<String> = frames
            .iter()
            .map(Frame::json)
            .filter(|d| d["index"] == block && d["delta"]["type"] == "input_json_delta")
            .map(|d| d["delta"]["partial_json"].as_str().unwrap().to_owned())
            .collect();
        assert!((2..=3).contains(&pieces.len()), "{pieces:?}");
        let parsed: Value = serde_json::from_str(&pieces.concat()).unwrap();
        assert_eq!(parsed, input);
    }

    let delta = frames[frames.len() - 2].json();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_text_only_turn_ends_the_turn() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "Done."}]})));
    let response = post_anthropic(&server, &anthropic_body(conversation(0))).await;
    let frames = frames(&response.text().await.unwrap());
    assert_eq!(anthropic_text(&frames), "Done.");
    let delta = frames
        .iter()
        .find(|f| f.event.as_deref() == Some("message_delta"))
        .unwrap()
        .json();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(
        frames.last().unwrap().event.as_deref(),
        Some("message_stop")
    );
}

#[tokio::test]
async fn our_events_have_the_same_fields_as_the_recorded_real_stream() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let fixture = std::fs::read_to_string(
        fixtures.join("anthropic-sdk-python/tests/lib/streaming/fixtures/tool_use_response.txt"),
    )
    .unwrap();
    let real = frames(&format!("{}\n\n", fixture.trim_end()));
    let server = weather_script();
    let ours = frames(
        &post_anthropic(&server, &anthropic_body(conversation(0)))
            .await
            .text()
            .await
            .unwrap(),
    );
    fn keys(value: &Value) -> BTreeSet<String> {
        value.as_object().unwrap().keys().cloned().collect()
    }
    for real_frame in &real {
        let real_data = real_frame.json();
        let kind = real_data["type"].as_str().unwrap();
        let delta_kind = real_data["delta"]["type"].as_str();
        let our_data = ours
            .iter()
            .map(Frame::json)
            .find(|d| d["type"] == kind && d["delta"]["type"].as_str() == delta_kind)
            .unwrap_or_else(|| panic!("no {kind} event in our stream"));
        assert_eq!(keys(&our_data), keys(&real_data), "{kind}");
        if kind == "message_start" {
            let mut real_message = keys(&real_data["message"]);
            real_message.remove("caller");
            assert_eq!(keys(&our_data["message"]), real_message);
            let mut real_usage = keys(&real_data["message"]["usage"]);
            real_usage.remove("service_tier");
            assert_eq!(keys(&our_data["message"]["usage"]), real_usage);
        }
        if kind == "message_delta" {
            assert_eq!(keys(&our_data["delta"]), keys(&real_data["delta"]));
        }
    }
}

#[tokio::test]
async fn a_stream_error_follows_the_text_and_ends_the_stream() {
    let server = MockModelServer::start(script(json!({"turns": [{
        "text": "Working on it",
        "tool_calls": [{"name": "Read", "input": {}}],
        "stream_error": "Overloaded"
    }]})));
    let response = post_anthropic(&server, &anthropic_body(conversation(0))).await;
    assert_eq!(response.status(), 200);
    let frames = frames(&response.text().await.unwrap());
    assert_eq!(anthropic_text(&frames), "Working on it");
    let last = frames.last().unwrap();
    assert_eq!(last.event.as_deref(), Some("error"));
    assert_eq!(
        last.json(),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
    let events = events(&frames);
    for absent in ["message_delta", "message_stop"] {
        assert!(!events.iter().any(|e| e == absent), "{events:?}");
    }
    assert!(
        !frames
            .iter()
            .any(|f| f.json()["content_block"]["type"] == "tool_use")
    );
}

#[tokio::test]
async fn raw_input_is_streamed_verbatim_even_when_it_is_not_json() {
    let raw = r#"{"file_path": "a.txt", "#;
    let server = MockModelServer::start(script(json!({"turns": [{
        "tool_calls": [{"name": "Read", "input": {"ignored": true}, "raw_input": raw}]
    }]})));
    let response = post_anthropic(&server, &anthropic_body(conversation(0))).await;
    let frames = frames(&response.text().await.unwrap());
    let streamed: String = frames
        .iter()
        .filter_map(|f| {
            f.json()["delta"]["partial_json"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(streamed, raw);
}

#[tokio::test]
async fn scripted_usage_is_reported_instead_of_the_estimate() {
    let server = MockModelServer::start(script(json!({"turns": [{
        "text": "ok",
        "usage": {"input_tokens": 1234, "output_tokens": 56, "cache_read_input_tokens": 7}
    }]})));
    let response = post_anthropic(&server, &anthropic_body(conversation(0))).await;
    let frames = frames(&response.text().await.unwrap());
    let usage = &frames[0].json()["message"]["usage"];
    assert_eq!(usage["input_tokens"], 1234);
    assert_eq!(usage["cache_read_input_tokens"], 7);
    let delta = frames[frames.len() - 2].json();
    assert_eq!(delta["usage"]["output_tokens"], 56);
}

#[tokio::test]
async fn a_missing_api_key_or_version_is_refused_with_an_authentication_error() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "hi"}]})));
    let client = reqwest::Client::new();
    let url = format!("{}/v1/messages", server.url());
    let body = anthropic_body(conversation(0));
    for (headers, missing) in [
        (vec![("anthropic-version", "2023-06-01")], "x-api-key"),
        (vec![("x-api-key", "k")], "anthropic-version"),
    ] {
        let mut request = client.post(&url).json(&body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["type"], "authentication_error");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(missing),
            "{error}"
        );
    }
    assert!(server.requests().iter().all(|r| r.turn.is_none()));
}

#[tokio::test]
async fn a_request_missing_a_required_field_or_stream_true_is_a_400() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "hi"}]})));
    let complete = anthropic_body(conversation(0));
    for (field, expected) in [
        ("max_tokens", "max_tokens"),
        ("model", "model"),
        ("messages", "messages"),
        ("stream", "stream"),
    ] {
        let mut body = complete.clone();
        body.as_object_mut().unwrap().remove(field);
        let response = post_anthropic(&server, &body).await;
        assert_eq!(response.status(), 400, "without {field}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{error}"
        );
    }
}
