//! Grants, deny rules and cowork's own state, end to end through the real
//! `cowork run` with the script provider: one regression test per class
//! of the security review.

use std::ffi::OsString;
use std::path::Path;

use serde_json::{Value, json};

use super::harness::*;

/// Runs `cowork run --yes` over `folders` replaying `turns`, and returns
/// the process output and the task's tool results. `configure` adjusts
/// the environment of every `cowork` command (run, tasks, show).
fn run(
    env: &Env,
    folders: &[OsString],
    turns: Value,
    configure: impl Fn(&mut assert_cmd::Command),
) -> (std::process::Output, Vec<(String, String, bool)>) {
    let script = write_script(env.home.path(), &json!({ "turns": turns }));
    let cowork = || {
        let mut cmd = env.cowork();
        configure(&mut cmd);
        cmd
    };
    let mut cmd = cowork();
    cmd.args(["run", "--yes", "--provider", "script", "--script"])
        .arg(&script);
    for folder in folders {
        cmd.arg("--folder").arg(folder);
    }
    let out = cmd.arg("do it").output().unwrap();
    if !out.status.success() {
        return (out, Vec::new());
    }
    let listed = cowork().args(["tasks", "--json"]).output().unwrap();
    let task: Value = serde_json::from_str(stdout(&listed).lines().next().unwrap()).unwrap();
    let shown = cowork()
        .args(["show", "--json", task["id"].as_str().unwrap()])
        .output()
        .unwrap();
    let events: Vec<Value> = stdout(&shown)
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
        .collect();
    (out, tool_results(&events))
}

fn arg(path: &Path, suffix: &str) -> OsString {
    let mut arg = path.as_os_str().to_owned();
    arg.push(suffix);
    arg
}

fn calls(calls: Value) -> Value {
    json!([{"tool_calls": calls}, {"text": "done"}])
}

