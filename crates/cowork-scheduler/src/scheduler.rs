//! The scheduler's state machine: schedules and the instant each was last
//! checked through, turned into actions by `due(now)`.
//!
//! The daemon's loop: `due(now)`, act on and record the actions, persist
//! the state of every schedule that had actions (in the same transaction
//! as the records), then sleep until `next_wake(now)`. Persisting only
//! then is enough: a schedule with no actions had no due time since its
//! stored `last_checked`, so re-checking from there after a restart finds
//! exactly the due times that passed while the daemon was down.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::action::{self, Action, CatchUp, MissReason, RunKind, Window};
use crate::{Error, Recurrence, stamp};

/// One schedule as the daemon stores it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    /// The daemon's id for it (its name or a uuid).
    pub id: String,
    pub recurrence: Recurrence,
    #[serde(default)]
    pub catch_up: CatchUp,
    /// Paused: nothing runs; due times passing meanwhile are recorded as
    /// missed on resume, not caught up.
    #[serde(default)]
    pub paused: bool,
    /// Every due time at or before this has been acted on or recorded.
    #[serde(with = "stamp")]
    pub last_checked: Timestamp,
    /// A one-shot whose due time has been handled.
    #[serde(default)]
    pub done: bool,
}

impl ScheduleState {
    /// A new schedule, created at `now`: its first run is the first due
    /// time after `now`.
    #[must_use]
    pub fn new(id: &str, recurrence: Recurrence, catch_up: CatchUp, now: Timestamp) -> Self {
        Self {
            id: id.to_owned(),
            recurrence,
            catch_up,
            paused: false,
            last_checked: now,
            done: false,
        }
    }
}

/// Tuning; the defaults suit a daemon on a laptop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// A due time found at most this long after it passed runs on time;
    /// older ones were missed and go through the catch-up policy.
    pub on_time_grace: SignedDuration,
    /// The longest `next_wake` sleeps, so that a suspend or a wall-clock
    /// change is noticed soon after it happens.
    pub max_sleep: SignedDuration,
    /// Missed due times recorded one by one per schedule and check; older
    /// ones are recorded as one `MissedMany`. Also bounds policy `all`.
    pub max_recorded: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            on_time_grace: SignedDuration::from_secs(90),
            max_sleep: SignedDuration::from_secs(60),
            max_recorded: 1_000,
        }
    }
}

#[derive(Debug)]
struct Entry {
    state: ScheduleState,
    /// The first due time after `state.last_checked`, cached.
    next: Option<Timestamp>,
}

impl Entry {
    fn new(state: ScheduleState) -> Self {
        let next = state.recurrence.next_after(state.last_checked);
        Self { state, next }
    }

    fn active(&self) -> bool {
        !self.state.paused && !self.state.done
    }

    /// Collects the due times in `(last_checked, now]` and moves
    /// `last_checked` to `now`.
    fn take_window(&mut self, now: Timestamp, keep: usize) -> Window {
        let mut window = Window::default();
        let mut due = self.next;
        while let Some(at) = due.filter(|at| *at <= now) {
            window.push(at, keep);
            due = self.state.recurrence.next_after(at);
        }
        self.state.last_checked = now;
        self.next = due;
        if self.next.is_none() && self.state.recurrence.is_one_shot() {
            self.state.done = true;
        }
        window
    }
}

/// Schedules and their progress; see the module doc for the daemon's loop.
#[derive(Debug, Default)]
pub struct Scheduler {
    config: Config,
    entries: BTreeMap<String, Entry>,
}

impl Scheduler {
    #[must_use]
    pub fn new(config: Config) -> Self {
        Self {
            config,
            entries: BTreeMap::new(),
        }
    }

    /// Adds a new schedule, or one read back from the store after a
    /// restart: due times after its `last_checked` are what it missed.
    ///
    /// # Errors
    /// [`Error::DuplicateSchedule`].
    pub fn add(&mut self, state: ScheduleState) -> Result<(), Error> {
        if self.entries.contains_key(&state.id) {
            return Err(Error::DuplicateSchedule { id: state.id });
        }
        self.entries.insert(state.id.clone(), Entry::new(state));
        Ok(())
    }

