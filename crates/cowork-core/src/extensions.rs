//! What plugins hand a task: skills, extra tools from connectors, hooks,
//! read-only folders a skill's files live in, and slash commands. Core
//! knows nothing of plugin formats, marketplaces or MCP: a front builds an
//! [`ExtensionSource`] (cowork-plugins does) and gives it to the
//! [`Factory`](crate::Factory), which asks it for each task's
//! [`TaskExtensions`].
//!
//! Everything here is data to core. A skill's body, a command's text and
//! a hook's output reach the model as content, and none of them can widen
//! what the task may do: tools from connectors pass the permission engine
//! like any other, and a hook can only make a call stricter (deny, ask)
//! unless the configuration's rules already allow it.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;

use cowork_model::Model;
use cowork_protocol::{ConnectorStatus, FolderGrant, PermissionMode, TaskId};

use crate::tool::Tool;

/// A skill the model may load with the `Skill` tool. Only `name` and
/// `description` are in the system prompt (progressive disclosure); the
/// body is sent when the model asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// What the model calls it by: `plugin:name` for a plugin's skill,
    /// `name` for one of the person's own or a folder's.
    pub qualified: String,
    pub description: String,
    /// The `argument-hint` of its frontmatter, shown with `/name`.
    pub argument_hint: Option<String>,
    /// Whether `/name` at the start of a prompt runs it.
    pub user_invocable: bool,
    /// The folder holding `SKILL.md` and its other files; mounted
    /// read-only into the task (see [`TaskExtensions::read_only`]).
    pub dir: PathBuf,
    /// The body of `SKILL.md` after its frontmatter, with
    /// `${CLAUDE_PLUGIN_ROOT}` and connector placeholders resolved.
    pub body: String,
}

/// A slash command the person may start a prompt with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `plugin:name`, or `name` for one outside a plugin.
    pub qualified: String,
    pub description: String,
    pub argument_hint: Option<String>,
    /// The command's text with `$ARGUMENTS`, `$1`… not yet substituted.
    pub template: String,
}

/// A prompt that started with `/name`: what the model is sent instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedPrompt {
    /// The command or skill that ran (`productivity:standup`).
    pub name: String,
    /// What the model is sent as the person's first message.
    pub text: String,
}

/// `/name` named nothing the task knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", unknown_command_message(.name, .close))]
pub struct UnknownCommand {
    pub name: String,
    /// Known commands and skills whose names are close, best first.
    pub close: Vec<String>,
}

