//! Streams of both providers — our own, and recorded ones when the shared
//! fixtures are beside the repository — whole and cut up every way.

use cowork_model::anthropic::AnthropicDecoder;
use cowork_model::openai::OpenAiDecoder;
use cowork_model::{ModelError, ModelEvent};
use cowork_protocol::{ContentBlock, StopReason, Usage};
use serde_json::json;

use super::wire::{
    ANTHROPIC_BASIC, ANTHROPIC_ERROR, ANTHROPIC_TOOL_USE, OWN_ANTHROPIC_ERROR, OWN_ANTHROPIC_TEXT,
    OWN_ANTHROPIC_TOOL_USE, assert_split_invariant, events, openai_get_weather, own,
    own_openai_tool_call, recorded, response,
};

fn text(block: &ContentBlock) -> &str {
    match block {
        ContentBlock::Text { text } => text,
        other => panic!("expected text, got {other:?}"),
    }
}

/// Every Anthropic stream at hand: ours always, the recordings when present.
fn anthropic_streams() -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = [
        OWN_ANTHROPIC_TEXT,
        OWN_ANTHROPIC_TOOL_USE,
        OWN_ANTHROPIC_ERROR,
    ]
    .into_iter()
    .map(own)
    .collect();
    for name in [ANTHROPIC_BASIC, ANTHROPIC_TOOL_USE, ANTHROPIC_ERROR] {
        all.extend(recorded(name));
    }
    all
}

/// Every OpenAI stream at hand, as the server sends them.
fn openai_streams() -> Vec<Vec<u8>> {
    let mut all = vec![own_openai_tool_call()];
    all.extend(openai_get_weather());
    all
}

#[test]
fn our_anthropic_text_stream_gives_text_stop_and_usage() {
    let response = response::<AnthropicDecoder>(&[&own(OWN_ANTHROPIC_TEXT)]).unwrap();
    assert_eq!(response.content.len(), 1);
    assert_eq!(
        text(&response.content[0]),
        "Three notes mention the budget — café ☕ included."
    );
    assert_eq!(response.stop_reason, StopReason::EndTurn);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 23,
            output_tokens: 12,
            ..Usage::default()
        }
    );
}

#[test]
fn our_anthropic_tool_stream_gives_text_then_the_parsed_call_and_cache_usage() {
    let response = response::<AnthropicDecoder>(&[&own(OWN_ANTHROPIC_TOOL_USE)]).unwrap();
    assert_eq!(response.content.len(), 2);
    assert_eq!(text(&response.content[0]), "Let me find the receipts.");
    assert_eq!(
        response.content[1],
        ContentBlock::ToolUse {
            id: "toolu_cowork_glob_1".into(),
            name: "Glob".into(),
            input: json!({"pattern": "receipts/**/*.pdf", "path": "2026"}),
            invalid_input: None,
        }
    );
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(response.usage.input_tokens, 512);
    assert_eq!(response.usage.cache_read_input_tokens, 384);
    assert_eq!(response.usage.output_tokens, 41);
}

#[test]
fn our_openai_stream_gives_the_merged_tool_call_finish_reason_and_usage() {
    let response = response::<OpenAiDecoder>(&[&own_openai_tool_call()]).unwrap();
    assert_eq!(
        response.content,
        vec![ContentBlock::ToolUse {
            id: "call_cowork_grep_1".into(),
            name: "Grep".into(),
            input: json!({"pattern": "invoice", "glob": "*.md"}),
            invalid_input: None,
        }]
    );
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 301,
            output_tokens: 27,
            ..Usage::default()
        }
    );
}

#[test]
fn anthropic_basic_recording_gives_text_stop_and_usage() {
    let Some(bytes) = recorded(ANTHROPIC_BASIC) else {
        return;
    };
    let response = response::<AnthropicDecoder>(&[&bytes]).unwrap();
    assert_eq!(response.content.len(), 1);
    assert_eq!(text(&response.content[0]), "Hello there!");
    assert_eq!(response.stop_reason, StopReason::EndTurn);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 11,
            output_tokens: 6,
            ..Usage::default()
        }
    );
}

