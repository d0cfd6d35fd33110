//! What `requests()` records, and unknown routes.

use cowork_test_support::{MockModelServer, fixtures_dir, script};
use serde_json::{Value, json};

use super::{anthropic_body, conversation, openai_body, post_anthropic};

#[tokio::test]
async fn requests_records_every_request_in_order_with_headers_body_turn_and_status() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "a"}, {"text": "b"}]})));
    let first = anthropic_body(conversation(1));
    post_anthropic(&server, &first).await.text().await.unwrap();

    let client = reqwest::Client::new();
    let refused = client
        .post(format!("{}/chat/completions", server.openai_url()))
        .header("authorization", "Token nope")
        .json(&openai_body(conversation(0), false))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let missing = client
        .get(format!("{}/v1/models?limit=5", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);

    let recorded = &requests[0];
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/v1/messages");
    assert_eq!(recorded.body, first);
    assert_eq!(recorded.turn, Some(1));
    assert_eq!(recorded.status, 200);
    assert_eq!(recorded.header("X-Api-Key"), Some("test-key"));
    assert_eq!(recorded.header("anthropic-version"), Some("2023-06-01"));
    assert!(
        recorded
            .headers
            .iter()
            .any(|(name, value)| name == "content-type" && value == "application/json")
    );

    assert_eq!(requests[1].path, "/v1/chat/completions");
    assert_eq!((requests[1].turn, requests[1].status), (None, 401));
    assert_eq!(requests[1].body["model"], "gpt-test");

    assert_eq!(requests[2].method, "GET");
    assert_eq!(requests[2].path, "/v1/models");
    assert_eq!((requests[2].turn, requests[2].status), (None, 404));
    assert_eq!(requests[2].body, Value::String(String::new()));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_recorded_as_text_and_refused() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "a"}]})));
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{error}"
    );
    assert_eq!(server.requests()[0].body, json!("{not json"));
}

#[tokio::test]
async fn an_unknown_route_or_method_is_a_404_with_a_json_error_naming_the_routes() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "a"}]})));
    let client = reqwest::Client::new();
    for request in [
        client.post(format!("{}/v1/complete", server.url())),
        client.get(format!("{}/v1/messages", server.url())),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 404);
        let error: Value = response.json().await.unwrap();
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("POST /v1/messages"), "{message}");
        assert!(message.contains("POST /v1/chat/completions"), "{message}");
    }
}

#[test]
fn fixtures_dir_points_at_the_shared_fixtures() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    assert!(dir.join("SOURCES.md").is_file(), "{}", dir.display());
}

#[test]
#[should_panic(expected = "txt")]
fn script_panics_with_the_serde_reason_on_a_misspelt_field() {
    script(json!({"turns": [{"txt": "hi"}]}));
}
