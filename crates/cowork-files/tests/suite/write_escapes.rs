//! Every write tool against every way out of the folder: each call fails,
//! and nothing outside the folder changes.

use std::collections::BTreeMap;
use std::path::Path;

use cowork_files::FileError;
use serde_json::{Value, json};

use super::SECRET;
use super::work::{Node, Work, manifest};

/// Everything outside the connected folder and the journal's data dir.
fn outside_state(w: &Work) -> BTreeMap<Vec<u8>, Node> {
    manifest(&w.outside())
        .into_iter()
        .filter(|(path, _)| !path.starts_with(b"folder") && !path.starts_with(b"data"))
        .collect()
}

/// Each call must be refused as outside the folders; the outside stays
/// exactly as it was.
#[track_caller]
fn all_refused(w: &Work, calls: &[(&str, Value)]) {
    let before = outside_state(w);
    for (tool, input) in calls {
        match w.call(tool, input.clone()) {
            Err(FileError::OutsideFolders { .. }) => {}
            Err(other) => panic!("{tool} {input}: expected OutsideFolders, got {other:?}"),
            Ok(text) => panic!("{tool} {input}: escape succeeded: {text}"),
        }
        match w.tools.preview(tool, input) {
            Err(FileError::OutsideFolders { .. }) => {}
            other => panic!("{tool} {input}: preview should refuse, got {other:?}"),
        }
    }
    assert_eq!(outside_state(w), before, "something outside changed");
    assert!(
        w.changes().is_empty(),
        "an escape was journaled: {:?}",
        w.changes()
    );
}

/// Calls that write or remove through `p` (a path naming something outside).
fn every_tool(p: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("Write", json!({"file_path": p, "content": "pwned"})),
        (
            "Edit",
            json!({"file_path": p, "old_string": SECRET, "new_string": "pwned"}),
        ),
        ("Move", json!({"from": p, "to": "stolen.txt"})),
        ("Move", json!({"from": "in.txt", "to": p})),
        (
            "Move",
            json!({"moves": [{"from": "in.txt", "to": "ok.txt"}, {"from": p, "to": "x.txt"}]}),
        ),
        ("Delete", json!({"path": p})),
        ("Mkdir", json!({"path": format!("{p}_dir")})),
    ]
}

fn work() -> Work {
    let w = Work::new();
    w.write("in.txt", "inside");
    w.write("sub/kept.txt", "inside too");
    w
}

#[test]
fn parent_directory_paths_are_refused_by_every_write_tool() {
    let w = work();
    all_refused(&w, &every_tool("../outside.txt"));
    all_refused(&w, &every_tool("sub/../../outside.txt"));
    all_refused(&w, &every_tool("../outside_dir/secret.txt"));
}

#[test]
fn absolute_paths_outside_are_refused_by_every_write_tool() {
    let w = work();
    let abs = w.outside().join("outside.txt");
    all_refused(&w, &every_tool(abs.to_str().unwrap()));
    all_refused(&w, &every_tool("/etc/passwd"));
}

#[test]
fn a_symlink_to_an_outside_file_is_never_written_through() {
    let w = work();
    std::os::unix::fs::symlink(w.outside().join("outside.txt"), w.path("abs_link")).unwrap();
    std::os::unix::fs::symlink("../outside.txt", w.path("rel_link")).unwrap();
    let before = outside_state(&w);
    for link in ["abs_link", "rel_link"] {
        let err = w.err("Write", json!({"file_path": link, "content": "pwned"}));
        assert!(matches!(err, FileError::Symlink { .. }), "{err:?}");
        let err = w.err(
            "Edit",
            json!({"file_path": link, "old_string": SECRET, "new_string": "x"}),
        );
        assert!(matches!(err, FileError::Symlink { .. }), "{err:?}");
    }
    // Moving and deleting act on the link itself, never on its target.
    w.ok("Move", json!({"from": "abs_link", "to": "moved_link"}));
    w.ok("Delete", json!({"path": "rel_link"}));
    assert_eq!(outside_state(&w), before);
}

#[test]
fn a_symlink_to_an_outside_folder_cannot_be_used_to_reach_below_it() {
    let w = work();
    std::os::unix::fs::symlink(w.outside().join("outside_dir"), w.path("out_dir")).unwrap();
    std::os::unix::fs::symlink("../outside_dir", w.path("rel_dir")).unwrap();
    for dir in ["out_dir", "rel_dir"] {
        all_refused(&w, &every_tool(&format!("{dir}/secret.txt")));
        all_refused(&w, &every_tool(&format!("{dir}/new.txt")));
        // "Into that directory" must not follow the link out either.
        all_refused(&w, &[("Move", json!({"from": "in.txt", "to": dir}))]);
        all_refused(&w, &[("Mkdir", json!({"path": format!("{dir}/a/b")}))]);
    }
}

