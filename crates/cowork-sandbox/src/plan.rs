//! Everything the child needs, computed in the parent before `fork`: the
//! child then only issues syscalls on ready-made C strings.

use std::collections::BTreeSet;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

mod check;

use check::{checked_mounts, hidden_paths};

use crate::error::SandboxError;
use crate::spec::{Access, DEFAULT_ENV, Network, SANDBOX_HOME, SandboxSpec, Stage};

/// Where the host's root is visible while the new root is built.
pub(crate) const OLD_ROOT: &str = "/oldroot";
/// Where the new root is built before the final `pivot_root`.
pub(crate) const NEW_ROOT: &str = "/newroot";

/// System directories bound read-only (or recreated as symlinks on
/// merged-usr systems).
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
];

/// Entries of `/etc` that programs need and that hold no secrets. Anything
/// not listed (shadow, ssh, sudoers, ssl/private, machine-id ...) stays out.
const ETC_ALLOW: &[&str] = &[
    "passwd",
    "group",
    "hosts",
    "host.conf",
    "resolv.conf",
    "nsswitch.conf",
    "gai.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "ssl/certs",
    "ssl/openssl.cnf",
    "ca-certificates",
    "ca-certificates.conf",
    "alternatives",
    "localtime",
    "timezone",
    "mime.types",
    "protocols",
    "services",
    "networks",
    "os-release",
    "lsb-release",
    "debian_version",
    "locale.alias",
    "locale.conf",
    "inputrc",
    "bash.bashrc",
    "profile",
    "magic",
    "magic.mime",
    "fonts",
    "mailcap",
    "gitconfig",
    "pip.conf",
    "matplotlibrc",
];

/// Device nodes bound from the host's `/dev`.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// One step of building the sandbox's root, run in order by the child.
#[derive(Debug)]
pub(crate) enum Op {
    /// `mkdir`, tolerating an existing directory.
    Mkdir(CString),
    /// Create an empty file to bind a file onto.
    Touch(CString),
    /// `symlink(target, path)`.
    Symlink { target: CString, path: CString },
    /// Bind `src` onto `dst`, then remount it `nosuid` with `mode`'s flags.
    Bind {
        src: CString,
        dst: CString,
        mode: BindMode,
    },
    /// A fresh tmpfs with mount `data` such as `size=512m,mode=1777`.
    Tmpfs { dst: CString, data: CString },
    /// A fresh procfs of the new PID namespace.
    Proc(CString),
    /// `mount_setattr(AT_RECURSIVE, ro,nosuid,nodev)` on a mount and every
    /// mount below it.
    Seal(CString),
    /// An overlayfs at `dst` with mount `data` naming the lower, upper and
    /// work directories (already escaped for overlay's option parser).
    /// `folder` is for error reports only.
    Overlay {
        dst: CString,
        data: CString,
        folder: PathBuf,
    },
    /// Binds `dst` over itself with what is mounted below it: a mount
    /// point cannot be renamed or removed (a protected path's directory).
    Pin(CString),
    /// Binds `dst` over itself, read-only (a protected path).
    Protect(CString),
    /// Covers what is at `dst` with something empty and read-only: a
    /// fresh read-only tmpfs for a directory, the host's `/dev/null` bound
    /// read-only and `nodev` (so it cannot even be opened) for a file.
    Hide { dst: CString, file: bool },
}

/// How a bind mount is remounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindMode {
    /// `ro,nosuid,nodev`.
    ReadOnly,
    /// `rw,nosuid,nodev`.
    ReadWrite,
    /// A device node: left as bound (no `nodev`, so it stays openable;
    /// `nosuid` means nothing for a node that cannot be executed).
    Device,
    /// Left as bound; a later [`Op::Seal`] of an enclosing mount makes it
    /// read-only together with its siblings in one call.
    Sealed,
}

/// The prepared run: mount steps, their descriptions for error messages, the
/// environment, and the candidate paths for argv\[0\].
#[derive(Debug)]
pub(crate) struct Plan {
    pub ops: Vec<Op>,
    /// `describe[i]` names `ops[i]` in errors, e.g. "bind /data".
    pub describe: Vec<String>,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    /// Absolute paths to try for `execve`, in `PATH` order.
    pub exec_candidates: Vec<CString>,
    pub cwd: CString,
    /// Mounts inside the sandbox, for the Landlock ruleset.
    pub writable_paths: Vec<CString>,
    pub readonly_paths: Vec<CString>,
    /// What to drop from stages after the run.
    pub scrubs: Vec<crate::protect::Scrub>,
}

