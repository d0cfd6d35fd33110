//! Recalling memory at a task's start: the entries most relevant to the
//! prompt, within the token budget, recorded as one event that the
//! transcript turns into a data block before the prompt. A resumed task
//! recalls nothing again: its log already holds what was recalled.

use cowork_protocol::{Event, RecalledMemory};
use cowork_store::RecallQuery;

use super::Runner;
use crate::error::CoreError;
use crate::tools::START_RECALL_LIMIT;

impl Runner {
    /// Recalls memory for the prompt the model is sent. Memory that
    /// cannot be read is worth a warning, not a failed task.
    pub(super) fn recall_memory(&mut self) -> Result<(), CoreError> {
        let settings = &self.deps.options.memory;
        if settings.recall_tokens == 0 {
            return Ok(());
        }
        let found = self.deps.hub.store().recall(&RecallQuery {
            text: &self.transcript.prompt,
            project: settings.project.as_deref(),
            limit: START_RECALL_LIMIT,
            token_budget: settings.recall_tokens,
        });
        match found {
            Ok(entries) if entries.is_empty() => Ok(()),
            Ok(entries) => self.emit(Event::MemoryRecalled {
                entries: entries
                    .into_iter()
                    .map(|entry| RecalledMemory {
                        id: entry.id,
                        scope: entry.scope,
                        excerpt: entry.content,
                    })
                    .collect(),
            }),
            Err(e) => self.emit(Event::Warning {
                source: "memory".to_owned(),
                message: format!("no memory was recalled for this task: {e}"),
            }),
        }
    }
}
