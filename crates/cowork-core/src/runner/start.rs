//! Starting a task, loading one from its log, resuming it, continuing it
//! with a new message: each ends in [`spawn`], which subscribes the
//! handle before the runner starts so it misses nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tokio::sync::mpsc;

use cowork_model::Model;
use cowork_protocol::{ContentBlock, Event, FolderGrant, TaskId, TaskSpec, TaskStatus};
use cowork_store::{Owner, Store};

use super::{Runner, Start};
use crate::approvals::{Approvals, Approver, LoggedApprovals};
use crate::error::CoreError;
use crate::extensions::{ExpandedPrompt, TaskExtensions};
use crate::handle::{MessageGate, OpSender, TaskHandle};
use crate::hub::Hub;
use crate::instructions::{self, Instructions};
use crate::permission::Policy;
use crate::prompt;
use crate::tool::ToolRegistry;
use crate::tools::MemorySettings;
use crate::transcript::Transcript;

/// Tunables of the loop; the defaults suit real models.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Tool output beyond this many characters is cut, with a note on how
    /// to read the rest.
    pub max_tool_output_chars: usize,
    /// The most output tokens one model call may produce.
    pub max_output_tokens: u32,
    /// Compact when the estimated prompt exceeds this share of the context
    /// window.
    pub compact_threshold: f64,
    /// Whose memory the task sees, and how much of it it starts with.
    pub memory: MemorySettings,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            max_tool_output_chars: 30_000,
            max_output_tokens: 8192,
            compact_threshold: 0.75,
            memory: MemorySettings::default(),
        }
    }
}

/// What a task runs with.
#[derive(Clone)]
pub struct TaskDeps {
    pub model: Arc<dyn Model>,
    /// Where the task's events are stored and published.
    pub hub: Hub,
    pub tools: ToolRegistry,
    pub policy: Policy,
    /// How questions that need a person are answered.
    pub approver: Approver,
    pub options: RunOptions,
    /// Skills, connectors and hooks from plugins (none by default).
    pub extensions: TaskExtensions,
    /// The instructions read for this run. A task whose log already
    /// records its instructions runs with those instead, so a resumed
    /// task is sent what its first run was (save a folder whose trust was
    /// withdrawn since: its file becomes data); one that called the model
    /// without recording any (logged before instructions existed) keeps
    /// running without.
    pub instructions: Instructions,
}

/// A stored task, loaded to be resumed or continued.
#[derive(Debug, Clone)]
pub struct LoadedTask {
    pub id: TaskId,
    pub spec: TaskSpec,
    pub transcript: Transcript,
    pub status: TaskStatus,
    /// The approvals its log records, so a resumed task neither asks
    /// twice nor forgets what was allowed for the task.
    pub(crate) approvals: LoggedApprovals,
}

/// Records a new task and starts running it.
/// `id` is chosen by the caller (`TaskId::new()`), which may need it
/// before the task starts, e.g. to journal file changes under it.
pub fn start_task(deps: TaskDeps, id: TaskId, spec: TaskSpec) -> Result<TaskHandle, CoreError> {
    start_expanded_task(deps, id, spec, None)
}

/// [`start_task`], for a prompt that was a `/command`: the model is sent
/// `expanded` (recorded as [`Event::PromptExpanded`] before the first
/// model call) in place of the prompt as typed.
pub(crate) fn start_expanded_task(
    deps: TaskDeps,
    id: TaskId,
    spec: TaskSpec,
    expanded: Option<ExpandedPrompt>,
) -> Result<TaskHandle, CoreError> {
    let owner = Owner::current()?;
    deps.hub.store().create_task(&id, &spec, &owner)?;
    // The store writes the creation as seq 1; watchers already
    // subscribed learn of it live.
    deps.hub
        .publisher(&id)
        .announce(1, Event::TaskCreated { spec: spec.clone() });
    let transcript = Transcript::new(&spec.prompt);
    spawn(
        deps,
        id,
        spec,
        transcript,
        Resumed {
            seq: 1,
            approvals: LoggedApprovals::default(),
            message: None,
            start: Start::New { expanded },
        },
    )
}