struct Builder {
    ops: Vec<Op>,
    describe: Vec<String>,
    made: BTreeSet<PathBuf>,
}

impl Builder {
    fn push(&mut self, op: Op, what: String) {
        self.ops.push(op);
        self.describe.push(what);
    }

    /// `mkdir -p` of `inside` (a sandbox path) under the new root.
    fn mkdirs(&mut self, inside: &Path) -> Result<(), SandboxError> {
        let mut at = PathBuf::from("/");
        for part in inside.components().skip(1) {
            at.push(part);
            if self.made.insert(at.clone()) {
                let dst = cpath(&new_root(&at))?;
                self.push(Op::Mkdir(dst), format!("mkdir {}", at.display()));
            }
        }
        Ok(())
    }

    /// Binds host `path` at the same path inside, creating the mount point.
    fn bind(&mut self, path: &Path, mode: BindMode) -> Result<(), SandboxError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| SandboxError::invalid("mounts", format!("{}: {e}", path.display())))?;
        let dst = new_root(path);
        if meta.is_dir() {
            self.mkdirs(path)?;
        } else {
            if let Some(parent) = path.parent() {
                self.mkdirs(parent)?;
            }
            self.made.insert(path.to_path_buf());
            self.push(
                Op::Touch(cpath(&dst)?),
                format!("create {}", path.display()),
            );
        }
        let op = Op::Bind {
            src: cpath(&old_root(path))?,
            dst: cpath(&dst)?,
            mode,
        };
        let shown = match mode {
            BindMode::ReadWrite | BindMode::Device => "read-write",
            BindMode::ReadOnly | BindMode::Sealed => "read-only",
        };
        self.push(op, format!("bind {} {shown}", path.display()));
        Ok(())
    }

    /// Binds `path` read-only if it is a file or directory, recreates it if
    /// it is a symlink, and skips it if it does not exist.
    fn system_entry(&mut self, path: &Path, mode: BindMode) -> Result<(), SandboxError> {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return Ok(());
        };
        if meta.file_type().is_symlink() {
            let target =
                std::fs::read_link(path).map_err(SandboxError::io("reading a system symlink"))?;
            if let Some(parent) = path.parent() {
                self.mkdirs(parent)?;
            }
            let op = Op::Symlink {
                target: cpath(&target)?,
                path: cpath(&new_root(path))?,
            };
            self.push(op, format!("symlink {}", path.display()));
            return Ok(());
        }
        self.bind(path, mode)
    }

    /// An overlay of `stage` on the folder at `path`, at the same path.
    fn overlay(&mut self, path: &Path, stage: &Stage) -> Result<(), SandboxError> {
        self.mkdirs(path)?;
        let mut data = b"lowerdir=".to_vec();
        data.extend(overlay_escaped(&old_root(path)));
        data.extend_from_slice(b",upperdir=");
        data.extend(overlay_escaped(&old_root(&stage.upper)));
        data.extend_from_slice(b",workdir=");
        data.extend(overlay_escaped(&old_root(&stage.work)));
        // Unprivileged overlays keep whiteout and opaque marks in `user.*`
        // attributes.
        data.extend_from_slice(b",userxattr");
        let op = Op::Overlay {
            dst: cpath(&new_root(path))?,
            data: cbytes(&data)?,
            folder: path.to_path_buf(),
        };
        self.push(op, format!("stage changes to {}", path.display()));
        Ok(())
    }

    /// Masks `path` (canonical). Inside a mount the path already exists
    /// in the new root; above every mount its parents are made first.
    fn hide(&mut self, path: &Path, inside_mount: bool) -> Result<(), SandboxError> {
        let file = std::fs::metadata(path).is_ok_and(|m| !m.is_dir());
        if !inside_mount {
            let dir = if file { path.parent() } else { Some(path) };
            if let Some(dir) = dir {
                self.mkdirs(dir)?;
            }
            if file {
                self.push(
                    Op::Touch(cpath(&new_root(path))?),
                    format!("create {}", path.display()),
                );
            }
        }
        let op = Op::Hide {
            dst: cpath(&new_root(path))?,
            file,
        };
        self.push(op, format!("hide {}", path.display()));
        Ok(())
    }

    fn tmpfs(&mut self, path: &str, data: &str) -> Result<(), SandboxError> {
        self.mkdirs(Path::new(path))?;
        let op = Op::Tmpfs {
            dst: cpath(&new_root(Path::new(path)))?,
            data: cstr(data)?,
        };
        self.push(op, format!("tmpfs {path}"));
        Ok(())
    }
}

