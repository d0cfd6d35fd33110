use std::time::Duration;

use super::*;
use crate::action::ActionKind;
use crate::{Clock, ClockEvent, SleepDetector, TestClock};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn hourly(id: &str, policy: CatchUp, now: Timestamp) -> ScheduleState {
    let rule = Recurrence::cron("0 * * * *", "UTC").unwrap();
    ScheduleState::new(id, rule, policy, now)
}

/// Actions as short strings: "run 02:00 catch-up", "missed 01:00 covered by 08:00".
fn summary(actions: &[Action]) -> Vec<String> {
    let hm = |t: Timestamp| t.strftime("%H:%M").to_string();
    actions
        .iter()
        .map(|action| {
            let due = hm(action.due);
            match &action.kind {
                ActionKind::Run { run } => match run {
                    RunKind::OnTime => format!("run {due}"),
                    RunKind::CatchUp => format!("run {due} catch-up"),
                    RunKind::Manual => format!("run {due} manual"),
                },
                ActionKind::Missed { reason } => format!("missed {due} {}", why(*reason)),
                ActionKind::MissedMany {
                    count,
                    last,
                    reason,
                } => format!(
                    "missed {count} from {due} to {} {}",
                    hm(*last),
                    why(*reason)
                ),
            }
        })
        .collect()
}

fn why(reason: MissReason) -> String {
    match reason {
        MissReason::CoveredByRun { run_due } => {
            format!("covered by {}", run_due.strftime("%H:%M"))
        }
        MissReason::SkippedByPolicy => "skipped".to_owned(),
        MissReason::OverCatchUpLimit => "over limit".to_owned(),
        MissReason::Paused => "paused".to_owned(),
    }
}

/// Drives a scheduler the way the daemon will: sleep until `next_wake`,
/// then `due`, collecting every action and clock event.
struct Daemon {
    clock: TestClock,
    detector: SleepDetector,
    scheduler: Scheduler,
    actions: Vec<Action>,
    events: Vec<ClockEvent>,
}

impl Daemon {
    fn new(start: Timestamp) -> Self {
        let clock = TestClock::new(start);
        let mut detector = SleepDetector::new(SignedDuration::from_secs(5));
        detector.observe(clock.read());
        Self {
            clock,
            detector,
            scheduler: Scheduler::new(Config::default()),
            actions: Vec::new(),
            events: Vec::new(),
        }
    }

    fn tick(&mut self) {
        let reading = self.clock.read();
        self.events.extend(self.detector.observe(reading));
        self.actions.extend(self.scheduler.due(reading.wall));
    }

    /// Runs awake for `span`, waking as `next_wake` says.
    fn run_for(&mut self, span: Duration) {
        let end = self.clock.wall() + span;
        while self.clock.wall() < end {
            let now = self.clock.wall();
            let wake = self.scheduler.next_wake(now).min(end);
            let sleep = wake.duration_since(now).max(SignedDuration::from_secs(1));
            self.clock.advance(Duration::try_from(sleep).unwrap());
            self.tick();
        }
    }

    fn take(&mut self) -> Vec<String> {
        summary(&std::mem::take(&mut self.actions))
    }
}

#[test]
fn an_awake_daemon_runs_each_due_time_on_time_once() {
    let mut daemon = Daemon::new(ts("2026-06-01T00:30:00Z"));
    daemon
        .scheduler
        .add(hourly("h", CatchUp::Once, ts("2026-06-01T00:30:00Z")))
        .unwrap();
    daemon.run_for(Duration::from_secs(3 * 3600));
    assert_eq!(daemon.take(), ["run 01:00", "run 02:00", "run 03:00"]);
    assert!(daemon.events.is_empty(), "{:?}", daemon.events);
}

/// Sleeps from 00:30 to 08:40 (eight hours and ten minutes) and wakes.
fn after_an_8_hour_suspend(policy: CatchUp) -> (Vec<String>, Vec<ClockEvent>) {
    let start = ts("2026-06-01T00:30:00Z");
    let mut daemon = Daemon::new(start);
    daemon.scheduler.add(hourly("h", policy, start)).unwrap();
    daemon.clock.suspend(Duration::from_secs(8 * 3600 + 600));
    daemon.tick();
    let actions = daemon.take();
    (actions, daemon.events)
}

