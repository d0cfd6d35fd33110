//! Where plugins, marketplaces, connectors and tokens live.

use std::path::{Path, PathBuf};

/// The system-wide policy file an administrator writes.
pub const SYSTEM_POLICY: &str = "/etc/cowork/policy.toml";

/// Where this crate keeps and finds things. The front that knows the
/// person's folders builds it; this crate never reads `$HOME` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginPaths {
    /// cowork's data dir: `plugins/` (marketplace clones, installed
    /// plugins, their state) and `mcp/` (OAuth tokens, mode 0600) live
    /// under it.
    pub data_dir: PathBuf,
    /// The person's configuration folder (`~/.config/cowork`): `skills/`
    /// (their own skills) and `mcp.json` (connectors added with `cowork
    /// mcp add`).
    pub config_dir: PathBuf,
    /// The administrator's policy ([`SYSTEM_POLICY`] outside tests).
    pub policy_file: PathBuf,
}

impl PluginPaths {
    /// Marketplaces, installed plugins and their state.
    pub fn plugins_dir(&self) -> PathBuf {
        self.data_dir.join("plugins")
    }

    /// OAuth tokens and client registrations of remote MCP servers.
    pub fn mcp_dir(&self) -> PathBuf {
        self.data_dir.join("mcp")
    }

    /// The person's own skills.
    pub fn user_skills_dir(&self) -> PathBuf {
        self.config_dir.join("skills")
    }

    /// Connectors the person added (`{"mcpServers": {...}}`, as
    /// `.mcp.json`).
    pub fn user_mcp_file(&self) -> PathBuf {
        self.config_dir.join("mcp.json")
    }

    pub fn policy_file(&self) -> &Path {
        &self.policy_file
    }
}
