//! A real `cowork serve`, killed with SIGKILL mid-task and started again:
//! the task finishes from its log with nothing lost or doubled, and a
//! question that waited still waits and is answered once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use cowork_protocol::{ContentBlock, Event, TaskId};
use cowork_store::Store;

use super::harness::Env;

/// A `cowork serve` on a free port, killed (SIGKILL) when dropped.
struct Daemon {
    child: Child,
    url: String,
    token: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Daemon {
    fn start(env: &Env) -> Self {
        let child = Command::new(assert_cmd::cargo::cargo_bin("cowork"))
            .args(["serve", "--port", "0"])
            .env("COWORK_HOME", env.home.path())
            .env("COWORK_CONFIG", env.home.path().join("config.toml"))
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let file = env.home.path().join("server.json");
        let deadline = Instant::now() + Duration::from_secs(30);
        let info = loop {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Ok(info) = serde_json::from_str::<Value>(&text)
                && info["pid"].as_u64() == Some(u64::from(child.id()))
            {
                break info;
            }
            assert!(
                Instant::now() < deadline,
                "cowork serve wrote no server.json"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Self {
            child,
            url: format!("http://127.0.0.1:{}", info["port"]),
            token: info["token"].as_str().unwrap().to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn get(&self, path: &str) -> Value {
        let request = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        self.runtime.block_on(async {
            let response = request.send().await.unwrap().error_for_status().unwrap();
            response.json().await.unwrap()
        })
    }

    fn post(&self, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        let request = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body);
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    }

    fn create(&self, body: &Value) -> String {
        let (status, created) = self.post("/api/tasks", body);
        assert!(status.is_success(), "{status}: {created}");
        created["id"].as_str().unwrap().to_owned()
    }

    /// Polls the task until `done` holds.
    fn wait(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let task = self.get(&format!("/api/tasks/{id}"));
            if done(&task) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} never got to {what}: {task:#}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(mut self) {
        // SIGKILL: no clean shutdown of any kind.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, as `systemctl stop` sends, and waits for the exit.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "a stopped daemon exits cleanly: {exit}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script(env: &Env, name: &str, script: &Value) -> String {
    let path = env.home.path().join(format!("{name}.json"));
    std::fs::write(&path, script.to_string()).unwrap();
    path.display().to_string()
}

fn task_body(env: &Env, script: &str, mode: &str) -> Value {
    json!({
        "prompt": "write two files",
        "folders": [{"path": env.folder(), "readOnly": false}],
        "mode": mode,
        "provider": "script",
        "script": script,
    })
}

/// Every turn once, every call with exactly one result.
fn assert_nothing_lost_or_doubled(home: &Path, id: &str) -> Vec<Event> {
    let store = Store::open(&home.join("cowork.db")).unwrap();
    let events: Vec<Event> = store
        .events(&TaskId::from_raw(id))
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    let mut turns = Vec::new();
    let mut calls = BTreeMap::<String, usize>::new();
    let mut results = BTreeMap::<String, usize>::new();
    for event in &events {
        if let Event::TurnStarted { turn } = event {
            turns.push(*turn);
        } else if let Event::AssistantMessage { content, .. } = event {
            for block in content {
                if let ContentBlock::ToolUse { id, .. } = block {
                    *calls.entry(id.clone()).or_default() += 1;
                }
            }
        } else if let Event::ToolCallFinished { id, .. } = event {
            *results.entry(id.clone()).or_default() += 1;
        }
    }
    assert!(turns.windows(2).all(|w| w[0] < w[1]), "turns: {turns:?}");
    assert!(calls.values().all(|&n| n == 1), "calls: {calls:?}");
    assert!(results.values().all(|&n| n == 1), "results: {results:?}");
    assert_eq!(
        calls.keys().collect::<BTreeSet<_>>(),
        results.keys().collect::<BTreeSet<_>>()
    );
    events
}

#[test]
fn a_daemon_killed_mid_task_finishes_it_when_started_again() {
    let env = Env::new();
    let script = script(
        &env,
        "two-writes",
        &json!({"turns": [
            {"tool_calls": [{"name": "Write", "id": "w1",
                             "input": {"file_path": "one.txt", "content": "1"}}]},
            {"tool_calls": [{"name": "Write", "id": "w2",
                             "input": {"file_path": "two.txt", "content": "2"}}],
             "delay_ms": 2000},
            {"text": "done"}
        ]}),
    );
    let daemon = Daemon::start(&env);
    let id = daemon.create(&task_body(&env, &script, "auto"));
    daemon.wait(&id, "its slow second turn", |t| t["turns"] == 2);
    daemon.kill();

    let daemon = Daemon::start(&env);
    let task = daemon.wait(&id, "its end", |t| t["status"] == "completed");
    assert_eq!(task["pendingCount"], 0);
    drop(daemon);
    let events = assert_nothing_lost_or_doubled(env.home.path(), &id);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::StatusChanged {
            status: cowork_protocol::TaskStatus::Interrupted,
            ..
        }
    )));
    let writes = events
        .iter()
        .filter(|e| matches!(e, Event::FileChanged { .. }))
        .count();
    assert_eq!(writes, 2);
    assert_eq!(
        std::fs::read_to_string(env.folder().join("two.txt")).unwrap(),
        "2"
    );
}

#[test]
fn a_question_pending_when_the_daemon_was_killed_still_waits_and_is_answered_once() {
    let env = Env::new();
    let script = script(
        &env,
        "ask",
        &json!({"turns": [
            {"tool_calls": [{"name": "Write", "id": "w1",
                             "input": {"file_path": "out.txt", "content": "hello"}}]},
            {"text": "done"}
        ]}),
    );
    let daemon = Daemon::start(&env);
    let id = daemon.create(&task_body(&env, &script, "ask"));
    daemon.wait(&id, "its question", |t| t["pendingCount"] == 1);
    daemon.kill();

    let daemon = Daemon::start(&env);
    let task = daemon.wait(&id, "running again", |t| {
        t["status"] == "running" && t["queued"] == false
    });
    assert_eq!(task["pendingApprovals"][0]["id"], "w1", "{task:#}");
    let approve = format!("/api/tasks/{id}/approvals/w1");
    let (first, _) = daemon.post(&approve, &json!({"decision": "allowOnce"}));
    assert!(first.is_success(), "{first}");
    let (second, said) = daemon.post(&approve, &json!({"decision": "deny"}));
    assert_eq!(second.as_u16(), 409, "{said}");
    daemon.wait(&id, "its end", |t| t["status"] == "completed");
    drop(daemon);
    let events = assert_nothing_lost_or_doubled(env.home.path(), &id);
    let asked = events
        .iter()
        .filter(|e| matches!(e, Event::ApprovalRequested { .. }))
        .count();
    assert_eq!(asked, 1, "the resumed task did not ask again");
    assert_eq!(
        std::fs::read_to_string(env.folder().join("out.txt")).unwrap(),
        "hello"
    );
}

#[test]
fn a_daemon_stopped_mid_task_resumes_it_when_started_again() {
    let env = Env::new();
    let script = script(
        &env,
        "slow",
        &json!({"turns": [
            {"tool_calls": [{"name": "Write", "id": "w1",
                             "input": {"file_path": "one.txt", "content": "1"}}]},
            {"text": "done", "delay_ms": 2000}
        ]}),
    );
    let daemon = Daemon::start(&env);
    let id = daemon.create(&task_body(&env, &script, "auto"));
    daemon.wait(&id, "its slow second turn", |t| t["turns"] == 2);
    daemon.stop();
    assert!(
        !env.home.path().join("server.json").exists(),
        "a clean stop removes server.json"
    );

    let daemon = Daemon::start(&env);
    daemon.wait(&id, "its end", |t| t["status"] == "completed");
    drop(daemon);
    assert_nothing_lost_or_doubled(env.home.path(), &id);
}
