//! Escape attempts: each must fail to reach outside the sandbox. They run as
//! root here and in CI; root inside the user namespace must stay confined.

use std::net::TcpListener;
use std::path::Path;

use tempfile::{TempDir, tempdir};

use super::{err, out, run_sh, sh_read_only};

/// A folder outside every mount holding a secret, like cowork's data dir.
fn secret_dir() -> (TempDir, String) {
    let dir = tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET-TOKEN").unwrap();
    let path = std::fs::canonicalize(dir.path().join("secret.txt")).unwrap();
    (dir, path.display().to_string())
}

fn assert_not_leaked(script: &str, work: &Path) {
    let output = run_sh(script, work);
    assert!(
        !out(&output).contains("TOP-SECRET"),
        "escaped with {script}: {}",
        out(&output)
    );
    assert!(
        !err(&output).contains("TOP-SECRET"),
        "escaped with {script}: {}",
        err(&output)
    );
}

#[test]
fn a_folder_outside_the_mounts_is_invisible_by_absolute_path() {
    let work = tempdir().unwrap();
    let (secret, path) = secret_dir();
    assert_not_leaked(
        &format!("cat '{path}'; ls -la '{}'", secret.path().display()),
        work.path(),
    );
}

#[test]
fn dot_dot_from_a_mount_does_not_reach_its_host_siblings() {
    let work = tempdir().unwrap();
    let (secret, _) = secret_dir();
    let name = secret
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_not_leaked(
        &format!("cat ../{name}/secret.txt ../../{name}/secret.txt; ls .. ../.."),
        work.path(),
    );
    let listing = out(&run_sh("ls -a ..", work.path()));
    assert!(!listing.contains(&name), "sibling visible: {listing}");
}

#[test]
fn a_symlink_planted_in_a_mount_does_not_lead_out() {
    let work = tempdir().unwrap();
    let (secret, path) = secret_dir();
    std::os::unix::fs::symlink(&path, work.path().join("link")).unwrap();
    std::os::unix::fs::symlink(secret.path(), work.path().join("dirlink")).unwrap();
    assert_not_leaked("cat link; cat dirlink/secret.txt; ls dirlink", work.path());
}

#[test]
fn proc_root_and_cwd_links_do_not_lead_to_the_host() {
    let work = tempdir().unwrap();
    let (_secret, path) = secret_dir();
    let script = format!(
        "cat /proc/self/root{path} /proc/1/root{path} /proc/1/cwd{path}; \
         for p in /proc/[0-9]*; do cat $p/root{path} $p/cwd/../../..{path}; done"
    );
    assert_not_leaked(&script, work.path());
}

#[test]
fn the_host_home_root_and_shadow_are_invisible() {
    let work = tempdir().unwrap();
    let output = run_sh(
        "ls -A /root 2>&1; ls -A /home; ls /etc/shadow /etc/ssh /etc/sudoers /etc/ssl/private 2>&1; true",
        work.path(),
    );
    let text = out(&output);
    assert!(text.contains("cannot access '/root'"), "{text}");
    assert!(text.lines().any(|l| l == "sandbox"), "{text}");
    for hidden in [
        "/etc/shadow",
        "/etc/ssh",
        "/etc/sudoers",
        "/etc/ssl/private",
    ] {
        assert!(
            text.contains(&format!("cannot access '{hidden}'")),
            "{hidden} visible: {text}"
        );
    }
}

#[test]
fn writing_to_a_read_only_mount_fails_and_leaves_the_host_file_alone() {
    let work = tempdir().unwrap();
    std::fs::write(work.path().join("keep.txt"), "original").unwrap();
    let spec = sh_read_only(
        "echo changed > keep.txt; rm -f keep.txt; touch new.txt; cat keep.txt",
        work.path(),
    );
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_eq!(out(&output), "original");
    assert!(
        err(&output).contains("Read-only file system"),
        "{}",
        err(&output)
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("keep.txt")).unwrap(),
        "original"
    );
    assert!(!work.path().join("new.txt").exists());
}

#[test]
fn remounting_a_read_only_mount_writable_fails() {
    let work = tempdir().unwrap();
    let spec = sh_read_only("mount -o remount,rw . && echo pwned > x", work.path());
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(!output.status.success());
    assert!(!work.path().join("x").exists());
}

#[test]
fn the_system_directories_are_read_only() {
    let work = tempdir().unwrap();
    let output = run_sh(
        "touch /usr/pwned /etc/pwned /pwned /bin/pwned 2>&1; ls /usr/pwned",
        work.path(),
    );
    assert!(!output.status.success());
    assert!(!Path::new("/usr/pwned").exists() && !Path::new("/etc/pwned").exists());
}

