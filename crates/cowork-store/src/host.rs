//! Which front hosts a task: the daemon resumes its own tasks after a
//! restart and leaves those a terminal ran alone.

use cowork_protocol::{TaskId, TaskStatus};
use rusqlite::params;

use crate::error::SqlContext;
use crate::read::{TASK_COLUMNS, raw_task};
use crate::store::Durability;
use crate::{Store, StoreError, TaskRow};

/// The kind of process that runs a task. Unlike the owner (one process),
/// it survives the process: a daemon started again knows which
/// interrupted tasks to take back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// A `cowork` command in a terminal (or any in-process front). Its
    /// interrupted tasks wait for `cowork resume`.
    Cli,
    /// `cowork serve`, which resumes its interrupted tasks when it starts.
    Daemon,
}

impl Host {
    /// The value stored in the `host` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Host::Cli => "cli",
            Host::Daemon => "daemon",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cli" => Some(Host::Cli),
            "daemon" => Some(Host::Daemon),
            _ => None,
        }
    }
}

impl Store {
    /// Records which front hosts the task from now on. Not part of the
    /// task's log: it says who runs the task, not what happened in it.
    /// Prefer [`Store::create_hosted_task`] and [`Store::claim_hosted`],
    /// which record it in the same transaction.
    pub fn set_host(&self, task: &TaskId, host: Host) -> Result<(), StoreError> {
        let path = self.path();
        let updated = self.write(Durability::Normal, |tx| {
            tx.prepare_cached("UPDATE tasks SET host = ?2 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute(params![task.as_str(), host.as_str()]))
                .at(path)
        })?;
        if updated == 0 {
            return Err(StoreError::NotFound {
                id: task.to_string(),
            });
        }
        Ok(())
    }

    /// The interrupted tasks hosted by the daemon, oldest first: what a
    /// daemon starting again resumes. Call [`Store::reap_interrupted`]
    /// first, so the tasks of a daemon that was killed are marked
    /// interrupted.
    pub fn interrupted_daemon_tasks(&self) -> Result<Vec<TaskRow>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE status = ?1 AND host = ?2 \
             ORDER BY created_at, rowid"
        );
        let raws: Vec<_> = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![TaskStatus::Interrupted.as_str(), Host::Daemon.as_str()],
                    raw_task,
                )?
                .collect()
            })
            .at(path)?;
        drop(conn);
        raws.into_iter().map(|raw| raw.into_row()).collect()
    }
}
