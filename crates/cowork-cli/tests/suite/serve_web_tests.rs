//! What `cowork serve` hands the web UI, through the real daemon: the
//! export download redacts the secrets `cowork export` redacts (a
//! connector's header, a variable it expands, an OAuth token, a key in
//! the daemon's environment), and the task page's trust button records
//! the answer `cowork trust` records, so the next task follows the
//! folder's COWORK.md.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use cowork_test_support::{MockModelServer, script};

use super::harness::{Env, write_script};

const HEADER_SECRET: &str = "hdr-secret-W3B5X7Z9Q2R4";
const VAR_SECRET: &str = "var-secret-K8J6H4G2F0D9";
const TOKEN_SECRET: &str = "oauth-access-L1K2J3H4G5F6";
const ENV_SECRET: &str = "env-secret-T7Y8U9I0O1P2";

/// A `cowork serve` on a free port with `envs` added, killed when dropped.
struct Daemon {
    child: Child,
    url: String,
    token: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Daemon {
    fn start(env: &Env, envs: &[(&str, &str)]) -> Self {
        let child = Command::new(assert_cmd::cargo::cargo_bin("cowork"))
            .args(["serve", "--port", "0"])
            .env("COWORK_HOME", env.home.path())
            .env("COWORK_CONFIG", env.home.path().join("config.toml"))
            .env("COWORK_POLICY_FILE", env.home.path().join("policy.toml"))
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .envs(envs.iter().copied())
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
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    /// `GET path` with the token: the status and the body.
    fn get(&self, path: &str) -> (u16, String) {
        let request = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    }

    /// A form posted with the token (which needs no CSRF token).
    fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> u16 {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.runtime
            .block_on(async { request.send().await.unwrap().status().as_u16() })
    }

    fn create(&self, body: &Value) -> String {
        let request = self
            .client
            .post(format!("{}/api/tasks", self.url))
            .bearer_auth(&self.token)
            .json(body);
        let created: Value = self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.json().await.unwrap()
        });
        created["id"].as_str().unwrap().to_owned()
    }

    fn wait_done(&self, id: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, body) = self.get(&format!("/api/tasks/{id}"));
            let task: Value = serde_json::from_str(&body).unwrap();
            if task["status"] == "completed" {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} never completed: {task:#}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A task on the scripted model in the env's folder, run to its end.
fn scripted_task(env: &Env, daemon: &Daemon, text: &str) -> String {
    let script = write_script(
        env.home.path(),
        &json!({"turns": [
            {"text": text, "tool_calls": [{
                "name": "Write",
                "input": {"file_path": "out.md", "content": text}
            }]},
            {"text": "Done: out.md is written."}
        ]}),
    );
    let id = daemon.create(&json!({
        "prompt": "Write out.md",
        "folders": [{"path": env.folder()}],
        "mode": "auto",
        "provider": "script",
        "script": script,
    }));
    daemon.wait_done(&id);
    id
}

#[test]
fn the_web_export_through_cowork_serve_redacts_what_cowork_export_redacts() {
    let env = Env::new();
    std::fs::write(
        env.home.path().join("mcp.json"),
        json!({"mcpServers": {"crm": {
            "type": "http",
            "url": "http://127.0.0.1:9/mcp",
            "headers": {"X-Api-Key": HEADER_SECRET, "Authorization": "Bearer ${CRM_CONNECTOR_VALUE}"}
        }}})
        .to_string(),
    )
    .unwrap();
    let tokens = env.home.path().join("mcp/tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::write(
        tokens.join("notion.json"),
        json!({"access_token": TOKEN_SECRET}).to_string(),
    )
    .unwrap();
    let daemon = Daemon::start(
        &env,
        &[
            ("CRM_CONNECTOR_VALUE", VAR_SECRET),
            ("BILLING_API_KEY", ENV_SECRET),
        ],
    );
    let secrets = [HEADER_SECRET, VAR_SECRET, TOKEN_SECRET, ENV_SECRET];
    let id = scripted_task(&env, &daemon, &format!("The keys: {}", secrets.join(" ")));
    for query in ["", "?format=md", "?format=json"] {
        let (status, body) = daemon.get(&format!("/tasks/{id}/export{query}"));
        assert_eq!(status, 200, "{query}: {body}");
        assert!(
            body.contains("out.md is written"),
            "{query}: the transcript"
        );
        for secret in secrets {
            assert!(!body.contains(secret), "{query}: {secret} leaked");
        }
    }
}

#[test]
fn the_trust_button_through_cowork_serve_makes_the_next_task_follow_the_folder() {
    let env = Env::new();
    env.write("COWORK.md", "FOLDER-RULE: cite qzvrule always");
    let daemon = Daemon::start(&env, &[]);
    let first = scripted_task(&env, &daemon, "first");
    let (_, page) = daemon.get(&format!("/tasks/{first}"));
    assert!(page.contains("Trust this folder"), "{page}");
    let folder = env.folder().display().to_string();
    let status = daemon.post_form(
        &format!("/tasks/{first}/trust"),
        &[("folder", &folder), ("trust", "yes")],
    );
    assert_eq!(status, 303);
    let (_, page) = daemon.get(&format!("/tasks/{first}"));
    assert!(page.contains("Revoke trust"), "{page}");

    let model = MockModelServer::start(script(json!({"turns": [{"text": "Done."}]})));
    let next = daemon.create(&json!({
        "prompt": "Summarise",
        "folders": [{"path": env.folder()}],
        "provider": "openai",
        "baseUrl": format!("{}/v1", model.url()),
        "model": "mock-model",
    }));
    daemon.wait_done(&next);
    let system = model.requests()[0].body.to_string();
    assert!(system.contains("qzvrule"), "{system}");
    assert!(
        !system.contains("From an untrusted folder"),
        "followed, not quoted: {system}"
    );
}
