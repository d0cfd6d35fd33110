//! Server-sent event streams for a scripted turn, in both wire formats.
//!
//! These are the exact bytes the mock model server sends, exposed so other
//! crates can unit-test their stream parsers without a socket:
//!
//! ```
//! use cowork_protocol::script::ScriptTurn;
//! use cowork_test_support::sse::{anthropic_sse, parse_sse};
//!
//! let turn = ScriptTurn { text: Some("Hello there!".into()), ..ScriptTurn::default() };
//! let frames = parse_sse(&anthropic_sse(&turn, 0, 10));
//! assert_eq!(frames.first().and_then(|f| f.event.as_deref()), Some("message_start"));
//! assert_eq!(frames.last().and_then(|f| f.event.as_deref()), Some("message_stop"));
//! ```

use cowork_protocol::Usage;
use cowork_protocol::script::ScriptTurn;
use serde_json::{Value, json};

/// The model name the mock streams report.
pub const MOCK_MODEL: &str = "cowork-mock";

/// The `created` timestamp of OpenAI chunks: fixed, so streams are
/// reproducible byte for byte.
const OPENAI_CREATED: u64 = 1_750_000_000;

/// The Anthropic Messages stream for `turn`: `message_start`, `ping`, a text
/// block, one `tool_use` block per call, `message_delta` and `message_stop`
/// — or, with `stream_error`, the text followed by an `error` event.
///
/// `input_tokens` is reported when the turn has no scripted `usage`.
pub fn anthropic_sse(turn: &ScriptTurn, turn_index: usize, input_tokens: u64) -> String {
    anthropic_frames(turn, turn_index, input_tokens).concat()
}

/// The OpenAI chat-completions stream for `turn`: a role chunk, content
/// pieces, tool-call fragments, a `finish_reason` chunk, a usage chunk when
/// `include_usage` (the request's `stream_options.include_usage`), and
/// `data: [DONE]` — or, with `stream_error`, the content followed by an
/// `error` object and no `[DONE]`.
///
/// `input_tokens` is reported when the turn has no scripted `usage`.
pub fn openai_sse(
    turn: &ScriptTurn,
    turn_index: usize,
    include_usage: bool,
    input_tokens: u64,
) -> String {
    openai_frames(turn, turn_index, include_usage, input_tokens).concat()
}

/// Tokens for `bytes` bytes of text, at the mock's rate of 4 bytes a token.
pub fn estimate_tokens(bytes: usize) -> u64 {
    u64::try_from(bytes / 4).unwrap_or(u64::MAX)
}

/// The usage a turn reports: the scripted one, or an estimate from the
/// request size and the bytes the turn generates.
pub fn turn_usage(turn: &ScriptTurn, input_tokens: u64) -> Usage {
    if let Some(usage) = turn.usage {
        return usage;
    }
    let mut generated = turn.text.as_deref().map_or(0, str::len);
    if turn.stream_error.is_none() {
        generated += turn
            .tool_calls
            .iter()
            .map(|call| call.name.len() + call.input_json().len())
            .sum::<usize>();
    }
    Usage {
        input_tokens,
        output_tokens: estimate_tokens(generated),
        ..Usage::default()
    }
}

