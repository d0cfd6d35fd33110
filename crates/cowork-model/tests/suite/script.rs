//! The scripted model.

use std::time::Duration;

use cowork_model::{Model, ModelError, ModelEvent, ModelRequest, ScriptModel};
use cowork_protocol::script::{Script, ScriptToolCall, ScriptTurn};
use cowork_protocol::{ContentBlock, Message, StopReason, Usage};
use futures::StreamExt;
use serde_json::json;

fn request() -> ModelRequest {
    ModelRequest::new("system prompt", vec![Message::user_text("find the PDFs")])
}

fn script() -> Script {
    serde_json::from_value(json!({"turns": [
        {"tool_calls": [{"name": "Glob", "input": {"pattern": "**/*.pdf"}}]},
        {"text": "I found 3 PDFs. Reading the first.", "tool_calls": [
            {"name": "Read", "input": {"file_path": "a.pdf"}, "id": "mine"},
            {"name": "Read", "raw_input": "{\"file_path\": "}
        ]},
        {"text": "Done.", "usage": {"input_tokens": 7, "output_tokens": 3}}
    ]}))
    .unwrap()
}

#[tokio::test]
async fn turns_are_answered_in_order_then_the_script_is_exhausted() {
    let model = ScriptModel::new(script());
    let first = model.complete(request()).await.unwrap();
    assert_eq!(first.stop_reason, StopReason::ToolUse);
    assert_eq!(
        first.content,
        vec![ContentBlock::ToolUse {
            id: "call_0_0".into(),
            name: "Glob".into(),
            input: json!({"pattern": "**/*.pdf"}),
            invalid_input: None,
        }]
    );

    let second = model.complete(request()).await.unwrap();
    assert_eq!(second.content.len(), 3);
    assert_eq!(
        second.content[0],
        ContentBlock::Text {
            text: "I found 3 PDFs. Reading the first.".into()
        }
    );
    assert!(
        matches!(&second.content[1], ContentBlock::ToolUse { id, input, .. } if id == "mine" && input == &json!({"file_path": "a.pdf"}))
    );
    assert!(matches!(&second.content[2],
        ContentBlock::ToolUse { id, invalid_input: Some(bad), .. } if id == "call_1_1" && bad.raw == "{\"file_path\": "));

    let third = model.complete(request()).await.unwrap();
    assert_eq!(third.stop_reason, StopReason::EndTurn);
    assert_eq!(
        third.usage,
        Usage {
            input_tokens: 7,
            output_tokens: 3,
            ..Usage::default()
        }
    );

    let err = model.complete(request()).await.unwrap_err();
    assert!(
        matches!(err, ModelError::ScriptExhausted { turns: 3, call: 3 }),
        "{err}"
    );
}

#[tokio::test]
async fn text_and_arguments_stream_in_several_pieces() {
    let model = ScriptModel::new(script()).with_start(1);
    let events: Vec<ModelEvent> = model.stream(request()).map(Result::unwrap).collect().await;
    let texts = events
        .iter()
        .filter(|e| matches!(e, ModelEvent::TextDelta(_)))
        .count();
    assert!(texts >= 2, "{events:?}");
    for index in 0..2 {
        let pieces = events
            .iter()
            .filter(|e| matches!(e, ModelEvent::ToolCallDelta { index: i, .. } if *i == index))
            .count();
        assert!(pieces >= 2, "call {index} arrived in {pieces} piece(s)");
    }
    assert!(matches!(events.first(), Some(ModelEvent::Usage(_))));
    assert!(matches!(
        events.last(),
        Some(ModelEvent::Stop(StopReason::ToolUse))
    ));
}