    /// Removes a schedule and returns its last state.
    ///
    /// # Errors
    /// [`Error::UnknownSchedule`].
    pub fn remove(&mut self, id: &str) -> Result<ScheduleState, Error> {
        self.entries
            .remove(id)
            .map(|entry| entry.state)
            .ok_or_else(|| unknown(id))
    }

    /// A schedule's state, to persist or show.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&ScheduleState> {
        self.entries.get(id).map(|entry| &entry.state)
    }

    /// Every schedule's state, in id order.
    pub fn states(&self) -> impl Iterator<Item = &ScheduleState> {
        self.entries.values().map(|entry| &entry.state)
    }

    /// When a schedule runs next, for `list`: `None` when paused or done.
    #[must_use]
    pub fn next_run(&self, id: &str) -> Option<Timestamp> {
        self.entries
            .get(id)
            .filter(|entry| entry.active())
            .and_then(|entry| entry.next)
    }

    /// Everything due at `now`: runs to start and missed due times to
    /// record, oldest first per schedule. A wall clock that went back
    /// (`now` before a schedule's `last_checked`) yields nothing for it
    /// until time passes `last_checked` again, so nothing runs twice.
    pub fn due(&mut self, now: Timestamp) -> Vec<Action> {
        let config = self.config;
        self.entries
            .values_mut()
            .flat_map(|entry| settle(entry, now, config))
            .collect()
    }

    /// When the daemon should check again: the earliest next due time, but
    /// never later than `max_sleep` from `now` (never earlier than `now`).
    #[must_use]
    pub fn next_wake(&self, now: Timestamp) -> Timestamp {
        let cap = now.checked_add(self.config.max_sleep).unwrap_or(now);
        self.entries
            .values()
            .filter(|entry| entry.active())
            .filter_map(|entry| entry.next)
            .min()
            .map_or(cap, |next| next.clamp(now, cap))
    }

    /// Pauses a schedule. What was due up to `now` is settled first (and
    /// returned), so a due time just before the pause is not lost.
    ///
    /// # Errors
    /// [`Error::UnknownSchedule`].
    pub fn pause(&mut self, id: &str, now: Timestamp) -> Result<Vec<Action>, Error> {
        let config = self.config;
        let entry = self.entries.get_mut(id).ok_or_else(|| unknown(id))?;
        let actions = settle(entry, now, config);
        entry.state.paused = true;
        Ok(actions)
    }

    /// Resumes a paused schedule. Due times that passed while it was paused
    /// are returned as missed (reason `Paused`), never run; the next run is
    /// the first due time after `now`.
    ///
    /// # Errors
    /// [`Error::UnknownSchedule`].
    pub fn resume(&mut self, id: &str, now: Timestamp) -> Result<Vec<Action>, Error> {
        let keep = self.config.max_recorded;
        let entry = self.entries.get_mut(id).ok_or_else(|| unknown(id))?;
        if !entry.state.paused {
            return Ok(Vec::new());
        }
        entry.state.paused = false;
        if entry.state.done || now <= entry.state.last_checked {
            return Ok(Vec::new());
        }
        let window = entry.take_window(now, keep);
        Ok(window.all_missed(id, MissReason::Paused))
    }

    /// A run now, outside the recurrence (`run-now`). Allowed when paused or
    /// done; it does not change when the schedule runs next.
    ///
    /// # Errors
    /// [`Error::UnknownSchedule`].
    pub fn run_now(&self, id: &str, now: Timestamp) -> Result<Action, Error> {
        self.entries.get(id).ok_or_else(|| unknown(id))?;
        Ok(Action::run(id, now, RunKind::Manual))
    }
}

/// `due(now)` for one schedule.
fn settle(entry: &mut Entry, now: Timestamp, config: Config) -> Vec<Action> {
    if !entry.active() || entry.next.is_none_or(|next| next > now) {
        return Vec::new();
    }
    // One more than recorded, in case the latest runs on time.
    let keep = config.max_recorded.max(1);
    let mut window = entry.take_window(now, keep.saturating_add(1));
    let on_time = window
        .recent
        .back()
        .copied()
        .filter(|due| now.duration_since(*due) <= config.on_time_grace);
    if on_time.is_some() {
        window.recent.pop_back();
    }
    window.trim(keep);
    let state = &entry.state;
    action::decide(&state.id, window, on_time, state.catch_up)
}

fn unknown(id: &str) -> Error {
    Error::UnknownSchedule { id: id.to_owned() }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