#[test]
fn anthropic_tool_use_recording_gives_text_then_the_parsed_call() {
    let Some(bytes) = recorded(ANTHROPIC_TOOL_USE) else {
        return;
    };
    let response = response::<AnthropicDecoder>(&[&bytes]).unwrap();
    assert_eq!(response.content.len(), 2);
    assert_eq!(
        text(&response.content[0]),
        "I'll check the current weather in Paris for you."
    );
    assert_eq!(
        response.content[1],
        ContentBlock::ToolUse {
            id: "toolu_01NRLabsLyVHZPKxbKvkfSMn".into(),
            name: "get_weather".into(),
            input: json!({"location": "Paris"}),
            invalid_input: None,
        }
    );
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(response.usage.input_tokens, 377);
    assert_eq!(response.usage.output_tokens, 65);
}

#[test]
fn anthropic_error_events_are_stream_errors_of_their_kind() {
    let mut streams = vec![own(OWN_ANTHROPIC_ERROR)];
    streams.extend(recorded(ANTHROPIC_ERROR));
    for bytes in streams {
        let err = events::<AnthropicDecoder>(&[&bytes]).unwrap_err();
        match &err {
            ModelError::Stream {
                provider,
                kind,
                message,
            } => {
                assert_eq!(*provider, "anthropic");
                assert_eq!(kind, "overloaded_error");
                assert_eq!(message, "Overloaded");
            }
            other => panic!("expected a stream error, got {other:?}"),
        }
        assert!(err.is_transient());
    }
}

#[test]
fn openai_recording_gives_the_merged_tool_call_finish_reason_and_usage() {
    let Some(bytes) = openai_get_weather() else {
        return;
    };
    let response = response::<OpenAiDecoder>(&[&bytes]).unwrap();
    assert_eq!(
        response.content,
        vec![ContentBlock::ToolUse {
            id: "call_PieqNSej6kM9hgYbcQdbZSaC".into(),
            name: "get_weather".into(),
            input: json!({"location": "Tokyo"}),
            invalid_input: None,
        }]
    );
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 67,
            output_tokens: 31,
            ..Usage::default()
        }
    );
}

#[test]
fn anthropic_streams_decode_the_same_however_they_are_cut() {
    for bytes in anthropic_streams() {
        assert_split_invariant::<AnthropicDecoder>(&bytes);
    }
}

#[test]
fn openai_streams_decode_the_same_however_they_are_cut() {
    for bytes in openai_streams() {
        assert_split_invariant::<OpenAiDecoder>(&bytes);
    }
}

#[test]
fn crlf_line_endings_decode_like_lf() {
    for lf in anthropic_streams() {
        let crlf = String::from_utf8(lf.clone()).unwrap().replace('\n', "\r\n");
        assert_eq!(
            response::<AnthropicDecoder>(&[crlf.as_bytes()]),
            response::<AnthropicDecoder>(&[&lf])
        );
        assert_split_invariant::<AnthropicDecoder>(crlf.as_bytes());
    }
    for openai in openai_streams() {
        let crlf = String::from_utf8(openai.clone())
            .unwrap()
            .replace('\n', "\r\n");
        assert_eq!(
            response::<OpenAiDecoder>(&[crlf.as_bytes()]),
            response::<OpenAiDecoder>(&[&openai])
        );
    }
}

#[test]
fn unknown_events_and_blocks_are_ignored() {
    let mut stream = String::from_utf8(own(OWN_ANTHROPIC_TEXT)).unwrap();
    let extra = concat!(
        "event: brand_new_event\ndata: {\"type\":\"brand_new_event\",\"x\":1}\n\n",
        "event: vendor_thing\ndata: not json at all\n\n",
        ": a comment\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":5,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":5,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":5,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"abc\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}\n\n",
    );
    let at = stream.find("event: content_block_stop").unwrap();
    stream.insert_str(at, extra);
    let response = response::<AnthropicDecoder>(&[stream.as_bytes()]).unwrap();
    assert_eq!(response.content.len(), 1);
    assert_eq!(
        text(&response.content[0]),
        "Three notes mention the budget — café ☕ included."
    );
}

#[test]
fn an_anthropic_stream_cut_before_message_stop_is_truncated() {
    let mut streams = vec![own(OWN_ANTHROPIC_TOOL_USE)];
    streams.extend(recorded(ANTHROPIC_TOOL_USE));
    for whole in streams {
        let text = String::from_utf8(whole).unwrap();
        for marker in [
            "event: message_stop",
            "event: message_delta",
            "event: content_block_stop",
        ] {
            let cut = text.rfind(marker).unwrap();
            let err = events::<AnthropicDecoder>(&[&text.as_bytes()[..cut]]).unwrap_err();
            assert!(
                matches!(&err, ModelError::Protocol { message, .. } if message.contains("truncated")),
                "cut before {marker}: {err}"
            );
        }
    }
}

