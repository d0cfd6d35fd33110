//! A probe result remembered per boot, kernel, user (and user namespace and
//! seccomp mode), binary and the sysctls that gate user namespaces, so that a command typed in a
//! terminal does not pay for a second sandbox (the probe's) every time.
//!
//! Only [`Availability::Ready`] is remembered. An unavailable sandbox is
//! probed again on every call, so fixing the cause (a sysctl, an AppArmor
//! profile) takes effect at once; it costs nothing a working machine pays.
//! A remembered "ready" that turns false (namespaces disabled by hand
//! since) still fails safe: every run sets up every layer itself and fails
//! with [`SandboxError::Unavailable`](crate::SandboxError) — callers then
//! [`forget_probe`](crate::forget_probe).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::spec::{Availability, Layers};

/// The cache file's name inside the caller's cache directory.
const FILE: &str = "sandbox-probe";
/// Bumped whenever the file's layout or the probe's meaning changes.
const FORMAT: &str = "cowork-sandbox-probe v1";
/// Sysctls whose change can make the sandbox (un)available.
const SYSCTLS: &[&str] = &[
    "kernel/apparmor_restrict_unprivileged_userns",
    "kernel/unprivileged_userns_clone",
    "user/max_user_namespaces",
];

/// The remembered result when its key still matches, else a fresh probe
/// (remembered when ready).
pub(crate) fn probe_cached(dir: &Path) -> Availability {
    match current_key() {
        Some(key) => cached_with(dir, &key, crate::probe::probe),
        // Without a boot id or a binary identity nothing could tell a stale
        // result from a fresh one.
        None => crate::probe::probe(),
    }
}

/// Removes the remembered result, e.g. after a run found the sandbox
/// unavailable despite it.
pub(crate) fn forget(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(FILE));
}

/// [`probe_cached`] with the key and the probe given.
pub(crate) fn cached_with(
    dir: &Path,
    key: &str,
    probe: impl FnOnce() -> Availability,
) -> Availability {
    let path = dir.join(FILE);
    if let Some(layers) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| decode(&text, key))
    {
        return Availability::Ready(layers);
    }
    let fresh = probe();
    match &fresh {
        Availability::Ready(layers) => {
            // Best effort: a cache that cannot be written only costs time.
            let _ = store(dir, &encode(key, layers));
        }
        Availability::Unavailable { .. } => forget(dir),
    }
    fresh
}

/// What the remembered result depends on, in one line.
fn current_key() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let sysctls: Vec<String> = SYSCTLS
        .iter()
        .map(|name| {
            std::fs::read_to_string(format!("/proc/sys/{name}"))
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|_| "-".to_owned())
        })
        .collect();
    // A cowork inside a container or another sandbox (its own user
    // namespace, a seccomp filter of its own) must not trust what one
    // outside remembered.
    let userns = std::fs::read_link("/proc/self/ns/user").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let seccomp = status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .map_or("-", str::trim);
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    Some(format!(
        "boot={} kernel={} uid={uid} userns={} seccomp={seccomp} exe={}:{}:{}.{} sysctl={}",
        boot.trim(),
        kernel_release()?,
        userns.display(),
        exe.dev(),
        exe.ino(),
        exe.mtime(),
        exe.mtime_nsec(),
        sysctls.join(",")
    ))
}

fn kernel_release() -> Option<String> {
    // SAFETY: `uts` is plain data that uname fills.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: see above; a live, writable struct.
    if unsafe { libc::uname(&raw mut uts) } < 0 {
        return None;
    }
    let bytes: Vec<u8> = uts
        .release
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| c.to_ne_bytes()[0])
        .collect();
    String::from_utf8(bytes).ok()
}

/// Writes the file atomically (a reader sees the old or the new one),
/// in a directory only the user can enter.
fn store(dir: &Path, text: &str) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let tmp = dir.join(format!(".{FILE}.{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    std::fs::rename(&tmp, dir.join(FILE)).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn encode(key: &str, l: &Layers) -> String {
    let flag = |on: bool| if on { "1" } else { "0" };
    format!(
        "{FORMAT}\n{key}\nuser_ns={}\nmount_ns={}\npid_ns={}\nnet_ns={}\nipc_ns={}\nuts_ns={}\n\
         seccomp={}\nlandlock={}\nno_new_privs={}\ncgroup={}\n",
        flag(l.user_ns),
        flag(l.mount_ns),
        flag(l.pid_ns),
        flag(l.net_ns),
        flag(l.ipc_ns),
        flag(l.uts_ns),
        flag(l.seccomp),
        l.landlock.unwrap_or(0),
        flag(l.no_new_privs),
        flag(l.cgroup),
    )
}

/// The layers of a file written by [`encode`] for exactly `key`.
fn decode(text: &str, key: &str) -> Option<Layers> {
    let mut lines = text.lines();
    if lines.next()? != FORMAT || lines.next()? != key {
        return None;
    }
    let mut layers = Layers::default();
    let mut seen = 0;
    for line in lines {
        let (name, value) = line.split_once('=')?;
        let on = match value {
            "1" => true,
            "0" => false,
            _ if name == "landlock" => false,
            _ => return None,
        };
        match name {
            "user_ns" => layers.user_ns = on,
            "mount_ns" => layers.mount_ns = on,
            "pid_ns" => layers.pid_ns = on,
            "net_ns" => layers.net_ns = on,
            "ipc_ns" => layers.ipc_ns = on,
            "uts_ns" => layers.uts_ns = on,
            "seccomp" => layers.seccomp = on,
            "landlock" => layers.landlock = value.parse().ok().filter(|abi| *abi > 0),
            "no_new_privs" => layers.no_new_privs = on,
            "cgroup" => layers.cgroup = on,
            _ => return None,
        }
        seen += 1;
    }
    // A truncated file is a miss, not a half-known sandbox.
    (seen == 10).then_some(layers)
}

#[cfg(test)]
#[path = "probe_cache_tests.rs"]
mod tests;
