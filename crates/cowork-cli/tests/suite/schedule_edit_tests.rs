//! `cowork schedule pause` and `edit` through the binary: a change to
//! when or whether a schedule runs keeps every due time before it.

use serde_json::Value;

use cowork_protocol::ScheduleScope;
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, Timestamp};
use cowork_store::NewSchedule;

use super::harness::*;
use super::schedule_tests::{refused, schedule, schedule_json, store, zoned};

/// An hourly schedule recorded through the store, last checked
/// `hours_ago` (its daemon down since), not paused. It falls due each
/// hour thirty minutes off the current minute, so its latest due time is
/// always half an hour old: at `0 * * * *`, a test run in the first 90 s
/// of an hour found it within the on-time grace and ran it on time.
fn stale_hourly(env: &Env, name: &str, hours_ago: i64) -> String {
    let now = Timestamp::now();
    let then = now - jiff::SignedDuration::from_hours(hours_ago);
    let minute = (now.to_zoned(jiff::tz::TimeZone::UTC).minute() + 30) % 60;
    let rule = Recurrence::cron(&format!("{minute} * * * *"), "UTC").unwrap();
    store(env)
        .create_schedule(&NewSchedule {
            name: name.into(),
            project: None,
            prompt: "Look at the queue".into(),
            state: ScheduleState::new("", rule, CatchUp::Once, then),
            scope: ScheduleScope::default(),
        })
        .unwrap()
        .id
}

fn kinds(shown: &Value) -> Vec<(String, String)> {
    shown["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let why = r["missed"]["why"].as_str().or(r["outcome"].as_str());
            (
                r["kind"].as_str().unwrap().to_owned(),
                why.unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn pausing_with_no_daemon_first_settles_what_fell_due() {
    // Regression: a pause made while the daemon was down left the due
    // times before it unrecorded, and resuming then called them all
    // "paused" instead of applying the catch-up policy.
    let env = Env::new();
    stale_hourly(&env, "Queue", 3);
    schedule(&env, &["pause", "Queue"]);
    let shown = schedule_json(&env, &["show", "Queue"]);
    assert_eq!(
        kinds(&shown),
        [
            ("catch_up".to_owned(), "not_started".to_owned()),
            ("missed".to_owned(), "covered_by_run".to_owned()),
            ("missed".to_owned(), "covered_by_run".to_owned()),
        ]
    );
    assert_eq!(store(&env).unstarted_schedule_runs().unwrap().len(), 1);
    let resumed = schedule_json(&env, &["resume", "Queue"]);
    assert_eq!(resumed["missed_while_paused"], 0);
}

#[test]
fn editing_changes_when_and_what_and_keeps_the_history() {
    let env = Env::new();
    stale_hourly(&env, "Queue", 2);
    let edited = schedule_json(
        &env,
        &[
            "edit",
            "queue",
            "--every",
            "daily at 7:00",
            "--tz",
            "Asia/Tokyo",
            "--allow",
            "Write",
            "--catch-up",
            "skip",
            "--rename",
            "Morning queue",
        ],
    );
    assert_eq!(edited["name"], "Morning queue");
    assert_eq!(edited["when"]["cron"], "0 7 * * *");
    assert_eq!(edited["when"]["zone"], "Asia/Tokyo");
    assert_eq!(edited["catch_up"]["policy"], "skip");
    assert_eq!(edited["scope"]["rules"][0]["tool"], "Write");
    for due in edited["next_runs"].as_array().unwrap() {
        assert_eq!(zoned(due, "Asia/Tokyo").hour(), 7);
    }
    // What fell due under the old rule while no daemon ran is kept.
    let shown = schedule_json(&env, &["show", "Morning queue"]);
    assert_eq!(kinds(&shown).len(), 2, "{shown}");

    // --tz alone reads the same rule on another clock.
    let moved = schedule_json(&env, &["edit", "Morning queue", "--tz", "Europe/Berlin"]);
    assert_eq!(moved["when"]["phrase"], "daily at 7:00");
    assert_eq!(moved["when"]["zone"], "Europe/Berlin");
    let cleared = schedule_json(&env, &["edit", "Morning queue", "--remove-rule", "write"]);
    assert_eq!(cleared["scope"].get("rules"), None);
    let none = refused(&env, &["edit", "Morning queue", "--remove-rule", "Bash"]);
    assert!(none.contains("has no rule on Bash"), "{none}");
    let bad = refused(&env, &["edit", "Morning queue", "--cron", "61 * * * *"]);
    assert!(
        bad.contains("--cron") && bad.contains("minute (0-59)"),
        "{bad}"
    );
    // A bad input changed nothing.
    assert_eq!(
        store(&env)
            .schedule("Morning queue")
            .unwrap()
            .state
            .recurrence
            .zone_name(),
        "Europe/Berlin"
    );
}

#[test]
fn a_one_shot_that_ran_is_not_given_a_new_time() {
    let env = Env::new();
    let now = Timestamp::now();
    let rule = Recurrence::at("2099-01-01 08:00", "UTC", now).unwrap();
    let mut state = ScheduleState::new("", rule, CatchUp::Once, now);
    state.done = true;
    store(&env)
        .create_schedule(&NewSchedule {
            name: "Once".into(),
            project: None,
            prompt: "p".into(),
            state,
            scope: ScheduleScope::default(),
        })
        .unwrap();
    let refused = refused(&env, &["edit", "Once", "--at", "2099-02-01 08:00"]);
    assert!(refused.contains("add a new schedule"), "{refused}");
    let listed = schedule(&env, &["list"]);
    assert!(listed.contains("next run:  none: it has run"), "{listed}");
}
