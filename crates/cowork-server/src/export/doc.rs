//! What an export holds, whatever its format: the task, its steps in
//! order, and the files it produced. The JSON format is this structure as
//! it is (see [`FORMAT_VERSION`]); HTML and Markdown render it.
//!
//! The whole structure is redacted as one JSON value (every string,
//! whatever its field) and read back: its few enums are lower-case words
//! shorter than any value the redactor takes for a secret.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use cowork_core::Decider;
use cowork_protocol::{ApprovalDecision, ContentBlock, Event};
use cowork_store::{StoredEvent, TaskRow};

use super::files::ExportedFile;
use crate::web::words::{describe_change, effect_name, end_words, said, target};

/// The version of the JSON structure. It grows only by new optional
/// fields; anything else changes it.
pub const FORMAT_VERSION: u32 = 1;

/// One exported task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub format_version: u32,
    /// Unix milliseconds.
    pub exported_at: i64,
    /// `cowork <version>`.
    pub generator: String,
    pub task: TaskInfo,
    /// Everything that happened, in the order it happened.
    pub steps: Vec<Step>,
    /// The files the task created or changed, as the change journal and
    /// the folders hold them now.
    pub files: Vec<ExportedFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: String,
    pub prompt: String,
    /// `running`, `completed`, `failed`, `cancelled` or `interrupted`.
    pub status: String,
    pub status_reason: Option<String>,
    /// `anthropic`, `openai` or `script`.
    pub provider: String,
    pub model: String,
    /// `ask`, `auto` or `plan`.
    pub mode: String,
    /// The project the task ran in, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub folders: Vec<FolderInfo>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last event.
    pub updated_at: i64,
    pub duration_ms: u64,
    pub turns: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FolderInfo {
    pub path: String,
    pub read_only: bool,
}

/// One step. `kind` tells which fields are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// The person's prompt or a later message.
    User {
        at: i64,
        text: String,
    },
    /// The prompt was a `/command`; the model was sent `text`.
    Command {
        at: i64,
        name: String,
        text: String,
    },
    /// The instruction files (and project instructions) the task
    /// followed, or was shown as data: one line each.
    Instructions {
        at: i64,
        sources: Vec<String>,
    },
    /// The memory entries the model was sent at the task's start, as
    /// data: one line each (id, scope, the start of its text).
    Recalled {
        at: i64,
        entries: Vec<String>,
    },
    /// What the model said.
    Assistant {
        at: i64,
        text: String,
    },
    ToolCall(Box<ToolCall>),
    /// A connector's status changed.
    Connector {
        at: i64,
        server: String,
        status: String,
    },
    Warning {
        at: i64,
        source: String,
        message: String,
    },
    /// Older turns were replaced by this summary.
    Compacted {
        at: i64,
        summary: String,
        replaced_messages: u32,
    },
    /// The task's changes were undone.
    Undone {
        at: i64,
        restored: u32,
        skipped: u32,
        forced: u32,
    },
    /// The task's status changed (started again, ended).
    Status {
        at: i64,
        status: String,
        reason: Option<String>,
    },
}

/// A tool call with what it was asked, who allowed it, what it answered
/// and what it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub at: i64,
    pub id: String,
    pub tool: String,
    /// What the call is about: a path, a pattern, a command's first line.
    pub summary: String,
    /// The arguments as the model sent them.
    pub input: serde_json::Value,
    /// Arguments that were not valid JSON, as sent.
    pub invalid_input: Option<String>,
    pub approval: Option<Approval>,
    /// The result exactly as the model saw it; `None` when the call never
    /// finished.
    pub output: Option<String>,
    pub is_error: bool,
    pub duration_ms: Option<u64>,
    /// The changes it made in connected folders, in words.
    pub changes: Vec<String>,
}

/// A question to the person and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// Exactly what the person was asked to allow; `None` when nobody was
    /// asked (`--yes`, a rule).
    pub summary: Option<String>,
    /// `read`, `write`, `delete`, `execute`, `network` or `external`, when
    /// asked.
    pub effect: Option<String>,
    /// `None` when nobody answered.
    pub decision: Option<Decision>,
    /// The message a denial sent the model.
    pub message: Option<String>,
    /// Who answered, as recorded: a front (`terminal`, `web`, `api`),
    /// `assume_yes`, `nobody`, or the rule or mode that decided.
    pub by: Option<String>,
    /// The same in words.
    pub by_words: Option<String>,
}

