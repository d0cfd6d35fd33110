//! Limits: time, processes, memory, disk, and no survivors.

use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tempfile::tempdir;

use super::{err, out, sh};

/// Host processes whose command line contains `marker`.
fn host_processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

/// A marker unlikely to appear in any other process on the machine.
fn marker() -> String {
    format!(
        "{}.{}",
        900_000 + std::process::id() % 90_000,
        fastrand_ish()
    )
}

fn fastrand_ish() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos % 1_000_000 + 1
}

#[test]
fn background_processes_are_killed_when_the_command_exits() {
    let work = tempdir().unwrap();
    let mark = marker();
    let output = cowork_sandbox::run(&sh(
        &format!("sleep {mark} & (sleep {mark} &) ; echo started"),
        work.path(),
    ))
    .unwrap();
    assert_eq!(out(&output), "started\n");
    assert!(output.duration < Duration::from_secs(30));
    assert_eq!(host_processes_with(&mark), Vec::<String>::new());
}

#[test]
fn the_wall_clock_limit_kills_the_whole_tree() {
    let work = tempdir().unwrap();
    let mark = marker();
    let mut spec = sh(
        &format!("sleep {mark} & echo partial; sleep {mark}"),
        work.path(),
    );
    spec.limits.wall = Duration::from_secs(1);
    let start = Instant::now();
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(output.timed_out);
    assert_eq!(output.status.signal(), Some(libc::SIGKILL));
    assert_eq!(out(&output), "partial\n");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(host_processes_with(&mark), Vec::<String>::new());
}

#[test]
fn cancellation_kills_the_run() {
    let work = tempdir().unwrap();
    let mark = marker();
    let spec = sh(&format!("sleep {mark}"), work.path());
    let cancel = AtomicBool::new(false);
    let start = Instant::now();
    let output = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            cancel.store(true, Ordering::Relaxed);
        });
        cowork_sandbox::run_cancellable(&spec, &cancel).unwrap()
    });
    assert!(output.timed_out);
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(host_processes_with(&mark), Vec::<String>::new());
}

#[test]
fn a_fork_bomb_hits_the_process_limit_and_the_run_returns() {
    let work = tempdir().unwrap();
    let mark = marker();
    let mut spec = sh(
        &format!("b() {{ b | b & }}; b; sleep 2; echo {mark}-survived"),
        work.path(),
    );
    spec.limits.processes = Some(64);
    spec.limits.wall = Duration::from_secs(10);
    let start = Instant::now();
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(
        err(&output).contains("fork") || err(&output).contains("Resource") || output.timed_out,
        "{}",
        err(&output)
    );
    assert_eq!(host_processes_with(&mark), Vec::<String>::new());
}

#[test]
fn a_memory_bomb_is_stopped() {
    let work = tempdir().unwrap();
    let mut spec = sh(
        "python3 -c 'a = b\"x\" * (10 * 1024**3); print(\"ALLOCATED\")'",
        work.path(),
    );
    spec.limits.memory_bytes = Some(512 << 20);
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(!output.status.success());
    assert!(!out(&output).contains("ALLOCATED"));
}

#[test]
fn filling_tmp_stops_at_the_tmpfs_cap() {
    let work = tempdir().unwrap();
    let mut spec = sh(
        "head -c 700M /dev/zero > /tmp/big; echo rc=$?; du -m /tmp/big | cut -f1",
        work.path(),
    );
    spec.limits.memory_bytes = Some(2 << 30);
    let output = cowork_sandbox::run(&spec).unwrap();
    let text = out(&output);
    assert!(text.starts_with("rc=1\n"), "{text} {}", err(&output));
    assert!(err(&output).contains("No space left"), "{}", err(&output));
    let mib: u64 = text.lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(mib <= 512, "{text}");
}

#[test]
fn the_cpu_limit_stops_a_busy_loop() {
    let work = tempdir().unwrap();
    let mut spec = sh("while :; do :; done", work.path());
    spec.limits.cpu = Some(Duration::from_secs(1));
    spec.limits.wall = Duration::from_secs(60);
    let output = cowork_sandbox::run(&spec).unwrap();
    assert!(!output.timed_out);
    assert!(
        matches!(output.status.signal(), Some(libc::SIGXCPU | libc::SIGKILL)),
        "{:?}",
        output.status
    );
}

#[test]
fn when_a_cgroup_is_reported_the_command_runs_inside_its_own() {
    let cowork_sandbox::Availability::Ready(layers) = cowork_sandbox::probe() else {
        panic!("sandbox unavailable");
    };
    let work = tempdir().unwrap();
    let output = cowork_sandbox::run(&sh("cat /proc/self/cgroup", work.path())).unwrap();
    let inside = out(&output);
    assert_eq!(
        layers.cgroup,
        inside.contains("cowork-sandbox-"),
        "{layers:?} {inside}"
    );
}

#[test]
fn writing_a_file_beyond_the_file_size_limit_fails_and_is_reported() {
    // Regression: nothing capped the size of one file a command wrote.
    let work = tempdir().unwrap();
    for sandboxed in [true, false] {
        let mut spec = sh(
            "head -c 3000000 /dev/zero > big.bin; echo status $?",
            work.path(),
        );
        spec.limits.file_bytes = Some(1 << 20);
        let output = if sandboxed {
            cowork_sandbox::run(&spec).unwrap()
        } else {
            cowork_sandbox::run_unsandboxed(&spec, &AtomicBool::new(false)).unwrap()
        };
        let size = std::fs::metadata(work.path().join("big.bin"))
            .unwrap()
            .len();
        assert!(
            size <= 1 << 20,
            "sandboxed={sandboxed}: {size} bytes written"
        );
        assert!(
            output.file_size_limit_hit(),
            "sandboxed={sandboxed}: {} / {}",
            out(&output),
            err(&output)
        );
        std::fs::remove_file(work.path().join("big.bin")).unwrap();
    }
}

#[test]
fn a_run_within_the_file_size_limit_is_not_flagged() {
    let work = tempdir().unwrap();
    let mut spec = sh("head -c 1000 /dev/zero > small.bin && echo ok", work.path());
    spec.limits.file_bytes = Some(1 << 20);
    let output = cowork_sandbox::run(&spec).unwrap();
    assert_eq!(out(&output), "ok\n");
    assert!(!output.file_size_limit_hit());
}

#[test]
fn the_output_says_whether_memory_was_capped_per_run_or_per_process() {
    // Regression: without a cgroup the "whole run" memory limit was only
    // per process, and nothing said so.
    let work = tempdir().unwrap();
    let output = cowork_sandbox::run(&sh("true", work.path())).unwrap();
    let cowork_sandbox::Availability::Ready(layers) = cowork_sandbox::probe() else {
        panic!("sandbox unavailable");
    };
    let expected = if layers.cgroup {
        cowork_sandbox::MemoryScope::WholeRun
    } else {
        cowork_sandbox::MemoryScope::PerProcess
    };
    assert_eq!(output.memory_scope, expected);
    let unconfined =
        cowork_sandbox::run_unsandboxed(&sh("true", work.path()), &AtomicBool::new(false)).unwrap();
    assert_eq!(
        unconfined.memory_scope,
        cowork_sandbox::MemoryScope::PerProcess
    );
    let mut unlimited = sh("true", work.path());
    unlimited.limits.memory_bytes = None;
    let output = cowork_sandbox::run(&unlimited).unwrap();
    assert_eq!(output.memory_scope, cowork_sandbox::MemoryScope::Unlimited);
}
