//! Approvals answered from any front, and approvals across a resume.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use cowork_core::{Approver, NotPending, OpSender, PendingApproval, TaskHandle};
use cowork_model::script::ScriptModel;
use cowork_protocol::{
    ApprovalDecision, ContentBlock, Effect, Event, PermissionMode, StopReason, TaskId, TaskSpec,
    TaskStatus, Usage,
};
use cowork_store::{Owner, Store};

use super::harness::*;
use super::permission_tests::{register_touch, touches};

fn ask_spec(dir: &std::path::Path) -> TaskSpec {
    let mut spec = spec("touch things", dir);
    spec.mode = PermissionMode::Ask;
    spec
}

/// A task whose process died after logging `events` (after creation).
fn died_after(store: &Store, spec: &TaskSpec, events: &[Event]) -> TaskId {
    let id = TaskId::new();
    let dead = Owner {
        pid: u32::MAX - 1,
        start_time: 1,
    };
    store.create_task(&id, spec, &dead).unwrap();
    for event in events {
        store.append(&id, event).unwrap();
    }
    assert_eq!(store.reap_interrupted().unwrap(), vec![id.clone()]);
    id
}

fn touch_turn(turn: u32, call: &str, path: &str) -> [Event; 2] {
    [
        Event::TurnStarted { turn },
        Event::AssistantMessage {
            content: vec![ContentBlock::ToolUse {
                id: call.into(),
                name: "Touch".into(),
                input: json!({ "path": path }),
                invalid_input: None,
            }],
            stop_reason: StopReason::ToolUse,
            usage: Usage::default(),
        },
    ]
}

fn requested(call: &str) -> Event {
    Event::ApprovalRequested {
        call_id: call.into(),
        tool: "Touch".into(),
        effect: Effect::Write,
        summary: "touch".into(),
    }
}

fn decided(call: &str, decision: ApprovalDecision) -> Event {
    Event::ApprovalDecided {
        call_id: call.into(),
        decision,
        by: "terminal".into(),
    }
}

/// Resumes the stored task `id` with the `Touch` script, under `approver`.
fn resume(
    store: &Arc<Store>,
    spec: &TaskSpec,
    id: &TaskId,
    approver: Approver,
    calls: usize,
) -> (TaskHandle, Arc<std::sync::atomic::AtomicUsize>) {
    let task = cowork_core::load_task(store, id.as_str()).unwrap();
    let script = script(json!({ "turns": touches(calls) }));
    let model = Arc::new(ScriptModel::new(script).with_start(task.transcript.model_calls));
    let mut deps = deps(model, Arc::clone(store), spec);
    deps.approver = approver;
    let runs = register_touch(&mut deps, spec.folders[0].path.clone());
    (cowork_core::resume_task(deps, task).unwrap(), runs)
}

async fn pending_soon(ops: &OpSender) -> Vec<PendingApproval> {
    for _ in 0..500 {
        let pending = ops.pending_approvals();
        if !pending.is_empty() {
            return pending;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no approval became pending");
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| e.kind() == kind).count()
}

#[tokio::test]
async fn the_first_front_to_answer_wins_and_a_later_answer_is_not_pending() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = ask_spec(dir.path());
    let mut deps = script_deps(script(json!({ "turns": touches(1) })), store, &spec);
    deps.approver = Approver::Person;
    let runs = register_touch(&mut deps, spec.folders[0].path.clone());
    let hub = deps.hub.clone();
    let handle = start_with(deps, spec);
    let mut other_front = hub.subscribe(handle.id(), 0).unwrap();
    let (web, api) = (handle.op_sender(), handle.op_sender());

    let pending = pending_soon(&web).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].tool.as_str(), pending[0].effect),
        ("Touch", Effect::Write)
    );
    assert!(pending[0].summary.contains("f0.txt"), "{pending:?}");
    let call = pending[0].call_id.clone();
    web.decide(&call, ApprovalDecision::AllowOnce, "web")
        .unwrap();
    assert_eq!(
        api.decide(&call, ApprovalDecision::Deny { message: None }, "api"),
        Err(NotPending {
            call_id: call.clone()
        })
    );
    let events = run_to_end(handle).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(web.pending_approvals().is_empty());
    // Every front sees who answered.
    let mut seen = Vec::new();
    while let Ok(Some(envelope)) =
        tokio::time::timeout(Duration::from_millis(200), other_front.next()).await
    {
        seen.push(envelope.event);
    }
    assert!(seen.contains(&Event::ApprovalDecided {
        call_id: call,
        decision: ApprovalDecision::AllowOnce,
        by: "web".into(),
    }));
}

