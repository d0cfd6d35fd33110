//! Writing: creating tasks, appending to their logs, and who owns them.

use std::path::Path;

use cowork_protocol::{Event, TaskId, TaskSpec, TaskStatus};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::error::SqlContext;
use crate::read::parse_status;
use crate::store::{Durability, now_ms};
use crate::{Host, Owner, Store, StoreError};

impl Store {
    /// Inserts the task's row (status `running`, owned by `owner`) and
    /// appends `Event::TaskCreated { spec }` as seq 1, in one transaction.
    pub fn create_task(
        &self,
        id: &TaskId,
        spec: &TaskSpec,
        owner: &Owner,
    ) -> Result<(), StoreError> {
        self.create_hosted_task(id, spec, owner, Host::Cli)
    }

    /// [`Store::create_task`] for a task run by `host`, recorded in the
    /// same transaction, so a daemon killed right after creating a task
    /// still finds it its own on restart.
    pub fn create_hosted_task(
        &self,
        id: &TaskId,
        spec: &TaskSpec,
        owner: &Owner,
        host: Host,
    ) -> Result<(), StoreError> {
        let spec_json = encode("the task spec", spec)?;
        let created = Event::TaskCreated { spec: spec.clone() };
        let created_json = encode("an event", &created)?;
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            let now = now_ms();
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO tasks (id, created_at, updated_at, status, prompt, spec, \
                     owner_pid, owner_start, host) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        id.as_str(),
                        now,
                        TaskStatus::Running.as_str(),
                        spec.prompt,
                        spec_json,
                        owner.pid,
                        to_i64(owner.start_time),
                        host.as_str(),
                    ])
                });
            match inserted {
                Ok(_) => {}
                Err(err) if err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                    return Err(StoreError::AlreadyExists { id: id.clone() });
                }
                Err(err) => return Err(crate::error::sql_error(err, path)),
            }
            append_in(tx, path, id, &created, created_json, now)?;
            Ok(())
        })
    }

    /// Appends a persistent event to the task's log and returns its seq.
    /// In the same transaction the task's row follows it: status and
    /// reason, turn count, token totals, and always `updated_at`.
    ///
    /// A transient event (`!event.is_persistent()`) is refused with
    /// [`StoreError::Transient`] and not stored.
    pub fn append(&self, task: &TaskId, event: &Event) -> Result<u64, StoreError> {
        // Checked before taking the write lock; `append_in` checks again.
        if !event.is_persistent() {
            return Err(StoreError::Transient(event.kind()));
        }
        let payload = encode("an event", event)?;
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            append_in(tx, path, task, event, payload, now_ms())
        })
    }

    /// Appends several persistent events in one transaction (all or
    /// none), e.g. every move of a batch before any of them happens.
    /// Returns their seqs.
    pub fn append_all(&self, task: &TaskId, events: &[Event]) -> Result<Vec<u64>, StoreError> {
        self.append_batch(task, events, Durability::Normal)
    }

    /// [`Store::append_all`], synced to disk before it returns — even
    /// across a power loss — for records that must exist before the thing
    /// they describe happens (the change journal). Other appends use WAL's
    /// cheaper `synchronous=NORMAL`, which survives a crash of the process
    /// but may lose the last commits on power loss. The guarantee holds
    /// per append however many tasks write at once.
    pub fn append_all_synced(
        &self,
        task: &TaskId,
        events: &[Event],
    ) -> Result<Vec<u64>, StoreError> {
        self.append_batch(task, events, Durability::Full)
    }

    fn append_batch(
        &self,
        task: &TaskId,
        events: &[Event],
        durability: Durability,
    ) -> Result<Vec<u64>, StoreError> {
        let mut payloads = Vec::with_capacity(events.len());
        for event in events {
            if !event.is_persistent() {
                return Err(StoreError::Transient(event.kind()));
            }
            payloads.push(encode("an event", event)?);
        }
        let path = self.path();
        self.write(durability, |tx| {
            let now = now_ms();
            events
                .iter()
                .zip(payloads)
                .map(|(event, payload)| append_in(tx, path, task, event, payload, now))
                .collect()
        })
    }

    /// Takes ownership of a task to resume it, and appends
    /// `StatusChanged { Running, reason: "resumed" }`; returns that
    /// event's seq, for publishing it live. The task's host is kept.
    ///
    /// Refused with [`StoreError::Busy`] while the task is running in
    /// another live process. A task that has stopped (interrupted, or
    /// ended) may be claimed whatever became of its last owner; claiming a
    /// task this same owner holds is allowed.
    pub fn claim(&self, task: &TaskId, owner: &Owner) -> Result<u64, StoreError> {
        self.claim_in(task, owner, None)
    }

    /// [`Store::claim`] that also makes `host` the task's host, in the
    /// same transaction.
    pub fn claim_hosted(
        &self,
        task: &TaskId,
        owner: &Owner,
        host: Host,
    ) -> Result<u64, StoreError> {
        self.claim_in(task, owner, Some(host))
    }

    fn claim_in(
        &self,
        task: &TaskId,
        owner: &Owner,
        host: Option<Host>,
    ) -> Result<u64, StoreError> {
        let resumed = Event::StatusChanged {
            status: TaskStatus::Running,
            reason: Some("resumed".to_owned()),
            end: None,
        };
        let payload = encode("an event", &resumed)?;
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            let row = tx
                .prepare_cached("SELECT status, owner_pid, owner_start FROM tasks WHERE id = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row([task.as_str()], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, Option<u32>>(1)?,
                            row.get::<_, Option<u64>>(2)?,
                        ))
                    })
                    .optional()
                })
                .at(path)?;
            let Some((status, pid, start)) = row else {
                return Err(StoreError::NotFound {
                    id: task.to_string(),
                });
            };
            let current = pid.map(|pid| Owner {
                pid,
                start_time: start.unwrap_or(0),
            });
            let running_elsewhere = match parse_status(task, &status)? {
                TaskStatus::Running => current.filter(|c| c != owner && c.is_alive()),
                TaskStatus::Interrupted
                | TaskStatus::Completed
                | TaskStatus::Failed
                | TaskStatus::Cancelled => None,
            };
            if let Some(holder) = running_elsewhere {
                return Err(StoreError::Busy {
                    id: task.clone(),
                    pid: holder.pid,
                });
            }
            tx.prepare_cached(
                "UPDATE tasks SET owner_pid = ?2, owner_start = ?3, host = COALESCE(?4, host) \
                 WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    task.as_str(),
                    owner.pid,
                    to_i64(owner.start_time),
                    host.map(Host::as_str),
                ])
            })
            .at(path)?;
            append_in(tx, path, task, &resumed, payload, now_ms())
        })
    }

    /// Marks as interrupted every running task whose owner process has
    /// died (crash, kill -9, power loss), appending
    /// `StatusChanged { Interrupted, reason }` to each; returns their ids.
    /// Meant for start-up, before anything lists or resumes tasks.
    pub fn reap_interrupted(&self) -> Result<Vec<TaskId>, StoreError> {
        let path = self.path();
        // One write transaction, so a task claimed by another process
        // meanwhile is never marked interrupted under it.
        self.write(Durability::Normal, |tx| {
            let running: Vec<(String, Option<u32>, Option<u64>)> = tx
                .prepare_cached(
                    "SELECT id, owner_pid, owner_start FROM tasks WHERE status = ?1 \
                     ORDER BY created_at, rowid",
                )
                .and_then(|mut stmt| {
                    stmt.query_map([TaskStatus::Running.as_str()], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })?
                    .collect()
                })
                .at(path)?;
            let mut reaped = Vec::new();
            for (id, pid, start) in running {
                let owner = pid.map(|pid| Owner {
                    pid,
                    start_time: start.unwrap_or(0),
                });
                if owner.is_some_and(|owner| owner.is_alive()) {
                    continue;
                }
                let reason = match pid {
                    Some(pid) => format!("the process running it (pid {pid}) ended unexpectedly"),
                    None => "the process running it ended unexpectedly".to_owned(),
                };
                let event = Event::StatusChanged {
                    status: TaskStatus::Interrupted,
                    reason: Some(reason),
                    end: None,
                };
                let payload = encode("an event", &event)?;
                let id = TaskId::from_raw(id);
                append_in(tx, path, &id, &event, payload, now_ms())?;
                reaped.push(id);
            }
            Ok(reaped)
        })
    }
}

