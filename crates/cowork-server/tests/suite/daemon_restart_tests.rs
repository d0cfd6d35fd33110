//! A daemon that dies mid-task: its tasks resume when it starts again,
//! nothing lost or doubled, and a question that waited still waits.
//!
//! The daemon is "killed" by dropping its runtime mid-task, which stops
//! every task where it stood, and by recording its tasks' owner as a
//! process that no longer exists — all a `kill -9` leaves behind.

use std::time::Duration;

use serde_json::json;

use cowork_protocol::{ApprovalDecision, Event, PermissionMode, TaskId, TaskStatus};
use cowork_server::Backend;
use cowork_server::backend::{BackendError, Front};

use super::daemon_support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Task `n` writes a file, then answers slowly (the daemon dies during
/// that answer), then writes another file, then ends.
fn interrupted_mid_turn(n: usize) -> serde_json::Value {
    json!({"turns": [
        {"tool_calls": [{"name": "Write", "id": "w1",
                         "input": {"file_path": format!("one-{n}.txt"), "content": "1"}}]},
        {"tool_calls": [{"name": "Write", "id": "w2",
                         "input": {"file_path": format!("two-{n}.txt"), "content": "2"}}],
         "delay_ms": 1500},
        {"text": "done"}
    ]})
}

#[test]
fn a_task_killed_mid_turn_resumes_on_restart_with_nothing_lost_or_doubled() {
    let place = Place::new();
    let first = runtime();
    let ids: Vec<TaskId> = first.block_on(async {
        let manager = place.start(2);
        let mut ids = Vec::new();
        for n in 0..3 {
            let script = place.script(&format!("task-{n}"), interrupted_mid_turn(n));
            let request = place.request(&format!("task {n}"), &script, PermissionMode::Auto);
            ids.push(manager.create_task(request).unwrap());
        }
        // Two are in their slow second turn; the third waits for a slot.
        for id in &ids[..2] {
            wait_for(&manager, id, 10, "its second turn", |d| {
                d.summary.turns == 2
            })
            .await;
        }
        assert!(manager.task(ids[2].as_str()).unwrap().summary.queued);
        ids
    });
    drop(first);
    owner_died(&place, &ids.iter().collect::<Vec<_>>());

    let second = runtime();
    second.block_on(async {
        let manager = place.start(2);
        for id in &ids {
            assert_eq!(
                ended(&manager, id).await.summary.status,
                TaskStatus::Completed
            );
        }
    });
    let store = place.store();
    for id in &ids {
        let events = log(&store, id);
        assert_well_formed(&events);
        let statuses: Vec<TaskStatus> = events
            .iter()
            .filter_map(|e| {
                if let Event::StatusChanged { status, .. } = e.event {
                    Some(status)
                } else {
                    None
                }
            })
            .collect();
        assert!(
            statuses.contains(&TaskStatus::Interrupted),
            "the restart saw the task interrupted: {statuses:?}"
        );
        let writes = events
            .iter()
            .filter(|e| matches!(e.event, Event::FileChanged { .. }))
            .count();
        assert_eq!(writes, 2, "each file written once");
    }
    for n in 0..3 {
        let two = place.folder().join(format!("two-{n}.txt"));
        assert_eq!(std::fs::read_to_string(two).unwrap(), "2");
    }
}

#[test]
fn an_approval_pending_when_the_daemon_died_is_still_pending_and_answerable_once() {
    let place = Place::new();
    let script = place.script(
        "ask",
        json!({"turns": [
            {"tool_calls": [{"name": "Write", "id": "w1",
                             "input": {"file_path": "out.txt", "content": "hello"}}]},
            {"text": "done"}
        ]}),
    );
    let first = runtime();
    let id = first.block_on(async {
        let manager = place.start(2);
        let id = manager
            .create_task(place.request("write", &script, PermissionMode::Ask))
            .unwrap();
        wait_for(&manager, &id, 10, "its question", |d| !d.pending.is_empty()).await;
        id
    });
    drop(first);
    owner_died(&place, &[&id]);

    let quick = place.script("quick", json!({"turns": [{"text": "done"}]}));
    let second = runtime();
    second.block_on(async {
        let manager = place.start(1);
        let detail = wait_for(&manager, &id, 10, "running again", |d| {
            d.summary.status == TaskStatus::Running && !d.summary.queued
        })
        .await;
        assert_eq!(detail.pending.len(), 1, "{detail:#?}");
        assert_eq!(detail.pending[0].id, "w1");
        // Still waiting a while later: nobody answered, nothing denied it.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(manager.task(id.as_str()).unwrap().pending.len(), 1);
        // Its question, asked before the restart, waits from the start:
        // the one slot is free for another task meanwhile.
        let other = manager
            .create_task(place.request("other", &quick, PermissionMode::Plan))
            .unwrap();
        assert_eq!(
            ended(&manager, &other).await.summary.status,
            TaskStatus::Completed
        );
        manager
            .decide(&id, "w1", ApprovalDecision::AllowOnce, Front::Web)
            .unwrap();
        let again = manager.decide(&id, "w1", ApprovalDecision::AllowOnce, Front::Terminal);
        assert!(matches!(again, Err(BackendError::Conflict(_))), "{again:?}");
        assert_eq!(
            ended(&manager, &id).await.summary.status,
            TaskStatus::Completed
        );
    });
    let events = log(&place.store(), &id);
    assert_well_formed(&events);
    let asked = events
        .iter()
        .filter(|e| matches!(e.event, Event::ApprovalRequested { .. }))
        .count();
    assert_eq!(asked, 1, "the resumed task did not ask twice");
    assert_eq!(
        std::fs::read_to_string(place.folder().join("out.txt")).unwrap(),
        "hello"
    );
}

#[test]
fn an_answer_given_while_the_resumed_task_waits_for_a_slot_is_used() {
    let place = Place::new();
    let ask = place.script(
        "ask",
        json!({"turns": [
            {"tool_calls": [{"name": "Write", "id": "w1",
                             "input": {"file_path": "out.txt", "content": "hello"}}]},
            {"text": "done"}
        ]}),
    );
    let slow = place.script(
        "slow",
        json!({"turns": [{"text": "done", "delay_ms": 1500}]}),
    );
    let first = runtime();
    let (blocker, asking) = first.block_on(async {
        let manager = place.start(2);
        // The older task resumes first after the restart.
        let blocker = manager
            .create_task(place.request("slow", &slow, PermissionMode::Plan))
            .unwrap();
        let asking = manager
            .create_task(place.request("write", &ask, PermissionMode::Ask))
            .unwrap();
        wait_for(&manager, &asking, 10, "its question", |d| {
            !d.pending.is_empty()
        })
        .await;
        (blocker, asking)
    });
    drop(first);
    owner_died(&place, &[&blocker, &asking]);

    let second = runtime();
    second.block_on(async {
        let manager = place.start(1);
        let detail = manager.task(asking.as_str()).unwrap();
        assert!(detail.summary.queued, "{detail:#?}");
        assert_eq!(detail.pending.len(), 1, "{detail:#?}");
        manager
            .decide(&asking, "w1", ApprovalDecision::AllowOnce, Front::Web)
            .unwrap();
        let again = manager.decide(
            &asking,
            "w1",
            ApprovalDecision::Deny { message: None },
            Front::Api,
        );
        assert!(matches!(again, Err(BackendError::Conflict(_))), "{again:?}");
        assert_eq!(
            ended(&manager, &blocker).await.summary.status,
            TaskStatus::Completed
        );
        assert_eq!(
            ended(&manager, &asking).await.summary.status,
            TaskStatus::Completed
        );
    });
    let events = log(&place.store(), &asking);
    assert_well_formed(&events);
    let decided = events
        .iter()
        .filter(|e| matches!(e.event, Event::ApprovalDecided { .. }))
        .count();
    assert_eq!(decided, 1, "the recorded answer was used, not asked again");
    assert_eq!(
        std::fs::read_to_string(place.folder().join("out.txt")).unwrap(),
        "hello"
    );
}

#[test]
fn a_task_a_terminal_ran_is_never_resumed_by_the_daemon() {
    let place = Place::new();
    let store = place.store();
    let id = TaskId::new();
    let spec: cowork_protocol::TaskSpec = serde_json::from_value(json!({
        "prompt": "cli task",
        "folders": [],
        "model": {"provider": "script", "model": "script"},
    }))
    .unwrap();
    store
        .create_task(&id, &spec, &cowork_store::Owner::current().unwrap())
        .unwrap();
    owner_died(&place, &[&id]);
    let runtime = runtime();
    runtime.block_on(async {
        let manager = place.start(2);
        let detail = manager.task(id.as_str()).unwrap();
        assert_eq!(detail.summary.status, TaskStatus::Interrupted);
        assert!(!detail.summary.queued);
        assert_eq!(manager.load(), (0, 0));
        assert!(matches!(
            manager.cancel(&id),
            Err(BackendError::Conflict(_))
        ));
    });
}
