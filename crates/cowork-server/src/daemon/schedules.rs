//! The schedule runner: the one place that runs the scheduler's state
//! machine, on the daemon's runtime beside its tasks.
//!
//! The store is the truth. At start the runner reads every schedule and
//! starts the runs recorded but never started (a `run-now`, or a run a
//! dying daemon recorded). Then, about once a `poll` (and at each due
//! time): it reads the clock (a suspend or a clock step is logged; the due
//! times it hid come out of `due` as missed, for the catch-up policy),
//! reconciles what a person changed in the store (the schedule revision
//! moved), and records every action with the schedules' progress in one
//! transaction before starting the runs it returned. When that record
//! fails, nothing is lost: the runner reads the schedules back from the
//! store, whose progress did not move, and finds the same due times again.
//!
//! A run that waits for an approval or fails changes nothing here: the
//! next due time runs as planned.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use cowork_scheduler::{
    Action, ActionKind, Clock, Config, ScheduleState, Scheduler, SleepDetector, Timestamp,
};
use cowork_store::{RunEntry, Schedule, ScheduleRun, Store, StoreError};

use super::TaskManager;
use super::scheduled::{Outcome, kind_name};

/// A clock difference smaller than this is noise (NTP slews, the boot
/// clock's resolution), not a suspend.
const CLOCK_JUMP: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

/// How many of each schedule's latest runs are looked at, at start, for
/// one whose task was never recorded: more than one catch-up batch can
/// hold (policy `all` is bounded by the scheduler's `max_recorded`).
const RECENT_RUNS: usize = 2_000;

/// The shortest sleep between two looks, so a clock read just before a
/// due time does not spin.
const MIN_SLEEP: Duration = Duration::from_millis(5);

pub(super) struct Runner {
    manager: Weak<TaskManager>,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    poll: Duration,
    detector: SleepDetector,
    /// `None`: read every schedule from the store at the next look.
    scheduler: Option<Scheduler>,
    /// A record failed during this look: drop the scheduler after it.
    reload: bool,
    /// The schedule revision the scheduler reflects.
    rev: i64,
    /// Runs to try starting again, with the tries so far.
    retry: Vec<(ScheduleRun, u32)>,
    /// Runs this runner has dealt with, so none starts twice.
    done: HashSet<i64>,
}

impl Runner {
    pub(super) fn new(
        manager: Weak<TaskManager>,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        poll: Duration,
    ) -> Self {
        Self {
            manager,
            store,
            clock,
            poll,
            detector: SleepDetector::new(CLOCK_JUMP),
            scheduler: None,
            reload: false,
            rev: 0,
            retry: Vec::new(),
            done: HashSet::new(),
        }
    }

    /// Looks, then sleeps, until the manager stops or is dropped.
    pub(super) async fn run(mut self) {
        loop {
            let pause = {
                let Some(manager) = self.manager.upgrade() else {
                    return;
                };
                if !manager.is_accepting() {
                    return;
                }
                self.look(&manager)
            };
            tokio::time::sleep(pause).await;
        }
    }

    /// One look: the clock, a person's changes, what is due. Returns how
    /// long to sleep.
    fn look(&mut self, manager: &TaskManager) -> Duration {
        let reading = self.clock.read();
        for event in self.detector.observe(reading) {
            tracing::info!("{event}; schedules catch up on what was due meanwhile");
        }
        let now = reading.wall;
        let Some(mut scheduler) = self.scheduler.take().or_else(|| self.load(manager)) else {
            return self.poll;
        };
        match self.store.schedule_rev() {
            Ok(rev) if rev != self.rev => self.reconcile(manager, &mut scheduler, now, rev),
            Ok(_) => {}
            Err(e) => tracing::warn!("the schedules' revision could not be read: {e}"),
        }
        if !self.reload {
            let actions = scheduler.due(now);
            self.record(manager, &scheduler, &actions);
        }
        self.retry_starts(manager);
        let wake = scheduler.next_wake(now);
        // After a failed record the store, not this scheduler, says where
        // each schedule is: it is read back at the next look.
        if !std::mem::take(&mut self.reload) {
            self.scheduler = Some(scheduler);
        }
        let until = Duration::try_from(wake.duration_since(now)).unwrap_or(Duration::ZERO);
        until.min(self.poll).max(MIN_SLEEP)
    }