#[test]
fn an_8_hour_suspend_is_detected_from_the_clocks() {
    let (_, events) = after_an_8_hour_suspend(CatchUp::Once);
    assert_eq!(
        events,
        [ClockEvent::Resumed {
            slept: SignedDuration::from_secs(8 * 3600 + 600)
        }]
    );
}

#[test]
fn policy_once_runs_one_catch_up_after_a_suspend_and_records_the_rest() {
    let (actions, _) = after_an_8_hour_suspend(CatchUp::Once);
    assert_eq!(
        actions,
        [
            "missed 01:00 covered by 08:00",
            "missed 02:00 covered by 08:00",
            "missed 03:00 covered by 08:00",
            "missed 04:00 covered by 08:00",
            "missed 05:00 covered by 08:00",
            "missed 06:00 covered by 08:00",
            "missed 07:00 covered by 08:00",
            "run 08:00 catch-up",
        ]
    );
}

#[test]
fn policy_all_runs_each_missed_time_up_to_its_limit() {
    let (actions, _) = after_an_8_hour_suspend(CatchUp::All { limit: 3 });
    assert_eq!(
        actions,
        [
            "missed 01:00 over limit",
            "missed 02:00 over limit",
            "missed 03:00 over limit",
            "missed 04:00 over limit",
            "missed 05:00 over limit",
            "run 06:00 catch-up",
            "run 07:00 catch-up",
            "run 08:00 catch-up",
        ]
    );
}

#[test]
fn policy_skip_runs_nothing_and_records_every_missed_time() {
    let (actions, _) = after_an_8_hour_suspend(CatchUp::Skip);
    assert_eq!(actions.len(), 8);
    assert!(
        actions.iter().all(|a| a.ends_with("skipped")),
        "{actions:?}"
    );
}

#[test]
fn a_due_time_that_just_passed_runs_on_time_beside_the_missed_ones() {
    // Woken at 08:00:30: 08:00 is on time, 01:00-07:00 were missed.
    let start = ts("2026-06-01T00:30:00Z");
    for (policy, expected_last) in [
        (CatchUp::Once, "run 08:00"),
        (CatchUp::Skip, "run 08:00"),
        (CatchUp::All { limit: 2 }, "run 08:00"),
    ] {
        let mut scheduler = Scheduler::new(Config::default());
        scheduler.add(hourly("h", policy, start)).unwrap();
        let actions = summary(&scheduler.due(ts("2026-06-01T08:00:30Z")));
        assert_eq!(actions.last().map(String::as_str), Some(expected_last));
        assert_eq!(actions.len(), 8, "{policy:?}: {actions:?}");
    }
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(hourly("h", CatchUp::Once, start)).unwrap();
    let actions = summary(&scheduler.due(ts("2026-06-01T08:00:30Z")));
    assert_eq!(actions[0], "missed 01:00 covered by 08:00");
}

#[test]
fn a_restarted_daemon_catches_up_from_the_stored_state_and_never_twice() {
    let start = ts("2026-06-01T00:30:00Z");
    let mut before = Scheduler::new(Config::default());
    before.add(hourly("h", CatchUp::Once, start)).unwrap();
    assert_eq!(
        summary(&before.due(ts("2026-06-01T01:00:05Z"))),
        ["run 01:00"]
    );
    // The daemon stores the state of schedules that had actions, then dies.
    let stored = serde_json::to_string(before.get("h").unwrap()).unwrap();
    drop(before);

    let mut after = Scheduler::new(Config::default());
    after.add(serde_json::from_str(&stored).unwrap()).unwrap();
    // Up again at 04:20: 02:00-04:00 were missed; 01:00 is not run again.
    let actions = summary(&after.due(ts("2026-06-01T04:20:00Z")));
    assert_eq!(
        actions,
        [
            "missed 02:00 covered by 04:00",
            "missed 03:00 covered by 04:00",
            "run 04:00 catch-up"
        ]
    );
    assert!(after.due(ts("2026-06-01T04:21:00Z")).is_empty());
}

#[test]
fn a_restart_before_anything_was_due_finds_nothing_missed() {
    let start = ts("2026-06-01T00:30:00Z");
    let state = hourly("h", CatchUp::Once, start);
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(state).unwrap();
    assert!(scheduler.due(ts("2026-06-01T00:59:00Z")).is_empty());
}

