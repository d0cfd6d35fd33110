use super::*;
use cowork_protocol::{ApprovalDecision, Effect};

use crate::web::fixtures::{assistant, created, envelopes, finished, sample_log};

fn fold(log: &[Envelope]) -> View {
    let mut view = View::default();
    for envelope in log {
        view.apply(envelope);
    }
    view
}

fn step<'a>(view: &'a View, call: &str) -> &'a Step {
    view.items
        .iter()
        .find_map(|item| match &item.body {
            Body::Step(step) if step.call_id == call => Some(step),
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_step_carries_its_target_outcome_duration_and_changes() {
    let view = fold(&sample_log());
    let edit = step(&view, "call_1");
    assert_eq!(edit.tool, "Edit");
    assert_eq!(edit.target, "notes.md");
    assert_eq!(edit.state, StepState::Done);
    assert_eq!(edit.duration.as_deref(), Some("12 ms"));
    assert_eq!(edit.decided.as_deref(), Some("allowed once (web)"));
    assert_eq!(edit.changes, vec!["modified /data/reports/notes.md"]);
    assert!(edit.output.as_deref().unwrap().contains("+final"));
    assert_eq!(edit.outcome, "+1 −1");

    let bash = step(&view, "call_2");
    assert_eq!(bash.state, StepState::Failed);
    assert_eq!(bash.command.as_deref(), Some("make all\nmake check"));
    assert_eq!(bash.target, "make all …");
    assert_eq!(bash.outcome, "Network: pypi.org (denied by the sandbox) …");
    assert_eq!(bash.duration.as_deref(), Some("1.5 s"));
}

#[test]
fn streamed_text_is_replaced_by_the_full_message() {
    let log = sample_log();
    let mut view = View::default();
    for envelope in &log[..4] {
        view.apply(envelope);
    }
    assert_eq!(view.live_text, "I'll fix the notes.");
    let updates = view.apply(&log[4]);
    assert_eq!(view.live_text, "");
    assert_eq!(updates[0], Update::LiveCleared);
}

#[test]
fn an_unanswered_approval_stays_open_and_lapses_when_the_task_ends() {
    let mut log = sample_log();
    let view = fold(&log);
    let open: Vec<&Approval> = view
        .items
        .iter()
        .filter_map(|item| match &item.body {
            Body::Approval(a) if a.decided.is_none() => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].call_id, "call_3");
    assert!(!open[0].lapsed);
    assert_eq!(step(&view, "call_3").state, StepState::Awaiting);

    let last = log.last().unwrap().seq;
    log.push(Envelope {
        task: log[0].task.clone(),
        seq: last + 1,
        at: 0,
        event: Event::StatusChanged {
            status: TaskStatus::Cancelled,
            reason: Some("cancelled from the web".into()),
            end: None,
        },
    });
    let mut view = fold(&log[..log.len() - 1]);
    let updates = view.apply(log.last().unwrap());
    let approval_index = view
        .items
        .iter()
        .position(|item| matches!(&item.body, Body::Approval(a) if a.call_id == "call_3"))
        .unwrap();
    assert!(
        updates.contains(&Update::Replace(approval_index)),
        "{updates:?}"
    );
    assert!(updates.contains(&Update::Status));
    assert_eq!(view.status, Some("cancelled"));
}

#[test]
fn a_denied_call_stays_denied_when_its_error_result_arrives() {
    let log = envelopes(vec![
        created("x"),
        assistant(
            "",
            vec![("c", "Write", serde_json::json!({"file_path": "a"}))],
        ),
        Event::ApprovalRequested {
            call_id: "c".into(),
            tool: "Write".into(),
            effect: Effect::Write,
            summary: "create a".into(),
        },
        Event::ApprovalDecided {
            call_id: "c".into(),
            decision: ApprovalDecision::Deny {
                message: Some("not there".into()),
            },
            by: "web".into(),
        },
        finished("c", "Write", "denied: not there", true, 0),
    ]);
    let view = fold(&log);
    let write = step(&view, "c");
    assert_eq!(write.state, StepState::Denied);
    assert_eq!(write.decided.as_deref(), Some("denied (web): not there"));
}

#[test]
fn a_result_for_a_call_the_log_did_not_announce_still_shows_a_step() {
    let log = envelopes(vec![
        created("x"),
        finished("ghost", "Read", "a\nb", false, 3),
    ]);
    let mut view = View::default();
    view.apply(&log[0]);
    let updates = view.apply(&log[1]);
    assert_eq!(updates, vec![Update::Append(0)]);
    assert_eq!(step(&view, "ghost").outcome, "2 lines");
}

#[test]
fn item_ids_come_from_the_log_so_a_replay_and_a_live_fold_agree() {
    let log = sample_log();
    let ids = |view: &View| view.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    let whole = fold(&log);
    // A fold that saw no transient event (a page loaded after them).
    let stored: Vec<Envelope> = log.iter().filter(|e| e.is_persistent()).cloned().collect();
    assert_eq!(ids(&whole), ids(&fold(&stored)));
    assert_eq!(whole.last_seq, stored.last().unwrap().seq);
}

#[test]
fn the_files_panel_reloads_when_a_changing_call_is_done_not_before_its_change() {
    // Regression: the panel reloaded on FileChanged, which is recorded
    // before the file is written, and showed the new file as gone.
    let log = sample_log();
    let mut view = View::default();
    let mut reloads = Vec::new();
    for envelope in &log {
        if view.apply(envelope).contains(&Update::Files) {
            reloads.push(envelope.event.kind());
        }
    }
    assert_eq!(reloads, vec!["tool_call_finished"]);

    // A call that changed a file and never finished: the end reloads.
    let log = envelopes(vec![
        created("x"),
        assistant(
            "",
            vec![("c", "Write", serde_json::json!({"file_path": "a"}))],
        ),
        Event::FileChanged {
            call_id: "c".into(),
            change: cowork_protocol::Change::Created {
                path: cowork_protocol::RawPath("/d/a".into()),
                hash: "h".into(),
            },
        },
        Event::StatusChanged {
            status: TaskStatus::Interrupted,
            reason: None,
            end: None,
        },
    ]);
    let mut view = View::default();
    let updates: Vec<Vec<Update>> = log.iter().map(|e| view.apply(e)).collect();
    assert!(!updates[2].contains(&Update::Files));
    assert!(updates[3].contains(&Update::Files));
}

#[test]
fn the_instructions_a_task_used_are_listed_with_their_layer_and_trust() {
    let source = |layer, label: &str, trusted| cowork_protocol::InstructionSource {
        layer,
        path: None,
        label: label.to_owned(),
        trusted,
        bytes: 12,
        truncated: false,
        text: "the text".to_owned(),
    };
    let log = envelopes(vec![
        created("go"),
        Event::InstructionsLoaded {
            sources: vec![
                source(
                    cowork_protocol::InstructionLayer::Global,
                    "/cfg/COWORK.md",
                    true,
                ),
                source(
                    cowork_protocol::InstructionLayer::Folder,
                    "/data/reports/AGENTS.md",
                    false,
                ),
            ],
        },
    ]);
    let view = fold(&log);
    let notices: Vec<&str> = view
        .items
        .iter()
        .filter_map(|item| match &item.body {
            Body::Notice { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        [
            "instructions: global /cfg/COWORK.md (12 bytes)",
            "instructions: folder /data/reports/AGENTS.md (untrusted: shown as data; 12 bytes); \
             trust the folder (on this page, or cowork trust FOLDER) to have later tasks \
             follow it",
        ]
    );
    assert!(
        notices.iter().all(|n| !n.contains("the text")),
        "the text stays in the log"
    );
}
