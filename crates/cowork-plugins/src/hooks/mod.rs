//! Hooks: `hooks/hooks.json` as Claude Code plugins write it, and running
//! the hooks a task's events match.
//!
//! - [`parse_file`] reads both forms of `hooks.json` (the bare events map
//!   and the `{"description", "hooks"}` wrapper) into a [`HookSet`]; every
//!   problem is a [`crate::Diagnostic`] with file and line, and a bad entry
//!   is skipped, never the whole file.
//! - [`Matcher`] follows Claude Code: exact names (`Write|Edit`) or an
//!   unanchored regular expression (`mcp__slack__.*`).
//! - [`PluginHooks`] implements core's [`cowork_core::Hooks`]: command
//!   hooks run in cowork's sandbox (the task's folders and the plugin's
//!   root read-only, no network, the event JSON on stdin, killed at their
//!   timeout, output capped), prompt hooks ask the task's model, and the
//!   hooks of one event run concurrently, their outcomes merged (deny over
//!   ask over allow). Every failure is a report in the outcome, never an
//!   error of the task.
//!
//! It does not decide what a hook's "allow" may override: core's
//! permission engine does (a hook can never beat a deny rule or plan
//! mode).
//!
//! ```no_run
//! use std::path::Path;
//! use cowork_plugins::hooks::{HookSandbox, HookSetup, HookSource, PluginHooks, parse_file};
//! use cowork_protocol::PermissionMode;
//!
//! let root = Path::new("/plugins/hookify");
//! let (hooks, diagnostics) = parse_file(&root.join("hooks/hooks.json"));
//! for d in &diagnostics {
//!     eprintln!("{d}");
//! }
//! let sources = hooks
//!     .map(|hooks| HookSource { plugin: "hookify".into(), root: root.into(), hooks })
//!     .into_iter()
//!     .collect();
//! let setup = HookSetup {
//!     folders: vec![],
//!     mode: PermissionMode::Ask,
//!     sandbox: HookSandbox::Sandboxed,
//!     hidden: vec![],
//! };
//! let hooks = PluginHooks::new(sources, setup); // give it to the task as `Arc<dyn Hooks>`
//! ```

mod command;
mod config;
mod event;
mod input;
mod json_lines;
mod matcher;
mod output;
mod plugin_hooks;
mod prompt;

pub use command::{HookSandbox, OUTPUT_CAP};
pub use config::{
    DEFAULT_COMMAND_TIMEOUT, DEFAULT_PROMPT_TIMEOUT, HookAction, HookGroup, HookSet, HookSpec,
    MAX_TIMEOUT, parse_file, parse_str,
};
pub use event::{EventName, MatcherSubject};
pub use matcher::Matcher;
pub use plugin_hooks::{HookSetup, HookSource, PluginHooks};
