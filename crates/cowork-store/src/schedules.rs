//! Schedules and their runs. The store is the truth both fronts share: a
//! person's change (the CLI, the API) is written here and bumps
//! [`Store::schedule_rev`]; the daemon, the only one that runs the
//! scheduler, reads the change back, and records what it did with every
//! due time in the same transaction as the schedule's progress
//! ([`Store::record_schedule_actions`]), so a due time is never run twice
//! nor lost across a crash.

use cowork_protocol::config::Rule;
use cowork_protocol::{ScheduleScope, ScheduledRunKind, TaskId, TaskStatus};
use cowork_scheduler::{
    Action, ActionKind, Config, MissReason, RunKind, ScheduleState, Scheduler, Timestamp,
};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::error::SqlContext;
use crate::projects::is_unique_violation;
use crate::store::{Durability, now_ms};
use crate::{Store, StoreError};

/// The longest schedule name, in characters: a project's.
pub const MAX_SCHEDULE_NAME: usize = crate::projects::MAX_PROJECT_NAME;

/// A schedule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// 12 hex digits, random; what runs and tasks refer to.
    pub id: String,
    pub name: String,
    /// The project's id, when the schedule belongs to one.
    pub project: Option<String>,
    pub prompt: String,
    /// The scheduler's record; `state.id` is [`Schedule::id`].
    pub state: ScheduleState,
    pub scope: ScheduleScope,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a new schedule is made of. `state.id` is replaced by the id the
/// store gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    pub name: String,
    pub project: Option<String>,
    pub prompt: String,
    pub state: ScheduleState,
    pub scope: ScheduleScope,
}

/// One line of a schedule's history: a run, or due times that did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRun {
    pub id: i64,
    /// The schedule's id.
    pub schedule: String,
    /// The due time, unix milliseconds (a manual run: when it was asked).
    pub due: i64,
    pub entry: RunEntry,
    /// The run's task, once started.
    pub task: Option<TaskId>,
    /// The task's status and why it last changed, read with the run.
    pub task_status: Option<(TaskStatus, Option<String>)>,
    /// Why the run could not start.
    pub error: Option<String>,
    /// Unix milliseconds.
    pub recorded_at: i64,
}

/// A run, or a due time that was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEntry {
    Run(ScheduledRunKind),
    /// `count` due times from `due` through `last_due` (one when
    /// `count == 1`), missed for `reason`.
    Missed {
        reason: MissReason,
        count: u64,
        last_due: Option<i64>,
    },
}

impl ScheduleRun {
    /// A run whose task has not started yet (the daemon starts it).
    #[must_use]
    pub fn is_unstarted(&self) -> bool {
        matches!(self.entry, RunEntry::Run(_)) && self.task.is_none() && self.error.is_none()
    }
}

