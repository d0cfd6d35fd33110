//! The caller's side of a run: fork, feed stdin, collect capped output,
//! enforce the wall clock and cancellation, reap, and clean up.

use std::ffi::{CStr, CString};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::child::Launch;
use crate::egress::{EgressEvent, EgressLog, Proxy, ProxyHandle};
use crate::error::SandboxError;
use crate::limits::Cgroup;
use crate::plan::{Op, Plan};
use crate::report::{Failure, Record, Step};
use crate::spec::{Egress, Network, Output, SandboxSpec};
use crate::stream::{Stream, nonblocking};

/// How often cancellation is checked while the command is quiet.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// What a run observed besides the command's output.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Observed {
    pub landlock: Option<i32>,
    pub cgroup: bool,
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(SandboxError::io("creating a pipe")(
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: pipe2 succeeded, so both fds are fresh and owned by us alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Runs `spec` to completion.
pub(crate) fn run(
    spec: &SandboxSpec,
    cancel: &AtomicBool,
) -> Result<(Output, Observed), SandboxError> {
    let start = Instant::now();
    let plan = crate::plan::prepare(spec)?;
    let seccomp = crate::seccomp::programs().map_err(|message| SandboxError::Setup {
        step: "compiling the seccomp filter".to_owned(),
        message,
    })?;
    let cgroup = Cgroup::create(&spec.limits);
    let cgroup_memory = cgroup.as_ref().is_some_and(|c| c.memory);
    let rlimits = crate::limits::rlimits(&spec.limits, cgroup_memory);
    let cgroup_procs = cgroup.as_ref().map(Cgroup::procs_fds).unwrap_or_default();
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let uid_map = id_map(uid)?;
    let gid_map = id_map(gid)?;
    let writable: Vec<&CStr> = plan.writable_paths.iter().map(CString::as_c_str).collect();
    let readonly: Vec<&CStr> = plan.readonly_paths.iter().map(CString::as_c_str).collect();

    let (stdin_r, stdin_w) = match &spec.stdin {
        Some(_) => {
            let (r, w) = pipe()?;
            (r, Some(w))
        }
        None => (dev_null()?, None),
    };
    let (stdout_r, stdout_w) = pipe()?;
    let (stderr_r, stderr_w) = pipe()?;
    let (report_r, report_w) = pipe()?;
    let bridge = match &spec.network {
        Network::None => None,
        Network::Allow(egress) => Some((
            crate::bridge::pair().map_err(SandboxError::io("creating the egress bridge"))?,
            egress,
        )),
    };
    let launch = Launch {
        plan: &plan,
        uid_map: &uid_map,
        gid_map: &gid_map,
        stdin: stdin_r.as_raw_fd(),
        stdout: stdout_w.as_raw_fd(),
        stderr: stderr_w.as_raw_fd(),
        report: report_w.as_raw_fd(),
        egress: bridge.as_ref().map(|((_, child), _)| child.as_raw_fd()),
        cgroup_procs: &cgroup_procs,
        rlimits: &rlimits,
        seccomp,
        kernel_landlock: crate::landlock::kernel_abi(),
        writable: &writable,
        readonly: &readonly,
    };

    // SAFETY: the child runs only `child::setup_main`, which never returns
    // and restricts itself to syscalls on data prepared above.
    let setup = unsafe { libc::fork() };
    if setup < 0 {
        return Err(SandboxError::Spawn {
            program: program_name(spec),
            source: std::io::Error::last_os_error(),
        });
    }
    if setup == 0 {
        crate::child::setup_main(&launch);
    }
    drop((stdin_r, stdout_w, stderr_w, report_w));
    let events = Arc::new(Mutex::new(Vec::new()));
    let proxy = match bridge {
        None => None,
        Some(((parent, child), egress)) => {
            drop(child);
            serve_bridge(&parent, egress, &events).inspect_err(|_| {
                // SAFETY: `setup` is our unreaped child.
                unsafe { libc::kill(setup, libc::SIGKILL) };
            })?
        }
    };

    let mut session = Session {
        stdout: Stream::new(stdout_r, spec.limits.output_bytes),
        stderr: Stream::new(stderr_r, spec.limits.output_bytes),
        report: Stream::new(report_r, usize::MAX),
        stdin: stdin_w.map(|fd| (fd, spec.stdin.as_deref().unwrap_or_default(), 0)),
        setup,
        init: None,
        killed: false,
    };
    let deadline = start + spec.limits.wall;
    let pumped = session.pump(deadline, cancel);
    session.kill_if(pumped.is_err());
    let mut status = 0;
    // SAFETY: reaping our own child with a valid status pointer.
    while unsafe { libc::waitpid(setup, &raw mut status, 0) } < 0
        && crate::report::errno() == libc::EINTR
    {}
    drop(cgroup);
    // Every process that could use the proxy is gone: close what is left.
    drop(proxy);
    pumped?;
    let duration = start.elapsed();

    let mut observed = Observed {
        landlock: None,
        cgroup: !cgroup_procs.is_empty(),
    };
    let mut command_status = None;
    for record in crate::report::decode(&session.report.kept) {
        match record {
            Record::Failed(failure) => return Err(setup_error(failure, &plan, spec)),
            Record::Status(raw) => command_status = Some(raw),
            Record::Landlock(abi) => observed.landlock = (abi > 0).then_some(abi),
            Record::InitPid(_) => {}
        }
    }
    let status = match command_status {
        Some(raw) if !session.killed => ExitStatus::from_raw(raw),
        Some(_) | None => ExitStatus::from_raw(libc::SIGKILL),
    };
    let output = Output {
        status,
        stdout_truncated: session.stdout.truncated,
        stderr_truncated: session.stderr.truncated,
        stdout: session.stdout.kept,
        stderr: session.stderr.kept,
        timed_out: session.killed,
        duration,
        egress: std::mem::take(&mut *events.lock().unwrap_or_else(PoisonError::into_inner)),
        memory_scope: crate::limits::memory_scope(&spec.limits, cgroup_memory),
        // Every process is gone: nothing writes to the stages any more.
        refused: crate::protect::scrub(&plan.scrubs)?,
    };
    Ok((output, observed))
}

/// Waits for the listener the sandbox's init bridges out and serves it;
/// `None` when setup failed before (the report pipe says why).
fn serve_bridge(
    channel: &OwnedFd,
    egress: &Egress,
    events: &Arc<Mutex<Vec<EgressEvent>>>,
) -> Result<Option<ProxyHandle>, SandboxError> {
    let Some(listener) = crate::bridge::receive_listener(channel)
        .map_err(SandboxError::io("receiving the egress port"))?
    else {
        return Ok(None);
    };
    let sink = Arc::clone(events);
    let log: EgressLog = Arc::new(move |event: &EgressEvent| {
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
    });
    Proxy::spawn(
        TcpListener::from(listener),
        egress.allowlist.clone(),
        Arc::clone(&egress.connector),
        log,
    )
    .map(Some)
    .map_err(SandboxError::io("starting the egress proxy"))
}

fn id_map(id: u32) -> Result<CString, SandboxError> {
    CString::new(format!("{id} {id} 1\n")).map_err(|_| SandboxError::invalid("env", "id map"))
}

fn dev_null() -> Result<OwnedFd, SandboxError> {
    std::fs::File::open("/dev/null")
        .map(OwnedFd::from)
        .map_err(SandboxError::io("opening /dev/null"))
}

fn program_name(spec: &SandboxSpec) -> String {
    spec.command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn setup_error(failure: Failure, plan: &Plan, spec: &SandboxSpec) -> SandboxError {
    let source = std::io::Error::from_raw_os_error(failure.errno);
    match failure.step {
        Step::Exec => SandboxError::Spawn {
            program: program_name(spec),
            source,
        },
        Step::Unshare | Step::UidMap | Step::GidMap => {
            let (cause, fix) = crate::probe::userns_diagnosis(&source);
            SandboxError::Unavailable { cause, fix }
        }
        Step::PrivateMounts | Step::RootTmpfs | Step::Loopback | Step::Hostname
            if crate::probe::apparmor_blocks_userns(&source) =>
        {
            let (cause, fix) = crate::probe::userns_diagnosis(&source);
            SandboxError::Unavailable { cause, fix }
        }
        Step::Mount => match plan.ops.get(usize::from(failure.arg)) {
            Some(Op::Overlay { folder, .. }) => SandboxError::Staging {
                folder: folder.clone(),
                message: source.to_string(),
            },
            Some(_) | None => SandboxError::Setup {
                step: plan
                    .describe
                    .get(usize::from(failure.arg))
                    .cloned()
                    .unwrap_or_else(|| "mount".to_owned()),
                message: source.to_string(),
            },
        },
        Step::Cgroup
        | Step::Fork
        | Step::PrivateMounts
        | Step::RootTmpfs
        | Step::PivotRoot
        | Step::Hostname
        | Step::Loopback
        | Step::Egress
        | Step::Stdio
        | Step::Chdir
        | Step::Rlimit
        | Step::NoNewPrivs
        | Step::Landlock
        | Step::Seccomp => SandboxError::Setup {
            step: failure.step.name().to_owned(),
            message: source.to_string(),
        },
    }
}

struct Session<'a> {
    stdout: Stream,
    stderr: Stream,
    report: Stream,
    /// The stdin pipe, the bytes to send, and how many were sent.
    stdin: Option<(OwnedFd, &'a [u8], usize)>,
    setup: libc::pid_t,
    init: Option<libc::pid_t>,
    killed: bool,
}

impl Session<'_> {
    /// Moves data until every pipe reached EOF, killing the run at the
    /// deadline or on cancellation.
    fn pump(&mut self, deadline: Instant, cancel: &AtomicBool) -> Result<(), SandboxError> {
        if let Some((fd, data, _)) = &self.stdin {
            nonblocking(fd.as_raw_fd());
            if data.is_empty() {
                self.stdin = None;
            }
        }
        loop {
            let streams = [&self.stdout, &self.stderr, &self.report];
            let mut fds: Vec<libc::pollfd> = streams
                .iter()
                .filter_map(|s| s.fd.as_ref())
                .map(|fd| crate::stream::pollfd(fd.as_raw_fd(), libc::POLLIN))
                .collect();
            if fds.is_empty() {
                return Ok(());
            }
            if let Some((fd, _, _)) = &self.stdin {
                fds.push(crate::stream::pollfd(fd.as_raw_fd(), libc::POLLOUT));
            }
            if !self.killed && (cancel.load(Ordering::Relaxed) || Instant::now() >= deadline) {
                self.kill();
            }
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .min(CANCEL_POLL);
            let timeout = if self.killed { CANCEL_POLL } else { wait };
            if !crate::stream::poll(&mut fds, timeout)? {
                continue;
            }
            self.stdout.drain()?;
            self.stderr.drain()?;
            self.report.drain()?;
            if self.init.is_none() {
                self.init = crate::report::decode(&self.report.kept)
                    .into_iter()
                    .find_map(|r| match r {
                        Record::InitPid(pid) => Some(pid),
                        Record::Failed(_) | Record::Status(_) | Record::Landlock(_) => None,
                    });
            }
            crate::stream::feed_stdin(&mut self.stdin);
        }
    }

    fn kill_if(&mut self, condition: bool) {
        if condition && !self.killed {
            self.kill();
        }
    }

    /// Kills the namespace's init (which takes every process inside with
    /// it) and the setup process.
    fn kill(&mut self) {
        self.killed = true;
        self.stdin = None;
        // The init pid is only signalled while its report pipe end may still
        // be open; once the report reached EOF it may have been reaped.
        if let (Some(init), Some(_)) = (self.init, &self.report.fd) {
            // SAFETY: kill with a pid and signal number.
            unsafe { libc::kill(init, libc::SIGKILL) };
        }
        // SAFETY: `setup` is our unreaped child, so its pid cannot be reused.
        unsafe { libc::kill(self.setup, libc::SIGKILL) };
    }
}