/// Reads a task back from its event log.
pub fn load_task(store: &Store, id_or_prefix: &str) -> Result<LoadedTask, CoreError> {
    let row = store.task(id_or_prefix)?;
    let events = store.events(&row.id)?;
    let (spec, transcript) = Transcript::rebuild(events.iter().map(|e| &e.event))
        .ok_or_else(|| CoreError::DamagedLog { id: row.id.clone() })?;
    Ok(LoadedTask {
        id: row.id,
        spec,
        transcript,
        status: row.status,
        approvals: LoggedApprovals::from_log(events.iter().map(|e| &e.event)),
    })
}

/// Continues a task that was interrupted, failed or cancelled, from where
/// its log ends. Unanswered tool calls are run first.
pub fn resume_task(deps: TaskDeps, task: LoadedTask) -> Result<TaskHandle, CoreError> {
    match task.status {
        TaskStatus::Completed => {
            return Err(CoreError::NotResumable {
                id: task.id,
                status: task.status,
            });
        }
        TaskStatus::Running
        | TaskStatus::Interrupted
        | TaskStatus::Failed
        | TaskStatus::Cancelled => {}
    }
    claim_and_spawn(deps, task, None)
}

/// Starts a task recorded earlier by this process and not yet run (a
/// daemon records a task when it is submitted and starts it once a slot
/// is free), without claiming it again: its log does not say "resumed".
/// A task that has run, or that another process recorded, is resumed as
/// [`resume_task`] does.
pub fn start_recorded_task(deps: TaskDeps, task: LoadedTask) -> Result<TaskHandle, CoreError> {
    start_recorded_expanded(deps, task, None)
}

/// Whether `task` was recorded by this process and has not run yet, so
/// starting it is its start, not a resume.
pub(crate) fn is_fresh(store: &Store, task: &LoadedTask) -> Result<bool, CoreError> {
    Ok(task.status == TaskStatus::Running
        && store.events(&task.id)?.len() == 1
        && store.owner(&task.id)? == Some(Owner::current()?))
}

/// [`start_recorded_task`] for a prompt that was a `/command` (see
/// [`start_expanded_task`]); a task that is not fresh is resumed and
/// `expanded` is ignored (its log already says what the model is sent).
pub(crate) fn start_recorded_expanded(
    deps: TaskDeps,
    task: LoadedTask,
    expanded: Option<ExpandedPrompt>,
) -> Result<TaskHandle, CoreError> {
    if !is_fresh(deps.hub.store(), &task)? {
        return resume_task(deps, task);
    }
    spawn(
        deps,
        task.id,
        task.spec,
        task.transcript,
        Resumed {
            seq: 1,
            approvals: task.approvals,
            message: None,
            start: Start::New { expanded },
        },
    )
}

/// Continues a finished task (completed, failed or cancelled) with a new
/// message from the person, in the same transcript: the message is
/// recorded, the task runs again, and its turns count on from where they
/// were. An interrupted task is resumed first, then hears the message.
pub fn continue_task(
    deps: TaskDeps,
    task: LoadedTask,
    text: String,
) -> Result<TaskHandle, CoreError> {
    match task.status {
        TaskStatus::Running => {
            return Err(CoreError::StillRunning { id: task.id });
        }
        TaskStatus::Completed
        | TaskStatus::Interrupted
        | TaskStatus::Failed
        | TaskStatus::Cancelled => {}
    }
    claim_and_spawn(deps, task, Some(text))
}

fn claim_and_spawn(
    deps: TaskDeps,
    task: LoadedTask,
    message: Option<String>,
) -> Result<TaskHandle, CoreError> {
    let seq = deps.hub.store().claim(&task.id, &Owner::current()?)?;
    // The claim recorded the task running again; every watcher sees it.
    deps.hub.publisher(&task.id).announce(
        seq,
        Event::StatusChanged {
            status: TaskStatus::Running,
            reason: Some("resumed".to_owned()),
            end: None,
        },
    );
    let mut transcript = task.transcript;
    transcript.status = Some(TaskStatus::Running);
    spawn(
        deps,
        task.id,
        task.spec,
        transcript,
        Resumed {
            seq,
            approvals: task.approvals,
            message,
            start: Start::Again,
        },
    )
}