    /// Every schedule from the store, and the runs to start that earlier
    /// daemons left behind.
    fn load(&mut self, manager: &TaskManager) -> Option<Scheduler> {
        let read = self
            .store
            .schedule_rev()
            .and_then(|rev| Ok((rev, self.readable()?)));
        let (rev, stored) = match read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!("the schedules could not be read; trying again shortly: {e}");
                return None;
            }
        };
        let mut scheduler = Scheduler::new(Config::default());
        for schedule in &stored {
            if let Err(e) = scheduler.add(schedule.state.clone()) {
                tracing::error!(schedule = %schedule.name, "the schedule cannot run: {e}");
            }
        }
        self.rev = rev;
        for schedule in &stored {
            self.start_orphans(manager, schedule);
        }
        self.start_unstarted(manager);
        Some(scheduler)
    }

    /// Starts the runs of `schedule` whose task id was recorded but whose
    /// task never was: the daemon stopped in between.
    fn start_orphans(&mut self, manager: &TaskManager, schedule: &Schedule) {
        let runs = match self.store.schedule_runs(&schedule.id, RECENT_RUNS) {
            Ok(runs) => runs,
            Err(e) => {
                tracing::warn!(schedule = %schedule.name, "its runs could not be read: {e}");
                return;
            }
        };
        for run in runs {
            let orphan = matches!(run.entry, RunEntry::Run(_))
                && run.task.is_some()
                && run.task_status.is_none()
                && run.error.is_none();
            if orphan {
                self.start(manager, run, 0);
            }
        }
    }

    /// Starts every run recorded but not started (a `run-now`).
    fn start_unstarted(&mut self, manager: &TaskManager) {
        match self.store.unstarted_schedule_runs() {
            Ok(runs) => {
                for run in runs {
                    let waiting = self.retry.iter().any(|(r, _)| r.id == run.id);
                    if !waiting {
                        self.start(manager, run, 0);
                    }
                }
            }
            Err(e) => tracing::warn!("the runs to start could not be read: {e}"),
        }
    }

    /// Every schedule whose record can be read. One that cannot is left
    /// out (and, if it ran, stopped) until it is fixed, saying why; the
    /// due times it passes meanwhile come back through its catch-up
    /// policy once it can be read again.
    fn readable(&self) -> Result<Vec<Schedule>, StoreError> {
        let mut readable = Vec::new();
        for (id, read) in self.store.schedules_each()? {
            match read {
                Ok(schedule) => readable.push(schedule),
                Err(e) => {
                    tracing::error!(schedule = %id, "the schedule cannot run until its record is fixed: {e}");
                }
            }
        }
        Ok(readable)
    }

    /// Takes in what a person changed since revision `self.rev`.
    fn reconcile(
        &mut self,
        manager: &TaskManager,
        scheduler: &mut Scheduler,
        now: Timestamp,
        rev: i64,
    ) {
        let stored = match self.readable() {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!("the schedules could not be read; trying again shortly: {e}");
                return;
            }
        };
        let kept: HashSet<&str> = stored.iter().map(|s| s.id.as_str()).collect();
        let gone: Vec<String> = scheduler
            .states()
            .filter(|state| !kept.contains(state.id.as_str()))
            .map(|state| state.id.clone())
            .collect();
        for id in gone {
            // Known to be there: the id came from the scheduler.
            let _ = scheduler.remove(&id);
        }
        let mut actions = Vec::new();
        for schedule in &stored {
            actions.extend(take_in(scheduler, schedule, now));
        }
        self.rev = rev;
        self.record(manager, scheduler, &actions);
        self.start_unstarted(manager);
    }

    /// Records `actions` with the progress of their schedules, then starts
    /// the runs among them. When nothing could be recorded, the scheduler
    /// is read back from the store after this look.
    fn record(&mut self, manager: &TaskManager, scheduler: &Scheduler, actions: &[Action]) {
        if actions.is_empty() {
            return;
        }
        let ids: BTreeSet<&str> = actions.iter().map(|a| a.schedule.as_str()).collect();
        let states: Vec<&ScheduleState> = ids.iter().filter_map(|id| scheduler.get(id)).collect();
        match self.store.record_schedule_actions(&states, actions) {
            Ok(runs) => {
                log_missed(actions);
                for run in runs {
                    self.start(manager, run, 0);
                }
            }
            Err(e) => {
                tracing::error!(
                    "what is due could not be recorded; reading the schedules again: {e}"
                );
                self.reload = true;
            }
        }
    }

    fn retry_starts(&mut self, manager: &TaskManager) {
        for (run, tries) in std::mem::take(&mut self.retry) {
            self.start(manager, run, tries);
        }
    }

    fn start(&mut self, manager: &TaskManager, mut run: ScheduleRun, tries: u32) {
        if self.done.contains(&run.id) {
            return;
        }
        match manager.start_scheduled(&mut run) {
            Outcome::Started(task) => {
                if let RunEntry::Run(kind) = run.entry {
                    tracing::info!(schedule = %run.schedule, %task, "a scheduled run started {}", kind_name(kind));
                }
                self.done.insert(run.id);
            }
            Outcome::Failed | Outcome::Gone => {
                self.done.insert(run.id);
            }
            Outcome::Later(why) => {
                // Once, then once a minute or so: a busy store clears up.
                if tries.is_multiple_of(60) {
                    tracing::warn!(schedule = %run.schedule, "a scheduled run waits to start: {why}");
                }
                self.retry.push((run, tries.saturating_add(1)));
            }
        }
    }
}

