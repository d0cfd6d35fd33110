//! Removing the copies of a memory entry's text that cowork itself put
//! in task logs: the recall event that sent it to a model, and the
//! `Memory` tool's calls (the model's input), approvals (their summary)
//! and results (a recall's list). What a model wrote in its own words is
//! its answer, not a copy, and stays.

use std::path::Path;

use cowork_protocol::{ContentBlock, Event};
use rusqlite::{Transaction, params};

use crate::StoreError;
use crate::error::SqlContext;
use crate::memory::MemoryEntry;

/// The name of the tool tasks remember, recall and forget with; its
/// calls are where a task's log quotes memory.
pub const MEMORY_TOOL: &str = "Memory";

/// What a scrub changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scrubbed {
    /// Events rewritten.
    pub events: usize,
}

/// Replaces `entry`'s text with `placeholder` in every log event that
/// quotes it, inside the caller's write transaction.
pub(crate) fn scrub(
    tx: &Transaction<'_>,
    path: Option<&Path>,
    entry: &MemoryEntry,
    placeholder: &str,
) -> Result<Scrubbed, StoreError> {
    // The payload is JSON: the text appears escaped once (an input, an
    // excerpt) or twice (a recall result quotes entries as JSON strings).
    let once = json_inner(&entry.content);
    let twice = json_inner(&once);
    let rows: Vec<(String, i64, String)> = tx
        .prepare_cached(
            "SELECT task_id, seq, payload FROM events \
             WHERE kind IN ('memory_recalled', 'assistant_message', 'tool_call_finished', \
                            'approval_requested') \
             AND (instr(payload, ?1) > 0 OR instr(payload, ?2) > 0 OR instr(payload, ?3) > 0)",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![once, twice, entry.id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect()
        })
        .at(path)?;
    let needles = [entry.content.as_str(), once.as_str()];
    let mut scrubbed = Scrubbed::default();
    for (task, seq, payload) in rows {
        let Some(rewritten) = rewrite(&payload, entry, &needles, placeholder) else {
            continue;
        };
        tx.prepare_cached("UPDATE events SET payload = ?3 WHERE task_id = ?1 AND seq = ?2")
            .and_then(|mut stmt| stmt.execute(params![task, seq, rewritten]))
            .at(path)?;
        scrubbed.events += 1;
    }
    Ok(scrubbed)
}

/// The payload with the copies replaced, or `None` when it holds none.
fn rewrite(
    payload: &str,
    entry: &MemoryEntry,
    needles: &[&str],
    placeholder: &str,
) -> Option<String> {
    let Ok(mut event) = serde_json::from_str::<Event>(payload) else {
        // A row that no longer reads as an event cannot be replayed
        // anyway; its strings are scrubbed wherever the text appears.
        let mut value: serde_json::Value = serde_json::from_str(payload).ok()?;
        return replace_in_value(&mut value, needles, placeholder).then(|| value.to_string());
    };
    let changed = match &mut event {
        Event::MemoryRecalled { entries } => {
            let mut changed = false;
            for recalled in entries.iter_mut().filter(|r| r.id == entry.id) {
                placeholder.clone_into(&mut recalled.excerpt);
                changed = true;
            }
            changed
        }
        Event::AssistantMessage { content, .. } => {
            let mut changed = false;
            for block in content.iter_mut() {
                if let ContentBlock::ToolUse { name, input, .. } = block
                    && name == MEMORY_TOOL
                {
                    changed |= replace_in_value(input, needles, placeholder);
                }
            }
            changed
        }
        Event::ToolCallFinished { name, content, .. } if name == MEMORY_TOOL => {
            replace_in_string(content, needles, placeholder)
        }
        Event::ApprovalRequested { tool, summary, .. } if tool == MEMORY_TOOL => {
            replace_in_string(summary, needles, placeholder)
        }
        Event::ToolCallFinished { .. }
        | Event::ApprovalRequested { .. }
        | Event::TaskCreated { .. }
        | Event::UserMessage { .. }
        | Event::TurnStarted { .. }
        | Event::TextDelta { .. }
        | Event::ToolCallStarted { .. }
        | Event::ApprovalDecided { .. }
        | Event::FileChanged { .. }
        | Event::Undone { .. }
        | Event::Compacted { .. }
        | Event::Notice { .. }
        | Event::PromptExpanded { .. }
        | Event::Connector { .. }
        | Event::Warning { .. }
        | Event::InstructionsLoaded { .. }
        | Event::StatusChanged { .. } => false,
    };
    if !changed {
        return None;
    }
    serde_json::to_string(&event).ok()
}

fn replace_in_value(value: &mut serde_json::Value, needles: &[&str], placeholder: &str) -> bool {
    match value {
        serde_json::Value::String(text) => replace_in_string(text, needles, placeholder),
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            replace_in_value(item, needles, placeholder) | changed
        }),
        serde_json::Value::Object(fields) => fields.values_mut().fold(false, |changed, item| {
            replace_in_value(item, needles, placeholder) | changed
        }),
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
            false
        }
    }
}

fn replace_in_string(text: &mut String, needles: &[&str], placeholder: &str) -> bool {
    let mut changed = false;
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        if text.contains(needle) {
            *text = text.replace(needle, placeholder);
            changed = true;
        }
    }
    changed
}

/// `text` as it appears inside a JSON string: escaped, without the quotes.
fn json_inner(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}
