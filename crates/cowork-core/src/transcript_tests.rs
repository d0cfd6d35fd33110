use cowork_protocol::{
    Budget, ContentBlock, Event, ModelChoice, Provider, StopReason, TaskSpec, TaskStatus, Usage,
};

use super::*;

fn spec() -> TaskSpec {
    TaskSpec {
        prompt: "count the notes".into(),
        folders: Vec::new(),
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode: cowork_protocol::PermissionMode::default(),
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

fn tool_use(id: &str) -> ContentBlock {
    ContentBlock::ToolUse {
        id: id.into(),
        name: "LS".into(),
        input: serde_json::json!({}),
        invalid_input: None,
    }
}

fn assistant(content: Vec<ContentBlock>) -> Event {
    Event::AssistantMessage {
        content,
        stop_reason: StopReason::ToolUse,
        usage: Usage {
            input_tokens: 100,
            output_tokens: 10,
            ..Usage::default()
        },
    }
}

fn finished(id: &str) -> Event {
    Event::ToolCallFinished {
        id: id.into(),
        name: "LS".into(),
        content: "a.txt".into(),
        is_error: false,
        duration_ms: 1,
    }
}

#[test]
fn rebuilding_folds_calls_and_results_into_alternating_messages() {
    let events = vec![
        Event::TaskCreated { spec: spec() },
        Event::TurnStarted { turn: 1 },
        assistant(vec![tool_use("a"), tool_use("b")]),
        finished("a"),
        finished("b"),
        Event::TurnStarted { turn: 2 },
    ];
    let (spec, t) = Transcript::rebuild(&events).unwrap();
    assert_eq!(spec.prompt, "count the notes");
    assert_eq!(t.messages.len(), 3);
    assert_eq!(
        t.messages[2].content.len(),
        2,
        "both results in one user message"
    );
    assert_eq!(t.turns, 2);
    assert_eq!(t.model_calls, 1);
    assert_eq!(t.usage.input_tokens, 100);
    assert!(t.awaits_model());
    assert!(t.unanswered_tool_calls().is_empty());
}

#[test]
fn a_crash_between_call_and_result_leaves_that_call_unanswered() {
    let events = vec![
        Event::TaskCreated { spec: spec() },
        assistant(vec![tool_use("a"), tool_use("b")]),
        finished("a"),
    ];
    let (_, t) = Transcript::rebuild(&events).unwrap();
    let pending = t.unanswered_tool_calls();
    assert_eq!(pending, vec![tool_use("b")]);
}

#[test]
fn compaction_replaces_the_head_with_a_summary_that_keeps_the_request() {
    let events = vec![
        Event::TaskCreated { spec: spec() },
        assistant(vec![tool_use("a")]),
        finished("a"),
        assistant(vec![tool_use("b")]),
        finished("b"),
        Event::Compacted {
            summary: "read a".into(),
            replaced_messages: 3,
            usage: Usage::default(),
        },
    ];
    let (_, t) = Transcript::rebuild(&events).unwrap();
    assert_eq!(t.messages.len(), 3);
    let head = t.messages[0].text();
    assert!(
        head.contains("count the notes") && head.contains("read a"),
        "{head}"
    );
    assert_eq!(t.messages[1].role, Role::Assistant);
    assert_eq!(t.model_calls, 3, "two answers and one summary");
}

#[test]
fn a_log_that_does_not_start_with_creation_is_rejected() {
    let events = vec![Event::TurnStarted { turn: 1 }];
    assert!(Transcript::rebuild(&events).is_none());
}

#[test]
fn the_final_status_is_tracked() {
    let events = vec![
        Event::TaskCreated { spec: spec() },
        Event::StatusChanged {
            status: TaskStatus::Completed,
            reason: None,
            end: None,
        },
    ];
    let (_, t) = Transcript::rebuild(&events).unwrap();
    assert_eq!(t.status, Some(TaskStatus::Completed));
}
