//! A plugin folder, read into typed components, as Claude Code and
//! Cowork lay it out:
//!
//! ```text
//! my-plugin/
//! ├── .claude-plugin/plugin.json   name, version, author, path overrides
//! ├── skills/<name>/SKILL.md       + the skill's other files
//! ├── commands/*.md                (commands/a/b.md is `a:b`)
//! ├── agents/*.md
//! ├── hooks/hooks.json
//! ├── .mcp.json                    MCP servers
//! └── CONNECTORS.md                `~~category` placeholders
//! ```
//!
//! [`load_plugin`] never fails because one part is bad: a broken
//! component is skipped with a [`Diagnostic`](crate::Diagnostic) naming its file and line,
//! and the rest loads. It fails ([`LoadError`]) only when the folder is
//! not a plugin at all or cannot be read. A `plugin.json` that is not
//! valid JSON is an error diagnostic, and the plugin still loads from its
//! default folders under its folder's name (its path overrides are lost).
//!
//! Every file is opened beneath the plugin's root by the kernel
//! (`openat2(RESOLVE_BENEATH)`): a symlink or `..` out of the plugin is
//! refused with a diagnostic, so a plugin can never make cowork read a
//! file outside it.
//!
//! Path overrides in plugin.json (`"skills": "./more-skills/"`) add to the
//! default folders, as Claude Code's reference describes custom paths
//! ("supplement, not replace"); naming a default folder again loads it
//! once. A marketplace entry with `"strict": false` is the plugin's whole
//! definition, so the component paths it lists replace the default
//! folders ([`load_plugin_with_entry`]). Paths must be relative and stay
//! inside the plugin (`..` above the root and absolute paths are refused
//! on their line).
//!
//! [`load_skills`] reads a folder of skills that is not a plugin (the
//! person's own, a connected folder's `.claude/skills/`) the same way.
//!
//! [`render_command`] fills a command's arguments, [`expand`] expands
//! `${VAR}`, [`resolve_placeholders`] turns `~~chat` into the connected
//! chat server, and [`validate`] checks a plugin or marketplace folder
//! for `cowork plugin validate`.
//!
//! ```no_run
//! let (plugin, diagnostics) = cowork_plugins::format::load_plugin("plugins/productivity".as_ref())?;
//! for d in &diagnostics {
//!     eprintln!("{d}");
//! }
//! let standup = plugin.commands.iter().find(|c| c.name == "standup");
//! # Ok::<(), cowork_plugins::format::LoadError>(())
//! ```

mod agent;
mod command;
mod components;
mod connectors;
mod expand;
mod frontmatter;
pub(crate) mod jsonpos;
mod load;
mod manifest;
mod read;
mod servers;
mod skill;
mod validate;

use std::path::PathBuf;

use serde::Serialize;

pub use agent::AgentDef;
pub use command::{CommandDef, render_command};
pub use connectors::{ConnectorCategory, ConnectorsMap, names_match, resolve_placeholders};
pub use expand::{Expanded, MissingVars, expand, expand_server, plugin_lookup};
pub use load::{load_plugin, load_plugin_with_entry, load_skills};
pub use manifest::Author;
pub use skill::SkillDef;
pub use validate::{Checked, Validation, validate};

use crate::mcp::config::McpFile;

/// A loaded plugin: its metadata and the components that loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plugin {
    /// From plugin.json, else the folder's name.
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub author: Option<Author>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    /// The plugin's folder (absolute, symlinks resolved): what
    /// `${CLAUDE_PLUGIN_ROOT}` stands for.
    pub root: PathBuf,
    /// Sorted by name.
    pub skills: Vec<SkillDef>,
    /// Sorted by name.
    pub commands: Vec<CommandDef>,
    /// Sorted by name.
    pub agents: Vec<AgentDef>,
    /// Where the plugin's hooks are declared, in order. The hooks module
    /// parses them.
    pub hooks: Vec<HooksDecl>,
    /// Its MCP servers, as written (`${…}` not yet expanded).
    pub mcp: McpFile,
    /// Its `CONNECTORS.md`; empty when it has none.
    pub connectors: ConnectorsMap,
}

/// Where hooks are declared. Only checked to be a JSON object here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HooksDecl {
    /// A `hooks.json` file (absolute path): `hooks/hooks.json`, or one
    /// plugin.json names.
    File { path: PathBuf },
    /// `"hooks": {…}` inline in plugin.json (`manifest` is its path).
    Inline {
        manifest: PathBuf,
        hooks: serde_json::Value,
    },
}

/// A plugin's hooks, from `hooks/hooks.json`, files plugin.json names,
/// and hooks inline in plugin.json.
pub fn load_hooks(plugin: &Plugin) -> (Vec<crate::hooks::HookSet>, Vec<crate::Diagnostic>) {
    let mut sets = Vec::new();
    let mut diagnostics = Vec::new();
    for decl in &plugin.hooks {
        let (set, found) = match decl {
            HooksDecl::File { path } => crate::hooks::parse_file(path),
            HooksDecl::Inline { manifest, hooks } => {
                crate::hooks::parse_str(&hooks.to_string(), manifest)
            }
        };
        sets.extend(set);
        diagnostics.extend(found);
    }
    (sets, diagnostics)
}

/// The folder is not a plugin, or cannot be read at all. Everything less
/// is a [`crate::Diagnostic`].
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the plugin folder {} cannot be read ({reason}); check that it exists and is readable", dir.display())]
    Unreadable { dir: PathBuf, reason: String },
    #[error("{} is not a folder; give the plugin's folder (the one holding `.claude-plugin/`)", dir.display())]
    NotADirectory { dir: PathBuf },
    #[error(
        "{} is not a plugin: it has no `.claude-plugin/plugin.json` and none of `skills/`, \
         `commands/`, `agents/`, `hooks/hooks.json`, `.mcp.json`; give the plugin's own folder",
        dir.display()
    )]
    NotAPlugin { dir: PathBuf },
}
