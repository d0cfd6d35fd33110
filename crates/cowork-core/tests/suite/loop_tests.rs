use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::json;

use cowork_core::{CallContext, Tool, ToolFailure};
use cowork_protocol::{
    BudgetExceeded, ContentBlock, Effect, EndReason, Event, Op, TaskStatus, ToolSpec,
};
use cowork_store::Store;

use super::harness::*;

fn folder_with_notes() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.md"), "# gamma\n").unwrap();
    dir
}

#[tokio::test]
async fn a_multi_step_task_reads_files_and_completes() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("what is in the notes?", dir.path());
    let script = script(json!({"turns": [
        {"text": "Let me look.", "tool_calls": [{"name": "Glob", "input": {"pattern": "**/*"}}]},
        {"tool_calls": [
            {"name": "Read", "input": {"file_path": "a.txt"}},
            {"name": "Read", "input": {"file_path": "sub/b.md"}}
        ]},
        {"text": "The notes say alpha, beta and gamma."}
    ]}));
    let handle = start(script, Arc::clone(&store), spec);
    let id = handle.id().clone();
    let events = run_to_end(handle).await;

    assert_eq!(final_status(&events), (TaskStatus::Completed, None));
    let results = tool_results(&events);
    assert_eq!(results.len(), 3);
    assert!(
        results[0].1.contains("a.txt") && results[0].1.contains("b.md"),
        "{results:?}"
    );
    assert!(results[1].1.contains("alpha"));
    assert!(results[2].1.contains("gamma"));
    assert!(results.iter().all(|r| !r.2));
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            Event::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(text.contains("alpha, beta and gamma"), "{text}");

    // The store holds the whole persistent log, in order.
    let row = store.task(id.as_str()).unwrap();
    assert_eq!(row.status, TaskStatus::Completed);
    assert_eq!(row.turns, 3);
    let stored: Vec<Event> = store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    let persistent: Vec<&Event> = events.iter().filter(|e| e.is_persistent()).collect();
    assert_eq!(stored.len(), persistent.len() + 1, "plus TaskCreated");
    assert!(matches!(stored[0], Event::TaskCreated { .. }));
}

#[tokio::test]
async fn unknown_tools_and_broken_arguments_go_back_to_the_model_as_errors() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("read a.txt", dir.path());
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Teleport", "input": {}}]},
        {"tool_calls": [{"name": "Read", "raw_input": "{\"file_path\": \"a.txt\""}]},
        {"tool_calls": [{"name": "Read", "input": {"path": "a.txt"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": "../../etc/passwd"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "alpha"}
    ]}));
    let handle = start(script, store, spec);
    let events = run_to_end(handle).await;

    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    let results = tool_results(&events);
    assert_eq!(results.len(), 5);
    assert!(
        results[0].2 && results[0].1.contains("no tool named Teleport"),
        "{:?}",
        results[0]
    );
    assert!(results[0].1.contains("Read"), "lists the known tools");
    assert!(
        results[1].2 && results[1].1.contains("not valid JSON"),
        "{:?}",
        results[1]
    );
    assert!(
        results[2].2 && results[2].1.contains("file_path"),
        "{:?}",
        results[2]
    );
    assert!(
        results[3].2 && results[3].1.contains("outside"),
        "{:?}",
        results[3]
    );
    assert!(!results[4].2 && results[4].1.contains("alpha"));
}

#[tokio::test]
async fn large_tool_output_is_truncated_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let big: String = (0..5000)
        .map(|i| format!("line number {i} of a long file\n"))
        .collect();
    std::fs::write(dir.path().join("big.txt"), big).unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("read big.txt", dir.path());
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "big.txt", "limit": 5000}}]},
        {"text": "done"}
    ]}));
    let handle = start(script, store, spec);
    let events = run_to_end(handle).await;
    let results = tool_results(&events);
    assert!(results[0].1.len() < 32_000, "{}", results[0].1.len());
    assert!(results[0].1.contains("output truncated"));
    assert!(results[0].1.contains("line number 4999"), "keeps the tail");
}

#[tokio::test]
async fn a_tiny_context_window_makes_the_task_compact_and_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..300)
        .map(|i| format!("fact {i}: the sky is blue\n"))
        .collect();
    std::fs::write(dir.path().join("facts.txt"), text).unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("summarise facts.txt", dir.path());
    let script = script(json!({"context_window": 4000, "turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "facts.txt"}}]},
        {"tool_calls": [{"name": "LS", "input": {}}]},
        {"text": "SUMMARY: read facts.txt (300 facts, all about the sky)."},
        {"text": "The sky is blue, 300 times."}
    ]}));
    let handle = start(script, Arc::clone(&store), spec);
    let id = handle.id().clone();
    let events = run_to_end(handle).await;

    assert_eq!(
        final_status(&events).0,
        TaskStatus::Completed,
        "{events:#?}"
    );
    let compacted = events.iter().find_map(|e| match e {
        Event::Compacted {
            summary,
            replaced_messages,
            ..
        } => Some((summary.clone(), *replaced_messages)),
        _ => None,
    });
    let (summary, replaced) = compacted.expect("the task compacted");
    assert!(summary.starts_with("SUMMARY"));
    assert_eq!(replaced, 3, "prompt, first call, its result");

    // The rebuilt conversation starts from the summary and no longer holds
    // the big file.
    let task = cowork_core::load_task(&store, id.as_str()).unwrap();
    let first = task.transcript.messages[0].text();
    assert!(first.contains("summarise facts.txt") && first.contains("SUMMARY"));
    let all: String = task
        .transcript
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .map(|b| match b {
            ContentBlock::ToolResult { content, .. } => content.clone(),
            ContentBlock::Text { text } => text.clone(),
            ContentBlock::ToolUse { .. } => String::new(),
        })
        .collect();
    assert!(
        !all.contains("fact 150"),
        "the big result was compacted away"
    );
}

