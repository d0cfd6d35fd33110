use std::sync::Arc;

use serde_json::json;

use cowork_model::script::ScriptModel;
use cowork_protocol::{ContentBlock, Event, StopReason, TaskId, TaskStatus, Usage};
use cowork_store::{Owner, Store};

use super::harness::*;

/// A task whose process died after the model asked for a tool but before
/// the tool's result was recorded.
fn interrupted_task(store: &Store, spec: &cowork_protocol::TaskSpec) -> TaskId {
    let id = TaskId::new();
    let dead = Owner {
        pid: u32::MAX - 1,
        start_time: 1,
    };
    store.create_task(&id, spec, &dead).unwrap();
    store.append(&id, &Event::TurnStarted { turn: 1 }).unwrap();
    store
        .append(
            &id,
            &Event::AssistantMessage {
                content: vec![ContentBlock::ToolUse {
                    id: "call_0_0".into(),
                    name: "Read".into(),
                    input: json!({"file_path": "a.txt"}),
                    invalid_input: None,
                }],
                stop_reason: StopReason::ToolUse,
                usage: Usage::default(),
            },
        )
        .unwrap();
    assert_eq!(store.reap_interrupted().unwrap(), vec![id.clone()]);
    id
}

#[tokio::test]
async fn resuming_an_interrupted_task_runs_the_unanswered_call_and_finishes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha").unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("read a.txt", dir.path());
    let id = interrupted_task(&store, &spec);

    let task = cowork_core::load_task(&store, id.short()).unwrap();
    assert_eq!(task.status, TaskStatus::Interrupted);
    assert_eq!(task.transcript.model_calls, 1);
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "It says alpha."}
    ]}));
    let model = Arc::new(ScriptModel::new(script).with_start(task.transcript.model_calls));
    let deps = deps(model, Arc::clone(&store), &spec);
    let events = run_to_end(cowork_core::resume_task(deps, task).unwrap()).await;

    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    let results = tool_results(&events);
    assert_eq!(results.len(), 1);
    assert!(results[0].1.contains("alpha"));
    let row = store.task(id.as_str()).unwrap();
    assert_eq!(row.status, TaskStatus::Completed);
    assert_eq!(row.turns, 2);
}

#[tokio::test]
async fn a_completed_task_cannot_be_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("hi", dir.path());
    let script = script(json!({"turns": [{"text": "hello"}]}));
    let handle = start(script.clone(), Arc::clone(&store), spec.clone());
    let id = handle.id().clone();
    run_to_end(handle).await;
    let task = cowork_core::load_task(&store, id.as_str()).unwrap();
    let err = cowork_core::resume_task(script_deps(script, store, &spec), task).unwrap_err();
    assert!(err.to_string().contains("cannot be resumed"), "{err}");
}
