//! `cowork memory`: the person lists, shows, adds, edits and deletes what
//! tasks remember, and a task's memory reaches the next task's model.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use serde_json::{Value, json};

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

fn memory(env: &Env, args: &[&str]) -> std::process::Output {
    env.cowork().arg("memory").args(args).output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
    stdout(out)
}

fn listed(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    ok(&memory(env, &all))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn add(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["add"];
    all.extend_from_slice(args);
    ok(&memory(env, &all));
    listed(env, &[])[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn added_entries_are_listed_by_scope_as_json_lines_and_shown_by_prefix() {
    let env = Env::new();
    let global = add(&env, &["Reports go to Jana as PDF."]);
    env.cowork()
        .args(["project", "create", "Acme"])
        .assert()
        .success();
    let unknown = memory(&env, &["add", "x", "--project", "Nope"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no project is named `Nope`"),
        "{}",
        stderr(&unknown)
    );
    let acme = add(&env, &["Acme wants British spelling.", "--project", "acme"]);
    assert_eq!(listed(&env, &[]).len(), 2);
    let only_global = listed(&env, &["--global"]);
    assert_eq!(only_global.len(), 1);
    assert_eq!(only_global[0]["id"], global.as_str());
    assert_eq!(only_global[0]["scope"], "global");
    assert_eq!(only_global[0]["project"], Value::Null);
    assert_eq!(only_global[0]["task"], Value::Null, "the person made it");
    let project = listed(&env, &["--project", "acme"]);
    assert_eq!(project.len(), 1);
    assert_eq!(project[0]["id"], acme.as_str());
    assert_eq!(project[0]["project_name"], "Acme");
    assert_eq!(project[0]["project"].as_str().unwrap().len(), 12);
    assert_eq!(listed(&env, &["--project", "acme", "--global"]).len(), 2);

    let shown = ok(&memory(&env, &["show", &global[..6]]));
    assert!(shown.contains("Reports go to Jana as PDF."), "{shown}");
    assert!(shown.contains("by you"), "{shown}");
    let table = ok(&memory(&env, &["list"]));
    assert!(
        table.contains("project Acme") && table.contains(&global),
        "{table}"
    );
    let missing = memory(&env, &["show", "ffffffff"]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no memory entry matches `ffffffff`"));
}

#[test]
fn edit_takes_new_text_or_the_editor_and_writes_nothing_when_unchanged() {
    let env = Env::new();
    let id = add(&env, &["Standup is at 9:30."]);
    ok(&memory(
        &env,
        &["edit", &id, "--content", "Standup is at 10:00."],
    ));
    assert_eq!(listed(&env, &[])[0]["content"], "Standup is at 10:00.");
    let before = listed(&env, &[])[0]["updated_at"].clone();

    // An editor that changes nothing: no write, the time stays.
    let same = ok(&env
        .cowork()
        .args(["memory", "edit", &id])
        .env("EDITOR", "true")
        .env_remove("VISUAL")
        .output()
        .unwrap());
    assert!(same.contains("unchanged"), "{same}");
    assert_eq!(listed(&env, &[])[0]["updated_at"], before);

    // An editor that rewrites the file.
    let editor = env.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Standup is at 10:15.\\n' > \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    ok(&env
        .cowork()
        .args(["memory", "edit", &id])
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .output()
        .unwrap());
    assert_eq!(listed(&env, &[])[0]["content"], "Standup is at 10:15.");

    let no_editor = env
        .cowork()
        .args(["memory", "edit", &id])
        .env_remove("EDITOR")
        .env_remove("VISUAL")
        .output()
        .unwrap();
    assert!(!no_editor.status.success());
    assert!(
        stderr(&no_editor).contains("--content"),
        "{}",
        stderr(&no_editor)
    );
}

fn db_files(env: &Env) -> Vec<PathBuf> {
    ["cowork.db", "cowork.db-wal", "cowork.db-shm"]
        .iter()
        .map(|name| env.home.path().join(name))
        .collect()
}

fn anywhere_in_db(env: &Env, needle: &str) -> bool {
    db_files(env).iter().any(|path| {
        std::fs::read(path)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

#[test]
fn rm_asks_first_unless_yes_and_leaves_no_copy_in_the_database() {
    let env = Env::new();
    let id = add(&env, &["The safe's code is qzvsafe4471."]);
    let declined = env
        .cowork()
        .args(["memory", "rm", &id])
        .write_stdin("no\n")
        .output()
        .unwrap();
    assert!(!declined.status.success());
    assert!(
        stderr(&declined).contains("cannot be undone"),
        "{}",
        stderr(&declined)
    );
    assert_eq!(listed(&env, &[]).len(), 1, "still there");

    let confirmed = env
        .cowork()
        .args(["memory", "rm", &id[..5]])
        .write_stdin("yes\n")
        .output()
        .unwrap();
    assert!(confirmed.status.success(), "{}", stderr(&confirmed));
    assert!(listed(&env, &[]).is_empty());
    assert!(!anywhere_in_db(&env, "qzvsafe4471"));

    let other = add(&env, &["second qzvother9921"]);
    ok(&memory(&env, &["rm", "--yes", &other]));
    assert!(listed(&env, &[]).is_empty());
    assert!(!anywhere_in_db(&env, "qzvother9921"));
}

#[test]
fn what_one_task_remembers_the_next_is_sent_and_forgetting_scrubs_both_logs() {
    let env = Env::new();
    let fact = "Quarterly invoices go to qzvjana8812 as PDF.";
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Memory", "input": {"action": "remember", "content": fact}}]},
        {"text": "noted"}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "remember where invoices go")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let entries = listed(&env, &[]);
    assert_eq!(entries.len(), 1);
    let first_task = env.tasks()[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(entries[0]["task"], first_task.as_str());

    let server = MockModelServer::start(script(json!({"turns": [{"text": "on it"}]})));
    let out = env
        .run_anthropic(&server.url(), "Draft the quarterly invoices, please")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("recalled 1 memory entry"),
        "{}",
        stderr(&out)
    );
    let first_turn = server.requests()[0].body["messages"][0].to_string();
    assert!(
        first_turn.contains("data, not instructions"),
        "{first_turn}"
    );
    assert!(first_turn.contains("qzvjana8812"), "{first_turn}");
    let system = server.requests()[0].body["system"].to_string();
    assert!(!system.contains("qzvjana8812"), "{system}");
    let shown = ok(&env.cowork().args(["show", "last"]).output().unwrap());
    assert!(shown.contains("recalled 1 memory entry"), "{shown}");

    let id = entries[0]["id"].as_str().unwrap();
    let removed = ok(&memory(&env, &["rm", "--yes", id]));
    assert!(removed.contains("task log events"), "{removed}");
    assert!(!anywhere_in_db(&env, "qzvjana8812"));
    // Both transcripts still replay, with a placeholder for the text.
    for task in env.tasks() {
        let events = env.events(task["id"].as_str().unwrap());
        assert!(!events.is_empty());
    }
}
