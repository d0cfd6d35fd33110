use cowork_protocol::{ApprovalDecision, Effect, Event, TaskId, TaskStatus};
use cowork_store::{Store, StoreError};

use super::new_task;

fn requested(call_id: &str) -> Event {
    Event::ApprovalRequested {
        call_id: call_id.to_owned(),
        tool: "Write".to_owned(),
        effect: Effect::Write,
        summary: format!("write {call_id}.txt"),
    }
}

fn decided(call_id: &str) -> Event {
    Event::ApprovalDecided {
        call_id: call_id.to_owned(),
        decision: ApprovalDecision::AllowOnce,
        by: "web".to_owned(),
    }
}

fn status(status: TaskStatus) -> Event {
    Event::StatusChanged {
        status,
        reason: None,
        end: None,
    }
}

fn pending_ids(store: &Store, id: &TaskId) -> Vec<String> {
    store
        .pending_approvals(id)
        .unwrap()
        .into_iter()
        .map(|p| p.call_id)
        .collect()
}

#[test]
fn a_request_without_a_decision_is_pending_with_when_it_was_asked() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "ask");
    let seq = store.append(&id, &requested("call_1")).unwrap();
    let pending = store.pending_approvals(&id).unwrap();
    assert_eq!(pending.len(), 1);
    let only = &pending[0];
    assert_eq!(only.seq, seq);
    assert_eq!(only.call_id, "call_1");
    assert_eq!(only.tool, "Write");
    assert_eq!(only.effect, Effect::Write);
    assert_eq!(only.summary, "write call_1.txt");
    let stored = store.events(&id).unwrap().pop().unwrap();
    assert_eq!(only.at, stored.at);
}

#[test]
fn a_decided_request_is_no_longer_pending_but_a_later_one_is() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "ask twice");
    store.append(&id, &requested("call_1")).unwrap();
    store.append(&id, &requested("call_2")).unwrap();
    store.append(&id, &decided("call_1")).unwrap();
    assert_eq!(pending_ids(&store, &id), ["call_2"]);
}

#[test]
fn a_request_stays_pending_across_an_interruption_and_appears_once_when_asked_again() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "killed while asking");
    store.append(&id, &requested("call_1")).unwrap();
    store.append(&id, &status(TaskStatus::Interrupted)).unwrap();
    assert_eq!(pending_ids(&store, &id), ["call_1"]);
    // Resumed, the task asks the same call again.
    store.append(&id, &status(TaskStatus::Running)).unwrap();
    let again = store.append(&id, &requested("call_1")).unwrap();
    let pending = store.pending_approvals(&id).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].seq, again);
}

#[test]
fn requests_lapse_when_the_task_ends() {
    for end in [
        TaskStatus::Cancelled,
        TaskStatus::Failed,
        TaskStatus::Completed,
    ] {
        let store = Store::open_in_memory().unwrap();
        let id = new_task(&store, "ended while asking");
        store.append(&id, &requested("call_1")).unwrap();
        store.append(&id, &status(end)).unwrap();
        assert!(pending_ids(&store, &id).is_empty(), "{end:?}");
        // Continued with a new message, it asks anew; the old one stays gone.
        store.append(&id, &status(TaskStatus::Running)).unwrap();
        store.append(&id, &requested("call_9")).unwrap();
        assert_eq!(pending_ids(&store, &id), ["call_9"], "{end:?}");
    }
}

#[test]
fn a_task_that_never_asked_has_nothing_pending_and_an_unknown_one_is_not_found() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "quiet");
    assert!(store.pending_approvals(&id).unwrap().is_empty());
    let err = store.pending_approvals(&TaskId::new()).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

#[test]
fn listing_by_status_keeps_only_those_statuses_newest_first() {
    let store = Store::open_in_memory().unwrap();
    let running = new_task(&store, "running");
    let done = new_task(&store, "done");
    store.append(&done, &status(TaskStatus::Completed)).unwrap();
    let stopped = new_task(&store, "stopped");
    store
        .append(&stopped, &status(TaskStatus::Interrupted))
        .unwrap();

    let active: Vec<TaskId> = store
        .list_tasks_with_status(&[TaskStatus::Running, TaskStatus::Interrupted], 10)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert_eq!(active, [stopped.clone(), running]);
    let one = store
        .list_tasks_with_status(&[TaskStatus::Running, TaskStatus::Interrupted], 1)
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, stopped);
    assert!(
        store
            .list_tasks_with_status(&[TaskStatus::Cancelled], 10)
            .unwrap()
            .is_empty()
    );
    assert!(store.list_tasks_with_status(&[], 10).unwrap().is_empty());
}
