use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::change::Change;
use crate::instructions::InstructionSource;
use crate::memory::RecalledMemory;
use crate::message::{ContentBlock, StopReason, Usage};
use crate::tool::Effect;

/// A folder a task may see, and whether it may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderGrant {
    /// Absolute, canonical path of the folder's root.
    #[serde(with = "crate::path::serde_path")]
    pub path: PathBuf,
    #[serde(default)]
    pub read_only: bool,
}

/// Which model provider a task talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Anthropic,
    Openai,
    Script,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Openai => "openai",
            Provider::Script => "script",
        }
    }
}

/// The model a task uses. Secrets are never part of it: keys come from the
/// environment each time a task starts or resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelChoice {
    pub provider: Provider,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The script file, for the `script` provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
}

/// Budgets that end a task when reached. `None` means unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wall_secs: Option<u64>,
}

/// How much a task may do without asking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionMode {
    /// Reads inside connected folders run freely; every write, move,
    /// delete, execution or network use asks first.
    #[default]
    Ask,
    /// Acts without asking inside connected folders; still asks for
    /// anything outside that scope.
    Auto,
    /// Read-only: the model proposes a plan, write tools are not offered.
    Plan,
}

impl PermissionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::Ask => "ask",
            PermissionMode::Auto => "auto",
            PermissionMode::Plan => "plan",
        }
    }
}

/// Everything needed to start — or, after a crash, restart — a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub prompt: String,
    pub folders: Vec<FolderGrant>,
    pub model: ModelChoice,
    #[serde(default)]
    pub budget: Budget,
    #[serde(default)]
    pub mode: PermissionMode,
    /// The id of the project the task belongs to, if any: its
    /// instructions, files and memory come with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Rules of this task's own, after the configuration's (whose deny
    /// rules still win): a schedule's scope, kept for every run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<crate::config::Rule>,
    /// The connectors the task gets, by name; `None`: every one there is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connectors: Option<Vec<String>>,
    /// The schedule that started the task, for a scheduled run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::ScheduleLink>,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
    /// The process running the task died (crash, kill -9, power loss)
    /// before the task ended. `cowork resume` continues it.
    Interrupted,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Running => "running",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
            TaskStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => TaskStatus::Running,
            "completed" => TaskStatus::Completed,
            "failed" => TaskStatus::Failed,
            "cancelled" => TaskStatus::Cancelled,
            "interrupted" => TaskStatus::Interrupted,
            _ => return None,
        })
    }

    /// Whether the task has ended and will not change again by itself.
    pub fn is_terminal(self) -> bool {
        match self {
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled => true,
            TaskStatus::Running | TaskStatus::Interrupted => false,
        }
    }
}

/// What a person decided about a tool call that needed approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ApprovalDecision {
    AllowOnce,
    AllowForTask,
    /// For the rest of this run and every later run of the task's
    /// schedule: the daemon adds an allow rule for the tool to the
    /// schedule's scope. Only a scheduled run is offered it.
    AllowForSchedule,
    Deny {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

/// What a front end sends into a running task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Another message from the person, taken at the next turn.
    UserMessage { text: String },
    Approval {
        call_id: String,
        decision: ApprovalDecision,
    },
    /// Stop at the next safe point; the task is recorded as cancelled.
    Cancel,
}

