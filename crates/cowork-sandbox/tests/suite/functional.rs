//! What a user expects from a working sandbox.

use std::os::unix::process::ExitStatusExt;

use cowork_sandbox::{Availability, SandboxError, SandboxSpec};
use tempfile::tempdir;

use super::{err, out, run_sh, sh};

#[test]
fn echo_prints_to_stdout() {
    let dir = tempdir().unwrap();
    let output = run_sh("echo hi", dir.path());
    assert!(output.status.success(), "stderr: {}", err(&output));
    assert_eq!(out(&output), "hi\n");
    assert!(!output.timed_out);
}

#[test]
fn exit_codes_are_reported_as_codes() {
    let dir = tempdir().unwrap();
    let output = run_sh("exit 3", dir.path());
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn a_command_killed_by_a_signal_reports_the_signal() {
    let dir = tempdir().unwrap();
    let output = run_sh("kill -TERM $$; sleep 5", dir.path());
    assert_eq!(output.status.signal(), Some(libc::SIGTERM));
    assert!(!output.timed_out);
}

#[test]
fn stdin_is_fed_to_the_command_and_closed() {
    let dir = tempdir().unwrap();
    let mut spec = sh("wc -c; echo done", dir.path());
    spec.stdin = Some(vec![b'x'; 3 << 20]);
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_eq!(out(&output), format!("{}\ndone\n", 3 << 20));
}

#[test]
fn without_stdin_the_command_reads_end_of_file() {
    let dir = tempdir().unwrap();
    let output = run_sh("cat; echo after", dir.path());
    assert_eq!(out(&output), "after\n");
}

#[test]
fn output_beyond_the_cap_is_dropped_and_flagged_without_blocking_the_command() {
    let dir = tempdir().unwrap();
    let mut spec = sh("head -c 5000000 /dev/zero; echo tail >&2", dir.path());
    spec.limits.output_bytes = 1000;
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), 1000);
    assert!(output.stdout_truncated);
    assert_eq!(err(&output), "tail\n");
    assert!(!output.stderr_truncated);
}

#[test]
fn writing_into_a_writable_mount_is_visible_on_the_host() {
    let dir = tempdir().unwrap();
    let output = run_sh(
        "echo made > result.txt && mkdir sub && echo deep > sub/f",
        dir.path(),
    );
    assert!(output.status.success(), "stderr: {}", err(&output));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("result.txt")).unwrap(),
        "made\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub/f")).unwrap(),
        "deep\n"
    );
}

#[test]
fn files_in_a_mount_are_readable_at_their_host_path() {
    let dir = tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), "a,b\n1,2\n").unwrap();
    let script = format!("cat '{}/data.csv'", dir.path().display());
    let output = run_sh(&script, dir.path());
    assert_eq!(out(&output), "a,b\n1,2\n");
}

#[test]
fn python3_and_coreutils_work() {
    let dir = tempdir().unwrap();
    std::fs::write(dir.path().join("n.txt"), "3\n1\n2\n").unwrap();
    let script = "python3 -c 'import json, sqlite3, ssl; print(6 * 7)' && sort n.txt | tr '\\n' ' ' && ls -la /tmp >/dev/null && date +%Y >/dev/null && echo ok";
    let output = run_sh(script, dir.path());
    assert!(output.status.success(), "stderr: {}", err(&output));
    assert_eq!(out(&output), "42\n1 2 3 ok\n");
}

#[test]
fn a_bare_program_name_is_found_on_the_sandbox_path() {
    let dir = tempdir().unwrap();
    let spec = SandboxSpec::new(["printf", "%s-%s", "a b", "c"], dir.path());
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_eq!(out(&output), "a b-c");
}

#[test]
fn a_missing_program_is_a_spawn_error() {
    let dir = tempdir().unwrap();
    let spec = SandboxSpec::new(["no-such-program-xyz"], dir.path());
    match cowork_sandbox::run(&spec) {
        Err(SandboxError::Spawn { program, source }) => {
            assert_eq!(program, "no-such-program-xyz");
            assert_eq!(source.raw_os_error(), Some(libc::ENOENT));
        }
        other => panic!("expected a spawn error, got {other:?}"),
    }
}

#[test]
fn a_cwd_outside_every_mount_is_refused() {
    let dir = tempdir().unwrap();
    let other = tempdir().unwrap();
    let mut spec = sh("true", dir.path());
    spec.cwd = other.path().to_path_buf();
    assert!(matches!(
        cowork_sandbox::run(&spec),
        Err(SandboxError::InvalidSpec { field: "cwd", .. })
    ));
    spec.cwd = dir.path().join("../..");
    assert!(matches!(
        cowork_sandbox::run(&spec),
        Err(SandboxError::InvalidSpec { field: "cwd", .. })
    ));
}

#[test]
fn a_command_without_folders_runs_in_the_sandboxes_own_home() {
    let mut spec =
        cowork_sandbox::SandboxSpec::new(["/bin/sh", "-c", "pwd; echo x > f; cat f"], "/tmp");
    spec.mounts.clear();
    spec.cwd = cowork_sandbox::SANDBOX_HOME.into();
    let out = cowork_sandbox::run(&spec).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\nx\n", cowork_sandbox::SANDBOX_HOME)
    );
    spec.cwd = "/tmp/elsewhere".into();
    assert!(matches!(
        cowork_sandbox::run(&spec),
        Err(SandboxError::InvalidSpec { field: "cwd", .. })
    ));
}

