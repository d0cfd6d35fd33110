use super::*;
use serde_json::json;

fn call(i: usize, input: serde_json::Value) -> ContentBlock {
    ContentBlock::ToolUse {
        id: format!("call_{i}"),
        name: "Read".into(),
        input,
        invalid_input: None,
    }
}

fn tool_uses(content: &[ContentBlock]) -> Vec<&ContentBlock> {
    content
        .iter()
        .filter(|b| matches!(b, ContentBlock::ToolUse { .. }))
        .collect()
}

#[test]
fn a_turn_within_the_caps_is_kept_as_it_is() {
    let content = vec![
        ContentBlock::Text {
            text: "reading".into(),
        },
        call(0, json!({"file_path": "a.txt"})),
        call(1, json!({"file_path": "b.txt"})),
    ];
    let capped = cap_turn(content.clone());
    assert_eq!(capped.content, content);
    assert!(capped.refusals.is_empty());
}

#[test]
fn calls_past_the_cap_are_dropped_but_one_stand_in_answers_for_them() {
    // Regression: one turn with 10,000 calls was recorded and run whole.
    let content: Vec<ContentBlock> = (0..10_000)
        .map(|i| call(i, json!({"file_path": format!("{i}.txt")})))
        .collect();
    let capped = cap_turn(content);
    let uses = tool_uses(&capped.content);
    assert_eq!(uses.len(), MAX_CALLS_PER_TURN + 1);
    assert_eq!(capped.refusals.len(), 1);
    let stand_in = format!("call_{MAX_CALLS_PER_TURN}");
    let message = &capped.refusals[&stand_in];
    assert!(
        message.contains("This turn had 10000 tool calls"),
        "{message}"
    );
    assert!(message.contains("only the first 64 ran"), "{message}");
    assert!(
        message.contains("at most 64 tool calls per turn"),
        "{message}"
    );
    let ContentBlock::ToolUse {
        input,
        invalid_input,
        ..
    } = uses[MAX_CALLS_PER_TURN]
    else {
        panic!("a tool use")
    };
    assert_eq!(input, &json!({}), "the stand-in keeps no input");
    assert!(invalid_input.is_some(), "a resume refuses it too");
}

#[test]
fn arguments_over_the_size_cap_are_refused_and_not_kept() {
    let big = "x".repeat(MAX_CALL_INPUT_BYTES + 1);
    let content = vec![
        call(0, json!({"file_path": "a.txt", "content": big})),
        call(1, json!({"file_path": "b.txt"})),
    ];
    let capped = cap_turn(content);
    let message = &capped.refusals["call_0"];
    assert!(message.contains("over the limit of 8.0 MiB"), "{message}");
    assert!(message.contains("Split the work"), "{message}");
    let kept = serde_json::to_string(&capped.content).unwrap();
    assert!(kept.len() < 2_000, "the big input is gone: {}", kept.len());
    assert!(!capped.refusals.contains_key("call_1"));
}

#[test]
fn broken_arguments_over_the_size_cap_are_cut_too() {
    let content = vec![ContentBlock::ToolUse {
        id: "c".into(),
        name: "Write".into(),
        input: json!({}),
        invalid_input: Some(InvalidInput {
            raw: "{".repeat(MAX_CALL_INPUT_BYTES + 10),
            error: "not JSON".into(),
        }),
    }];
    let capped = cap_turn(content);
    assert!(capped.refusals.contains_key("c"));
    let kept = serde_json::to_string(&capped.content).unwrap();
    assert!(kept.len() < 2_000, "{}", kept.len());
}

#[test]
fn arguments_just_under_the_size_cap_still_run() {
    let text = "y".repeat(MAX_CALL_INPUT_BYTES - 100);
    let capped = cap_turn(vec![call(0, json!({"content": text}))]);
    assert!(capped.refusals.is_empty());
}

#[test]
fn a_resumed_log_from_before_the_caps_still_runs_only_sixty_four_calls() {
    let mut unanswered: Vec<ContentBlock> = (0..100)
        .map(|i| call(i, json!({"file_path": "a.txt"})))
        .collect();
    unanswered[3] = call(3, json!({"content": "w".repeat(MAX_CALL_INPUT_BYTES + 1)}));
    let refusals = resume_refusals(&unanswered);
    assert_eq!(refusals.len(), 100 - MAX_CALLS_PER_TURN + 1);
    assert!(refusals["call_3"].contains("over the limit"));
    assert!(refusals["call_64"].contains("only the first 64 ran"));
    assert!(refusals["call_99"].contains("at most 64 tool calls per turn"));
    assert!(!refusals.contains_key("call_63"));
}
