//! A task's log folded into what the task page shows: messages, one step
//! per tool call, approvals, status lines. The page and its live stream
//! fold the same events through [`View::apply`], so a page rebuilt from
//! the log and one that watched the task live show the same thing; the
//! stream renders only what each event changed ([`Update`]).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use cowork_protocol::{ApprovalDecision, ContentBlock, Envelope, Event, TaskStatus};

use super::text::{capped, human_duration};
use super::words::{decision_words, describe_change, effect_name, end_words, outcome, target};

/// Longest tool output or input shown in a step's details; tools cap
/// their results already, this bounds what a page carries.
const MAX_DETAIL_CHARS: usize = 100_000;

/// The task page's content, built from the task's events.
#[derive(Debug, Default, Serialize)]
pub(crate) struct View {
    pub prompt: String,
    pub mode: Option<&'static str>,
    pub folders: Vec<Folder>,
    /// The schedule whose run this task is.
    pub schedule: Option<super::schedule_rows::RunOf>,
    pub status: Option<&'static str>,
    pub reason: Option<String>,
    pub items: Vec<Item>,
    /// The model's text as it streams, until its full message arrives.
    pub live_text: String,
    /// The seq of the last stored event applied: where a live stream
    /// picks up.
    pub last_seq: u64,
    #[serde(skip)]
    steps: HashMap<String, usize>,
    #[serde(skip)]
    approvals: HashMap<String, usize>,
    #[serde(skip)]
    notices: u32,
    /// Calls whose changes are recorded and whose result is not.
    #[serde(skip)]
    changing: HashSet<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Folder {
    pub path: String,
    pub read_only: bool,
}

/// One entry of the transcript. `id` is the element's id in the page,
/// derived from the seq of the event that created it, so the page and a
/// stream that replayed the same log agree on it.
#[derive(Debug, Serialize)]
pub(crate) struct Item {
    pub id: String,
    #[serde(flatten)]
    pub body: Body,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Body {
    User {
        text: String,
    },
    Assistant {
        text: String,
    },
    Step(Step),
    Approval(Approval),
    Status {
        status: &'static str,
        reason: Option<String>,
    },
    Notice {
        message: String,
    },
    Undone {
        restored: u32,
        skipped: u32,
        forced: u32,
    },
    Compacted {
        replaced: u32,
    },
}

/// A tool call: a line (tool, target, outcome, duration) with details.
#[derive(Debug, Serialize)]
pub(crate) struct Step {
    pub call_id: String,
    pub tool: String,
    /// What the call is about: a path, a pattern, a command's first line.
    pub target: String,
    pub effect: Option<&'static str>,
    pub state: StepState,
    /// The outcome in a few words: "12 lines", the error's first line.
    pub outcome: String,
    pub duration: Option<String>,
    /// A command, shown as `$ command`.
    pub command: Option<String>,
    /// The call's other arguments, as JSON.
    pub input: Option<String>,
    /// What the tool answered, exactly as the model saw it.
    pub output: Option<String>,
    /// The changes the call made in connected folders.
    pub changes: Vec<String>,
    /// Who allowed or denied the call, when someone or a rule did.
    pub decided: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepState {
    /// The model asked for it; it has not started.
    Pending,
    Running,
    /// Waiting for a person.
    Awaiting,
    Done,
    Failed,
    Denied,
}

/// A question to the person: allow this call?
#[derive(Debug, Serialize)]
pub(crate) struct Approval {
    pub call_id: String,
    pub tool: String,
    pub effect: &'static str,
    /// Exactly what will happen if allowed.
    pub summary: String,
    /// How it was answered, once it was.
    pub decided: Option<String>,
    /// The task ended before anyone answered.
    pub lapsed: bool,
    /// The task is a schedule's run: the answer may cover every run.
    pub for_schedule: bool,
}

/// What one event changed, for a live stream to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Update {
    /// A new item at this index, to add at the end.
    Append(usize),
    /// The item at this index changed; its element is replaced.
    Replace(usize),
    /// More streamed text.
    Delta(String),
    /// The streamed text is complete (its message was appended).
    LiveCleared,
    /// The task's header (status, controls) changed.
    Status,
    /// The task's files changed.
    Files,
}

impl View {
    /// Folds one event in and says what changed.
    pub fn apply(&mut self, envelope: &Envelope) -> Vec<Update> {
        if envelope.is_persistent() {
            self.last_seq = self.last_seq.max(envelope.seq);
        }
        let seq = envelope.seq;
        match &envelope.event {
            Event::TaskCreated { spec } => {
                self.prompt.clone_from(&spec.prompt);
                self.mode = Some(spec.mode.as_str());
                self.folders = spec
                    .folders
                    .iter()
                    .map(|f| Folder {
                        path: f.path.display().to_string(),
                        read_only: f.read_only,
                    })
                    .collect();
                self.schedule = spec.schedule.as_ref().map(super::schedule_rows::RunOf::of);
                self.status = Some(TaskStatus::Running.as_str());
                vec![Update::Status]
            }
            Event::UserMessage { text } => {
                vec![self.push(format!("e{seq}"), Body::User { text: text.clone() })]
            }
            Event::TurnStarted { .. } => Vec::new(),
            Event::TextDelta { text } => {
                self.live_text.push_str(text);
                vec![Update::Delta(text.clone())]
            }
            Event::AssistantMessage { content, .. } => self.assistant(seq, content),
            Event::ToolCallStarted {
                id,
                name,
                input,
                effect,
            } => {
                let (index, created) = self.step(seq, id, name, Some(input));
                if let Some(step) = self.step_mut(index) {
                    step.effect = Some(effect_name(*effect));
                    if step.state == StepState::Pending {
                        step.state = StepState::Running;
                    }
                }
                vec![created_or_changed(index, created)]
            }
            Event::ToolCallFinished {
                id,
                name,
                content,
                is_error,
                duration_ms,
            } => {
                let (index, created) = self.step(seq, id, name, None);
                if let Some(step) = self.step_mut(index) {
                    step.state = match (step.state, is_error) {
                        (StepState::Denied, _) => StepState::Denied,
                        (_, true) => StepState::Failed,
                        (_, false) => StepState::Done,
                    };
                    step.outcome = outcome(step.state, content);
                    step.duration = Some(human_duration(*duration_ms));
                    step.output = Some(capped(content, MAX_DETAIL_CHARS));
                }
                let mut updates = vec![created_or_changed(index, created)];
                if self.changing.remove(id) {
                    updates.push(Update::Files);
                }
                updates
            }
            Event::ApprovalRequested {
                call_id,
                tool,
                effect,
                summary,
            } => {
                let (index, created) = self.step(seq, call_id, tool, None);
                if let Some(step) = self.step_mut(index) {
                    step.state = StepState::Awaiting;
                }
                let mut updates = vec![created_or_changed(index, created)];
                let approval = Approval {
                    call_id: call_id.clone(),
                    tool: tool.clone(),
                    effect: effect_name(*effect),
                    summary: summary.clone(),
                    decided: None,
                    lapsed: false,
                    for_schedule: self.schedule.is_some(),
                };
                updates.push(self.push(format!("a{seq}"), Body::Approval(approval)));
                self.approvals.insert(call_id.clone(), self.items.len() - 1);
                updates
            }
            Event::ApprovalDecided {
                call_id,
                decision,
                by,
            } => self.decided(call_id, decision, by),
            Event::FileChanged { call_id, change } => {
                // Recorded before the change happens: the files panel
                // reloads once the call is done, not now.
                self.changing.insert(call_id.clone());
                let mut updates = Vec::new();
                if let Some(&index) = self.steps.get(call_id)
                    && let Some(step) = self.step_mut(index)
                {
                    step.changes.push(describe_change(change));
                    updates.push(Update::Replace(index));
                }
                updates
            }
            Event::Undone {
                restored,
                skipped,
                forced,
            } => {
                let body = Body::Undone {
                    restored: *restored,
                    skipped: *skipped,
                    forced: *forced,
                };
                vec![self.push(format!("e{seq}"), body), Update::Files]
            }
            Event::Compacted {
                replaced_messages, ..
            } => vec![self.push(
                format!("e{seq}"),
                Body::Compacted {
                    replaced: *replaced_messages,
                },
            )],
            Event::PromptExpanded { name, .. } => vec![self.push(
                format!("e{seq}"),
                Body::Notice {
                    message: format!("ran /{name}"),
                },
            )],
            Event::MemoryRecalled { entries } => vec![self.push(
                format!("e{seq}"),
                Body::Notice {
                    message: recalled_words(entries),
                },
            )],
            Event::Connector { server, status } => vec![self.push(
                format!("e{seq}"),
                Body::Notice {
                    message: format!("connector {server}: {status}"),
                },
            )],
            Event::Warning { source, message } => vec![self.push(
                format!("e{seq}"),
                Body::Notice {
                    message: format!("{source}: {message}"),
                },
            )],
            Event::InstructionsLoaded { sources } => sources
                .iter()
                .enumerate()
                .map(|(i, source)| {
                    // The task page's trust panel offers the button; the
                    // line also names the command, for a page without it.
                    let hint = if source.trusted {
                        String::new()
                    } else {
                        "; trust the folder (on this page, or cowork trust FOLDER) to have \
                         later tasks follow it"
                            .to_owned()
                    };
                    let message = format!("instructions: {}{hint}", source.summary());
                    self.push(format!("i{seq}-{i}"), Body::Notice { message })
                })
                .collect(),
            Event::Notice { message } => {
                self.notices += 1;
                let id = format!("n{seq}-{}", self.notices);
                vec![self.push(
                    id,
                    Body::Notice {
                        message: message.clone(),
                    },
                )]
            }
            Event::StatusChanged {
                status,
                reason,
                end,
            } => {
                let reason = end_words(end.as_ref(), reason.as_deref());
                self.status_changed(seq, *status, reason)
            }
        }
    }