#[tokio::test]
async fn usage_is_estimated_from_sizes_when_the_turn_gives_none() {
    let model = ScriptModel::new(script());
    let small = model.complete(request()).await.unwrap();
    let big_request =
        ModelRequest::new("system prompt", vec![Message::user_text("x".repeat(4000))]);
    let model = ScriptModel::new(script());
    let big = model.complete(big_request).await.unwrap();
    assert!(small.usage.input_tokens > 0);
    assert!(
        big.usage.input_tokens >= small.usage.input_tokens + 900,
        "{:?} vs {:?}",
        big.usage,
        small.usage
    );
    // `{"pattern":"**/*.pdf"}` is 22 bytes: 6 tokens at 4 bytes each.
    assert_eq!(small.usage.output_tokens, 6);
}

#[tokio::test]
async fn with_start_resumes_at_the_given_turn() {
    let model = ScriptModel::new(script()).with_start(2);
    let answer = model.complete(request()).await.unwrap();
    assert_eq!(
        answer.content,
        vec![ContentBlock::Text {
            text: "Done.".into()
        }]
    );
    assert_eq!(model.calls_made(), 3);
    let err = ScriptModel::new(script())
        .with_start(9)
        .complete(request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ModelError::ScriptExhausted { turns: 3, call: 9 }),
        "{err}"
    );
}

#[tokio::test]
async fn a_stream_error_follows_the_text() {
    let model = ScriptModel::new(Script {
        turns: vec![ScriptTurn {
            text: Some("Working on it".into()),
            tool_calls: vec![ScriptToolCall {
                name: "Never".into(),
                input: json!({}),
                raw_input: None,
                id: None,
            }],
            stream_error: Some("Overloaded".into()),
            ..ScriptTurn::default()
        }],
        context_window: None,
    });
    let items: Vec<_> = model.stream(request()).collect().await;
    let text: String = items
        .iter()
        .filter_map(|i| match i {
            Ok(ModelEvent::TextDelta(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Working on it");
    assert!(
        matches!(items.last(), Some(Err(ModelError::Stream { kind, message, .. })) if kind == "overloaded_error" && message == "Overloaded")
    );
    assert!(
        !items
            .iter()
            .any(|i| matches!(i, Ok(ModelEvent::ToolCallStart { .. })))
    );
}

#[tokio::test(start_paused = true)]
async fn delay_holds_back_the_first_event() {
    let model = ScriptModel::new(Script {
        turns: vec![ScriptTurn {
            text: Some("late".into()),
            delay_ms: Some(5_000),
            ..ScriptTurn::default()
        }],
        context_window: None,
    });
    let mut stream = model.stream(request());
    let early = tokio::time::timeout(Duration::from_millis(4_900), stream.next()).await;
    assert!(early.is_err(), "an event came before the delay");
    assert!(stream.next().await.is_some());
}

#[test]
fn info_reports_the_scripts_context_window() {
    let info = ScriptModel::new(Script {
        turns: vec![],
        context_window: Some(5_000),
    })
    .info();
    assert_eq!(
        (info.provider, info.model.as_str(), info.context_window),
        ("script", "script", 5_000)
    );
    assert_eq!(
        ScriptModel::new(Script::default()).info().context_window,
        200_000
    );
}

#[tokio::test]
async fn a_script_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.json");
    std::fs::write(&path, serde_json::to_string(&script()).unwrap()).unwrap();
    let model = ScriptModel::from_file(&path).unwrap();
    assert_eq!(
        model.complete(request()).await.unwrap().stop_reason,
        StopReason::ToolUse
    );
}

#[test]
fn an_invalid_script_file_names_the_file_and_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"turns\": [\n  {\"txt\": \"hi\"}\n]}").unwrap();
    let err = ScriptModel::from_file(&path).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ModelError::Config { .. }));
    assert!(text.contains("broken.json"), "{text}");
    assert!(text.contains("txt") && text.contains("line 2"), "{text}");
}

#[test]
fn a_missing_script_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.json");
    let err = ScriptModel::from_file(&path).unwrap_err();
    assert!(
        matches!(&err, ModelError::Config { message, .. } if message.contains("absent.json")),
        "{err}"
    );
}
