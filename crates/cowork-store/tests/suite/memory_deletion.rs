//! Deleting is real: a forgotten (or edited) entry leaves no copy of its
//! text in the database file, its WAL or its shared-memory file — the
//! FTS index and the task logs that quoted it included.

use std::path::{Path, PathBuf};

use cowork_protocol::{
    ContentBlock, Effect, Event, MemoryScope, RecalledMemory, StopReason, Usage,
};
use cowork_store::{MEMORY_TOOL, MemoryEntry, MemoryFilter, RecallQuery, Store};

use super::{file_store, new_task};

/// Ends in digits so the Porter stemmer keeps it whole in the index, and
/// starts with letters no other word here starts with, so the index's
/// prefix compression stores it whole too: a leftover would show.
const MARKER: &str = "qzvmarker8317";

fn files(db: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", db.display())))
        .collect()
}

/// Which of the database's files hold `needle`, as raw bytes.
fn holding(db: &Path, needle: &str) -> Vec<PathBuf> {
    files(db)
        .into_iter()
        .filter(|path| {
            std::fs::read(path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .collect()
}

/// Other notes around the one that goes, so its pages hold more than it.
fn neighbours(store: &Store) {
    for n in 0..200 {
        store
            .remember(
                &MemoryScope::Global,
                &format!("weekly note {n} about budgets, meetings and travel"),
                None,
            )
            .unwrap();
    }
}

/// What a task that remembered and recalled the entry logged: the
/// model's `Memory` call, the approval asked for it, a recall's result
/// and the recall at a task's start.
fn log_copies(store: &Store, entry: &MemoryEntry) {
    let task = new_task(store, "keep notes");
    let input = serde_json::json!({"action": "remember", "content": entry.content});
    let quoted = serde_json::to_string(&entry.content).unwrap();
    store
        .append_all(
            &task,
            &[
                Event::MemoryRecalled {
                    entries: vec![RecalledMemory {
                        id: entry.id.clone(),
                        scope: entry.scope.clone(),
                        excerpt: entry.content.clone(),
                    }],
                },
                Event::AssistantMessage {
                    content: vec![ContentBlock::ToolUse {
                        id: "m1".into(),
                        name: MEMORY_TOOL.into(),
                        input,
                        invalid_input: None,
                    }],
                    stop_reason: StopReason::ToolUse,
                    usage: Usage::default(),
                },
                Event::ApprovalRequested {
                    call_id: "m1".into(),
                    tool: MEMORY_TOOL.into(),
                    effect: Effect::Write,
                    summary: format!("Remember (global): {}", entry.content),
                },
                Event::ToolCallFinished {
                    id: "m2".into(),
                    name: MEMORY_TOOL.into(),
                    content: format!("- {} (global): {quoted}", entry.id),
                    is_error: false,
                    duration_ms: 1,
                },
            ],
        )
        .unwrap();
}

#[test]
fn a_forgotten_entry_leaves_no_trace_in_the_database_its_wal_or_shm() {
    let (dir, store) = file_store();
    let db = dir.path().join("cowork.db");
    neighbours(&store);
    // Quotes and a newline, so the logs hold it escaped once and twice.
    let text = format!("The \"door code\" is {MARKER}\nand changes monthly");
    let entry = store.remember(&MemoryScope::Global, &text, None).unwrap();
    log_copies(&store, &entry);
    neighbours(&store);
    assert!(!holding(&db, MARKER).is_empty(), "the scan finds it before");

    let removal = store.forget(&entry.id, &MemoryFilter::All).unwrap();
    assert_eq!(removal.entry.content, text);
    assert_eq!(removal.scrubbed_events, 4);
    assert!(removal.wal_cleared);
    assert_eq!(holding(&db, MARKER), Vec::<PathBuf>::new(), "while open");
    drop(store);
    assert_eq!(holding(&db, MARKER), Vec::<PathBuf>::new(), "after closing");

    let store = Store::open(&db).unwrap();
    let found = store
        .recall(&RecallQuery {
            text: MARKER,
            project: None,
            limit: 5,
            token_budget: 800,
        })
        .unwrap();
    assert!(found.is_empty());
    // The logs still read back, with a placeholder where the text was.
    let task = store.list_tasks(1).unwrap().remove(0).id;
    let events = store.events(&task).unwrap();
    assert_eq!(events.len(), 5);
    assert!(format!("{events:?}").contains("[a forgotten memory entry]"));
}

#[test]
fn an_edited_entry_leaves_no_trace_of_its_old_text() {
    let (dir, store) = file_store();
    let db = dir.path().join("cowork.db");
    neighbours(&store);
    let entry = store
        .remember(
            &MemoryScope::Global,
            &format!("locker {MARKER} on floor 3"),
            None,
        )
        .unwrap();
    log_copies(&store, &entry);
    assert!(!holding(&db, MARKER).is_empty());
    let removal = store
        .edit_memory(&entry.id, "locker 12 on floor 3")
        .unwrap();
    assert!(removal.wal_cleared);
    assert_eq!(holding(&db, MARKER), Vec::<PathBuf>::new());
    assert_eq!(
        store.memory(&entry.id).unwrap().content,
        "locker 12 on floor 3"
    );
}

/// Regression guard for the index: FTS5 without `secure-delete` records a
/// deletion as a new "delete" key carrying the term, so the word would be
/// written again by the very act of forgetting it.
#[test]
fn the_index_has_secure_delete_on() {
    let (dir, store) = file_store();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("cowork.db")).unwrap();
    let on: i64 = conn
        .query_row(
            "SELECT v FROM memory_fts_config WHERE k = 'secure-delete'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(on, 1);
}
