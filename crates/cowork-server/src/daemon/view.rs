//! Tasks as the API shows them: built from store rows, the manager's own
//! knowledge of what is queued, and the approvals still waiting.

use cowork_protocol::{Event, TaskStatus};
use cowork_store::{StoredEvent, TaskRow};

use crate::backend::{FolderRequest, PendingApproval, TaskDetail, TaskSummary};

/// A listing entry. A queued task shows as running (it will run without
/// anyone asking again) with `queued` set.
pub(crate) fn summary(row: &TaskRow, queued: bool, pending_approvals: u32) -> TaskSummary {
    TaskSummary {
        id: row.id.clone(),
        prompt: row.prompt.clone(),
        status: if queued {
            TaskStatus::Running
        } else {
            row.status
        },
        queued,
        created_at: row.created_at,
        updated_at: row.updated_at,
        turns: row.turns,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        pending_approvals,
    }
}

pub(crate) fn detail(row: &TaskRow, queued: bool, pending: Vec<PendingApproval>) -> TaskDetail {
    let count = u32::try_from(pending.len()).unwrap_or(u32::MAX);
    TaskDetail {
        summary: summary(row, queued, count),
        reason: row.status_reason.clone(),
        mode: row.spec.mode,
        model: row.spec.model.model.clone(),
        folders: row
            .spec
            .folders
            .iter()
            .map(|g| FolderRequest {
                path: g.path.clone(),
                read_only: g.read_only,
            })
            .collect(),
        pending,
    }
}

/// Whether the log ever asked about `call_id`, and whether it was
/// decided since: tells an unknown approval (404) from one already
/// answered (409).
pub(crate) fn approval_state(events: &[StoredEvent], call_id: &str) -> ApprovalState {
    let mut state = ApprovalState::Unknown;
    for stored in events {
        let event = &stored.event;
        if let Event::ApprovalRequested { call_id: id, .. } = event
            && id == call_id
        {
            state = ApprovalState::Waiting;
        } else if let Event::ApprovalDecided { call_id: id, .. } = event
            && id == call_id
        {
            state = ApprovalState::Decided;
        } else if let Event::ToolCallFinished { id, .. } = event
            && id == call_id
            && state == ApprovalState::Waiting
        {
            state = ApprovalState::Decided;
        } else if let Event::StatusChanged { status, .. } = event
            && status.is_terminal()
            && state == ApprovalState::Waiting
        {
            // The question lapsed with the task's end.
            state = ApprovalState::Decided;
        }
    }
    state
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalState {
    /// Never asked in this task.
    Unknown,
    /// Asked and not answered in the log.
    Waiting,
    /// Answered, or lapsed (the call or the task ended without an answer).
    Decided,
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