    /// Drops the text of the item at `index` if nothing can change it any
    /// more (a finished step, a message, an answered question): a live
    /// stream that has sent it need not keep a copy of every output for as
    /// long as the page stays open.
    pub fn shed(&mut self, index: usize) {
        let Some(item) = self.items.get_mut(index) else {
            return;
        };
        match &mut item.body {
            Body::Step(step) => match step.state {
                StepState::Done | StepState::Failed | StepState::Denied => {
                    step.output = None;
                    step.input = None;
                    step.command = None;
                    step.changes = Vec::new();
                }
                StepState::Pending | StepState::Running | StepState::Awaiting => {}
            },
            Body::Approval(approval) => {
                if approval.decided.is_some() || approval.lapsed {
                    approval.summary = String::new();
                }
            }
            Body::User { text } | Body::Assistant { text } => *text = String::new(),
            Body::Notice { message } => *message = String::new(),
            Body::Status { .. } | Body::Undone { .. } | Body::Compacted { .. } => {}
        }
    }

    fn push(&mut self, id: String, body: Body) -> Update {
        self.items.push(Item { id, body });
        Update::Append(self.items.len() - 1)
    }

    fn assistant(&mut self, seq: u64, content: &[ContentBlock]) -> Vec<Update> {
        self.live_text.clear();
        let mut updates = vec![Update::LiveCleared];
        if let Some(text) = super::words::said(content) {
            updates.push(self.push(format!("e{seq}"), Body::Assistant { text }));
        }
        for block in content {
            match block {
                ContentBlock::ToolUse {
                    id,
                    name,
                    input,
                    invalid_input,
                } => {
                    let (index, created) = self.step(seq, id, name, Some(input));
                    if let Some(invalid) = invalid_input
                        && let Some(step) = self.step_mut(index)
                    {
                        step.input = Some(capped(&invalid.raw, MAX_DETAIL_CHARS));
                    }
                    updates.push(created_or_changed(index, created));
                }
                ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => {}
            }
        }
        updates
    }