#[test]
fn an_empty_command_or_relative_mount_is_refused() {
    let dir = tempdir().unwrap();
    let mut spec = sh("true", dir.path());
    spec.command.clear();
    assert!(matches!(
        cowork_sandbox::run(&spec),
        Err(SandboxError::InvalidSpec {
            field: "command",
            ..
        })
    ));
    let mut spec = sh("true", dir.path());
    spec.mounts
        .push(cowork_sandbox::Mount::read_only("relative/dir"));
    assert!(matches!(
        cowork_sandbox::run(&spec),
        Err(SandboxError::InvalidSpec {
            field: "mounts",
            ..
        })
    ));
}

#[test]
fn the_working_directory_is_the_requested_one() {
    let dir = tempdir().unwrap();
    std::fs::create_dir(dir.path().join("inner")).unwrap();
    let mut spec = sh("pwd", dir.path());
    spec.cwd = dir.path().join("inner");
    let output = cowork_sandbox::run(&spec).unwrap();
    let expected = std::fs::canonicalize(dir.path().join("inner")).unwrap();
    assert_eq!(out(&output).trim_end(), expected.to_str().unwrap());
}

#[test]
fn the_environment_is_exactly_the_defaults_plus_the_spec() {
    let dir = tempdir().unwrap();
    let mut spec = sh("env | sort", dir.path());
    spec.env = vec![
        ("FOO".into(), "bar baz".into()),
        ("LANG".into(), "C".into()),
    ];
    let output = cowork_sandbox::run(&spec).unwrap();
    let mut lines: Vec<String> = out(&output).lines().map(str::to_owned).collect();
    // The shell adds PWD (and dash nothing else) on its own.
    lines.retain(|l| {
        !l.starts_with("PWD=")
            && !l.starts_with("OLDPWD=")
            && !l.starts_with("SHLVL=")
            && !l.starts_with("_=")
    });
    let mut expected: Vec<String> = cowork_sandbox::DEFAULT_ENV
        .iter()
        .filter(|(k, _)| *k != "LANG")
        .map(|(k, v)| format!("{k}={v}"))
        .chain(["FOO=bar baz".to_owned(), "LANG=C".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
}

#[test]
fn host_environment_values_are_not_inherited() {
    let dir = tempdir().unwrap();
    let inside = out(&run_sh("env", dir.path()));
    assert!(
        inside.lines().any(|l| l == "HOME=/home/sandbox"),
        "{inside}"
    );
    let mut checked = 0;
    for (key, value) in std::env::vars() {
        // A default the sandbox sets itself may coincide with the host's.
        if cowork_sandbox::DEFAULT_ENV
            .iter()
            .any(|(k, v)| *k == key && *v == value)
        {
            continue;
        }
        assert!(
            !inside.lines().any(|l| l == format!("{key}={value}")),
            "{key} leaked into the sandbox"
        );
        checked += 1;
    }
    assert!(
        checked > 0,
        "the test process has no environment to compare against"
    );
}

#[test]
fn the_hostname_is_the_sandbox_s_own() {
    let dir = tempdir().unwrap();
    let output = run_sh("hostname", dir.path());
    assert_eq!(out(&output), "cowork-sandbox\n");
}

#[test]
fn loopback_works_inside_for_the_command_s_own_servers() {
    let dir = tempdir().unwrap();
    let script = "python3 -c \"
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b'ping'); print(a.recv(4).decode())
\"";
    let output = run_sh(script, dir.path());
    assert_eq!(out(&output), "ping\n", "stderr: {}", err(&output));
}

#[test]
fn probe_reports_every_layer() {
    let Availability::Ready(layers) = cowork_sandbox::probe() else {
        panic!("sandbox unavailable: {:?}", cowork_sandbox::probe());
    };
    assert!(layers.user_ns, "{layers:?}");
    assert!(layers.mount_ns, "{layers:?}");
    assert!(layers.pid_ns, "{layers:?}");
    assert!(layers.net_ns, "{layers:?}");
    assert!(layers.ipc_ns, "{layers:?}");
    assert!(layers.uts_ns, "{layers:?}");
    assert!(layers.seccomp, "{layers:?}");
    assert!(layers.no_new_privs, "{layers:?}");
    // SAFETY: LANDLOCK_CREATE_RULESET_VERSION with a null attr only queries.
    let kernel = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    if kernel > 0 {
        assert!(layers.landlock.is_some_and(|abi| abi >= 1), "{layers:?}");
    }
}

#[test]
fn a_long_run_does_not_hold_another_run_s_stdin_open() {
    let slow_dir = tempdir().unwrap();
    let fast_dir = tempdir().unwrap();
    std::thread::scope(|s| {
        let slow = s.spawn(|| run_sh("sleep 8", slow_dir.path()));
        // Let the slow run's processes exist while the fast one starts.
        std::thread::sleep(std::time::Duration::from_millis(200));
        for _ in 0..5 {
            let mut spec = sh("cat", fast_dir.path());
            spec.stdin = Some(b"x".to_vec());
            let output = cowork_sandbox::run(&spec).unwrap();
            assert_eq!(out(&output), "x");
            assert!(
                output.duration < std::time::Duration::from_secs(4),
                "{:?}",
                output.duration
            );
        }
        assert!(slow.join().unwrap().status.success());
    });
}