/// Checks `spec` and prepares the child's work.
pub(crate) fn prepare(spec: &SandboxSpec) -> Result<Plan, SandboxError> {
    let Some(program) = spec.command.first() else {
        return Err(SandboxError::invalid("command", "is empty"));
    };
    let mut mounts = checked_mounts(spec)?;
    let protection = crate::protect::plan(spec, &mounts)?;
    for (path, access) in &mut mounts {
        if protection.covers(path) {
            *access = Access::ReadOnly;
        }
    }
    // Inside a mounted folder, or — for a command that needs no folder —
    // the sandbox's own private home or /tmp (exactly: nothing below them
    // exists yet when the command starts).
    let cwd = normalize(&spec.cwd)
        .filter(|cwd| {
            mounts.iter().any(|(path, _)| cwd.starts_with(path))
                || cwd == Path::new(SANDBOX_HOME)
                || cwd == Path::new("/tmp")
        })
        .ok_or_else(|| {
            SandboxError::invalid(
                "cwd",
                format!(
                    "{} is not inside a mounted folder (nor {SANDBOX_HOME} or /tmp)",
                    spec.cwd.display()
                ),
            )
        })?;

    let mut b = Builder {
        ops: Vec::new(),
        describe: Vec::new(),
        made: BTreeSet::new(),
    };
    for dir in SYSTEM_DIRS {
        b.system_entry(Path::new(dir), BindMode::ReadOnly)?;
    }
    // With mount_setattr, /etc is its own small tmpfs whose two dozen binds
    // are made read-only in one call instead of one remount each.
    let seal = has_mount_setattr();
    let etc_mode = if seal {
        b.tmpfs("/etc", "size=64k,nr_inodes=512,mode=0755")?;
        BindMode::Sealed
    } else {
        b.mkdirs(Path::new("/etc"))?;
        BindMode::ReadOnly
    };
    for entry in etc_entries() {
        b.system_entry(&entry, etc_mode)?;
    }
    if !b.made.contains(Path::new("/etc/mtab")) {
        let op = Op::Symlink {
            target: cstr("../proc/self/mounts")?,
            path: cstr("/newroot/etc/mtab")?,
        };
        b.push(op, "symlink /etc/mtab".to_owned());
    }
    if seal {
        b.push(
            Op::Seal(cstr("/newroot/etc")?),
            "make /etc read-only".to_owned(),
        );
    }
    b.mkdirs(Path::new("/proc"))?;
    b.push(Op::Proc(cstr("/newroot/proc")?), "mount /proc".to_owned());
    b.tmpfs("/dev", "size=1m,nr_inodes=64,mode=0755")?;
    for dev in DEVICES {
        let host = Path::new("/dev").join(dev);
        if host.exists() {
            b.made.insert(host.clone());
            b.push(
                Op::Touch(cpath(&new_root(&host))?),
                format!("create {}", host.display()),
            );
            let op = Op::Bind {
                src: cpath(&old_root(&host))?,
                dst: cpath(&new_root(&host))?,
                mode: BindMode::Device,
            };
            b.push(op, format!("bind {}", host.display()));
        }
    }
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let op = Op::Symlink {
            target: cstr(target)?,
            path: cstr(&format!("{NEW_ROOT}/dev/{name}"))?,
        };
        b.push(op, format!("symlink /dev/{name}"));
    }
    b.tmpfs("/dev/shm", "size=64m,mode=1777")?;
    b.tmpfs("/tmp", "size=512m,mode=1777")?;
    b.tmpfs(SANDBOX_HOME, "size=512m,mode=0755")?;
    for (path, access) in &mounts {
        match access {
            Access::ReadOnly => b.bind(path, BindMode::ReadOnly)?,
            Access::ReadWrite => b.bind(path, BindMode::ReadWrite)?,
            Access::Staged(stage) => b.overlay(path, stage)?,
        }
    }
    // Above the folders, so that they cover what the folders show.
    for pin in &protection.pins {
        let op = Op::Pin(cpath(&new_root(pin))?);
        b.push(op, format!("pin {}", pin.display()));
    }
    for path in &protection.read_only {
        let op = Op::Protect(cpath(&new_root(path))?);
        b.push(op, format!("protect {} read-only", path.display()));
    }
    // Last, so that each mask sits above every folder mount, overlay or
    // nested grant that could show what it covers.
    for (path, inside_mount) in hidden_paths(spec, &mounts)? {
        b.hide(&path, inside_mount)?;
    }

    let env = environment(spec);
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    Ok(Plan {
        exec_candidates: exec_candidates(program, path_var.as_deref())?,
        argv: spec
            .command
            .iter()
            .map(|a| cbytes(a.as_bytes()))
            .collect::<Result<_, _>>()?,
        envp: env
            .iter()
            .map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                cbytes(&kv)
            })
            .collect::<Result<_, _>>()?,
        cwd: cpath(&cwd)?,
        writable_paths: mounts
            .iter()
            .filter(|m| !matches!(m.1, Access::ReadOnly))
            .map(|m| cpath(&m.0))
            .collect::<Result<_, _>>()?,
        readonly_paths: mounts
            .iter()
            .filter(|m| matches!(m.1, Access::ReadOnly))
            .map(|m| cpath(&m.0))
            .collect::<Result<_, _>>()?,
        ops: b.ops,
        describe: b.describe,
        scrubs: protection.scrubs,
    })
}

