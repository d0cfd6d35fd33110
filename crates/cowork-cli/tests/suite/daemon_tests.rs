//! The CLI as a front of the daemon, against a stand-in daemon
//! ([`StubDaemon`]): `run` submits and follows, `--detach`, `--local`,
//! stale `server.json` files, `attach`, `reply`, Ctrl-C and SIGHUP, and
//! approvals answered at the terminal or in another front.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cowork_protocol::{ContentBlock, Event, StopReason, TaskStatus, Usage};

use super::harness::{Env, stderr, stdout, write_script};
use super::stub_daemon::{Step, StubDaemon};

fn delta(text: &str) -> Step {
    Step::Emit(Event::TextDelta { text: text.into() })
}

fn answer_event(text: &str) -> Event {
    Event::AssistantMessage {
        content: vec![ContentBlock::Text { text: text.into() }],
        stop_reason: StopReason::EndTurn,
        usage: Usage::default(),
    }
}

fn status_event(status: TaskStatus) -> Event {
    Event::StatusChanged {
        status,
        reason: None,
        end: None,
    }
}

/// A streamed answer, then the task completes.
fn says(text: &str) -> Vec<Step> {
    vec![
        delta(text),
        Step::Emit(answer_event(text)),
        Step::Emit(status_event(TaskStatus::Completed)),
    ]
}

fn script_file(env: &Env) -> std::path::PathBuf {
    write_script(
        env.home.path(),
        &serde_json::json!({"turns": [{"text": "Done in this process."}]}),
    )
}

/// `cowork` started in the background, for signals.
pub fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("cowork"))
        .env("COWORK_HOME", env.home.path())
        .env("COWORK_CONFIG", env.home.path().join("config.toml"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// `cowork` started in the background, returned once it shows the task
/// it follows (its Ctrl-C handling is in place by then).
pub fn spawn_following(env: &Env, args: &[&str]) -> Child {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cowork"))
        .env("COWORK_HOME", env.home.path())
        .env("COWORK_CONFIG", env.home.path().join("config.toml"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (shown, following) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("task ") {
                let _ = shown.send(());
            }
        }
    });
    following
        .recv_timeout(Duration::from_secs(30))
        .expect("cowork never showed the task it follows");
    child
}

pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

pub fn wait(mut child: Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cowork did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `cowork ARGS` on a pseudo-terminal (through `script`), so it asks its
/// questions there; `input` is typed once a question is shown.
pub fn on_a_terminal(env: &Env, args: &str, input: Option<&str>) -> (i32, String) {
    let command = format!(
        "{} {args}",
        assert_cmd::cargo::cargo_bin("cowork").display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COWORK_HOME", env.home.path())
        .env("COWORK_CONFIG", env.home.path().join("config.toml"))
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Held open until cowork exits: an end of input would answer "no".
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reader = {
        let shown = std::sync::Arc::clone(&shown);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut stdout, &mut buf) {
                shown.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let text = || String::from_utf8_lossy(&shown.lock().unwrap()).into_owned();
    if let Some(input) = input {
        // Typed once the choices are shown: lines typed before a question
        // are not taken as its answer.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !text().contains("deny") {
            assert!(Instant::now() < deadline, "never asked: {}", text());
            std::thread::sleep(Duration::from_millis(20));
        }
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let status = wait(child);
    drop(stdin);
    reader.join().unwrap();
    (status.code().unwrap_or(-1), text())
}

#[test]
fn run_submits_the_task_to_a_running_daemon_and_renders_its_events() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), says("Hello from the daemon."), vec![]);
    let folder = env.folder();
    let out = env
        .cowork()
        .args([
            "run",
            "say hello",
            "--mode",
            "auto",
            "--max-turns",
            "7",
            "--yes",
        ])
        .args([
            "--sandbox",
            "none",
            "--allow-net",
            "pypi.org, *.pythonhosted.org",
        ])
        .arg("--folder")
        .arg(format!("{}:ro", folder.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Hello from the daemon."),
        "{}",
        stdout(&out)
    );
    let asked = stub.asked();
    let task = &asked.tasks[0];
    assert_eq!(task["prompt"], "say hello");
    assert_eq!(task["folders"][0]["path"], folder.display().to_string());
    assert_eq!(task["folders"][0]["readOnly"], true);
    assert_eq!(task["mode"], "auto");
    assert_eq!(task["maxTurns"], 7);
    assert_eq!(task["assumeYes"], true);
    assert_eq!(task["sandbox"], "none");
    assert_eq!(
        task["allowNet"],
        serde_json::json!(["pypi.org", "*.pythonhosted.org"])
    );
    // No provider flag: the daemon picks one from its own environment.
    assert!(
        task.get("provider").is_none_or(serde_json::Value::is_null),
        "{task}"
    );
}

#[test]
fn detach_submits_prints_the_id_and_leaves_the_task_running() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), vec![Step::UntilCancelled], vec![]);
    let out = env
        .cowork()
        .args(["run", "--detach", "work on"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_owned();
    assert!(
        stderr(&out).contains(&format!("cowork attach {}", &id[..8])),
        "{}",
        stderr(&out)
    );
    assert_eq!(stub.asked().tasks.len(), 1);
    let tasks = env.tasks();
    assert_eq!(tasks[0]["id"], id);
    assert_eq!(tasks[0]["status"], "running");
}

#[test]
fn local_runs_the_task_in_this_process_even_with_a_daemon() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), says("from the daemon"), vec![]);
    let script = script_file(&env);
    let out = env
        .cowork()
        .args(["run", "--local", "hi", "--script"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Done in this process."));
    assert!(stub.asked().tasks.is_empty());
}

#[test]
fn a_server_file_left_by_a_dead_daemon_is_ignored() {
    let env = Env::new();
    let script = script_file(&env);
    // A port nobody listens on, then a pid no process has.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    for pid in [std::process::id(), u32::MAX - 1] {
        let server = serde_json::json!({
            "url": format!("http://127.0.0.1:{port}/"), "port": port, "token": "t", "pid": pid,
        });
        std::fs::write(env.home.path().join("server.json"), server.to_string()).unwrap();
        let out = env
            .cowork()
            .args(["run", "hi", "--script"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Done in this process."));
    }
}

#[test]
fn detach_without_a_daemon_is_refused_naming_the_fix() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["run", "--detach", "hi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cowork serve"), "{}", stderr(&out));
}

