//! The OpenAI chat-completions route: validation and the chunk stream.

use std::collections::BTreeSet;

use cowork_test_support::{MockModelServer, fixtures_dir, script};
use serde_json::{Value, json};

use super::{Frame, conversation, frames, openai_body, openai_text, post_openai};

fn chunks(frames: &[Frame]) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f.data != "[DONE]")
        .map(Frame::json)
        .collect()
}

fn tool_script() -> MockModelServer {
    MockModelServer::start(script(json!({"turns": [{
        "text": "Let me look.",
        "tool_calls": [
            {"name": "get_weather", "input": {"location": "Tokyo"}},
            {"name": "Glob", "input": {"pattern": "**/*.pdf"}, "id": "call_fixed"}
        ]
    }]})))
}

#[tokio::test]
async fn openai_stream_has_role_content_tool_fragments_finish_usage_and_done() {
    let server = tool_script();
    let body = openai_body(conversation(0), true);
    let response = post_openai(&server, &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let frames = frames(&response.text().await.unwrap());
    assert!(frames.iter().all(|f| f.event.is_none()));
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let chunks = chunks(&frames);

    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], chunks[0]["id"]);
    }
    assert_eq!(openai_text(&frames), "Let me look.");

    for (index, (id, name, input)) in [
        ("call_0_0", "get_weather", json!({"location": "Tokyo"})),
        ("call_fixed", "Glob", json!({"pattern": "**/*.pdf"})),
    ]
    .into_iter()
    .enumerate()
    {
        let fragments: Vec<&Value> = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
            .flatten()
            .filter(|f| f["index"] == index)
            .collect();
        assert_eq!(
            *fragments[0],
            json!({"index": index, "id": id, "type": "function",
                   "function": {"name": name, "arguments": ""}})
        );
        let rest = &fragments[1..];
        assert!((2..=3).contains(&rest.len()), "{rest:?}");
        for fragment in rest {
            assert!(fragment.get("id").is_none(), "{fragment}");
            assert!(fragment["function"].get("name").is_none(), "{fragment}");
        }
        let arguments: String = rest
            .iter()
            .map(|f| f["function"]["arguments"].as_str().unwrap())
            .collect();
        assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), input);
    }

    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    let usage = &usage_chunk["usage"];
    let body_len = serde_json::to_vec(&body).unwrap().len() as u64;
    assert_eq!(usage["prompt_tokens"], body_len / 4);
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    for chunk in &chunks[..chunks.len() - 1] {
        assert_eq!(chunk["usage"], Value::Null);
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn without_include_usage_there_is_no_usage_chunk_and_text_stops() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "All done."}]})));
    let mut body = openai_body(conversation(0), false);
    body.as_object_mut().unwrap().remove("stream_options");
    let frames = frames(&post_openai(&server, &body).await.text().await.unwrap());
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let chunks = chunks(&frames);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(openai_text(&frames), "All done.");
}

#[tokio::test]
async fn our_chunks_have_the_same_fields_as_the_recorded_real_stream() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let fixture = std::fs::read_to_string(
        fixtures.join("aiomodels/tests/openai/chat_completion_chunks/get_weather.chunks.jsonl"),
    )
    .unwrap();
    let real: Vec<Value> = fixture
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let server = tool_script();
    let ours = chunks(&frames(
        &post_openai(&server, &openai_body(conversation(0), true))
            .await
            .text()
            .await
            .unwrap(),
    ));
    // The fixture was dumped by the SDK, which fills absent fields with
    // null: every field we send must exist there, with the same kind of
    // value where both are set.
    fn non_null_keys(value: &Value) -> BTreeSet<String> {
        value
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k.clone())
            .collect()
    }
    let real_top: BTreeSet<String> = real[0].as_object().unwrap().keys().cloned().collect();
    for chunk in &ours {
        assert!(non_null_keys(chunk).is_subset(&real_top), "{chunk}");
    }
    let real_first_fragment = &real[1]["choices"][0]["delta"]["tool_calls"][0];
    let our_first_fragment = ours
        .iter()
        .find_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .unwrap();
    assert_eq!(
        non_null_keys(our_first_fragment),
        non_null_keys(real_first_fragment)
    );
    assert_eq!(
        non_null_keys(&our_first_fragment["function"]),
        non_null_keys(&real_first_fragment["function"])
    );
    let real_usage = real.last().unwrap();
    let our_usage = ours.last().unwrap();
    assert_eq!(real_usage["choices"], our_usage["choices"]);
    for key in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        assert!(our_usage["usage"][key].is_u64(), "{key}");
        assert!(real_usage["usage"][key].is_u64(), "{key}");
    }
}

#[tokio::test]
async fn a_stream_error_is_an_error_object_and_no_done() {
    let server = MockModelServer::start(script(json!({"turns": [{
        "text": "Half an ans",
        "stream_error": "upstream went away"
    }]})));
    let frames = frames(
        &post_openai(&server, &openai_body(conversation(0), true))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(frames.iter().all(|f| f.data != "[DONE]"));
    assert_eq!(openai_text(&frames), "Half an ans");
    assert_eq!(
        frames.last().unwrap().json(),
        json!({"error": {"message": "upstream went away", "type": "server_error"}})
    );
}

#[tokio::test]
async fn raw_input_is_sent_verbatim_as_the_arguments() {
    let raw = "{\"pattern\": \"**/*.pdf\"";
    let server = MockModelServer::start(script(json!({"turns": [{
        "tool_calls": [{"name": "Glob", "raw_input": raw}]
    }]})));
    let frames = frames(
        &post_openai(&server, &openai_body(conversation(0), false))
            .await
            .text()
            .await
            .unwrap(),
    );
    let arguments: String = chunks(&frames)
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0).cloned())
        .filter_map(|f| f["function"]["arguments"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(arguments, raw);
}

#[tokio::test]
async fn no_authorization_is_accepted_but_a_non_bearer_one_is_refused() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "hi"}]})));
    let client = reqwest::Client::new();
    let url = format!("{}/chat/completions", server.openai_url());
    let body = openai_body(conversation(0), false);

    let keyless = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(
        keyless.status(),
        200,
        "local servers such as Ollama take no key"
    );

    for bad in ["Basic dXNlcjpwYXNz", "Bearer ", "test-key"] {
        let response = client
            .post(&url)
            .header("authorization", bad)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{bad:?}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_api_key");
        assert!(error["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn a_request_without_stream_true_is_a_400_in_openai_shape() {
    let server = MockModelServer::start(script(json!({"turns": [{"text": "hi"}]})));
    let mut body = openai_body(conversation(0), false);
    body["stream"] = json!(false);
    let response = post_openai(&server, &body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stream")
    );
}
