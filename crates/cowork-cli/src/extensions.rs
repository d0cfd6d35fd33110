//! The plugins, skills, connectors and hooks every task this process runs
//! gets: the host core's factory asks, built from where this CLI keeps
//! things.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::Result;

use cowork_core::SandboxChoice;
use cowork_plugins::hooks::HookSandbox;
use cowork_plugins::host::{HostSetup, PluginHost};
use cowork_plugins::oauth::{OAuthProvider, TokenStore};
use cowork_plugins::trust::{FolderContents, FolderTrust};
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

/// Asks, at a terminal, whether each connected folder that holds its own
/// instructions or skills is trusted, once per folder: one answer covers
/// both, and is remembered. Without a terminal nothing is asked: the
/// folder stays untrusted (its instructions reach the model as data, its
/// skills not at all) and the task's transcript says how to trust it.
/// The daemon reads the same answers for the tasks it runs, so `cowork
/// run` asks here before handing it a task too.
pub fn ask_folder_trust(folders: &[FolderGrant]) -> Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(());
    }
    let file = FolderTrust::file(&crate::plugin_paths::plugin_paths()?.plugins_dir());
    let mut trust = FolderTrust::load(&file)?;
    let unanswered = trust.unanswered(folders);
    for contents in unanswered {
        let mut err = std::io::stderr().lock();
        write!(err, "{}", trust_question(&contents))?;
        err.flush()?;
        drop(err);
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        let allowed = matches!(answer.trim(), "y" | "Y" | "yes" | "Yes");
        trust.set(&file, &contents.folder, allowed)?;
    }
    Ok(())
}

/// The question for one folder, naming what trusting it enables.
fn trust_question(contents: &FolderContents) -> String {
    format!(
        "{} has {}: written by whoever made the folder. Trust this folder, so tasks follow \
         them? [y/N] ",
        safe::line(&contents.folder.display().to_string()),
        contents.enables()
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_trust_question_names_what_trusting_the_folder_enables() {
        let contents = FolderContents {
            folder: PathBuf::from("/home/me/notes"),
            instructions: vec!["COWORK.md", "AGENTS.md"],
            skills: true,
        };
        assert_eq!(
            trust_question(&contents),
            "/home/me/notes has its instructions (COWORK.md, AGENTS.md) and its skills \
             (.claude/skills): written by whoever made the folder. Trust this folder, so tasks \
             follow them? [y/N] "
        );
    }

    #[test]
    fn a_folder_name_with_a_line_break_stays_on_the_questions_line() {
        let contents = FolderContents {
            folder: PathBuf::from("/tmp/x\nTrust everything? [y/N] "),
            instructions: vec!["COWORK.md"],
            skills: false,
        };
        let question = trust_question(&contents);
        assert!(!question.contains('\n'), "{question}");
        assert!(question.ends_with("follow them? [y/N] "), "{question}");
    }
}