#[test]
fn attach_replays_a_finished_task_and_stops_at_its_end() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), vec![], vec![]);
    let id = stub.finished_task(&[
        answer_event("All done."),
        status_event(TaskStatus::Completed),
    ]);
    let out = env.cowork().args(["attach", id.as_str()]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Regression: a replayed answer has no deltas; it was not shown.
    assert!(stdout(&out).contains("All done."), "{}", stdout(&out));
    // Only what follows seq 2 (the answer): the end.
    let out = env
        .cowork()
        .args(["attach", id.as_str(), "--after", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("All done."), "{}", stdout(&out));
    assert_eq!(stub.asked().subscriptions, vec![0, 2]);
}

#[test]
fn attach_follows_a_running_task_until_it_ends() {
    let env = Env::new();
    let mut steps = vec![Step::Sleep(Duration::from_millis(1500))];
    steps.extend(says("Finished later."));
    let _stub = StubDaemon::start(env.home.path(), steps, vec![]);
    let out = env
        .cowork()
        .args(["run", "--detach", "work"])
        .output()
        .unwrap();
    let id = stdout(&out).trim().to_owned();
    let out = env.cowork().args(["attach", &id]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Finished later."), "{}", stdout(&out));
}

#[test]
fn attach_without_a_daemon_says_so_and_points_to_show() {
    let env = Env::new();
    let script = script_file(&env);
    let out = env
        .cowork()
        .args(["run", "hi", "--script"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.cowork().args(["attach", "last"]).output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("no daemon is running") && err.contains("cowork show"),
        "{err}"
    );
}

#[test]
fn reply_continues_a_finished_task_and_shows_only_what_follows() {
    let env = Env::new();
    let mut steps = vec![Step::Emit(status_event(TaskStatus::Running))];
    steps.extend(says("Second answer."));
    let stub = StubDaemon::start(env.home.path(), vec![], steps);
    let id = stub.finished_task(&[
        answer_event("First answer."),
        status_event(TaskStatus::Completed),
    ]);
    let out = env
        .cowork()
        .args(["reply", id.as_str(), "and then?"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Second answer."), "{}", stdout(&out));
    assert!(!stdout(&out).contains("First answer."), "{}", stdout(&out));
    let asked = stub.asked();
    assert_eq!(asked.messages, vec!["and then?".to_owned()]);
    assert_eq!(asked.subscriptions, vec![3]);
}

#[test]
fn ctrl_c_cancels_the_task_in_the_daemon() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), vec![Step::UntilCancelled], vec![]);
    let child = spawn(&env, &["run", "work on"]);
    stub.wait_until("the CLI following", |asked| !asked.subscriptions.is_empty());
    signal(&child, "INT");
    let status = wait(child);
    assert_eq!(status.code(), Some(130));
    assert_eq!(stub.asked().cancels, 1);
}

#[test]
fn closing_the_terminal_leaves_the_task_running_in_the_daemon() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), vec![Step::UntilCancelled], vec![]);
    let child = spawn(&env, &["run", "work on"]);
    stub.wait_until("the CLI following", |asked| !asked.subscriptions.is_empty());
    signal(&child, "HUP");
    let status = wait(child);
    assert!(!status.success());
    assert_eq!(stub.asked().cancels, 0);
    assert_eq!(env.tasks()[0]["status"], "running");
}

