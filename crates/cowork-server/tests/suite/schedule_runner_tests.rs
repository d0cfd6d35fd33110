//! The daemon runs schedules: on time, after a suspend and after a
//! restart (as the catch-up policy says), with each run a task linked to
//! its schedule under the schedule's scope, and a run that waits or fails
//! never holding up the next. Driven on a test clock, except the last
//! test, which runs in real time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{
    ApprovalDecision, Event, FolderGrant, PermissionMode, ScheduleScope, ScheduledRunKind, TaskId,
    TaskStatus,
};
use cowork_scheduler::{
    CatchUp, Clock, MissReason, Recurrence, ScheduleState, TestClock, Timestamp,
};
use cowork_server::Backend;
use cowork_server::backend::{BackendError, Front};
use cowork_server::daemon::{DaemonSetup, TaskManager};
use cowork_store::{NewProject, NewSchedule, NoticeKind, RunEntry, Schedule, ScheduleRun, Store};

use super::daemon_support::*;

/// A Monday, well before the machine's own clock: a change a person makes
/// (stamped with the real time) is always later than the test clock.
const MONDAY: &str = "2025-03-03T07:30:00Z";
const HOUR: Duration = Duration::from_secs(3600);

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn ms(text: &str) -> i64 {
    at(text).as_millisecond()
}

