//! What the caller asks for: the command, its folders, its limits.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use crate::egress::{Allowlist, Connector, EgressEvent, SystemConnector};

/// A connected folder, mounted inside the sandbox at its own absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Absolute host path; it appears at the same path inside the sandbox.
    pub path: PathBuf,
    /// What the command may do to what is under `path`.
    pub access: Access,
}

/// How a connected folder is mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The command may read but not change it.
    ReadOnly,
    /// The command changes the folder itself.
    ReadWrite,
    /// The command sees a writable folder, but every change it makes lands
    /// in the stage's overlay upper directory instead; the folder itself is
    /// untouched until the caller applies (or discards) the stage.
    Staged(Stage),
}

/// Where a [`Access::Staged`] folder's changes land: an overlayfs upper and
/// work directory, both empty, on one filesystem that supports `user.*`
/// extended attributes, and outside the folder.
///
/// In the upper directory after the run, a changed or new file is a
/// regular file, a deleted one a character device 0:0 (a whiteout), and a
/// directory whose old content was discarded carries the extended
/// attribute `user.overlay.opaque` = `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The overlay upper directory: the changes.
    pub upper: PathBuf,
    /// The overlay work directory: kernel scratch space, removed by the
    /// caller with the upper directory (its `work` subdirectory has mode 0).
    pub work: PathBuf,
}

impl Mount {
    /// A folder the command may read but not change.
    pub fn read_only(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            access: Access::ReadOnly,
        }
    }

    /// A folder the command may read and change.
    pub fn writable(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            access: Access::ReadWrite,
        }
    }

    /// A folder the command may change, with the changes landing in `stage`.
    pub fn staged(path: impl Into<PathBuf>, stage: Stage) -> Self {
        Self {
            path: path.into(),
            access: Access::Staged(stage),
        }
    }
}

/// Resource limits for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time after which the whole process tree is killed.
    pub wall: Duration,
    /// CPU time per process (`RLIMIT_CPU`).
    pub cpu: Option<Duration>,
    /// Memory of the whole run (cgroup `memory.max`) when a writable cgroup
    /// is available, else address space per process (`RLIMIT_AS`): then
    /// several processes together may use more ([`Output::memory_scope`]
    /// says which applied).
    pub memory_bytes: Option<u64>,
    /// The largest file any process may write (`RLIMIT_FSIZE`); a write
    /// beyond it fails with `EFBIG` after `SIGXFSZ`
    /// ([`Output::file_size_limit_hit`]).
    pub file_bytes: Option<u64>,
    /// Number of processes (cgroup `pids.max` when available, and
    /// `RLIMIT_NPROC`).
    pub processes: Option<u64>,
    /// Bytes kept of each of stdout and stderr; the rest is read and dropped.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            wall: Duration::from_secs(120),
            cpu: None,
            memory_bytes: Some(2 << 30),
            file_bytes: Some(DEFAULT_FILE_BYTES),
            processes: Some(256),
            output_bytes: 1 << 20,
        }
    }
}

/// The default [`Limits::file_bytes`]: 1 GiB.
pub const DEFAULT_FILE_BYTES: u64 = 1 << 30;

/// What the command may reach over the network.
#[derive(Debug, Clone, Default)]
pub enum Network {
    /// A fresh, empty network namespace: loopback only, nothing of the host.
    #[default]
    None,
    /// The same empty namespace, plus cowork's egress proxy at
    /// `127.0.0.1:3128` inside it (announced in `HTTP_PROXY` and friends):
    /// HTTP and HTTPS to the allowlisted domains only.
    Allow(Egress),
}

/// The egress policy of [`Network::Allow`].
#[derive(Clone)]
pub struct Egress {
    /// The domains requests may go to.
    pub allowlist: Allowlist,
    /// Where allowed requests are connected: the host's resolver
    /// ([`SystemConnector`]) unless a caller pins names elsewhere.
    pub connector: Arc<dyn Connector>,
}

impl Egress {
    /// `allowlist`, connected through the host's own resolver and network.
    pub fn new(allowlist: Allowlist) -> Self {
        Self {
            allowlist,
            connector: Arc::new(SystemConnector),
        }
    }

    /// The same policy, connecting allowed requests through `connector`.
    #[must_use]
    pub fn with_connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = connector;
        self
    }
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress")
            .field("allowlist", &self.allowlist.to_string())
            .finish_non_exhaustive()
    }
}

/// One command to run in a fresh sandbox.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    /// argv; `command[0]` is looked up in the sandbox's `PATH` when it has no
    /// `/`. For a shell string pass `["/bin/sh", "-c", cmd]`.
    pub command: Vec<OsString>,
    /// Working directory; must lie inside one of `mounts`.
    pub cwd: PathBuf,
    /// Connected folders. Nothing else of the host's files is visible except
    /// the read-only system directories and a filtered `/etc`.
    pub mounts: Vec<Mount>,
    /// Environment on top of the defaults ([`DEFAULT_ENV`]); the host's
    /// environment is never inherited.
    pub env: Vec<(OsString, OsString)>,
    /// Resource limits.
    pub limits: Limits,
    /// Network policy.
    pub network: Network,
    /// Bytes fed to the command's stdin; `None` gives it `/dev/null`.
    pub stdin: Option<Vec<u8>>,
    /// Host paths the command must neither see nor change even where a
    /// mount contains them (cowork's own data and configuration): each is
    /// covered by an empty read-only directory (or file) stacked above every
    /// mount. A missing directory that lies inside a mount is created empty
    /// first, so the command cannot create it either. Paths outside every
    /// mount are invisible anyway and are skipped.
    pub hidden: Vec<PathBuf>,
    /// Host paths inside the mounts that the command may read but must
    /// not change, create or delete, even in a writable folder (a
    /// connected folder's standing instructions and skills, which steer
    /// every later task). An existing one is bound read-only over itself
    /// (a write fails with `EROFS`, a delete or rename with `EBUSY`), with
    /// the directories between its folder and it pinned so they cannot be
    /// renamed away. A missing one cannot be covered by a mount, so in a
    /// [staged](Access::Staged) folder whatever the command made there is
    /// dropped from the stage after the run ([`Output::refused`]), and in a
    /// [read-write](Access::ReadWrite) folder the spec is refused: nothing
    /// could stop the command creating it. A directory protects everything
    /// under it; a mount inside one is mounted read-only.
    pub protected: Vec<PathBuf>,
}

