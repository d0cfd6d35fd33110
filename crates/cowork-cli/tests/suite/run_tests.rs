use serde_json::json;

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

fn reading_script() -> serde_json::Value {
    json!({"turns": [
        {"text": "Let me look at the notes.", "tool_calls": [{"name": "Glob", "input": {"pattern": "**/*.md"}}]},
        {"tool_calls": [
            {"name": "Read", "input": {"file_path": "notes/meeting.md"}},
            {"name": "Grep", "input": {"pattern": "invoice", "output_mode": "content"}}
        ]},
        {"text": "The budget of 42,000 EUR was approved; an invoice is still to be sent."}
    ]})
}

#[test]
fn a_multi_step_task_reads_the_folder_and_answers_over_the_anthropic_wire() {
    let env = Env::new();
    let server = MockModelServer::start(script(reading_script()));
    let out = env
        .run_anthropic(&server.url(), "What was decided in the meeting?")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Let me look at the notes."), "{text}");
    assert!(text.contains("42,000 EUR was approved"), "{text}");
    let err = stderr(&out);
    assert!(
        err.contains("Glob") && err.contains("Read") && err.contains("Grep"),
        "{err}"
    );
    assert!(err.contains("done"), "{err}");

    // The model saw the file contents in the tool results it was sent.
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let last = requests[2].body.to_string();
    assert!(
        last.contains("Budget approved") && last.contains("send invoice"),
        "{last}"
    );
    assert_eq!(requests[0].header("x-api-key"), Some("sk-ant-test"));

    let tasks = env.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["status"], "completed");
    assert_eq!(tasks[0]["turns"], 3);
}

/// `[model]` in config.toml names the provider, model and server when the
/// flags do not: what a local-model user sets once.
#[test]
fn the_configured_model_serves_a_run_that_names_none() {
    let env = Env::new();
    let server = MockModelServer::start(script(reading_script()));
    std::fs::write(
        env.home.path().join("config.toml"),
        format!(
            "[model]\nprovider = \"openai\"\nmodel = \"mock-model\"\nbase_url = \"{}/v1\"\n",
            server.url()
        ),
    )
    .unwrap();
    let out = env
        .cowork()
        .arg("run")
        .arg("--local")
        .arg("--folder")
        .arg(env.folder.path())
        .arg("What was decided?")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("42,000 EUR was approved"));
    assert!(server.requests()[0].path.ends_with("/chat/completions"));
}

#[test]
fn the_same_task_runs_over_the_openai_wire() {
    let env = Env::new();
    let server = MockModelServer::start(script(reading_script()));
    let out = env
        .cowork()
        .args([
            "run",
            "--provider",
            "openai",
            "--model",
            "mock-model",
            "--base-url",
        ])
        .arg(format!("{}/v1", server.url()))
        .arg("--folder")
        .arg(env.folder.path())
        .arg("What was decided?")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("42,000 EUR was approved"));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[0].path.ends_with("/chat/completions"));
    let last = requests[2].body.to_string();
    assert!(last.contains("Budget approved"), "{last}");
}

#[test]
fn the_script_provider_replays_a_file() {
    let env = Env::new();
    let path = write_script(env.home.path(), &reading_script());
    let out = env
        .cowork()
        .args(["run", "--provider", "script", "--script"])
        .arg(&path)
        .arg("--folder")
        .arg(env.folder.path())
        .arg("What was decided?")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("42,000 EUR"));
}

#[test]
fn paths_outside_the_folder_are_refused_and_nothing_leaks() {
    let env = Env::new();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-TOKEN").unwrap();
    std::os::unix::fs::symlink(&secret, env.folder.path().join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), env.folder.path().join("linkdir")).unwrap();
    let rel = format!(
        "../{}/secret.txt",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [
            {"name": "Read", "input": {"file_path": rel}},
            {"name": "Read", "input": {"file_path": secret.to_str().unwrap()}},
            {"name": "Read", "input": {"file_path": "link.txt"}},
            {"name": "Read", "input": {"file_path": "linkdir/secret.txt"}},
            {"name": "LS", "input": {"path": outside.path().to_str().unwrap()}},
            {"name": "Grep", "input": {"pattern": "TOP-SECRET"}}
        ]},
        {"text": "I could not read those files."}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "read the secret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tasks = env.tasks();
    let events = env.events(tasks[0]["id"].as_str().unwrap());
    let results = tool_results(&events);
    assert_eq!(results.len(), 6);
    for (name, content, is_error) in &results[..5] {
        assert!(*is_error, "{name} was not refused: {content}");
        assert!(content.contains("outside"), "{name}: {content}");
    }
    for (name, content, _) in &results {
        assert!(
            !content.contains("TOP-SECRET-TOKEN"),
            "{name} leaked: {content}"
        );
    }
    let everything: String = server
        .requests()
        .iter()
        .map(|r| r.body.to_string())
        .collect();
    assert!(!everything.contains("TOP-SECRET-TOKEN"));
}

