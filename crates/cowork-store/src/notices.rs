//! Notices: what the person was told about the daemon's tasks (one
//! finished, failed, or waits for them), kept so the web UI can show a
//! badge and a list whether or not the desktop showed them.

use cowork_protocol::TaskId;
use rusqlite::params;

use crate::error::SqlContext;
use crate::store::{Durability, now_ms};
use crate::{Store, StoreError};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Finished,
    Failed,
    /// The task waits for the person (an approval).
    Waiting,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Finished => "finished",
            NoticeKind::Failed => "failed",
            NoticeKind::Waiting => "waiting",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "finished" => NoticeKind::Finished,
            "failed" => NoticeKind::Failed,
            "waiting" => NoticeKind::Waiting,
            _ => return None,
        })
    }
}

/// One notice as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotice {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub kind: NoticeKind,
    pub task: TaskId,
    pub title: String,
    pub body: String,
    /// When the person saw it; `None`: unread.
    pub read_at: Option<i64>,
}

/// A notice's columns as read: id, at, kind, task, title, body, read_at.
type NoticeRow = (i64, i64, String, String, String, String, Option<i64>);

impl Store {
    /// Keeps a notice; returns its id.
    pub fn add_notice(
        &self,
        kind: NoticeKind,
        task: &TaskId,
        title: &str,
        body: &str,
    ) -> Result<i64, StoreError> {
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            tx.prepare_cached(
                "INSERT INTO notices (at, kind, task, title, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut stmt| {
                stmt.insert(params![now_ms(), kind.as_str(), task.as_str(), title, body])
            })
            .at(path)
        })
    }

    /// The newest notices first, at most `limit`; only unread ones with
    /// `unread`.
    pub fn notices(&self, limit: usize, unread: bool) -> Result<Vec<StoredNotice>, StoreError> {
        let path = self.path();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<NoticeRow> = self
            .conn()
            .prepare_cached(
                "SELECT id, at, kind, task, title, body, read_at FROM notices \
                 WHERE NOT ?1 OR read_at IS NULL ORDER BY id DESC LIMIT ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![unread, limit], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                    ))
                })?
                .collect()
            })
            .at(path)?;
        rows.into_iter()
            .map(|(id, at, kind, task, title, body, read_at)| {
                let kind = NoticeKind::parse(&kind).ok_or_else(|| StoreError::CorruptRecord {
                    message: format!("notice {id} has an unknown kind `{kind}`"),
                })?;
                Ok(StoredNotice {
                    id,
                    at,
                    kind,
                    task: TaskId::from_raw(task),
                    title,
                    body,
                    read_at,
                })
            })
            .collect()
    }

    /// How many notices the person has not seen.
    pub fn unread_notices(&self) -> Result<u64, StoreError> {
        let path = self.path();
        self.conn()
            .prepare_cached("SELECT count(*) FROM notices WHERE read_at IS NULL")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .at(path)
    }

    /// Marks every notice up to id `through` as read; returns how many
    /// were unread.
    pub fn mark_notices_read(&self, through: i64) -> Result<usize, StoreError> {
        let path = self.path();
        self.write(Durability::Normal, |tx| {
            tx.execute(
                "UPDATE notices SET read_at = ?2 WHERE id <= ?1 AND read_at IS NULL",
                params![through, now_ms()],
            )
            .at(path)
        })
    }
}
