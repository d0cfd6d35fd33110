//! Regression tests for the security review's defect 6: a sandboxed
//! command could leave a setuid (or setgid, sticky, capability-carrying)
//! file in a connected folder — setuid-root when cowork runs as root —
//! because applying its changes renamed the staged inode, bits and
//! extended attributes included, into the folder.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cowork_files::staged::Stage;
use serde_json::json;

use super::staged::{apply, put};
use super::work::{Work, assert_same_tree, manifest};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_new_setuid_file_from_a_command_lands_without_setuid_and_the_result_says_so() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    // `cp /bin/true tool && chmod 6755 tool`
    put(stage.upper(), "tool", "#!/bin/sh\n");
    chmod(&stage.upper().join("tool"), 0o6755);

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.created, ["tool"]);
    assert_eq!(mode(&w.path("tool")), 0o755);
    assert_eq!(applied.stripped, ["tool: setuid/setgid bits removed"]);
    let summary = applied.summary(10);
    assert!(
        summary.contains("~ tool: setuid/setgid bits removed"),
        "{summary}"
    );
}

#[test]
fn a_changed_file_renamed_over_the_users_file_keeps_no_setuid_and_undo_restores_the_users_mode() {
    let w = Work::new();
    chmod(&w.write("run", "v1\n"), 0o750);
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "run", "v2\n");
    chmod(&stage.upper().join("run"), 0o4755);

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.modified, ["run"]);
    assert_eq!(w.read("run"), "v2\n");
    assert_eq!(mode(&w.path("run")), 0o755);
    assert_eq!(applied.stripped, ["run: setuid/setgid bits removed"]);

    w.undo(false).unwrap();
    assert_same_tree(&w, &before);
}

/// Undo puts back what the user had, special bits included: masking is for
/// what tasks make, and a restore that dropped the user's own setuid bit
/// would not give back their file.
#[test]
fn undo_of_a_command_that_rewrote_a_users_setuid_program_restores_it_exactly() {
    let w = Work::new();
    chmod(&w.write("helper", "mine\n"), 0o4755);
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "helper", "rewritten\n");
    chmod(&stage.upper().join("helper"), 0o4755);

    apply(&w, &stage).unwrap();
    assert_eq!(mode(&w.path("helper")), 0o755);

    w.undo(false).unwrap();
    assert_eq!(w.read("helper"), "mine\n");
    assert_eq!(mode(&w.path("helper")), 0o4755);
    assert_same_tree(&w, &before);
}

#[test]
fn a_setuid_bit_added_to_an_unchanged_file_is_not_applied() {
    let w = Work::new();
    chmod(&w.write("bin", "same\n"), 0o755);
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    // `chmod u+s,g+s bin`: overlayfs copies it up with the new mode.
    put(stage.upper(), "bin", "same\n");
    chmod(&stage.upper().join("bin"), 0o6755);

    let applied = apply(&w, &stage).unwrap();
    assert!(applied.modified.is_empty(), "{applied:?}");
    assert_eq!(applied.stripped, ["bin: setuid/setgid bits removed"]);
    assert_eq!(manifest(&w.root), before);
    assert!(w.changes().is_empty(), "{:#?}", w.changes());
}

#[test]
fn a_users_own_setuid_file_copied_up_unchanged_is_left_as_it_was() {
    let w = Work::new();
    chmod(&w.write("helper", "mine\n"), 0o4755);
    let before = manifest(&w.root);
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "helper", "mine\n");
    chmod(&stage.upper().join("helper"), 0o4755);

    let applied = apply(&w, &stage).unwrap();
    assert!(applied.is_empty(), "{applied:?}");
    assert_eq!(manifest(&w.root), before);
}

#[test]
fn a_new_folder_with_setgid_and_sticky_bits_lands_without_them_and_the_result_says_so() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "shared/notes.txt", "n\n");
    chmod(&stage.upper().join("shared"), 0o3775);

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.dirs, ["shared"]);
    assert_eq!(mode(&w.path("shared")) & 0o7000, 0);
    assert_eq!(applied.stripped, ["shared: setuid/setgid bits removed"]);
    assert_eq!(w.read("shared/notes.txt"), "n\n");
}

#[test]
fn file_capabilities_on_a_staged_file_are_removed_and_the_result_says_so() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "ping", "elf\n");
    // VFS_CAP_REVISION_2 with CAP_NET_RAW permitted and effective.
    let mut cap = Vec::new();
    for word in [0x0200_0001_u32, 1 << 13, 0, 0, 0] {
        cap.extend_from_slice(&word.to_le_bytes());
    }
    let path = stage.upper().join("ping");
    let set = rustix::fs::setxattr(
        &path,
        "security.capability",
        &cap,
        rustix::fs::XattrFlags::empty(),
    );
    if set.is_err() {
        eprintln!("skipped: setting file capabilities needs CAP_SETFCAP ({set:?})");
        return;
    }

    let applied = apply(&w, &stage).unwrap();
    assert_eq!(applied.created, ["ping"]);
    let mut value = [0u8; 64];
    let left = rustix::fs::getxattr(w.path("ping"), "security.capability", &mut value);
    assert_eq!(left, Err(rustix::io::Errno::NODATA));
    assert_eq!(
        applied.stripped,
        ["ping: file capabilities (security.capability) removed"]
    );
}

#[test]
fn overlay_bookkeeping_attributes_do_not_follow_a_file_into_the_folder() {
    let w = Work::new();
    let stage = Stage::create(&w.store).unwrap();
    put(stage.upper(), "a.txt", "a\n");
    let path = stage.upper().join("a.txt");
    let flags = rustix::fs::XattrFlags::empty();
    rustix::fs::setxattr(&path, "user.overlay.origin", b"x", flags).unwrap();
    rustix::fs::setxattr(&path, "user.note", b"kept", flags).unwrap();

    apply(&w, &stage).unwrap();
    let mut value = [0u8; 16];
    let origin = rustix::fs::getxattr(w.path("a.txt"), "user.overlay.origin", &mut value);
    assert_eq!(origin, Err(rustix::io::Errno::NODATA));
    let note = rustix::fs::getxattr(w.path("a.txt"), "user.note", &mut value).unwrap();
    assert_eq!(&value[..note], b"kept");
}

#[test]
fn writing_over_a_setuid_file_with_the_write_tool_drops_the_setuid_bit() {
    let w = Work::new();
    chmod(&w.write("tool", "v1\n"), 0o6755);
    w.ok("Write", json!({"file_path": "tool", "content": "v2\n"}));
    assert_eq!(w.read("tool"), "v2\n");
    assert_eq!(mode(&w.path("tool")), 0o755);
}
