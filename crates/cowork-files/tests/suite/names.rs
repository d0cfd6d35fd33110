//! Names that are not UTF-8 go through every tool as `\xNN` escapes.

use serde_json::json;

use super::work::{Work, latin1};

#[test]
fn non_utf8_names_are_shown_escaped_and_accepted_back() {
    let w = Work::new();
    w.write(latin1(".txt"), "bonjour\n");
    let listing = w.ok("LS", json!({}));
    assert!(listing.contains("caf\\xE9.txt"), "{listing}");
    let found = w.ok("Glob", json!({"pattern": "*.txt"}));
    assert_eq!(found, "caf\\xE9.txt");
    let grep = w.ok("Grep", json!({"pattern": "bonjour"}));
    assert_eq!(grep, "caf\\xE9.txt");
    let read = w.ok("Read", json!({"file_path": "caf\\xE9.txt"}));
    assert!(read.contains("bonjour"), "{read}");

    w.ok(
        "Edit",
        json!({"file_path": "caf\\xE9.txt", "old_string": "bonjour", "new_string": "salut"}),
    );
    assert_eq!(w.read(latin1(".txt")), "salut\n");
    w.ok(
        "Write",
        json!({"file_path": "caf\\xE9.txt", "content": "merci\n"}),
    );
    assert_eq!(w.read(latin1(".txt")), "merci\n");
    let preview = w
        .tools
        .preview("Move", &json!({"from": "caf\\xE9.txt", "to": "caf\\xE9/"}))
        .unwrap();
    assert!(
        preview
            .summary
            .contains("caf\\xE9.txt → caf\\xE9/caf\\xE9.txt"),
        "{}",
        preview.summary
    );
    w.ok("Move", json!({"from": "caf\\xE9.txt", "to": "caf\\xE9/"}));
    assert_eq!(
        w.read(std::path::Path::new(&latin1("")).join(latin1(".txt"))),
        "merci\n"
    );
    w.ok("Mkdir", json!({"path": "caf\\xE9/sub\\xFF"}));
    let sub: std::ffi::OsString = std::os::unix::ffi::OsStringExt::from_vec(b"sub\xff".to_vec());
    assert!(w.root.join(latin1("")).join(sub).is_dir());
    w.ok("Delete", json!({"path": "caf\\xE9"}));
    assert!(!w.exists(latin1("")));
    let entry = &w.store.trash().list().unwrap()[0];
    assert_eq!(entry.original, w.root.join(latin1("")));
}

#[test]
fn non_utf8_names_round_trip_through_the_journal_and_undo() {
    let w = Work::new();
    w.write(latin1(".txt"), "x");
    let before = super::work::manifest(&w.root);
    w.ok(
        "Move",
        json!({"from": "caf\\xE9.txt", "to": "d\\xFF/caf\\xE9.txt"}),
    );
    let json = serde_json::to_string(&w.changes()).unwrap();
    let back: Vec<cowork_protocol::Change> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, w.changes());
    w.undo(false).unwrap();
    assert_eq!(super::work::manifest(&w.root), before);
}
