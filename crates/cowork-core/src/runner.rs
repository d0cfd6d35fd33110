//! The agent loop: model call → tool calls → results back, until the model
//! ends its turn, a budget runs out, or the task is cancelled. Every
//! persistent event is appended to the store before anyone sees it, and
//! folded into the transcript by the same code that rebuilds it on resume.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use tokio::sync::{mpsc, oneshot};

use cowork_model::{ModelError, ModelEvent, ModelRequest, ModelResponse, ResponseBuilder};
use cowork_protocol::{
    BudgetExceeded, ContentBlock, EndReason, Event, FolderGrant, Message, Op, Role, StopReason,
    TaskId, TaskSpec, TaskStatus,
};

use crate::approvals::{Answer, Approvals, LoggedApprovals};
use crate::compaction;
use crate::error::CoreError;
use crate::extensions::ExpandedPrompt;
use crate::handle::MessageGate;
use crate::hub::Publisher;
use crate::transcript::Transcript;

mod batch;
mod calls;
mod connectors;
mod hooks;
mod instructions;
mod limits;
mod recall;
mod start;

pub use start::{
    LoadedTask, RunOptions, TaskDeps, continue_task, load_task, resume_task, start_recorded_task,
    start_task,
};
pub(crate) use start::{is_fresh, start_expanded_task, start_recorded_expanded};

/// A tool call in flight: resolves to its result (or the error text for
/// the model), how long it took in milliseconds, and whether the tool ran
/// (`false`: refused or answered without running).
type CallRun = futures::future::BoxFuture<'static, (Result<String, String>, u64, bool)>;

/// Whether a run is the task's first (hooks hear "startup", and its
/// prompt passes `UserPromptSubmit`) or a resume or continuation.
pub(crate) enum Start {
    New {
        /// What its `/command` expanded to, recorded before the first
        /// model call.
        expanded: Option<ExpandedPrompt>,
    },
    Again,
}

/// How the loop ended, when it did not fail.
enum End {
    Completed,
    Cancelled,
}

pub(crate) struct Runner {
    id: TaskId,
    spec: TaskSpec,
    deps: TaskDeps,
    pub(crate) transcript: Transcript,
    pub(crate) system: String,
    fixed_chars: usize,
    publisher: Publisher,
    ops: mpsc::UnboundedReceiver<Op>,
    /// Every op sender is gone (the front detached): the task runs on
    /// and nobody can answer its questions.
    pub(crate) ops_closed: bool,
    pub(crate) approvals: Approvals,
    /// Answers to the questions the log left open, registered when the
    /// run started; taken when the run reaches their calls.
    pub(crate) early_answers: HashMap<String, oneshot::Receiver<Answer>>,
    messages: MessageGate,
    /// Messages the person sent while the model was working; they join the
    /// conversation at the next turn.
    queued_messages: Vec<String>,
    /// Tools the person allowed for the rest of the task.
    allowed_for_task: HashSet<String>,
    /// What the log already records about approvals of calls still
    /// unanswered on resume.
    logged: LoggedApprovals,
    /// Calls of the current turn refused by the turn's caps, by id, with
    /// what the model is told; they are answered without running.
    refusals: HashMap<String, String>,
    /// Set when the task is cancelled while tools run; tools watch it.
    cancel: Arc<AtomicBool>,
    started: Instant,
    start: Start,
    /// The task's folders and the skill folders (read-only): what the
    /// policy judges paths against.
    pub(crate) grants: Vec<FolderGrant>,
    /// Stop hooks that made the model go on in a row, since the person
    /// last spoke.
    stop_blocks: u32,
    /// What hooks said for the model, recorded before the next turn.
    pending_context: Vec<String>,
}

