//! `probe()`: run a tiny command in a real sandbox and report what was
//! observed from inside, not what was asked for.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::SandboxError;
use crate::spec::{Availability, Layers, Mount, SandboxSpec};

const NAMESPACES: &[&str] = &["user", "mnt", "pid", "net", "ipc", "uts"];

const SCRIPT: &str = "readlink /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/pid \
     /proc/self/ns/net /proc/self/ns/ipc /proc/self/ns/uts; \
     echo '--status'; cat /proc/self/status; \
     echo '--uid_map'; cat /proc/self/uid_map; \
     echo '--net'; cat /proc/net/dev; \
     echo '--pids'; ls /proc";

/// Runs a probe command and reports the layers seen from inside.
pub(crate) fn probe() -> Availability {
    match try_probe() {
        Ok(layers) => Availability::Ready(layers),
        Err(SandboxError::Unavailable { cause, fix }) => Availability::Unavailable { cause, fix },
        Err(e @ (SandboxError::InvalidSpec { .. }
        | SandboxError::Spawn { .. }
        | SandboxError::Setup { .. }
        | SandboxError::Staging { .. }
        | SandboxError::Io { .. })) => Availability::Unavailable {
            cause: e.to_string(),
            fix: "report this at https://github.com/cowork-dev/cowork/issues, or run commands without isolation with --sandbox none".to_owned(),
        },
    }
}

/// A scratch folder for the probe's working directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn try_probe() -> Result<Layers, SandboxError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cowork-sandbox-probe-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(SandboxError::io("creating the probe's folder"))?;
    let scratch = Scratch(dir);
    let mut spec = SandboxSpec::new(
        [OsString::from("/bin/sh"), "-c".into(), SCRIPT.into()],
        &scratch.0,
    );
    spec.mounts = vec![Mount::read_only(&scratch.0)];
    let (output, observed) = crate::supervise::run(&spec, &AtomicBool::new(false))?;
    if !output.status.success() {
        return Err(SandboxError::Setup {
            step: "probe command".to_owned(),
            message: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut layers = parse(&text, &host_namespaces());
    layers.landlock = observed.landlock;
    layers.cgroup = observed.cgroup;
    Ok(layers)
}

fn host_namespaces() -> Vec<String> {
    NAMESPACES
        .iter()
        .map(|ns| {
            std::fs::read_link(format!("/proc/self/ns/{ns}"))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        })
        .collect()
}

/// Reads the probe's output; `host` holds the host's namespace links in
/// `NAMESPACES` order.
fn parse(text: &str, host: &[String]) -> Layers {
    let section = |name: &str| -> Vec<&str> {
        text.lines()
            .skip_while(|l| *l != name)
            .skip(1)
            .take_while(|l| !l.starts_with("--"))
            .collect()
    };
    let inside: Vec<&str> = text.lines().take_while(|l| !l.starts_with("--")).collect();
    let differs = |i: usize| match (inside.get(i), host.get(i)) {
        (Some(inner), Some(outer)) => !inner.is_empty() && !outer.is_empty() && inner != outer,
        _ => false,
    };
    let status = section("--status");
    let field = |name: &str| {
        status
            .iter()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    // The host's initial namespace maps the whole id range.
    let partial_map = section("--uid_map")
        .iter()
        .all(|l| !l.contains("4294967295"));
    let interfaces: Vec<&str> = section("--net")
        .iter()
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim()))
        .collect();
    let pids = section("--pids")
        .iter()
        .filter(|l| l.bytes().all(|b| b.is_ascii_digit()))
        .count();
    Layers {
        user_ns: differs(0) && partial_map,
        mount_ns: differs(1),
        // init, the shell and `ls`, plus a little slack.
        pid_ns: differs(2) && pids <= 5,
        net_ns: differs(3) && interfaces.iter().all(|name| *name == "lo"),
        ipc_ns: differs(4),
        uts_ns: differs(5),
        seccomp: field("Seccomp:") == "2",
        landlock: None,
        no_new_privs: field("NoNewPrivs:") == "1",
        cgroup: false,
    }
}

/// Explains a failure to create or use the user namespace, with the fix.
pub(crate) fn userns_diagnosis(error: &std::io::Error) -> (String, String) {
    let sysctl = |name: &str| {
        std::fs::read_to_string(format!("/proc/sys/{name}"))
            .map(|v| v.trim().to_owned())
            .ok()
    };
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/usr/local/bin/cowork".to_owned());
    diagnose(&sysctl, error, &exe)
}

/// Whether a setup step's failure is AppArmor's doing: on Ubuntu 23.10+
/// the namespace is created, but without the capabilities to use it, so
/// the first mount fails with EPERM rather than `unshare`.
pub(crate) fn apparmor_blocks_userns(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EPERM | libc::EACCES))
        && std::fs::read_to_string("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
            .is_ok_and(|v| v.trim() == "1")
}

fn diagnose(
    sysctl: &dyn Fn(&str) -> Option<String>,
    error: &std::io::Error,
    exe: &str,
) -> (String, String) {
    let none = "or run commands without isolation with --sandbox none";
    if sysctl("kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        return (
            "AppArmor blocks unprivileged user namespaces \
             (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10 and later)"
                .to_owned(),
            format!(
                "allow cowork alone with an AppArmor profile: printf 'abi <abi/4.0>,\\ninclude \
                 <tunables/global>\\nprofile cowork {exe} flags=(unconfined) {{\\n  userns,\\n}}\\n' \
                 | sudo tee /etc/apparmor.d/cowork && sudo apparmor_parser -r \
                 /etc/apparmor.d/cowork (or for every program: sudo sysctl -w \
                 kernel.apparmor_restrict_unprivileged_userns=0), {none}"
            ),
        );
    }
    if sysctl("kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        return (
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
                .to_owned(),
            format!("sudo sysctl -w kernel.unprivileged_userns_clone=1, {none}"),
        );
    }
    if sysctl("user/max_user_namespaces").as_deref() == Some("0") {
        return (
            "user namespaces are disabled (user.max_user_namespaces=0)".to_owned(),
            format!("sudo sysctl -w user.max_user_namespaces=15000, {none}"),
        );
    }
    (
        format!("cannot create a user namespace: {error}"),
        format!(
            "inside a container, allow namespaces (e.g. docker --security-opt seccomp=unconfined), {none}"
        ),
    )
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
