//! Reading: finding tasks by id, prefix or recency, and replaying logs.

use cowork_protocol::{Event, TaskId, TaskSpec, TaskStatus};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::SqlContext;
use crate::{Host, Owner, Store, StoreError};

/// The shortest prefix [`Store::task`] accepts: shorter ones name too many
/// tasks at once to be a useful handle.
pub const MIN_PREFIX: usize = 4;

/// At most this many candidates are reported for an ambiguous prefix.
const MAX_CANDIDATES: usize = 10;

/// A task's row: what listings show without replaying the log. Every
/// field past `spec` follows the log (see [`Store::append`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub id: TaskId,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last appended event.
    pub updated_at: i64,
    pub status: TaskStatus,
    /// Why the status last changed, when one was given.
    pub status_reason: Option<String>,
    pub prompt: String,
    pub spec: TaskSpec,
    /// The latest `TurnStarted` turn.
    pub turns: u32,
    /// Every prompt token charged, cached or not, including compaction.
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Which front runs it (see [`Host`]).
    pub host: Host,
}

/// One entry of a task's log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// Unix milliseconds when it was appended.
    pub at: i64,
    pub event: Event,
}

pub(crate) const TASK_COLUMNS: &str = "id, created_at, updated_at, status, status_reason, \
                                       prompt, spec, turns, input_tokens, output_tokens, host";

impl Store {
    /// A task by full id, by unique prefix of at least [`MIN_PREFIX`]
    /// characters, or `last` for the newest task.
    ///
    /// Fails with [`StoreError::NotFound`] when nothing matches,
    /// [`StoreError::Ambiguous`] when a prefix matches several tasks, and
    /// [`StoreError::PrefixTooShort`] for a prefix too short to trust.
    pub fn task(&self, id_or_prefix: &str) -> Result<TaskRow, StoreError> {
        let wanted = id_or_prefix.trim();
        let path = self.path();
        let conn = self.conn();
        if wanted == "last" {
            let sql = format!(
                "SELECT {TASK_COLUMNS} FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT 1"
            );
            return conn
                .prepare_cached(&sql)
                .and_then(|mut stmt| stmt.query_row([], raw_task).optional())
                .at(path)?
                .ok_or_else(|| StoreError::NotFound {
                    id: wanted.to_owned(),
                })?
                .into_row();
        }
        if let Some(raw) = by_id(&conn, wanted).at(path)? {
            return raw.into_row();
        }
        if wanted.chars().count() < MIN_PREFIX {
            return Err(StoreError::PrefixTooShort {
                prefix: wanted.to_owned(),
                min: MIN_PREFIX,
            });
        }
        let mut candidates = with_prefix(&conn, wanted).at(path)?;
        let lower = wanted.to_lowercase();
        if candidates.is_empty() && lower != wanted {
            // Ids are lower-case hex; a prefix copied in capitals still names them.
            candidates = with_prefix(&conn, &lower).at(path)?;
        }
        if candidates.len() > 1 {
            return Err(StoreError::Ambiguous {
                prefix: wanted.to_owned(),
                candidates,
            });
        }
        let only = candidates.pop().ok_or_else(|| StoreError::NotFound {
            id: wanted.to_owned(),
        })?;
        by_id(&conn, &only)
            .at(path)?
            .ok_or_else(|| StoreError::NotFound {
                id: wanted.to_owned(),
            })?
            .into_row()
    }

