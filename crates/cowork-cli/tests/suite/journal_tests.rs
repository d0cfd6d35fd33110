//! Changing files through the real binary: approvals, the journal, undo,
//! the trash.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use serde_json::{Value, json};

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

/// A messy folder: nested, several kinds, some names not valid UTF-8.
fn messy_folder(env: &Env) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..240 {
        let ext = ["pdf", "jpg", "txt", "csv"][i % 4];
        let sub = ["inbox", "inbox/old", "misc", ""][(i * 7) % 4];
        let name = if sub.is_empty() {
            format!("file {i}.{ext}")
        } else {
            format!("{sub}/file {i}.{ext}")
        };
        env.write(&name, &format!("content of {i}\n").repeat(i % 7 + 1));
        names.push(name);
    }
    // Names that are not UTF-8 (Latin-1 bytes), as old archives have.
    for (i, raw) in [&b"caf\xe9.txt"[..], b"r\xe9sum\xe9 final.pdf"]
        .iter()
        .enumerate()
    {
        let path = env.folder.path().join("inbox").join(OsStr::from_bytes(raw));
        std::fs::write(path, format!("latin-1 file {i}")).unwrap();
    }
    names.push("inbox/caf\\xE9.txt".into());
    names.push("inbox/r\\xE9sum\\xE9 final.pdf".into());
    names
}

/// A script that sorts every file into `sorted/<ext>/`, writes an index,
/// edits a file, deletes another, and ends.
fn reorganise(names: &[String], delay_before_last_batch: Option<u64>) -> Value {
    let moves: Vec<Value> = names
        .iter()
        .filter(|n| n.as_str() != "misc/file 2.txt")
        .map(|n| {
            let ext = n.rsplit('.').next().unwrap();
            let base = n.rsplit('/').next().unwrap();
            json!({"from": n, "to": format!("sorted/{ext}/{base}")})
        })
        .collect();
    let mut turns = vec![
        json!({"tool_calls": [{"name": "Mkdir", "input": {"path": "sorted"}}]}),
        json!({"tool_calls": [{"name": "Edit", "input": {"file_path": "file 1.jpg", "old_string": "content of 1", "new_string": "EDITED", "replace_all": true}}]}),
        json!({"tool_calls": [{"name": "Delete", "input": {"path": "misc/file 2.txt"}}]}),
    ];
    for (i, chunk) in moves.chunks(60).enumerate() {
        let mut turn = json!({"tool_calls": [{"name": "Move", "input": {"moves": chunk}}]});
        if i == moves.len().div_ceil(60) - 1
            && let Some(ms) = delay_before_last_batch
        {
            turn["delay_ms"] = json!(ms);
        }
        turns.push(turn);
    }
    turns.push(json!({"tool_calls": [{"name": "Write", "input": {"file_path": "sorted/INDEX.md", "content": "# Index\n"}}]}));
    turns.push(json!({"text": "Sorted everything into sorted/."}));
    json!({ "turns": turns })
}

fn run_auto(env: &Env, server: &MockModelServer) -> std::process::Output {
    env.run_anthropic(&server.url(), "sort my files by type")
        .args(["--mode", "auto"])
        .output()
        .unwrap()
}

#[test]
fn a_reorganised_folder_is_restored_byte_exact_by_undo() {
    let env = Env::new();
    let names = messy_folder(&env);
    let before = manifest(env.folder.path());
    let server = MockModelServer::start(script(reorganise(&names, None)));
    let out = run_auto(&env, &server);
    assert!(out.status.success(), "{}", stderr(&out));
    let results = tool_results(&env.events(env.tasks()[0]["id"].as_str().unwrap()));
    assert!(results.iter().all(|r| !r.2), "a call failed: {results:?}");

    let after = manifest(env.folder.path());
    assert_ne!(before, after);
    assert!(
        after.contains_key(b"sorted/txt/caf\xe9.txt".as_slice()),
        "non-UTF-8 names move too"
    );
    assert!(!after.contains_key(b"misc/file 2.txt".as_slice()));

    let out = env
        .cowork()
        .args(["undo", "last", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("dry run"));
    assert_eq!(
        manifest(env.folder.path()),
        after,
        "a dry run changes nothing"
    );

    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        manifest(env.folder.path()),
        before,
        "undo restores every byte and the tree"
    );

    // Undo again: everything is already as before.
    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(manifest(env.folder.path()), before);
}