/// Everything that happens in a task. Persistent events form the task's
/// log, the single source of truth a task is rebuilt from; transient ones
/// (`is_persistent() == false`) only inform whoever is watching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    TaskCreated {
        spec: TaskSpec,
    },
    UserMessage {
        text: String,
    },
    /// A model call begins. `turn` counts from 1 across the task's life.
    TurnStarted {
        turn: u32,
    },
    /// Transient: a piece of the model's text as it streams.
    TextDelta {
        text: String,
    },
    /// The model's complete answer for one call.
    AssistantMessage {
        content: Vec<ContentBlock>,
        stop_reason: StopReason,
        usage: Usage,
    },
    /// Transient: a tool call is about to run.
    ToolCallStarted {
        id: String,
        name: String,
        input: serde_json::Value,
        effect: Effect,
    },
    /// A tool call's result, exactly as sent back to the model.
    ToolCallFinished {
        id: String,
        name: String,
        content: String,
        is_error: bool,
        duration_ms: u64,
    },
    /// A call waits for a person's decision; any front may answer it (the
    /// first answer wins), and every front then sees `ApprovalDecided`.
    ApprovalRequested {
        call_id: String,
        tool: String,
        effect: Effect,
        /// What will happen, for the person to judge.
        summary: String,
    },
    /// What a person (or a rule) decided about a call that needed approval.
    ApprovalDecided {
        call_id: String,
        decision: ApprovalDecision,
        /// Who decided: the front that answered ("terminal", "web", "api"),
        /// "assume_yes", "nobody", the mode or rule that matched; logs
        /// written before fronts were named say "user", "--yes" or "no
        /// terminal".
        by: String,
    },
    /// A tool is about to change a connected folder. Recorded before the
    /// change happens, so undo covers it even if the process dies midway.
    FileChanged {
        call_id: String,
        change: Change,
    },
    /// `cowork undo` restored the task's changes.
    Undone {
        restored: u32,
        /// Changes already in their original state (never applied, or
        /// undone before).
        skipped: u32,
        /// Changes made anyway over later edits (`--force`); what was there
        /// went to the trash first.
        forced: u32,
    },
    /// Older turns were replaced by a summary to stay inside the model's
    /// context window. The conversation goes on from `summary`.
    Compacted {
        summary: String,
        /// How many messages the summary replaced.
        replaced_messages: u32,
        usage: Usage,
    },
    /// Transient: something worth telling the watcher (a retry, a budget).
    Notice {
        message: String,
    },
    /// The person's prompt started with `/name`: the model was sent `text`
    /// (the command's or skill's text with the arguments filled in) as the
    /// first message instead of the prompt as typed. Follows `TaskCreated`.
    PromptExpanded {
        name: String,
        text: String,
    },
    /// A connector (MCP server) of the task changed status: connected,
    /// needs a login, unreachable. A connector never fails the task.
    Connector {
        server: String,
        status: ConnectorStatus,
    },
    /// Something the person should know, kept in the log: a hook that
    /// failed or timed out, a plugin component skipped, a hook's message.
    /// `source` names where it came from (`hook PreToolUse productivity`).
    Warning {
        source: String,
        message: String,
    },
    StatusChanged {
        status: TaskStatus,
        /// Why, in words that name no front's controls.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Why, typed, so each front can word it its own way (the CLI
        /// names its flags). Absent in logs written before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<EndReason>,
    },
    /// The instructions the task runs with, recorded once at its start
    /// (global, project, then each folder's, in the order the model sees
    /// them), text included: a resumed task reuses them rather than
    /// reading the files again. Absent when there were none.
    InstructionsLoaded {
        sources: Vec<InstructionSource>,
    },
    /// Memory entries recalled at the task's start, most relevant first:
    /// the model was sent them with the first user turn, as data. Follows
    /// `TaskCreated` (and `PromptExpanded`); a resumed task recalls
    /// nothing again.
    MemoryRecalled {
        entries: Vec<RecalledMemory>,
    },
}

/// Where a connector (MCP server) stands, in words that name no front's
/// controls; each front adds its own fix (the CLI: `cowork mcp login`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectorStatus {
    /// Connected, offering this many tools.
    Connected { tools: u32 },
    /// The server wants an OAuth login first (or the stored one expired
    /// and could not be refreshed).
    NeedsLogin,
    /// It could not be started or reached; `error` says why.
    Unreachable { error: String },
    /// The administrator's policy does not allow it.
    Blocked { by: String },
    /// It crashed and is being started again.
    Restarting { error: String, attempt: u32 },
}

impl std::fmt::Display for ConnectorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectorStatus::Connected { tools: 1 } => f.write_str("connected, 1 tool"),
            ConnectorStatus::Connected { tools } => write!(f, "connected, {tools} tools"),
            ConnectorStatus::NeedsLogin => f.write_str("needs login"),
            ConnectorStatus::Unreachable { error } => write!(f, "unreachable: {error}"),
            ConnectorStatus::Blocked { by } => write!(f, "blocked by {by}"),
            ConnectorStatus::Restarting { error, attempt } => {
                write!(f, "crashed ({error}); restarting (attempt {attempt})")
            }
        }
    }
}

