use cowork_protocol::ScheduleScope;
use cowork_scheduler::{CatchUp, MissReason, Recurrence};

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn hourly(last_checked: &str, paused: bool) -> ScheduleState {
    let mut state = ScheduleState::new(
        "s1",
        Recurrence::cron("0 * * * *", "UTC").unwrap(),
        CatchUp::Once,
        at(last_checked),
    );
    state.paused = paused;
    state
}

/// The schedule as the store holds it after a person's change at
/// `changed`.
fn stored(state: ScheduleState, changed: &str) -> Schedule {
    Schedule {
        id: "s1".to_owned(),
        name: "digest".to_owned(),
        project: None,
        prompt: "Digest".to_owned(),
        state,
        scope: ScheduleScope::default(),
        created_at: 0,
        updated_at: at(changed).as_millisecond(),
    }
}

fn scheduler_with(state: ScheduleState) -> Scheduler {
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(state).unwrap();
    scheduler
}

/// Regression: taking the stored state as it was would have caught up the
/// due times that passed while paused, as if the daemon had been down.
#[test]
fn a_resume_nobody_settled_records_the_paused_due_times_as_missed_and_runs_none() {
    let mut scheduler = scheduler_with(hourly("2025-03-03T07:30:00Z", true));
    let person = stored(
        hourly("2025-03-03T07:30:00Z", false),
        "2025-03-03T10:30:00Z",
    );
    let now = at("2025-03-03T10:30:00.500Z");
    let settled = take_in(&mut scheduler, &person, now);
    let reasons: Vec<_> = settled.iter().map(|a| a.kind.clone()).collect();
    assert_eq!(
        reasons,
        vec![
            ActionKind::Missed {
                reason: MissReason::Paused
            };
            3
        ]
    );
    assert!(scheduler.due(now).is_empty(), "a paused due time ran");
    assert_eq!(scheduler.next_run("s1"), Some(at("2025-03-03T11:00:00Z")));
}

#[test]
fn a_resume_the_cli_settled_is_not_recorded_twice() {
    let mut scheduler = scheduler_with(hourly("2025-03-03T07:30:00Z", true));
    let person = stored(
        hourly("2025-03-03T10:30:00Z", false),
        "2025-03-03T10:30:00Z",
    );
    let now = at("2025-03-03T10:30:00.500Z");
    assert!(take_in(&mut scheduler, &person, now).is_empty());
    assert!(scheduler.due(now).is_empty());
}

/// Regression: pausing "now", when the daemon noticed, would have run the
/// 09:00 due time that came between the person's pause and the look.
#[test]
fn a_pause_noticed_just_after_a_due_time_does_not_run_it() {
    let mut scheduler = scheduler_with(hourly("2025-03-03T08:59:00Z", false));
    let person = stored(
        hourly("2025-03-03T08:59:00Z", true),
        "2025-03-03T08:59:59.900Z",
    );
    let now = at("2025-03-03T09:00:00.400Z");
    assert!(take_in(&mut scheduler, &person, now).is_empty());
    assert!(scheduler.due(now).is_empty());
    assert!(scheduler.get("s1").unwrap().paused);
}

#[test]
fn a_changed_recurrence_keeps_the_daemons_later_progress() {
    let mut scheduler = scheduler_with(hourly("2025-03-03T12:00:00Z", false));
    let mut changed = hourly("2025-03-03T08:00:00Z", false);
    changed.recurrence = Recurrence::cron("30 * * * *", "UTC").unwrap();
    let person = stored(changed, "2025-03-03T12:10:00Z");
    let now = at("2025-03-03T12:10:00.500Z");
    assert!(take_in(&mut scheduler, &person, now).is_empty());
    let state = scheduler.get("s1").unwrap();
    assert_eq!(state.last_checked, at("2025-03-03T12:00:00Z"));
    assert!(
        scheduler.due(now).is_empty(),
        "due times before 12:00 came back"
    );
    assert_eq!(scheduler.next_run("s1"), Some(at("2025-03-03T12:30:00Z")));
}