/// Regression: with `--folder x --folder x/sub:ro`, `Write sub/new.txt`
/// and `Edit sub/keep.txt` succeeded.
#[test]
fn a_read_only_folder_nested_in_a_writable_one_cannot_be_changed() {
    let env = Env::new();
    let folder = env.folder();
    let before = manifest(&folder);
    std::os::unix::fs::symlink("notes", folder.join("alias")).unwrap();
    let (out, results) = run(
        &env,
        &[arg(&folder, ""), arg(&folder.join("notes"), ":ro")],
        calls(json!([
            {"name": "Write", "input": {"file_path": "notes/new.txt", "content": "x"}},
            {"name": "Edit", "input": {"file_path": "notes/todo.txt", "old_string": "Anna", "new_string": "Bob"}},
            {"name": "Write", "input": {"file_path": "alias/todo.txt", "content": "x"}},
            {"name": "Move", "input": {"from": "readme.txt", "to": "notes/readme.txt"}},
            {"name": "Delete", "input": {"path": "notes"}},
            {"name": "CreateChart", "input": {"path": "notes/c.svg", "kind": "bar", "title": "t",
                "categories": ["a"], "series": [{"name": "s", "values": [1]}]}}
        ])),
        |_| {},
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(results.len(), 6, "{results:?}");
    for (name, content, is_error) in &results {
        assert!(is_error, "{name} succeeded: {content}");
        assert!(content.contains("read-only"), "{name}: {content}");
    }
    std::fs::remove_file(folder.join("alias")).unwrap();
    assert_eq!(manifest(&folder), before);
}

/// Regression: a deny rule on Edit for `**/*.key` was judged after Edit's
/// preview had answered "not found" / "found 2 times" from the content.
#[test]
fn a_deny_rule_on_a_write_tool_answers_before_the_file_is_read() {
    let env = Env::new();
    env.write("id.key", "SECRET-KEY SECRET-KEY\n");
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\naction = \"deny\"\ntool = \"Edit\"\npath = \"**/*.key\"\n",
    )
    .unwrap();
    let edit = |old: &str| json!({"name": "Edit", "input": {"file_path": "id.key", "old_string": old, "new_string": "x"}});
    let (out, results) = run(
        &env,
        &[arg(&env.folder(), "")],
        calls(json!([
            edit("SECRET-KEY"),
            edit("S"),
            edit("nope"),
            edit("SECRET-KEY SECRET-KEY")
        ])),
        |_| {},
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(results.len(), 4);
    for (_, content, is_error) in &results {
        assert!(is_error);
        assert_eq!(content, &results[0].1, "answers must not depend on content");
        assert!(content.contains("Denied by policy"), "{content}");
    }
    assert_eq!(
        std::fs::read_to_string(env.folder().join("id.key")).unwrap(),
        "SECRET-KEY SECRET-KEY\n"
    );
}

/// Regression: a hiding rule was bypassed by the write tools (Edit's
/// answers, Write's diff) and answered differently from a missing file.
#[test]
fn a_hidden_file_is_answered_as_missing_and_never_shown_by_the_write_tools() {
    let env = Env::new();
    env.write("id.key", "SECRET-KEY\n");
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\naction = \"deny\"\npath = \"**/*.key\"\n",
    )
    .unwrap();
    let (out, results) = run(
        &env,
        &[arg(&env.folder(), "")],
        calls(json!([
            {"name": "Edit", "input": {"file_path": "id.key", "old_string": "SECRET", "new_string": "x"}},
            {"name": "Edit", "input": {"file_path": "gone.txt", "old_string": "SECRET", "new_string": "x"}},
            {"name": "Read", "input": {"file_path": "id.key"}},
            {"name": "Write", "input": {"file_path": "id.key", "content": "new"}},
            {"name": "Write", "input": {"file_path": "new.key", "content": "new"}}
        ])),
        |_| {},
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text: Vec<&str> = results.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(text[0], text[1].replace("gone.txt", "id.key"), "{text:?}");
    assert_eq!(text[2], text[1].replace("gone.txt", "id.key"), "{text:?}");
    assert_eq!(text[3], text[4].replace("new.key", "id.key"), "{text:?}");
    assert!(text.iter().all(|t| !t.contains("SECRET-KEY")), "{text:?}");
    assert!(!env.folder().join("new.key").exists());
}

/// Regression: `pub/../private/hr.txt` read what `private/hr.txt` could
/// not, and rules written through a symlinked `$HOME` never matched.
#[test]
fn a_deny_rule_holds_for_every_spelling_of_its_folder() {
    let env = Env::new();
    env.write("private/hr.txt", "SALARY-TABLE\n");
    env.write("pub/a.txt", "public\n");
    let folder = env.folder();
    let link_home = env.home.path().join("linked-home");
    std::os::unix::fs::symlink(&folder, &link_home).unwrap();
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\naction = \"deny\"\nfolder = \"~/private\"\n",
    )
    .unwrap();
    let (out, results) = run(
        &env,
        &[arg(&folder, "")],
        calls(json!([
            {"name": "Read", "input": {"file_path": "pub/../private/hr.txt"}},
            {"name": "Read", "input": {"file_path": "private/hr.txt"}},
            {"name": "Grep", "input": {"pattern": "SALARY", "path": "pub/.."}},
            {"name": "Move", "input": {"from": "private", "to": "pub/moved"}},
            {"name": "Read", "input": {"file_path": "pub/moved/hr.txt"}}
        ])),
        |cmd| {
            cmd.env("HOME", &link_home);
        },
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(results.len(), 5);
    for (name, content, _) in &results {
        assert!(!content.contains("SALARY-TABLE"), "{name}: {content}");
    }
    assert!(results[0].2 && results[1].2 && results[3].2, "{results:?}");
    assert!(folder.join("private/hr.txt").exists());
}

/// Regression: relative rule paths were accepted and never matched.
#[test]
fn a_relative_rule_path_stops_the_task_naming_the_rule_and_the_fix() {
    let env = Env::new();
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\naction = \"allow\"\n\n[[rules]]\naction = \"deny\"\npath = \"private/*.txt\"\n",
    )
    .unwrap();
    let (out, _) = run(&env, &[arg(&env.folder(), "")], calls(json!([])), |_| {});
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("rule 2") && err.contains("**"), "{err}");
}

