//! The cowork task runner: the agent loop that drives a model and its
//! tools to finish a task, the tool registry, context compaction, and the
//! queue pair (ops in, events out) every front end drives a task through.
//!
//! Core knows nothing of terminals or HTTP: the CLI and the daemon render
//! the same [`Envelope`](cowork_protocol::Envelope)s from the [`Hub`] and
//! send the same [`Op`](cowork_protocol::Op)s; any front may answer a
//! task's approvals ([`OpSender::decide`]), the first answer wins. Every
//! persistent event is appended to the store before it is published, so
//! a task can always be rebuilt from its log ([`load_task`],
//! [`resume_task`], [`continue_task`]). A panic in the loop or a tool
//! ends the task as failed, never leaves it running. One model turn runs at most 64
//! tool calls, each with at most 8 MiB of arguments; the excess is
//! answered with tool errors and kept out of the log.
//!
//! Every front builds its tasks through one [`Factory`]: folders with
//! cowork's own files reserved, the journal, the sandbox probe, the tools
//! the mode allows, the policy and the model. Undoing a task is
//! [`factory::undo_task`].
//!
//! Instructions reach the model in layers ([`instructions`]): the
//! person's global `COWORK.md`, a project's, then each connected folder's
//! `COWORK.md`, `CLAUDE.md` and `AGENTS.md` — followed only for folders the
//! person trusted ([`TaskExtensions::trusted_folders`]), quoted as data
//! otherwise. They are read at the task's start, recorded
//! ([`Event::InstructionsLoaded`](cowork_protocol::Event::InstructionsLoaded))
//! and reused by every later run, and the permission engine never reads
//! them.
//! Memory: a task starts with the memory entries most relevant to its
//! prompt ([`tools::MemorySettings`]), sent with the first user turn as a
//! labelled data block and recorded as `MemoryRecalled` (a resumed task
//! recalls nothing again), and remembers, recalls and forgets with the
//! `Memory` tool, each call judged by the effect it declares. Nothing in
//! memory reaches the policy.
//!
//! Plugins reach a task only through an [`ExtensionSource`] given to the
//! factory ([`Factory::with_extensions`]; cowork-plugins implements it):
//! skills (named in the system prompt, loaded with the `Skill` tool, their
//! folders readable and never writable), `/commands` expanded before the
//! first model call, connectors polled before each turn (their tools pass
//! the permission engine as external actions), and hooks fired at the
//! loop's points. None of it can widen what the task may do.
//!
//! ```no_run
//! # async fn demo(deps: cowork_core::TaskDeps, spec: cowork_protocol::TaskSpec) -> Result<(), cowork_core::CoreError> {
//! let mut task = cowork_core::start_task(deps, cowork_protocol::TaskId::new(), spec)?;
//! while let Some(envelope) = task.next_event().await {
//!     println!("{} {}", envelope.seq, envelope.event.kind());
//! }
//! # Ok(()) }
//! ```

mod approvals;
mod compaction;
mod error;
pub mod extensions;
pub mod factory;
mod handle;
mod hub;
pub mod instructions;
mod output;
mod permission;
mod prompt;
mod runner;
mod suggest;
mod tool;
pub mod tools;
mod transcript;

pub use approvals::{Approver, Decider, NotPending, PendingApproval};
pub use error::CoreError;
pub use extensions::{
    Command, Commands, Connectors, ConnectorsUpdate, ExpandedPrompt, ExtensionSource, HookContext,
    HookEvent, HookOutcome, HookPermission, Hooks, Skill, TaskContext, TaskExtensions,
    UnknownCommand,
};
pub use factory::{
    Factory, FactoryError, FactorySetup, RunSetup, SandboxChoice, SetupNotice, Started, TaskRequest,
};
pub use handle::{OpSender, TaskHandle};
pub use hub::{Hub, Publisher, Subscription};
pub use instructions::{Instructions, ProjectInstructions};
pub use output::truncate_tool_output;
pub use permission::{
    CallFacts, Policy, RuleError, RuleOrigin, Verdict, denied_paths, escape_glob, exact_tool_rule,
    hidden_paths,
};
pub use prompt::{instructions_section, system_prompt, system_prompt_with};
pub use runner::{
    LoadedTask, RunOptions, TaskDeps, continue_task, load_task, resume_task, start_recorded_task,
    start_task,
};
pub use suggest::close_matches;
pub use tool::{CallContext, Preview, Tool, ToolFailure, ToolRegistry};
pub use tools::builtin_tool_names;
pub use transcript::Transcript;