/// Appends `event` (already encoded as `payload`) inside the caller's
/// transaction, keeping the task row's index columns in step.
/// `now` is the transaction's one clock reading, so a task created and
/// logged in one transaction has one time.
fn append_in(
    conn: &Connection,
    path: Option<&Path>,
    task: &TaskId,
    event: &Event,
    payload: String,
    now: i64,
) -> Result<u64, StoreError> {
    let id = task.as_str();
    let updated = match event {
        Event::StatusChanged { status, reason, .. } => conn
            .prepare_cached(
                "UPDATE tasks SET updated_at = ?2, status = ?3, status_reason = ?4 WHERE id = ?1",
            )
            .and_then(|mut stmt| stmt.execute(params![id, now, status.as_str(), reason])),
        Event::TurnStarted { turn } => conn
            .prepare_cached("UPDATE tasks SET updated_at = ?2, turns = ?3 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![id, now, turn])),
        Event::AssistantMessage { usage, .. } | Event::Compacted { usage, .. } => conn
            .prepare_cached(
                "UPDATE tasks SET updated_at = ?2, input_tokens = input_tokens + ?3, \
                 output_tokens = output_tokens + ?4 WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id,
                    now,
                    to_i64(usage.prompt_tokens()),
                    to_i64(usage.output_tokens),
                ])
            }),
        Event::TaskCreated { .. }
        | Event::PromptExpanded { .. }
        | Event::MemoryRecalled { .. }
        | Event::Connector { .. }
        | Event::Warning { .. }
        | Event::InstructionsLoaded { .. }
        | Event::UserMessage { .. }
        | Event::ToolCallFinished { .. }
        | Event::ApprovalRequested { .. }
        | Event::ApprovalDecided { .. }
        | Event::FileChanged { .. }
        | Event::Undone { .. } => conn
            .prepare_cached("UPDATE tasks SET updated_at = ?2 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![id, now])),
        Event::TextDelta { .. } | Event::ToolCallStarted { .. } | Event::Notice { .. } => {
            return Err(StoreError::Transient(event.kind()));
        }
    }
    .at(path)?;
    if updated == 0 {
        return Err(StoreError::NotFound { id: id.to_owned() });
    }
    conn.prepare_cached(
        "INSERT INTO events (task_id, seq, at, kind, payload) \
         SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4 FROM events WHERE task_id = ?1 \
         RETURNING seq",
    )
    .and_then(|mut stmt| stmt.query_row(params![id, now, event.kind(), payload], |row| row.get(0)))
    .at(path)
}

fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Encode { what, source })
}

/// SQLite integers are signed; counts past `i64::MAX` cannot happen in
/// practice and saturate rather than fail a write.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
