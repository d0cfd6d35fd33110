//! The `cowork-mock-server` binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use super::{anthropic_body, anthropic_text, conversation, frames};

const BIN: &str = env!("CARGO_BIN_EXE_cowork-mock-server");

/// Kills the child even when an assertion fails first.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("script.json");
    std::fs::write(
        &script_path,
        json!({"turns": [{"text": "from the binary"}]}).to_string(),
    )
    .unwrap();

    let mut child = Killed(
        Command::new(BIN)
            .arg(&script_path)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let response = reqwest::Client::new()
        .post(format!("{url}/v1/messages"))
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01")
        .json(&anthropic_body(conversation(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        anthropic_text(&frames(&response.text().await.unwrap())),
        "from the binary"
    );
}

#[test]
fn the_binary_explains_a_bad_script_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("bad.json");
    std::fs::write(&script_path, r#"{"turns": [{"txt": "typo"}]}"#).unwrap();
    let output = Command::new(BIN).arg(&script_path).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid script"), "{stderr}");
    assert!(stderr.contains("txt"), "{stderr}");
}

#[test]
fn the_binary_without_a_script_prints_usage_and_fails() {
    let output = Command::new(BIN).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: cowork-mock-server"));
}