#[test]
fn a_wall_clock_set_back_does_not_run_anything_twice() {
    let start = ts("2026-06-01T00:30:00Z");
    let mut daemon = Daemon::new(start);
    daemon
        .scheduler
        .add(hourly("h", CatchUp::Once, start))
        .unwrap();
    daemon.run_for(Duration::from_secs(2 * 3600));
    assert_eq!(daemon.take(), ["run 01:00", "run 02:00"]);
    // 02:30: the clock is set back to 00:45.
    daemon
        .clock
        .step_wall(SignedDuration::from_secs(-(105 * 60)));
    daemon.run_for(Duration::from_secs(3 * 3600));
    assert_eq!(daemon.take(), ["run 03:00"]);
    assert!(
        daemon.events.contains(&ClockEvent::WallStepped {
            by: SignedDuration::from_secs(-(105 * 60))
        }),
        "{:?}",
        daemon.events
    );
}

#[test]
fn next_wake_is_the_next_due_time_but_never_more_than_a_minute_away() {
    let now = ts("2026-06-01T00:30:00Z");
    let mut scheduler = Scheduler::new(Config::default());
    assert_eq!(scheduler.next_wake(now), ts("2026-06-01T00:31:00Z"));
    scheduler.add(hourly("h", CatchUp::Once, now)).unwrap();
    assert_eq!(scheduler.next_wake(now), ts("2026-06-01T00:31:00Z"));
    assert_eq!(
        scheduler.next_wake(ts("2026-06-01T00:59:30Z")),
        ts("2026-06-01T01:00:00Z")
    );
    // Overdue (due not yet called): wake now.
    assert_eq!(
        scheduler.next_wake(ts("2026-06-01T01:00:10Z")),
        ts("2026-06-01T01:00:10Z")
    );
}

