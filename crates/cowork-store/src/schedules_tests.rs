use cowork_protocol::{PermissionMode, ScheduleScope, ScheduledRunKind};
use cowork_scheduler::{
    Action, CatchUp, Config, MissReason, Recurrence, ScheduleState, Scheduler, Timestamp,
};

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn standup(now: Timestamp) -> NewSchedule {
    let rule = Recurrence::every("weekdays at 9:00", "Europe/Berlin", now).unwrap();
    NewSchedule {
        name: "Standup".into(),
        project: None,
        prompt: "Summarise yesterday's notes".into(),
        state: ScheduleState::new("", rule, CatchUp::Once, now),
        scope: ScheduleScope {
            mode: PermissionMode::Auto,
            ..ScheduleScope::default()
        },
    }
}

#[test]
fn a_schedule_reads_back_by_name_and_id_and_bumps_the_revision() {
    let store = Store::open_in_memory().unwrap();
    let rev = store.schedule_rev().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    assert_eq!(created.state.id, created.id);
    assert_eq!(store.schedule("STANDUP").unwrap(), created);
    assert_eq!(store.schedule(&created.id).unwrap(), created);
    assert_eq!(store.schedule_rev().unwrap(), rev + 1);
    assert!(matches!(
        store.create_schedule(&standup(at("2026-03-02T07:00:00Z"))),
        Err(ScheduleError::NameTaken(_))
    ));
    assert!(matches!(
        store.schedule("nope"),
        Err(ScheduleError::NotFound(_))
    ));
}

