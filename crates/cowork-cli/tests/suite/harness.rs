//! Driving the real `cowork` binary in a hermetic environment: its own
//! data dir, no provider keys from the developer's shell.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub struct Env {
    pub home: tempfile::TempDir,
    pub folder: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        let env = Self {
            home: tempfile::tempdir().unwrap(),
            folder: tempfile::tempdir().unwrap(),
        };
        env.write(
            "notes/meeting.md",
            "# Meeting\nBudget approved: 42,000 EUR.\n",
        );
        env.write("notes/todo.txt", "call Anna\nsend invoice\n");
        env.write("readme.txt", "Project Alpha files.\n");
        env
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.folder.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn folder(&self) -> PathBuf {
        self.folder.path().canonicalize().unwrap()
    }

    /// `cowork` with only this environment's data dir and no model keys.
    pub fn cowork(&self) -> Command {
        let mut cmd = Command::cargo_bin("cowork").unwrap();
        cmd.env("COWORK_HOME", self.home.path())
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("ANTHROPIC_BASE_URL")
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .env_remove("COWORK_LOG")
            .env("COWORK_CONFIG", self.home.path().join("config.toml"))
            // No administrator's policy unless a test writes one here.
            .env("COWORK_POLICY_FILE", self.home.path().join("policy.toml"))
            .timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// `cowork run` against the mock server's Anthropic endpoint.
    pub fn run_anthropic(&self, url: &str, prompt: &str) -> Command {
        self.run_anthropic_on(url, prompt, self.folder.path().as_os_str())
    }

    /// Like [`Env::run_anthropic`], with `--folder` given as `folder`
    /// (e.g. `PATH:ro`).
    pub fn run_anthropic_on(&self, url: &str, prompt: &str, folder: &std::ffi::OsStr) -> Command {
        let mut cmd = self.cowork();
        cmd.env("ANTHROPIC_API_KEY", "sk-ant-test")
            .args([
                "run",
                "--provider",
                "anthropic",
                "--base-url",
                url,
                "--folder",
            ])
            .arg(folder)
            .arg(prompt);
        cmd
    }

    /// `cowork tasks --json`, parsed.
    pub fn tasks(&self) -> Vec<serde_json::Value> {
        let out = self.cowork().args(["tasks", "--json"]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The persistent events of a task, via `cowork show --json`.
    pub fn events(&self, id: &str) -> Vec<serde_json::Value> {
        let out = self.cowork().args(["show", "--json", id]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .skip(1)
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].clone())
            .collect()
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Tool results of a task's events: (name, content, is_error).
pub fn tool_results(events: &[serde_json::Value]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .filter(|e| e["type"] == "tool_call_finished")
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["content"].as_str().unwrap().to_owned(),
                e["is_error"].as_bool().unwrap(),
            )
        })
        .collect()
}

pub fn write_script(dir: &Path, script: &serde_json::Value) -> PathBuf {
    let path = dir.join("script.json");
    std::fs::write(&path, serde_json::to_string_pretty(script).unwrap()).unwrap();
    path
}

/// Every entry below `root`: relative path bytes → file content (`None`
/// for a folder). Two equal manifests mean byte-exact equal trees.
pub fn manifest(root: &Path) -> std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec();
            if entry.file_type().unwrap().is_dir() {
                out.insert(rel, None);
                stack.push(path);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// Starts `cowork run` against the mock server's Anthropic endpoint in the
/// background, and returns it once the server has received `requests`
/// requests — when the task waits on a delayed turn — to be killed midway.
pub fn spawn_run_until(
    env: &Env,
    server: &cowork_test_support::MockModelServer,
    extra_args: &[&str],
    prompt: &str,
    requests: usize,
) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cowork"))
        .env("COWORK_HOME", env.home.path())
        .env("COWORK_CONFIG", env.home.path().join("config.toml"))
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .args([
            "run",
            "--provider",
            "anthropic",
            "--base-url",
            &server.url(),
        ])
        .args(extra_args)
        .arg("--folder")
        .arg(env.folder.path())
        .arg(prompt)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while server.requests().len() < requests {
        assert!(
            std::time::Instant::now() < deadline,
            "the task never reached request {requests}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    child
}

/// `s` as a regex that matches it literally, for snapshot filters.
pub fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' | '\\' => {
                format!("\\{c}")
            }
            c => c.to_string(),
        })
        .collect()
}
