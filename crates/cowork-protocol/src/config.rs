//! The user's configuration file (`config.toml`), as data. Loading it is the
//! CLI's job; applying its rules is the permission engine's.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::event::{PermissionMode, Provider};
use crate::tool::Effect;

/// `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The permission mode when `--mode` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PermissionMode>,
    /// `cowork gc` drops change journals of tasks older than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_max_age_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// Limits for commands run in the sandbox (`[sandbox]`).
    #[serde(default, skip_serializing_if = "SandboxConfig::is_default")]
    pub sandbox: SandboxConfig,
    /// The model tasks use when neither the command nor the request names
    /// one (`[model]`): what a task started from the web UI talks to.
    #[serde(default, skip_serializing_if = "ModelConfig::is_default")]
    pub model: ModelConfig,
    /// How the daemon tells the person a task of theirs finished, failed
    /// or waits for them (`[notifications]`).
    #[serde(default, skip_serializing_if = "NotificationsConfig::is_default")]
    pub notifications: NotificationsConfig,
    /// Memory recalled at a task's start (`[memory]`).
    #[serde(default, skip_serializing_if = "MemoryConfig::is_default")]
    pub memory: MemoryConfig,
}

/// `[notifications]`: where the daemon's notices go besides the web UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    /// A desktop notification (freedesktop: `notify-send`, or `gdbus` on
    /// the session bus) where the daemon can reach one (default true).
    #[serde(default = "yes")]
    pub desktop: bool,
    /// A program (and its arguments, not a shell line) run with the
    /// notification as JSON on its stdin: to forward it to a phone, a chat,
    /// a mail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            desktop: true,
            command: Vec::new(),
        }
    }
}

impl NotificationsConfig {
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }
}

/// `[memory]`: how much memory a task starts with.
///
/// ```toml
/// [memory]
/// recall_tokens = 800   # 0: recall nothing at a task's start
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// At most this many tokens (about 4 characters each) of memory
    /// entries go to the model with a task's first turn; unset: cowork's
    /// default (800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_tokens: Option<u32>,
}

impl MemoryConfig {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// `[model]`: defaults for the provider, the model and the server. Keys
/// never live here: they come from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// e.g. `claude-sonnet-4-5`, or `qwen2.5:7b` for Ollama.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// e.g. `http://localhost:11434/v1` for Ollama.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl ModelConfig {
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }
}

/// `[sandbox]`: limits on what one command may do. Unset fields take the
/// built-in defaults of the crates that enforce them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {
    /// The largest file a command may write, in MiB (`RLIMIT_FSIZE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_mb: Option<u64>,
    /// What one command may leave changed in the connected folders, in MiB
    /// of file content; beyond it nothing of the command's changes is
    /// applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stage_mb: Option<u64>,
    /// How many files and folders one command may leave changed in the
    /// connected folders; beyond it nothing is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stage_entries: Option<u64>,
}

impl SandboxConfig {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// One permission rule. Every field that is set must match for the rule to
/// apply; a rule with only `action` applies to everything. Deny rules win
/// over everything else, in every mode and over `--yes`.
///
/// ```toml
/// [[rules]]                      # never delete anything
/// action = "deny"
/// tool = "Delete"
///
/// [[rules]]                      # every tool of the Slack connector
/// action = "allow"
/// server = "slack"               # the same as tool = "mcp__slack__*"
///
/// [[rules]]                      # Notion's tools that say they only read
/// action = "allow"
/// tool = "mcp__notion__*"
/// trust_read_only_hint = true
/// ```
///
/// Connector (MCP) tools are named `mcp__<server>__<tool>` and change
/// things outside the connected folders (effect `external`): they are
/// asked for in the ask and auto modes unless an allow rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub action: RuleAction,
    /// A tool name, e.g. `Delete`, or a glob over tool names, e.g.
    /// `mcp__slack__*` or `mcp__*`; matched without regard to case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// A connector (MCP server) by name: the rule matches its tools,
    /// `mcp__<server>__*`. With `tool` set too, both must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Only on an allow rule: it then matches only calls to tools whose
    /// author says they only read (an MCP tool's `readOnlyHint`). Without
    /// such a rule that claim is never trusted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trust_read_only_hint: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// A folder (and everything below it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<PathBuf>,
    /// A glob over absolute paths, e.g. `**/*.key` or `/home/me/tax/**`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Allow,
    Ask,
    Deny,
}
