//! `cowork mcp …`: add, list, remove and test connectors, and sign in to
//! remote ones.

use std::process::ExitCode;

use anyhow::Result;

use cowork_protocol::config::Config;

use crate::cli_plugins::McpCommand;

pub async fn mcp(command: McpCommand, _config: &Config) -> Result<ExitCode> {
    anyhow::bail!("`cowork mcp {command:?}` is being built")
}
