//! A local server's process: started in a clean environment, in its own
//! process group (so `npx`'s grandchildren die with it), with its stderr
//! kept for the status message when it fails.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::watch;

use super::config::StdioServer;
use super::error::ConnectError;

/// The person's variables a local server inherits, and why each:
/// - `PATH`: to find `node`, `npx`, `uvx`, `python3` as the person does;
/// - `HOME`: npm's and uv's caches and most tools' own config live there,
///   and many servers crash without it;
/// - `USER`: some tools derive defaults (cache folders, names) from it;
/// - `LANG`, `LC_ALL`: so text the server reads and writes is decoded as
///   the person's other programs decode it;
/// - `TMPDIR`: where the person wants temporary files.
///
/// Nothing else: a token in the person's shell reaches a server only when
/// its configuration names it (`"env": {"TOKEN": "${TOKEN}"}`).
pub const INHERITED_VARS: &[&str] = &["PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR"];

/// How many of a server's last stderr lines are kept for its status.
const STDERR_LINES: usize = 4;

/// The part of the person's environment a local server inherits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InheritedEnv(BTreeMap<String, OsString>);

impl InheritedEnv {
    /// The [`INHERITED_VARS`] of this process's environment.
    pub fn from_process() -> Self {
        Self::from_vars(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))))
    }

    /// The [`INHERITED_VARS`] among `vars` (the rest is dropped), for a
    /// front that holds the person's environment elsewhere, and tests.
    pub fn from_vars<K: Into<String>, V: Into<OsString>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .filter(|(k, _)| INHERITED_VARS.contains(&k.as_str()))
                .collect(),
        )
    }
}

/// A running local server. Dropping it kills its whole process group.
pub(crate) struct ServerProcess {
    child: Child,
    pgid: Option<rustix::process::Pid>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    exited: watch::Receiver<Option<String>>,
}

/// The pipes the MCP client speaks over.
pub(crate) type Pipes = (ChildStdout, ChildStdin);

impl ServerProcess {
    /// Starts `server` with `env` (the inherited part) plus its own
    /// declared `env`, in `cwd` when given.
    pub(crate) fn spawn(
        server: &StdioServer,
        env: &InheritedEnv,
        cwd: Option<&PathBuf>,
    ) -> Result<(Self, Pipes), ConnectError> {
        let mut command = Command::new(&server.command);
        command
            .args(&server.args)
            .env_clear()
            .envs(&env.0)
            .envs(&server.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: killing the group stops what `npx` or a shell
            // wrapper started too, and a Ctrl-C in the person's terminal
            // does not reach it before cowork has shut it down in order.
            .process_group(0)
            .kill_on_drop(true);
        if let Some(dir) = cwd {
            command.current_dir(dir);
        }
        let mut child = command.spawn().map_err(|source| ConnectError::Spawn {
            command: server.command.clone(),
            source,
        })?;
        let (Some(stdout), Some(stdin), Some(stderr)) =
            (child.stdout.take(), child.stdin.take(), child.stderr.take())
        else {
            return Err(ConnectError::Spawn {
                command: server.command.clone(),
                source: std::io::Error::other("the child's pipes were not created"),
            });
        };
        let pgid = child
            .id()
            .and_then(|id| rustix::process::Pid::from_raw(i32::try_from(id).ok()?));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (exit_tx, exited) = watch::channel(None);
        tokio::spawn(keep_stderr(stderr, Arc::clone(&tail), exit_tx));
        Ok((
            Self {
                child,
                pgid,
                stderr: tail,
                exited,
            },
            (stdout, stdin),
        ))
    }

    pub(crate) fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Why the process ended, once it has: its exit status and the last
    /// lines it wrote to stderr. `None` while it runs.
    pub(crate) fn exit_reason(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(describe_exit(status, &self.stderr_tail())),
            Ok(None) => None,
            Err(e) => Some(format!("could not wait for it: {e}")),
        }
    }

    /// Waits (up to `limit`) for the process to end on its own, then says
    /// why; for a server that closed its pipes during the handshake.
    pub(crate) async fn wait_reason(&mut self, limit: std::time::Duration) -> Option<String> {
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(Ok(status)) => {
                // Its stderr reader may still hold the last lines.
                let mut exited = self.exited.clone();
                let _ = tokio::time::timeout(limit, exited.wait_for(Option::is_some)).await;
                Some(describe_exit(status, &self.stderr_tail()))
            }
            Ok(Err(e)) => Some(format!("could not wait for it: {e}")),
            Err(_) => None,
        }
    }

    /// The last lines of its stderr, oldest first, joined by " / ".
    pub(crate) fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join(" / "))
            .unwrap_or_default()
    }

    /// Stops the whole group and reaps the server.
    pub(crate) async fn stop(&mut self) {
        self.kill_group();
        let _ = self.child.kill().await;
    }

    fn kill_group(&self) {
        if let Some(pgid) = self.pgid {
            // The group may be gone already; nothing to report then.
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // `kill_on_drop` only reaches the direct child; the group takes the
        // grandchildren (`npx` → `node`) with it.
        self.kill_group();
    }
}

async fn keep_stderr(
    stderr: tokio::process::ChildStderr,
    tail: Arc<Mutex<VecDeque<String>>>,
    exit_tx: watch::Sender<Option<String>>,
) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim().to_owned();
        if line.is_empty() {
            continue;
        }
        tracing::debug!(target: "cowork::mcp::stderr", "{line}");
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
    let _ = exit_tx.send(Some(String::new()));
}

fn describe_exit(status: ExitStatus, stderr: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "exited".to_owned(),
    };
    if stderr.is_empty() {
        how
    } else {
        format!("{how}: {stderr}")
    }
}