/// Where a run picks up: the seq its handle watches from, what the log
/// says about approvals, and a message to start with.
struct Resumed {
    seq: u64,
    approvals: LoggedApprovals,
    message: Option<String>,
    /// The task's first run, or a later one.
    start: Start,
}

fn spawn(
    mut deps: TaskDeps,
    id: TaskId,
    spec: TaskSpec,
    transcript: Transcript,
    from: Resumed,
) -> Result<TaskHandle, CoreError> {
    let (ops_tx, ops_rx) = mpsc::unbounded_channel();
    // Subscribed before the runner starts, so the handle misses nothing.
    let events = deps.hub.subscribe(&id, from.seq)?;
    let publisher = deps.hub.publisher(&id);
    let approvals = Approvals::default();
    // A question the log left open is answerable from the moment the run
    // exists, not only once it reaches the call again: a front that saw it
    // in the log (a page open across a restart) may answer at once.
    let mut early_answers = HashMap::new();
    if deps.approver == Approver::Person {
        let unanswered = transcript.unanswered_tool_calls();
        let calls = unanswered.iter().filter_map(|call| match call {
            ContentBlock::ToolUse { id, .. } => Some(id.as_str()),
            ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => None,
        });
        for question in from.approvals.open_questions(calls) {
            let call_id = question.call_id.clone();
            early_answers.insert(call_id, approvals.ask(question));
        }
    }
    let messages = MessageGate::default();
    let mut system = prompt::system_prompt_with(
        &spec.folders,
        spec.mode,
        &deps.extensions.skills,
        &deps.extensions.read_only,
    );
    // Read once, kept for the task's life: the system prompt stays
    // byte-identical across turns and runs (unless the person withdrew a
    // folder's trust meanwhile). What is left in `deps` is recorded when
    // the run begins.
    let instructions = match &transcript.instructions {
        Some(recorded) => match instructions::withdrawn(recorded, &deps.extensions.trusted_folders)
        {
            // Recorded again, so the log holds what the model is sent now.
            Some(narrowed) => {
                let sources = narrowed.sources.clone();
                deps.instructions = narrowed;
                sources
            }
            None => {
                deps.instructions = Instructions::default();
                recorded.clone()
            }
        },
        None if transcript.model_calls == 0 => deps.instructions.sources.clone(),
        None => {
            deps.instructions = Instructions::default();
            Vec::new()
        }
    };
    system.push_str(&prompt::instructions_section(&instructions));
    // The policy judges paths against every grant the task's tools have:
    // the skill folders are read-only ones.
    let grants = spec
        .folders
        .iter()
        .cloned()
        .chain(deps.extensions.read_only.iter().map(|path| FolderGrant {
            path: path.clone(),
            read_only: true,
        }))
        .collect();
    let fixed_chars = super::fixed_chars(&system, &deps.tools.specs());
    let runner = Runner {
        id: id.clone(),
        spec,
        deps,
        transcript,
        system,
        fixed_chars,
        publisher,
        ops: ops_rx,
        ops_closed: false,
        approvals: approvals.clone(),
        early_answers,
        messages: messages.clone(),
        queued_messages: from.message.into_iter().collect(),
        allowed_for_task: from.approvals.allowed_for_task.clone(),
        logged: from.approvals,
        refusals: HashMap::new(),
        cancel: Arc::new(AtomicBool::new(false)),
        started: Instant::now(),
        start: from.start,
        grants,
        stop_blocks: 0,
        pending_context: Vec::new(),
    };
    let join = tokio::spawn(runner.run());
    Ok(TaskHandle {
        id,
        ops: OpSender {
            ops: ops_tx,
            approvals,
            messages,
        },
        events,
        join,
        ended: false,
    })
}
