//! Schedules in a daemon on a test clock: creating them in the store,
//! reading their history, and waiting for their runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use cowork_protocol::{Event, FolderGrant, PermissionMode, ScheduleScope, TaskId};
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, TestClock, Timestamp};
use cowork_server::daemon::{DaemonSetup, TaskManager};
use cowork_store::{NewSchedule, RunEntry, Schedule, ScheduleRun, Store};

use super::daemon_support::{Place, log};

/// A Monday, well before the machine's own clock: a change a person makes
/// (stamped with the real time) is always later than the test clock.
pub const MONDAY: &str = "2025-03-03T07:30:00Z";
pub const HOUR: Duration = Duration::from_secs(3600);

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn ms(text: &str) -> i64 {
    at(text).as_millisecond()
}

/// A daemon whose schedules run by `clock`, looking every 20 ms.
pub fn start_clocked(
    place: &Place,
    clock: &Arc<TestClock>,
    notifier: Option<cowork_server::notify::Notifier>,
) -> Arc<TaskManager> {
    let mut setup = DaemonSetup::new(place.store(), place.data_dir());
    setup.max_tasks = 4;
    setup.clock = clock.clone();
    setup.schedule_poll = Duration::from_millis(20);
    setup.notifier = notifier.map(Arc::new);
    TaskManager::start(setup).unwrap()
}

pub fn done_script(place: &Place) -> std::path::PathBuf {
    place.script("done", json!({"turns": [{"text": "done"}]}))
}

pub fn write_script(place: &Place) -> std::path::PathBuf {
    place.script(
        "write",
        json!({"turns": [
            {"tool_calls": [{"name": "Write", "id": "w1",
                             "input": {"file_path": "notes.md", "content": "standup"}}]},
            {"text": "done"}
        ]}),
    )
}

/// The scripted model in `mode`, working in the place's folder.
pub fn scope(place: &Place, script: &std::path::Path, mode: PermissionMode) -> ScheduleScope {
    ScheduleScope {
        mode,
        folders: vec![FolderGrant {
            path: place.folder(),
            read_only: false,
        }],
        provider: Some("script".to_owned()),
        script: Some(script.to_path_buf()),
        ..ScheduleScope::default()
    }
}

pub fn hourly(
    store: &Store,
    name: &str,
    catch_up: CatchUp,
    scope: ScheduleScope,
    now: Timestamp,
) -> Schedule {
    let rule = Recurrence::cron("0 * * * *", "UTC").unwrap();
    store
        .create_schedule(&NewSchedule {
            name: name.to_owned(),
            project: None,
            prompt: format!("{name}: summarise the folder"),
            state: ScheduleState::new("", rule, catch_up, now),
            scope,
        })
        .unwrap()
}

/// The schedule's history, oldest due time first.
pub fn history(store: &Store, schedule: &Schedule) -> Vec<ScheduleRun> {
    let mut runs = store.schedule_runs(&schedule.id, 1_000).unwrap();
    runs.reverse();
    runs
}

/// Waits until `done` holds, or panics after `secs` saying `what`.
pub async fn until(secs: u64, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "never got to: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `schedule` has `n` runs whose tasks ended, and returns
/// its history.
pub async fn ended_runs(store: &Store, schedule: &Schedule, n: usize) -> Vec<ScheduleRun> {
    until(20, &format!("{n} ended runs of {}", schedule.name), || {
        history(store, schedule)
            .iter()
            .filter(|r| r.task_status.as_ref().is_some_and(|(s, _)| s.is_terminal()))
            .count()
            >= n
    })
    .await;
    history(store, schedule)
}

/// Lets the runner look a few times with the clock where it is.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

pub fn kinds(runs: &[ScheduleRun]) -> Vec<String> {
    runs.iter()
        .map(|r| match r.entry {
            RunEntry::Run(kind) => kind.as_str().to_owned(),
            RunEntry::Missed { reason, count, .. } => format!("missed {reason:?} x{count}"),
        })
        .collect()
}

/// The person's notification command, recording each notice it gets.
pub fn recording_notifier(place: &Place) -> (cowork_server::notify::Notifier, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = place.data_dir().join("hook");
    std::fs::create_dir_all(&dir).unwrap();
    let got = dir.join("notices.jsonl");
    let hook = dir.join("hook");
    let script = format!("#!/bin/sh\ncat >> {0}\necho >> {0}\n", got.display());
    std::fs::write(&hook, script).unwrap();
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

pub fn hook_notices(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn asked(store: &Store, task: &TaskId) -> usize {
    log(store, task)
        .iter()
        .filter(|e| matches!(e.event, Event::ApprovalRequested { .. }))
        .count()
}
