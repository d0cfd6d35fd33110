//! Resource limits: rlimits in the child, and a per-run cgroup when this
//! process may create one (root, or a delegated cgroup v2 subtree).

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::spec::{Limits, MemoryScope};

/// One `setrlimit` call, prepared in the parent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rlimit {
    pub resource: libc::__rlimit_resource_t,
    pub soft: u64,
    pub hard: u64,
}

/// The rlimits for a run. Memory falls back to `RLIMIT_AS` only when no
/// cgroup caps it: address-space limits break runtimes that reserve large
/// virtual ranges (Go, the JVM, V8).
pub(crate) fn rlimits(limits: &Limits, cgroup_memory: bool) -> Vec<Rlimit> {
    let mut out = vec![Rlimit {
        resource: libc::RLIMIT_CORE,
        soft: 0,
        hard: 0,
    }];
    if let Some(cpu) = limits.cpu {
        let secs = cpu.as_secs().max(1);
        // The soft limit sends SIGXCPU, the hard one a second later SIGKILL.
        out.push(Rlimit {
            resource: libc::RLIMIT_CPU,
            soft: secs,
            hard: secs + 1,
        });
    }
    if let (Some(bytes), false) = (limits.memory_bytes, cgroup_memory) {
        out.push(Rlimit {
            resource: libc::RLIMIT_AS,
            soft: bytes,
            hard: bytes,
        });
    }
    if let Some(bytes) = limits.file_bytes {
        out.push(Rlimit {
            resource: libc::RLIMIT_FSIZE,
            soft: bytes,
            hard: bytes,
        });
    }
    if let Some(n) = limits.processes {
        out.push(Rlimit {
            resource: libc::RLIMIT_NPROC,
            soft: n,
            hard: n,
        });
    }
    out
}

/// How the memory limit of `limits` applies, given whether a cgroup caps
/// memory for the run.
pub(crate) fn memory_scope(limits: &Limits, cgroup_memory: bool) -> MemoryScope {
    match (limits.memory_bytes, cgroup_memory) {
        (None, _) => MemoryScope::Unlimited,
        (Some(_), true) => MemoryScope::WholeRun,
        (Some(_), false) => MemoryScope::PerProcess,
    }
}

/// Applies `limits` to the calling process; returns the errno on failure.
/// Child side.
pub(crate) fn apply_rlimits(limits: &[Rlimit]) -> Result<(), i32> {
    for limit in limits {
        let value = libc::rlimit {
            rlim_cur: limit.soft,
            rlim_max: limit.hard,
        };
        // SAFETY: `value` is a live, initialised rlimit.
        if unsafe { libc::setrlimit(limit.resource, &raw const value) } < 0 {
            return Err(crate::report::errno());
        }
    }
    Ok(())
}

/// A per-run cgroup (one directory per v1 hierarchy, or one v2 directory),
/// removed on drop once the run's processes are gone.
#[derive(Debug)]
pub(crate) struct Cgroup {
    dirs: Vec<PathBuf>,
    /// Open `cgroup.procs` files the first child writes "0" into to join.
    procs: Vec<OwnedFd>,
    /// Whether memory is capped by the cgroup.
    pub memory: bool,
}

impl Cgroup {
    /// Creates a cgroup for one run, or `None` when none is writable. Only
    /// worth it when some limit needs it.
    pub(crate) fn create(limits: &Limits) -> Option<Self> {
        if limits.memory_bytes.is_none() && limits.processes.is_none() {
            return None;
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "cowork-sandbox-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let own = fs::read_to_string("/proc/self/cgroup").ok()?;
        let mut group = Self {
            dirs: Vec::new(),
            procs: Vec::new(),
            memory: false,
        };
        if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
            let dir = Path::new("/sys/fs/cgroup")
                .join(rel.trim_start_matches('/'))
                .join(&name);
            group.add(dir, limits, "memory.max", "pids.max")?;
        } else {
            for line in own.lines() {
                let mut parts = line.splitn(3, ':');
                let (_, controllers, rel) = (parts.next()?, parts.next()?, parts.next()?);
                let rel = rel.trim_start_matches('/');
                match controllers {
                    "memory" if limits.memory_bytes.is_some() => {
                        let dir = Path::new("/sys/fs/cgroup/memory").join(rel).join(&name);
                        group.add(dir, limits, "memory.limit_in_bytes", "")?;
                    }
                    "pids" if limits.processes.is_some() => {
                        let dir = Path::new("/sys/fs/cgroup/pids").join(rel).join(&name);
                        group.add(dir, limits, "", "pids.max")?;
                    }
                    _ => {}
                }
            }
        }
        (!group.dirs.is_empty()).then_some(group)
    }

    /// Creates `dir`, writes the limits that apply, opens `cgroup.procs`.
    fn add(
        &mut self,
        dir: PathBuf,
        limits: &Limits,
        memory_file: &str,
        pids_file: &str,
    ) -> Option<()> {
        fs::create_dir(&dir).ok()?;
        self.dirs.push(dir.clone());
        let write = |file: &str, value: u64| fs::write(dir.join(file), value.to_string()).ok();
        if let (Some(bytes), false) = (limits.memory_bytes, memory_file.is_empty()) {
            write(memory_file, bytes)?;
            // Swap would let the run exceed the cap; v2 only, absent is fine.
            if memory_file == "memory.max" {
                let _ = fs::write(dir.join("memory.swap.max"), "0");
            }
            self.memory = true;
        }
        if let (Some(n), false) = (limits.processes, pids_file.is_empty()) {
            write(pids_file, n)?;
        }
        let procs = fs::OpenOptions::new()
            .write(true)
            .open(dir.join("cgroup.procs"))
            .ok()?;
        self.procs.push(procs.into());
        Some(())
    }

    /// The `cgroup.procs` fds to join from the child.
    pub(crate) fn procs_fds(&self) -> Vec<RawFd> {
        self.procs.iter().map(AsRawFd::as_raw_fd).collect()
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        self.procs.clear();
        for dir in &self.dirs {
            // The last processes of a killed run may still be exiting.
            for _ in 0..200 {
                match fs::remove_dir(dir) {
                    Ok(()) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
    }
}

/// Joins the cgroups by writing "0" (self) to each `cgroup.procs`; returns
/// the errno on failure. Child side.
pub(crate) fn join(procs: &[RawFd]) -> Result<(), i32> {
    for fd in procs {
        // SAFETY: writing a 1-byte static buffer to an fd we own.
        if unsafe { libc::write(*fd, b"0".as_ptr().cast(), 1) } < 0 {
            return Err(crate::report::errno());
        }
    }
    Ok(())
}
