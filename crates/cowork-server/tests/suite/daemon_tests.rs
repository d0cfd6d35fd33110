//! The daemon's task manager: the queue, approvals from any front,
//! messages, cancel, undo, and the files a task touched.

use std::time::{Duration, Instant};

use serde_json::json;

use cowork_protocol::{ApprovalDecision, Event, PermissionMode, TaskStatus};
use cowork_server::Backend;
use cowork_server::backend::{BackendError, FileChangeKind, Front, NewTask};

use super::daemon_support::*;

fn slow_answer(ms: u64) -> serde_json::Value {
    json!({"turns": [{"text": "done", "delay_ms": ms}]})
}

fn write_then_done(file: &str) -> serde_json::Value {
    json!({"turns": [
        {"tool_calls": [{"name": "Write", "id": "w1",
                         "input": {"file_path": file, "content": "hello"}}]},
        {"text": "done"}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_beyond_max_tasks_wait_in_submission_order_and_all_complete() {
    let place = Place::new();
    let manager = place.start(2);
    let script = place.script("slow", slow_answer(300));
    let mut ids = Vec::new();
    for n in 0..5 {
        let request = place.request(&format!("task {n}"), &script, PermissionMode::Plan);
        ids.push(manager.create_task(request).unwrap());
    }
    let listed = manager.list_tasks(10).unwrap();
    let queued = listed.iter().filter(|t| t.queued).count();
    assert_eq!(queued, 3, "two run, three wait: {listed:#?}");
    assert!(listed.iter().all(|t| t.status == TaskStatus::Running));
    // Sampled while they run: never more than two at once, and the tasks
    // that have left the queue are always the oldest (first in, first out).
    let watch = {
        let manager = manager.clone();
        let ids = ids.clone();
        tokio::spawn(async move {
            let mut most = 0;
            loop {
                let (running, waiting) = manager.load();
                most = most.max(running);
                let left: Vec<bool> = ids
                    .iter()
                    .map(|id| !manager.task(id.as_str()).unwrap().summary.queued)
                    .collect();
                assert!(
                    left.windows(2).all(|w| w[0] || !w[1]),
                    "a task left the queue before an older one: {left:?}"
                );
                if running == 0 && waiting == 0 {
                    return most;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    for id in &ids {
        assert_eq!(
            ended(&manager, id).await.summary.status,
            TaskStatus::Completed
        );
    }
    assert_eq!(watch.await.unwrap(), 2, "never more than max_tasks at once");
    // The third task could only start once one of the first two ended.
    let store = place.store();
    let first_turn = |id| {
        log(&store, id)
            .iter()
            .find(|e| matches!(e.event, Event::TurnStarted { .. }))
            .unwrap()
            .at
    };
    let ended_at = |id| {
        log(&store, id)
            .iter()
            .rfind(
                |e| matches!(&e.event, Event::StatusChanged { status, .. } if status.is_terminal()),
            )
            .unwrap()
            .at
    };
    assert!(first_turn(&ids[2]) >= ended_at(&ids[0]).min(ended_at(&ids[1])));
}

/// Runs waiting overnight for approval must not keep later ones (a
/// schedule's next due time) from running: a task waiting for a person
/// holds no slot, and once answered it goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_waiting_for_an_answer_gives_its_slot_to_the_next() {
    let place = Place::new();
    let manager = place.start(1);
    let asking = place.script("asking", write_then_done("a.txt"));
    let quick = place.script("quick", slow_answer(0));
    let first = manager
        .create_task(place.request("first", &asking, PermissionMode::Ask))
        .unwrap();
    wait_for(&manager, &first, 30, "a question", |d| {
        !d.pending.is_empty()
    })
    .await;
    let second = manager
        .create_task(place.request("second", &quick, PermissionMode::Plan))
        .unwrap();
    assert_eq!(
        ended(&manager, &second).await.summary.status,
        TaskStatus::Completed,
        "the second task ran while the first waited"
    );
    assert_eq!(status_of(&place.store(), &first), TaskStatus::Running);
    // A third one runs too: the waiting task still holds nothing.
    let third = manager
        .create_task(place.request("third", &quick, PermissionMode::Plan))
        .unwrap();
    assert_eq!(
        ended(&manager, &third).await.summary.status,
        TaskStatus::Completed
    );
    manager
        .decide(&first, "w1", ApprovalDecision::AllowOnce, Front::Web)
        .unwrap();
    assert_eq!(
        ended(&manager, &first).await.summary.status,
        TaskStatus::Completed
    );
    assert_eq!(manager.load(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_task_that_is_cancelled_never_runs() {
    let place = Place::new();
    let manager = place.start(1);
    let script = place.script("slow", slow_answer(400));
    let first = manager
        .create_task(place.request("first", &script, PermissionMode::Plan))
        .unwrap();
    let second = manager
        .create_task(place.request("second", &script, PermissionMode::Plan))
        .unwrap();
    assert!(manager.task(second.as_str()).unwrap().summary.queued);
    manager.cancel(&second).unwrap();
    let detail = ended(&manager, &second).await;
    assert_eq!(detail.summary.status, TaskStatus::Cancelled);
    assert_eq!(
        ended(&manager, &first).await.summary.status,
        TaskStatus::Completed
    );
    let store = place.store();
    assert!(
        !log(&store, &second)
            .iter()
            .any(|e| matches!(e.event, Event::TurnStarted { .. })),
        "a cancelled queued task never called the model"
    );
    // A second cancel has nothing left to stop.
    assert!(matches!(
        manager.cancel(&second),
        Err(BackendError::Conflict(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_task_is_cancelled_and_ends_cancelled() {
    let place = Place::new();
    let manager = place.start(2);
    let script = place.script("slow", slow_answer(5_000));
    let id = manager
        .create_task(place.request("slow", &script, PermissionMode::Plan))
        .unwrap();
    wait_for(&manager, &id, 10, "its first turn", |d| {
        d.summary.turns == 1
    })
    .await;
    manager.cancel(&id).unwrap();
    assert_eq!(
        ended(&manager, &id).await.summary.status,
        TaskStatus::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_taken_once_and_a_second_answer_is_a_conflict() {
    let place = Place::new();
    let manager = place.start(2);
    let script = place.script("write", write_then_done("out.txt"));
    let id = manager
        .create_task(place.request("write it", &script, PermissionMode::Ask))
        .unwrap();
    let detail = wait_for(&manager, &id, 10, "an approval", |d| !d.pending.is_empty()).await;
    assert_eq!(detail.pending[0].id, "w1");
    assert_eq!(detail.pending[0].tool, "Write");
    assert_eq!(detail.summary.pending_approvals, 1);
    assert!(matches!(
        manager.decide(&id, "nope", ApprovalDecision::AllowOnce, Front::Web),
        Err(BackendError::NotFound(_))
    ));
    manager
        .decide(&id, "w1", ApprovalDecision::AllowOnce, Front::Web)
        .unwrap();
    let second = manager.decide(&id, "w1", ApprovalDecision::AllowOnce, Front::Api);
    assert!(
        matches!(second, Err(BackendError::Conflict(_))),
        "{second:?}"
    );
    assert_eq!(
        ended(&manager, &id).await.summary.status,
        TaskStatus::Completed
    );
    assert_eq!(
        std::fs::read_to_string(place.folder().join("out.txt")).unwrap(),
        "hello"
    );
    let decided: Vec<String> = log(&place.store(), &id)
        .into_iter()
        .filter_map(|e| {
            if let Event::ApprovalDecided { by, .. } = e.event {
                Some(by)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        decided,
        ["web"],
        "one decision, by the front that answered first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_a_finished_task_continues_it_in_the_same_transcript() {
    let place = Place::new();
    let manager = place.start(2);
    let script = place.script(
        "two",
        json!({"turns": [{"text": "first answer"}, {"text": "second answer"}]}),
    );
    let id = manager
        .create_task(place.request("start", &script, PermissionMode::Plan))
        .unwrap();
    assert_eq!(
        ended(&manager, &id).await.summary.status,
        TaskStatus::Completed
    );
    manager.message(&id, "and then?".to_owned()).unwrap();
    wait_for(&manager, &id, 10, "its second turn", |d| {
        d.summary.turns == 2
    })
    .await;
    assert_eq!(
        ended(&manager, &id).await.summary.status,
        TaskStatus::Completed
    );
    let events = log(&place.store(), &id);
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.event, Event::UserMessage { text } if text == "and then?"))
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.event, Event::AssistantMessage { .. }))
            .count(),
        2
    );
    assert_well_formed(&events);
    assert!(matches!(
        manager.message(&id, "  ".to_owned()),
        Err(BackendError::BadRequest(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_request_is_refused_before_anything_is_recorded() {
    let place = Place::new();
    let manager = place.start(2);
    let script = place.script("s", slow_answer(0));
    let missing = place.dir.path().join("missing");
    let mut request: NewTask = place.request("x", &script, PermissionMode::Plan);
    request.folders[0].path = missing.clone();
    match manager.create_task(request) {
        Err(BackendError::BadRequest(message)) => {
            assert!(
                message.contains(&missing.display().to_string()),
                "{message}"
            );
        }
        other => panic!("expected a 400 naming the folder, got {other:?}"),
    }
    assert!(manager.list_tasks(10).unwrap().is_empty());
    assert!(matches!(
        manager.task("ffffffffffff"),
        Err(BackendError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_files_a_task_wrote_are_listed_read_and_undone() {
    let place = Place::new();
    std::fs::write(place.folder().join("secret.txt"), "not the task's").unwrap();
    let manager = place.start(2);
    let script = place.script("write", write_then_done("out.txt"));
    let id = manager
        .create_task(place.request("write it", &script, PermissionMode::Auto))
        .unwrap();
    assert_eq!(
        ended(&manager, &id).await.summary.status,
        TaskStatus::Completed
    );
    let out = place.folder().join("out.txt").display().to_string();
    let files = manager.files(&id).unwrap();
    assert_eq!(files.len(), 1, "{files:#?}");
    assert_eq!(files[0].path, out);
    assert_eq!(files[0].change, FileChangeKind::Created);
    assert_eq!(files[0].size, Some(5));
    assert_eq!(manager.read_file(&id, &out).unwrap().bytes, b"hello");
    let secret = place.folder().join("secret.txt").display().to_string();
    assert!(matches!(
        manager.read_file(&id, &secret),
        Err(BackendError::NotFound(_))
    ));
    let dotted = format!("{}/../folder/out.txt", place.folder().display());
    assert!(matches!(
        manager.read_file(&id, &dotted),
        Err(BackendError::NotFound(_))
    ));

    let plan = manager.undo(&id, true).unwrap();
    assert!(plan.dry_run);
    assert!(!plan.steps.is_empty(), "{plan:#?}");
    assert!(
        place.folder().join("out.txt").exists(),
        "a dry run changes nothing"
    );
    let done = manager.undo(&id, false).unwrap();
    assert_eq!(done.restored, 1, "{done:#?}");
    assert!(!place.folder().join("out.txt").exists());
    let files = manager.files(&id).unwrap();
    assert!(!files[0].exists);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_is_refused_while_the_task_runs() {
    let place = Place::new();
    let manager = place.start(2);
    let script = place.script("slow", slow_answer(5_000));
    let id = manager
        .create_task(place.request("slow", &script, PermissionMode::Plan))
        .unwrap();
    assert!(matches!(
        manager.undo(&id, true),
        Err(BackendError::Conflict(_))
    ));
    manager.cancel(&id).unwrap();
    ended(&manager, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_shutting_down_takes_no_new_work_and_leaves_running_tasks_be() {
    let place = Place::new();
    let manager = place.start(1);
    let slow = place.script("slow", slow_answer(300));
    let running = manager
        .create_task(place.request("running", &slow, PermissionMode::Plan))
        .unwrap();
    let waiting = manager
        .create_task(place.request("waiting", &slow, PermissionMode::Plan))
        .unwrap();
    manager.shutdown();
    let refused = manager.create_task(place.request("late", &slow, PermissionMode::Plan));
    assert!(
        matches!(refused, Err(BackendError::Conflict(_))),
        "{refused:?}"
    );
    assert!(matches!(
        manager.message(&running, "more".to_owned()),
        Err(BackendError::Conflict(_))
    ));
    // The running task finishes; the waiting one stays recorded as
    // running for the next daemon to resume, and is not started now.
    assert_eq!(
        ended(&manager, &running).await.summary.status,
        TaskStatus::Completed
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let store = place.store();
    assert_eq!(status_of(&store, &waiting), TaskStatus::Running);
    assert!(
        !log(&store, &waiting)
            .iter()
            .any(|e| matches!(e.event, Event::TurnStarted { .. }))
    );
}

/// Regression: a daemon records a task when it is submitted and starts it
/// later; starting it went through resume, so every new task's log said
/// "resumed" before it had ever run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_task_started_from_the_queue_is_not_said_to_be_resumed() {
    let place = Place::new();
    let manager = place.start(1);
    let script = place.script("slow", slow_answer(200));
    let first = manager
        .create_task(place.request("first", &script, PermissionMode::Plan))
        .unwrap();
    let queued = manager
        .create_task(place.request("queued", &script, PermissionMode::Plan))
        .unwrap();
    let store = place.store();
    for id in [&first, &queued] {
        let detail = ended(&manager, id).await;
        assert_eq!(detail.summary.status, TaskStatus::Completed);
        assert_eq!(detail.reason, None, "{detail:#?}");
        let statuses: Vec<TaskStatus> = log(&store, id)
            .into_iter()
            .filter_map(|e| {
                if let Event::StatusChanged { status, .. } = e.event {
                    Some(status)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(statuses, [TaskStatus::Completed]);
    }
}

/// One command, `/greet NAME`; any other `/name` is unknown.
struct Greet;

impl cowork_core::ExtensionSource for Greet {
    fn for_task(&self, _: &cowork_core::TaskContext) -> cowork_core::TaskExtensions {
        cowork_core::TaskExtensions::default()
    }

    fn expand(
        &self,
        prompt: &str,
        _: &cowork_core::TaskContext,
    ) -> Result<Option<cowork_core::ExpandedPrompt>, cowork_core::UnknownCommand> {
        let Some(rest) = prompt.strip_prefix('/') else {
            return Ok(None);
        };
        match rest.split_once(' ') {
            Some(("greet", name)) => Ok(Some(cowork_core::ExpandedPrompt {
                name: "kit:greet".into(),
                text: format!("Say hello to {name}."),
            })),
            _ => Err(cowork_core::UnknownCommand {
                name: rest.split(' ').next().unwrap_or_default().into(),
                close: vec!["kit:greet".into()],
            }),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_from_any_front_is_expanded_and_an_unknown_one_is_refused_unrecorded() {
    let place = Place::new();
    let manager = place.start_extended(
        2,
        cowork_protocol::config::Config::default(),
        Some(std::sync::Arc::new(Greet)),
    );
    let script = place.script("done", json!({"turns": [{"text": "Hello, Ann."}]}));

    let refused = manager
        .create_task(place.request("/grete Ann", &script, PermissionMode::Auto))
        .unwrap_err();
    match refused {
        BackendError::BadRequest(message) => assert!(message.contains("/kit:greet"), "{message}"),
        other => panic!("not a bad request: {other:?}"),
    }
    assert!(manager.list_tasks(10).unwrap().is_empty());

    let id = manager
        .create_task(place.request("/greet Ann", &script, PermissionMode::Auto))
        .unwrap();
    let detail = ended(&manager, &id).await;
    assert_eq!(detail.summary.status, TaskStatus::Completed);
    let events = place.store().events(&id).unwrap();
    assert!(events.iter().any(|e| matches!(
        &e.event,
        Event::PromptExpanded { name, text } if name == "kit:greet" && text == "Say hello to Ann."
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_in_a_message_is_expanded_and_an_unknown_one_refused_at_once() {
    let place = Place::new();
    let manager = place.start_extended(
        2,
        cowork_protocol::config::Config::default(),
        Some(std::sync::Arc::new(Greet)),
    );
    let script = place.script(
        "two",
        json!({"turns": [{"text": "Hi."}, {"text": "Hello, Bo."}]}),
    );
    let id = manager
        .create_task(place.request("hi", &script, PermissionMode::Auto))
        .unwrap();
    ended(&manager, &id).await;
    match manager.message(&id, "/grete Bo".to_owned()) {
        Err(BackendError::BadRequest(message)) => {
            assert!(message.contains("/kit:greet"), "{message}");
        }
        other => panic!("not a bad request: {other:?}"),
    }
    manager.message(&id, "/greet Bo".to_owned()).unwrap();
    wait_for(&manager, &id, 10, "the second answer", |d| {
        d.summary.status == TaskStatus::Completed && d.summary.turns >= 2
    })
    .await;
    let events = place.store().events(&id).unwrap();
    assert!(events.iter().any(|e| matches!(
        &e.event,
        Event::PromptExpanded { text, .. } if text == "Say hello to Bo."
    )));
    assert!(
        !events
            .iter()
            .any(|e| matches!(&e.event, Event::UserMessage { text } if text.contains("grete"))),
        "the refused message reached the task"
    );
}

/// The person's notification command, recording each notice it gets.
fn recording_notifier(place: &Place) -> (cowork_server::notify::Notifier, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = place.data_dir().join("hook");
    std::fs::create_dir_all(&dir).unwrap();
    let got = dir.join("notices.jsonl");
    let hook = dir.join("hook");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >> {}\necho >> {}\n",
            got.display(),
            got.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = cowork_protocol::config::NotificationsConfig {
        desktop: false,
        command: vec![hook.to_string_lossy().into_owned()],
    };
    (
        cowork_server::notify::Notifier::from_config(&config, None),
        got,
    )
}

fn notices(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_is_notified_when_a_task_waits_and_when_it_ends() {
    let place = Place::new();
    let (notifier, got) = recording_notifier(&place);
    let manager = place.start_notified(2, notifier);
    let script = place.script("write", write_then_done("out.txt"));
    let id = manager
        .create_task(place.request("Write the weekly report", &script, PermissionMode::Ask))
        .unwrap();
    wait_for(&manager, &id, 10, "an approval", |d| !d.pending.is_empty()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while notices(&got).is_empty() {
        assert!(Instant::now() < deadline, "no notice of the approval");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let waiting = notices(&got);
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["kind"], "waiting");
    assert_eq!(waiting[0]["task"], id.as_str());
    assert!(
        waiting[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("Write the weekly report"),
        "{waiting:?}"
    );
    manager
        .decide(&id, "w1", ApprovalDecision::AllowOnce, Front::Web)
        .unwrap();
    ended(&manager, &id).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while notices(&got).len() < 2 {
        assert!(Instant::now() < deadline, "no notice of the end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = notices(&got);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[1]["kind"], "finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_notification_command_does_not_hold_up_the_daemon() {
    use std::os::unix::fs::PermissionsExt;
    let place = Place::new();
    let hook = place.data_dir().join("hangs");
    std::fs::create_dir_all(place.data_dir()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nsleep 30\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = cowork_protocol::config::NotificationsConfig {
        desktop: false,
        command: vec![hook.to_string_lossy().into_owned()],
    };
    let manager = place.start_notified(
        1,
        cowork_server::notify::Notifier::from_config(&config, None),
    );
    let script = place.script("quick", json!({"turns": [{"text": "done"}]}));
    // One slot: the second task runs only once the first's slot is given
    // back, which must not wait for the hung notification.
    let start = Instant::now();
    let first = manager
        .create_task(place.request("one", &script, PermissionMode::Auto))
        .unwrap();
    let second = manager
        .create_task(place.request("two", &script, PermissionMode::Auto))
        .unwrap();
    ended(&manager, &first).await;
    ended(&manager, &second).await;
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "the slot waited for the notification: {:?}",
        start.elapsed()
    );
}
