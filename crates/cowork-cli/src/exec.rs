//! `cowork exec`: one command in the sandbox, from the terminal.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use cowork_sandbox::{Availability, Limits, Mount, Output, SandboxSpec};

use crate::cli::{ExecArgs, SandboxArg};
use crate::run::parse_folder;

pub fn exec(args: &ExecArgs) -> Result<ExitCode> {
    let network = args.sandbox.network()?;
    let sandboxed = match args.sandbox.sandbox {
        SandboxArg::Auto => {
            if let Availability::Unavailable { cause, fix } = cowork_sandbox::probe() {
                bail!(
                    "the sandbox is unavailable, so the command was not run: {cause}.\nFix: {fix}"
                );
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
    };
    let (output, interrupted) = run_until_interrupted(spec, sandboxed)?;
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

/// Runs the command until it ends or Ctrl-C, which stops its whole process
/// tree (needed without the sandbox: the command's own process group does
/// not get the terminal's SIGINT).
fn run_until_interrupted(spec: SandboxSpec, sandboxed: bool) -> Result<(Output, bool)> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let on_signal = Arc::clone(&cancel);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    let output = runtime.block_on(async move {
        let mut work = tokio::task::spawn_blocking(move || {
            if sandboxed {
                cowork_sandbox::run_cancellable(&spec, &flag)
            } else {
                cowork_sandbox::run_unsandboxed(&spec, &flag)
            }
        });
        tokio::select! {
            done = &mut work => done,
            _ = tokio::signal::ctrl_c() => {
                on_signal.store(true, Ordering::Relaxed);
                work.await
            }
        }
    })??;
    let interrupted = cancel.load(Ordering::Relaxed);
    Ok((output, interrupted))
}
