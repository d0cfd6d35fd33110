//! `cowork mcp …`: add, list, remove and test connectors, and sign in to
//! remote ones.

use std::process::ExitCode;

use anyhow::Result;

use cowork_protocol::config::Config;

use crate::cli_plugins::McpCommand;
use crate::mcp_login;

pub async fn mcp(command: McpCommand, _config: &Config) -> Result<ExitCode> {
    match command {
        McpCommand::Login(args) => mcp_login::login(&args).await,
        McpCommand::Logout(args) => mcp_login::logout(&args).await,
        McpCommand::Add(_) | McpCommand::List(_) | McpCommand::Remove(_) | McpCommand::Test(_) => {
            anyhow::bail!("`cowork mcp {command:?}` is being built")
        }
    }
}
