//! How the task page words what the log records: a call's target and
//! outcome, a decision, a change, why a task ended. The log does not say
//! how each tool describes itself, so these read what the built-in tools
//! share (argument names, a unified diff's shape).

use cowork_protocol::{ApprovalDecision, Change, ContentBlock, Effect, EndReason};

use super::text::{first_line, plural};
use super::transcript::StepState;

/// The argument a person cares about: a path, a pattern, a command, or a
/// batch's size. The log does not say how each tool describes itself, so
/// this reads the argument names the built-in tools share.
pub(crate) fn target(input: &serde_json::Value) -> String {
    const KEYS: [&str; 6] = ["file_path", "pattern", "command", "query", "url", "path"];
    let Some(object) = input.as_object() else {
        return String::new();
    };
    for batch in ["moves", "paths", "files"] {
        if let Some(list) = object.get(batch).and_then(|m| m.as_array()) {
            return plural(list.len() as u64, batch.trim_end_matches('s'));
        }
    }
    let parts: Vec<&str> = KEYS
        .iter()
        .filter_map(|key| object.get(*key).and_then(|v| v.as_str()))
        .collect();
    let joined = if parts.is_empty() {
        object
            .values()
            .find_map(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    } else {
        parts.join(" in ")
    };
    first_line(&joined, 100)
}

pub(super) fn outcome(state: StepState, content: &str) -> String {
    match state {
        StepState::Failed | StepState::Denied => first_line(content, 200),
        StepState::Pending | StepState::Running | StepState::Awaiting | StepState::Done => {
            if let Some(counts) = diff_counts(content) {
                return counts;
            }
            match content.lines().count() {
                0 => "(empty)".to_owned(),
                1 => first_line(content, 80),
                n => plural(n as u64, "line"),
            }
        }
    }
}

/// "+3 −1" for a result that is a unified diff (an edit's), else `None`.
fn diff_counts(content: &str) -> Option<String> {
    if !content.lines().any(|line| line.starts_with("@@ ")) {
        return None;
    }
    let (mut added, mut removed) = (0, 0);
    for line in content.lines() {
        if line.starts_with("+++ ") || line.starts_with("--- ") {
            continue;
        }
        if line.starts_with('+') {
            added += 1;
        } else if line.starts_with('-') {
            removed += 1;
        }
    }
    Some(format!("+{added} −{removed}"))
}

/// Why the task stopped, worded for the web page: from the typed reason
/// when the log has one, else the recorded words.
pub(crate) fn end_words(end: Option<&EndReason>, reason: Option<&str>) -> Option<String> {
    let Some(end) = end else {
        return reason.map(str::to_owned);
    };
    Some(match end {
        EndReason::Cancelled => "cancelled".to_owned(),
        EndReason::Budget { budget } => {
            format!("it {budget}; send a message to let it go on")
        }
        EndReason::Panicked { message } => {
            format!("cowork hit a bug while running it ({message}); send a message to try again")
        }
        EndReason::Error => reason.unwrap_or("it failed").to_owned(),
    })
}

pub(super) fn decision_words(decision: &ApprovalDecision, by: &str) -> String {
    match decision {
        ApprovalDecision::AllowOnce => format!("allowed once ({by})"),
        ApprovalDecision::AllowForTask => format!("allowed for this task ({by})"),
        ApprovalDecision::AllowForSchedule => {
            format!("allowed for every run of this schedule ({by})")
        }
        ApprovalDecision::Deny { message: None } => format!("denied ({by})"),
        ApprovalDecision::Deny {
            message: Some(message),
        } => format!("denied ({by}): {message}"),
    }
}

/// A change in words: "moved a.txt → b/a.txt".
pub(crate) fn describe_change(change: &Change) -> String {
    match change {
        Change::Created { path, .. } => format!("created {}", path.0.display()),
        Change::Modified { path, .. } => format!("modified {}", path.0.display()),
        Change::Moved { from, to, .. } => {
            format!("moved {} → {}", from.0.display(), to.0.display())
        }
        Change::DirCreated { path } => format!("created folder {}", path.0.display()),
        Change::Trashed { path, .. } => format!("moved to trash {}", path.0.display()),
    }
}

pub(crate) fn effect_name(effect: Effect) -> &'static str {
    match effect {
        Effect::Read => "read",
        Effect::Write => "write",
        Effect::Delete => "delete",
        Effect::Execute => "execute",
        Effect::Network => "network",
        Effect::External => "external",
    }
}

/// What the model said in a message: its non-blank text blocks, a blank
/// line between them; `None` when it only called tools.
pub(crate) fn said(content: &[ContentBlock]) -> Option<String> {
    let text: Vec<&str> = content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text } => Some(text.as_str()),
            ContentBlock::ToolUse { .. } | ContentBlock::ToolResult { .. } => None,
        })
        .filter(|text| !text.trim().is_empty())
        .collect();
    (!text.is_empty()).then(|| text.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_the_path_pattern_or_batch() {
        assert_eq!(
            target(&serde_json::json!({"pattern": "TODO", "path": "src"})),
            "TODO in src"
        );
        assert_eq!(
            target(
                &serde_json::json!({"moves": [{"from": "a", "to": "b"}, {"from": "c", "to": "d"}]})
            ),
            "2 moves"
        );
        assert_eq!(target(&serde_json::json!({"x": "y"})), "y");
        assert_eq!(target(&serde_json::json!(null)), "");
    }

    #[test]
    fn an_edit_reads_as_lines_added_and_removed() {
        let diff = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n+c\n d";
        assert_eq!(outcome(StepState::Done, diff), "+2 −1");
        assert_eq!(outcome(StepState::Done, "- item\n+ item"), "2 lines");
    }

    #[test]
    fn a_typed_end_is_worded_for_the_page_not_for_a_cli_flag() {
        use cowork_protocol::BudgetExceeded;
        let budget = EndReason::Budget {
            budget: BudgetExceeded::Turns { max: 20 },
        };
        let words = end_words(Some(&budget), Some("reached --max-turns 20")).unwrap();
        assert_eq!(
            words,
            "it reached the turn budget of 20 model turns; send a message to let it go on"
        );
        let panic = EndReason::Panicked {
            message: "index out of bounds".into(),
        };
        assert!(
            end_words(Some(&panic), None)
                .unwrap()
                .contains("index out of bounds")
        );
        assert_eq!(
            end_words(Some(&EndReason::Error), Some("disk full")).unwrap(),
            "disk full"
        );
        assert_eq!(end_words(None, Some("older log")).unwrap(), "older log");
        assert_eq!(end_words(None, None), None);
    }
}