#[test]
fn a_malformed_tool_call_is_reported_to_the_model_and_the_task_recovers() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Read", "raw_input": "{\"file_path\": \"readme.txt\",,"}]},
        {"tool_calls": [{"name": "Raed", "input": {"file_path": "readme.txt"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": "readme.txt"}}]},
        {"text": "It is about Project Alpha."}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "what is this?")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Project Alpha"));
    let requests = server.requests();
    let second = requests[1].body.to_string();
    assert!(second.contains("not valid JSON"), "{second}");
    assert!(second.contains("\"is_error\":true"), "{second}");
    let third = requests[2].body.to_string();
    assert!(third.contains("no tool named Raed"), "{third}");
}

#[test]
fn retries_ride_out_an_overloaded_server() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"http_errors": [529, 429], "text": "Hello after the storm."}
    ]})));
    let out = env.run_anthropic(&server.url(), "hi").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Hello after the storm."));
    assert_eq!(server.requests().len(), 3);
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 529") && err.contains("retrying"),
        "{err}"
    );
}

#[test]
fn without_a_model_the_cli_explains_how_to_configure_one() {
    let env = Env::new();
    let out = env.cowork().args(["run", "hello"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("ANTHROPIC_API_KEY"), "{err}");
    assert!(err.contains("--base-url"), "{err}");
}

/// Regression: the model crate's hints named CLI flags (`--model`), which
/// the daemon would show in the web UI; now it names the setting and the
/// CLI adds its flag.
#[test]
fn a_model_setting_problem_names_the_flag_that_fixes_it() {
    let env = Env::new();
    let out = env
        .cowork()
        .args([
            "run",
            "hello",
            "--provider",
            "openai",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no model named"), "{err}");
    assert!(err.contains("--model NAME"), "{err}");
}

#[test]
fn a_bad_key_is_a_one_line_failure() {
    let env = Env::new();
    let out = env
        .cowork()
        .args([
            "run",
            "--provider",
            "anthropic",
            "--base-url",
            "http://127.0.0.1:9",
        ])
        .arg("hello")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("ANTHROPIC_API_KEY"));
}

#[test]
fn a_missing_folder_is_named_in_the_error() {
    let env = Env::new();
    let out = env
        .cowork()
        .args([
            "run",
            "--provider",
            "script",
            "--script",
            "x.json",
            "--folder",
            "/no/such/dir",
            "hi",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/no/such/dir"), "{}", stderr(&out));
}

#[test]
fn json_mode_prints_one_event_per_line() {
    let env = Env::new();
    let server = MockModelServer::start(script(reading_script()));
    let out = env
        .run_anthropic(&server.url(), "What was decided?")
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "task");
    let kinds: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["event"]["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"tool_call_started"));
    assert!(kinds.contains(&"tool_call_finished"));
    assert_eq!(kinds.last(), Some(&"status_changed"));
    // One JSON shape for `run --json`, `show --json` and the daemon's
    // stream: envelopes whose stored events carry the store's seqs.
    let envelopes: Vec<cowork_protocol::Envelope> = lines[1..]
        .iter()
        .map(|l| serde_json::from_value(l.clone()).unwrap())
        .collect();
    let id = envelopes[0].task.to_string();
    let shown = env.cowork().args(["show", "--json", &id]).output().unwrap();
    let stored: Vec<cowork_protocol::Envelope> = stdout(&shown)
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let live: Vec<(u64, &cowork_protocol::Event)> = envelopes
        .iter()
        .filter(|e| e.is_persistent())
        .map(|e| (e.seq, &e.event))
        .collect();
    // The run's stream starts after the task's creation (seq 1).
    let replayed: Vec<(u64, &cowork_protocol::Event)> =
        stored[1..].iter().map(|e| (e.seq, &e.event)).collect();
    assert_eq!(live, replayed);
}

#[test]
fn a_task_killed_mid_run_shows_as_interrupted_and_resume_finishes_it() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "notes/todo.txt"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": "readme.txt"}}], "delay_ms": 60_000},
        {"text": "Call Anna and send the invoice for Project Alpha."}
    ]})));
    let mut child = spawn_run_until(&env, &server, &[], "what should I do today?", 2);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let tasks = env.tasks();
    assert_eq!(tasks[0]["status"], "interrupted", "{tasks:?}");
    let id = tasks[0]["id"].as_str().unwrap().to_owned();

    let out = env
        .cowork()
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .args(["resume", &id[..8]])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Call Anna"), "{}", stdout(&out));
    let tasks = env.tasks();
    assert_eq!(tasks[0]["status"], "completed");
    let results = tool_results(&env.events(&id));
    assert_eq!(
        results.len(),
        2,
        "the first read is not repeated: {results:?}"
    );
}
