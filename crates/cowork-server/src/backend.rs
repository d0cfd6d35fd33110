//! The seam between the HTTP layer and what runs tasks. The daemon's task
//! manager implements [`Backend`]; the API and the web UI only call it, so
//! both fronts see the same tasks, and tests of the HTTP layer can stand a
//! small fake in its place.
//!
//! Every type here is what the JSON API sends or takes (camelCase).

use std::path::PathBuf;
use std::sync::Arc;

use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use cowork_protocol::{ApprovalDecision, Effect, Envelope, PermissionMode, TaskId, TaskStatus};

/// What the HTTP layer needs from whatever runs tasks. Methods are
/// synchronous and short (store reads, queueing an op); the few that touch
/// the disk at length (`undo`, `read_file`) are called from a blocking
/// thread by the HTTP layer.
pub trait Backend: Send + Sync + 'static {
    /// Records a new task and queues it to run. Returns at once.
    fn create_task(&self, request: NewTask) -> Result<TaskId, BackendError>;
    /// The newest tasks first, at most `limit`.
    fn list_tasks(&self, limit: usize) -> Result<Vec<TaskSummary>, BackendError>;
    /// One task by id or unique prefix.
    fn task(&self, id: &str) -> Result<TaskDetail, BackendError>;
    /// The task's events with a seq above `after` from the store, then live
    /// ones as they happen: no gap, no duplicate, in log order. The stream
    /// stays open until dropped: a watcher stops when it has seen what it wanted (the CLI, at the final status).
    fn subscribe(
        &self,
        id: &TaskId,
        after: u64,
    ) -> Result<BoxStream<'static, Envelope>, BackendError>;
    /// Answers a pending approval. The first answer wins; a later one gets
    /// [`BackendError::Conflict`] saying it was already answered.
    fn decide(
        &self,
        id: &TaskId,
        approval: &str,
        decision: ApprovalDecision,
        by: Front,
    ) -> Result<(), BackendError>;
    fn cancel(&self, id: &TaskId) -> Result<(), BackendError>;
    /// A message from the person: taken at the next turn of a running
    /// task, or continuing a finished one in the same transcript.
    fn message(&self, id: &TaskId, text: String) -> Result<(), BackendError>;
    /// Undoes the task's file changes, or with `dry_run` says what undo
    /// would do and changes nothing.
    fn undo(&self, id: &TaskId, dry_run: bool) -> Result<UndoReport, BackendError>;
    /// What the task created or changed, newest state first.
    fn files(&self, id: &TaskId) -> Result<Vec<TaskFile>, BackendError>;
    /// The current content of a file the task touched, read through the
    /// task's folder grants. Any other path is [`BackendError::NotFound`].
    fn read_file(&self, id: &TaskId, path: &str) -> Result<FileContent, BackendError>;
    /// The task database, for the pages that show and edit what it keeps
    /// beside tasks (projects, memory, schedules, notices). A person's
    /// change to a schedule written there reaches the daemon's runner
    /// through the store's schedule revision. `None`: this backend keeps
    /// none (the HTTP layer's test fakes), and those pages say so.
    fn store(&self) -> Option<Arc<cowork_store::Store>> {
        None
    }
    /// Where the project `project_id`'s files are kept (its tasks read
    /// them), for the project page to list, take uploads into and serve.
    /// `None` with [`Backend::store`]'s `None`.
    fn project_files(&self, project_id: &str) -> Option<PathBuf> {
        let _ = project_id;
        None
    }
}

/// Which front answered or asked; recorded with decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Front {
    Terminal,
    Web,
    Api,
}

impl Front {
    pub fn as_str(self) -> &'static str {
        match self {
            Front::Terminal => "terminal",
            Front::Web => "web",
            Front::Api => "api",
        }
    }
}

/// `POST /api/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTask {
    pub prompt: String,
    #[serde(default)]
    pub folders: Vec<FolderRequest>,
    /// `ask` (default), `auto` or `plan`.
    #[serde(default)]
    #[schema(value_type = String)]
    pub mode: Option<PermissionMode>,
    /// A model name for the configured provider; the daemon's default
    /// when absent.
    #[serde(default)]
    pub model: Option<String>,
    /// `anthropic`, `openai` or `script`; chosen from the daemon's
    /// environment when absent.
    #[serde(default)]
    pub provider: Option<String>,
    /// An OpenAI-compatible or Anthropic-compatible server to use.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The conversation file for the `script` provider.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub script: Option<PathBuf>,
    /// A project's name or id: its folders join the request's, and its
    /// mode and model apply where the request names none.
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub max_turns: Option<u32>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// Wall-clock budget in seconds.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Allow whatever would ask (deny rules still win), as `--yes` does.
    #[serde(default)]
    pub assume_yes: bool,
    /// `auto` (default) or `none` (commands run without the sandbox).
    #[serde(default)]
    pub sandbox: Option<String>,
    /// Hosts commands may reach, as `--allow-net` takes them.
    #[serde(default)]
    pub allow_net: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FolderRequest {
    #[schema(value_type = String)]
    pub path: PathBuf,
    #[serde(default)]
    pub read_only: bool,
}

/// A task in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    #[schema(value_type = String)]
    pub id: TaskId,
    pub prompt: String,
    #[schema(value_type = String)]
    pub status: TaskStatus,
    /// Waiting for a free slot (the daemon runs a limited number at once).
    pub queued: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub turns: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// How many calls wait for a decision (`pendingApprovals` of the
    /// task itself lists them).
    #[serde(rename = "pendingCount")]
    pub pending_approvals: u32,
}

/// One task in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDetail {
    #[serde(flatten)]
    pub summary: TaskSummary,
    /// Why the status last changed, worded for a person.
    pub reason: Option<String>,
    #[schema(value_type = String)]
    pub mode: PermissionMode,
    pub model: String,
    pub folders: Vec<FolderRequest>,
    #[serde(rename = "pendingApprovals")]
    pub pending: Vec<PendingApproval>,
}

/// A call waiting for a person's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingApproval {
    /// The approval's id: the tool call's id.
    pub id: String,
    pub tool: String,
    #[schema(value_type = String)]
    pub effect: Effect,
    /// Exactly what will happen if allowed.
    pub summary: String,
    /// Unix milliseconds.
    pub requested_at: i64,
}

/// A file the task created or changed, as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskFile {
    /// Absolute path, as the task's log records it.
    pub path: String,
    pub change: FileChangeKind,
    /// Current size, or `None` when the file is gone (deleted, moved away,
    /// undone).
    pub size: Option<u64>,
    pub exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum FileChangeKind {
    Created,
    Modified,
    Moved,
    Deleted,
}

/// A file's bytes for preview or download.
#[derive(Debug, Clone)]
pub struct FileContent {
    /// The file's name, for `Content-Disposition`.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What `undo` did, or would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UndoReport {
    pub dry_run: bool,
    /// One line per step, in order.
    pub steps: Vec<String>,
    /// Files changed after the task; undo refuses to overwrite them.
    pub conflicts: Vec<UndoConflict>,
    pub restored: u32,
    pub skipped: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UndoConflict {
    pub path: String,
    pub reason: String,
}

/// Why a backend call failed; the HTTP layer maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 400: the request names the problem and the fix.
    #[error("{0}")]
    BadRequest(String),
    /// 409: the request came too late or collides (already answered,
    /// already finished, still running).
    #[error("{0}")]
    Conflict(String),
    /// 500.
    #[error("{0}")]
    Internal(String),
}
