use serde_json::json;

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

#[test]
fn tasks_and_show_replay_a_finished_task() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"text": "Reading.", "tool_calls": [{"name": "Read", "input": {"file_path": "notes/todo.txt"}}]},
        {"text": "Two things: call Anna, send the invoice."}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "what is on my todo list?")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let out = env.cowork().arg("tasks").output().unwrap();
    assert!(out.status.success());
    let list = stdout(&out);
    assert!(
        list.contains("completed") && list.contains("what is on my todo list?"),
        "{list}"
    );

    let out = env.cowork().args(["show", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    let folder = env.folder().display().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{32}", "[ID]");
    settings.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d", "[TIME]");
    settings.add_filter(&regex_escape(&folder), "[FOLDER]");
    settings.add_filter(
        r"[\d.]+k? input \+ [\d.]+k? output",
        "[N] input + [N] output",
    );
    settings.bind(|| insta::assert_snapshot!(shown));
}

#[test]
fn an_unknown_task_id_is_a_clear_error() {
    let env = Env::new();
    let out = env.cowork().args(["show", "deadbeef"]).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("deadbeef"), "{}", stderr(&out));
}

#[test]
fn an_empty_store_says_how_to_start() {
    let env = Env::new();
    let out = env.cowork().arg("tasks").output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("cowork run"));
}

#[test]
fn doctor_names_the_missing_model_configuration() {
    let env = Env::new();
    let out = env.cowork().arg("doctor").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("ANTHROPIC_API_KEY") && text.contains("11434"),
        "{text}"
    );
    assert!(
        text.contains(&env.home.path().display().to_string()),
        "{text}"
    );

    let out = env
        .cowork()
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-abcdefwxyz")
        .arg("doctor")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("sk-ant-…wxyz") && !text.contains("abcdef"),
        "{text}"
    );
}
