//! What watchers of a task receive: each event with its task, its place in
//! the task's log and the time it happened. The CLI's `--json` output, its
//! `show --json` and the daemon's SSE stream all carry this one shape.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::id::TaskId;

/// One published event.
///
/// `seq` is the store's: a persistent event carries its own position in
/// the log (from 1, without gaps). A transient event (a text delta, a
/// tool call starting, a notice) is not stored and carries the seq of the
/// last stored event before it, so a watcher that reconnects after seq N
/// misses only transient events, whose content the stored ones repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub task: TaskId,
    pub seq: u64,
    /// Unix milliseconds.
    pub at: i64,
    pub event: Event,
}

impl Envelope {
    /// Whether the event is part of the stored log (and `seq` its own).
    pub fn is_persistent(&self) -> bool {
        self.event.is_persistent()
    }
}