/// A daemon whose schedules run by `clock`, looking every 20 ms.
fn start_clocked(
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

fn done_script(place: &Place) -> std::path::PathBuf {
    place.script("done", json!({"turns": [{"text": "done"}]}))
}

fn write_script(place: &Place) -> std::path::PathBuf {
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
fn scope(place: &Place, script: &std::path::Path, mode: PermissionMode) -> ScheduleScope {
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

fn hourly(
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
fn history(store: &Store, schedule: &Schedule) -> Vec<ScheduleRun> {
    let mut runs = store.schedule_runs(&schedule.id, 1_000).unwrap();
    runs.reverse();
    runs
}

/// Waits until `done` holds, or panics after `secs` saying `what`.
async fn until(secs: u64, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "never got to: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `schedule` has `n` runs whose tasks ended, and returns
/// its history.
async fn ended_runs(store: &Store, schedule: &Schedule, n: usize) -> Vec<ScheduleRun> {
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
async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

fn kinds(runs: &[ScheduleRun]) -> Vec<String> {
    runs.iter()
        .map(|r| match r.entry {
            RunEntry::Run(kind) => kind.as_str().to_owned(),
            RunEntry::Missed { reason, count, .. } => format!("missed {reason:?} x{count}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_time_runs_on_time_as_a_task_linked_to_its_schedule_under_its_scope() {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at("2025-03-03T08:59:00Z")));
    let project = store
        .create_project(&NewProject {
            name: "Reports".to_owned(),
            folders: vec![FolderGrant {
                path: place.folder(),
                read_only: false,
            }],
            ..NewProject::default()
        })
        .unwrap();
    let rule = Rule {
        action: RuleAction::Allow,
        tool: Some("Write".to_owned()),
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: None,
    };
    let scope = ScheduleScope {
        mode: PermissionMode::Ask,
        rules: vec![rule.clone()],
        connectors: Some(vec!["calendar".to_owned()]),
        provider: Some("script".to_owned()),
        script: Some(write_script(&place)),
        max_turns: Some(7),
        ..ScheduleScope::default()
    };
    let rule_of_day = Recurrence::cron("0 9 * * *", "UTC").unwrap();
    let standup = store
        .create_schedule(&NewSchedule {
            name: "Standup".to_owned(),
            project: Some(project.id.clone()),
            prompt: "Write the standup notes".to_owned(),
            state: ScheduleState::new("", rule_of_day, CatchUp::Once, clock.wall()),
            scope,
        })
        .unwrap();
    let manager = start_clocked(&place, &clock, None);
    settle().await;
    assert!(history(&store, &standup).is_empty(), "nothing was due yet");
    clock.advance(Duration::from_secs(61));
    let runs = ended_runs(&store, &standup, 1).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let run = &runs[0];
    assert_eq!(run.entry, RunEntry::Run(ScheduledRunKind::OnTime));
    assert_eq!(run.due, ms("2025-03-03T09:00:00Z"));
    assert_eq!(run.error, None);
    let task = run.task.clone().unwrap();
    assert_eq!(
        run.task_status.as_ref().map(|(s, _)| *s),
        Some(TaskStatus::Completed)
    );
    // The task is the schedule's: its prompt, its project (whose folder
    // joined), its mode, rules (the allow rule let Write run in ask mode),
    // connectors, turn budget, and the link back.
    let row = store.task(task.as_str()).unwrap();
    assert_eq!(row.prompt, "Write the standup notes");
    assert_eq!(row.spec.project.as_deref(), Some(project.id.as_str()));
    assert_eq!(row.spec.folders[0].path, place.folder());
    assert_eq!(row.spec.mode, PermissionMode::Ask);
    assert_eq!(row.spec.rules, vec![rule]);
    assert_eq!(row.spec.connectors, Some(vec!["calendar".to_owned()]));
    assert_eq!(row.spec.budget.max_turns, Some(7));
    let link = row.spec.schedule.clone().unwrap();
    assert_eq!(
        (link.id.as_str(), link.name.as_str(), link.due, link.run),
        (
            standup.id.as_str(),
            "Standup",
            ms("2025-03-03T09:00:00Z"),
            ScheduledRunKind::OnTime
        )
    );
    assert_eq!(
        std::fs::read_to_string(place.folder().join("notes.md")).unwrap(),
        "standup"
    );
    // No notifier is configured; the notice is kept all the same, naming
    // the schedule.
    until(5, "a finished notice", || {
        !store.notices(10, false).unwrap().is_empty()
    })
    .await;
    let notices = store.notices(10, false).unwrap();
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert_eq!(notices[0].kind, NoticeKind::Finished);
    assert_eq!(notices[0].task, task);
    assert_eq!(notices[0].title, "Scheduled task “Standup” finished");
    drop(manager);
}

/// Eight hourly due times pass while the machine sleeps (07:30 to 15:30):
/// what the schedule's history holds once it woke up.
async fn after_an_eight_hour_suspend(catch_up: CatchUp) -> (Vec<ScheduleRun>, Place) {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at(MONDAY)));
    let hourly = hourly(
        &store,
        "digest",
        catch_up,
        scope(&place, &done_script(&place), PermissionMode::Auto),
        clock.wall(),
    );
    let manager = start_clocked(&place, &clock, None);
    settle().await;
    clock.suspend(8 * HOUR);
    let runs_expected = match catch_up {
        CatchUp::Once => 1,
        CatchUp::All { limit } => limit as usize,
        CatchUp::Skip => 0,
    };
    until(10, "the missed due times recorded", || {
        history(&store, &hourly).len() > runs_expected
    })
    .await;
    let runs = ended_runs(&store, &hourly, runs_expected).await;
    // Missing nothing, running nothing twice: the next due time runs on
    // time as planned.
    clock.advance(HOUR / 2 + Duration::from_secs(1));
    let later = ended_runs(&store, &hourly, runs_expected + 1).await;
    assert_eq!(later.len(), runs.len() + 1, "{later:#?}");
    let next = later.last().unwrap();
    assert_eq!(next.entry, RunEntry::Run(ScheduledRunKind::OnTime));
    assert_eq!(next.due, ms("2025-03-03T16:00:00Z"));
    drop(manager);
    (runs, place)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_eight_hour_suspend_policy_once_runs_the_latest_and_records_the_rest() {
    let (runs, _place) = after_an_eight_hour_suspend(CatchUp::Once).await;
    let run_due = at("2025-03-03T15:00:00Z");
    let mut expected: Vec<String> = (0..7)
        .map(|_| format!("missed {:?} x1", MissReason::CoveredByRun { run_due }))
        .collect();
    expected.push("catch_up".to_owned());
    assert_eq!(kinds(&runs), expected);
    let dues: Vec<i64> = runs.iter().map(|r| r.due).collect();
    let every_hour: Vec<i64> = (8..=15)
        .map(|h| ms(&format!("2025-03-03T{h:02}:00:00Z")))
        .collect();
    assert_eq!(dues, every_hour, "every missed due time, each once");
    assert_eq!(
        runs[7].task_status.as_ref().map(|(s, _)| *s),
        Some(TaskStatus::Completed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_eight_hour_suspend_policy_all_runs_each_missed_due_time_up_to_its_limit() {
    let (runs, place) = after_an_eight_hour_suspend(CatchUp::All { limit: 3 }).await;
    let mut expected: Vec<String> = (0..5)
        .map(|_| format!("missed {:?} x1", MissReason::OverCatchUpLimit))
        .collect();
    expected.extend(["catch_up", "catch_up", "catch_up"].map(str::to_owned));
    assert_eq!(kinds(&runs), expected);
    let caught: Vec<i64> = runs[5..].iter().map(|r| r.due).collect();
    assert_eq!(
        caught,
        ["13", "14", "15"].map(|h| ms(&format!("2025-03-03T{h}:00:00Z")))
    );
    // Each catch-up is its own task, linked to its own due time.
    let store = place.store();
    for run in &runs[5..] {
        let row = store.task(run.task.as_ref().unwrap().as_str()).unwrap();
        let link = row.spec.schedule.unwrap();
        assert_eq!((link.due, link.run), (run.due, ScheduledRunKind::CatchUp));
        assert_eq!(row.status, TaskStatus::Completed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_eight_hour_suspend_policy_skip_runs_nothing_and_records_every_due_time() {
    let (runs, _place) = after_an_eight_hour_suspend(CatchUp::Skip).await;
    let expected: Vec<String> = (0..8)
        .map(|_| format!("missed {:?} x1", MissReason::SkippedByPolicy))
        .collect();
    assert_eq!(kinds(&runs), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_started_again_later_catches_up_what_was_due_while_it_was_down() {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at("2025-03-03T08:59:30Z")));
    let hourly = hourly(
        &store,
        "digest",
        CatchUp::Once,
        scope(&place, &done_script(&place), PermissionMode::Auto),
        clock.wall(),
    );
    let first = start_clocked(&place, &clock, None);
    clock.advance(Duration::from_secs(31));
    ended_runs(&store, &hourly, 1).await;
    first.shutdown();
    drop(first);
    // Down from 09:00:01 to 12:30.
    let later = Arc::new(TestClock::new(at("2025-03-03T12:30:00Z")));
    let second = start_clocked(&place, &later, None);
    let runs = ended_runs(&store, &hourly, 2).await;
    let covered = format!(
        "missed {:?} x1",
        MissReason::CoveredByRun {
            run_due: at("2025-03-03T12:00:00Z")
        }
    );
    assert_eq!(
        kinds(&runs),
        ["on_time", &covered, &covered, "catch_up"].map(str::to_owned)
    );
    assert_eq!(runs[3].due, ms("2025-03-03T12:00:00Z"));
    settle().await;
    assert_eq!(history(&store, &hourly).len(), 4, "nothing ran twice");
    drop(second);
}

/// The person's notification command, recording each notice it gets.
fn recording_notifier(place: &Place) -> (cowork_server::notify::Notifier, std::path::PathBuf) {
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

fn hook_notices(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn asked(store: &Store, task: &TaskId) -> usize {
    log(store, task)
        .iter()
        .filter(|e| matches!(e.event, Event::ApprovalRequested { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_waits_for_approval_notifies_and_allowing_it_for_the_schedule_stops_later_runs_asking()
 {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at("2025-03-03T08:59:30Z")));
    let standup = hourly(
        &store,
        "Standup",
        CatchUp::Once,
        scope(&place, &write_script(&place), PermissionMode::Ask),
        clock.wall(),
    );
    let (notifier, got) = recording_notifier(&place);
    let manager = start_clocked(&place, &clock, Some(notifier));
    clock.advance(Duration::from_secs(31));
    until(10, "the 09:00 run waiting", || {
        history(&store, &standup)
            .first()
            .and_then(|r| r.task.clone())
            .is_some_and(|t| !manager.task(t.as_str()).unwrap().pending.is_empty())
    })
    .await;
    let first = history(&store, &standup)[0].task.clone().unwrap();
    let detail = manager.task(first.as_str()).unwrap();
    assert_eq!(detail.summary.status, TaskStatus::Running);
    assert_eq!(detail.pending[0].tool, "Write");
    until(10, "the waiting notice", || !hook_notices(&got).is_empty()).await;
    let kept = store.notices(10, false).unwrap();
    assert_eq!(kept.len(), 1, "{kept:#?}");
    assert_eq!(kept[0].kind, NoticeKind::Waiting);
    assert_eq!(
        kept[0].title,
        "Scheduled task “Standup” waits for your approval"
    );
    let hooked = hook_notices(&got);
    assert_eq!(hooked[0]["kind"], "waiting");
    assert_eq!(hooked[0]["schedule"], "Standup");
    assert_eq!(hooked[0]["task"], first.as_str());

    // A waiting run holds up nothing: the 10:00 run starts as planned (and
    // asks too: the schedule's scope has no rule for Write yet).
    clock.advance(HOUR);
    until(10, "the 10:00 run waiting", || {
        history(&store, &standup)
            .get(1)
            .and_then(|r| r.task.clone())
            .is_some_and(|t| !manager.task(t.as_str()).unwrap().pending.is_empty())
    })
    .await;
    let second = history(&store, &standup)[1].task.clone().unwrap();
    for task in [&first, &second] {
        manager
            .decide(task, "w1", ApprovalDecision::AllowForSchedule, Front::Web)
            .unwrap();
        assert_eq!(
            ended(&manager, task).await.summary.status,
            TaskStatus::Completed
        );
    }
    // Remembered once, however often it was given.
    let rules = store.schedule(&standup.id).unwrap().scope.rules;
    assert_eq!(rules.len(), 1, "{rules:#?}");
    assert_eq!(
        (rules[0].action, rules[0].tool.as_deref()),
        (RuleAction::Allow, Some("Write"))
    );

    // The 11:00 run does not ask.
    clock.advance(HOUR);
    let runs = ended_runs(&store, &standup, 3).await;
    let third = runs[2].task.clone().unwrap();
    assert_eq!(
        runs[2].task_status.as_ref().map(|(s, _)| *s),
        Some(TaskStatus::Completed)
    );
    assert_eq!(asked(&store, &third), 0, "the third run asked again");
    assert_eq!(asked(&store, &first), 1);
    drop(manager);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowing_for_the_schedule_is_refused_for_a_task_no_schedule_started() {
    let place = Place::new();
    let manager = place.start(1);
    let id = manager
        .create_task(place.request("Write notes", &write_script(&place), PermissionMode::Ask))
        .unwrap();
    wait_for(&manager, &id, 10, "an approval", |d| !d.pending.is_empty()).await;
    let refused = manager
        .decide(&id, "w1", ApprovalDecision::AllowForSchedule, Front::Api)
        .unwrap_err();
    assert!(
        matches!(&refused, BackendError::BadRequest(m) if m.contains("allow it for the task instead")),
        "{refused:?}"
    );
    // Nothing was answered: the question still waits for a real answer.
    assert_eq!(manager.task(id.as_str()).unwrap().pending.len(), 1);
    manager
        .decide(&id, "w1", ApprovalDecision::AllowForTask, Front::Api)
        .unwrap();
    assert_eq!(
        ended(&manager, &id).await.summary.status,
        TaskStatus::Completed
    );
}

/// Three ways a run cannot start: its folder is gone, its model cannot be
/// set up, its project was archived. Each is recorded (the run's error, a
/// failed task linked to it, a notice) and the next due time runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_start_is_recorded_with_its_error_and_the_next_due_time_still_runs() {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at("2025-03-03T08:59:30Z")));
    let script = done_script(&place);
    let gone = place.dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let mut folder_gone = scope(&place, &script, PermissionMode::Auto);
    folder_gone.folders = vec![FolderGrant {
        path: gone.clone(),
        read_only: false,
    }];
    let folder = hourly(&store, "folder", CatchUp::Once, folder_gone, clock.wall());
    let mut no_model = scope(&place, &script, PermissionMode::Auto);
    no_model.script = None;
    let model = hourly(&store, "model", CatchUp::Once, no_model, clock.wall());
    let project = store
        .create_project(&NewProject {
            name: "Old".to_owned(),
            ..NewProject::default()
        })
        .unwrap();
    let archived = store
        .create_schedule(&NewSchedule {
            name: "archived".to_owned(),
            project: Some(project.id.clone()),
            prompt: "Tidy up".to_owned(),
            state: ScheduleState::new(
                "",
                Recurrence::cron("0 * * * *", "UTC").unwrap(),
                CatchUp::Once,
                clock.wall(),
            ),
            scope: scope(&place, &script, PermissionMode::Auto),
        })
        .unwrap();
    std::fs::remove_dir(&gone).unwrap();
    store
        .update_project(&cowork_store::Project {
            archived_at: Some(1),
            ..project.clone()
        })
        .unwrap();
    let manager = start_clocked(&place, &clock, None);
    clock.advance(Duration::from_secs(31));
    for (schedule, says) in [
        (&folder, gone.display().to_string()),
        (&model, "needs `script`".to_owned()),
        (&archived, "archived".to_owned()),
    ] {
        let runs = ended_runs(&store, schedule, 1).await;
        let run = &runs[0];
        let error = run.error.clone().unwrap_or_default();
        assert!(error.contains(&says), "{}: {error}", schedule.name);
        let (status, reason) = run.task_status.clone().unwrap();
        assert_eq!(status, TaskStatus::Failed, "{}", schedule.name);
        assert!(reason.unwrap().contains(&says), "{}", schedule.name);
        let row = store.task(run.task.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(row.spec.schedule.unwrap().id, schedule.id);
    }
    until(5, "three failed notices", || {
        store.notices(10, false).unwrap().len() == 3
    })
    .await;
    let notices = store.notices(10, false).unwrap();
    assert!(
        notices.iter().all(|n| n.kind == NoticeKind::Failed),
        "{notices:#?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.title == "Scheduled task “folder” failed"),
        "{notices:#?}"
    );
    // Put right, the schedule's next due time runs as planned.
    std::fs::create_dir(&gone).unwrap();
    clock.advance(HOUR);
    let runs = ended_runs(&store, &folder, 2).await;
    assert_eq!(runs[1].entry, RunEntry::Run(ScheduledRunKind::OnTime));
    assert_eq!(
        runs[1].task_status.as_ref().map(|(s, _)| *s),
        Some(TaskStatus::Completed)
    );
    drop(manager);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_through_the_store_records_due_times_as_missed_and_never_runs_them() {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at(MONDAY)));
    let hourly = hourly(
        &store,
        "digest",
        CatchUp::Once,
        scope(&place, &done_script(&place), PermissionMode::Auto),
        clock.wall(),
    );
    let manager = start_clocked(&place, &clock, None);
    settle().await;
    // Paused as the CLI or the web UI does it: in the store.
    let mut paused = store.schedule(&hourly.id).unwrap();
    paused.state.paused = true;
    store.update_schedule(&paused).unwrap();
    settle().await;
    clock.advance(3 * HOUR);
    settle().await;
    assert!(
        history(&store, &hourly).is_empty(),
        "a paused schedule recorded or ran something: {:#?}",
        history(&store, &hourly)
    );
    // Resumed without settling what passed (the daemon does).
    let mut resumed = store.schedule(&hourly.id).unwrap();
    resumed.state.paused = false;
    store.update_schedule(&resumed).unwrap();
    until(5, "the paused due times recorded", || {
        history(&store, &hourly).len() == 3
    })
    .await;
    let missed = format!("missed {:?} x1", MissReason::Paused);
    assert_eq!(kinds(&history(&store, &hourly)), [missed.as_str(); 3]);
    clock.advance(HOUR / 2 + Duration::from_secs(1));
    let runs = ended_runs(&store, &hourly, 1).await;
    assert_eq!(runs.len(), 4, "{runs:#?}");
    assert_eq!(runs[3].entry, RunEntry::Run(ScheduledRunKind::OnTime));
    assert_eq!(runs[3].due, ms("2025-03-03T11:00:00Z"));
    drop(manager);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_through_the_store_starts_within_a_second_even_when_paused() {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at(MONDAY)));
    let mut state = ScheduleState::new(
        "",
        Recurrence::cron("0 9 * * *", "UTC").unwrap(),
        CatchUp::Once,
        clock.wall(),
    );
    state.paused = true;
    let paused = store
        .create_schedule(&NewSchedule {
            name: "digest".to_owned(),
            project: None,
            prompt: "Digest".to_owned(),
            state,
            scope: scope(&place, &done_script(&place), PermissionMode::Auto),
        })
        .unwrap();
    // The daemon's own poll, not the tests' quicker one.
    let mut setup = DaemonSetup::new(place.store(), place.data_dir());
    setup.clock = clock.clone();
    let manager = TaskManager::start(setup).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let run = store.request_schedule_run(&paused.id).unwrap();
    until(3, "the manual run started", || {
        history(&store, &paused)[0].task.is_some()
    })
    .await;
    let took = asked.elapsed();
    assert!(took < Duration::from_millis(1_500), "took {took:?}");
    let runs = ended_runs(&store, &paused, 1).await;
    assert_eq!(runs[0].id, run.id);
    assert_eq!(runs[0].entry, RunEntry::Run(ScheduledRunKind::Manual));
    assert_eq!(
        runs[0].task_status.as_ref().map(|(s, _)| *s),
        Some(TaskStatus::Completed)
    );
    drop(manager);
}

/// Real time, the machine's clock: a one-shot two seconds ahead runs
/// through the daemon and leaves a completed task linked to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_due_in_two_seconds_runs_through_the_daemon_in_real_time() {
    let place = Place::new();
    let store = place.store();
    let manager = place.start(2);
    let now = Timestamp::now();
    let due = now + jiff::SignedDuration::from_secs(2);
    let text = due.to_zoned(jiff::tz::TimeZone::UTC).datetime().to_string();
    let once = Recurrence::at(&text, "UTC", now).unwrap();
    let schedule = store
        .create_schedule(&NewSchedule {
            name: "soon".to_owned(),
            project: None,
            prompt: "Say done".to_owned(),
            state: ScheduleState::new("", once, CatchUp::Once, now),
            scope: scope(&place, &done_script(&place), PermissionMode::Auto),
        })
        .unwrap();
    let started = Instant::now();
    let runs = ended_runs(&store, &schedule, 1).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_secs(6),
        "ran after {took:?}"
    );
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].entry, RunEntry::Run(ScheduledRunKind::OnTime));
    assert_eq!(runs[0].due, due.as_millisecond());
    let task = runs[0].task.clone().unwrap();
    assert_eq!(
        store.task(task.as_str()).unwrap().status,
        TaskStatus::Completed
    );
    assert!(
        store.schedule(&schedule.id).unwrap().state.done,
        "a one-shot is done once run"
    );
    drop(manager);
}
