//! Isolated execution of commands for cowork, in milliseconds, without a
//! daemon or root, and honest about which isolation is active.
//!
//! Each [`run`] forks a fresh set of user, mount, PID, network, IPC and UTS
//! namespaces. The command sees a minimal root: read-only system directories,
//! a filtered `/etc` (no shadow, ssh or sudoers), a fresh `/proc`, a few
//! device nodes, private size-capped `/tmp` and `$HOME`, and the connected
//! folders of [`SandboxSpec::mounts`] at their own paths — nothing else of the
//! host. The most specific mount wins (a read-only folder inside a writable
//! one stays read-only), [`SandboxSpec::hidden`] paths (cowork's own
//! data and configuration) are masked above every mount, and
//! [`SandboxSpec::protected`] paths (a folder's standing instructions) stay
//! read-only even in a writable folder. Inside, `no_new_privs`, a Landlock ruleset and a seccomp filter are
//! applied just before `execve` (seccomp last), never to the calling process.
//! Wall-clock, CPU, memory, file-size, process and output limits apply
//! (memory for the whole run only with a writable cgroup, else per process:
//! [`Output::memory_scope`] says which); when the command
//! exits or times out, everything it started dies with it.
//!
//! A folder can also be [staged](Access::Staged): the command sees it
//! writable, but its changes land in an overlay upper directory the caller
//! applies afterwards (cowork-files journals them). The network is empty
//! unless [`Network::Allow`] adds the [`egress`] proxy for allowlisted
//! domains. [`run_unsandboxed`] runs without isolation, for people who
//! chose that explicitly on machines where [`probe`] finds no sandbox.
//!
//! This crate owns isolation and limits. It does not decide *whether* a
//! command may run (that is the permission engine in `cowork-core`) and knows
//! nothing of models or tools.
//!
//! ```no_run
//! use cowork_sandbox::{SandboxSpec, run};
//!
//! let spec = SandboxSpec::new(["/bin/sh", "-c", "ls | wc -l"], "/home/me/Reports");
//! let output = run(&spec)?;
//! assert!(output.status.success());
//! # Ok::<(), cowork_sandbox::SandboxError>(())
//! ```

mod bridge;
mod child;
pub mod egress;
mod error;
mod interrupt;
mod landlock;
mod limits;
mod mounts;
mod plan;
mod probe;
mod probe_cache;
mod protect;
mod report;
mod seccomp;
mod spec;
mod stream;
mod supervise;
mod unconfined;

use std::sync::atomic::AtomicBool;

pub use error::SandboxError;
pub use spec::{
    Access, Availability, DEFAULT_ENV, DEFAULT_FILE_BYTES, Egress, Layers, Limits, MemoryScope,
    Mount, Network, Output, SANDBOX_HOME, SandboxSpec, Stage,
};

/// Runs `spec` in a fresh sandbox and waits for it (and everything it
/// started) to finish or hit `spec.limits.wall`.
///
/// A command that runs and fails is `Ok` with a non-zero
/// [`Output::status`]; `Err` means it could not be run at all.
pub fn run(spec: &SandboxSpec) -> Result<Output, SandboxError> {
    run_cancellable(spec, &AtomicBool::new(false))
}

/// Like [`run`], but kills the whole process tree as soon as `cancel`
/// becomes true (checked at least every 20 ms); the output so far is
/// returned with `timed_out` set.
pub fn run_cancellable(spec: &SandboxSpec, cancel: &AtomicBool) -> Result<Output, SandboxError> {
    supervise::run(spec, cancel).map(|(output, _)| output)
}

/// Makes Ctrl-C (SIGINT), SIGTERM and SIGHUP set the returned flag instead
/// of ending the calling process, for a program that runs one command and
/// exits: pass the flag to [`run_cancellable`] or [`run_unsandboxed`], which
/// then stop the command's whole process tree. Process-wide, like every
/// signal disposition; the command itself starts with default handlers.
pub fn interrupt_flag() -> Result<&'static AtomicBool, SandboxError> {
    interrupt::flag()
}

/// Runs `spec` WITHOUT isolation, for when a person explicitly chose to
/// (`--sandbox none`) on a machine where [`probe`] finds the sandbox
/// unavailable.
///
/// Kept: the wall clock and cancellation (the command's process group is
/// killed), CPU and memory rlimits, output caps, stdin, `cwd`, and a clean
/// environment (`PATH`, `HOME`, `USER`, `LOGNAME`, `LANG`, `TERM`, `TZ`,
/// `TMPDIR`, then `spec.env`; never the caller's API keys). Ignored:
/// `mounts`, `hidden`, `protected` and `network` — the command can read and
/// change anything the user can and reach the network.
pub fn run_unsandboxed(spec: &SandboxSpec, cancel: &AtomicBool) -> Result<Output, SandboxError> {
    unconfined::run(spec, cancel)
}

/// Runs a tiny command in a real sandbox and reports the layers observed
/// from inside it (namespaces compared with the host's, `Seccomp:` and
/// `NoNewPrivs:` from `/proc/self/status`, the uid map, the interfaces), or
/// why sandboxing is unavailable and how to fix it. Takes milliseconds.
pub fn probe() -> Availability {
    probe::probe()
}

/// [`probe`], remembered in `cache_dir` (e.g. `$XDG_RUNTIME_DIR/cowork`)
/// for as long as the boot, the kernel, the user, this binary and the
/// sysctls that gate user namespaces stay the same: a fraction of a
/// millisecond instead of a second sandbox on every call. Only a ready
/// sandbox is remembered; an unavailable one is probed again each time, so
/// a fix takes effect at once.
pub fn probe_cached(cache_dir: &std::path::Path) -> Availability {
    probe_cache::probe_cached(cache_dir)
}

/// Drops what [`probe_cached`] remembered, for a caller whose run failed
/// with [`SandboxError::Unavailable`] although the probe said ready.
pub fn forget_probe(cache_dir: &std::path::Path) {
    probe_cache::forget(cache_dir);
}
