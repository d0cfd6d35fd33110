//! Claude and Cowork plugins, loaded as they are, and the connectors they
//! bring.
//!
//! - [`format`](mod@format): a plugin folder (`.claude-plugin/plugin.json`, `skills/`,
//!   `commands/`, `agents/`, `hooks/hooks.json`, `.mcp.json`,
//!   `CONNECTORS.md`), read into typed components. A bad component is
//!   skipped with a [`Diagnostic`] naming its file and line; loading never
//!   fails as a whole because of one.
//! - [`marketplace`]: marketplaces (`.claude-plugin/marketplace.json`) from
//!   a path or git, and the plugins installed from them, enabled or not.
//! - [`curation`]: the administrator's policy file, which the person
//!   cannot override: allowed marketplaces and plugins, required and
//!   blocked ones, allowed and blocked MCP servers.
//! - [`mcp`]: the MCP client (stdio, Streamable HTTP, legacy SSE) and the
//!   connectors of a task, whose tools are `mcp__<server>__<tool>` with the
//!   `external` effect.
//! - [`oauth`]: OAuth 2.1 for remote MCP servers, as the MCP authorization
//!   spec requires of clients.
//! - [`hooks`]: `hooks/hooks.json` and running hooks (command hooks in the
//!   sandbox, prompt hooks through the model).
//! - [`host`]: what a front gives core's factory: every task's skills,
//!   connectors and hooks, and `/command` expansion.
//!
//! Core never sees a plugin: only the skills, tools and hooks this crate
//! hands it through [`cowork_core::ExtensionSource`].

pub mod curation;
mod diag;
pub mod format;
pub mod hooks;
pub mod host;
pub mod marketplace;
pub mod mcp;
pub mod oauth;
mod paths;
pub mod trust;

pub use diag::{Diagnostic, Severity};
pub use paths::{PluginPaths, SYSTEM_POLICY};