#[test]
fn a_host_port_on_loopback_is_unreachable() {
    let work = tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "python3 -c \"
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=5); print('CONNECTED')
except OSError as e:
    print('refused', e)
\"; bash -c 'echo hi > /dev/tcp/127.0.0.1/{port} && echo CONNECTED' 2>/dev/null; true"
    );
    let output = run_sh(&script, work.path());
    assert!(!out(&output).contains("CONNECTED"), "{}", out(&output));
    assert!(
        out(&output).contains("refused"),
        "{} {}",
        out(&output),
        err(&output)
    );
}

#[test]
fn a_host_unix_socket_in_a_connected_folder_cannot_be_reached() {
    let work = tempdir().unwrap();
    let path = work.path().join("agent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let script = "python3 -c \"
import socket
try:
    s = socket.socket(socket.AF_UNIX); s.connect('agent.sock'); print('CONNECTED')
except OSError as e:
    print('refused', e)
a, b = socket.socketpair(); a.send(b'x'); print('pair', b.recv(1))
\"";
    let output = run_sh(script, work.path());
    let text = out(&output);
    assert!(!text.contains("CONNECTED"), "{text}");
    assert!(text.contains("refused"), "{text} {}", err(&output));
    assert!(text.contains("pair b'x'"), "socketpair still works: {text}");
    assert!(listener.accept().is_err(), "nothing connected");
}

#[test]
fn the_outside_network_dns_and_ipv6_are_unreachable() {
    let work = tempdir().unwrap();
    let script = "python3 -c \"
import socket
for target in [('1.1.1.1', 53), ('8.8.8.8', 443)]:
    try:
        socket.create_connection(target, timeout=3); print('CONNECTED', target)
    except OSError: pass
try:
    socket.getaddrinfo('example.com', 443); print('RESOLVED')
except OSError: pass
try:
    s = socket.socket(socket.AF_INET6); s.settimeout(3); s.connect(('2606:4700:4700::1111', 53)); print('CONNECTED6')
except OSError: pass
print('done')
\"; ip -o link 2>/dev/null; cat /proc/net/dev";
    let output = run_sh(script, work.path());
    let text = out(&output);
    assert!(text.contains("done"), "{text} {}", err(&output));
    assert!(
        !text.contains("CONNECTED") && !text.contains("RESOLVED"),
        "{text}"
    );
    assert!(
        !text.contains("eth") && !text.contains("ens"),
        "host interfaces visible: {text}"
    );
}

#[test]
fn ptrace_is_refused() {
    let work = tempdir().unwrap();
    let script = "sleep 30 & python3 -c \"
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
print('attach', libc.ptrace(16, pid, 0, 0), ctypes.get_errno())
print('traceme', libc.ptrace(0, 0, 0, 0), ctypes.get_errno())
\" $!; kill $!";
    let output = run_sh(script, work.path());
    assert_eq!(
        out(&output),
        "attach -1 1\ntraceme -1 1\n",
        "{}",
        err(&output)
    );
}

#[test]
fn mounting_and_new_namespaces_are_refused() {
    let work = tempdir().unwrap();
    let script = "mkdir m; mount -t tmpfs none m && echo MOUNTED; \
         unshare -U true && echo UNSHARED; unshare -r -m true && echo UNSHARED; \
         python3 -c \"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print('unshare', libc.unshare(0x10000000), ctypes.get_errno())
print('chroot', libc.chroot(b'/tmp'), ctypes.get_errno())
\"";
    let output = run_sh(script, work.path());
    let text = out(&output);
    assert!(
        !text.contains("MOUNTED") && !text.contains("UNSHARED"),
        "{text}"
    );
    assert!(
        text.contains("unshare -1 1\nchroot -1 1"),
        "{text} {}",
        err(&output)
    );
}

#[test]
fn device_nodes_cannot_be_created() {
    let work = tempdir().unwrap();
    let output = run_sh(
        "mknod mem c 1 1 && echo MADE; mknod /tmp/sda b 8 0 && echo MADE; true",
        work.path(),
    );
    assert!(!out(&output).contains("MADE"), "{}", out(&output));
    assert!(!work.path().join("mem").exists());
}

#[test]
fn setuid_binaries_gain_nothing_under_no_new_privs() {
    let work = tempdir().unwrap();
    let output = run_sh(
        "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; grep ' /usr ' /proc/self/mounts",
        work.path(),
    );
    let text = out(&output);
    assert!(text.contains("NoNewPrivs:\t1"), "{text}");
    assert!(text.contains("Seccomp:\t2"), "{text}");
    let usr = text
        .lines()
        .find(|l| l.contains(" /usr "))
        .unwrap_or_default();
    assert!(usr.contains("ro") && usr.contains("nosuid"), "{text}");
}

#[test]
fn host_processes_are_invisible() {
    let work = tempdir().unwrap();
    let output = run_sh(
        "ls /proc | grep -c '^[0-9]'; ps -e -o pid=,comm=",
        work.path(),
    );
    let text = out(&output);
    let count: usize = text.lines().next().unwrap().trim().parse().unwrap();
    // init, sh, ls and grep at most.
    assert!(count <= 5, "{text}");
    assert!(!text.contains("cargo") && !text.contains("all-"), "{text}");
}

#[test]
fn signals_cannot_reach_host_processes() {
    let work = tempdir().unwrap();
    let me = std::process::id();
    let output = run_sh(
        &format!("kill -0 {me} && echo REACHED; kill -0 1 && echo init-is-ours"),
        work.path(),
    );
    assert!(!out(&output).contains("REACHED"), "{}", out(&output));
}

#[test]
fn landlock_refuses_what_the_mounts_alone_would_allow() {
    // SAFETY: LANDLOCK_CREATE_RULESET_VERSION with a null attr only queries.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    if abi <= 0 {
        return; // No Landlock in this kernel: the mount namespace is the only wall.
    }
    let work = tempdir().unwrap();
    // /dev is a private writable tmpfs, so only Landlock stands in the way.
    let output = run_sh(
        "touch /dev/planted && echo PLANTED; mkdir /dev/dir && echo PLANTED; true",
        work.path(),
    );
    assert!(!out(&output).contains("PLANTED"), "{}", out(&output));
    assert!(
        err(&output).contains("Permission denied"),
        "{}",
        err(&output)
    );
}

