//! A daemon's loop on a test clock: schedules in Berlin across the
//! spring-forward night, the machine asleep through it, then restarted from
//! stored JSON.

use std::time::Duration;

use cowork_scheduler::{
    Action, ActionKind, CatchUp, Clock, ClockEvent, Config, MissReason, Recurrence, RunKind,
    ScheduleState, Scheduler, SleepDetector, TestClock, Timestamp,
};
use jiff::SignedDuration;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn berlin(at: Timestamp) -> String {
    let tz = cowork_scheduler::zone("Europe/Berlin").unwrap();
    at.to_zoned(tz).strftime("%m-%d %H:%M %:z").to_string()
}

fn describe(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| {
            let what = match &a.kind {
                ActionKind::Run {
                    run: RunKind::OnTime,
                } => "run".to_owned(),
                ActionKind::Run {
                    run: RunKind::CatchUp,
                } => "catch-up".to_owned(),
                ActionKind::Run {
                    run: RunKind::Manual,
                } => "manual".to_owned(),
                ActionKind::Missed { reason } => format!("missed ({reason:?})"),
                ActionKind::MissedMany { count, .. } => format!("missed x{count}"),
            };
            format!("{} {} {what}", a.schedule, berlin(a.due))
        })
        .collect()
}

fn schedules(created: Timestamp) -> Vec<ScheduleState> {
    let nightly = Recurrence::cron("30 2 * * *", "Europe/Berlin").unwrap();
    let hourly = Recurrence::every("every 2 hours", "Europe/Berlin", created).unwrap();
    let mornings = Recurrence::every("weekdays at 9am", "Europe/Berlin", created).unwrap();
    vec![
        ScheduleState::new("nightly", nightly, CatchUp::Once, created),
        ScheduleState::new("hourly", hourly, CatchUp::All { limit: 2 }, created),
        ScheduleState::new("mornings", mornings, CatchUp::Skip, created),
    ]
}

#[test]
fn a_machine_asleep_through_the_spring_forward_night_catches_up_by_policy() {
    // Saturday 2026-03-28 22:10 CET; asleep until Sunday 08:15 CEST.
    let created = ts("2026-03-28T21:10:00Z");
    let clock = TestClock::new(created);
    let mut detector = SleepDetector::new(SignedDuration::from_secs(5));
    detector.observe(clock.read());
    let mut scheduler = Scheduler::new(Config::default());
    for state in schedules(created) {
        scheduler.add(state).unwrap();
    }
    // Awake until 22:50: the 22:00 two-hourly run already passed at
    // creation, nothing is due.
    clock.advance(Duration::from_secs(40 * 60));
    assert!(scheduler.due(clock.wall()).is_empty());

    clock.suspend(Duration::from_secs(8 * 3600 + 25 * 60));
    let reading = clock.read();
    let events = detector.observe(reading);
    assert_eq!(
        events.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["the machine slept for about 8h 25m"]
    );
    assert!(matches!(events[0], ClockEvent::Resumed { .. }));
    assert_eq!(berlin(reading.wall), "03-29 08:15 +02:00");

    let actions = scheduler.due(reading.wall);
    // Two-hourly by elapsed time from midnight CET: 00:00, 02:00 CET
    // (03:00 CEST), 05:00 and 07:00 CEST; the last two run (limit 2).
    assert_eq!(
        describe(&actions),
        [
            "hourly 03-29 00:00 +01:00 missed (OverCatchUpLimit)",
            "hourly 03-29 03:00 +02:00 missed (OverCatchUpLimit)",
            "hourly 03-29 05:00 +02:00 catch-up",
            "hourly 03-29 07:00 +02:00 catch-up",
            // 02:30 did not exist that night: it was due at 03:30 CEST.
            "nightly 03-29 03:30 +02:00 catch-up",
        ]
    );
    // A Sunday: no weekday morning was due.
    assert_eq!(
        berlin(scheduler.next_run("mornings").unwrap()),
        "03-30 09:00 +02:00"
    );
}

#[test]
fn a_daemon_restarted_from_stored_json_runs_nothing_twice_and_misses_nothing() {
    let created = ts("2026-03-30T05:00:00Z"); // Monday 07:00 CEST
    let mut first = Scheduler::new(Config::default());
    for state in schedules(created) {
        first.add(state).unwrap();
    }
    let at_eight = ts("2026-03-30T06:00:10Z");
    assert_eq!(
        describe(&first.due(at_eight)),
        ["hourly 03-30 08:00 +02:00 run"]
    );
    let at_nine = ts("2026-03-30T07:00:20Z");
    assert_eq!(
        describe(&first.due(at_nine)),
        ["mornings 03-30 09:00 +02:00 run"]
    );
    // The daemon stores the schedules that had actions, then stops.
    let mut store: std::collections::BTreeMap<String, String> = first
        .states()
        .map(|s| (s.id.clone(), serde_json::to_string(s).unwrap()))
        .collect();
    let paused = first.pause("nightly", at_nine).unwrap();
    assert!(paused.is_empty());
    store.insert(
        "nightly".to_owned(),
        serde_json::to_string(first.get("nightly").unwrap()).unwrap(),
    );
    drop(first);

    // Down until Wednesday 10:30 CEST.
    let back = ts("2026-04-01T08:30:00Z");
    let mut second = Scheduler::new(Config::default());
    for json in store.values() {
        second.add(serde_json::from_str(json).unwrap()).unwrap();
    }
    let actions = second.due(back);
    let described = describe(&actions);
    assert!(
        !described.iter().any(|a| a.starts_with("nightly")),
        "paused: {described:?}"
    );
    assert_eq!(
        described
            .iter()
            .filter(|a| a.starts_with("mornings"))
            .collect::<Vec<_>>(),
        [
            "mornings 03-31 09:00 +02:00 missed (SkippedByPolicy)",
            "mornings 04-01 09:00 +02:00 missed (SkippedByPolicy)"
        ]
    );
    let hourly: Vec<_> = actions.iter().filter(|a| a.schedule == "hourly").collect();
    // Two-hourly from 10:00 Monday to 10:00 Wednesday: 25 due times, the
    // last two caught up, none of them the 08:00 Monday run again.
    assert_eq!(hourly.len(), 25);
    assert!(hourly.iter().all(|a| a.due > at_eight));
    let caught_up: Vec<_> = hourly
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Run { .. }))
        .map(|a| berlin(a.due))
        .collect();
    assert_eq!(caught_up, ["04-01 08:00 +02:00", "04-01 10:00 +02:00"]);
    let resumed = second.resume("nightly", back).unwrap();
    assert_eq!(
        describe(&resumed),
        [
            "nightly 03-31 02:30 +02:00 missed (Paused)",
            "nightly 04-01 02:30 +02:00 missed (Paused)"
        ]
    );
    assert!(matches!(
        resumed[0].kind,
        ActionKind::Missed {
            reason: MissReason::Paused
        }
    ));
}