#[test]
fn after_a_kill_mid_task_undo_still_restores_everything() {
    let env = Env::new();
    let names = messy_folder(&env);
    let before = manifest(env.folder.path());
    let script_json = reorganise(&names, Some(60_000));
    let batches = script_json["turns"].as_array().unwrap().len() - 2;
    let server = MockModelServer::start(script(script_json));
    let mut child = spawn_run_until(&env, &server, &["--mode", "auto"], "sort my files", batches);
    child.kill().unwrap();
    child.wait().unwrap();

    let partial = manifest(env.folder.path());
    assert_ne!(partial, before, "some batches ran before the kill");
    assert!(
        partial
            .keys()
            .all(|k| !k.windows(7).any(|w| w == b".cowork")),
        "no temporary or half-written file is left"
    );
    assert_eq!(env.tasks()[0]["status"], "interrupted");
    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(manifest(env.folder.path()), before);
}

fn write_script() -> Value {
    json!({"turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "notes/summary.md", "content": "# Summary\n"}}]},
        {"text": "Tried to write the summary."}
    ]})
}

#[test]
fn ask_mode_without_a_terminal_denies_and_says_how_to_allow() {
    let env = Env::new();
    let server = MockModelServer::start(script(write_script()));
    let out = env
        .run_anthropic(&server.url(), "summarise")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!env.folder.path().join("notes/summary.md").exists());
    let err = stderr(&out);
    assert!(
        err.contains("--yes") && err.contains("--mode auto"),
        "{err}"
    );
    let sent = server.requests()[1].body.to_string();
    assert!(sent.contains("do not retry this another way"), "{sent}");
}

#[test]
fn yes_allows_changes_but_deny_rules_win_over_it() {
    let env = Env::new();
    let server = MockModelServer::start(script(write_script()));
    let out = env
        .run_anthropic(&server.url(), "summarise")
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(env.folder.path().join("notes/summary.md")).unwrap(),
        "# Summary\n"
    );

    let env = Env::new();
    std::fs::write(
        env.home.path().join("config.toml"),
        // A rule on writing only: the policy, not the hiding of paths,
        // refuses the change.
        "[[rules]]\naction = \"deny\"\neffect = \"write\"\npath = \"**/notes/**\"\n",
    )
    .unwrap();
    let server = MockModelServer::start(script(write_script()));
    let out = env
        .run_anthropic(&server.url(), "summarise")
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!env.folder.path().join("notes/summary.md").exists());
    assert!(
        stderr(&out).contains("Denied by policy"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_config_file_is_named_in_the_error() {
    let env = Env::new();
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\nactoin = \"deny\"\n",
    )
    .unwrap();
    let out = env.cowork().arg("tasks").output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("config.toml") && err.contains("actoin"),
        "{err}"
    );
}

#[test]
fn plan_mode_offers_no_writing_tools() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [{"text": "Plan: 1. sort."}]})));
    let out = env
        .run_anthropic(&server.url(), "plan the sorting")
        .args(["--mode", "plan"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let body = &server.requests()[0].body;
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"Read") && !tools.contains(&"Write") && !tools.contains(&"Delete"),
        "{tools:?}"
    );
    assert!(body["system"].to_string().contains("plan mode"));
}

#[test]
fn undo_refuses_over_later_edits_unless_forced_and_keeps_them_in_the_trash() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Edit", "input": {"file_path": "notes/todo.txt", "old_string": "call Anna", "new_string": "call Bob"}}]},
        {"text": "Changed."}
    ]})));
    let out = run_auto(&env, &server);
    assert!(out.status.success(), "{}", stderr(&out));
    let todo = env.folder.path().join("notes/todo.txt");
    std::fs::write(&todo, "my own later edit\n").unwrap();

    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("todo.txt") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&todo).unwrap(),
        "my own later edit\n"
    );

    let out = env
        .cowork()
        .args(["undo", "last", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&todo).unwrap(),
        "call Anna\nsend invoice\n"
    );
    let out = env
        .cowork()
        .args(["trash", "list", "--json"])
        .output()
        .unwrap();
    let trashed = stdout(&out);
    assert!(
        trashed.contains("todo.txt"),
        "the later edit is kept in the trash: {trashed}"
    );
}

