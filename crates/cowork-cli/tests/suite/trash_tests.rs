//! `cowork undo` and `cowork trash restore` against a tampered data dir:
//! anything that can write it (another local program, a task connected to
//! the home folder) must not be able to make them write elsewhere, or put
//! back bytes the journal did not save.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use cowork_test_support::{MockModelServer, script};

use super::harness::*;

fn run_turns(env: &Env, turns: Value) {
    let server = MockModelServer::start(script(json!({ "turns": turns })));
    let out = env
        .run_anthropic(&server.url(), "do it")
        .args(["--mode", "auto"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

fn trash_ids(env: &Env) -> Vec<Value> {
    let out = env
        .cowork()
        .args(["trash", "list", "--json"])
        .output()
        .unwrap();
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn blobs(env: &Env) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for prefix in std::fs::read_dir(env.home.path().join("journal/blobs")).unwrap() {
        let prefix = prefix.unwrap().path();
        if prefix.is_dir() {
            out.extend(
                std::fs::read_dir(prefix)
                    .unwrap()
                    .map(|e| e.unwrap().path()),
            );
        }
    }
    out
}

fn append(path: &Path, bytes: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes.as_bytes()).unwrap();
}

/// Bug: `trash restore` wrote a forged entry wherever its meta.json said.
#[test]
fn a_forged_trash_entry_is_not_restored_anywhere() {
    let env = Env::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("planted.sh");
    let entry = env.home.path().join("trash/20260101T000000-deadbeef");
    std::fs::create_dir_all(&entry).unwrap();
    std::fs::write(entry.join("item"), "echo planted\n").unwrap();
    let meta =
        json!({"original": target, "trashed_at_ms": 1, "task": null, "size": 13, "is_dir": false});
    std::fs::write(entry.join("meta.json"), meta.to_string()).unwrap();

    let out = env
        .cowork()
        .args(["trash", "restore", "20260101T000000-deadbeef"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("20260101T000000-deadbeef") && stderr(&out).contains("journal"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists(), "a forged entry was written outside");
}

/// Bug: undo wrote whatever the blob held into the folder.
#[test]
fn undo_names_a_tampered_saved_version_and_changes_nothing() {
    let env = Env::new();
    run_turns(
        &env,
        json!([
            {"tool_calls": [{"name": "Edit", "input": {"file_path": "notes/todo.txt", "old_string": "call Anna", "new_string": "call Bob"}}]},
            {"text": "Changed."}
        ]),
    );
    let [blob] = blobs(&env).try_into().unwrap();
    std::fs::set_permissions(&blob, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&blob, "attacker's content\n").unwrap();

    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(!out.status.success());
    let name = blob.file_name().unwrap().to_str().unwrap();
    assert!(stderr(&out).contains(name), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(env.folder.path().join("notes/todo.txt")).unwrap(),
        "call Bob\nsend invoice\n"
    );
}

/// Bug: restore created missing parents and renamed by path, so a parent
/// replaced by a symlink led the item out of the folder.
#[test]
fn trash_restore_through_a_parent_swapped_for_a_symlink_out_is_refused() {
    let env = Env::new();
    run_turns(
        &env,
        json!([
            {"tool_calls": [{"name": "Delete", "input": {"path": "notes/todo.txt"}}]},
            {"text": "Deleted."}
        ]),
    );
    let id = trash_ids(&env)[0]["id"].as_str().unwrap().to_owned();
    let elsewhere = tempfile::tempdir().unwrap();
    let notes = env.folder.path().join("notes");
    std::fs::rename(&notes, elsewhere.path().join("moved-notes")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), &notes).unwrap();

    let out = env
        .cowork()
        .args(["trash", "restore", &id])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        !elsewhere.path().join("todo.txt").exists(),
        "restored through the symlink"
    );
    assert_eq!(trash_ids(&env).len(), 1, "the entry stays in the trash");
}

/// Bug: a Write with the file's own content left the saved copy
/// hard-linked to the live file; an append then changed what undo put back.
#[test]
fn a_no_op_write_then_an_append_still_undoes_to_the_exact_bytes() {
    let env = Env::new();
    env.write("copy.txt", "Project Alpha files.\n");
    run_turns(
        &env,
        json!([
            {"tool_calls": [{"name": "Write", "input": {"file_path": "readme.txt", "content": "Project Alpha files.\n"}}]},
            {"tool_calls": [{"name": "Write", "input": {"file_path": "copy.txt", "content": "rewritten\n"}}]},
            {"text": "Done."}
        ]),
    );
    append(&env.folder.path().join("readme.txt"), "my later line\n");

    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(env.folder.path().join("copy.txt")).unwrap(),
        b"Project Alpha files.\n"
    );
}

#[test]
fn a_file_an_undo_moved_to_the_trash_can_be_restored_by_id() {
    let env = Env::new();
    run_turns(
        &env,
        json!([
            {"tool_calls": [{"name": "Write", "input": {"file_path": "draft.md", "content": "# Draft\n"}}]},
            {"text": "Written."}
        ]),
    );
    let out = env.cowork().args(["undo", "last"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let draft = env.folder.path().join("draft.md");
    assert!(!draft.exists());
    let id = trash_ids(&env)[0]["id"].as_str().unwrap().to_owned();

    let out = env
        .cowork()
        .args(["trash", "restore", &id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&draft).unwrap(), "# Draft\n");
}

#[test]
fn a_later_edit_an_undo_moved_aside_goes_back_only_where_the_person_says() {
    let env = Env::new();
    run_turns(
        &env,
        json!([
            {"tool_calls": [{"name": "Edit", "input": {"file_path": "notes/todo.txt", "old_string": "call Anna", "new_string": "call Bob"}}]},
            {"text": "Changed."}
        ]),
    );
    let todo = env.folder.path().join("notes/todo.txt");
    std::fs::write(&todo, "my own later edit\n").unwrap();
    let out = env
        .cowork()
        .args(["undo", "last", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let id = trash_ids(&env)[0]["id"].as_str().unwrap().to_owned();

    // No journal record vouches for it: not to the path its metadata names.
    let out = env
        .cowork()
        .args(["trash", "restore", &id])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&id), "{}", stderr(&out));

    let to = env.folder.path().join("notes/todo.later.txt");
    let out = env
        .cowork()
        .args(["trash", "restore", &id, "--to"])
        .arg(&to)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&to).unwrap(), "my own later edit\n");
}