/// Why a schedule could not be found, created or changed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("no schedule is named `{0}`; `cowork schedule list` shows them")]
    NotFound(String),
    #[error("a schedule named `{0}` exists already; pick another name with --name")]
    NameTaken(String),
    #[error("`{name}` cannot be a schedule name: {why}")]
    BadName { name: String, why: &'static str },
    #[error("the record of schedule `{name}` cannot be read: {message}")]
    Corrupt { name: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a name a person typed.
pub fn check_schedule_name(name: &str) -> Result<(), ScheduleError> {
    crate::projects::check_name(name).map_err(|why| ScheduleError::BadName {
        name: name.to_owned(),
        why,
    })
}

const COLUMNS: &str = "id, name, project, prompt, state, scope, created_at, updated_at";
const RUN_COLUMNS: &str = "r.id, r.schedule, r.due, r.kind, r.reason, r.count, r.last_due, \
                           r.task, r.error, r.recorded_at, t.status, t.status_reason";

impl Store {
    /// Records a new schedule.
    pub fn create_schedule(&self, new: &NewSchedule) -> Result<Schedule, ScheduleError> {
        check_schedule_name(&new.name)?;
        let now = now_ms();
        let id = TaskId::new().as_str()[..12].to_owned();
        let state = ScheduleState {
            id: id.clone(),
            ..new.state.clone()
        };
        let schedule = Schedule {
            id,
            name: new.name.clone(),
            project: new.project.clone(),
            prompt: new.prompt.clone(),
            state,
            scope: new.scope.clone(),
            created_at: now,
            updated_at: now,
        };
        let (state, scope) = encode(&schedule)?;
        let path = self.path();
        let inserted = self.write(Durability::Normal, |tx| {
            tx.prepare_cached(&format!(
                "INSERT INTO schedules ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
            ))
            .and_then(|mut stmt| {
                stmt.execute(params![
                    schedule.id,
                    schedule.name,
                    schedule.project,
                    schedule.prompt,
                    state,
                    scope,
                    now,
                ])
            })
            .at(path)?;
            bump_rev(tx).at(path)
        });
        match inserted {
            Ok(()) => Ok(schedule),
            Err(e) if is_unique_violation(&e) => Err(ScheduleError::NameTaken(new.name.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// A schedule by name (any case) or id.
    pub fn schedule(&self, name_or_id: &str) -> Result<Schedule, ScheduleError> {
        let wanted = name_or_id.trim();
        let path = self.path();
        let found = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM schedules WHERE name = ?1 COLLATE NOCASE OR id = ?1 \
                 ORDER BY name = ?1 COLLATE NOCASE DESC LIMIT 1"
            ))
            .and_then(|mut stmt| stmt.query_row(params![wanted], raw).optional())
            .at(path)?;
        match found {
            Some(raw) => raw.decode(),
            None => Err(ScheduleError::NotFound(wanted.to_owned())),
        }
    }

    /// Every schedule by name; with `project`, only that project's (by id).
    pub fn list_schedules(&self, project: Option<&str>) -> Result<Vec<Schedule>, ScheduleError> {
        self.raw_schedules(project)?
            .into_iter()
            .map(RawSchedule::decode)
            .collect()
    }

    /// The rows of every schedule by name (only `project`'s with one),
    /// not yet decoded.
    pub(crate) fn raw_schedules(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<RawSchedule>, StoreError> {
        let path = self.path();
        self.conn()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM schedules WHERE ?1 IS NULL OR project = ?1 \
                 ORDER BY name COLLATE NOCASE"
            ))
            .and_then(|mut stmt| stmt.query_map(params![project], raw)?.collect())
            .at(path)
    }

    /// A person's change: writes `schedule`'s name, project, prompt, scope
    /// and state over the stored ones (matched by id). The daemon's
    /// progress is never undone by a change made from an older read: the
    /// later `last_checked` and a `done` already recorded are kept.
    pub fn update_schedule(&self, schedule: &Schedule) -> Result<Schedule, ScheduleError> {
        check_schedule_name(&schedule.name)?;
        let now = now_ms();
        let path = self.path();
        let mut merged = schedule.clone();
        let updated = self.write(Durability::Normal, |tx| {
            let Some(stored) = stored_state(tx, &schedule.id)? else {
                return Ok(false);
            };
            if stored.last_checked > merged.state.last_checked {
                merged.state.last_checked = stored.last_checked;
            }
            merged.state.done |= stored.done;
            merged.state.id.clone_from(&schedule.id);
            merged.updated_at = now;
            let (state, scope) = encode(&merged)?;
            tx.prepare_cached(
                "UPDATE schedules SET name = ?2, project = ?3, prompt = ?4, state = ?5, \
                 scope = ?6, updated_at = ?7 WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    merged.id,
                    merged.name,
                    merged.project,
                    merged.prompt,
                    state,
                    scope,
                    now
                ])
            })
            .at(path)?;
            bump_rev(tx).at(path)?;
            Ok(true)
        });
        match updated {
            Ok(true) => Ok(merged),
            Ok(false) => Err(ScheduleError::NotFound(schedule.name.clone())),
            Err(e) if is_unique_violation(&e) => {
                Err(ScheduleError::NameTaken(schedule.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a schedule and its history. Its runs' tasks stay.
    pub fn delete_schedule(&self, id: &str) -> Result<(), ScheduleError> {
        let path = self.path();
        let deleted = self.write(Durability::Normal, |tx| {
            tx.execute("DELETE FROM schedule_runs WHERE schedule = ?1", params![id])
                .at(path)?;
            let n = tx
                .execute("DELETE FROM schedules WHERE id = ?1", params![id])
                .at(path)?;
            bump_rev(tx).at(path)?;
            Ok(n)
        })?;
        if deleted == 0 {
            return Err(ScheduleError::NotFound(id.to_owned()));
        }
        Ok(())
    }

    /// Counts every change a person made to schedules: when it moved, the
    /// daemon reads them again.
    pub fn schedule_rev(&self) -> Result<i64, StoreError> {
        let path = self.path();
        self.conn()
            .prepare_cached("SELECT rev FROM schedule_rev WHERE only = 1")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .at(path)
    }

    /// The daemon's step, in one transaction: records every action (a run
    /// to start, a due time missed) and the progress of each schedule in
    /// `states` (only `last_checked`, `done` and, for a pause the daemon
    /// settled, `paused`: what a person changed meanwhile stays). Returns
    /// the runs to start, in order. A schedule removed meanwhile is
    /// skipped with its actions.
    pub fn record_schedule_actions(
        &self,
        states: &[&ScheduleState],
        actions: &[Action],
    ) -> Result<Vec<ScheduleRun>, StoreError> {
        let now = now_ms();
        let path = self.path();
        self.write(Durability::Full, |tx| {
            let mut present = std::collections::HashSet::new();
            for state in states {
                let Some(mut stored) = stored_state(tx, &state.id)? else {
                    continue;
                };
                stored.last_checked = stored.last_checked.max(state.last_checked);
                stored.done |= state.done;
                stored.paused |= state.paused;
                let json = serde_json::to_string(&stored).map_err(|source| StoreError::Encode {
                    what: "a schedule's state",
                    source,
                })?;
                tx.prepare_cached("UPDATE schedules SET state = ?2 WHERE id = ?1")
                    .and_then(|mut stmt| stmt.execute(params![state.id, json]))
                    .at(path)?;
                present.insert(state.id.as_str());
            }
            let mut runs = Vec::new();
            for action in actions {
                if !present.contains(action.schedule.as_str())
                    && !schedule_exists(tx, &action.schedule).at(path)?
                {
                    continue;
                }
                let id = insert_action(tx, action, now, path)?;
                if let ActionKind::Run { run } = action.kind {
                    runs.push(ScheduleRun {
                        id,
                        schedule: action.schedule.clone(),
                        due: action.due.as_millisecond(),
                        entry: RunEntry::Run(run_kind(run)),
                        task: None,
                        task_status: None,
                        error: None,
                        recorded_at: now,
                    });
                }
            }
            Ok(runs)
        })
    }

    /// Asks for a run now (`run-now`): recorded as an unstarted manual run
    /// that the daemon starts when it next looks (at once when running).
    pub fn request_schedule_run(&self, id: &str) -> Result<ScheduleRun, ScheduleError> {
        let now = now_ms();
        let path = self.path();
        let inserted = self.write(Durability::Full, |tx| {
            if !schedule_exists(tx, id).at(path)? {
                return Ok(None);
            }
            let run = tx
                .prepare_cached(
                    "INSERT INTO schedule_runs (schedule, due, kind, recorded_at) \
                     VALUES (?1, ?2, 'manual', ?2)",
                )
                .and_then(|mut stmt| stmt.insert(params![id, now]))
                .at(path)?;
            bump_rev(tx).at(path)?;
            Ok(Some(run))
        })?;
        let Some(run) = inserted else {
            return Err(ScheduleError::NotFound(id.to_owned()));
        };
        Ok(ScheduleRun {
            id: run,
            schedule: id.to_owned(),
            due: now,
            entry: RunEntry::Run(ScheduledRunKind::Manual),
            task: None,
            task_status: None,
            error: None,
            recorded_at: now,
        })
    }

    /// Runs recorded but not started: asked for with `run-now`, or left
    /// by a daemon that stopped between recording and starting them.
    pub fn unstarted_schedule_runs(&self) -> Result<Vec<ScheduleRun>, StoreError> {
        self.query_runs(
            "r.task IS NULL AND r.error IS NULL AND r.kind <> 'missed' ORDER BY r.id",
            params![],
        )
    }

    /// The run's task started.
    pub fn attach_schedule_run(&self, run: i64, task: &TaskId) -> Result<(), StoreError> {
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            tx.execute(
                "UPDATE schedule_runs SET task = ?2 WHERE id = ?1",
                params![run, task.as_str()],
            )
            .at(path)
            .map(drop)
        })
    }

    /// The run could not start, and why (worded for the person).
    pub fn fail_schedule_run(&self, run: i64, error: &str) -> Result<(), StoreError> {
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            tx.execute(
                "UPDATE schedule_runs SET error = ?2 WHERE id = ?1",
                params![run, error],
            )
            .at(path)
            .map(drop)
        })
    }

    /// A schedule's history, newest due time first, at most `limit`.
    pub fn schedule_runs(&self, id: &str, limit: usize) -> Result<Vec<ScheduleRun>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query_runs(
            "r.schedule = ?1 ORDER BY r.due DESC, r.id DESC LIMIT ?2",
            params![id, limit],
        )
    }

    fn query_runs(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ScheduleRun>, StoreError> {
        let path = self.path();
        let raws: Vec<RawRun> = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM schedule_runs r LEFT JOIN tasks t ON t.id = r.task \
                 WHERE {filter}"
            ))
            .and_then(|mut stmt| stmt.query_map(params, raw_run)?.collect())
            .at(path)?;
        raws.into_iter().map(RawRun::decode).collect()
    }
}