#[test]
fn every_mount_but_the_writable_ones_is_read_only_and_nosuid() {
    let work = tempdir().unwrap();
    let output = run_sh("cat /proc/self/mounts", work.path());
    let mounts = out(&output);
    let writable = ["/tmp", "/home/sandbox", "/dev/shm", "/proc", "/dev"];
    let here = std::fs::canonicalize(work.path()).unwrap();
    for line in mounts.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (target, options) = (fields[1], fields[3]);
        let options: Vec<&str> = options.split(',').collect();
        let is_device = target.starts_with("/dev/") && target != "/dev/shm";
        if !is_device {
            assert!(options.contains(&"nosuid"), "{line}");
        }
        if writable.contains(&target) || Path::new(target) == here || is_device {
            continue;
        }
        assert!(options.contains(&"ro"), "writable mount: {line}");
    }
    assert!(
        mounts.lines().any(|l| l.contains(" /etc/passwd ")),
        "{mounts}"
    );
}

/// Regression (security review, defect 6): in a folder a command writes
/// directly (`cowork exec --folder`), `chmod 6755` left a setuid-root
/// program on the host. Every way of setting the bits is refused: chmod,
/// creating with a setuid mode, a setgid folder, and file capabilities.
#[test]
fn a_command_cannot_leave_a_setuid_setgid_or_capable_file_in_a_folder() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempdir().unwrap();
    let script = "cp /bin/true tool; chmod 6755 tool; chmod u+s tool; chmod g+s tool; \
        mkdir -m 2755 shared; \
        python3 -c \"import os; os.close(os.open('made', os.O_CREAT | os.O_WRONLY, 0o4755))\"; \
        python3 -c \"import os; os.setxattr('tool', 'security.capability', b'\\x01\\x00\\x00\\x02' + bytes(16))\"; \
        stat -c '%a %n' tool; true";
    let output = run_sh(script, work.path());
    let text = err(&output);
    assert!(text.contains("Operation not permitted"), "{text}");
    for name in ["tool", "made", "shared"] {
        let path = work.path().join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(
                meta.permissions().mode() & 0o7000,
                0,
                "{name} got special bits: {:o}",
                meta.permissions().mode()
            );
        }
    }
    assert!(
        std::fs::symlink_metadata(work.path().join("tool")).is_ok(),
        "the plain copy itself is allowed"
    );
    let caps = std::process::Command::new("getfattr")
        .args(["-n", "security.capability"])
        .arg(work.path().join("tool"))
        .output();
    if let Ok(caps) = caps {
        assert!(!caps.status.success(), "tool got file capabilities");
    }
}
