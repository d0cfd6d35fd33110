use cowork_protocol::{ApprovalDecision, Effect, Event, TaskStatus};
use cowork_store::StoredEvent;

use super::*;

fn at(seq: u64, event: Event) -> StoredEvent {
    StoredEvent {
        seq,
        at: seq as i64 * 10,
        event,
    }
}

fn asked(call_id: &str) -> Event {
    Event::ApprovalRequested {
        call_id: call_id.into(),
        tool: "Write".into(),
        effect: Effect::Write,
        summary: format!("write {call_id}"),
    }
}

fn decided(call_id: &str) -> Event {
    Event::ApprovalDecided {
        call_id: call_id.into(),
        decision: ApprovalDecision::AllowOnce,
        by: "web".into(),
    }
}

fn status(status: TaskStatus) -> Event {
    serde_json::from_value(serde_json::json!({
        "type": "status_changed",
        "status": status.as_str(),
    }))
    .unwrap()
}

#[test]
fn an_approval_asked_and_not_answered_is_pending_with_its_request_time() {
    let log = [at(2, asked("a")), at(3, asked("b")), at(4, decided("b"))];
    let pending = pending_in_log(&log);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, "a");
    assert_eq!(pending[0].requested_at, 20);
    assert_eq!(pending[0].summary, "write a");
}

#[test]
fn an_approval_still_waits_across_an_interruption_but_not_past_the_task_s_end() {
    let interrupted = [at(2, asked("a")), at(3, status(TaskStatus::Interrupted))];
    assert_eq!(pending_in_log(&interrupted).len(), 1);
    let cancelled = [at(2, asked("a")), at(3, status(TaskStatus::Cancelled))];
    assert!(pending_in_log(&cancelled).is_empty());
}

#[test]
fn approval_state_tells_unknown_from_waiting_from_answered() {
    let log = [at(2, asked("a")), at(3, asked("b")), at(4, decided("b"))];
    assert_eq!(approval_state(&log, "zzz"), ApprovalState::Unknown);
    assert_eq!(approval_state(&log, "a"), ApprovalState::Waiting);
    assert_eq!(approval_state(&log, "b"), ApprovalState::Decided);
}
