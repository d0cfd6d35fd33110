//! `cowork plugin …`: validate plugin folders, manage marketplaces, and
//! install, enable and list plugins.

use std::process::ExitCode;

use anyhow::Result;

use cowork_protocol::config::Config;

use crate::cli_plugins::PluginCommand;

pub fn plugin(command: PluginCommand, _config: &Config) -> Result<ExitCode> {
    match command {
        PluginCommand::Validate(args) => crate::plugin_validate::run(&args),
        other => anyhow::bail!("`cowork plugin {other:?}` is being built"),
    }
}