#[test]
fn a_symlink_to_the_root_directory_is_refused() {
    let w = work();
    std::os::unix::fs::symlink("/", w.path("root")).unwrap();
    let below = format!("root{}", w.outside().join("outside.txt").display());
    all_refused(&w, &every_tool(&below));
    all_refused(&w, &every_tool("root/tmp/cowork-escape"));
}

#[test]
fn proc_self_root_paths_are_refused() {
    let w = work();
    let via_proc = format!(
        "/proc/self/root{}",
        w.outside().join("outside.txt").display()
    );
    all_refused(&w, &every_tool(&via_proc));
    std::os::unix::fs::symlink(
        format!("/proc/self/root{}", w.outside().display()),
        w.path("proc"),
    )
    .unwrap();
    all_refused(&w, &every_tool("proc/outside.txt"));
    std::os::unix::fs::symlink("/proc/self/cwd", w.path("cwd")).unwrap();
    all_refused(&w, &every_tool("cwd/x.txt"));
}

#[test]
fn a_folder_swapped_for_a_symlink_between_calls_is_refused() {
    let w = work();
    w.ok("Mkdir", json!({"path": "sub"}));
    w.ok(
        "Write",
        json!({"file_path": "sub/secret.txt", "content": "mine"}),
    );
    w.sink.changes.lock().unwrap().clear();
    // Someone replaces the folder with a link pointing out.
    std::fs::rename(w.path("sub"), w.path("sub_old")).unwrap();
    std::os::unix::fs::symlink(w.outside().join("outside_dir"), w.path("sub")).unwrap();
    all_refused(&w, &every_tool("sub/secret.txt"));
    all_refused(&w, &every_tool("sub/other.txt"));
}

#[test]
fn a_hard_link_to_an_outside_file_never_changes_that_file() {
    let w = work();
    let outside = w.outside().join("outside.txt");
    std::fs::hard_link(&outside, w.path("hard.txt")).unwrap();
    w.ok(
        "Write",
        json!({"file_path": "hard.txt", "content": "replaced"}),
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), SECRET);
    assert_eq!(w.read("hard.txt"), "replaced");

    std::fs::remove_file(w.path("hard.txt")).unwrap();
    std::fs::hard_link(&outside, w.path("hard.txt")).unwrap();
    w.ok(
        "Edit",
        json!({"file_path": "hard.txt", "old_string": "SECRET", "new_string": "EDITED"}),
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), SECRET);
    assert!(w.read("hard.txt").starts_with("EDITED"));

    // The saved previous version is a copy, not the shared inode, so a
    // later change outside cannot alter the journal either.
    let Some(cowork_protocol::Change::Modified { before, .. }) = w.changes().last().cloned() else {
        panic!("{:?}", w.changes());
    };
    std::fs::write(&outside, "changed outside").unwrap();
    assert_eq!(
        std::fs::read_to_string(w.store.blob_path(&before)).unwrap(),
        SECRET
    );
}

#[test]
fn a_read_only_folder_refuses_every_write_tool() {
    let w = Work::read_only();
    w.write("a.txt", "A");
    let snapshot = manifest(&w.root);
    let calls = [
        ("Write", json!({"file_path": "a.txt", "content": "x"})),
        ("Write", json!({"file_path": "new.txt", "content": "x"})),
        (
            "Edit",
            json!({"file_path": "a.txt", "old_string": "A", "new_string": "B"}),
        ),
        ("Move", json!({"from": "a.txt", "to": "b.txt"})),
        ("Delete", json!({"path": "a.txt"})),
        ("Mkdir", json!({"path": "d"})),
    ];
    for (tool, input) in &calls {
        let err = w.err(tool, input.clone());
        assert!(matches!(err, FileError::ReadOnly { .. }), "{tool}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains("read-only folder") && text.contains(":ro"),
            "{text}"
        );
        assert!(text.contains(&w.root.display().to_string()), "{text}");
    }
    assert_eq!(manifest(&w.root), snapshot);
    assert!(w.changes().is_empty());
    // Reading still works.
    w.ok("Read", json!({"file_path": "a.txt"}));
}

#[test]
fn errors_name_the_path_and_the_folder() {
    let w = work();
    let err = w.err("Write", json!({"file_path": "../x.txt", "content": ""}));
    let text = err.to_string();
    assert!(
        text.contains("../x.txt") && text.contains(&w.root.display().to_string()),
        "{text}"
    );
    assert!(!Path::new(&w.outside().join("x.txt")).exists());
}
