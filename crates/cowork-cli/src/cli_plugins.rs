//! The arguments of `cowork plugin …` and `cowork mcp …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Check a plugin folder (or a marketplace) and report every problem
    /// with its file and line.
    Validate(PluginValidateArgs),
    /// Marketplaces plugins are installed from.
    #[command(subcommand)]
    Marketplace(MarketplaceCommand),
    /// Install a plugin from a marketplace: `NAME@MARKETPLACE`.
    Install(PluginInstallArgs),
    /// Remove an installed plugin.
    Uninstall(PluginNameArgs),
    /// Turn an installed plugin on.
    Enable(PluginNameArgs),
    /// Turn an installed plugin off (its skills, commands, connectors and
    /// hooks with it).
    Disable(PluginNameArgs),
    /// Installed plugins with their skills, commands, agents and
    /// connectors.
    List(PluginListArgs),
    /// Trust a connected folder: tasks follow its own instructions
    /// (COWORK.md, CLAUDE.md, AGENTS.md) and use its skills
    /// (`.claude/skills/`); `--revoke` stops them. The same as `cowork
    /// trust`. At a terminal, `cowork run` asks once.
    TrustFolder(TrustFolderArgs),
}

#[derive(Debug, Args)]
pub struct TrustFolderArgs {
    pub folder: PathBuf,
    /// Stop trusting the folder: its instructions reach tasks only as
    /// data, and its skills not at all.
    #[arg(long)]
    pub revoke: bool,
}

#[derive(Debug, Args)]
pub struct PluginValidateArgs {
    /// A plugin folder, or a folder with `.claude-plugin/marketplace.json`.
    pub dir: PathBuf,
    /// One JSON object per problem, one per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MarketplaceCommand {
    /// Add a marketplace: a folder, a git URL, or `owner/repo`.
    Add(MarketplaceAddArgs),
    /// Known marketplaces and how many plugins each offers.
    List(MarketplaceListArgs),
    /// Fetch marketplaces again (all, or the one named).
    Update(MarketplaceUpdateArgs),
    /// Forget a marketplace (plugins installed from it stay until
    /// uninstalled).
    Remove(MarketplaceNameArgs),
}

#[derive(Debug, Args)]
pub struct MarketplaceAddArgs {
    /// A folder, a git URL, or `owner/repo`.
    pub source: String,
}

#[derive(Debug, Args)]
pub struct MarketplaceListArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MarketplaceUpdateArgs {
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct MarketplaceNameArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct PluginInstallArgs {
    /// `NAME@MARKETPLACE` (or `NAME` when one marketplace offers it).
    pub plugin: String,
    /// Install without asking (for scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct PluginNameArgs {
    /// `NAME` or `NAME@MARKETPLACE`.
    pub plugin: String,
}

#[derive(Debug, Args)]
pub struct PluginListArgs {
    /// One JSON object per plugin per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Add a connector: `NAME -- COMMAND [ARGS…]` (a local server) or
    /// `NAME --url URL [--header "K: V"]…` (a remote one).
    Add(McpAddArgs),
    /// Connectors from your configuration and enabled plugins.
    List(McpListArgs),
    /// Remove a connector you added.
    Remove(McpNameArgs),
    /// Connect to a server and list its tools (calls none).
    Test(McpNameArgs),
    /// Sign in to a remote server (OAuth) and keep its tokens.
    Login(McpNameArgs),
    /// Forget a server's tokens.
    Logout(McpNameArgs),
}

#[derive(Debug, Args)]
pub struct McpAddArgs {
    pub name: String,
    /// A remote server's URL.
    #[arg(long, conflicts_with = "command")]
    pub url: Option<String>,
    /// The remote transport: `http` (Streamable HTTP) or `sse`.
    #[arg(long, value_name = "http|sse", requires = "url")]
    pub transport: Option<String>,
    /// A header sent to a remote server, `"Name: value"`; repeatable.
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        requires = "url"
    )]
    pub headers: Vec<String>,
    /// An environment variable for a local server, `KEY=VALUE`; repeatable.
    #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The local server's command and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct McpListArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct McpNameArgs {
    pub name: String,
}
