use cowork_protocol::script::{ScriptToolCall, ScriptTurn};
use serde_json::{Value, json};

use super::*;

fn call(name: &str, input: Value) -> ScriptToolCall {
    ScriptToolCall {
        name: name.to_owned(),
        input,
        raw_input: None,
        id: None,
    }
}

fn data_of(frames: &[SseFrame]) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f.data != "[DONE]")
        .map(|f| serde_json::from_str(&f.data).unwrap())
        .collect()
}

#[test]
fn pieces_cover_the_text_exactly_and_respect_char_boundaries() {
    for (text, count) in [
        ("", 3),
        ("a", 3),
        ("ab", 3),
        ("{}", 3),
        ("héllo wörld ✓✓✓", 3),
        ("a fairly long sentence", 5),
    ] {
        let pieces = split_pieces(text, count);
        assert_eq!(pieces.concat(), text);
        assert!(pieces.len() <= count.max(1), "{text:?}: {pieces:?}");
        if !text.is_empty() {
            assert!(pieces.iter().all(|p| !p.is_empty()), "{text:?}: {pieces:?}");
        }
    }
    assert_eq!(split_pieces("{\"a\":1}", 3).len(), 3);
    assert_eq!(split_pieces("{}", 3), vec!["{", "}"]);
}

#[test]
fn parse_sse_reads_events_multiline_data_and_a_missing_final_blank_line() {
    let frames = parse_sse(": comment\nevent: a\ndata: 1\ndata: 2\n\ndata: x\n\nevent: b\ndata:y");
    assert_eq!(
        frames,
        vec![
            SseFrame {
                event: Some("a".into()),
                data: "1\n2".into()
            },
            SseFrame {
                event: None,
                data: "x".into()
            },
            SseFrame {
                event: Some("b".into()),
                data: "y".into()
            },
        ]
    );
}

#[test]
fn scripted_usage_wins_over_the_estimate_in_both_formats() {
    let turn = ScriptTurn {
        text: Some("hi".into()),
        usage: Some(cowork_protocol::Usage {
            input_tokens: 100,
            output_tokens: 7,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 20,
        }),
        ..ScriptTurn::default()
    };
    let anthropic = data_of(&parse_sse(&anthropic_sse(&turn, 0, 999)));
    assert_eq!(anthropic[0]["message"]["usage"]["input_tokens"], 100);
    assert_eq!(
        anthropic[0]["message"]["usage"]["cache_read_input_tokens"],
        20
    );
    let delta = anthropic
        .iter()
        .find(|d| d["type"] == "message_delta")
        .unwrap();
    assert_eq!(delta["usage"]["output_tokens"], 7);

    let openai = data_of(&parse_sse(&openai_sse(&turn, 0, true, 999)));
    let usage = &openai.last().unwrap()["usage"];
    assert_eq!(usage["prompt_tokens"], 120);
    assert_eq!(usage["completion_tokens"], 7);
    assert_eq!(usage["total_tokens"], 127);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 20);
}

#[test]
fn estimated_usage_counts_request_and_generated_bytes_at_four_per_token() {
    let turn = ScriptTurn {
        text: Some("12345678".into()),
        tool_calls: vec![call("Read", json!({"a": 1}))],
        ..ScriptTurn::default()
    };
    // 8 bytes of text + "Read" + {"a":1} = 8 + 4 + 7 = 19 bytes.
    let usage = turn_usage(&turn, 42);
    assert_eq!(usage.input_tokens, 42);
    assert_eq!(usage.output_tokens, 4);
}

#[test]
fn a_turn_with_no_text_has_no_text_block_and_ends_the_turn() {
    let turn = ScriptTurn::default();
    let events: Vec<_> = parse_sse(&anthropic_sse(&turn, 3, 1))
        .into_iter()
        .map(|f| f.event.unwrap())
        .collect();
    assert_eq!(
        events,
        ["message_start", "ping", "message_delta", "message_stop"]
    );
    let data = data_of(&parse_sse(&anthropic_sse(&turn, 3, 1)));
    assert_eq!(data[0]["message"]["id"], "msg_mock_3");
    assert_eq!(data[2]["delta"]["stop_reason"], "end_turn");
}

#[test]
fn openai_chunks_without_include_usage_have_no_usage_field() {
    let turn = ScriptTurn {
        text: Some("hello".into()),
        ..ScriptTurn::default()
    };
    let frames = parse_sse(&openai_sse(&turn, 0, false, 1));
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    for chunk in data_of(&frames) {
        assert!(chunk.get("usage").is_none(), "{chunk}");
        assert_eq!(chunk["object"], "chat.completion.chunk");
    }
}

#[test]
fn openai_stream_error_follows_the_content_and_has_no_done() {
    let turn = ScriptTurn {
        text: Some("partial answer".into()),
        tool_calls: vec![call("Read", json!({}))],
        stream_error: Some("boom".into()),
        ..ScriptTurn::default()
    };
    let frames = parse_sse(&openai_sse(&turn, 0, true, 1));
    assert!(frames.iter().all(|f| f.data != "[DONE]"));
    let data = data_of(&frames);
    let last = data.last().unwrap();
    assert_eq!(last["error"]["message"], "boom");
    assert_eq!(last["error"]["type"], "server_error");
    let text: String = data
        .iter()
        .filter_map(|d| d["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "partial answer");
    assert!(
        data.iter()
            .all(|d| d["choices"][0]["delta"].get("tool_calls").is_none())
    );
}
