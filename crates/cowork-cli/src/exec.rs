//! `cowork exec`: one command in the sandbox, from the terminal.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Result, bail};

use cowork_core::factory::OwnPaths;
use cowork_sandbox::{Availability, Limits, Mount, Output, SandboxError, SandboxSpec};

use crate::cli::{ExecArgs, SandboxArg};
use crate::run::parse_folder;

pub fn exec(args: &ExecArgs) -> Result<ExitCode> {
    let network = args.sandbox.network()?;
    // Without a data dir there is nothing of cowork's to hide, and the
    // probe is not remembered.
    let own = crate::config::own_paths().ok();
    let cache = own.as_ref().map(OwnPaths::probe_cache_dir);
    let sandboxed = match args.sandbox.sandbox {
        SandboxArg::Auto => {
            let availability = match &cache {
                Some(dir) => cowork_sandbox::probe_cached(dir),
                None => cowork_sandbox::probe(),
            };
            if let Availability::Unavailable { cause, fix } = availability {
                bail!(unavailable(&cause, &fix));
            }
            true
        }
        SandboxArg::None => {
            eprintln!(
                "cowork: running WITHOUT the sandbox (--sandbox none): the command can read and \
                 change anything your user can, and reach any network"
            );
            false
        }
    };
    let grants = args
        .folders
        .iter()
        .map(|f| parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let cwd = std::env::current_dir()?;
    let cwd = if grants.iter().any(|g| cwd.starts_with(&g.path)) {
        cwd
    } else {
        grants
            .first()
            .map_or_else(|| "/tmp".into(), |g| g.path.clone())
    };
    let mut limits = Limits::default();
    if let Some(secs) = args.timeout {
        limits.wall = Duration::from_secs(secs);
    }
    limits.file_bytes = Some(args.max_file_size.saturating_mul(1 << 20));
    let spec = SandboxSpec {
        command: args.command.iter().map(Into::into).collect(),
        cwd,
        mounts: grants
            .iter()
            .map(|g| {
                if g.read_only {
                    Mount::read_only(&g.path)
                } else {
                    Mount::writable(&g.path)
                }
            })
            .collect(),
        env: ["TERM", "LANG"]
            .iter()
            .filter_map(|k| std::env::var_os(k).map(|v| ((*k).into(), v)))
            .collect(),
        limits,
        network,
        stdin: None,
        hidden: own
            .as_ref()
            .map(OwnPaths::hidden_from_commands)
            .unwrap_or_default(),
        // The person's own command, run by them: their folders' instructions
        // are theirs to change.
        protected: Vec::new(),
    };
    let (output, interrupted) = match run_until_interrupted(spec, sandboxed)? {
        (Ok(output), interrupted) => (output, interrupted),
        (Err(SandboxError::Unavailable { cause, fix }), _) => {
            // The remembered probe was wrong (namespaces were disabled since).
            if let Some(dir) = &cache {
                cowork_sandbox::forget_probe(dir);
            }
            bail!(unavailable(&cause, &fix));
        }
        (Err(e), _) => return Err(e.into()),
    };
    // The command's own output is the person's command talking to their
    // terminal, as in any shell: passed through as it is.
    let _ = std::io::stdout().write_all(&output.stdout);
    let _ = std::io::stderr().write_all(&output.stderr);
    // Egress lines are cowork's words about what the command asked for
    // (host names it chose): escaped.
    for event in output.egress.iter().filter(|e| !e.decision.is_allowed()) {
        eprintln!("cowork: network: {}", crate::safe::line(&event.to_string()));
    }
    if output.stdout_truncated || output.stderr_truncated {
        eprintln!("cowork: output was truncated");
    }
    if output.file_size_limit_hit() {
        eprintln!(
            "cowork: the command hit the file-size limit ({} MiB per file); raise it with \
             --max-file-size MB",
            args.max_file_size
        );
    }
    if interrupted {
        eprintln!("cowork: interrupted; the command and everything it started were stopped");
        return Ok(ExitCode::from(130));
    }
    if output.timed_out {
        eprintln!("cowork: timed out; the command and everything it started were stopped");
        return Ok(ExitCode::from(124));
    }
    use std::os::unix::process::ExitStatusExt;
    Ok(match (output.status.code(), output.status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(255)),
        (None, None) => ExitCode::FAILURE,
    })
}

fn unavailable(cause: &str, fix: &str) -> String {
    format!("the sandbox is unavailable, so the command was not run: {cause}.\nFix: {fix}")
}

/// Runs the command until it ends or Ctrl-C, which stops its whole process
/// tree (needed without the sandbox: the command's own process group does
/// not get the terminal's SIGINT). On this thread: no async runtime to
/// start for one command.
fn run_until_interrupted(
    spec: SandboxSpec,
    sandboxed: bool,
) -> Result<(Result<Output, SandboxError>, bool)> {
    let cancel = cowork_sandbox::interrupt_flag()?;
    let output = if sandboxed {
        cowork_sandbox::run_cancellable(&spec, cancel)
    } else {
        cowork_sandbox::run_unsandboxed(&spec, cancel)
    };
    Ok((output, cancel.load(Ordering::Relaxed)))
}
