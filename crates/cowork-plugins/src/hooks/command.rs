//! Running one command hook: `sh -c COMMAND` in cowork's sandbox, with the
//! task's folders and the plugin's root read-only, no network, the event
//! JSON on stdin, a wall-clock limit that kills the whole process tree,
//! and output capped.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cowork_sandbox::{Availability, Limits, Mount, Network, Output, SandboxError, SandboxSpec};

use super::output::Ended;

/// Bytes kept of each of a hook's stdout and stderr.
pub const OUTPUT_CAP: usize = 64 * 1024;
/// Slack over a hook's own timeout before the wait itself gives up, in
/// case the sandbox's supervisor cannot reap what it killed.
const WAIT_SLACK: Duration = Duration::from_secs(5);

/// How command hooks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookSandbox {
    /// In cowork's sandbox.
    Sandboxed,
    /// The sandbox is unavailable here: command hooks are not run, and
    /// each is reported as skipped with this cause and fix.
    Unavailable { cause: String, fix: String },
    /// Directly on the machine, because the person chose no sandbox
    /// (`--sandbox none`): a hook can read and change anything they can.
    Unsandboxed,
}

impl HookSandbox {
    /// What the sandbox probe found (`cowork_sandbox::probe_cached`), for a
    /// person who did not choose to run without the sandbox.
    pub fn probed(availability: Availability) -> Self {
        match availability {
            Availability::Ready(_) => Self::Sandboxed,
            Availability::Unavailable { cause, fix } => Self::Unavailable { cause, fix },
        }
    }
}

/// One command hook, ready to run.
pub(crate) struct CommandRun<'a> {
    pub command: &'a str,
    pub root: &'a Path,
    pub timeout: Duration,
    pub stdin: Vec<u8>,
    /// The task's first folder: the hook's working directory and
    /// `CLAUDE_PROJECT_DIR`.
    pub cwd: Option<&'a Path>,
    /// Folders mounted read-only besides the plugin root.
    pub folders: &'a [PathBuf],
    /// Paths the hook must never see (cowork's own data and config).
    pub hidden: &'a [PathBuf],
    pub sandbox: &'a HookSandbox,
}

/// Characters a path may hold and still be pasted into a shell command
/// unquoted.
fn shell_safe(path: &str) -> bool {
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+@%:,=".contains(c))
}

/// `${CLAUDE_PLUGIN_ROOT}` replaced by the root, as Claude Code does. A
/// root the shell would split or interpret (spaces, quotes, `$`) is left
/// for the shell to expand from the exported variable instead, which
/// works where the command quotes it and cannot inject anything.
pub(crate) fn expand_root(command: &str, root: &Path) -> String {
    let root = root.display().to_string();
    if shell_safe(&root) {
        command.replace("${CLAUDE_PLUGIN_ROOT}", &root)
    } else {
        command.to_owned()
    }
}

/// Sets the flag when dropped: a hook whose caller went away (the task was
/// cancelled) is killed rather than left running.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Why a command hook did not run.
#[derive(Debug)]
pub(crate) enum NotRun {
    /// The sandbox is unavailable: the same for every later run, so worth
    /// telling once per task.
    NoSandbox(String),
    /// This run failed to start.
    Failed(String),
}

fn no_sandbox(cause: &str, fix: &str) -> NotRun {
    NotRun::NoSandbox(format!(
        "is not run in this task: the sandbox is unavailable here ({cause}); fix: {fix}"
    ))
}

/// Runs the hook; `Err` is why it could not run at all.
pub(crate) async fn run(run: CommandRun<'_>) -> Result<Ended, NotRun> {
    let (mounts, run_in_sandbox) = match run.sandbox {
        HookSandbox::Unavailable { cause, fix } => return Err(no_sandbox(cause, fix)),
        HookSandbox::Sandboxed => {
            let mut mounts: Vec<Mount> = run.folders.iter().map(Mount::read_only).collect();
            mounts.push(Mount::read_only(run.root));
            (mounts, true)
        }
        HookSandbox::Unsandboxed => (Vec::new(), false),
    };
    // In the sandbox the working directory must be mounted; a task
    // without folders runs its hooks in the plugin's root.
    let cwd = match run.cwd {
        Some(cwd) if !run_in_sandbox || run.folders.iter().any(|f| cwd.starts_with(f)) => {
            cwd.to_path_buf()
        }
        Some(_) | None => run.root.to_path_buf(),
    };
    let project_dir = run.cwd.unwrap_or(&cwd).as_os_str().to_owned();
    let command = expand_root(run.command, run.root);
    let spec = SandboxSpec {
        command: vec!["/bin/sh".into(), "-c".into(), OsString::from(command)],
        cwd,
        mounts,
        env: vec![
            ("CLAUDE_PLUGIN_ROOT".into(), run.root.as_os_str().to_owned()),
            ("CLAUDE_PROJECT_DIR".into(), project_dir),
        ],
        limits: Limits {
            wall: run.timeout,
            output_bytes: OUTPUT_CAP,
            ..Limits::default()
        },
        network: Network::None,
        stdin: Some(run.stdin),
        hidden: run.hidden.to_vec(),
        // Every folder is read-only for hooks: nothing to protect.
        protected: Vec::new(),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let guard = CancelOnDrop(Arc::clone(&cancel));
    let blocking = tokio::task::spawn_blocking(move || {
        if run_in_sandbox {
            cowork_sandbox::run_cancellable(&spec, &cancel)
        } else {
            cowork_sandbox::run_unsandboxed(&spec, &cancel)
        }
    });
    let timeout = run.timeout;
    let output = match tokio::time::timeout(timeout + WAIT_SLACK, blocking).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(NotRun::Failed(format!("stopped unexpectedly: {e}"))),
        Err(_) => {
            drop(guard);
            return Ok(Ended::TimedOut {
                seconds: timeout.as_secs_f64(),
            });
        }
    };
    drop(guard);
    match output {
        Ok(output) => Ok(ended(output, timeout)),
        Err(SandboxError::Unavailable { cause, fix }) => Err(no_sandbox(&cause, &fix)),
        Err(e) => Err(NotRun::Failed(format!("could not be run: {e}"))),
    }
}

fn ended(output: Output, timeout: Duration) -> Ended {
    if output.timed_out {
        return Ended::TimedOut {
            seconds: timeout.as_secs_f64(),
        };
    }
    match (output.status.code(), output.status.signal()) {
        (Some(code), _) => Ended::Exited {
            code,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout_capped: output.stdout_truncated,
        },
        (None, Some(signal)) => Ended::Signalled(signal),
        (None, None) => Ended::Signalled(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_root_is_pasted_into_the_command() {
        let command = expand_root(
            "python3 ${CLAUDE_PLUGIN_ROOT}/hooks/a.py",
            Path::new("/p/x-1"),
        );
        assert_eq!(command, "python3 /p/x-1/hooks/a.py");
    }

    #[test]
    fn a_root_the_shell_would_split_or_interpret_is_left_to_the_environment() {
        for root in ["/p/my plugin", "/p/$(rm -rf ~)", "/p/it's"] {
            let command = expand_root("cat \"${CLAUDE_PLUGIN_ROOT}/a\"", Path::new(root));
            assert_eq!(command, "cat \"${CLAUDE_PLUGIN_ROOT}/a\"", "{root}");
        }
    }
}
