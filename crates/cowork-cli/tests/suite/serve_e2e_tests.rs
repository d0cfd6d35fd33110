//! The CLI through the real daemon: `cowork serve` in the test's data
//! dir, tasks on the scripted model. `run` goes through it; a CLI closed
//! with SIGHUP mid-task leaves the task to finish and `attach` shows the
//! rest; `--detach`; `reply`; Ctrl-C; an approval answered at a terminal.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::daemon_tests::{on_a_terminal, signal, spawn_following, wait};
use super::harness::{Env, stderr, stdout, write_script};

/// A `cowork serve` of the test's data dir, stopped when dropped.
struct Serve {
    child: Child,
}

impl Serve {
    fn start(env: &Env) -> Self {
        let child = Command::new(assert_cmd::cargo::cargo_bin("cowork"))
            .env("COWORK_HOME", env.home.path())
            .env("COWORK_CONFIG", env.home.path().join("config.toml"))
            .args(["serve", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = env.home.path().join("server.json");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server.exists() {
            assert!(
                Instant::now() < deadline,
                "cowork serve never wrote server.json"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script(env: &Env, turns: serde_json::Value) -> String {
    write_script(env.home.path(), &serde_json::json!({ "turns": turns }))
        .display()
        .to_string()
}

/// Whether the daemon (not a CLI in-process) hosts the task: a run that
/// silently fell back to in-process would pass every other check.
fn assert_daemon_hosts(env: &Env, id: &str) {
    let store = cowork_store::Store::open(&env.home.path().join("cowork.db")).unwrap();
    assert_eq!(store.task(id).unwrap().host, cowork_store::Host::Daemon);
}

/// Waits until the newest task's status is `status`.
fn until_status(env: &Env, status: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(task) = env.tasks().first()
            && task["status"] == status
        {
            return task["id"].as_str().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the task never got {status}: {:?}",
            env.tasks()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn run_goes_through_the_daemon_and_the_daemon_hosts_the_task() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([{"text": "Hello from the daemon."}]),
    );
    let out = env
        .cowork()
        .args(["run", "hi", "--script", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Hello from the daemon."),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.tasks()[0]["status"], "completed");
    assert_daemon_hosts(&env, env.tasks()[0]["id"].as_str().unwrap());
}

#[test]
fn a_cli_closed_with_sighup_leaves_the_task_running_and_attach_shows_the_rest() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([{"text": "Finished after the terminal closed.", "delay_ms": 1500}]),
    );
    let cli = spawn_following(&env, &["run", "slow work", "--script", &script]);
    signal(&cli, "HUP");
    assert!(!wait(cli).success());
    let id = until_status(&env, "completed");
    assert_daemon_hosts(&env, &id);
    let out = env.cowork().args(["attach", &id]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Finished after the terminal closed."),
        "{}",
        stdout(&out)
    );
}

#[test]
fn detach_leaves_the_task_to_the_daemon_and_attach_follows_it() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([{"text": "Done while detached.", "delay_ms": 500}]),
    );
    let out = env
        .cowork()
        .args(["run", "--detach", "work", "--script", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_owned();
    assert_daemon_hosts(&env, &id);
    let out = env.cowork().args(["attach", &id]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Done while detached."),
        "{}",
        stdout(&out)
    );
}

#[test]
fn reply_continues_the_task_in_the_daemon() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([{"text": "First answer."}, {"text": "Second answer."}]),
    );
    let out = env
        .cowork()
        .args(["run", "hi", "--script", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .cowork()
        .args(["reply", "last", "and then?"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Second answer."), "{}", stdout(&out));
    assert!(!stdout(&out).contains("First answer."), "{}", stdout(&out));
    assert_daemon_hosts(&env, "last");
}

#[test]
fn ctrl_c_cancels_the_daemons_task() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([{"text": "never", "delay_ms": 20000}]),
    );
    let cli = spawn_following(&env, &["run", "slow work", "--script", &script]);
    signal(&cli, "INT");
    assert_eq!(wait(cli).code(), Some(130));
    let id = until_status(&env, "cancelled");
    assert_daemon_hosts(&env, &id);
}

#[test]
fn an_approval_answered_at_the_terminal_reaches_the_daemons_task() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([
            {"tool_calls": [{"name": "Write", "input": {"file_path": "notes.txt", "content": "hi\n"}}]},
            {"text": "Wrote it."}
        ]),
    );
    let args = format!(
        "run --script {script} --folder {} 'write notes'",
        env.folder().display()
    );
    let (code, out) = on_a_terminal(&env, &args, Some("y\n"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Wrote it."), "{out}");
    assert_daemon_hosts(&env, "last");
    // The CLI names itself: the log records the terminal answered.
    let id = env.tasks()[0]["id"].as_str().unwrap().to_owned();
    assert!(
        env.events(&id)
            .iter()
            .any(|e| e["type"] == "approval_decided" && e["by"] == "terminal"),
        "{:?}",
        env.events(&id)
    );
    assert_eq!(
        std::fs::read_to_string(env.folder().join("notes.txt")).unwrap(),
        "hi\n"
    );
}

/// Issue 12's real-time check: a schedule made with the CLI, due two
/// seconds later, runs through the running daemon under its own scope
/// (auto mode on its folder: the write needs nobody) and leaves a
/// receipt: the run, linked to its task, completed.
#[test]
fn a_schedule_due_in_two_seconds_runs_through_the_daemon_and_leaves_a_receipt() {
    let env = Env::new();
    let _serve = Serve::start(&env);
    let script = script(
        &env,
        serde_json::json!([
            {"tool_calls": [{"name": "Read", "input": {"file_path": "notes/meeting.md"}}]},
            {"tool_calls": [{"name": "Write", "input": {
                "file_path": "digest.md", "content": "Budget: 42,000 EUR.\n"}}]},
            {"text": "Digest written."}
        ]),
    );
    let due = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2);
    let at = due.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let folder = env.folder().display().to_string();
    let added = env
        .cowork()
        .args([
            "schedule", "add", "--name", "Digest", "--at", &at, "--tz", "UTC",
        ])
        .args([
            "--provider",
            "script",
            "--script",
            &script,
            "--mode",
            "auto",
        ])
        .args(["--folder", &folder, "Write the meeting digest"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", stderr(&added));

    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let shown = env
            .cowork()
            .args(["schedule", "show", "Digest", "--json"])
            .output()
            .unwrap();
        assert!(shown.status.success(), "{}", stderr(&shown));
        let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        if let Some(run) = shown["runs"].get(0)
            && run["outcome"] == "completed"
        {
            break run.clone();
        }
        assert!(Instant::now() < deadline, "no completed run: {shown:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let started = jiff::Timestamp::from_millisecond(run["due"].as_i64().unwrap()).unwrap();
    assert!(
        started.duration_since(due).abs() < jiff::SignedDuration::from_secs(1),
        "due {due}, run for {started}"
    );
    let task = run["task"].as_str().unwrap();
    assert_daemon_hosts(&env, task);
    assert_eq!(
        std::fs::read_to_string(env.folder().join("digest.md")).unwrap(),
        "Budget: 42,000 EUR.\n"
    );
    let show = env.cowork().args(["show", task]).output().unwrap();
    assert!(
        stdout(&show).contains("run of schedule “Digest”"),
        "{}",
        stdout(&show)
    );
}