    /// The newest `limit` tasks, newest first.
    pub fn list_tasks(&self, limit: usize) -> Result<Vec<TaskRow>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ?1"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws: Vec<RawTask> = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.query_map([limit], raw_task)?.collect())
            .at(path)?;
        raws.into_iter().map(RawTask::into_row).collect()
    }

    /// The newest `limit` tasks whose status is one of `statuses`, newest
    /// first: e.g. what is still running, or what waits to be resumed.
    pub fn list_tasks_with_status(
        &self,
        statuses: &[TaskStatus],
        limit: usize,
    ) -> Result<Vec<TaskRow>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        // One placeholder per status (?2, ?3, …); ?1 is the limit.
        let placeholders: Vec<String> = (2..statuses.len() + 2).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE status IN ({}) \
             ORDER BY created_at DESC, rowid DESC LIMIT ?1",
            placeholders.join(", ")
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params = std::iter::once(rusqlite::types::Value::Integer(limit)).chain(
            statuses
                .iter()
                .map(|status| rusqlite::types::Value::Text(status.as_str().to_owned())),
        );
        let raws: Vec<RawTask> = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(rusqlite::params_from_iter(params), raw_task)?
                    .collect()
            })
            .at(path)?;
        raws.into_iter().map(RawTask::into_row).collect()
    }

    /// The task's whole log, in order.
    pub fn events(&self, task: &TaskId) -> Result<Vec<StoredEvent>, StoreError> {
        self.events_after(task, 0)
    }

    /// The task's log after `seq` (exclusive), in order: what a watcher
    /// that has seen up to `seq` is missing.
    pub fn events_after(&self, task: &TaskId, seq: u64) -> Result<Vec<StoredEvent>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let after = i64::try_from(seq).unwrap_or(i64::MAX);
        let rows: Vec<(u64, i64, String)> = conn
            .prepare_cached(
                "SELECT seq, at, payload FROM events WHERE task_id = ?1 AND seq > ?2 ORDER BY seq",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![task.as_str(), after], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect()
            })
            .at(path)?;
        if rows.is_empty() && !exists(&conn, task.as_str()).at(path)? {
            return Err(StoreError::NotFound {
                id: task.to_string(),
            });
        }
        rows.into_iter()
            .map(|(seq, at, payload)| {
                let event = serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt {
                    task: task.clone(),
                    seq,
                    message: e.to_string(),
                })?;
                Ok(StoredEvent { seq, at, event })
            })
            .collect()
    }

    /// The seq of the task's last stored event: where a watcher that wants
    /// only what comes next subscribes from.
    pub fn last_seq(&self, task: &TaskId) -> Result<u64, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let last: Option<u64> = conn
            .prepare_cached("SELECT MAX(seq) FROM events WHERE task_id = ?1")
            .and_then(|mut stmt| stmt.query_row(params![task.as_str()], |row| row.get(0)))
            .at(path)?;
        match last {
            Some(seq) => Ok(seq),
            None if exists(&conn, task.as_str()).at(path)? => Ok(0),
            None => Err(StoreError::NotFound {
                id: task.to_string(),
            }),
        }
    }

    /// The process recorded as running the task, if any.
    pub fn owner(&self, task: &TaskId) -> Result<Option<Owner>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let row: Option<(Option<u32>, Option<u64>)> = conn
            .prepare_cached("SELECT owner_pid, owner_start FROM tasks WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([task.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .at(path)?;
        let Some((pid, start)) = row else {
            return Err(StoreError::NotFound {
                id: task.to_string(),
            });
        };
        Ok(pid.map(|pid| Owner {
            pid,
            start_time: start.unwrap_or(0),
        }))
    }
}

/// A task row as stored, before its JSON and status are checked.
pub(crate) struct RawTask {
    id: String,
    created_at: i64,
    updated_at: i64,
    status: String,
    status_reason: Option<String>,
    prompt: String,
    spec: String,
    turns: u32,
    input_tokens: u64,
    output_tokens: u64,
    host: String,
}

pub(crate) fn raw_task(row: &Row<'_>) -> rusqlite::Result<RawTask> {
    Ok(RawTask {
        id: row.get(0)?,
        created_at: row.get(1)?,
        updated_at: row.get(2)?,
        status: row.get(3)?,
        status_reason: row.get(4)?,
        prompt: row.get(5)?,
        spec: row.get(6)?,
        turns: row.get(7)?,
        input_tokens: row.get(8)?,
        output_tokens: row.get(9)?,
        host: row.get(10)?,
    })
}

impl RawTask {
    pub(crate) fn into_row(self) -> Result<TaskRow, StoreError> {
        let id = TaskId::from_raw(self.id);
        let status = parse_status(&id, &self.status)?;
        let host = Host::parse(&self.host).ok_or_else(|| StoreError::CorruptTask {
            task: id.clone(),
            message: format!("unknown host `{}`", self.host),
        })?;
        let spec = serde_json::from_str(&self.spec).map_err(|e| StoreError::CorruptTask {
            task: id.clone(),
            message: format!("its spec does not read back: {e}"),
        })?;
        Ok(TaskRow {
            id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            status,
            status_reason: self.status_reason,
            prompt: self.prompt,
            spec,
            turns: self.turns,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            host,
        })
    }
}

pub(crate) fn parse_status(task: &TaskId, status: &str) -> Result<TaskStatus, StoreError> {
    TaskStatus::parse(status).ok_or_else(|| StoreError::CorruptTask {
        task: task.clone(),
        message: format!("unknown status `{status}`"),
    })
}

fn by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<RawTask>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], raw_task)
        .optional()
}

/// Ids starting with `prefix`, as a range scan of the primary key (no
/// LIKE, whose wildcards and case folding would need escaping): every such
/// id sorts between the prefix and the prefix followed by the highest
/// code point.
fn with_prefix(conn: &Connection, prefix: &str) -> rusqlite::Result<Vec<String>> {
    let limit = i64::try_from(MAX_CANDIDATES).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "SELECT id FROM tasks WHERE id >= ?1 AND id < ?1 || char(1114111) ORDER BY id LIMIT ?2",
    )?
    .query_map(params![prefix, limit], |row| row.get(0))?
    .collect()
}

pub(crate) fn exists(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = ?1)")?
        .query_row([id], |row| row.get(0))
}