/// Regression for "allow for this task is forgotten on resume": the set
/// lived only in the runner's memory.
#[tokio::test]
async fn allowing_a_tool_for_the_task_survives_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = ask_spec(dir.path());
    let mut log = Vec::new();
    log.extend(touch_turn(1, "call_0_0", "f0.txt"));
    log.push(requested("call_0_0"));
    log.push(decided("call_0_0", ApprovalDecision::AllowForTask));
    log.push(Event::ToolCallFinished {
        id: "call_0_0".into(),
        name: "Touch".into(),
        content: "touched".into(),
        is_error: false,
        duration_ms: 1,
    });
    log.extend(touch_turn(2, "call_1_0", "f1.txt"));
    let id = died_after(&store, &spec, &log);

    // Nobody can answer now: a question would be denied.
    let (handle, runs) = resume(&store, &spec, &id, Approver::Nobody, 3);
    let events = run_to_end(handle).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(runs.load(Ordering::SeqCst), 2, "{events:?}");
    assert_eq!(count(&events, "approval_decided"), 0, "{events:?}");
}

/// A question in the log without an answer is still the question: the
/// resumed task waits for an answer to it and does not ask again.
#[tokio::test]
async fn a_question_pending_when_the_process_died_is_still_pending_after_resume() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = ask_spec(dir.path());
    let mut log = touch_turn(1, "call_0_0", "f0.txt").to_vec();
    log.push(requested("call_0_0"));
    let id = died_after(&store, &spec, &log);

    let (handle, runs) = resume(&store, &spec, &id, Approver::Person, 1);
    let ops = handle.op_sender();
    let pending = pending_soon(&ops).await;
    assert_eq!(pending[0].call_id, "call_0_0");
    ops.decide("call_0_0", ApprovalDecision::AllowOnce, "web")
        .unwrap();
    let events = run_to_end(handle).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let stored: Vec<Event> = store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(count(&stored, "approval_requested"), 1, "{stored:?}");
    assert_eq!(count(&stored, "approval_decided"), 1, "{stored:?}");
}

/// Regression for "an answer right after a resume is refused": the
/// question the log left open is answerable the moment the run exists,
/// before it reaches the call again (the daemon used to poll for it). The
/// test's runtime has one thread, so the runner has not run yet.
#[tokio::test]
async fn a_question_left_open_is_answerable_before_the_resumed_run_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = ask_spec(dir.path());
    let mut log = touch_turn(1, "call_0_0", "f0.txt").to_vec();
    log.push(requested("call_0_0"));
    let id = died_after(&store, &spec, &log);

    let (handle, runs) = resume(&store, &spec, &id, Approver::Person, 1);
    let ops = handle.op_sender();
    assert_eq!(ops.pending_approvals()[0].call_id, "call_0_0");
    ops.decide("call_0_0", ApprovalDecision::AllowOnce, "web")
        .unwrap();
    assert!(
        ops.decide("call_0_0", ApprovalDecision::AllowOnce, "api")
            .is_err(),
        "a second answer is refused"
    );
    let events = run_to_end(handle).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let stored: Vec<Event> = store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(count(&stored, "approval_requested"), 1, "{stored:?}");
    assert_eq!(count(&stored, "approval_decided"), 1, "{stored:?}");
}

/// A call decided before the process died runs with the recorded
/// decision instead of asking again.
#[tokio::test]
async fn a_call_decided_before_the_process_died_runs_without_asking_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = ask_spec(dir.path());
    let mut log = touch_turn(1, "call_0_0", "f0.txt").to_vec();
    log.push(requested("call_0_0"));
    log.push(decided("call_0_0", ApprovalDecision::AllowOnce));
    let id = died_after(&store, &spec, &log);

    let (handle, runs) = resume(&store, &spec, &id, Approver::Nobody, 1);
    let events = run_to_end(handle).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{events:?}");
    assert_eq!(count(&events, "approval_requested"), 0);
    assert_eq!(count(&events, "approval_decided"), 0);
}
