//! A task's log for the tests: text, an edit with its diff, a command that
//! failed, an approval still pending, and hostile names and text.

use cowork_protocol::{
    ApprovalDecision, Budget, Change, ContentBlock, Effect, Envelope, Event, FolderGrant,
    ModelChoice, PermissionMode, Provider, RawPath, StopReason, TaskId, TaskSpec, TaskStatus,
    Usage,
};
use serde_json::json;

pub(crate) fn task_id() -> TaskId {
    TaskId::from_raw("0123456789abcdef0123456789abcdef")
}

/// Envelopes numbered as a store would: stored events get the next seq,
/// transient ones the last stored seq.
pub(crate) fn envelopes(events: Vec<Event>) -> Vec<Envelope> {
    let mut seq = 0;
    events
        .into_iter()
        .map(|event| {
            if event.is_persistent() {
                seq += 1;
            }
            Envelope {
                task: task_id(),
                seq,
                at: 1_700_000_000_000 + i64::try_from(seq).unwrap_or(0),
                event,
            }
        })
        .collect()
}

pub(crate) fn created(prompt: &str) -> Event {
    Event::TaskCreated {
        spec: TaskSpec {
            prompt: prompt.to_owned(),
            folders: vec![FolderGrant {
                path: "/data/reports".into(),
                read_only: false,
            }],
            model: ModelChoice {
                provider: Provider::Script,
                model: "mock".into(),
                base_url: None,
                script: None,
            },
            budget: Budget::default(),
            mode: PermissionMode::Ask,
            project: None,
            rules: Vec::new(),
            connectors: None,
            schedule: None,
        },
    }
}

pub(crate) fn assistant(text: &str, calls: Vec<(&str, &str, serde_json::Value)>) -> Event {
    let mut content = Vec::new();
    if !text.is_empty() {
        content.push(ContentBlock::Text {
            text: text.to_owned(),
        });
    }
    for (id, name, input) in calls {
        content.push(ContentBlock::ToolUse {
            id: id.to_owned(),
            name: name.to_owned(),
            input,
            invalid_input: None,
        });
    }
    Event::AssistantMessage {
        content,
        stop_reason: StopReason::ToolUse,
        usage: Usage::default(),
    }
}

pub(crate) fn finished(id: &str, name: &str, content: &str, is_error: bool, ms: u64) -> Event {
    Event::ToolCallFinished {
        id: id.to_owned(),
        name: name.to_owned(),
        content: content.to_owned(),
        is_error,
        duration_ms: ms,
    }
}

pub(crate) const DIFF: &str =
    "--- a/notes.md\n+++ b/notes.md\n@@ -1,2 +1,2 @@\n # Notes\n-draft\n+final";

/// The sample task: streamed text, an edit with a diff (allowed once), a
/// command that failed with a network denial, and a write waiting for
/// approval.
pub(crate) fn sample_log() -> Vec<Envelope> {
    envelopes(vec![
        created("Tidy the notes and run the build"),
        Event::TurnStarted { turn: 1 },
        Event::TextDelta {
            text: "I'll fix ".into(),
        },
        Event::TextDelta {
            text: "the notes.".into(),
        },
        assistant(
            "I'll fix the notes.",
            vec![(
                "call_1",
                "Edit",
                json!({"file_path": "notes.md", "old_string": "draft", "new_string": "final"}),
            )],
        ),
        Event::ApprovalRequested {
            call_id: "call_1".into(),
            tool: "Edit".into(),
            effect: Effect::Write,
            summary: format!("edit notes.md (1 occurrence replaced)\n{DIFF}"),
        },
        Event::ApprovalDecided {
            call_id: "call_1".into(),
            decision: ApprovalDecision::AllowOnce,
            by: "web".into(),
        },
        Event::FileChanged {
            call_id: "call_1".into(),
            change: Change::Modified {
                path: RawPath("/data/reports/notes.md".into()),
                before: "b0".into(),
                mode: 0o644,
                after: "a1".into(),
            },
        },
        finished("call_1", "Edit", DIFF, false, 12),
        assistant(
            "Now the build.",
            vec![("call_2", "Bash", json!({"command": "make all\nmake check"}))],
        ),
        finished(
            "call_2",
            "Bash",
            "Network: pypi.org (denied by the sandbox)\nexit status: 2\nmake: *** [all] Error 2",
            true,
            1530,
        ),
        assistant(
            "The build needs the network; I'll write the report instead.",
            vec![(
                "call_3",
                "Write",
                json!({"file_path": "report.md", "content": "# Report"}),
            )],
        ),
        Event::ApprovalRequested {
            call_id: "call_3".into(),
            tool: "Write".into(),
            effect: Effect::Write,
            summary: "create /data/reports/report.md (1 line)".into(),
        },
    ])
}

/// A log whose every piece of text tries to become markup.
pub(crate) fn hostile_log() -> Vec<Envelope> {
    envelopes(vec![
        created("<script>alert('prompt')</script>"),
        Event::UserMessage {
            text: "<img src=x onerror=alert(1)>".into(),
        },
        assistant(
            "Done: <script>alert('model')</script> [x](javascript:alert(1))",
            vec![(
                "\"><script>alert(1)</script>",
                "<b>Tool</b>",
                json!({"file_path": "<svg onload=alert(1)>.txt"}),
            )],
        ),
        Event::ApprovalRequested {
            call_id: "\"><script>alert(1)</script>".into(),
            tool: "<b>Tool</b>".into(),
            effect: Effect::Write,
            summary: "create <svg onload=alert(1)>.txt".into(),
        },
        finished(
            "\"><script>alert(1)</script>",
            "<b>Tool</b>",
            "</pre><script>alert('output')</script>",
            true,
            1,
        ),
        Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some("<i>reason</i>".into()),
            end: None,
        },
    ])
}
