//! The runtime's contract with many fronts: envelopes through the hub, a
//! detached task at rest, panics recorded, finished tasks continued.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::json;

use cowork_core::tools::{JournalSetup, TaskJournal, register_file_tools};
use cowork_core::{CallContext, Hub, Preview, Subscription, Tool, ToolFailure};
use cowork_files::{Folders, JournalStore};
use cowork_model::script::ScriptModel;
use cowork_protocol::{
    Effect, EndReason, Envelope, Event, PermissionMode, TaskId, TaskStatus, ToolSpec,
};
use cowork_store::Store;

use super::harness::*;

/// Envelopes until the task's terminal status, with a timeout so a hung
/// runner fails the test.
async fn watch_to_end(sub: &mut Subscription) -> Vec<Envelope> {
    let mut seen = Vec::new();
    let collect = async {
        while let Some(envelope) = sub.next().await {
            let end = matches!(
                &envelope.event,
                Event::StatusChanged { status, .. } if status.is_terminal()
            );
            seen.push(envelope);
            if end {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .expect("the task ended in time");
    seen
}

/// This thread's CPU time (user + system), from the kernel's clock
/// ticks (USER_HZ is 100 on Linux).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<u64> = after_name
        .split(' ')
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    Duration::from_millis((fields[0] + fields[1]) * 10)
}

/// Regression for "detaching spins": once the front dropped its handle,
/// `handle_op`'s `None` arm swapped in a fresh closed channel, so every
/// `select!` woke at once, forever. The test runtime has one thread, so
/// the runner's CPU time is this thread's.
#[tokio::test]
async fn a_detached_task_waits_for_a_slow_model_at_no_cpu_cost() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("take your time", dir.path());
    let script = script(json!({"turns": [{"text": "done", "delay_ms": 1000}]}));
    let deps = script_deps(script, store, &spec);
    let hub = deps.hub.clone();
    let handle = start_with(deps, spec);
    let mut watcher = hub.subscribe(handle.id(), 0).unwrap();
    drop(handle);
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let seen = watch_to_end(&mut watcher).await;
    let (cpu, wall) = (thread_cpu() - cpu, wall.elapsed());
    assert!(matches!(
        seen.last().map(|e| &e.event),
        Some(Event::StatusChanged {
            status: TaskStatus::Completed,
            ..
        })
    ));
    assert!(wall >= Duration::from_millis(900), "{wall:?}");
    assert!(
        cpu < wall / 5,
        "the detached task used {cpu:?} of CPU over {wall:?}"
    );
}

/// A read-only tool that panics when called.
struct Boom(ToolSpec);

impl Tool for Boom {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }
    fn preview(
        &self,
        _input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        Box::pin(async {
            Ok(Preview {
                summary: "boom".into(),
                paths: Vec::<PathBuf>::new(),
            })
        })
    }
    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        Box::pin(async { panic!("the Boom tool fell over") })
    }
}

/// Regression for "a panic leaves the task running": `handle.rs` spoke of
/// a panic guard that did not exist.
#[tokio::test]
async fn a_panicking_tool_fails_the_task_with_the_panic_message_and_the_process_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("boom", dir.path());
    let boom = script(json!({"turns": [
        {"tool_calls": [{"name": "Boom", "input": {}}]},
        {"text": "never"}
    ]}));
    let mut deps = script_deps(boom, Arc::clone(&store), &spec);
    deps.tools.register(Arc::new(Boom(ToolSpec {
        name: "Boom".into(),
        description: "panics".into(),
        input_schema: json!({"type": "object"}),
        effect: Effect::Read,
    })));
    let handle = start_with(deps, spec.clone());
    let id = handle.id().clone();
    let events = run_to_end(handle).await;
    let (status, reason) = final_status(&events);
    assert_eq!(status, TaskStatus::Failed);
    assert!(
        reason
            .as_deref()
            .unwrap()
            .contains("the Boom tool fell over"),
        "{reason:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::StatusChanged { end: Some(EndReason::Panicked { message }), .. }
            if message.contains("fell over")
    )));
    let row = store.task(id.as_str()).unwrap();
    assert_eq!(row.status, TaskStatus::Failed);

    let next = start(
        script(json!({"turns": [{"text": "still here"}]})),
        store,
        spec,
    );
    assert_eq!(
        final_status(&run_to_end(next).await).0,
        TaskStatus::Completed
    );
}