#[test]
fn a_paused_schedule_runs_nothing_and_records_what_it_missed_on_resume() {
    let start = ts("2026-06-01T00:30:00Z");
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(hourly("h", CatchUp::Once, start)).unwrap();
    // Paused at 01:00:20, before the 01:00 run was picked up: it runs.
    let settled = scheduler.pause("h", ts("2026-06-01T01:00:20Z")).unwrap();
    assert_eq!(summary(&settled), ["run 01:00"]);
    assert!(scheduler.due(ts("2026-06-01T03:30:00Z")).is_empty());
    assert_eq!(scheduler.next_run("h"), None);
    assert!(scheduler.next_wake(ts("2026-06-01T03:30:00Z")) <= ts("2026-06-01T03:31:00Z"));
    let resumed = scheduler.resume("h", ts("2026-06-01T03:30:00Z")).unwrap();
    assert_eq!(
        summary(&resumed),
        ["missed 02:00 paused", "missed 03:00 paused"]
    );
    assert_eq!(scheduler.next_run("h"), Some(ts("2026-06-01T04:00:00Z")));
    assert!(scheduler.due(ts("2026-06-01T03:31:00Z")).is_empty());
    assert!(
        scheduler
            .resume("h", ts("2026-06-01T03:40:00Z"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_one_shot_is_done_after_its_run() {
    let now = ts("2026-12-01T10:00:00Z");
    let rule = Recurrence::at("2026-12-24 08:00", "Europe/Berlin", now).unwrap();
    let mut scheduler = Scheduler::new(Config::default());
    scheduler
        .add(ScheduleState::new("eve", rule, CatchUp::Once, now))
        .unwrap();
    assert_eq!(scheduler.next_run("eve"), Some(ts("2026-12-24T07:00:00Z")));
    assert_eq!(
        summary(&scheduler.due(ts("2026-12-24T07:00:02Z"))),
        ["run 07:00"]
    );
    assert!(scheduler.get("eve").unwrap().done);
    assert_eq!(scheduler.next_run("eve"), None);
    assert!(scheduler.due(ts("2027-12-24T07:00:02Z")).is_empty());
}

#[test]
fn a_one_shot_missed_while_asleep_catches_up_once() {
    let now = ts("2026-12-01T10:00:00Z");
    let rule = Recurrence::at("2026-12-24 08:00", "Europe/Berlin", now).unwrap();
    let mut scheduler = Scheduler::new(Config::default());
    scheduler
        .add(ScheduleState::new("eve", rule, CatchUp::Once, now))
        .unwrap();
    assert_eq!(
        summary(&scheduler.due(ts("2026-12-24T15:00:00Z"))),
        ["run 07:00 catch-up"]
    );
    assert!(scheduler.get("eve").unwrap().done);
}

#[test]
fn run_now_is_a_manual_run_that_leaves_the_schedule_alone() {
    let start = ts("2026-06-01T00:30:00Z");
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(hourly("h", CatchUp::Once, start)).unwrap();
    let manual = scheduler.run_now("h", ts("2026-06-01T00:40:00Z")).unwrap();
    assert_eq!(summary(&[manual]), ["run 00:40 manual"]);
    assert_eq!(scheduler.next_run("h"), Some(ts("2026-06-01T01:00:00Z")));
    assert!(matches!(
        scheduler.run_now("nope", start),
        Err(Error::UnknownSchedule { .. })
    ));
}

#[test]
fn a_long_outage_of_a_frequent_schedule_is_recorded_with_a_summary() {
    let start = ts("2026-06-01T00:00:00Z");
    let rule = Recurrence::every("every minute", "UTC", start).unwrap();
    let config = Config {
        max_recorded: 5,
        ..Config::default()
    };
    let mut scheduler = Scheduler::new(config);
    scheduler
        .add(ScheduleState::new("m", rule, CatchUp::Skip, start))
        .unwrap();
    // Down for a day: 1,440 due times.
    let actions = summary(&scheduler.due(ts("2026-06-02T00:00:30Z")));
    assert_eq!(
        actions,
        [
            "missed 1434 from 00:01 to 23:54 skipped",
            "missed 23:55 skipped",
            "missed 23:56 skipped",
            "missed 23:57 skipped",
            "missed 23:58 skipped",
            "missed 23:59 skipped",
            "run 00:00",
        ]
    );
}

#[test]
fn ids_are_unique_and_unknown_ids_are_errors() {
    let start = ts("2026-06-01T00:00:00Z");
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(hourly("h", CatchUp::Once, start)).unwrap();
    assert!(matches!(
        scheduler.add(hourly("h", CatchUp::Once, start)),
        Err(Error::DuplicateSchedule { .. })
    ));
    assert!(scheduler.pause("x", start).is_err());
    assert!(scheduler.resume("x", start).is_err());
    assert_eq!(scheduler.remove("h").unwrap().id, "h");
    assert!(scheduler.remove("h").is_err());
}

#[test]
fn schedule_state_and_actions_serialise_as_stable_json() {
    let start = ts("2026-06-01T00:30:00Z");
    let state = hourly("h", CatchUp::All { limit: 4 }, start);
    let json = serde_json::to_value(&state).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "id": "h",
            "recurrence": {"kind": "cron", "cron": "0 * * * *", "zone": "UTC"},
            "catch_up": {"policy": "all", "limit": 4},
            "paused": false,
            "last_checked": "2026-06-01T00:30:00Z",
            "done": false,
        })
    );
    let action = Action::missed(
        "h",
        ts("2026-06-01T01:00:00Z"),
        MissReason::CoveredByRun {
            run_due: ts("2026-06-01T02:00:00Z"),
        },
    );
    assert_eq!(
        serde_json::to_value(&action).unwrap(),
        serde_json::json!({
            "schedule": "h",
            "due": "2026-06-01T01:00:00Z",
            "kind": {"action": "missed", "reason": {"why": "covered_by_run", "run_due": "2026-06-01T02:00:00Z"}},
        })
    );
}

#[test]
fn a_one_shot_that_passed_while_paused_is_recorded_and_done_on_resume() {
    let now = ts("2026-12-01T10:00:00Z");
    let rule = Recurrence::at("2026-12-24 08:00", "Europe/Berlin", now).unwrap();
    let mut scheduler = Scheduler::new(Config::default());
    scheduler
        .add(ScheduleState::new("eve", rule, CatchUp::Once, now))
        .unwrap();
    assert!(scheduler.pause("eve", now).unwrap().is_empty());
    let resumed = scheduler.resume("eve", ts("2026-12-25T00:00:00Z")).unwrap();
    assert_eq!(summary(&resumed), ["missed 07:00 paused"]);
    assert!(scheduler.get("eve").unwrap().done);
    assert!(scheduler.due(ts("2026-12-26T00:00:00Z")).is_empty());
}
