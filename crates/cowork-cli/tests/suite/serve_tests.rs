//! `cowork serve --install / --uninstall / --link`, without systemd: the
//! unit goes to a temp dir and a fake systemctl records what it was asked.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::harness::{Env, stderr};

/// A `systemctl` that appends its arguments to `calls.log`, failing when
/// `fail` is set.
fn fake_systemctl(dir: &Path, fail: bool) -> PathBuf {
    let script = dir.join("systemctl");
    let log = dir.join("calls.log");
    let exit = if fail {
        "echo 'Unit cowork.service failed' >&2; exit 1"
    } else {
        "exit 0"
    };
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n{exit}\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn out(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn install_writes_the_unit_enables_it_and_explains_linger() {
    let env = Env::new();
    let tools = tempfile::tempdir().unwrap();
    let units = tempfile::tempdir().unwrap();
    let systemctl = fake_systemctl(tools.path(), false);
    let output = env
        .cowork()
        .env("COWORK_SYSTEMCTL", &systemctl)
        .args(["serve", "--install", "--port", "5000", "--unit-dir"])
        .arg(units.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let unit = std::fs::read_to_string(units.path().join("cowork.service")).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("cowork")
        .canonicalize()
        .unwrap();
    assert!(
        unit.contains(&format!(
            "\nExecStart={} serve --port 5000\n",
            exe.display()
        )),
        "{unit}"
    );
    assert!(unit.contains("\nRestart=on-failure\n"));
    assert!(unit.contains("\nWantedBy=default.target\n"));
    assert!(
        unit.contains(&format!("COWORK_HOME={}", env.home.path().display())),
        "{unit}"
    );
    assert_eq!(
        calls(tools.path()),
        ["--user daemon-reload", "--user enable --now cowork.service"]
    );
    let said = out(&output);
    assert!(said.contains("loginctl enable-linger"), "{said}");
    assert!(said.contains("ANTHROPIC_API_KEY"), "{said}");
}

#[test]
fn install_dry_run_prints_the_unit_and_the_steps_and_changes_nothing() {
    let env = Env::new();
    let tools = tempfile::tempdir().unwrap();
    let units = tempfile::tempdir().unwrap();
    let systemctl = fake_systemctl(tools.path(), false);
    let output = env
        .cowork()
        .env("COWORK_SYSTEMCTL", &systemctl)
        .args(["serve", "--install", "--dry-run", "--unit-dir"])
        .arg(units.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let said = out(&output);
    assert!(said.contains("[Service]"), "{said}");
    assert!(
        said.contains("Would run: systemctl --user enable --now cowork.service"),
        "{said}"
    );
    assert!(!units.path().join("cowork.service").exists());
    assert!(calls(tools.path()).is_empty());
}

#[test]
fn install_without_systemctl_writes_the_unit_and_prints_the_manual_steps() {
    let env = Env::new();
    let units = tempfile::tempdir().unwrap();
    let output = env
        .cowork()
        .env("COWORK_SYSTEMCTL", units.path().join("no-such-systemctl"))
        .args(["serve", "--install", "--unit-dir"])
        .arg(units.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(units.path().join("cowork.service").exists());
    let said = out(&output);
    assert!(said.contains("No systemctl here"), "{said}");
    assert!(
        said.contains("systemctl --user enable --now cowork.service"),
        "{said}"
    );
}

#[test]
fn failing_systemctl_is_an_error_with_its_message() {
    let env = Env::new();
    let tools = tempfile::tempdir().unwrap();
    let units = tempfile::tempdir().unwrap();
    let systemctl = fake_systemctl(tools.path(), true);
    let output = env
        .cowork()
        .env("COWORK_SYSTEMCTL", &systemctl)
        .args(["serve", "--install", "--unit-dir"])
        .arg(units.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(
        said.contains("`systemctl --user daemon-reload` failed"),
        "{said}"
    );
    assert!(said.contains("Unit cowork.service failed"), "{said}");
}

#[test]
fn uninstall_stops_the_service_and_removes_the_unit() {
    let env = Env::new();
    let tools = tempfile::tempdir().unwrap();
    let units = tempfile::tempdir().unwrap();
    let systemctl = fake_systemctl(tools.path(), false);
    std::fs::write(units.path().join("cowork.service"), "[Unit]\n").unwrap();
    let output = env
        .cowork()
        .env("COWORK_SYSTEMCTL", &systemctl)
        .args(["serve", "--uninstall", "--unit-dir"])
        .arg(units.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!units.path().join("cowork.service").exists());
    assert_eq!(
        calls(tools.path()),
        [
            "--user disable --now cowork.service",
            "--user daemon-reload"
        ]
    );
    // Again: nothing to remove, and systemctl is not asked.
    let again = env
        .cowork()
        .env("COWORK_SYSTEMCTL", &systemctl)
        .args(["serve", "--uninstall", "--unit-dir"])
        .arg(units.path())
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(out(&again).contains("nothing to remove"));
    assert_eq!(calls(tools.path()).len(), 2);
}

#[test]
fn link_without_a_running_daemon_says_how_to_start_one() {
    let env = Env::new();
    let output = env.cowork().args(["serve", "--link"]).output().unwrap();
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("no cowork daemon runs"), "{said}");
    assert!(said.contains("cowork serve"), "{said}");
}

#[test]
fn link_prints_the_running_daemons_sign_in_link() {
    let env = Env::new();
    // This test process stands in for the daemon: its pid is alive.
    let info = serde_json::json!({
        "url": "http://127.0.0.1:4680/",
        "port": 4680,
        "token": "ab12",
        "pid": std::process::id(),
    });
    std::fs::create_dir_all(env.home.path()).unwrap();
    std::fs::write(env.home.path().join("server.json"), info.to_string()).unwrap();
    let output = env.cowork().args(["serve", "--link"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(out(&output), "http://127.0.0.1:4680/?token=ab12\n");
}

#[test]
fn open_cannot_go_with_install() {
    let env = Env::new();
    let output = env
        .cowork()
        .args(["serve", "--install", "--open"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn second_daemon_is_refused_before_it_opens_the_store_and_names_the_running_pid() {
    let env = Env::new();
    // This test process holds the data dir's lock, as a running daemon does.
    let _running = cowork_server::DaemonLock::acquire(env.home.path()).unwrap();
    let output = env
        .cowork()
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(
        said.contains(&format!("already runs for {}", env.home.path().display())),
        "{said}"
    );
    assert!(
        said.contains(&format!("pid {}", std::process::id())),
        "{said}"
    );
    assert!(said.contains("cowork serve --link"), "{said}");
    assert!(
        !env.home.path().join("cowork.db").exists(),
        "refused before touching the store"
    );
}