/// `path` as an overlayfs option value: its option parser splits on `,` and
/// lower directories on `:`, both escapable with `\`.
fn overlay_escaped(path: &Path) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.as_os_str().len());
    for byte in path.as_os_str().as_bytes() {
        if matches!(byte, b'\\' | b',' | b':') {
            out.push(b'\\');
        }
        out.push(*byte);
    }
    out
}

/// The defaults, overridden or extended by `spec.env` (later entries win).
fn environment(spec: &SandboxSpec) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = DEFAULT_ENV
        .iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect();
    // The child always unshares the network namespace; with nothing moved
    // into it, only its own loopback exists, where the proxy listens.
    match &spec.network {
        Network::None => {}
        Network::Allow(_) => env.extend(
            crate::egress::proxy_env()
                .into_iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        ),
    }
    for (key, value) in &spec.env {
        match env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => env.push((key.clone(), value.clone())),
        }
    }
    env
}

fn exec_candidates(
    program: &OsStr,
    path_var: Option<&OsStr>,
) -> Result<Vec<CString>, SandboxError> {
    if program.as_bytes().contains(&b'/') {
        return Ok(vec![cbytes(program.as_bytes())?]);
    }
    let dirs = path_var
        .map(|p| p.as_bytes().split(|b| *b == b':').collect::<Vec<_>>())
        .unwrap_or_default();
    dirs.into_iter()
        .filter(|dir| dir.first() == Some(&b'/'))
        .map(|dir| {
            let mut full = dir.to_vec();
            full.push(b'/');
            full.extend_from_slice(program.as_bytes());
            cbytes(&full)
        })
        .collect()
}

/// Whether the kernel has `mount_setattr` (5.12+); asked once per process.
fn has_mount_setattr() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        // An invalid call: ENOSYS without the syscall, EINVAL/EBADF with it.
        // SAFETY: a null path and zero size make the kernel reject the call
        // before it touches memory.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_mount_setattr,
                -1,
                std::ptr::null::<u8>(),
                0,
                std::ptr::null::<u8>(),
                0,
            )
        };
        ret < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOSYS)
    })
}

fn etc_entries() -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = ETC_ALLOW
        .iter()
        .map(|e| Path::new("/etc").join(e))
        .collect();
    if let Ok(dir) = std::fs::read_dir("/etc") {
        for entry in dir.flatten() {
            let name = entry.file_name();
            if name.as_bytes().starts_with(b"python3") {
                entries.push(entry.path());
            }
        }
    }
    entries
}

/// `path` made absolute and free of `.`/`..`, without touching the disk.
fn normalize(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    let mut out = PathBuf::from("/");
    for part in path.components() {
        match part {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
        }
    }
    // The mounts are canonical; follow symlinks the same way when we can.
    Some(std::fs::canonicalize(&out).unwrap_or(out))
}

fn new_root(path: &Path) -> PathBuf {
    join_under(NEW_ROOT, path)
}

fn old_root(path: &Path) -> PathBuf {
    join_under(OLD_ROOT, path)
}

fn join_under(base: &str, path: &Path) -> PathBuf {
    let mut bytes = base.as_bytes().to_vec();
    bytes.extend_from_slice(path.as_os_str().as_bytes());
    PathBuf::from(OsString::from_vec(bytes))
}

fn cpath(path: &Path) -> Result<CString, SandboxError> {
    cbytes(path.as_os_str().as_bytes())
}

fn cstr(s: &str) -> Result<CString, SandboxError> {
    cbytes(s.as_bytes())
}

fn cbytes(bytes: &[u8]) -> Result<CString, SandboxError> {
    CString::new(bytes).map_err(|_| SandboxError::invalid("command", "contains a NUL byte"))
}
