//! Recording the instructions a run was given, before its first turn.

use cowork_protocol::Event;

use super::Runner;
use crate::error::CoreError;

impl Runner {
    /// Records the instructions read for this run, and what was left out
    /// of them, when the run uses them (see [`TaskDeps::instructions`]).
    /// After this the log holds the very text the system prompt carries.
    ///
    /// [`TaskDeps::instructions`]: super::TaskDeps::instructions
    pub(super) fn record_instructions(&mut self) -> Result<(), CoreError> {
        let read = std::mem::take(&mut self.deps.instructions);
        for message in read.notices {
            self.emit(Event::Warning {
                source: "instructions".to_owned(),
                message,
            })?;
        }
        if !read.sources.is_empty() {
            self.emit(Event::InstructionsLoaded {
                sources: read.sources,
            })?;
        }
        Ok(())
    }
}
