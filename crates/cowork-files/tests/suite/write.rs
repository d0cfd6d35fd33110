//! Write and Edit.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use cowork_files::{FileError, FileTools};
use cowork_protocol::Change;
use serde_json::json;

use super::work::Work;

#[test]
fn write_creates_a_file_and_its_missing_folders() {
    let w = Work::new();
    let out = w.ok(
        "Write",
        json!({"file_path": "notes/2024/a.txt", "content": "one\ntwo\n"}),
    );
    assert!(out.contains("Created `notes/2024/a.txt` (2 lines"), "{out}");
    assert_eq!(w.read("notes/2024/a.txt"), "one\ntwo\n");
    let changes = w.changes();
    assert!(matches!(&changes[0], Change::DirCreated { path } if path.0 == w.path("notes")));
    assert!(matches!(&changes[1], Change::DirCreated { path } if path.0 == w.path("notes/2024")));
    assert!(
        matches!(&changes[2], Change::Created { path, .. } if path.0 == w.path("notes/2024/a.txt"))
    );
}

#[test]
fn write_replaces_a_file_and_keeps_its_permissions() {
    let w = Work::new();
    let path = w.write("run.sh", "echo old\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
    let out = w.ok(
        "Write",
        json!({"file_path": "run.sh", "content": "echo new\n"}),
    );
    assert!(
        out.contains("-echo old") && out.contains("+echo new"),
        "{out}"
    );
    assert_eq!(w.read("run.sh"), "echo new\n");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o750);
    match &w.changes()[0] {
        Change::Modified {
            mode,
            before,
            after,
            ..
        } => {
            assert_eq!(*mode, 0o750);
            assert_ne!(before, after);
            assert!(w.store.has_blob(before));
        }
        other => panic!("expected Modified, got {other:?}"),
    }
}