#[tokio::test]
async fn the_turn_budget_stops_the_task_with_a_typed_reason_that_names_no_cli_flag() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let mut spec = spec("loop forever", dir.path());
    spec.budget.max_turns = Some(2);
    let turn = json!({"tool_calls": [{"name": "LS", "input": {}}]});
    let script = script(json!({"turns": [turn, turn, turn, turn]}));
    let handle = start(script, store, spec);
    let events = run_to_end(handle).await;
    let (status, reason) = final_status(&events);
    assert_eq!(status, TaskStatus::Failed);
    // Regression: core's reason said "raise it with --max-turns", a flag
    // the web UI does not have; fronts word the typed reason themselves.
    let reason = reason.unwrap();
    assert!(reason.contains("turn budget of 2"), "{reason}");
    assert!(!reason.contains("--"), "{reason}");
    let end = events.iter().rev().find_map(|e| match e {
        Event::StatusChanged { end, .. } => end.clone(),
        _ => None,
    });
    assert_eq!(
        end,
        Some(EndReason::Budget {
            budget: BudgetExceeded::Turns { max: 2 }
        })
    );
}

#[tokio::test]
async fn running_out_of_script_fails_the_task_clearly() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("x", dir.path());
    let script = script(json!({"turns": [{"tool_calls": [{"name": "LS", "input": {}}]}]}));
    let handle = start(script, store, spec);
    let events = run_to_end(handle).await;
    let (status, reason) = final_status(&events);
    assert_eq!(status, TaskStatus::Failed);
    assert!(reason.unwrap().contains("no turn left"));
}

#[tokio::test]
async fn a_cancel_op_stops_the_task_during_a_model_call() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("slow", dir.path());
    let script = script(json!({"turns": [{"text": "never", "delay_ms": 10_000}]}));
    let handle = start(script, Arc::clone(&store), spec);
    let id = handle.id().clone();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(handle.submit(Op::Cancel));
    let events = run_to_end(handle).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(final_status(&events).0, TaskStatus::Cancelled);
    assert_eq!(
        store.task(id.as_str()).unwrap().status,
        TaskStatus::Cancelled
    );
}

/// A read-only tool that takes a while, to observe concurrency.
struct Slow(ToolSpec);

impl Tool for Slow {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }
    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok("slept".to_owned())
        })
    }
}

#[tokio::test]
async fn independent_read_only_calls_run_concurrently() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("nap", dir.path());
    let call = json!({"name": "Nap", "input": {}});
    let script =
        script(json!({"turns": [{"tool_calls": [call, call, call, call]}, {"text": "ok"}]}));
    let mut deps = script_deps(script, store, &spec);
    deps.tools.register(Arc::new(Slow(ToolSpec {
        name: "Nap".into(),
        description: "sleeps".into(),
        input_schema: json!({"type": "object"}),
        effect: Effect::Read,
    })));
    let started = Instant::now();
    let events = run_to_end(start_with(deps, spec)).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(tool_results(&events).len(), 4);
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_breaks_midway_is_tried_again() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("hi", dir.path());
    let script = script(json!({"turns": [
        {"text": "Half an ans", "stream_error": "Overloaded"},
        {"text": "The whole answer."}
    ]}));
    let handle = start(script, Arc::clone(&store), spec);
    let id = handle.id().clone();
    let events = run_to_end(handle).await;
    assert_eq!(
        final_status(&events).0,
        TaskStatus::Completed,
        "{events:#?}"
    );
    assert!(events.iter().any(|e| matches!(e,
        Event::Notice { message } if message.contains("Overloaded") && message.contains("again"))));
    let task = cowork_core::load_task(&store, id.as_str()).unwrap();
    assert_eq!(
        task.transcript.messages.len(),
        2,
        "only the whole answer was recorded"
    );
    assert_eq!(task.transcript.messages[1].text(), "The whole answer.");
}

/// Runs until the task is cancelled (or 20 s pass), like a long command.
struct UntilCancelled(ToolSpec);

impl Tool for UntilCancelled {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }
    fn call(
        &self,
        _input: serde_json::Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        Box::pin(async move {
            for _ in 0..2000 {
                if ctx.cancel.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok("stopped early".to_owned());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok("ran to the end".to_owned())
        })
    }
}

#[tokio::test]
async fn cancelling_reaches_a_running_tool_at_once() {
    let dir = folder_with_notes();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("run long", dir.path());
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Long", "input": {}}, {"name": "LS", "input": {}}]},
        {"text": "never reached"}
    ]}));
    let mut deps = script_deps(script, store, &spec);
    deps.tools.register(Arc::new(UntilCancelled(ToolSpec {
        name: "Long".into(),
        description: "runs long".into(),
        input_schema: json!({"type": "object"}),
        effect: Effect::Execute,
    })));
    let handle = start_with(deps, spec);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(handle.submit(Op::Cancel));
    let events = run_to_end(handle).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(final_status(&events).0, TaskStatus::Cancelled);
    let results = tool_results(&events);
    assert_eq!(results[0].1, "stopped early");
    assert!(
        results[1].2 && results[1].1.contains("cancelled"),
        "{results:?}"
    );
}