fn bump_rev(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE schedule_rev SET rev = rev + 1 WHERE only = 1")?
        .execute([])
        .map(drop)
}

fn schedule_exists(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM schedules WHERE id = ?1")?
        .query_row(params![id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// The stored state of schedule `id`, read inside a write.
fn stored_state(tx: &Transaction<'_>, id: &str) -> Result<Option<ScheduleState>, StoreError> {
    let json: Option<String> = tx
        .prepare_cached("SELECT state FROM schedules WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row(params![id], |row| row.get(0)).optional())
        .map_err(|source| StoreError::Sqlite { path: None, source })?;
    json.map(|json| {
        serde_json::from_str(&json).map_err(|e| StoreError::CorruptRecord {
            message: format!("the stored state of schedule {id} cannot be read: {e}"),
        })
    })
    .transpose()
}

fn encode(schedule: &Schedule) -> Result<(String, String), StoreError> {
    let state = serde_json::to_string(&schedule.state).map_err(|source| StoreError::Encode {
        what: "a schedule's state",
        source,
    })?;
    let scope = serde_json::to_string(&schedule.scope).map_err(|source| StoreError::Encode {
        what: "a schedule's scope",
        source,
    })?;
    Ok((state, scope))
}

fn run_kind(run: RunKind) -> ScheduledRunKind {
    match run {
        RunKind::OnTime => ScheduledRunKind::OnTime,
        RunKind::CatchUp => ScheduledRunKind::CatchUp,
        RunKind::Manual => ScheduledRunKind::Manual,
    }
}

/// The columns an action is recorded in.
struct ActionRow {
    kind: &'static str,
    reason: Option<String>,
    count: i64,
    last_due: Option<i64>,
}

impl ActionRow {
    fn of(action: &Action) -> Result<Self, StoreError> {
        let reason = |reason: &MissReason| {
            serde_json::to_string(reason).map_err(|source| StoreError::Encode {
                what: "why a due time was missed",
                source,
            })
        };
        Ok(match &action.kind {
            ActionKind::Run { run } => Self {
                kind: run_kind(*run).as_str(),
                reason: None,
                count: 1,
                last_due: None,
            },
            ActionKind::Missed { reason: why } => Self {
                kind: "missed",
                reason: Some(reason(why)?),
                count: 1,
                last_due: None,
            },
            ActionKind::MissedMany {
                count,
                last,
                reason: why,
            } => Self {
                kind: "missed",
                reason: Some(reason(why)?),
                count: i64::try_from(*count).unwrap_or(i64::MAX),
                last_due: Some(last.as_millisecond()),
            },
        })
    }
}

/// A schedule row as read, decoded after the connection is released.
pub(crate) struct RawSchedule {
    pub(crate) id: String,
    name: String,
    project: Option<String>,
    prompt: String,
    state: String,
    scope: String,
    created_at: i64,
    updated_at: i64,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawSchedule> {
    Ok(RawSchedule {
        id: row.get(0)?,
        name: row.get(1)?,
        project: row.get(2)?,
        prompt: row.get(3)?,
        state: row.get(4)?,
        scope: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

impl RawSchedule {
    pub(crate) fn decode(self) -> Result<Schedule, ScheduleError> {
        let corrupt = |message: String| ScheduleError::Corrupt {
            name: self.name.clone(),
            message,
        };
        let state: ScheduleState =
            serde_json::from_str(&self.state).map_err(|e| corrupt(format!("its state: {e}")))?;
        let scope =
            serde_json::from_str(&self.scope).map_err(|e| corrupt(format!("its scope: {e}")))?;
        Ok(Schedule {
            state: ScheduleState {
                id: self.id.clone(),
                ..state
            },
            id: self.id,
            name: self.name,
            project: self.project,
            prompt: self.prompt,
            scope,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

struct RawRun {
    id: i64,
    schedule: String,
    due: i64,
    kind: String,
    reason: Option<String>,
    count: i64,
    last_due: Option<i64>,
    task: Option<String>,
    error: Option<String>,
    recorded_at: i64,
    status: Option<String>,
    status_reason: Option<String>,
}

fn raw_run(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun {
        id: row.get(0)?,
        schedule: row.get(1)?,
        due: row.get(2)?,
        kind: row.get(3)?,
        reason: row.get(4)?,
        count: row.get(5)?,
        last_due: row.get(6)?,
        task: row.get(7)?,
        error: row.get(8)?,
        recorded_at: row.get(9)?,
        status: row.get(10)?,
        status_reason: row.get(11)?,
    })
}

impl RawRun {
    fn decode(self) -> Result<ScheduleRun, StoreError> {
        let invalid = |message: String| StoreError::CorruptRecord {
            message: format!("run {} of schedule {}: {message}", self.id, self.schedule),
        };
        let entry = match (self.kind.as_str(), &self.reason) {
            ("missed", Some(reason)) => RunEntry::Missed {
                reason: serde_json::from_str(reason)
                    .map_err(|e| invalid(format!("why it was missed: {e}")))?,
                count: u64::try_from(self.count).unwrap_or(1),
                last_due: self.last_due,
            },
            (kind, _) => RunEntry::Run(
                ScheduledRunKind::parse(kind)
                    .ok_or_else(|| invalid(format!("an unknown kind `{kind}`")))?,
            ),
        };
        let task_status = match &self.status {
            Some(status) => Some((
                TaskStatus::parse(status)
                    .ok_or_else(|| invalid(format!("its task's unknown status `{status}`")))?,
                self.status_reason.clone(),
            )),
            None => None,
        };
        Ok(ScheduleRun {
            id: self.id,
            schedule: self.schedule,
            due: self.due,
            entry,
            task: self.task.map(TaskId::from_raw),
            task_status,
            error: self.error,
            recorded_at: self.recorded_at,
        })
    }
}

/// What [`Store::resume_schedule`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    /// The schedule as stored now.
    pub schedule: Schedule,
    /// False when it was not paused: nothing changed.
    pub was_paused: bool,
    /// The due times that passed while it was paused, recorded as missed
    /// (reason `paused`), oldest first.
    pub missed: Vec<Action>,
}

impl Store {
    /// A person resumes a paused schedule at `now`: the due times that
    /// passed while it was paused are recorded as missed (never run), and
    /// its next run is the first due time after `now`. The scheduler's
    /// resume runs on the state read inside the write, and the state and
    /// the records are written in one transaction, so a change made
    /// meanwhile (the daemon settling the pause) is neither undone nor
    /// recorded twice.
    pub fn resume_schedule(&self, id: &str, now: Timestamp) -> Result<Resumed, ScheduleError> {
        let at = now_ms();
        let path = self.path();
        let resumed = self.write(Durability::Full, |tx| {
            let Some(mut stored) = stored_state(tx, id)? else {
                return Ok(None);
            };
            if !stored.paused {
                return Ok(Some((false, Vec::new())));
            }
            id.clone_into(&mut stored.id);
            let mut scheduler = Scheduler::new(Config::default());
            let unexpected = |e: cowork_scheduler::Error| StoreError::CorruptRecord {
                message: format!("schedule {id} could not be resumed: {e}"),
            };
            scheduler.add(stored).map_err(unexpected)?;
            let missed = scheduler.resume(id, now).map_err(unexpected)?;
            let Some(state) = scheduler.get(id) else {
                return Ok(None);
            };
            let json = serde_json::to_string(state).map_err(|source| StoreError::Encode {
                what: "a schedule's state",
                source,
            })?;
            tx.prepare_cached("UPDATE schedules SET state = ?2, updated_at = ?3 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute(params![id, json, at]))
                .at(path)?;
            for action in &missed {
                insert_action(tx, action, at, path)?;
            }
            bump_rev(tx).at(path)?;
            Ok(Some((true, missed)))
        })?;
        let Some((was_paused, missed)) = resumed else {
            return Err(ScheduleError::NotFound(id.to_owned()));
        };
        Ok(Resumed {
            schedule: self.schedule(id)?,
            was_paused,
            missed,
        })
    }
}

impl Store {
    /// Adds `rule` to the schedule's scope ("allow for every run of this
    /// schedule"), read and written in one transaction so a person's
    /// change made meanwhile is kept. Returns false when the scope has
    /// that rule already.
    pub fn add_schedule_rule(&self, id: &str, rule: &Rule) -> Result<bool, ScheduleError> {
        let now = now_ms();
        let path = self.path();
        let added = self.write(Durability::Normal, |tx| {
            let json: Option<String> = tx
                .prepare_cached("SELECT scope FROM schedules WHERE id = ?1")
                .and_then(|mut stmt| stmt.query_row(params![id], |row| row.get(0)).optional())
                .at(path)?;
            let Some(json) = json else {
                return Ok(None);
            };
            let mut scope: ScheduleScope =
                serde_json::from_str(&json).map_err(|e| StoreError::CorruptRecord {
                    message: format!("the stored scope of schedule {id} cannot be read: {e}"),
                })?;
            if scope.rules.contains(rule) {
                return Ok(Some(false));
            }
            scope.rules.push(rule.clone());
            let json = serde_json::to_string(&scope).map_err(|source| StoreError::Encode {
                what: "a schedule's scope",
                source,
            })?;
            tx.prepare_cached("UPDATE schedules SET scope = ?2, updated_at = ?3 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute(params![id, json, now]))
                .at(path)?;
            bump_rev(tx).at(path)?;
            Ok(Some(true))
        })?;
        added.ok_or_else(|| ScheduleError::NotFound(id.to_owned()))
    }
}

/// Records one action as a row of the schedule's history; returns its id.
fn insert_action(
    tx: &Transaction<'_>,
    action: &Action,
    now: i64,
    path: Option<&std::path::Path>,
) -> Result<i64, StoreError> {
    let row = ActionRow::of(action)?;
    tx.prepare_cached(
        "INSERT INTO schedule_runs \
         (schedule, due, kind, reason, count, last_due, recorded_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut stmt| {
        stmt.insert(params![
            action.schedule,
            action.due.as_millisecond(),
            row.kind,
            row.reason,
            row.count,
            row.last_due,
            now
        ])
    })
    .at(path)
}

#[cfg(test)]
#[path = "schedules_tests.rs"]
mod tests;
