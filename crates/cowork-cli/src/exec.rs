//! `cowork exec`: one command in the sandbox, from the terminal.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};

use cowork_sandbox::{Availability, Limits, Mount, Network, SandboxSpec};

use crate::cli::ExecArgs;
use crate::run::parse_folder;

pub fn exec(args: &ExecArgs) -> Result<ExitCode> {
    if let Availability::Unavailable { cause, fix } = cowork_sandbox::probe() {
        bail!("the sandbox is unavailable: {cause}. {fix}");
    }
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
        network: Network::None,
        stdin: None,
    };
    let output = cowork_sandbox::run(&spec)?;
    let _ = std::io::stdout().write_all(&output.stdout);
    let _ = std::io::stderr().write_all(&output.stderr);
    if output.stdout_truncated || output.stderr_truncated {
        eprintln!("cowork: output was truncated");
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
