//! `run_unsandboxed`: no isolation, but the limits and the clean
//! environment still hold.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cowork_sandbox::{SandboxSpec, run_unsandboxed};
use tempfile::tempdir;

use super::{err, out, sh};

fn run(spec: &cowork_sandbox::SandboxSpec) -> cowork_sandbox::Output {
    run_unsandboxed(spec, &AtomicBool::new(false)).unwrap()
}

#[test]
fn the_exit_code_output_and_cwd_come_through() {
    let dir = tempdir().unwrap();
    let output = run(&sh("pwd; echo err >&2; exit 4", dir.path()));
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(out(&output).trim(), dir.path().to_str().unwrap());
    assert_eq!(err(&output), "err\n");
}

#[test]
fn only_a_few_host_variables_reach_the_command() {
    let dir = tempdir().unwrap();
    let mut spec = sh("env", dir.path());
    spec.env.push(("EXTRA".into(), "1".into()));
    let output = run(&spec);
    let allowed = [
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "TZ", "TMPDIR", "EXTRA", "PWD", "SHLVL",
        "_",
    ];
    for line in out(&output).lines() {
        let key = line.split('=').next().unwrap();
        assert!(allowed.contains(&key), "leaked: {line}");
    }
    assert!(out(&output).contains("EXTRA=1"));
}

#[test]
fn a_timeout_kills_the_command_and_what_it_started_in_the_background() {
    let dir = tempdir().unwrap();
    let marker = dir.path().join("still-running");
    let mut spec = sh(
        &format!("(sleep 2; touch '{}') & sleep 30", marker.display()),
        dir.path(),
    );
    spec.limits.wall = Duration::from_millis(300);
    let started = Instant::now();
    let output = run(&spec);
    assert!(output.timed_out);
    assert!(started.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!marker.exists(), "a background process outlived the run");
}

#[test]
fn output_beyond_the_cap_is_dropped_and_flagged() {
    let dir = tempdir().unwrap();
    let mut spec = sh("head -c 300000 /dev/zero", dir.path());
    spec.limits.output_bytes = 1000;
    let output = run(&spec);
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), 1000);
    assert!(output.stdout_truncated);
}

#[test]
fn stdin_is_fed_and_a_missing_program_is_a_spawn_error() {
    let dir = tempdir().unwrap();
    let mut spec = sh("wc -c", dir.path());
    spec.stdin = Some(vec![b'x'; 100_000]);
    assert_eq!(out(&run(&spec)).trim(), "100000");
    let missing = cowork_sandbox::SandboxSpec::new(["no-such-program-xyz"], dir.path());
    let error = run_unsandboxed(&missing, &AtomicBool::new(false)).unwrap_err();
    assert!(error.to_string().contains("no-such-program-xyz"), "{error}");
}

#[test]
fn the_unsandboxed_runner_notices_the_exit_without_polling_sleeps() {
    // Regression: the runner polled with wait4(WNOHANG) and 10 ms sleeps,
    // and joined its output readers the same way, so even `true` took
    // 10-20 ms. Waiting on a pidfd, the best of several runs of `true`
    // costs little more than fork + exec.
    let dir = tempdir().unwrap();
    let spec = SandboxSpec::new(["true"], dir.path());
    let best = (0..10).map(|_| run(&spec).duration).min().unwrap();
    assert!(best < Duration::from_millis(8), "best of 10: {best:?}");
}
