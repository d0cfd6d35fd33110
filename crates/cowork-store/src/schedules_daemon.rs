//! What the daemon's schedule runner reads that no person asks for: every
//! schedule one by one, so that one record it cannot read (written by a
//! newer cowork, or damaged) stops only that schedule, not all of them.

use crate::error::SqlContext;
use crate::{Schedule, ScheduleError, Store, StoreError};

/// A schedule's id and its record, or why the record cannot be read.
pub type ScheduleRead = (String, Result<Schedule, ScheduleError>);

impl Store {
    /// Every schedule by name, each read on its own: the schedule, or why
    /// its record cannot be read. Fails only when the table cannot be read.
    pub fn schedules_each(&self) -> Result<Vec<ScheduleRead>, StoreError> {
        let path = self.path();
        let ids: Vec<String> = self
            .conn()
            .prepare_cached("SELECT id FROM schedules ORDER BY name COLLATE NOCASE")
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
            .at(path)?;
        Ok(ids
            .into_iter()
            .map(|id| {
                // By id: a name is never the 12 hex digits of another's id
                // in practice, and a match by name is checked anyway.
                let read = self.schedule(&id).and_then(|found| {
                    if found.id == id {
                        Ok(found)
                    } else {
                        Err(ScheduleError::NotFound(id.clone()))
                    }
                });
                (id, read)
            })
            .collect())
    }
}

#[cfg(test)]
#[path = "schedules_daemon_tests.rs"]
mod tests;