impl Runner {
    async fn run(mut self) {
        // A panic in the loop or in a tool must not leave the task
        // `running` forever: it ends the task as failed, and the process
        // (a daemon running other tasks) stays up.
        let outcome = match AssertUnwindSafe(self.drive()).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(payload) => Err(CoreError::Panicked {
                message: panic_message(payload.as_ref()),
            }),
        };
        self.shutdown_connectors().await;
        self.approvals.clear();
        *self.messages.lock() = true;
        // Messages taken while the task failed or was cancelled stay in
        // its transcript, for a reply to continue from.
        while let Ok(op) = self.ops.try_recv() {
            if let Op::UserMessage { text } = op {
                self.queued_messages.push(text);
            }
        }
        for text in std::mem::take(&mut self.queued_messages) {
            if let Err(e) = self.emit(Event::UserMessage { text }) {
                tracing::error!(task = %self.id, "could not record a late message: {e}");
            }
        }
        let (status, reason, end) = match outcome {
            Ok(End::Completed) => (TaskStatus::Completed, None, None),
            Ok(End::Cancelled) => (
                TaskStatus::Cancelled,
                Some("cancelled by the user".to_owned()),
                Some(EndReason::Cancelled),
            ),
            Err(e) => {
                let end = match &e {
                    CoreError::Budget(budget) => EndReason::Budget { budget: *budget },
                    CoreError::Panicked { message } => EndReason::Panicked {
                        message: message.clone(),
                    },
                    CoreError::Store(_)
                    | CoreError::Model(_)
                    | CoreError::Files(_)
                    | CoreError::ContextFull { .. }
                    | CoreError::NotResumable { .. }
                    | CoreError::StillRunning { .. }
                    | CoreError::PromptRefused { .. }
                    | CoreError::DamagedLog { .. } => EndReason::Error,
                };
                (TaskStatus::Failed, Some(e.to_string()), Some(end))
            }
        };
        let event = Event::StatusChanged {
            status,
            reason,
            end,
        };
        if let Err(e) = self.emit(event.clone()) {
            // The store is gone; watchers still learn how the task ended.
            tracing::error!(task = %self.id, "could not record the task's end: {e}");
            self.publisher.broadcast_unstored(event);
        }
    }

    async fn drive(&mut self) -> Result<End, CoreError> {
        if !self.begin().await? {
            return Ok(End::Cancelled);
        }
        let unanswered = self.transcript.unanswered_tool_calls();
        self.refusals = limits::resume_refusals(&unanswered);
        if !unanswered.is_empty() && self.run_tools(unanswered).await? {
            return Ok(End::Cancelled);
        }
        // Recorded decisions answer only the calls left over from before;
        // a later call with a reused id is asked afresh.
        self.logged.forget_calls();
        for (call_id, _) in std::mem::take(&mut self.early_answers) {
            self.approvals.withdraw(&call_id);
        }
        loop {
            if self.take_ops() {
                return Ok(End::Cancelled);
            }
            let mut messages = std::mem::take(&mut self.queued_messages).into_iter();
            while let Some(text) = messages.next() {
                if !self.submit_message(&text).await? {
                    // Kept, in order, for a reply to continue from.
                    let rest: Vec<String> = std::iter::once(text).chain(messages).collect();
                    self.queued_messages.splice(0..0, rest);
                    return Ok(End::Cancelled);
                }
            }
            self.flush_context()?;
            if !self.transcript.awaits_model() {
                // Decided under the gate's lock: a message queued before
                // it is taken at a next turn, and one after it is refused
                // (the front continues the task with it).
                let gate = self.messages.clone();
                let mut closed = gate.lock();
                if self.take_ops() {
                    *closed = true;
                    return Ok(End::Cancelled);
                }
                if self.queued_messages.is_empty() {
                    *closed = true;
                    return Ok(End::Completed);
                }
                continue;
            }
            self.check_budget()?;
            if !self.poll_connectors().await? {
                return Ok(End::Cancelled);
            }
            if compaction::due(self) && self.compact(false).await?.is_none() {
                return Ok(End::Cancelled);
            }
            self.emit(Event::TurnStarted {
                turn: self.transcript.turns + 1,
            })?;
            let Some(response) = self.call_model_for_turn().await? else {
                return Ok(End::Cancelled);
            };
            // The caps apply before anything is recorded, so refused
            // calls cost the store a stand-in, not their inputs.
            let capped = limits::cap_turn(response.content);
            self.refusals = capped.refusals;
            let calls: Vec<ContentBlock> = capped
                .content
                .iter()
                .filter(|b| matches!(b, ContentBlock::ToolUse { .. }))
                .cloned()
                .collect();
            let truncated = response.stop_reason == StopReason::MaxTokens && calls.is_empty();
            let answer = calls
                .is_empty()
                .then(|| hooks::answer_text(&capped.content));
            self.emit(Event::AssistantMessage {
                content: capped.content,
                stop_reason: response.stop_reason,
                usage: response.usage,
            })?;
            if truncated {
                self.emit(Event::Notice {
                    message: "the model's answer reached its output limit".to_owned(),
                })?;
            }
            if let Some(answer) = answer {
                if !self.before_stop(answer).await? {
                    return Ok(End::Cancelled);
                }
            } else if self.run_tools(calls).await? {
                return Ok(End::Cancelled);
            }
        }
    }

    /// Calls the model for the next turn. When the provider says the
    /// prompt is too long, compacts and tries once more; when the answer's
    /// stream breaks midway (overloaded mid-stream, a dropped connection),
    /// tries the turn again a few times — nothing of it was recorded, so
    /// the retry is clean. `None`: cancelled.
    async fn call_model_for_turn(&mut self) -> Result<Option<ModelResponse>, CoreError> {
        let mut compacted = false;
        let mut broken_streams = 0;
        loop {
            let request = self.request(self.transcript.messages.clone());
            match self.call_model(request, true).await {
                Err(CoreError::Model(ModelError::BadRequest {
                    prompt_too_long: true,
                    ..
                })) if !compacted => {
                    compacted = true;
                    if self.compact(true).await?.is_none() {
                        return Ok(None);
                    }
                }
                Err(CoreError::Model(e))
                    if broke_midway(&e) && broken_streams < MAX_BROKEN_STREAMS =>
                {
                    broken_streams += 1;
                    let wait = Duration::from_secs(1 << broken_streams);
                    self.emit(Event::Notice {
                        message: format!(
                            "{e}; trying the turn again in {} s ({broken_streams} of {MAX_BROKEN_STREAMS})",
                            wait.as_secs()
                        ),
                    })?;
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    pub(crate) fn request(&self, messages: Vec<Message>) -> ModelRequest {
        ModelRequest {
            system: self.system.clone(),
            messages,
            tools: self.deps.tools.specs(),
            max_tokens: self.deps.options.max_output_tokens,
        }
    }

    /// Streams one model call, forwarding text as it arrives when
    /// `forward_text`. Returns `None` if the task was cancelled meanwhile.
    pub(crate) async fn call_model(
        &mut self,
        request: ModelRequest,
        forward_text: bool,
    ) -> Result<Option<ModelResponse>, CoreError> {
        let mut stream = self.deps.model.stream(request);
        let mut builder = ResponseBuilder::for_provider(self.deps.model.info().provider);
        let deadline = self.deadline();
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(event) => {
                        let event = event?;
                        match &event {
                            ModelEvent::TextDelta(text) if forward_text => {
                                self.emit(Event::TextDelta { text: text.clone() })?;
                            }
                            ModelEvent::Retrying { attempt, max_attempts, wait, reason } => {
                                let provider = self.deps.model.info().provider;
                                self.emit(Event::Notice {
                                    message: format!(
                                        "{provider}: {reason}; retrying in {:.1} s (attempt {} of {max_attempts})",
                                        wait.as_secs_f64(),
                                        attempt + 1
                                    ),
                                })?;
                            }
                            ModelEvent::TextDelta(_)
                            | ModelEvent::ToolCallStart { .. }
                            | ModelEvent::ToolCallDelta { .. }
                            | ModelEvent::Usage(_)
                            | ModelEvent::Stop(_) => {}
                        }
                        builder.push(event);
                        // Stop reading an answer that grew past the cap:
                        // dropping the stream closes the connection.
                        builder.check()?;
                    }
                    None => break,
                },
                op = self.next_op() => {
                    if self.handle_op(op) {
                        return Ok(None);
                    }
                }
                () = sleep_until(deadline) => return Err(self.wall_budget_error()),
            }
        }
        Ok(Some(builder.finish()?))
    }

    /// Takes every queued op without waiting. Returns `true` on cancel.
    fn take_ops(&mut self) -> bool {
        let mut cancel = false;
        while let Ok(op) = self.ops.try_recv() {
            cancel |= self.handle_op(op);
        }
        cancel
    }

    /// The next op. Once every sender is gone this never resolves, so a
    /// detached task's `select!` waits on its other branches at zero CPU
    /// instead of waking for a closed channel over and over.
    pub(crate) async fn next_op(&mut self) -> Op {
        if !self.ops_closed {
            match self.ops.recv().await {
                Some(op) => return op,
                None => self.ops_closed = true,
            }
        }
        std::future::pending().await
    }

    /// Returns `true` if the op cancels the task.
    pub(crate) fn handle_op(&mut self, op: Op) -> bool {
        match op {
            Op::Cancel => true,
            Op::UserMessage { text } => {
                self.queued_messages.push(text);
                false
            }
            Op::Approval { call_id, decision } => {
                let by = crate::approvals::Decider::Front("user".to_owned());
                if let Err(e) = self.approvals.decide(&call_id, decision, by) {
                    tracing::debug!(task = %self.id, "{e}");
                }
                false
            }
        }
    }

    fn check_budget(&self) -> Result<(), CoreError> {
        let budget = &self.spec.budget;
        if let Some(max) = budget.max_turns
            && self.transcript.turns >= max
        {
            return Err(CoreError::Budget(BudgetExceeded::Turns { max }));
        }
        if let Some(max) = budget.max_tokens
            && self.transcript.usage.total() >= max
        {
            return Err(CoreError::Budget(BudgetExceeded::Tokens {
                used: self.transcript.usage.total(),
                max,
            }));
        }
        if self.deadline().is_some_and(|d| Instant::now() >= d) {
            return Err(self.wall_budget_error());
        }
        Ok(())
    }

    fn deadline(&self) -> Option<Instant> {
        self.spec
            .budget
            .max_wall_secs
            .map(|s| self.started + Duration::from_secs(s))
    }

    fn wall_budget_error(&self) -> CoreError {
        let secs = self.spec.budget.max_wall_secs.unwrap_or_default();
        CoreError::Budget(BudgetExceeded::Wall { secs })
    }

    pub(crate) fn fixed_chars(&self) -> usize {
        self.fixed_chars
    }

    pub(crate) fn deps(&self) -> &TaskDeps {
        &self.deps
    }

    /// Records (if persistent) and publishes an event, then folds it
    /// into the transcript — so nobody sees what the log does not hold.
    pub(crate) fn emit(&mut self, event: Event) -> Result<(), CoreError> {
        self.publisher.publish(event.clone())?;
        self.transcript.apply(&event);
        Ok(())
    }

    pub(crate) fn last_assistant_index(&self) -> Option<usize> {
        self.transcript
            .messages
            .iter()
            .rposition(|m| m.role == Role::Assistant)
    }
}

/// What the prompt carries besides the conversation: the system prompt
/// and the tools' descriptions and schemas, in characters.
fn fixed_chars(system: &str, tools: &[cowork_protocol::ToolSpec]) -> usize {
    system.len()
        + tools
            .iter()
            .map(|t| t.description.len() + t.input_schema.to_string().len())
            .sum::<usize>()
}

/// How often a turn whose stream broke midway is tried again.
const MAX_BROKEN_STREAMS: u32 = 2;

/// Whether the answer's stream broke in a way a second try may not hit:
/// an overload or server error event mid-stream, or a cut-off stream.
fn broke_midway(error: &ModelError) -> bool {
    match error {
        ModelError::Stream { .. } => error.is_transient(),
        ModelError::Protocol { .. } => true,
        ModelError::Auth { .. }
        | ModelError::BadRequest { .. }
        | ModelError::NotFound { .. }
        | ModelError::Unavailable { .. }
        | ModelError::Connection { .. }
        | ModelError::ResponseTooLarge { .. }
        | ModelError::ScriptExhausted { .. }
        | ModelError::Config { .. } => false,
    }
}

/// What a panic said, when it said it with a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
