//! The caps on one model turn: how many calls run, how large one call's
//! arguments may be, and what the store keeps of the excess.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use cowork_protocol::{ContentBlock, Event, Role, TaskStatus};
use cowork_store::Store;

use super::harness::*;

/// The database and its write-ahead log: appends land in the log first.
fn store_bytes(db: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(name).ok()
        })
        .map(|m| m.len())
        .sum()
}

#[tokio::test]
async fn ten_thousand_calls_in_one_turn_run_sixty_four_and_keep_the_store_small() {
    // Regression: one turn with 10,000 tool calls used 1 GB of memory and
    // grew the store by 293 MB, recording and running every call.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\n").unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let db = db_dir.path().join("cowork.db");
    let store = Arc::new(Store::open(&db).unwrap());
    let before = store_bytes(&db);
    // Each call carries 2 KiB of arguments: recording them all would add
    // over 20 MB.
    let long_path = format!("{}a.txt", "./".repeat(1024));
    let calls: Vec<serde_json::Value> = (0..10_000)
        .map(|_| json!({"name": "Read", "input": {"file_path": long_path}}))
        .collect();
    let script = script(json!({"turns": [
        {"tool_calls": calls},
        {"text": "done"}
    ]}));
    let spec = spec("read a lot", dir.path());
    let started = Instant::now();
    let handle = start(script, Arc::clone(&store), spec);
    let id = handle.id().to_string();
    let events = run_to_end(handle).await;
    let took = started.elapsed();

    assert_eq!(
        final_status(&events).0,
        TaskStatus::Completed,
        "the task goes on"
    );
    let results = tool_results(&events);
    assert_eq!(results.len(), 65, "64 ran, one answers for the rest");
    assert!(
        results[..64].iter().all(|r| !r.2),
        "the first 64 ran: {:?}",
        results[0]
    );
    let cap = &results[64];
    assert!(cap.2, "the excess is a tool error");
    assert!(
        cap.1
            .contains("This turn had 10000 tool calls; only the first 64 ran"),
        "{}",
        cap.1
    );
    let grown = store_bytes(&db).saturating_sub(before);
    eprintln!("10,000 calls: the store grew by {grown} bytes in {took:?}");
    assert!(grown < 3 * 1024 * 1024, "the store grew by {grown} bytes");
    assert!(took < Duration::from_secs(15), "took {took:?}");

    // The model's next request carried the error, and the rebuilt
    // conversation answers every call it keeps.
    let loaded = cowork_core::load_task(&store, &id).unwrap();
    let messages = &loaded.transcript.messages;
    let assistant = messages.iter().find(|m| m.role == Role::Assistant).unwrap();
    assert_eq!(assistant.tool_uses().count(), 65);
    assert!(loaded.transcript.unanswered_tool_calls().is_empty());
    let answers = messages
        .iter()
        .flat_map(|m| &m.content)
        .filter(|b| matches!(b, ContentBlock::ToolResult { content, .. } if content.contains("at most 64 tool calls")))
        .count();
    assert_eq!(answers, 1);
}

#[tokio::test]
async fn a_call_with_oversized_arguments_is_refused_and_its_arguments_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let db = db_dir.path().join("cowork.db");
    let store = Arc::new(Store::open(&db).unwrap());
    let before = store_bytes(&db);
    let huge = "z".repeat(9 * 1024 * 1024);
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Grep", "input": {"pattern": huge}}]},
        {"text": "ok"}
    ]}));
    let handle = start(script, Arc::clone(&store), spec("search", dir.path()));
    let events = run_to_end(handle).await;

    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    let results = tool_results(&events);
    assert_eq!(results.len(), 1);
    assert!(
        results[0].2 && results[0].1.contains("over the limit of 8.0 MiB"),
        "{:?}",
        results[0].1
    );
    let started = events.iter().find_map(|e| match e {
        Event::ToolCallStarted { input, .. } => Some(input.clone()),
        _ => None,
    });
    assert_eq!(started, Some(json!({})));
    let grown = store_bytes(&db).saturating_sub(before);
    assert!(grown < 1024 * 1024, "the store grew by {grown} bytes");
}

#[tokio::test]
async fn an_answer_past_the_response_cap_fails_the_task_clearly_without_retrying() {
    // Regression: one 500 MB tool input streamed in was held whole.
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let huge = "q".repeat(cowork_model::MAX_RESPONSE_BYTES + 1);
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Grep", "input": {"pattern": huge}}]},
        {"text": "never reached"}
    ]}));
    let handle = start(script, Arc::clone(&store), spec("search", dir.path()));
    let events = run_to_end(handle).await;

    let (status, reason) = final_status(&events);
    assert_eq!(status, TaskStatus::Failed);
    let reason = reason.unwrap();
    assert!(reason.contains("grew past 32 MiB"), "{reason}");
    assert!(
        !events.iter().any(|e| matches!(e, Event::Notice { .. })),
        "not tried again"
    );
    assert!(tool_results(&events).is_empty(), "nothing ran");
}