fn unknown_command_message(name: &str, close: &[String]) -> String {
    match close {
        [] => format!("there is no command or skill /{name}"),
        [one] => format!("there is no command or skill /{name}; did you mean /{one}?"),
        many => format!(
            "there is no command or skill /{name}; close matches: {}",
            many.iter()
                .map(|c| format!("/{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The hook events cowork fires, as Claude Code names them.
#[derive(Debug, Clone, PartialEq)]
pub enum HookEvent {
    /// A task starts (`source` "startup") or is resumed ("resume").
    SessionStart { source: &'static str },
    /// The person's message, before the model sees it.
    UserPromptSubmit { prompt: String },
    /// A tool call the model asked for, before the permission engine asks
    /// anyone.
    PreToolUse {
        tool: String,
        call_id: String,
        input: serde_json::Value,
    },
    /// A tool call's result, before the model sees it.
    PostToolUse {
        tool: String,
        call_id: String,
        input: serde_json::Value,
        response: String,
        is_error: bool,
    },
    /// The model ended its turn without calling a tool. `active` is true
    /// when a Stop hook already made it go on once in a row.
    Stop { active: bool, last_message: String },
}

/// What every hook of one event said, merged (the strictest wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookOutcome {
    /// For `PreToolUse`: what the hooks decided about the call.
    pub permission: Option<HookPermission>,
    /// `UserPromptSubmit`: the prompt is refused with this reason.
    /// `Stop`: the model goes on, told this reason. `PostToolUse`: the
    /// reason is added to the result the model sees.
    pub block: Option<String>,
    /// Text for the model (`additionalContext`, a SessionStart hook's
    /// output): data, framed as coming from the named hook.
    pub context: Vec<String>,
    /// For the person: hooks that failed, timed out, or printed a
    /// `systemMessage`. Recorded as notices; never fail the task.
    pub reports: Vec<String>,
}

/// A `PreToolUse` hook's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookPermission {
    /// Run without asking, if the mode and rules would otherwise ask. A
    /// hook cannot override a deny rule or plan mode.
    Allow,
    /// Ask a person first, with this reason.
    Ask { reason: String },
    /// Refuse, telling the model this reason.
    Deny { reason: String },
}

/// What a hook run may use besides its event.
#[derive(Clone)]
pub struct HookContext {
    pub task: TaskId,
    /// For prompt-type hooks, which are sent to the model.
    pub model: Arc<dyn Model>,
    /// The task's first folder, the hooks' working directory.
    pub cwd: Option<PathBuf>,
}

/// Runs the hooks that plugins and the configuration declare.
pub trait Hooks: Send + Sync {
    /// Whether any hook listens to events of this kind (so the runner
    /// skips building events nobody hears).
    fn listens(&self, event: &HookEvent) -> bool;

    /// Runs every matching hook of `event`. Never fails: a hook that
    /// fails or times out is a report in the outcome.
    fn run(&self, event: HookEvent, ctx: HookContext) -> BoxFuture<'static, HookOutcome>;
}

/// The connectors (MCP servers) a task may use, connected on demand.
pub trait Connectors: Send + Sync {
    /// Connects what is not connected yet (the first call starts the
    /// servers) and says what changed since the last call: the tools now
    /// offered (`None`: unchanged) and each server whose status changed.
    /// The runner calls it before each model turn; it must be cheap when
    /// nothing changed. Never fails: an unreachable server is a status.
    fn poll(&self) -> BoxFuture<'_, ConnectorsUpdate>;

    /// Stops every server (the task ended). Dropping does the same.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}

/// What [`Connectors::poll`] found.
#[derive(Default)]
pub struct ConnectorsUpdate {
    /// Every connector tool now offered, replacing the previous set.
    pub tools: Option<Vec<Arc<dyn Tool>>>,
    /// Servers whose status changed, by name.
    pub statuses: Vec<(String, ConnectorStatus)>,
}

/// What the task being built is, for the source to choose what it gets.
#[derive(Debug, Clone)]
pub struct TaskContext {
    pub id: TaskId,
    pub folders: Vec<FolderGrant>,
    pub mode: PermissionMode,
    /// The connectors the task gets, by name; `None`: every one there is
    /// (`TaskSpec::connectors`).
    pub connectors: Option<Vec<String>>,
}

/// What one task gets from plugins and the person's own skills.
#[derive(Default, Clone)]
pub struct TaskExtensions {
    pub skills: Vec<Skill>,
    /// Folders the task may read but never change (plugin roots, skill
    /// folders), mounted read-only into the sandbox too.
    pub read_only: Vec<PathBuf>,
    pub connectors: Option<Arc<dyn Connectors>>,
    pub hooks: Option<Arc<dyn Hooks>>,
    /// For the person, once: components skipped, servers refused by
    /// policy. Recorded as notices.
    pub notices: Vec<String>,
    /// Expands a `/command` the person sends while the task runs (or to
    /// go on after it ended); the factory sets it from its
    /// [`ExtensionSource`].
    pub commands: Option<Arc<dyn Commands>>,
    /// The task's folders the person trusted: their own instructions
    /// (`COWORK.md`…) are followed. Any other folder's are shown to the
    /// model as data.
    pub trusted_folders: Vec<PathBuf>,
}

/// A task's `/commands`, for messages after its prompt.
pub trait Commands: Send + Sync {
    /// What the model is sent for `message`: `Ok(None)` when it is not a
    /// command, `Err` when it names nothing known.
    fn expand(&self, message: &str) -> Result<Option<ExpandedPrompt>, UnknownCommand>;
}

/// Where the factory gets each task's extensions and expands commands.
pub trait ExtensionSource: Send + Sync {
    /// What a task over `ctx` gets. Loading is fast (files only):
    /// connectors start when [`Connectors::poll`] is first called.
    fn for_task(&self, ctx: &TaskContext) -> TaskExtensions;

    /// Expands `/name args` at the start of `prompt` into the text the
    /// model is sent. `Ok(None)`: the prompt is not a command.
    fn expand(
        &self,
        prompt: &str,
        ctx: &TaskContext,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_command_names_its_close_matches() {
        let none = UnknownCommand {
            name: "stnadup".into(),
            close: vec![],
        };
        assert_eq!(none.to_string(), "there is no command or skill /stnadup");
        let two = UnknownCommand {
            name: "stnadup".into(),
            close: vec!["productivity:standup".into(), "standup".into()],
        };
        assert_eq!(
            two.to_string(),
            "there is no command or skill /stnadup; close matches: /productivity:standup, /standup"
        );
    }
}
