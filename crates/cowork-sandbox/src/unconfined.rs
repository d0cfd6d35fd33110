//! Running a command *without* the sandbox, for machines where it cannot
//! start and a person chose `--sandbox none` explicitly.
//!
//! Only the limits survive: the wall clock, CPU and memory rlimits, output
//! caps, stdin, a clean environment (no API keys), and the command's own
//! process group, killed as a whole at the end. Nothing is isolated: mounts
//! are not applied and the command can read and change whatever the user
//! can, reach the network, and a program that leaves its process group can
//! outlive the run.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::SandboxError;
use crate::limits::Rlimit;
use crate::spec::{Output, SandboxSpec};

/// How often the exit, the deadline and the cancel flag are checked.
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
    let feeder = child.stdin.take().map(|mut pipe| {
        let data = spec.stdin.clone().unwrap_or_default();
        // A command that stops reading makes the write fail; that is its
        // business, not an error of the run.
        std::thread::spawn(move || drop(pipe.write_all(&data)))
    });
    let cap = spec.limits.output_bytes;
    let stdout = child.stdout.take().map(|pipe| reader(pipe, cap));
    let stderr = child.stderr.take().map(|pipe| reader(pipe, cap));

    let deadline = start + spec.limits.wall;
    let (status, killed) = wait(&mut child, deadline, cancel)?;
    // Whatever the command left running in its group goes with it.
    kill_group(&child);
    drop(feeder);
    let (stdout, stdout_truncated) = collect(stdout);
    let (stderr, stderr_truncated) = collect(stderr);
    Ok(Output {
        status: if killed {
            ExitStatus::from_raw(libc::SIGKILL)
        } else {
            status
        },
        stdout,
        stderr,
        stdout_truncated,
        stderr_truncated,
        timed_out: killed,
        duration: start.elapsed(),
        egress: Vec::new(),
    })
}

fn wait(
    child: &mut Child,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<(ExitStatus, bool), SandboxError> {
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(SandboxError::io("waiting for the command"))?
        {
            return Ok((status, false));
        }
        if cancel.load(Ordering::Relaxed) || Instant::now() >= deadline {
            kill_group(child);
            let status = child
                .wait()
                .map_err(SandboxError::io("waiting for the command"))?;
            return Ok((status, true));
        }
        std::thread::sleep(POLL);
    }
}

fn kill_group(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill with a (negated) process group id and a signal.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
}

type Captured = JoinHandle<(Vec<u8>, bool)>;

/// Reads everything from `pipe`, keeping the first `cap` bytes.
fn reader(mut pipe: impl Read + Send + 'static, cap: usize) -> Captured {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut truncated = false;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = cap.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                    truncated |= n > room;
                }
            }
        }
        (kept, truncated)
    })
}

/// The reader's result, or what it has not got when a process that left
/// the group still holds the pipe open.
fn collect(reader: Option<Captured>) -> (Vec<u8>, bool) {
    let Some(handle) = reader else {
        return (Vec::new(), false);
    };
    let until = Instant::now() + DRAIN;
    while !handle.is_finished() && Instant::now() < until {
        std::thread::sleep(POLL);
    }
    if handle.is_finished() {
        handle.join().unwrap_or_default()
    } else {
        (Vec::new(), true)
    }
}