impl SandboxSpec {
    /// A spec for `command` in `cwd`, with `cwd` mounted writable and every
    /// other field at its default.
    pub fn new<I, S>(command: I, cwd: impl Into<PathBuf>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let cwd = cwd.into();
        Self {
            command: command.into_iter().map(Into::into).collect(),
            mounts: vec![Mount::writable(cwd.clone())],
            cwd,
            env: Vec::new(),
            limits: Limits::default(),
            network: Network::None,
            stdin: None,
            hidden: Vec::new(),
            protected: Vec::new(),
        }
    }
}

/// Variables every command sees unless `SandboxSpec::env` overrides them.
pub const DEFAULT_ENV: &[(&str, &str)] = &[
    (
        "PATH",
        "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
    ),
    ("HOME", SANDBOX_HOME),
    ("TMPDIR", "/tmp"),
    ("LANG", "C.UTF-8"),
    ("TERM", "dumb"),
];

/// The private, size-capped home directory inside the sandbox.
pub const SANDBOX_HOME: &str = "/home/sandbox";

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code or terminating signal; a timed-out run reports `SIGKILL`.
    pub status: ExitStatus,
    /// Up to `Limits::output_bytes` of stdout.
    pub stdout: Vec<u8>,
    /// Up to `Limits::output_bytes` of stderr.
    pub stderr: Vec<u8>,
    /// Whether stdout produced more than was kept.
    pub stdout_truncated: bool,
    /// Whether stderr produced more than was kept.
    pub stderr_truncated: bool,
    /// Whether the wall-clock limit (or a cancellation) killed the run.
    pub timed_out: bool,
    /// Wall-clock time from start to the last process exiting.
    pub duration: Duration,
    /// Every request the egress proxy saw, in order ([`Network::Allow`]).
    pub egress: Vec<EgressEvent>,
    /// How [`Limits::memory_bytes`] was enforced.
    pub memory_scope: MemoryScope,
    /// [`SandboxSpec::protected`] paths (or directories holding them)
    /// whose changes the command left in a staged folder's stage and that
    /// were dropped from it, sorted: the folder will not get them. Empty
    /// when the command changed none, and for an unsandboxed run.
    pub refused: Vec<PathBuf>,
}

impl Output {
    /// Whether the command (or a process it started) most likely hit
    /// [`Limits::file_bytes`]: the command was killed by `SIGXFSZ`, its
    /// shell reported that signal (exit status 153), or its stderr carries
    /// the kernel's `EFBIG` message. A program that ignores `SIGXFSZ` and
    /// swallows the error goes unnoticed.
    pub fn file_size_limit_hit(&self) -> bool {
        use std::os::unix::process::ExitStatusExt;
        const EFBIG_TEXT: &[u8] = b"File too large";
        const SIGXFSZ_TEXT: &[u8] = b"File size limit exceeded";
        self.status.signal() == Some(libc::SIGXFSZ)
            || self.status.code() == Some(128 + libc::SIGXFSZ)
            || [EFBIG_TEXT, SIGXFSZ_TEXT].iter().any(|needle| {
                self.stderr
                    .windows(needle.len())
                    .any(|window| window == *needle)
            })
    }
}

/// Which memory limit applied to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryScope {
    /// No memory limit was asked for.
    Unlimited,
    /// A cgroup capped the whole run: every process together.
    WholeRun,
    /// No writable cgroup: each process alone was capped (`RLIMIT_AS`), so
    /// several processes together can use a multiple of the limit.
    PerProcess,
}

/// The isolation layers that were observed active for a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layers {
    /// Own user namespace (uid map seen from inside).
    pub user_ns: bool,
    /// Own mount namespace with a minimal root.
    pub mount_ns: bool,
    /// Own PID namespace (host processes invisible).
    pub pid_ns: bool,
    /// Own, empty network namespace.
    pub net_ns: bool,
    /// Own IPC namespace.
    pub ipc_ns: bool,
    /// Own UTS namespace (hostname).
    pub uts_ns: bool,
    /// A seccomp filter is installed.
    pub seccomp: bool,
    /// The Landlock ABI enforced, if any.
    pub landlock: Option<i32>,
    /// `PR_SET_NO_NEW_PRIVS` is set.
    pub no_new_privs: bool,
    /// Memory and process limits come from a cgroup rather than rlimits.
    pub cgroup: bool,
}

/// Whether sandboxed execution works on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// It works; these layers were observed from inside.
    Ready(Layers),
    /// It does not; `cause` says why and `fix` what the user can do.
    Unavailable {
        /// What is missing, in the user's terms.
        cause: String,
        /// How to make it work, or how to run without it.
        fix: String,
    },
}