/// How a question was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    AllowedOnce,
    AllowedForTask,
    /// For this run and every later run of its schedule.
    AllowedForSchedule,
    Denied,
}

/// The export's model of a task, before redaction.
pub(super) fn build(
    row: &TaskRow,
    events: &[StoredEvent],
    files: Vec<ExportedFile>,
    now_ms: i64,
) -> Export {
    let spec = &row.spec;
    let task = TaskInfo {
        id: row.id.as_str().to_owned(),
        prompt: row.prompt.clone(),
        status: row.status.as_str().to_owned(),
        status_reason: row.status_reason.clone(),
        provider: spec.model.provider.as_str().to_owned(),
        model: spec.model.model.clone(),
        mode: spec.mode.as_str().to_owned(),
        // Named by the front, which can read projects (see `Sources`).
        project: None,
        folders: spec
            .folders
            .iter()
            .map(|f| FolderInfo {
                path: cowork_files::show_path(&f.path),
                read_only: f.read_only,
            })
            .collect(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        duration_ms: u64::try_from(row.updated_at - row.created_at).unwrap_or(0),
        turns: row.turns,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
    };
    Export {
        format_version: FORMAT_VERSION,
        exported_at: now_ms,
        generator: format!("cowork {}", env!("CARGO_PKG_VERSION")),
        task,
        steps: steps(events),
        files,
    }
}

/// The log folded into steps: a call's approval, result and changes join
/// the call.
fn steps(events: &[StoredEvent]) -> Vec<Step> {
    let mut fold = Fold::default();
    for stored in events {
        fold.apply(stored.at, &stored.event);
    }
    let Fold {
        slots, mut calls, ..
    } = fold;
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Step(step) => step,
            Slot::Call(index) => Step::ToolCall(Box::new(std::mem::replace(
                &mut calls[index],
                ToolCall::new(0, "", ""),
            ))),
        })
        .collect()
}

/// Steps in order, with tool calls kept apart until the end so later
/// events can add to them.
#[derive(Default)]
struct Fold {
    slots: Vec<Slot>,
    calls: Vec<ToolCall>,
    by_id: HashMap<String, usize>,
}

enum Slot {
    Step(Step),
    /// An index into `calls`.
    Call(usize),
}

impl ToolCall {
    fn new(at: i64, id: &str, tool: &str) -> Self {
        Self {
            at,
            id: id.to_owned(),
            tool: tool.to_owned(),
            summary: String::new(),
            input: serde_json::Value::Object(serde_json::Map::new()),
            invalid_input: None,
            approval: None,
            output: None,
            is_error: false,
            duration_ms: None,
            changes: Vec::new(),
        }
    }
}

impl Approval {
    fn unasked() -> Self {
        Self {
            summary: None,
            effect: None,
            decision: None,
            message: None,
            by: None,
            by_words: None,
        }
    }
}

impl Fold {
    fn push(&mut self, step: Step) {
        self.slots.push(Slot::Step(step));
    }

    /// The call `id`, added at the end when the log had not shown it yet
    /// (a log cut short, or an approval logged before its message).
    fn call(&mut self, at: i64, id: &str, tool: &str) -> &mut ToolCall {
        let index = match self.by_id.get(id) {
            Some(&index) => index,
            None => {
                self.calls.push(ToolCall::new(at, id, tool));
                let index = self.calls.len() - 1;
                self.by_id.insert(id.to_owned(), index);
                self.slots.push(Slot::Call(index));
                index
            }
        };
        let call = &mut self.calls[index];
        if call.tool.is_empty() {
            tool.clone_into(&mut call.tool);
        }
        call
    }

