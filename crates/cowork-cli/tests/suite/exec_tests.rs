//! Commands in the sandbox: the `Bash` tool and `cowork exec`.

use serde_json::json;

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

#[test]
fn bash_runs_in_the_sandbox_and_reads_but_cannot_change_the_folder() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {
            "command": "wc -l notes/todo.txt; echo oops > notes/todo.txt; ls /root; echo done",
            "description": "count lines"
        }}]},
        {"text": "The todo list has 2 lines."}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "how many todos?")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(result.contains("2 notes/todo.txt"), "{result}");
    assert!(result.contains("Read-only file system"), "{result}");
    assert!(
        result.contains("/root"),
        "the host's home is not there: {result}"
    );
    assert_eq!(
        std::fs::read_to_string(env.folder.path().join("notes/todo.txt")).unwrap(),
        "call Anna\nsend invoice\n",
        "a command cannot change the folder behind the journal's back"
    );
}

#[test]
fn bash_asks_first_in_ask_mode_and_is_denied_without_a_terminal() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": "echo hi"}}]},
        {"text": "ok"}
    ]})));
    let out = env.run_anthropic(&server.url(), "say hi").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result = server.requests()[1].body.to_string();
    assert!(
        result.contains("do not retry") && !result.contains("exit status"),
        "{result}"
    );
}

#[test]
fn exec_passes_the_exit_code_output_and_writable_folders_through() {
    let env = Env::new();
    let out = env
        .cowork()
        .arg("exec")
        .arg("--folder")
        .arg(env.folder.path())
        .args([
            "--",
            "sh",
            "-c",
            "cat readme.txt; echo made > new.txt; echo err >&2; exit 7",
        ])
        .current_dir(env.folder.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Project Alpha files.\n");
    assert!(stderr(&out).contains("err"));
    assert_eq!(
        std::fs::read_to_string(env.folder.path().join("new.txt")).unwrap(),
        "made\n"
    );
}

#[test]
fn exec_stops_a_command_at_its_timeout() {
    let env = Env::new();
    let out = env
        .cowork()
        .args(["exec", "--timeout", "1", "--", "sleep", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"));
}

#[test]
fn doctor_reports_the_sandbox_layers_it_verified() {
    let env = Env::new();
    let out = env.cowork().arg("doctor").output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("sandbox") && text.contains("verified from inside"),
        "{text}"
    );
}
