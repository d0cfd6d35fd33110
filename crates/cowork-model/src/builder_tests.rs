use cowork_protocol::{ContentBlock, StopReason, Usage};
use serde_json::json;

use super::{MAX_RESPONSE_BYTES, ResponseBuilder};
use crate::{ModelError, ModelEvent};

fn start(index: usize, id: &str, name: &str) -> ModelEvent {
    ModelEvent::ToolCallStart {
        index,
        id: id.into(),
        name: name.into(),
    }
}

fn delta(index: usize, json: &str) -> ModelEvent {
    ModelEvent::ToolCallDelta {
        index,
        partial_json: json.into(),
    }
}

fn build(events: Vec<ModelEvent>) -> Result<crate::ModelResponse, ModelError> {
    let mut builder = ResponseBuilder::for_provider("test");
    for event in events {
        builder.push(event);
    }
    builder.finish()
}

#[test]
fn blocks_keep_the_order_the_model_produced_them_in() {
    let response = build(vec![
        ModelEvent::TextDelta("a".into()),
        ModelEvent::TextDelta("b".into()),
        start(1, "t1", "Read"),
        delta(1, r#"{"file_path""#),
        ModelEvent::TextDelta("between".into()),
        delta(1, r#":"x"}"#),
        ModelEvent::TextDelta("c".into()),
        start(0, "t0", "Glob"),
        ModelEvent::Stop(StopReason::ToolUse),
    ])
    .unwrap();
    assert_eq!(
        response.content,
        vec![
            ContentBlock::Text { text: "ab".into() },
            ContentBlock::ToolUse {
                id: "t1".into(),
                name: "Read".into(),
                input: json!({"file_path": "x"}),
                invalid_input: None
            },
            ContentBlock::Text {
                text: "betweenc".into()
            },
            ContentBlock::ToolUse {
                id: "t0".into(),
                name: "Glob".into(),
                input: json!({}),
                invalid_input: None
            },
        ]
    );
}

#[test]
fn arguments_that_are_not_an_object_are_reported_not_failed() {
    let response = build(vec![
        start(0, "a", "Read"),
        delta(0, r#"{"file_path": "x"#),
        start(1, "b", "Read"),
        delta(1, "[1, 2]"),
        ModelEvent::Stop(StopReason::ToolUse),
    ])
    .unwrap();
    let invalid: Vec<_> = response
        .content
        .iter()
        .map(|block| match block {
            ContentBlock::ToolUse {
                input,
                invalid_input,
                ..
            } => {
                assert_eq!(input, &json!({}));
                invalid_input.clone().unwrap()
            }
            other => panic!("unexpected block {other:?}"),
        })
        .collect();
    assert_eq!(invalid[0].raw, r#"{"file_path": "x"#);
    assert!(
        invalid[0].error.contains("not valid JSON"),
        "{}",
        invalid[0].error
    );
    assert!(
        invalid[1].error.contains("an array"),
        "{}",
        invalid[1].error
    );
}

#[test]
fn later_non_zero_usage_fields_override_earlier_ones() {
    let response = build(vec![
        ModelEvent::Usage(Usage {
            input_tokens: 10,
            output_tokens: 1,
            cache_creation_input_tokens: 5,
            cache_read_input_tokens: 0,
        }),
        ModelEvent::Usage(Usage {
            output_tokens: 42,
            ..Usage::default()
        }),
        ModelEvent::Stop(StopReason::EndTurn),
    ])
    .unwrap();
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 10,
            output_tokens: 42,
            cache_creation_input_tokens: 5,
            cache_read_input_tokens: 0
        }
    );
}

#[test]
fn a_stream_without_stop_is_truncated() {
    let err = build(vec![ModelEvent::TextDelta("half an ans".into())]).unwrap_err();
    assert!(
        matches!(&err, ModelError::Protocol { provider: "test", message } if message.contains("truncated")),
        "{err}"
    );
}

#[test]
fn the_models_stop_reason_is_kept_even_with_tool_calls() {
    let response = build(vec![
        start(0, "a", "Read"),
        ModelEvent::Stop(StopReason::EndTurn),
    ])
    .unwrap();
    assert_eq!(response.stop_reason, StopReason::EndTurn);
}

#[test]
fn a_delta_for_a_tool_call_that_never_started_is_a_protocol_error() {
    let err = build(vec![delta(3, "{}"), ModelEvent::Stop(StopReason::ToolUse)]).unwrap_err();
    assert!(matches!(err, ModelError::Protocol { .. }), "{err}");
}

#[test]
fn an_answer_past_the_size_cap_fails_as_too_large() {
    // Regression: one tool input streamed in without bound was held whole.
    let mut builder = ResponseBuilder::for_provider("test");
    builder.push(start(0, "a", "Write"));
    let piece = "x".repeat(1024 * 1024);
    for _ in 1..(MAX_RESPONSE_BYTES / piece.len()) {
        builder.push(delta(0, &piece));
        assert!(builder.check().is_ok(), "still within the cap");
    }
    // The last piece reaches the cap exactly; the start's id and name
    // put it over.
    builder.push(delta(0, &piece));
    let err = builder.check().unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::ResponseTooLarge {
                provider: "test",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_transient(), "not retried");
    assert!(err.to_string().contains("32 MiB"), "{err}");
    builder.push(ModelEvent::Stop(StopReason::ToolUse));
    assert!(matches!(
        builder.finish(),
        Err(ModelError::ResponseTooLarge { .. })
    ));
}