/// Regression: with `--folder ~` a task could read other tasks'
/// transcripts and rewrite `config.toml` to switch to auto mode.
#[test]
fn cowork_s_data_and_configuration_are_hidden_from_a_folder_that_holds_them() {
    let env = Env::new();
    let folder = env.folder();
    let data = folder.join(".local/share/cowork");
    let config_dir = folder.join(".config/cowork");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), "mode = \"ask\"\n").unwrap();
    let (out, results) = run(
        &env,
        &[arg(&folder, "")],
        calls(json!([
            {"name": "LS", "input": {"path": ".local/share"}},
            {"name": "Read", "input": {"file_path": ".local/share/cowork/cowork.db"}},
            {"name": "Glob", "input": {"pattern": "**/*", "path": ".local"}},
            {"name": "Write", "input": {"file_path": ".config/cowork/config.toml", "content": "mode = \"auto\"\n"}},
            {"name": "Move", "input": {"from": ".config", "to": "stolen"}},
            {"name": "Mkdir", "input": {"path": ".local/share/cowork/trash/forged"}}
        ])),
        |cmd| {
            cmd.env("COWORK_HOME", &data)
                .env_remove("COWORK_CONFIG")
                .env("XDG_CONFIG_HOME", folder.join(".config"))
                .env("HOME", &folder);
        },
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(results.len(), 6, "{results:?}");
    assert!(!results[0].1.contains("cowork"), "LS: {}", results[0].1);
    assert!(
        results[1].2 && results[1].1.contains("does not exist"),
        "{results:?}"
    );
    assert!(
        !results[2].1.contains("cowork.db"),
        "Glob: {}",
        results[2].1
    );
    for (name, content, is_error) in &results[3..] {
        assert!(is_error, "{name} succeeded: {content}");
    }
    assert_eq!(
        std::fs::read_to_string(config_dir.join("config.toml")).unwrap(),
        "mode = \"ask\"\n"
    );
    assert!(!data.join("trash/forged").exists());
}

/// Regression: a tool whose preview named no paths (ReadDocument) escaped
/// every path rule.
#[test]
fn a_path_rule_applies_to_the_document_reader_too() {
    let env = Env::new();
    env.write("budget.xlsx", "not really a workbook");
    std::fs::write(
        env.home.path().join("config.toml"),
        "[[rules]]\naction = \"deny\"\ntool = \"ReadDocument\"\npath = \"**/*.xlsx\"\n",
    )
    .unwrap();
    let (out, results) = run(
        &env,
        &[arg(&env.folder(), "")],
        calls(json!([
            {"name": "ReadDocument", "input": {"file_path": "notes/../budget.xlsx"}}
        ])),
        |_| {},
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(results[0].2, "{results:?}");
    assert!(results[0].1.contains("Denied by policy"), "{results:?}");
}

/// Regression: moving a denied folder's parent made its files readable
/// under the new name (a rule naming a tool hides nothing, so renaming
/// was the way around it).
#[test]
fn a_denied_folder_cannot_be_renamed_out_of_its_rule() {
    let env = Env::new();
    env.write("hr/private/salaries.txt", "SALARY-TABLE\n");
    let folder = env.folder();
    std::fs::write(
        env.home.path().join("config.toml"),
        format!(
            "[[rules]]\naction = \"deny\"\ntool = \"Read\"\nfolder = \"{}/hr/private\"\n",
            folder.display()
        ),
    )
    .unwrap();
    let (out, results) = run(
        &env,
        &[arg(&folder, "")],
        calls(json!([
            {"name": "Move", "input": {"from": "hr", "to": "open"}},
            {"name": "Read", "input": {"file_path": "open/private/salaries.txt"}},
            {"name": "Read", "input": {"file_path": "hr/private/salaries.txt"}}
        ])),
        |_| {},
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(results.iter().all(|r| r.2), "{results:?}");
    assert!(results[0].1.contains("deny rule"), "{results:?}");
    assert!(
        results.iter().all(|r| !r.1.contains("SALARY")),
        "{results:?}"
    );
    assert!(folder.join("hr/private/salaries.txt").exists());
}
