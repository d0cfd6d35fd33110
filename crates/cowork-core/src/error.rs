use cowork_protocol::{BudgetExceeded, TaskId, TaskStatus};

/// Why a task could not start, go on, or be resumed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The task database failed; the task cannot record progress.
    #[error(transparent)]
    Store(#[from] cowork_store::StoreError),
    /// The model call failed after the provider's own retries.
    #[error(transparent)]
    Model(#[from] cowork_model::ModelError),
    /// The connected folders could not be opened.
    #[error(transparent)]
    Files(#[from] cowork_files::FileError),
    /// A budget ran out; the task stops here.
    #[error("stopped: {0}")]
    Budget(BudgetExceeded),
    /// The conversation no longer fits the model's context window and
    /// compaction could not shrink it.
    #[error(
        "the conversation no longer fits the model's context window ({window} tokens) and there is nothing left to compact"
    )]
    ContextFull { window: u64 },
    /// A finished task cannot be resumed.
    #[error("task {id} has already {} and cannot be resumed", .status.as_str())]
    NotResumable { id: TaskId, status: TaskStatus },
    /// A running task cannot be continued; send it a message instead.
    #[error("task {id} is still running; its next turn takes new messages")]
    StillRunning { id: TaskId },
    /// cowork itself panicked while running the task: a bug. The task is
    /// recorded as failed; the process goes on.
    #[error("cowork hit an internal error and stopped the task: {message}")]
    Panicked { message: String },
    /// A `UserPromptSubmit` hook refused the task's prompt; the task
    /// ends without calling the model.
    #[error("a UserPromptSubmit hook refused the prompt: {reason}")]
    PromptRefused { reason: String },
    /// The stored log does not start with the task's creation.
    #[error("task {id}'s event log is damaged: it does not begin with the task's creation")]
    DamagedLog { id: TaskId },
}
