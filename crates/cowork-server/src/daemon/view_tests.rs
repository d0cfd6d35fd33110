use cowork_protocol::{ApprovalDecision, Effect, Event};
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

#[test]
fn approval_state_tells_unknown_from_waiting_from_answered() {
    let log = [at(2, asked("a")), at(3, asked("b")), at(4, decided("b"))];
    assert_eq!(approval_state(&log, "zzz"), ApprovalState::Unknown);
    assert_eq!(approval_state(&log, "a"), ApprovalState::Waiting);
    assert_eq!(approval_state(&log, "b"), ApprovalState::Decided);
}