#[test]
fn an_openai_stream_cut_before_the_finish_reason_is_truncated() {
    for whole in openai_streams() {
        let whole = String::from_utf8(whole).unwrap();
        let cut = whole.find("\"finish_reason\": \"tool_calls\"").unwrap();
        let cut = whole[..cut].rfind("data:").unwrap();
        let err = events::<OpenAiDecoder>(&[&whole.as_bytes()[..cut]]).unwrap_err();
        assert!(
            matches!(&err, ModelError::Protocol { message, .. } if message.contains("truncated")),
            "{err}"
        );
    }
}

#[test]
fn an_openai_stream_without_done_is_accepted_when_it_finished() {
    for whole in openai_streams() {
        let whole = String::from_utf8(whole).unwrap();
        let without_done = whole.replace("data: [DONE]\n\n", "");
        assert_eq!(
            response::<OpenAiDecoder>(&[without_done.as_bytes()]),
            response::<OpenAiDecoder>(&[whole.as_bytes()])
        );
    }
}

fn anthropic_tool_stream(partial_jsons: &[&str]) -> String {
    let mut out = String::from(concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Read\",\"input\":{}}}\n\n",
    ));
    for piece in partial_jsons {
        let delta = json!({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "input_json_delta", "partial_json": piece}});
        out.push_str(&format!("event: content_block_delta\ndata: {delta}\n\n"));
    }
    out.push_str(concat!(
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ));
    out
}

#[test]
fn invalid_json_in_tool_input_is_reported_on_the_block_not_as_an_error() {
    let stream = anthropic_tool_stream(&["{\"file_path\": ", "\"a.txt"]);
    let response = response::<AnthropicDecoder>(&[stream.as_bytes()]).unwrap();
    match &response.content[0] {
        ContentBlock::ToolUse {
            input,
            invalid_input: Some(invalid),
            ..
        } => {
            assert_eq!(input, &json!({}));
            assert_eq!(invalid.raw, "{\"file_path\": \"a.txt");
            assert!(!invalid.error.is_empty());
        }
        other => panic!("expected an invalid tool call, got {other:?}"),
    }
}

#[test]
fn empty_tool_input_becomes_an_empty_object() {
    for pieces in [&[][..], &[""][..]] {
        let stream = anthropic_tool_stream(pieces);
        let response = response::<AnthropicDecoder>(&[stream.as_bytes()]).unwrap();
        assert!(matches!(
            &response.content[0],
            ContentBlock::ToolUse { input, invalid_input: None, .. } if input == &json!({})
        ));
    }
}

fn openai_chunks(chunks: &[serde_json::Value]) -> String {
    let mut out: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    out.push_str("data: [DONE]\n\n");
    out
}

#[test]
fn a_whole_tool_call_in_one_chunk_is_one_call() {
    // Ollama's shape: id, name and complete arguments together, two calls
    // in one delta, and the same id repeated on no later chunk.
    let stream = openai_chunks(&[
        json!({"choices": [{"delta": {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_a", "index": 0, "type": "function", "function": {"name": "Read", "arguments": "{\"file_path\":\"a\"}"}},
            {"id": "call_b", "index": 1, "type": "function", "function": {"name": "Glob", "arguments": "{\"pattern\":\"*\"}"}}
        ]}, "finish_reason": null}]}),
        json!({"choices": [{"delta": {"content": ""}, "finish_reason": "tool_calls"}]}),
    ]);
    let response = response::<OpenAiDecoder>(&[stream.as_bytes()]).unwrap();
    assert_eq!(response.content.len(), 2);
    assert!(matches!(&response.content[0],
        ContentBlock::ToolUse { id, name, input, .. } if id == "call_a" && name == "Read" && input == &json!({"file_path": "a"})));
    assert!(matches!(&response.content[1],
        ContentBlock::ToolUse { id, name, input, .. } if id == "call_b" && name == "Glob" && input == &json!({"pattern": "*"})));
}

