//! The daemon runs schedules: on time, after a suspend and after a
//! restart (as the catch-up policy says), each run a task linked to its
//! schedule under the schedule's scope; a pause or a run-now made in the
//! store while it runs. Driven on a test clock, except the last test,
//! which runs in real time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{
    FolderGrant, PermissionMode, ScheduleScope, ScheduledRunKind, TaskId, TaskStatus,
};
use cowork_scheduler::{
    Action, ActionKind, CatchUp, Clock, MissReason, Recurrence, RunKind, ScheduleState, TestClock,
    Timestamp,
};
use cowork_server::Backend;
use cowork_server::daemon::{DaemonSetup, TaskManager};
use cowork_store::{NewProject, NewSchedule, NoticeKind, RunEntry, ScheduleRun};

use super::daemon_support::*;
use super::schedule_support::*;

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

/// Regression: the schedules were read all at once, so one record the
/// daemon could not read (written by a newer cowork, or damaged) stopped
/// every schedule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_whose_record_cannot_be_read_stops_no_other() {
    let place = Place::new();
    let store = place.store();
    let clock = Arc::new(TestClock::new(at("2025-03-03T08:59:30Z")));
    let script = done_script(&place);
    let scope = scope(&place, &script, PermissionMode::Auto);
    let damaged = hourly(
        &store,
        "damaged",
        CatchUp::Once,
        scope.clone(),
        clock.wall(),
    );
    let fine = hourly(&store, "fine", CatchUp::Once, scope, clock.wall());
    let conn = rusqlite::Connection::open(place.data_dir().join("cowork.db")).unwrap();
    conn.execute(
        "UPDATE schedules SET scope = '{\"from_a_newer_cowork\": 1}' WHERE id = ?1",
        [&damaged.id],
    )
    .unwrap();
    let manager = start_clocked(&place, &clock, None);
    clock.advance(Duration::from_secs(31));
    let runs = ended_runs(&store, &fine, 1).await;
    assert_eq!(runs[0].entry, RunEntry::Run(ScheduledRunKind::OnTime));
    assert!(history(&store, &damaged).is_empty());
    drop(manager);
}

/// A daemon that died after recording runs: one never started, one whose
/// task id was recorded but whose task never was. The next daemon starts
/// each exactly once, the second under the id it was given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_a_dying_daemon_recorded_are_started_once_by_the_next() {
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
    let mut recorded = Vec::new();
    for hour in ["08", "09"] {
        let due = at(&format!("2025-03-03T{hour}:00:00Z"));
        let mut state = store.schedule(&hourly.id).unwrap().state;
        state.last_checked = due + jiff::SignedDuration::from_secs(5);
        let run = Action {
            schedule: hourly.id.clone(),
            due,
            kind: ActionKind::Run {
                run: RunKind::OnTime,
            },
        };
        recorded.extend(store.record_schedule_actions(&[&state], &[run]).unwrap());
    }
    let orphan = TaskId::new();
    store.attach_schedule_run(recorded[0].id, &orphan).unwrap();
    clock.advance(HOUR + HOUR / 2 + Duration::from_secs(10));
    let manager = start_clocked(&place, &clock, None);
    let runs = ended_runs(&store, &hourly, 2).await;
    settle().await;
    let runs_now = history(&store, &hourly);
    assert_eq!(runs_now.len(), 2, "{runs_now:#?}");
    assert_eq!(runs[0].task.as_ref(), Some(&orphan));
    for run in &runs {
        assert_eq!(
            run.task_status.as_ref().map(|(s, _)| *s),
            Some(TaskStatus::Completed)
        );
    }
    assert_eq!(
        manager.list_tasks(10).unwrap().len(),
        2,
        "a run started twice"
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
    // The runner takes the pause in before the clock moves: on a test
    // clock, "when it was paused" is when the runner noticed.
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    // The runner looks at the store once a second; the margin is for a
    // loaded machine.
    let took = asked.elapsed();
    assert!(took < Duration::from_millis(2_000), "took {took:?}");
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
