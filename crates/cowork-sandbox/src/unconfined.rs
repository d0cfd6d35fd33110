//! Running a command *without* the sandbox, for machines where it cannot
//! start and a person chose `--sandbox none` explicitly.
//!
//! Only the limits survive: the wall clock, CPU and memory rlimits, output
//! caps, stdin, a clean environment (no API keys), and the command's own
//! process group, killed as a whole at the end. Nothing is isolated: mounts
//! are not applied and the command can read and change whatever the user
//! can, reach the network, and a program that leaves its process group can
//! outlive the run.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::SandboxError;
use crate::limits::Rlimit;
use crate::spec::{Output, SandboxSpec};
use crate::stream::{Stream, nonblocking};

/// How often cancellation is checked while the command is quiet.
const CANCEL_POLL: Duration = Duration::from_millis(20);
/// How often the exit is checked on kernels without `pidfd_open`.
const POLL: Duration = Duration::from_millis(10);
/// How long the output readers may take after the process group died.
const DRAIN: Duration = Duration::from_secs(1);

/// Host variables a command may see; everything else (API keys included)
/// stays out.
const PASSED: &[&str] = &["PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "TZ"];

pub(crate) fn run(spec: &SandboxSpec, cancel: &AtomicBool) -> Result<Output, SandboxError> {
    let start = Instant::now();
    let Some(program) = spec.command.first() else {
        return Err(SandboxError::invalid("command", "is empty"));
    };
    if !spec.cwd.is_dir() {
        return Err(SandboxError::invalid(
            "cwd",
            format!("{} is not an existing directory", spec.cwd.display()),
        ));
    }
    let mut command = Command::new(program);
    command
        .args(&spec.command[1..])
        .current_dir(&spec.cwd)
        .env_clear()
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for key in PASSED {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    command.env("TMPDIR", std::env::temp_dir());
    for (key, value) in &spec.env {
        command.env(key, value);
    }
    // RLIMIT_NPROC counts every process of the user on the host, not just
    // this run's, so it is left out here.
    let rlimits: Vec<Rlimit> = crate::limits::rlimits(&spec.limits, false)
        .into_iter()
        .filter(|l| l.resource != libc::RLIMIT_NPROC)
        .collect();
    // SAFETY: the closure only calls setrlimit on prepared data, which is
    // async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            crate::limits::apply_rlimits(&rlimits).map_err(std::io::Error::from_raw_os_error)
        });
    }
    let mut child = command.spawn().map_err(|source| SandboxError::Spawn {
        program: program.to_string_lossy().into_owned(),
        source,
    })?;
    let stdin = child.stdin.take().map(|pipe| {
        let fd = OwnedFd::from(pipe);
        nonblocking(fd.as_raw_fd());
        fd
    });
    let cap = spec.limits.output_bytes;
    let mut run = Run {
        pidfd: pidfd_open(&child),
        stdout: child.stdout.take().map(|p| Stream::new(p.into(), cap)),
        stderr: child.stderr.take().map(|p| Stream::new(p.into(), cap)),
        stdin: stdin.map(|fd| (fd, spec.stdin.as_deref().unwrap_or_default(), 0)),
        status: None,
        killed: false,
    };
    let pumped = run.pump(&mut child, start + spec.limits.wall, cancel);
    // Whatever the command left running in its group goes with it.
    kill_group(&child);
    if run.status.is_none() {
        run.status = Some(
            child
                .wait()
                .map_err(SandboxError::io("waiting for the command"))?,
        );
    }
    pumped?;
    let (stdout, stdout_truncated) = run
        .stdout
        .map_or((Vec::new(), false), |s| (s.kept, s.truncated));
    let (stderr, stderr_truncated) = run
        .stderr
        .map_or((Vec::new(), false), |s| (s.kept, s.truncated));
    Ok(Output {
        status: match (run.killed, run.status) {
            (false, Some(status)) => status,
            (true, _) | (false, None) => ExitStatus::from_raw(libc::SIGKILL),
        },
        stdout,
        stderr,
        stdout_truncated,
        stderr_truncated,
        timed_out: run.killed,
        duration: start.elapsed(),
        egress: Vec::new(),
        memory_scope: crate::limits::memory_scope(&spec.limits, false),
        refused: Vec::new(),
    })
}