    fn apply(&mut self, at: i64, event: &Event) {
        match event {
            Event::TaskCreated { spec } => self.push(Step::User {
                at,
                text: spec.prompt.clone(),
            }),
            Event::UserMessage { text } => self.push(Step::User {
                at,
                text: text.clone(),
            }),
            Event::PromptExpanded { name, text } => self.push(Step::Command {
                at,
                name: name.clone(),
                text: text.clone(),
            }),
            Event::AssistantMessage { content, .. } => self.assistant(at, content),
            Event::ToolCallFinished {
                id,
                name,
                content,
                is_error,
                duration_ms,
            } => {
                let call = self.call(at, id, name);
                call.output = Some(content.clone());
                call.is_error = *is_error;
                call.duration_ms = Some(*duration_ms);
            }
            Event::ApprovalRequested {
                call_id,
                tool,
                effect,
                summary,
            } => {
                let approval = self
                    .call(at, call_id, tool)
                    .approval
                    .get_or_insert_with(Approval::unasked);
                approval.summary = Some(summary.clone());
                approval.effect = Some(effect_name(*effect).to_owned());
            }
            Event::ApprovalDecided {
                call_id,
                decision,
                by,
            } => {
                let approval = self
                    .call(at, call_id, "")
                    .approval
                    .get_or_insert_with(Approval::unasked);
                let (decision, message) = match decision {
                    ApprovalDecision::AllowOnce => (Decision::AllowedOnce, None),
                    ApprovalDecision::AllowForTask => (Decision::AllowedForTask, None),
                    ApprovalDecision::AllowForSchedule => (Decision::AllowedForSchedule, None),
                    ApprovalDecision::Deny { message } => (Decision::Denied, message.clone()),
                };
                approval.decision = Some(decision);
                approval.message = message;
                approval.by = Some(by.clone());
                approval.by_words = Some(decider_words(by));
            }
            Event::FileChanged { call_id, change } => {
                self.call(at, call_id, "")
                    .changes
                    .push(describe_change(change));
            }
            Event::Connector { server, status } => self.push(Step::Connector {
                at,
                server: server.clone(),
                status: status.to_string(),
            }),
            Event::Warning { source, message } => self.push(Step::Warning {
                at,
                source: source.clone(),
                message: message.clone(),
            }),
            Event::Compacted {
                summary,
                replaced_messages,
                ..
            } => self.push(Step::Compacted {
                at,
                summary: summary.clone(),
                replaced_messages: *replaced_messages,
            }),
            Event::Undone {
                restored,
                skipped,
                forced,
            } => self.push(Step::Undone {
                at,
                restored: *restored,
                skipped: *skipped,
                forced: *forced,
            }),
            Event::StatusChanged {
                status,
                reason,
                end,
            } => self.push(Step::Status {
                at,
                status: status.as_str().to_owned(),
                reason: end_words(end.as_ref(), reason.as_deref()),
            }),
            // Turn numbers are in the header; transient events are never
            // stored.
            Event::MemoryRecalled { entries } => self.push(Step::Recalled {
                at,
                entries: entries
                    .iter()
                    .map(|e| format!("{} ({}): {}", e.id, e.scope, e.excerpt))
                    .collect(),
            }),
            Event::InstructionsLoaded { sources } => self.push(Step::Instructions {
                at,
                sources: sources.iter().map(|s| s.summary()).collect(),
            }),
            Event::TurnStarted { .. }
            | Event::TextDelta { .. }
            | Event::ToolCallStarted { .. }
            | Event::Notice { .. } => {}
        }
    }

    fn assistant(&mut self, at: i64, content: &[ContentBlock]) {
        if let Some(text) = said(content) {
            self.push(Step::Assistant { at, text });
        }
        for block in content {
            match block {
                ContentBlock::ToolUse {
                    id,
                    name,
                    input,
                    invalid_input,
                } => {
                    let call = self.call(at, id, name);
                    call.summary = target(input);
                    call.input = input.clone();
                    call.invalid_input = invalid_input.as_ref().map(|i| i.raw.clone());
                }
                ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => {}
            }
        }
    }
}

/// Who answered a question, in words.
pub(super) fn decider_words(by: &str) -> String {
    match Decider::parse(by) {
        Some(Decider::AssumeYes) => "assumed yes (the task was started with --yes)".to_owned(),
        Some(Decider::Nobody) => "nobody could answer, so it was denied".to_owned(),
        Some(Decider::Front(front)) => match front.as_str() {
            "terminal" | "user" => "the person, at the terminal".to_owned(),
            "web" => "the person, in the web UI".to_owned(),
            "api" => "the person, through the API".to_owned(),
            other => format!("the person ({other})"),
        },
        None => format!("a rule or mode ({by})"),
    }
}
