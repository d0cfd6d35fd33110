//! The child-to-parent report pipe: fixed 8-byte records, each written with
//! one `write` (atomic below `PIPE_BUF`), so the three processes of a run can
//! share one pipe without interleaving.

use std::os::fd::RawFd;

/// Which setup step failed, carried in an error record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Step {
    Cgroup = 1,
    Unshare,
    UidMap,
    GidMap,
    Fork,
    PrivateMounts,
    RootTmpfs,
    PivotRoot,
    /// A step of the mount plan; `arg` indexes `Plan::describe`.
    Mount,
    Hostname,
    Loopback,
    Egress,
    Stdio,
    Chdir,
    Rlimit,
    NoNewPrivs,
    Landlock,
    Seccomp,
    Exec,
}

const STEPS: &[Step] = &[
    Step::Cgroup,
    Step::Unshare,
    Step::UidMap,
    Step::GidMap,
    Step::Fork,
    Step::PrivateMounts,
    Step::RootTmpfs,
    Step::PivotRoot,
    Step::Mount,
    Step::Hostname,
    Step::Loopback,
    Step::Egress,
    Step::Stdio,
    Step::Chdir,
    Step::Rlimit,
    Step::NoNewPrivs,
    Step::Landlock,
    Step::Seccomp,
    Step::Exec,
];

impl Step {
    fn from_u8(byte: u8) -> Option<Self> {
        STEPS.iter().copied().find(|step| *step as u8 == byte)
    }

    /// The step's name in error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Cgroup => "joining the run's cgroup",
            Step::Unshare => "creating namespaces",
            Step::UidMap => "mapping the user id",
            Step::GidMap => "mapping the group id",
            Step::Fork => "starting the sandbox init",
            Step::PrivateMounts => "making mounts private",
            Step::RootTmpfs => "creating the sandbox root",
            Step::PivotRoot => "switching to the sandbox root",
            Step::Mount => "mount",
            Step::Hostname => "setting the hostname",
            Step::Loopback => "bringing up loopback",
            Step::Egress => "opening the egress proxy's port",
            Step::Stdio => "connecting stdio",
            Step::Chdir => "entering the working directory",
            Step::Rlimit => "setting resource limits",
            Step::NoNewPrivs => "setting no_new_privs",
            Step::Landlock => "applying Landlock",
            Step::Seccomp => "applying seccomp",
            Step::Exec => "executing the command",
        }
    }
}

/// A setup failure inside the child: the step, an argument (the mount
/// index for `Step::Mount`), and the errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure {
    pub step: Step,
    pub arg: u16,
    pub errno: i32,
}

impl Failure {
    /// A failure of `step` with the current `errno`.
    pub(crate) fn last(step: Step) -> Self {
        Self {
            step,
            arg: 0,
            errno: errno(),
        }
    }
}

/// One decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// Host pid of the sandbox's init (pid 1 inside).
    InitPid(i32),
    /// Setup failed; nothing ran.
    Failed(Failure),
    /// The command's raw wait status.
    Status(i32),
    /// The Landlock ABI enforced (0: none).
    Landlock(i32),
}

const RECORD: usize = 8;

fn encode(tag: u8, step: u8, arg: u16, value: i32) -> [u8; RECORD] {
    let [a0, a1] = arg.to_le_bytes();
    let [v0, v1, v2, v3] = value.to_le_bytes();
    [tag, step, a0, a1, v0, v1, v2, v3]
}

/// Writes `record` to `fd`. Async-signal-safe: one `write`, no allocation.
pub(crate) fn send(fd: RawFd, record: Record) {
    let bytes = match record {
        Record::InitPid(pid) => encode(b'P', 0, 0, pid),
        Record::Failed(f) => encode(b'E', f.step as u8, f.arg, f.errno),
        Record::Status(status) => encode(b'S', 0, 0, status),
        Record::Landlock(abi) => encode(b'L', 0, 0, abi),
    };
    // SAFETY: `bytes` is a live local buffer of the given length; a failed
    // write only means the parent is gone, which the parent's kill handles.
    unsafe {
        libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    }
}

/// Decodes every complete record in `buf`.
pub(crate) fn decode(buf: &[u8]) -> Vec<Record> {
    buf.chunks_exact(RECORD)
        .filter_map(|r| {
            let value = i32::from_le_bytes([r[4], r[5], r[6], r[7]]);
            match r[0] {
                b'P' => Some(Record::InitPid(value)),
                b'S' => Some(Record::Status(value)),
                b'L' => Some(Record::Landlock(value)),
                b'E' => Step::from_u8(r[1]).map(|step| {
                    Record::Failed(Failure {
                        step,
                        arg: u16::from_le_bytes([r[2], r[3]]),
                        errno: value,
                    })
                }),
                _ => None,
            }
        })
        .collect()
}

/// The calling thread's `errno`.
pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_their_encoding() {
        let records = [
            Record::InitPid(4242),
            Record::Failed(Failure {
                step: Step::Mount,
                arg: 7,
                errno: libc::EPERM,
            }),
            Record::Status(9),
            Record::Landlock(7),
        ];
        let mut buf = Vec::new();
        for r in records {
            let bytes = match r {
                Record::InitPid(p) => encode(b'P', 0, 0, p),
                Record::Failed(f) => encode(b'E', f.step as u8, f.arg, f.errno),
                Record::Status(s) => encode(b'S', 0, 0, s),
                Record::Landlock(a) => encode(b'L', 0, 0, a),
            };
            buf.extend_from_slice(&bytes);
        }
        assert_eq!(decode(&buf), records);
    }

    #[test]
    fn every_step_decodes_to_itself() {
        for step in STEPS {
            assert_eq!(Step::from_u8(*step as u8), Some(*step));
        }
    }
}