/// Every watcher sees the whole log live, journaled file changes
/// included, in seq order without gap or duplicate, as the store holds it.
#[tokio::test]
async fn a_watcher_sees_file_changes_live_with_the_stores_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let mut spec = spec("write a note", dir.path());
    spec.mode = PermissionMode::Auto;
    let script = script(json!({"turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "note.txt", "content": "hi"}}]},
        {"text": "written"}
    ]}));
    let mut deps = script_deps(script, Arc::clone(&store), &spec);
    let id = TaskId::new();
    let journal = TaskJournal::new(JournalSetup {
        store: Arc::new(JournalStore::open(data.path()).unwrap()),
        log: deps.hub.publisher(&id),
    });
    let folders = Arc::new(Folders::open(&spec.folders).unwrap());
    register_file_tools(&mut deps.tools, folders, Some(&journal), spec.mode);
    let hub = deps.hub.clone();
    let handle = cowork_core::start_task(deps, id.clone(), spec).unwrap();
    let mut watcher = hub.subscribe(&id, 0).unwrap();
    let seen = watch_to_end(&mut watcher).await;
    drop(handle);

    assert!(
        seen.iter()
            .any(|e| matches!(e.event, Event::FileChanged { .. })),
        "{seen:?}"
    );
    let live: Vec<(u64, Event)> = seen
        .into_iter()
        .filter(|e| e.is_persistent())
        .map(|e| (e.seq, e.event))
        .collect();
    let stored: Vec<(u64, Event)> = store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.event))
        .collect();
    assert_eq!(live, stored);
}

#[tokio::test]
async fn a_finished_task_continues_with_a_new_message_in_the_same_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("hello", dir.path());
    let script = script(json!({"turns": [{"text": "first answer"}, {"text": "second answer"}]}));
    let handle = start(script.clone(), Arc::clone(&store), spec.clone());
    let id = handle.id().clone();
    assert_eq!(
        final_status(&run_to_end(handle).await).0,
        TaskStatus::Completed
    );

    let task = cowork_core::load_task(&store, id.as_str()).unwrap();
    let model = Arc::new(ScriptModel::new(script).with_start(task.transcript.model_calls));
    let deps = deps(model, Arc::clone(&store), &spec);
    let hub: Hub = deps.hub.clone();
    let after = store.events(&id).unwrap().len() as u64;
    let mut watcher = hub.subscribe(&id, after).unwrap();
    let handle = cowork_core::continue_task(deps, task, "and then?".into()).unwrap();
    let events = run_to_end(handle).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert!(events.contains(&Event::UserMessage {
        text: "and then?".into()
    }));
    assert!(events.contains(&Event::TurnStarted { turn: 2 }));
    // Other watchers learn live that the task runs again.
    let first = watcher.next().await.unwrap();
    assert!(
        matches!(
            first.event,
            Event::StatusChanged {
                status: TaskStatus::Running,
                ..
            }
        ),
        "{first:?}"
    );

    let task = cowork_core::load_task(&store, id.as_str()).unwrap();
    let texts: Vec<String> = task
        .transcript
        .messages
        .iter()
        .map(|m| format!("{:?}", m.content))
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts[1].contains("first answer") && texts[3].contains("second answer"));
    assert_eq!(task.status, TaskStatus::Completed);
}

#[tokio::test]
async fn a_running_task_is_not_continued_but_told_to_take_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let spec = spec("hello", dir.path());
    let id = TaskId::new();
    store
        .create_task(&id, &spec, &cowork_store::Owner::current().unwrap())
        .unwrap();
    let task = cowork_core::load_task(&store, id.as_str()).unwrap();
    let deps = script_deps(script(json!({"turns": []})), Arc::clone(&store), &spec);
    let err = cowork_core::continue_task(deps, task, "more".into()).unwrap_err();
    assert!(err.to_string().contains("still running"), "{err}");
    assert_eq!(store.events(&id).unwrap().len(), 1, "nothing was appended");
}

/// Regression for "a message accepted as the task ends is dropped": a
/// front whose message `send` took must find it in the task's log,
/// whether the task went on with it or ended meanwhile. A sender floods
/// the task with messages until it is told the task takes no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_a_task_took_is_in_its_log_even_as_it_ends() {
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_in_memory().unwrap());
        let spec = spec("hello", dir.path());
        let turns: Vec<_> = (0..4)
            .map(|i| json!({"text": format!("answer {i}"), "delay_ms": 5}))
            .collect();
        let handle = start(script(json!({ "turns": turns })), Arc::clone(&store), spec);
        let id = handle.id().clone();
        let ops = handle.op_sender();
        let flood = std::thread::spawn(move || {
            let mut taken = Vec::new();
            // Bounded: each message taken is a stored event.
            for i in 0..5_000 {
                let text = format!("message {i}");
                if !ops.send(cowork_protocol::Op::UserMessage { text: text.clone() }) {
                    break;
                }
                taken.push(text);
                std::thread::sleep(Duration::from_micros(50));
            }
            taken
        });
        run_to_end(handle).await;
        let taken = flood.join().unwrap();
        let logged: std::collections::HashSet<String> = store
            .events(&id)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event {
                Event::UserMessage { text } => Some(text),
                _ => None,
            })
            .collect();
        let lost: Vec<&String> = taken.iter().filter(|t| !logged.contains(*t)).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} taken messages are not in the log, e.g. {:?}",
            lost.len(),
            taken.len(),
            lost.first()
        );
    }
}