/// Why a task stopped, for fronts to word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EndReason {
    /// Someone cancelled it.
    Cancelled,
    /// A budget of its spec ran out.
    Budget { budget: BudgetExceeded },
    /// cowork itself hit a bug (a panic) while running it.
    Panicked { message: String },
    /// Any other failure; `reason` says what.
    Error,
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "budget", rename_all = "snake_case")]
pub enum BudgetExceeded {
    Turns { max: u32 },
    Tokens { used: u64, max: u64 },
    Wall { secs: u64 },
}

impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BudgetExceeded::Turns { max } => {
                write!(f, "reached the turn budget of {max} model turns")
            }
            BudgetExceeded::Tokens { used, max } => {
                write!(f, "used {used} tokens, reaching the token budget of {max}")
            }
            BudgetExceeded::Wall { secs } => write!(f, "reached the time budget of {secs} s"),
        }
    }
}

impl Event {
    /// Whether the event belongs in the task's stored log.
    pub fn is_persistent(&self) -> bool {
        match self {
            Event::TaskCreated { .. }
            | Event::UserMessage { .. }
            | Event::TurnStarted { .. }
            | Event::AssistantMessage { .. }
            | Event::ToolCallFinished { .. }
            | Event::ApprovalRequested { .. }
            | Event::ApprovalDecided { .. }
            | Event::FileChanged { .. }
            | Event::Undone { .. }
            | Event::Compacted { .. }
            | Event::PromptExpanded { .. }
            | Event::Connector { .. }
            | Event::Warning { .. }
            | Event::StatusChanged { .. }
            | Event::InstructionsLoaded { .. }
            | Event::MemoryRecalled { .. } => true,
            Event::TextDelta { .. } | Event::ToolCallStarted { .. } | Event::Notice { .. } => false,
        }
    }

    /// The wire name of the event's kind (its `type` tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TaskCreated { .. } => "task_created",
            Event::UserMessage { .. } => "user_message",
            Event::TurnStarted { .. } => "turn_started",
            Event::TextDelta { .. } => "text_delta",
            Event::AssistantMessage { .. } => "assistant_message",
            Event::ToolCallStarted { .. } => "tool_call_started",
            Event::ToolCallFinished { .. } => "tool_call_finished",
            Event::ApprovalRequested { .. } => "approval_requested",
            Event::ApprovalDecided { .. } => "approval_decided",
            Event::FileChanged { .. } => "file_changed",
            Event::Undone { .. } => "undone",
            Event::Compacted { .. } => "compacted",
            Event::Notice { .. } => "notice",
            Event::PromptExpanded { .. } => "prompt_expanded",
            Event::Connector { .. } => "connector",
            Event::Warning { .. } => "warning",
            Event::StatusChanged { .. } => "status_changed",
            Event::InstructionsLoaded { .. } => "instructions_loaded",
            Event::MemoryRecalled { .. } => "memory_recalled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kind_matches_its_serde_tag() {
        let events = [
            Event::UserMessage { text: "hi".into() },
            Event::TurnStarted { turn: 1 },
            Event::MemoryRecalled { entries: vec![] },
            Event::Notice {
                message: "x".into(),
            },
            Event::StatusChanged {
                status: TaskStatus::Completed,
                reason: None,
                end: None,
            },
        ];
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], event.kind());
        }
    }

    #[test]
    fn task_status_round_trips_through_its_name() {
        for s in [
            TaskStatus::Running,
            TaskStatus::Completed,
            TaskStatus::Failed,
            TaskStatus::Cancelled,
            TaskStatus::Interrupted,
        ] {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_status_change_logged_before_typed_end_reasons_still_loads() {
        let old = r#"{"type":"status_changed","status":"failed","reason":"stopped: x"}"#;
        let event: Event = serde_json::from_str(old).unwrap();
        assert_eq!(
            event,
            Event::StatusChanged {
                status: TaskStatus::Failed,
                reason: Some("stopped: x".into()),
                end: None,
            }
        );
    }

    #[test]
    fn a_typed_end_reason_round_trips() {
        let event = Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some("reached the turn budget of 3 model turns".into()),
            end: Some(EndReason::Budget {
                budget: BudgetExceeded::Turns { max: 3 },
            }),
        };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
    }

    #[test]
    fn budget_wording_names_no_cli_flag() {
        for budget in [
            BudgetExceeded::Turns { max: 3 },
            BudgetExceeded::Tokens { used: 9, max: 8 },
            BudgetExceeded::Wall { secs: 5 },
        ] {
            assert!(!budget.to_string().contains("--"), "{budget}");
        }
    }
}
