//! The cowork store: makes every task durable and replayable. It owns the
//! SQLite schema and its numbered migrations, the task rows, and each
//! task's event log — the single source of truth a task is rebuilt from
//! after a crash — plus who owns a running task, so a crashed one is found
//! and marked interrupted, and which front hosts it ([`Host`]), so a daemon
//! started again resumes its own. Read-side helpers answer what fronts
//! ask often: tasks by status, and a task's approvals still pending.
//! It also keeps memory: notes that outlive a task, global or per
//! project, recalled by full-text search, and deleted for real (no copy
//! left in the file) when forgotten.
//!
//! It knows nothing of models, tools or HTTP. The API is synchronous and
//! short (an append is one small write transaction, tens of microseconds in
//! WAL mode), so the async runner calls it directly. Several processes may
//! open the same file at once, and many threads may share one `Store`:
//! a synced append (the change journal) is on disk before it returns
//! however many other tasks write meanwhile.
//!
//! ```
//! use cowork_protocol::{Event, ModelChoice, Provider, TaskId, TaskSpec, TaskStatus};
//! use cowork_store::{Owner, Store};
//!
//! let store = Store::open_in_memory()?;
//! let spec = TaskSpec {
//!     prompt: "Summarise notes.txt".into(),
//!     folders: vec![],
//!     model: ModelChoice {
//!         provider: Provider::Script,
//!         model: "script".into(),
//!         base_url: None,
//!         script: None,
//!     },
//!     budget: Default::default(),
//!     mode: Default::default(),
//!     project: None,
//!     rules: vec![],
//!     connectors: None,
//!     schedule: None,
//! };
//! let id = TaskId::new();
//! store.create_task(&id, &spec, &Owner::current()?)?;
//! let seq = store.append(&id, &Event::StatusChanged {
//!     status: TaskStatus::Completed,
//!     reason: None,
//!     end: None,
//! })?;
//! assert_eq!(seq, 2);
//! assert_eq!(store.task(&id.as_str()[..8])?.status, TaskStatus::Completed);
//! assert_eq!(store.events(&id)?.len(), 2);
//! # Ok::<(), cowork_store::StoreError>(())
//! ```

mod approvals;
mod error;
mod host;
mod memory;
mod memory_query;
mod memory_rank;
mod memory_scrub;
mod migrate;
mod notices;
mod owner;
mod projects;
mod read;
mod schedules;
mod schedules_daemon;
mod store;
mod write;

pub use approvals::PendingRequest;
pub use error::StoreError;
pub use host::Host;
pub use memory::{
    MAX_RANKED, MEMORY_MAX_CHARS, MemoryEntry, MemoryFilter, RecallPlan, RecallQuery, Removal,
    memory_tokens,
};
pub use memory_query::{Stopwords, match_expression, or_expression, query_terms};
pub use memory_scrub::MEMORY_TOOL;
pub use migrate::SCHEMA_VERSION;
pub use notices::{NoticeKind, StoredNotice};
pub use owner::Owner;
pub use projects::{MAX_PROJECT_NAME, NewProject, Project, ProjectError, check_project_name};
pub use read::{MIN_PREFIX, StoredEvent, TaskRow};
pub use schedules::{
    MAX_SCHEDULE_NAME, NewSchedule, Resumed, RunEntry, Schedule, ScheduleError, ScheduleRun,
    check_schedule_name,
};
pub use schedules_daemon::ScheduleRead;
pub use store::Store;
