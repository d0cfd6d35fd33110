use std::path::{Path, PathBuf};

use cowork_protocol::TaskId;

/// Everything the store can fail with. Each variant says how the caller
/// should react; the database file is named wherever it is known.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file or its folder could not be opened or created:
    /// show it to the user, nothing will work until it is fixed.
    #[error("could not open the task database at {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// The folder that should hold the database could not be created.
    #[error("could not create the folder {} for the task database: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database was written by a newer cowork, whose schema this
    /// version does not know. Upgrade cowork; never write to it.
    #[error(
        "the task database{} was written by a newer cowork (schema version {found}; this \
         version knows up to {supported}): upgrade cowork to use it",
        location(path.as_deref())
    )]
    TooNew {
        path: Option<PathBuf>,
        found: i64,
        supported: i64,
    },

    /// Another process held the database locked past the busy timeout.
    /// Transient: retrying later usually succeeds.
    #[error(
        "the task database{} is locked by another cowork process; try again",
        location(path.as_deref())
    )]
    Locked {
        path: Option<PathBuf>,
        #[source]
        source: rusqlite::Error,
    },

    /// Any other SQLite failure: a bug, a full disk or a damaged file.
    #[error("task database error{}: {source}", location(path.as_deref()))]
    Sqlite {
        path: Option<PathBuf>,
        #[source]
        source: rusqlite::Error,
    },

    /// No task has this id or prefix (or, for `last`, there is no task).
    #[error("no task matches `{id}`")]
    NotFound { id: String },

    /// A prefix matched several tasks: ask for more characters.
    #[error(
        "`{prefix}` matches several tasks ({}); type more characters of the id",
        candidates.join(", ")
    )]
    Ambiguous {
        prefix: String,
        candidates: Vec<String>,
    },

    /// A prefix too short to name a task with any confidence.
    #[error("`{prefix}` is too short to name a task: give at least {min} characters of its id")]
    PrefixTooShort { prefix: String, min: usize },

    /// `create_task` with an id already in use: a bug in the caller.
    #[error("a task with id {id} already exists")]
    AlreadyExists { id: TaskId },

    /// Another live process runs the task; it cannot be claimed until that
    /// process ends.
    #[error("task {id} is being run by another cowork process (pid {pid})")]
    Busy { id: TaskId, pid: u32 },

    /// A transient event was passed to `append`: a bug in the caller, since
    /// only persistent events belong in the log. Nothing was stored.
    #[error("`{0}` events are transient and are not stored")]
    Transient(&'static str),

    /// A stored event no longer reads back (damaged row, or written by a
    /// newer cowork). The task cannot be replayed past it.
    #[error("event {seq} of task {task} cannot be read: {message}")]
    Corrupt {
        task: TaskId,
        seq: u64,
        message: String,
    },

    /// A task's row no longer reads back (damaged spec or unknown status).
    #[error("the record of task {task} cannot be read: {message}")]
    CorruptTask { task: TaskId, message: String },

    /// A value could not be turned into JSON for storage.
    #[error("could not encode {what} for the task database: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// No memory entry has this id or prefix (or none the asker may see).
    #[error("no memory entry matches `{id}`")]
    MemoryNotFound { id: String },

    /// A prefix matched several memory entries: ask for more characters.
    #[error(
        "`{prefix}` matches several memory entries ({}); type more characters of the id",
        candidates.join(", ")
    )]
    MemoryAmbiguous {
        prefix: String,
        candidates: Vec<String>,
    },

    /// A memory entry with nothing in it: nothing was stored.
    #[error("a memory entry needs some text; nothing was stored")]
    EmptyMemory,

    /// A memory entry longer than the store keeps: split it into shorter
    /// entries, one fact each. Nothing was stored.
    #[error(
        "a memory entry holds at most {max} characters and this one has {chars}: keep one fact \
         per entry; nothing was stored"
    )]
    MemoryTooLong { chars: usize, max: usize },

    /// A project scope with an empty name: a bug in the caller.
    #[error("a project's memory needs the project's name")]
    EmptyProjectName,

    /// The identity of a process (its start time) could not be read.
    /// A schedule's record or history cannot be read back.
    #[error("the schedules' record cannot be read: {message}")]
    CorruptRecord { message: String },

    #[error("could not read the identity of process {pid}: {message}")]
    ProcessInfo { pid: u32, message: String },
}

fn location(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!(" at {}", path.display()),
        None => " (in memory)".to_owned(),
    }
}

/// Attaches the database's location to SQLite errors, telling a lock
/// timeout (transient) from everything else.
pub(crate) trait SqlContext<T> {
    fn at(self, path: Option<&Path>) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn at(self, path: Option<&Path>) -> Result<T, StoreError> {
        self.map_err(|source| sql_error(source, path))
    }
}

pub(crate) fn sql_error(source: rusqlite::Error, path: Option<&Path>) -> StoreError {
    let path = path.map(Path::to_path_buf);
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Locked { path, source }
        }
        _ => StoreError::Sqlite { path, source },
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