/// Brings `schedule`'s entry in the scheduler in line with the store,
/// where a person changed it; returns what a pause or a resume settled.
/// The daemon's progress (the later `last_checked`, `done`) is kept.
fn take_in(scheduler: &mut Scheduler, schedule: &Schedule, now: Timestamp) -> Vec<Action> {
    let Some(known) = scheduler.get(&schedule.id) else {
        if let Err(e) = scheduler.add(schedule.state.clone()) {
            tracing::error!(schedule = %schedule.name, "the schedule cannot run: {e}");
        }
        return Vec::new();
    };
    if *known == schedule.state {
        return Vec::new();
    }
    let mut merged = schedule.state.clone();
    merged.last_checked = merged.last_checked.max(known.last_checked);
    merged.done |= known.done;
    let was_paused = known.paused;
    // The person paused or resumed at most one poll ago, when they changed
    // the schedule last: a due time after that is not theirs to skip.
    let changed_at = Timestamp::from_millisecond(schedule.updated_at).map_or(now, |at| at.min(now));
    merged.paused = was_paused;
    let id = schedule.id.as_str();
    // Known to be there: `get` found it.
    let _ = scheduler.remove(id);
    if let Err(e) = scheduler.add(merged) {
        tracing::error!(schedule = %schedule.name, "the schedule cannot run: {e}");
        return Vec::new();
    }
    let settled = match (was_paused, schedule.state.paused) {
        (false, true) => scheduler.pause(id, changed_at),
        (true, false) => scheduler.resume(id, changed_at),
        (true, true) | (false, false) => Ok(Vec::new()),
    };
    settled.unwrap_or_else(|e| {
        tracing::error!(schedule = %schedule.name, "the schedule could not be paused or resumed: {e}");
        Vec::new()
    })
}

fn log_missed(actions: &[Action]) {
    for action in actions {
        match &action.kind {
            ActionKind::Run { .. } => {}
            ActionKind::Missed { reason } => tracing::info!(
                schedule = %action.schedule,
                due = %action.due,
                "a due time did not run: {reason:?}"
            ),
            ActionKind::MissedMany {
                count,
                last,
                reason,
            } => tracing::info!(
                schedule = %action.schedule,
                from = %action.due,
                to = %last,
                "{count} due times did not run: {reason:?}"
            ),
        }
    }
}

#[cfg(test)]
#[path = "schedules_tests.rs"]
mod tests;
