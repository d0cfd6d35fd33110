//! A scheduled run beyond its scope waits, notifies, and is allowed for
//! every later run; a run that cannot start is recorded and holds up
//! nothing.

use std::sync::Arc;
use std::time::Duration;

use cowork_protocol::config::RuleAction;
use cowork_protocol::{
    ApprovalDecision, FolderGrant, PermissionMode, ScheduledRunKind, TaskId, TaskStatus,
};
use cowork_scheduler::{CatchUp, Clock, Recurrence, ScheduleState, TestClock};
use cowork_server::Backend;
use cowork_server::backend::{BackendError, Front};
use cowork_server::daemon::TaskManager;
use cowork_store::{NewProject, NewSchedule, NoticeKind, RunEntry};

use super::daemon_support::*;
use super::schedule_support::*;

/// Whether `task` waits for an approval. A run's task id is recorded
/// just before its task is, so the task may not exist yet.
fn waits(manager: &TaskManager, task: &TaskId) -> bool {
    manager
        .task(task.as_str())
        .is_ok_and(|detail| !detail.pending.is_empty())
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
            .is_some_and(|t| waits(&manager, &t))
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
            .is_some_and(|t| waits(&manager, &t))
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
    // No notifier is configured: the notices are kept all the same, for
    // the web UI, worded for a task a person started.
    let store = place.store();
    until(5, "two notices", || {
        store.notices(10, false).unwrap().len() == 2
    })
    .await;
    let kept = store.notices(10, false).unwrap();
    let titles: Vec<&str> = kept.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "cowork: task finished",
            "cowork: a task waits for your approval"
        ]
    );
    assert!(kept.iter().all(|n| n.task == id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowing_for_a_schedule_removed_meanwhile_is_refused_before_anything_is_answered() {
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
    let manager = start_clocked(&place, &clock, None);
    clock.advance(Duration::from_secs(31));
    until(10, "the run waiting", || {
        history(&store, &standup)
            .first()
            .and_then(|r| r.task.clone())
            .is_some_and(|t| waits(&manager, &t))
    })
    .await;
    let task = history(&store, &standup)[0].task.clone().unwrap();
    store.delete_schedule(&standup.id).unwrap();
    let refused = manager
        .decide(&task, "w1", ApprovalDecision::AllowForSchedule, Front::Web)
        .unwrap_err();
    assert!(
        matches!(&refused, BackendError::BadRequest(m)
            if m.contains("`Standup`") && m.contains("was removed")
                && m.contains("allow it for the task instead")),
        "{refused:?}"
    );
    assert_eq!(manager.task(task.as_str()).unwrap().pending.len(), 1);
    manager
        .decide(&task, "w1", ApprovalDecision::AllowForTask, Front::Web)
        .unwrap();
    assert_eq!(
        ended(&manager, &task).await.summary.status,
        TaskStatus::Completed
    );
    drop(manager);
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