/// One event of a server-sent event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    /// The `event:` field, absent in OpenAI streams.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Splits a server-sent event stream into its events (blank-line separated;
/// comment lines and fields other than `event` and `data` are skipped).
pub fn parse_sse(text: &str) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    let mut event = None;
    let mut data: Option<String> = None;
    for line in text.lines() {
        if line.is_empty() {
            if event.is_some() || data.is_some() {
                frames.push(SseFrame {
                    event: event.take(),
                    data: data.take().unwrap_or_default(),
                });
            }
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => match &mut data {
                Some(existing) => {
                    existing.push('\n');
                    existing.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
    if event.is_some() || data.is_some() {
        frames.push(SseFrame {
            event,
            data: data.unwrap_or_default(),
        });
    }
    frames
}

/// The Anthropic stream as separate events; the server pauses after the
/// first one (`message_start`) when the turn has a delay.
pub(crate) fn anthropic_frames(
    turn: &ScriptTurn,
    turn_index: usize,
    input_tokens: u64,
) -> Vec<String> {
    let usage = turn_usage(turn, input_tokens);
    let mut frames = vec![
        anthropic_event(
            "message_start",
            &json!({
                "type": "message_start",
                "message": {
                    "id": format!("msg_mock_{turn_index}"),
                    "type": "message",
                    "role": "assistant",
                    "model": MOCK_MODEL,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": {
                        "input_tokens": usage.input_tokens,
                        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
                        "cache_read_input_tokens": usage.cache_read_input_tokens,
                        "output_tokens": usage.output_tokens.min(1),
                    },
                },
            }),
        ),
        anthropic_event("ping", &json!({"type": "ping"})),
    ];

    let mut index = 0;
    if let Some(text) = turn.text.as_deref().filter(|t| !t.is_empty()) {
        frames.push(anthropic_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index,
                    "content_block": {"type": "text", "text": ""}}),
        ));
        for piece in split_pieces(text, text_piece_count(text)) {
            frames.push(anthropic_event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        if let Some(message) = &turn.stream_error {
            // The real API cuts the stream right there: no block stop, no
            // message_delta, no message_stop.
            frames.push(anthropic_stream_error(message));
            return frames;
        }
        frames.push(anthropic_event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    if let Some(message) = &turn.stream_error {
        frames.push(anthropic_stream_error(message));
        return frames;
    }

    for (n, call) in turn.tool_calls.iter().enumerate() {
        frames.push(anthropic_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index,
                    "content_block": {"type": "tool_use", "id": call.id_at(turn_index, n),
                                      "name": call.name, "input": {}}}),
        ));
        let input = call.input_json();
        for piece in split_pieces(&input, 3) {
            frames.push(anthropic_event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece}}),
            ));
        }
        frames.push(anthropic_event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }

    let stop_reason = if turn.tool_calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    };
    frames.push(anthropic_event(
        "message_delta",
        &json!({"type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                "usage": {"output_tokens": usage.output_tokens}}),
    ));
    frames.push(anthropic_event(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    frames
}

/// The OpenAI stream as separate `data:` lines; the server pauses after the
/// first one (the role chunk) when the turn has a delay.
pub(crate) fn openai_frames(
    turn: &ScriptTurn,
    turn_index: usize,
    include_usage: bool,
    input_tokens: u64,
) -> Vec<String> {
    let chunk = |choices: Value| {
        let mut value = json!({
            "id": format!("chatcmpl-mock-{turn_index}"),
            "object": "chat.completion.chunk",
            "created": OPENAI_CREATED,
            "model": MOCK_MODEL,
            "choices": choices,
        });
        // With include_usage, every chunk carries `usage: null` except the
        // final usage chunk, as the real API does.
        if include_usage && let Some(object) = value.as_object_mut() {
            object.insert("usage".to_owned(), Value::Null);
        }
        openai_data(&value)
    };
    let delta = |delta: Value, finish_reason: Option<&str>| {
        chunk(json!([{"index": 0, "delta": delta, "logprobs": null,
                      "finish_reason": finish_reason}]))
    };

    let text = turn.text.as_deref().filter(|t| !t.is_empty());
    let mut frames = vec![delta(
        json!({"role": "assistant", "content": if text.is_some() { json!("") } else { Value::Null }}),
        None,
    )];
    if let Some(text) = text {
        for piece in split_pieces(text, text_piece_count(text)) {
            frames.push(delta(json!({"content": piece}), None));
        }
    }
    if let Some(message) = &turn.stream_error {
        frames.push(openai_data(
            &json!({"error": {"message": message, "type": "server_error"}}),
        ));
        return frames;
    }

    for (n, call) in turn.tool_calls.iter().enumerate() {
        frames.push(delta(
            json!({"tool_calls": [{"index": n, "id": call.id_at(turn_index, n), "type": "function",
                                   "function": {"name": call.name, "arguments": ""}}]}),
            None,
        ));
        let input = call.input_json();
        for piece in split_pieces(&input, 3) {
            frames.push(delta(
                json!({"tool_calls": [{"index": n, "function": {"arguments": piece}}]}),
                None,
            ));
        }
    }

    let finish_reason = if turn.tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    frames.push(delta(json!({}), Some(finish_reason)));
    if include_usage {
        let usage = turn_usage(turn, input_tokens);
        let mut value = json!({
            "id": format!("chatcmpl-mock-{turn_index}"),
            "object": "chat.completion.chunk",
            "created": OPENAI_CREATED,
            "model": MOCK_MODEL,
            "choices": [],
            "usage": {
                "prompt_tokens": usage.prompt_tokens(),
                "completion_tokens": usage.output_tokens,
                "total_tokens": usage.total(),
                "prompt_tokens_details": {"cached_tokens": usage.cache_read_input_tokens},
            },
        });
        if usage.cache_read_input_tokens == 0
            && let Some(usage) = value.get_mut("usage").and_then(Value::as_object_mut)
        {
            usage.remove("prompt_tokens_details");
        }
        frames.push(openai_data(&value));
    }
    frames.push("data: [DONE]\n\n".to_owned());
    frames
}

fn anthropic_event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn anthropic_stream_error(message: &str) -> String {
    anthropic_event(
        "error",
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}),
    )
}

fn openai_data(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// Several pieces for short answers, about one per 20 characters for long
/// ones, so parsers see text arrive the way models send it.
fn text_piece_count(text: &str) -> usize {
    (text.chars().count() / 20).clamp(3, 12)
}

/// Splits `text` into at most `count` non-empty pieces of about equal
/// length, on character boundaries. An empty text is one empty piece, so a
/// tool call with empty arguments still streams a delta.
fn split_pieces(text: &str, count: usize) -> Vec<&str> {
    let chars = text.chars().count();
    let count = count.clamp(1, chars.max(1));
    let per_piece = chars.div_ceil(count).max(1);
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .step_by(per_piece)
        .skip(1)
        .chain(std::iter::once(text.len()))
        .collect();
    let mut pieces = Vec::with_capacity(boundaries.len());
    let mut start = 0;
    for end in boundaries {
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