#[test]
fn actions_and_progress_are_recorded_together_and_a_due_time_runs_once() {
    let store = Store::open_in_memory().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    let rev = store.schedule_rev().unwrap();
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(created.state.clone()).unwrap();
    // Asleep over three weekday mornings: one catch-up run, two misses.
    let actions = scheduler.due(at("2026-03-05T12:00:00Z"));
    let state = scheduler.get(&created.id).unwrap().clone();
    let runs = store.record_schedule_actions(&[&state], &actions).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].entry, RunEntry::Run(ScheduledRunKind::CatchUp));
    assert!(runs[0].is_unstarted());
    // The daemon's own progress is not a person's change.
    assert_eq!(store.schedule_rev().unwrap(), rev);
    assert_eq!(
        store.schedule(&created.id).unwrap().state.last_checked,
        state.last_checked
    );
    let history = store.schedule_runs(&created.id, 10).unwrap();
    assert_eq!(history.len(), 4);
    let missed = history
        .iter()
        .filter(|r| {
            matches!(
                r.entry,
                RunEntry::Missed {
                    reason: MissReason::CoveredByRun { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(missed, 3);
    // Recording the same run again is refused, whole.
    let again = store.record_schedule_actions(&[&state], &actions[actions.len() - 1..]);
    assert!(again.is_err());
    assert_eq!(store.schedule_runs(&created.id, 10).unwrap().len(), 4);

    assert_eq!(store.unstarted_schedule_runs().unwrap(), runs);
    let task = TaskId::new();
    store.attach_schedule_run(runs[0].id, &task).unwrap();
    assert!(store.unstarted_schedule_runs().unwrap().is_empty());
    assert_eq!(
        store.schedule_runs(&created.id, 1).unwrap()[0].task,
        Some(task)
    );
}

#[test]
fn a_change_from_an_older_read_keeps_the_daemons_progress() {
    let store = Store::open_in_memory().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    let mut later = created.state.clone();
    later.last_checked = at("2026-03-03T08:00:00Z");
    let due = Action {
        schedule: created.id.clone(),
        due: at("2026-03-03T08:00:00Z"),
        kind: cowork_scheduler::ActionKind::Run {
            run: cowork_scheduler::RunKind::OnTime,
        },
    };
    store.record_schedule_actions(&[&later], &[due]).unwrap();
    let mut edited = created.clone();
    edited.prompt = "Summarise the week".into();
    edited.state.paused = true;
    let stored = store.update_schedule(&edited).unwrap();
    assert_eq!(stored.state.last_checked, later.last_checked);
    assert!(stored.state.paused);
    assert_eq!(
        store.schedule("standup").unwrap().prompt,
        "Summarise the week"
    );
}

#[test]
fn run_now_is_an_unstarted_manual_run_and_removal_takes_the_history() {
    let store = Store::open_in_memory().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    let rev = store.schedule_rev().unwrap();
    let run = store.request_schedule_run(&created.id).unwrap();
    assert_eq!(run.entry, RunEntry::Run(ScheduledRunKind::Manual));
    assert_eq!(store.schedule_rev().unwrap(), rev + 1);
    store
        .fail_schedule_run(run.id, "the folder is gone")
        .unwrap();
    assert!(store.unstarted_schedule_runs().unwrap().is_empty());
    assert_eq!(
        store.schedule_runs(&created.id, 5).unwrap()[0]
            .error
            .as_deref(),
        Some("the folder is gone")
    );
    store.delete_schedule(&created.id).unwrap();
    assert!(store.schedule_runs(&created.id, 5).unwrap().is_empty());
    assert!(matches!(
        store.request_schedule_run(&created.id),
        Err(ScheduleError::NotFound(_))
    ));
}

#[test]
fn notices_count_until_read() {
    let store = Store::open_in_memory().unwrap();
    let task = TaskId::new();
    let first = store
        .add_notice(crate::NoticeKind::Waiting, &task, "waits", "Delete a.txt")
        .unwrap();
    store
        .add_notice(crate::NoticeKind::Finished, &task, "done", "")
        .unwrap();
    assert_eq!(store.unread_notices().unwrap(), 2);
    assert_eq!(store.mark_notices_read(first).unwrap(), 1);
    assert_eq!(store.unread_notices().unwrap(), 1);
    let unread = store.notices(10, true).unwrap();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0].kind, crate::NoticeKind::Finished);
    assert_eq!(store.notices(10, false).unwrap().len(), 2);
}

#[test]
fn resuming_records_the_due_times_passed_while_paused_in_one_step() {
    let store = Store::open_in_memory().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    let mut paused = created.clone();
    paused.state.paused = true;
    store.update_schedule(&paused).unwrap();
    let rev = store.schedule_rev().unwrap();
    // Paused from Monday 07:00 to Thursday 12:00 (Berlin): Monday,
    // Tuesday, Wednesday and Thursday at 9:00 passed.
    let resumed = store
        .resume_schedule(&created.id, at("2026-03-05T11:00:00Z"))
        .unwrap();
    assert!(resumed.was_paused);
    assert!(!resumed.schedule.state.paused);
    assert_eq!(
        resumed.schedule.state.last_checked,
        at("2026-03-05T11:00:00Z")
    );
    assert_eq!(resumed.missed.len(), 4);
    assert_eq!(store.schedule_rev().unwrap(), rev + 1);
    let history = store.schedule_runs(&created.id, 10).unwrap();
    assert_eq!(history.len(), 4);
    assert!(history.iter().all(|r| matches!(
        r.entry,
        RunEntry::Missed {
            reason: MissReason::Paused,
            ..
        }
    )));
    // Nothing of it runs: the daemon finds no unstarted run.
    assert!(store.unstarted_schedule_runs().unwrap().is_empty());
    // Resuming again changes nothing and records nothing twice.
    let again = store
        .resume_schedule(&created.id, at("2026-03-05T12:00:00Z"))
        .unwrap();
    assert!(!again.was_paused && again.missed.is_empty());
    assert_eq!(store.schedule_runs(&created.id, 10).unwrap().len(), 4);
    assert!(matches!(
        store.resume_schedule("nope", at("2026-03-05T12:00:00Z")),
        Err(ScheduleError::NotFound(_))
    ));
}

#[test]
fn resuming_works_from_the_stored_state_not_an_older_read() {
    // Regression guard for a resume computed on a copy read before the
    // daemon settled the pause: the daemon's later progress must win, so
    // a due time it already recorded is not recorded again as paused.
    let store = Store::open_in_memory().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    let mut paused = created.clone();
    paused.state.paused = true;
    store.update_schedule(&paused).unwrap();
    let mut settled = paused.state.clone();
    settled.last_checked = at("2026-03-03T12:00:00Z");
    store.record_schedule_actions(&[&settled], &[]).unwrap();
    let resumed = store
        .resume_schedule(&created.id, at("2026-03-04T12:00:00Z"))
        .unwrap();
    // Only Wednesday's 9:00 passed after the settled instant.
    assert_eq!(resumed.missed.len(), 1);
    assert_eq!(resumed.missed[0].due, at("2026-03-04T08:00:00Z"));
}

fn allow(tool: &str) -> cowork_protocol::config::Rule {
    cowork_protocol::config::Rule {
        action: cowork_protocol::config::RuleAction::Allow,
        tool: Some(tool.to_owned()),
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: None,
    }
}

#[test]
fn allowing_a_tool_for_a_schedule_adds_one_rule_and_keeps_the_rest() {
    let store = Store::open_in_memory().unwrap();
    let created = store
        .create_schedule(&standup(at("2026-03-02T07:00:00Z")))
        .unwrap();
    let rev = store.schedule_rev().unwrap();
    assert!(
        store
            .add_schedule_rule(&created.id, &allow("Write"))
            .unwrap()
    );
    assert!(
        !store
            .add_schedule_rule(&created.id, &allow("Write"))
            .unwrap()
    );
    let scope = store.schedule(&created.id).unwrap().scope;
    assert_eq!(scope.mode, PermissionMode::Auto);
    assert_eq!(scope.rules.len(), 1);
    assert_eq!(scope.rules[0].tool.as_deref(), Some("Write"));
    assert_eq!(store.schedule_rev().unwrap(), rev + 1);
    assert!(matches!(
        store.add_schedule_rule("nope", &allow("Write")),
        Err(ScheduleError::NotFound(_))
    ));
}
