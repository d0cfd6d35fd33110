//! What the scheduler tells the daemon to do, and the catch-up policy that
//! decides it for due times that passed while nobody was running them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::stamp;

/// What to do about due times that passed unseen (daemon down, machine
/// asleep). Whatever the policy, every missed due time is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum CatchUp {
    /// One run now for the latest missed due time, marked as a catch-up;
    /// the earlier ones are recorded as covered by it.
    #[default]
    Once,
    /// A catch-up run for each missed due time, the most recent `limit` of
    /// them, oldest first; older ones are recorded as over the limit.
    All { limit: u32 },
    /// No catch-up runs; every missed due time is recorded as skipped.
    Skip,
}

/// One thing for the daemon to do: start a run, or record a due time that
/// will not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The schedule's id, as the daemon gave it.
    pub schedule: String,
    /// The due time this is about (for a manual run: when it was asked).
    #[serde(with = "stamp")]
    pub due: Timestamp,
    pub kind: ActionKind,
}

/// Run, or record as missed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionKind {
    /// Start a run now.
    Run { run: RunKind },
    /// Record this due time as missed; nothing runs for it.
    Missed { reason: MissReason },
    /// Record `count` missed due times from `due` through `last`, too many
    /// to list one by one (see `Config::max_recorded`).
    MissedMany {
        count: u64,
        #[serde(with = "stamp")]
        last: Timestamp,
        reason: MissReason,
    },
}

/// Why a run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Its due time just came.
    OnTime,
    /// Its due time passed unseen; the catch-up policy runs it now.
    CatchUp,
    /// The person asked for a run now (`run-now`), outside the recurrence.
    Manual,
}

/// Why a due time does not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum MissReason {
    /// Policy `once`: the run for a later due time stands in for it.
    CoveredByRun {
        #[serde(with = "stamp")]
        run_due: Timestamp,
    },
    /// Policy `skip`.
    SkippedByPolicy,
    /// Policy `all`, beyond its limit.
    OverCatchUpLimit,
    /// The schedule was paused at its due time; resuming does not catch up.
    Paused,
}

impl Action {
    pub(crate) fn run(schedule: &str, due: Timestamp, run: RunKind) -> Self {
        Self {
            schedule: schedule.to_owned(),
            due,
            kind: ActionKind::Run { run },
        }
    }

    pub(crate) fn missed(schedule: &str, due: Timestamp, reason: MissReason) -> Self {
        Self {
            schedule: schedule.to_owned(),
            due,
            kind: ActionKind::Missed { reason },
        }
    }
}

/// The due times in a window, the most recent ones kept one by one and the
/// older ones counted.
#[derive(Debug, Default)]
pub(crate) struct Window {
    /// Older due times not kept: (first, last, count).
    pub earlier: Option<(Timestamp, Timestamp, u64)>,
    /// The most recent due times, oldest first.
    pub recent: std::collections::VecDeque<Timestamp>,
}

impl Window {
    pub fn push(&mut self, due: Timestamp, keep: usize) {
        self.recent.push_back(due);
        self.trim(keep);
    }

    /// Moves all but the `keep` most recent due times into `earlier`.
    pub fn trim(&mut self, keep: usize) {
        while self.recent.len() > keep
            && let Some(old) = self.recent.pop_front()
        {
            self.earlier = Some(match self.earlier {
                Some((first, _, count)) => (first, old, count + 1),
                None => (old, old, 1),
            });
        }
    }

    /// Records everything as missed for `reason`.
    pub fn all_missed(self, schedule: &str, reason: MissReason) -> Vec<Action> {
        let mut actions = Vec::with_capacity(self.recent.len() + 1);
        if let Some((first, last, count)) = self.earlier {
            actions.push(Action {
                schedule: schedule.to_owned(),
                due: first,
                kind: ActionKind::MissedMany {
                    count,
                    last,
                    reason,
                },
            });
        }
        actions.extend(
            self.recent
                .into_iter()
                .map(|due| Action::missed(schedule, due, reason)),
        );
        actions
    }
}

/// Turns a window's due times into actions: the latest runs on time if it
/// is recent enough, the rest are missed and go through `policy`.
pub(crate) fn decide(
    schedule: &str,
    mut window: Window,
    on_time: Option<Timestamp>,
    policy: CatchUp,
) -> Vec<Action> {
    match policy {
        CatchUp::Once => {
            let (run_due, kind) = match on_time {
                Some(due) => (Some(due), RunKind::OnTime),
                None => (window.recent.pop_back(), RunKind::CatchUp),
            };
            let Some(run_due) = run_due else {
                return Vec::new();
            };
            let mut actions = window.all_missed(schedule, MissReason::CoveredByRun { run_due });
            actions.push(Action::run(schedule, run_due, kind));
            actions
        }
        CatchUp::All { limit } => {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let split = window.recent.len().saturating_sub(limit);
            let catch_up: Vec<Timestamp> = window.recent.drain(split..).collect();
            let mut actions = window.all_missed(schedule, MissReason::OverCatchUpLimit);
            actions.extend(
                catch_up
                    .into_iter()
                    .map(|due| Action::run(schedule, due, RunKind::CatchUp)),
            );
            actions.extend(on_time.map(|due| Action::run(schedule, due, RunKind::OnTime)));
            actions
        }
        CatchUp::Skip => {
            let mut actions = window.all_missed(schedule, MissReason::SkippedByPolicy);
            actions.extend(on_time.map(|due| Action::run(schedule, due, RunKind::OnTime)));
            actions
        }
    }
}
