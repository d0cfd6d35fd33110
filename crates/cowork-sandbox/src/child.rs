//! The forked side of a run: three processes.
//!
//! 1. **setup** (forked from the caller): joins the run's cgroup, unshares
//!    the user, mount, PID, network, IPC and UTS namespaces, maps its uid and
//!    gid to themselves, forks the init, reports the init's pid, and waits.
//! 2. **init** (pid 1 of the new PID namespace): builds the root, forks the
//!    command, reaps every orphan until the command exits, reports its wait
//!    status and exits — which makes the kernel kill whatever the command
//!    left running in the namespace.
//! 3. **command**: stdio, cwd, rlimits, `no_new_privs`, Landlock, seccomp
//!    (last), `execve`.
//!
//! Everything here runs after `fork` in a copy of a possibly multi-threaded
//! process, so it only issues syscalls on data prepared by the parent (the
//! Landlock crate's small allocations are safe with glibc's fork handlers).

use std::ffi::CStr;
use std::os::fd::RawFd;
use std::ptr;

use seccompiler::BpfProgram;

use crate::limits::Rlimit;
use crate::plan::Plan;
use crate::report::{Failure, Record, Step, errno, send};

/// Everything the forked processes need, borrowed from the parent.
pub(crate) struct Launch<'a> {
    pub plan: &'a Plan,
    pub uid_map: &'a CStr,
    pub gid_map: &'a CStr,
    pub stdin: RawFd,
    pub stdout: RawFd,
    pub stderr: RawFd,
    pub report: RawFd,
    /// The child's end of the egress bridge, when the network is
    /// allowlisted: init sends the proxy's listener over it.
    pub egress: Option<RawFd>,
    pub cgroup_procs: &'a [RawFd],
    pub rlimits: &'a [Rlimit],
    pub seccomp: &'a [BpfProgram],
    pub kernel_landlock: Option<i32>,
    pub writable: &'a [&'a CStr],
    pub readonly: &'a [&'a CStr],
}

impl Launch<'_> {
    /// The descriptors the forked processes use; every other inherited
    /// descriptor is closed so that, e.g., another run's stdin pipe is not
    /// kept open by this run's long-lived init.
    fn kept_fds(&self) -> ([RawFd; 9], usize) {
        let mut keep = [RawFd::MAX; 9];
        let mine = [self.stdin, self.stdout, self.stderr, self.report];
        let all = mine
            .iter()
            .chain(self.egress.iter())
            .chain(self.cgroup_procs);
        let mut n = 0;
        for (slot, fd) in keep.iter_mut().zip(all) {
            *slot = *fd;
            n += 1;
        }
        keep[..n].sort_unstable();
        (keep, n)
    }
}

/// Closes every descriptor not in `keep` (sorted). No allocation.
fn close_all_except(keep: &[RawFd]) {
    let close_range = |first: RawFd, last: u32| {
        // SAFETY: close_range on descriptor numbers only.
        unsafe { libc::syscall(libc::SYS_close_range, first.unsigned_abs(), last, 0u32) };
    };
    let mut next: RawFd = 0;
    for fd in keep.iter().copied() {
        if fd > next {
            close_range(next, (fd - 1).unsigned_abs());
        }
        next = fd.saturating_add(1);
    }
    close_range(next, u32::MAX);
}

fn exit(code: i32) -> ! {
    // SAFETY: `_exit` skips atexit handlers and stdio flushing, which belong
    // to the parent process we were forked from.
    unsafe { libc::_exit(code) }
}

fn fail(report: RawFd, failure: Failure) -> ! {
    send(report, Record::Failed(failure));
    exit(127)
}

fn check(ret: libc::c_int, step: Step) -> Result<(), Failure> {
    if ret < 0 {
        Err(Failure::last(step))
    } else {
        Ok(())
    }
}

fn fork() -> libc::pid_t {
    // SAFETY: the child only runs the code of this module (see module docs).
    unsafe { libc::fork() }
}

/// Process 1: never returns.
pub(crate) fn setup_main(l: &Launch<'_>) -> ! {
    let (keep, n) = l.kept_fds();
    close_all_except(&keep[..n]);
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    if let Err(errno) = crate::limits::join(l.cgroup_procs) {
        fail(
            l.report,
            Failure {
                step: Step::Cgroup,
                arg: 0,
                errno,
            },
        );
    }
    let flags = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS;
    // SAFETY: unshare takes integer flags and affects only this process.
    if let Err(f) = check(unsafe { libc::unshare(flags) }, Step::Unshare) {
        fail(l.report, f);
    }
    let maps = [
        (c"/proc/self/setgroups", c"deny", Step::GidMap),
        (c"/proc/self/uid_map", l.uid_map, Step::UidMap),
        (c"/proc/self/gid_map", l.gid_map, Step::GidMap),
    ];
    for (path, content, step) in maps {
        if let Err(errno) = write_file(path, content) {
            fail(
                l.report,
                Failure {
                    step,
                    arg: 0,
                    errno,
                },
            );
        }
    }
    let init = fork();
    if init < 0 {
        fail(l.report, Failure::last(Step::Fork));
    }
    if init == 0 {
        init_main(l);
    }
    send(l.report, Record::InitPid(init));
    // SAFETY: closing fds this process no longer needs; they stay open in
    // the init, which owns them now.
    unsafe {
        for fd in [l.report, l.stdin, l.stdout, l.stderr] {
            libc::close(fd);
        }
        if let Some(fd) = l.egress {
            libc::close(fd);
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child with a valid status pointer.
    while unsafe { libc::waitpid(init, &raw mut status, 0) } < 0 && errno() == libc::EINTR {}
    exit(0)
}

fn write_file(path: &CStr, content: &CStr) -> Result<(), i32> {
    // SAFETY: `path` is NUL-terminated; `content` outlives the write; the fd
    // is closed before returning.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(errno());
        }
        let bytes = content.to_bytes();
        let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let e = errno();
        libc::close(fd);
        if written < 0 { Err(e) } else { Ok(()) }
    }
}