    /// The step of call `id`, created (at the end) when the log had not
    /// shown it yet. Returns its index and whether it is new.
    fn step(
        &mut self,
        seq: u64,
        id: &str,
        name: &str,
        input: Option<&serde_json::Value>,
    ) -> (usize, bool) {
        if let Some(&index) = self.steps.get(id) {
            if let Some(input) = input
                && let Some(step) = self.step_mut(index)
                && step.input.is_none()
                && step.command.is_none()
            {
                fill_input(step, input);
            }
            return (index, false);
        }
        let mut step = Step {
            call_id: id.to_owned(),
            tool: name.to_owned(),
            target: String::new(),
            effect: None,
            state: StepState::Pending,
            outcome: String::new(),
            duration: None,
            command: None,
            input: None,
            output: None,
            changes: Vec::new(),
            decided: None,
        };
        if let Some(input) = input {
            fill_input(&mut step, input);
        }
        // Calls of one message share its seq; their order tells them apart.
        let nth = self.steps.len();
        self.push(format!("s{seq}-{nth}"), Body::Step(step));
        let index = self.items.len() - 1;
        self.steps.insert(id.to_owned(), index);
        (index, true)
    }

    /// The step at `index`. Only [`View::step`] fills `steps`, always
    /// with a step's index, so `None` does not happen; callers that get
    /// it change nothing rather than panic in the daemon.
    fn step_mut(&mut self, index: usize) -> Option<&mut Step> {
        match &mut self.items.get_mut(index)?.body {
            Body::Step(step) => Some(step),
            Body::User { .. }
            | Body::Assistant { .. }
            | Body::Approval(_)
            | Body::Status { .. }
            | Body::Notice { .. }
            | Body::Undone { .. }
            | Body::Compacted { .. } => None,
        }
    }

