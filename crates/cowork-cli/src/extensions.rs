//! The plugins, skills, connectors and hooks every task this process runs
//! gets: the host core's factory asks, built from where this CLI keeps
//! things.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::Result;

use cowork_core::SandboxChoice;
use cowork_plugins::hooks::HookSandbox;
use cowork_plugins::host::{FOLDER_SKILLS, HostSetup, PluginHost};
use cowork_plugins::oauth::{OAuthProvider, TokenStore};
use cowork_plugins::trust::FolderTrust;
use cowork_protocol::FolderGrant;
use cowork_protocol::config::Config;

use crate::safe;

/// The host for tasks that run their commands as `sandbox` says.
pub fn host(config: &Config, sandbox: SandboxChoice) -> Result<Arc<PluginHost>> {
    let paths = crate::plugin_paths::plugin_paths()?;
    let own = crate::config::own_paths()?;
    let hook_sandbox = match sandbox {
        SandboxChoice::None => HookSandbox::Unsandboxed,
        SandboxChoice::Auto => {
            HookSandbox::probed(cowork_sandbox::probe_cached(&own.probe_cache_dir()))
        }
    };
    let auth = Arc::new(OAuthProvider::new(TokenStore::new(paths.mcp_dir())));
    Ok(Arc::new(PluginHost::new(HostSetup {
        env: std::env::vars().collect(),
        hook_sandbox,
        hidden: own.hidden_from_commands(),
        rules_hide_paths: !cowork_core::hidden_paths(&config.rules).is_empty(),
        auth,
        paths,
    })))
}

/// Asks, at a terminal, whether connected folders that hold their own
/// skills may use them; remembered per folder. Without a terminal nothing
/// is asked and the task is told the skills are not used.
pub fn ask_folder_skills(host: &PluginHost, folders: &[FolderGrant]) -> Result<()> {
    let unanswered = host.unanswered_folder_skills(folders);
    if unanswered.is_empty() || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal()
    {
        return Ok(());
    }
    let file = FolderTrust::file(&host.setup().paths.plugins_dir());
    let mut trust = FolderTrust::load(&file)?;
    for folder in unanswered {
        let mut err = std::io::stderr().lock();
        write!(
            err,
            "{} has its own skills in {FOLDER_SKILLS}: instructions written by whoever made the \
             folder. Let tasks use them? [y/N] ",
            safe::line(&folder.display().to_string())
        )?;
        err.flush()?;
        drop(err);
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        let allowed = matches!(answer.trim(), "y" | "Y" | "yes" | "Yes");
        trust.set(&file, &folder, allowed)?;
    }
    Ok(())
}