/// A pidfd for `child`: readable once it exits, so its end wakes the same
/// `poll` that moves its output. `None` on kernels before 5.3, where the
/// exit is checked every [`POLL`] instead.
fn pidfd_open(child: &Child) -> Option<OwnedFd> {
    let pid = libc::pid_t::try_from(child.id()).ok()?;
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = RawFd::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: the kernel just returned this fd, and nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One unsandboxed run in progress.
struct Run<'a> {
    pidfd: Option<OwnedFd>,
    stdout: Option<Stream>,
    stderr: Option<Stream>,
    /// The stdin pipe, the bytes to send, and how many were sent.
    stdin: Option<(OwnedFd, &'a [u8], usize)>,
    status: Option<ExitStatus>,
    killed: bool,
}

impl Run<'_> {
    /// Moves data and waits, without sleeping, until the command exited and
    /// its output reached EOF — or, when a process that left the group holds
    /// the pipes open, [`DRAIN`] after the exit.
    fn pump(
        &mut self,
        child: &mut Child,
        deadline: Instant,
        cancel: &AtomicBool,
    ) -> Result<(), SandboxError> {
        if self
            .stdin
            .as_ref()
            .is_some_and(|(_, data, _)| data.is_empty())
        {
            self.stdin = None;
        }
        let mut drain_until: Option<Instant> = None;
        loop {
            let open = |s: &Option<Stream>| {
                s.as_ref()
                    .and_then(|s| s.fd.as_ref())
                    .map(AsRawFd::as_raw_fd)
            };
            let mut fds: Vec<libc::pollfd> = [open(&self.stdout), open(&self.stderr)]
                .into_iter()
                .flatten()
                .map(|fd| crate::stream::pollfd(fd, libc::POLLIN))
                .collect();
            if self.status.is_some() && fds.is_empty() {
                return Ok(());
            }
            if let Some(until) = drain_until
                && Instant::now() >= until
            {
                return Ok(());
            }
            if let Some((fd, _, _)) = &self.stdin {
                fds.push(crate::stream::pollfd(fd.as_raw_fd(), libc::POLLOUT));
            }
            let watch_exit = self.status.is_none();
            if let (Some(fd), true) = (&self.pidfd, watch_exit) {
                fds.push(crate::stream::pollfd(fd.as_raw_fd(), libc::POLLIN));
            }
            if !self.killed
                && self.status.is_none()
                && (cancel.load(Ordering::Relaxed) || Instant::now() >= deadline)
            {
                kill_group(child);
                self.killed = true;
                self.stdin = None;
            }
            let limit = drain_until.unwrap_or(deadline);
            let mut wait = limit
                .saturating_duration_since(Instant::now())
                .min(CANCEL_POLL);
            if self.pidfd.is_none() && watch_exit {
                wait = wait.min(POLL);
            }
            if !crate::stream::poll(&mut fds, wait)? {
                continue;
            }
            for stream in [&mut self.stdout, &mut self.stderr].into_iter().flatten() {
                stream.drain()?;
            }
            crate::stream::feed_stdin(&mut self.stdin);
            if watch_exit
                && let Some(status) = child
                    .try_wait()
                    .map_err(SandboxError::io("waiting for the command"))?
            {
                self.status = Some(status);
                self.stdin = None;
                // Whatever the command left in its group dies with it; the
                // pipes then reach EOF unless a process left the group.
                kill_group(child);
                drain_until = Some(Instant::now() + DRAIN);
            }
        }
    }
}

fn kill_group(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill with a (negated) process group id and a signal.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
}
