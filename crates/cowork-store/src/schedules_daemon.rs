//! What the daemon's schedule runner reads that no person asks for: every
//! schedule one by one, so that one record it cannot read (written by a
//! newer cowork, or damaged) stops only that schedule, not all of them.

use crate::{Schedule, ScheduleError, Store, StoreError};

/// A schedule's id and its record, or why the record cannot be read.
pub type ScheduleRead = (String, Result<Schedule, ScheduleError>);

impl Store {
    /// Every schedule by name, each read on its own: the schedule, or why
    /// its record cannot be read. Fails only when the table cannot be read.
    pub fn schedules_each(&self) -> Result<Vec<ScheduleRead>, StoreError> {
        Ok(self
            .raw_schedules(None)?
            .into_iter()
            .map(|raw| (raw.id.clone(), raw.decode()))
            .collect())
    }
}

#[cfg(test)]
#[path = "schedules_daemon_tests.rs"]
mod tests;