#[test]
fn a_repeated_id_continues_the_call_and_a_new_id_at_the_same_index_starts_another() {
    let stream = openai_chunks(&[
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "Read", "arguments": "{\"a\""}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "Read", "arguments": ":1}"}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "c2", "function": {"name": "Write", "arguments": {"b": 2}}}]}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}], "usage": null}),
        json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 60}}}),
    ]);
    let all = events::<OpenAiDecoder>(&[stream.as_bytes()]).unwrap();
    let starts = all
        .iter()
        .filter(|e| matches!(e, ModelEvent::ToolCallStart { .. }))
        .count();
    assert_eq!(starts, 2, "{all:?}");
    assert!(
        matches!(all.last(), Some(ModelEvent::Stop(StopReason::ToolUse))),
        "stop comes last, after usage"
    );
    let response = response::<OpenAiDecoder>(&[stream.as_bytes()]).unwrap();
    assert!(
        matches!(&response.content[0], ContentBlock::ToolUse { input, .. } if input == &json!({"a": 1}))
    );
    assert!(
        matches!(&response.content[1], ContentBlock::ToolUse { id, input, .. } if id == "c2" && input == &json!({"b": 2}))
    );
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 40,
            output_tokens: 7,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 60
        },
        "cached tokens are counted once"
    );
}

#[test]
fn an_openai_error_object_in_the_stream_is_a_stream_error() {
    let stream = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"partial\"}}]}\n\n",
        "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n",
    );
    let mut decoder = OpenAiDecoder::new();
    let items = decoder.feed(stream.as_bytes());
    assert!(matches!(&items[0], Ok(ModelEvent::TextDelta(t)) if t == "partial"));
    assert!(
        matches!(&items[1], Err(ModelError::Stream { kind, message, .. }) if kind == "server_error" && message == "boom")
    );
    assert!(decoder.finish().is_empty(), "nothing follows an error");
}

#[test]
fn openai_text_answers_stream_as_text() {
    let stream = openai_chunks(&[
        json!({"choices": [{"delta": {"role": "assistant", "content": null}, "finish_reason": null}]}),
        json!({"choices": [{"delta": {"content": "Bonjour"}, "finish_reason": null}]}),
        json!({"choices": [{"delta": {"content": " à tous"}, "finish_reason": "stop"}]}),
    ]);
    let response = response::<OpenAiDecoder>(&[stream.as_bytes()]).unwrap();
    assert_eq!(
        response.content,
        vec![ContentBlock::Text {
            text: "Bonjour à tous".into()
        }]
    );
    assert_eq!(response.stop_reason, StopReason::EndTurn);
}

#[test]
fn a_tool_input_given_whole_at_block_start_is_kept() {
    let stream = concat!(
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t9\",\"name\":\"Glob\",\"input\":{\"pattern\":\"*.md\"}}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":3}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let response = response::<AnthropicDecoder>(&[stream.as_bytes()]).unwrap();
    assert_eq!(
        response.content,
        vec![ContentBlock::ToolUse {
            id: "t9".into(),
            name: "Glob".into(),
            input: json!({"pattern": "*.md"}),
            invalid_input: None,
        }]
    );
}

#[test]
fn an_endless_event_from_either_server_fails_as_too_large() {
    // Regression: a server streaming one 500 MB event was buffered whole.
    let chunk = vec![b'a'; 4 * 1024 * 1024];
    let rounds = cowork_model::sse::MAX_EVENT_BYTES / chunk.len() + 1;
    let mut anthropic = AnthropicDecoder::new();
    let mut openai = OpenAiDecoder::new();
    let mut anthropic_out = anthropic.feed(b"event: content_block_delta\ndata: ");
    let mut openai_out = openai.feed(b"data: ");
    for _ in 0..rounds {
        anthropic_out.extend(anthropic.feed(&chunk));
        openai_out.extend(openai.feed(&chunk));
    }
    for out in [anthropic_out, openai_out] {
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            matches!(out[0], Err(ModelError::ResponseTooLarge { .. })),
            "{:?}",
            out[0]
        );
    }
}

#[test]
fn openai_arguments_for_a_call_without_a_name_are_bounded() {
    let mut decoder = OpenAiDecoder::new();
    let piece = "x".repeat(1024 * 1024);
    let chunk = format!(
        "data: {}\n\n",
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}}]})
    );
    let mut out = Vec::new();
    for _ in 0..=(cowork_model::MAX_RESPONSE_BYTES / piece.len()) {
        out.extend(decoder.feed(chunk.as_bytes()));
    }
    assert!(
        matches!(out.last(), Some(Err(ModelError::ResponseTooLarge { .. }))),
        "{:?}",
        out.last()
    );
}