#[test]
fn write_leaves_no_temp_files_behind() {
    let w = Work::new();
    w.ok("Write", json!({"file_path": "a.txt", "content": "1"}));
    w.ok("Write", json!({"file_path": "a.txt", "content": "2"}));
    let names: Vec<_> = std::fs::read_dir(&w.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
}

#[test]
fn writing_the_same_content_records_nothing() {
    let w = Work::new();
    w.write("a.txt", "same");
    let out = w.ok("Write", json!({"file_path": "a.txt", "content": "same"}));
    assert!(out.contains("nothing changed"), "{out}");
    assert!(w.changes().is_empty());
}

#[test]
fn write_refuses_a_directory() {
    let w = Work::new();
    std::fs::create_dir(w.path("dir")).unwrap();
    let err = w.err("Write", json!({"file_path": "dir", "content": "x"}));
    assert!(matches!(err, FileError::IsADirectory { .. }), "{err:?}");
}

#[test]
fn write_refuses_the_folder_itself() {
    let w = Work::new();
    let err = w.err("Write", json!({"file_path": ".", "content": "x"}));
    assert!(err.to_string().contains("connected folder itself"), "{err}");
}

#[test]
fn write_through_a_symlink_inside_the_folder_is_refused_with_its_target() {
    let w = Work::new();
    w.write("real.txt", "real");
    std::os::unix::fs::symlink("real.txt", w.path("link.txt")).unwrap();
    let err = w.err("Write", json!({"file_path": "link.txt", "content": "x"}));
    assert!(
        matches!(&err, FileError::Symlink { target, .. } if target == "real.txt"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("does not write through links"),
        "{err}"
    );
    assert_eq!(w.read("real.txt"), "real");
}

#[test]
fn edit_replaces_a_unique_string_and_shows_a_diff() {
    let w = Work::new();
    w.write("a.md", "# Title\nhello world\nbye\n");
    let out = w.ok(
        "Edit",
        json!({"file_path": "a.md", "old_string": "hello world", "new_string": "hello there"}),
    );
    assert!(
        out.contains("-hello world") && out.contains("+hello there"),
        "{out}"
    );
    assert!(out.contains("@@"), "{out}");
    assert_eq!(w.read("a.md"), "# Title\nhello there\nbye\n");
}

#[test]
fn edit_refuses_an_ambiguous_string_and_says_how_to_fix_it() {
    let w = Work::new();
    w.write("a.txt", "x\nx\nx\n");
    let err = w.err(
        "Edit",
        json!({"file_path": "a.txt", "old_string": "x", "new_string": "y"}),
    );
    let text = err.to_string();
    assert!(text.contains("found 3 times"), "{text}");
    assert!(
        text.contains("add surrounding lines to make it unique or set replace_all"),
        "{text}"
    );
    assert_eq!(w.read("a.txt"), "x\nx\nx\n");
    assert!(w.changes().is_empty());
}

#[test]
fn edit_with_replace_all_replaces_every_occurrence() {
    let w = Work::new();
    w.write("a.txt", "x\nx\nx\n");
    w.ok(
        "Edit",
        json!({"file_path": "a.txt", "old_string": "x", "new_string": "y", "replace_all": true}),
    );
    assert_eq!(w.read("a.txt"), "y\ny\ny\n");
}

#[test]
fn edit_of_missing_text_names_the_file() {
    let w = Work::new();
    w.write("a.txt", "abc");
    let err = w.err(
        "Edit",
        json!({"file_path": "a.txt", "old_string": "zzz", "new_string": "y"}),
    );
    assert!(err.to_string().contains("not found in `a.txt`"), "{err}");
}

#[test]
fn edit_of_a_missing_file_says_it_does_not_exist() {
    let w = Work::new();
    let err = w.err(
        "Edit",
        json!({"file_path": "nope.txt", "old_string": "a", "new_string": "b"}),
    );
    assert!(matches!(err, FileError::NotFound { .. }), "{err:?}");
}

#[test]
fn edit_keeps_permissions_and_replaces_the_inode() {
    let w = Work::new();
    let path = w.write("a.txt", "hello");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::metadata(&path).unwrap().ino();
    w.ok(
        "Edit",
        json!({"file_path": "a.txt", "old_string": "hello", "new_string": "bye"}),
    );
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_ne!(meta.ino(), before);
}

#[test]
fn preview_of_write_shows_create_or_a_diff_and_changes_nothing() {
    let w = Work::new();
    let preview = w
        .tools
        .preview(
            "Write",
            &json!({"file_path": "new.txt", "content": "a\nb\n"}),
        )
        .unwrap();
    assert_eq!(preview.summary, "create new.txt (2 lines)");
    assert_eq!(preview.paths, vec![w.path("new.txt")]);
    assert!(!w.exists("new.txt"));

    w.write("old.txt", "1\n2\n");
    let preview = w
        .tools
        .preview(
            "Write",
            &json!({"file_path": "old.txt", "content": "1\n3\n"}),
        )
        .unwrap();
    assert!(
        preview.summary.starts_with("replace old.txt\n"),
        "{}",
        preview.summary
    );
    assert!(preview.summary.contains("-2\n+3"), "{}", preview.summary);
    assert_eq!(w.read("old.txt"), "1\n2\n");
    assert!(w.changes().is_empty());
}

#[test]
fn preview_of_edit_reports_validation_errors() {
    let w = Work::new();
    w.write("a.txt", "x x");
    let err = w
        .tools
        .preview(
            "Edit",
            &json!({"file_path": "a.txt", "old_string": "x", "new_string": "y"}),
        )
        .unwrap_err();
    assert!(err.to_string().contains("found 2 times"), "{err}");
}

#[test]
fn preview_of_a_long_diff_is_capped() {
    let w = Work::new();
    let old: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let new: String = (0..300).map(|i| format!("row {i}\n")).collect();
    w.write("big.txt", &old);
    let preview = w
        .tools
        .preview("Write", &json!({"file_path": "big.txt", "content": new}))
        .unwrap();
    assert!(
        preview.summary.lines().count() <= 82,
        "{}",
        preview.summary.lines().count()
    );
    assert!(
        preview.summary.contains("more lines"),
        "{}",
        preview.summary
    );
}

#[test]
fn write_tools_without_a_journal_are_disabled() {
    let w = Work::new();
    let tools = FileTools::new(w.folders.clone());
    let err = tools
        .call("Write", &json!({"file_path": "a.txt", "content": "x"}))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("this task has no change journal; writing is disabled"),
        "{err}"
    );
    assert!(!w.exists("a.txt"));
    // Reading still works.
    tools.call("LS", &json!({})).unwrap();
}

#[test]
fn bad_arguments_name_the_field() {
    let w = Work::new();
    let err = w.err("Write", json!({"file_path": "a.txt"}));
    assert!(err.to_string().contains("content"), "{err}");
    let err = w.err(
        "Edit",
        json!({"file_path": "a.txt", "old_string": "a", "new_string": "b", "extra": 1}),
    );
    assert!(err.to_string().contains("extra"), "{err}");
}

#[test]
fn write_below_a_file_says_it_is_not_a_directory() {
    let w = Work::new();
    w.write("a.txt", "A");
    let err = w.err("Write", json!({"file_path": "a.txt/b.txt", "content": "x"}));
    assert!(matches!(err, FileError::NotADirectory { .. }), "{err:?}");
    assert_eq!(w.read("a.txt"), "A");
}

#[test]
fn saving_a_produced_document_is_journaled_and_undone_like_write() {
    let w = Work::new();
    w.write("report.xlsx", b"old bytes \x00\x01");
    let before = super::work::manifest(&w.root);
    let preview = w
        .tools
        .preview_save("report.xlsx", b"PK\x03\x04 new".to_vec())
        .unwrap();
    assert_eq!(preview.summary, "replace report.xlsx (12 B → 8 B)");
    let text = w
        .tools
        .save("report.xlsx", b"PK\x03\x04 new".to_vec())
        .unwrap();
    assert_eq!(text, "Replaced `report.xlsx` (12 B → 8 B).");
    let created = w.tools.save("out/deck.pptx", vec![7; 3000]).unwrap();
    assert_eq!(created, "Created `out/deck.pptx` (2.9 KiB).");
    assert_eq!(
        std::fs::read(w.path("report.xlsx")).unwrap(),
        b"PK\x03\x04 new"
    );
    w.undo(false).unwrap();
    super::work::assert_same_tree(&w, &before);
}

#[test]
fn documents_are_read_whole_up_to_a_limit() {
    let w = Work::new();
    w.write("a.pdf", vec![1u8; 100]);
    assert_eq!(w.tools.read_bytes("a.pdf", 100).unwrap().len(), 100);
    let err = w.tools.read_bytes("a.pdf", 99).unwrap_err().to_string();
    assert!(
        err.contains("100 bytes") && err.contains("99 bytes"),
        "{err}"
    );
    let outside = w.tools.read_bytes("../outside.txt", 1000).unwrap_err();
    assert!(
        matches!(outside, cowork_files::FileError::OutsideFolders { .. }),
        "{outside}"
    );
}
