//! Which approvals of a task still wait for a person, read from its log.

use cowork_protocol::{Effect, Event, TaskId};
use rusqlite::params;

use crate::error::SqlContext;
use crate::read::exists;
use crate::{Store, StoreError};

/// A call waiting for a person's decision: an `ApprovalRequested` with no
/// `ApprovalDecided` for the same call after it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRequest {
    /// The request's place in the log.
    pub seq: u64,
    /// Unix milliseconds when it was asked.
    pub at: i64,
    /// The tool call's id, which is also the approval's id.
    pub call_id: String,
    pub tool: String,
    pub effect: Effect,
    pub summary: String,
}

impl Store {
    /// The task's approvals still waiting for an answer, oldest first.
    ///
    /// A request stays pending while the task is interrupted (a daemon
    /// killed mid-question asks the same on resume). It lapses when the
    /// task ends (completed, failed, cancelled): nobody can answer it any
    /// more. A call asked again after a resume appears once, as its latest
    /// request. Reads only the three kinds of event that matter, not the
    /// whole log.
    pub fn pending_approvals(&self, task: &TaskId) -> Result<Vec<PendingRequest>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let rows: Vec<(u64, i64, String)> = conn
            .prepare_cached(
                "SELECT seq, at, payload FROM events WHERE task_id = ?1 \
                 AND kind IN ('approval_requested', 'approval_decided', 'status_changed') \
                 ORDER BY seq",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![task.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect()
            })
            .at(path)?;
        // Every log holds `TaskCreated`, which is not read here: tell a
        // task with nothing pending from an unknown one.
        if rows.is_empty() && !exists(&conn, task.as_str()).at(path)? {
            return Err(StoreError::NotFound {
                id: task.to_string(),
            });
        }
        drop(conn);
        let mut pending: Vec<PendingRequest> = Vec::new();
        for (seq, at, payload) in rows {
            let event: Event = serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt {
                task: task.clone(),
                seq,
                message: e.to_string(),
            })?;
            match event {
                Event::ApprovalRequested {
                    call_id,
                    tool,
                    effect,
                    summary,
                } => {
                    pending.retain(|p| p.call_id != call_id);
                    pending.push(PendingRequest {
                        seq,
                        at,
                        call_id,
                        tool,
                        effect,
                        summary,
                    });
                }
                Event::ApprovalDecided { call_id, .. } => pending.retain(|p| p.call_id != call_id),
                Event::StatusChanged { status, .. } => {
                    if status.is_terminal() {
                        pending.clear();
                    }
                }
                // The query selects only the three kinds above; a payload
                // whose kind column disagrees with it is not a pending request.
                Event::TaskCreated { .. }
                | Event::PromptExpanded { .. }
                | Event::MemoryRecalled { .. }
                | Event::Connector { .. }
                | Event::Warning { .. }
                | Event::InstructionsLoaded { .. }
                | Event::TurnStarted { .. }
                | Event::UserMessage { .. }
                | Event::AssistantMessage { .. }
                | Event::TextDelta { .. }
                | Event::ToolCallStarted { .. }
                | Event::ToolCallFinished { .. }
                | Event::FileChanged { .. }
                | Event::Undone { .. }
                | Event::Compacted { .. }
                | Event::Notice { .. } => {}
            }
        }
        Ok(pending)
    }
}