/// Process 2, pid 1 inside: never returns.
fn init_main(l: &Launch<'_>) -> ! {
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    let setup = crate::mounts::build_root(&l.plan.ops)
        .and_then(|()| crate::mounts::set_hostname())
        .and_then(|()| crate::mounts::loopback_up());
    if let Err(f) = setup {
        fail(l.report, f);
    }
    if let Some(channel) = l.egress {
        if let Err(f) = crate::bridge::send_listener(channel, crate::egress::PROXY_PORT) {
            fail(l.report, f);
        }
        // SAFETY: the listener went to the host; the command gets neither.
        unsafe { libc::close(channel) };
    }
    let command = fork();
    if command < 0 {
        fail(l.report, Failure::last(Step::Fork));
    }
    if command == 0 {
        command_main(l);
    }
    // SAFETY: the command holds its own copies; init keeps only `report`.
    unsafe {
        for fd in [l.stdin, l.stdout, l.stderr] {
            libc::close(fd);
        }
    }
    let mut command_status = None;
    loop {
        let mut status = 0;
        // SAFETY: reaping any child with a valid status pointer.
        let pid = unsafe { libc::waitpid(-1, &raw mut status, 0) };
        if pid == command {
            command_status = Some(status);
            break;
        }
        if pid < 0 && errno() != libc::EINTR {
            break;
        }
    }
    if let Some(status) = command_status {
        send(l.report, Record::Status(status));
    }
    // Exiting as pid 1 makes the kernel SIGKILL everything left inside.
    exit(0)
}

/// Process 3: becomes the command, or reports why it could not.
fn command_main(l: &Launch<'_>) -> ! {
    if let Err(f) = confine(l) {
        fail(l.report, f);
    }
    let argv: Vec<*const libc::c_char> = l
        .plan
        .argv
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(ptr::null()))
        .collect();
    let envp: Vec<*const libc::c_char> = l
        .plan
        .envp
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(ptr::null()))
        .collect();
    let mut last = libc::ENOENT;
    for candidate in &l.plan.exec_candidates {
        // SAFETY: argv and envp are null-terminated arrays of pointers into
        // CStrings that outlive this call.
        unsafe { libc::execve(candidate.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        let e = errno();
        // Like execvp: keep looking after "not here", remember "not allowed".
        match e {
            libc::ENOENT | libc::ENOTDIR => {}
            libc::EACCES => last = e,
            _ => {
                last = e;
                break;
            }
        }
    }
    fail(
        l.report,
        Failure {
            step: Step::Exec,
            arg: 0,
            errno: last,
        },
    )
}

fn confine(l: &Launch<'_>) -> Result<(), Failure> {
    // SAFETY: fd and signal bookkeeping with valid arguments; `set` is a
    // local sigset initialised by sigemptyset.
    unsafe {
        libc::setsid();
        for (fd, target) in [(l.stdin, 0), (l.stdout, 1), (l.stderr, 2)] {
            check(libc::dup2(fd, target), Step::Stdio)?;
        }
        // Rust ignores SIGPIPE and callers may block signals; exec keeps both.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const set, ptr::null_mut());
        // Descriptors the caller leaked without O_CLOEXEC must not reach
        // the command.
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        check(libc::chdir(l.plan.cwd.as_ptr()), Step::Chdir)?;
    }
    crate::limits::apply_rlimits(l.rlimits).map_err(|errno| Failure {
        step: Step::Rlimit,
        arg: 0,
        errno,
    })?;
    // SAFETY: prctl with integer arguments only.
    check(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        Step::NoNewPrivs,
    )?;
    if let Some(kernel_abi) = l.kernel_landlock {
        let abi =
            crate::landlock::restrict(l.writable, l.readonly, kernel_abi).map_err(|_| Failure {
                step: Step::Landlock,
                arg: 0,
                errno: libc::EINVAL,
            })?;
        send(l.report, Record::Landlock(abi));
    }
    crate::seccomp::install(l.seccomp).map_err(|errno| Failure {
        step: Step::Seccomp,
        arg: 0,
        errno,
    })
}