#[test]
fn deleted_files_go_to_the_trash_and_emptying_it_needs_a_typed_yes() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Delete", "input": {"path": "notes"}}]},
        {"text": "Deleted."}
    ]})));
    let out = run_auto(&env, &server);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!env.folder.path().join("notes").exists());

    let out = env
        .cowork()
        .args(["trash", "list", "--json"])
        .output()
        .unwrap();
    let entry: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(entry["is_dir"], true);
    let id = entry["id"].as_str().unwrap().to_owned();

    let out = env
        .cowork()
        .args(["trash", "empty"])
        .write_stdin("no\n")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("Not emptied"));

    let out = env
        .cowork()
        .args(["trash", "restore", &id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.folder.path().join("notes/todo.txt").exists());

    // Trash it again and empty it for real.
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Delete", "input": {"path": "readme.txt"}}]},
        {"text": "Deleted."}
    ]})));
    assert!(run_auto(&env, &server).status.success());
    let out = env
        .cowork()
        .args(["trash", "empty"])
        .write_stdin("yes\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("deleted 1 item permanently"),
        "{}",
        stdout(&out)
    );
    let out = env.cowork().args(["trash", "list"]).output().unwrap();
    assert!(stdout(&out).contains("empty"));
}

#[test]
fn gc_drops_old_journals_and_says_how_much_it_freed() {
    let env = Env::new();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "readme.txt", "content": "new readme\n"}}]},
        {"text": "Rewrote it."}
    ]})));
    assert!(run_auto(&env, &server).status.success());
    let out = env.cowork().args(["gc"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 B"),
        "a recent journal is kept: {}",
        stdout(&out)
    );
    std::thread::sleep(Duration::from_millis(5));
    let out = env
        .cowork()
        .args(["gc", "--older-than", "0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 saved file version") && text.contains("1 task"),
        "{text}"
    );
}

#[test]
fn rule_folders_may_start_at_the_home_folder() {
    let env = Env::new();
    let folder = env.folder();
    let (home, name) = (folder.parent().unwrap(), folder.file_name().unwrap());
    std::fs::write(
        env.home.path().join("config.toml"),
        format!(
            "[[rules]]\naction = \"deny\"\nfolder = \"~/{}\"\n",
            name.to_str().unwrap()
        ),
    )
    .unwrap();
    let server = MockModelServer::start(script(write_script()));
    let out = env
        .run_anthropic(&server.url(), "summarise")
        .env("HOME", home)
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The rule hides the whole folder: the file tools refuse a path in it
    // themselves (alike whether or not it exists), before the policy.
    assert!(
        stderr(&out).contains("kept from this task"),
        "{}",
        stderr(&out)
    );
    assert!(!env.folder.path().join("notes/summary.md").exists());
}

/// Regression: a deny rule on `**/*.key` refused `Read id.key`, but a
/// `Grep` over the whole folder still printed the key's content.
#[test]
fn a_deny_rule_hides_matching_files_from_searches_too() {
    let env = Env::new();
    env.write("id.key", "SECRET-KEY-123\n");
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\naction = \"deny\"\npath = \"**/*.key\"\n",
    )
    .unwrap();
    let server = MockModelServer::start(script(json!({"turns": [
        {"tool_calls": [
            {"name": "Grep", "input": {"pattern": "SECRET", "output_mode": "content"}},
            {"name": "Glob", "input": {"pattern": "**/*"}},
            {"name": "Read", "input": {"file_path": "id.key"}}
        ]},
        {"text": "Nothing found."}
    ]})));
    let out = env
        .run_anthropic(&server.url(), "find secrets")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = server.requests()[1].body.to_string();
    assert!(!sent.contains("SECRET-KEY-123"), "{sent}");
    assert!(!sent.contains("id.key\\n"), "Glob must not list it: {sent}");
}
