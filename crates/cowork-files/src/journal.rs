//! Where write tools report their changes before making them.

use std::sync::Arc;

use cowork_protocol::Change;

use crate::error::FileError;
use crate::store::JournalStore;

/// Receives each change BEFORE it is applied and must make it durable
/// before returning (the runner appends it to the task's log). One call
/// per tool call: a batch Move records all its changes at once. An `Err`
/// aborts the tool call with nothing changed.
pub trait ChangeSink: Send + Sync {
    fn record(&self, changes: &[Change]) -> Result<(), String>;
}

/// What write tools need to journal: the store for replaced content and
/// trashed items, and the sink for the change records.
#[derive(Clone)]
pub struct Journal {
    pub store: Arc<JournalStore>,
    pub sink: Arc<dyn ChangeSink>,
    /// The task the changes belong to, noted on trash entries.
    pub task: Option<String>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("store", &self.store)
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Records `changes`; failure means the change must not happen.
    pub(crate) fn record(&self, changes: &[Change]) -> Result<(), FileError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.sink
            .record(changes)
            .map_err(|message| FileError::JournalFailed { message })
    }
}