#[test]
fn an_approval_is_answered_at_the_terminal_and_sent_to_the_daemon() {
    let env = Env::new();
    let mut steps = vec![Step::Approval {
        call_id: "call/1".into(),
    }];
    steps.extend(says("Wrote it."));
    let stub = StubDaemon::start(env.home.path(), steps, vec![]);
    let (code, out) = on_a_terminal(&env, "run 'write notes'", Some("y\n"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Write wants to:") && out.contains("Wrote it."),
        "{out}"
    );
    let asked = stub.asked();
    assert_eq!(
        asked.decisions,
        vec![(
            "call/1".to_owned(),
            serde_json::json!({"decision": "allowOnce"})
        )]
    );
}

#[test]
fn an_approval_answered_in_the_web_ui_ends_the_question_at_the_terminal() {
    let env = Env::new();
    let mut steps = vec![Step::AnsweredInTheWeb {
        call_id: "call-1".into(),
        after: Duration::from_millis(1500),
    }];
    steps.extend(says("Wrote it."));
    let stub = StubDaemon::start(env.home.path(), steps, vec![]);
    let (code, out) = on_a_terminal(&env, "run 'write notes'", None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Write wants to:"), "{out}");
    assert!(out.contains("answered in the web UI"), "{out}");
    assert!(out.contains("Wrote it."), "{out}");
    assert!(stub.asked().decisions.is_empty());
}

#[test]
fn attaching_on_a_terminal_does_not_ask_again_about_a_call_already_answered() {
    let env = Env::new();
    let stub = StubDaemon::start(env.home.path(), vec![], vec![]);
    let id = stub.finished_task(&[
        Event::ApprovalRequested {
            call_id: "call-1".into(),
            tool: "Write".into(),
            effect: cowork_protocol::Effect::Write,
            summary: "write notes.txt".into(),
        },
        Event::ApprovalDecided {
            call_id: "call-1".into(),
            decision: cowork_protocol::ApprovalDecision::AllowOnce,
            by: "web".into(),
        },
        answer_event("Wrote it."),
        status_event(TaskStatus::Completed),
    ]);
    let (code, out) = on_a_terminal(&env, &format!("attach {id}"), None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Wrote it.") && !out.contains("deny"), "{out}");
    assert!(stub.asked().decisions.is_empty());
}

#[test]
fn without_a_terminal_to_ask_at_the_cli_says_where_to_answer_and_waits() {
    let env = Env::new();
    let mut steps = vec![Step::AnsweredInTheWeb {
        call_id: "call-1".into(),
        after: Duration::from_millis(500),
    }];
    steps.extend(says("Wrote it."));
    let stub = StubDaemon::start(env.home.path(), steps, vec![]);
    let out = env.cowork().args(["run", "write notes"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("waits for an answer") && err.contains("cowork attach"),
        "{err}"
    );
    assert!(stdout(&out).contains("Wrote it."));
    assert!(stub.asked().decisions.is_empty());
}

#[test]
fn reply_without_a_daemon_continues_the_task_in_this_process() {
    let env = Env::new();
    let script = write_script(
        env.home.path(),
        &serde_json::json!({"turns": [{"text": "First answer."}, {"text": "Second answer."}]}),
    );
    let out = env
        .cowork()
        .args(["run", "hi", "--script"])
        .arg(&script)
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
    let id = env.tasks()[0]["id"].as_str().unwrap().to_owned();
    assert!(
        env.events(&id)
            .iter()
            .any(|e| e["type"] == "user_message" && e["text"] == "and then?")
    );
}