    fn decided(&mut self, call_id: &str, decision: &ApprovalDecision, by: &str) -> Vec<Update> {
        let words = decision_words(decision, by);
        let mut updates = Vec::new();
        if let Some(&index) = self.approvals.get(call_id)
            && let Body::Approval(approval) = &mut self.items[index].body
        {
            approval.decided = Some(words.clone());
            updates.push(Update::Replace(index));
        }
        if let Some(&index) = self.steps.get(call_id)
            && let Some(step) = self.step_mut(index)
        {
            step.decided = Some(words);
            step.state = match decision {
                ApprovalDecision::Deny { .. } => StepState::Denied,
                ApprovalDecision::AllowOnce
                | ApprovalDecision::AllowForTask
                | ApprovalDecision::AllowForSchedule => match step.state {
                    StepState::Awaiting | StepState::Pending => StepState::Running,
                    other => other,
                },
            };
            updates.push(Update::Replace(index));
        }
        updates
    }

    fn status_changed(
        &mut self,
        seq: u64,
        status: TaskStatus,
        reason: Option<String>,
    ) -> Vec<Update> {
        self.status = Some(status.as_str());
        self.reason.clone_from(&reason);
        // A call that changed files and never finished (the task failed
        // or was killed mid-call) left its changes: show them now.
        let mut updates = if self.changing.is_empty() {
            Vec::new()
        } else {
            self.changing.clear();
            vec![Update::Files]
        };
        updates.extend([
            Update::Status,
            self.push(
                format!("e{seq}"),
                Body::Status {
                    status: status.as_str(),
                    reason,
                },
            ),
        ]);
        // A question nobody answered before the task ended cannot be
        // answered any more: its buttons go.
        if status.is_terminal() {
            for (index, item) in self.items.iter_mut().enumerate() {
                if let Body::Approval(approval) = &mut item.body
                    && approval.decided.is_none()
                    && !approval.lapsed
                {
                    approval.lapsed = true;
                    updates.push(Update::Replace(index));
                }
            }
        }
        updates
    }
}

fn created_or_changed(index: usize, created: bool) -> Update {
    if created {
        Update::Append(index)
    } else {
        Update::Replace(index)
    }
}

/// Fills a step's target and details from the call's arguments.
fn fill_input(step: &mut Step, input: &serde_json::Value) {
    step.target = target(input);
    match input.get("command").and_then(|c| c.as_str()) {
        Some(command) => step.command = Some(capped(command, MAX_DETAIL_CHARS)),
        None => {
            let shown = match input.as_object() {
                Some(object) if object.is_empty() => None,
                Some(_) | None => serde_json::to_string_pretty(input).ok(),
            };
            step.input = shown.map(|s| capped(&s, MAX_DETAIL_CHARS));
        }
    }
}

/// What the task was reminded of at its start: each entry's id and the
/// start of its text.
fn recalled_words(entries: &[cowork_protocol::RecalledMemory]) -> String {
    let noun = if entries.len() == 1 {
        "entry"
    } else {
        "entries"
    };
    let list: Vec<String> = entries
        .iter()
        .map(|e| {
            let text: String = e.excerpt.chars().take(80).collect();
            let more = if text.len() < e.excerpt.len() {
                "…"
            } else {
                ""
            };
            format!("{} ({}): {text}{more}", e.id, e.scope)
        })
        .collect();
    format!(
        "recalled {} memory {noun}: {}",
        entries.len(),
        list.join(" · ")
    )
}

#[cfg(test)]
#[path = "transcript_tests.rs"]
mod tests;
