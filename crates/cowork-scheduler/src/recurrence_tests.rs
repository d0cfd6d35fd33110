use jiff::SignedDuration;

use super::*;
use crate::error::AtProblem;
use crate::zone::{bundled_zone, system_zone};

/// An instant from a wall time in a zone (earlier pass when repeated).
fn at(zone_name: &str, civil: &str) -> Timestamp {
    let tz = zone::zone(zone_name).unwrap();
    let civil: DateTime = civil.replacen(' ', "T", 1).parse().unwrap();
    tz.to_ambiguous_timestamp(civil).earlier().unwrap()
}

/// The first `n` runs after `from`, as "YYYY-MM-DD HH:MM +HH:MM" wall times.
fn runs(recurrence: &Recurrence, from: Timestamp, n: usize) -> Vec<String> {
    let tz = zone::zone(recurrence.zone_name()).unwrap();
    let mut out = Vec::new();
    let mut after = from;
    for _ in 0..n {
        let Some(next) = recurrence.next_after(after) else {
            break;
        };
        out.push(
            next.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M %:z")
                .to_string(),
        );
        after = next;
    }
    out
}

fn cron(expr: &str, zone_name: &str) -> Recurrence {
    Recurrence::cron(expr, zone_name).unwrap()
}

fn every(phrase: &str, zone_name: &str, now: Timestamp) -> Recurrence {
    Recurrence::every(phrase, zone_name, now).unwrap()
}

/// Gaps between successive runs, in minutes.
fn spacing(recurrence: &Recurrence, from: Timestamp, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let mut last = recurrence.next_after(from).unwrap();
    for _ in 0..n {
        let next = recurrence.next_after(last).unwrap();
        out.push(next.duration_since(last).as_mins());
        last = next;
    }
    out
}

// --- Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.

#[test]
fn a_0230_daily_run_in_berlins_spring_gap_runs_once_at_0330() {
    let daily = cron("30 2 * * *", "Europe/Berlin");
    let from = at("Europe/Berlin", "2026-03-27 12:00");
    assert_eq!(
        runs(&daily, from, 3),
        [
            "2026-03-28 02:30 +01:00",
            "2026-03-29 03:30 +02:00",
            "2026-03-30 02:30 +02:00"
        ]
    );
}

#[test]
fn a_0230_daily_run_on_berlins_repeated_hour_runs_once_in_the_first_pass() {
    let daily = cron("30 2 * * *", "Europe/Berlin");
    let from = at("Europe/Berlin", "2026-10-24 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2026-10-25 02:30 +02:00", "2026-10-26 02:30 +01:00"]
    );
}

#[test]
fn a_daemon_restarted_in_the_second_pass_of_a_repeated_hour_does_not_run_again() {
    let daily = cron("30 2 * * *", "Europe/Berlin");
    let tz = zone::zone("Europe/Berlin").unwrap();
    // 02:10 in the second pass (CET), after the 02:30 CEST run.
    let second_pass = tz
        .to_ambiguous_timestamp("2026-10-25T02:10".parse().unwrap())
        .later()
        .unwrap();
    assert_eq!(runs(&daily, second_pass, 1), ["2026-10-26 02:30 +01:00"]);
}

#[test]
fn checking_just_after_the_gap_still_finds_the_gap_days_shifted_run() {
    // Regression: a search starting at the wall time of `after` (03:10)
    // missed the 02:30 run, which maps to 03:30, after `after`.
    let daily = cron("30 2 * * *", "Europe/Berlin");
    let after_gap = at("Europe/Berlin", "2026-03-29 03:10");
    assert_eq!(runs(&daily, after_gap, 1), ["2026-03-29 03:30 +02:00"]);
}

#[test]
fn two_wall_times_in_a_gap_run_at_their_own_shifted_instants() {
    let twice = cron("0,30 2 * * *", "Europe/Berlin");
    let from = at("Europe/Berlin", "2026-03-29 00:00");
    assert_eq!(
        runs(&twice, from, 3),
        [
            "2026-03-29 03:00 +02:00",
            "2026-03-29 03:30 +02:00",
            "2026-03-30 02:00 +02:00"
        ]
    );
}

#[test]
fn a_gap_time_shifted_onto_another_match_runs_once() {
    let both = cron("30 2,3 * * *", "Europe/Berlin");
    let from = at("Europe/Berlin", "2026-03-29 00:00");
    assert_eq!(
        runs(&both, from, 2),
        ["2026-03-29 03:30 +02:00", "2026-03-30 02:30 +02:00"]
    );
}

#[test]
fn an_every_hour_cron_runs_in_both_passes_of_a_repeated_hour() {
    let hourly = cron("0 * * * *", "Europe/Berlin");
    let from = at("Europe/Berlin", "2026-10-25 00:30");
    assert_eq!(
        runs(&hourly, from, 4),
        [
            "2026-10-25 01:00 +02:00",
            "2026-10-25 02:00 +02:00",
            "2026-10-25 02:00 +01:00",
            "2026-10-25 03:00 +01:00"
        ]
    );
}

#[test]
fn a_half_hourly_cron_has_no_hole_or_double_run_at_spring_forward() {
    let half = cron("*/30 * * * *", "Europe/Berlin");
    let from = at("Europe/Berlin", "2026-03-29 00:50");
    assert_eq!(spacing(&half, from, 6), [30, 30, 30, 30, 30, 30]);
}

#[test]
fn every_15_minutes_runs_by_elapsed_time_through_both_berlin_transitions() {
    let now = at("Europe/Berlin", "2026-03-01 10:07");
    let quarter = every("every 15 minutes", "Europe/Berlin", now);
    assert_eq!(quarter.cron_text().as_deref(), Some("*/15 * * * *"));
    let spring = at("Europe/Berlin", "2026-03-29 01:20");
    assert_eq!(
        runs(&quarter, spring, 4),
        [
            "2026-03-29 01:30 +01:00",
            "2026-03-29 01:45 +01:00",
            "2026-03-29 03:00 +02:00",
            "2026-03-29 03:15 +02:00"
        ]
    );
    let fall = at("Europe/Berlin", "2026-10-25 01:50");
    assert!(spacing(&quarter, fall, 12).iter().all(|m| *m == 15));
}

// --- America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.

#[test]
fn new_york_skipped_0230_runs_once_at_0330() {
    let daily = cron("30 2 * * *", "America/New_York");
    let from = at("America/New_York", "2026-03-07 12:00");
    assert_eq!(
        runs(&daily, from, 3),
        [
            "2026-03-08 03:30 -04:00",
            "2026-03-09 02:30 -04:00",
            "2026-03-10 02:30 -04:00"
        ]
    );
}

#[test]
fn new_york_repeated_0130_runs_once() {
    let daily = cron("30 1 * * *", "America/New_York");
    let from = at("America/New_York", "2026-10-31 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2026-11-01 01:30 -04:00", "2026-11-02 01:30 -05:00"]
    );
}

#[test]
fn new_york_weekday_mornings_stay_at_nine_local_across_the_change() {
    let mornings = every("weekday at 9:00", "America/New_York", Timestamp::UNIX_EPOCH);
    let friday = at("America/New_York", "2026-03-06 08:00");
    assert_eq!(
        runs(&mornings, friday, 2),
        ["2026-03-06 09:00 -05:00", "2026-03-09 09:00 -04:00"]
    );
}

#[test]
fn new_york_every_2_hours_keeps_two_hours_of_elapsed_time_through_fall_back() {
    let now = at("America/New_York", "2026-10-30 15:00");
    let two = every("every 2 hours", "America/New_York", now);
    assert_eq!(two.cron_text().as_deref(), Some("0 */2 * * *"));
    let from = at("America/New_York", "2026-10-31 20:00");
    assert!(spacing(&two, from, 8).iter().all(|m| *m == 120));
}

// --- Australia/Sydney (southern hemisphere): 2026-04-05 03:00 AEDT -> 02:00 AEST;
// 2026-10-04 02:00 AEST -> 03:00 AEDT.

#[test]
fn sydney_skipped_0230_in_october_runs_once_at_0330() {
    let daily = cron("30 2 * * *", "Australia/Sydney");
    let from = at("Australia/Sydney", "2026-10-03 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2026-10-04 03:30 +11:00", "2026-10-05 02:30 +11:00"]
    );
}

#[test]
fn sydney_repeated_0230_in_april_runs_once() {
    let daily = cron("30 2 * * *", "Australia/Sydney");
    let from = at("Australia/Sydney", "2026-04-04 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2026-04-05 02:30 +11:00", "2026-04-06 02:30 +10:00"]
    );
}

#[test]
fn sydney_hourly_interval_has_no_hole_at_spring_forward() {
    let now = at("Australia/Sydney", "2026-10-01 09:00");
    let hourly = every("hourly", "Australia/Sydney", now);
    let from = at("Australia/Sydney", "2026-10-04 00:30");
    assert_eq!(
        runs(&hourly, from, 3),
        [
            "2026-10-04 01:00 +10:00",
            "2026-10-04 03:00 +11:00",
            "2026-10-04 04:00 +11:00"
        ]
    );
}

// --- Australia/Lord_Howe: a 30-minute shift. 2026-10-04 02:00 -> 02:30 (+10:30 -> +11);
// 2026-04-05 02:00 -> 01:30 (+11 -> +10:30).

#[test]
fn lord_howe_time_in_its_half_hour_gap_shifts_by_half_an_hour() {
    let daily = cron("15 2 * * *", "Australia/Lord_Howe");
    let from = at("Australia/Lord_Howe", "2026-10-03 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2026-10-04 02:45 +11:00", "2026-10-05 02:15 +11:00"]
    );
}

#[test]
fn lord_howe_repeated_half_hour_runs_once() {
    let daily = cron("45 1 * * *", "Australia/Lord_Howe");
    let from = at("Australia/Lord_Howe", "2026-04-04 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2026-04-05 01:45 +11:00", "2026-04-06 01:45 +10:30"]
    );
}

// --- Midnight gaps and a skipped day.

#[test]
fn a_midnight_run_on_a_day_without_midnight_runs_once_at_one() {
    // Santiago springs forward at 00:00 on 2026-09-06; Cairo on 2026-04-24.
    let santiago = cron("0 0 * * *", "America/Santiago");
    let from = at("America/Santiago", "2026-09-05 12:00");
    assert_eq!(
        runs(&santiago, from, 2),
        ["2026-09-06 01:00 -03:00", "2026-09-07 00:00 -03:00"]
    );
    let cairo = cron("30 0 * * 5", "Africa/Cairo");
    let from = at("Africa/Cairo", "2026-04-20 12:00");
    assert_eq!(runs(&cairo, from, 1), ["2026-04-24 01:30 +03:00"]);
}

#[test]
fn a_daily_run_on_samoas_skipped_day_runs_once_not_twice_on_the_next() {
    // 2011-12-30 never happened in Apia (-10:00 -> +14:00): its 09:00 maps
    // onto 2011-12-31 09:00, which runs once.
    let daily = cron("0 9 * * *", "Pacific/Apia");
    let from = at("Pacific/Apia", "2011-12-29 12:00");
    assert_eq!(
        runs(&daily, from, 2),
        ["2011-12-31 09:00 +14:00", "2012-01-01 09:00 +14:00"]
    );
}

#[test]
fn zone_names_are_stored_as_the_tz_database_spells_them() {
    assert_eq!(
        cron("0 9 * * *", "europe/berlin").zone_name(),
        "Europe/Berlin"
    );
    assert_eq!(cron("0 9 * * *", "utc").zone_name(), "UTC");
}

#[test]
fn a_real_time_after_a_gap_that_comes_before_a_shifted_one_is_not_lost() {
    // Regression: on Lord Howe's spring day 02:15 (in the gap) maps to 02:45
    // while 02:30 (just after it) is real; searching from days before, the
    // search stopped at 02:45 and lost 02:30.
    // Only on that day, so that the search starts weeks before it.
    let both = cron("15,30 2 4 10 *", "Australia/Lord_Howe");
    let from = at("Australia/Lord_Howe", "2026-09-01 12:00");
    assert_eq!(
        runs(&both, from, 2),
        ["2026-10-04 02:30 +11:00", "2026-10-04 02:45 +11:00"]
    );
}

// --- Consistency: starting anywhere before a run finds that run.

#[test]
fn any_start_between_two_runs_finds_the_same_next_run() {
    let mut rng = fastrand::Rng::with_seed(12);
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Sydney",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Pacific/Apia",
    ];
    let exprs = [
        "30 2 * * *",
        "0 * * * *",
        "*/20 * * * *",
        "15 1-3 * * *",
        "0,30 2 * * 0",
        "45 2 1 * *",
        "0 9 * * 1-5",
        "5 0 * * *",
    ];
    // Around every transition of 2026 in these zones.
    let starts = [
        "2026-03-07 22:00",
        "2026-03-28 22:00",
        "2026-04-04 22:00",
        "2026-10-03 22:00",
        "2026-10-24 22:00",
        "2026-10-31 22:00",
        "2026-09-05 20:00",
        "2011-12-29 08:00",
    ];
    for zone_name in zones {
        for expr in exprs {
            let rule = cron(expr, zone_name);
            for start in starts {
                let mut after = at(zone_name, start);
                for _ in 0..12 {
                    let next = rule.next_after(after).unwrap();
                    assert!(next > after);
                    let span = next.duration_since(after).as_secs();
                    for _ in 0..8 {
                        let probe = after + SignedDuration::from_secs(rng.i64(0..span));
                        assert_eq!(
                            rule.next_after(probe),
                            Some(next),
                            "{expr} in {zone_name}: from {probe} (between {after} and {next})"
                        );
                    }
                    after = next;
                }
            }
        }
    }
}

// --- One-shot, parsing, display, storage.

#[test]
fn a_one_shot_runs_at_its_wall_time_and_then_never() {
    let now = at("Europe/Berlin", "2026-12-01 10:00");
    let eve = Recurrence::at("2026-12-24 08:00", "Europe/Berlin", now).unwrap();
    assert!(eve.is_one_shot());
    let due = at("Europe/Berlin", "2026-12-24 08:00");
    assert_eq!(eve.next_after(now), Some(due));
    assert_eq!(eve.next_after(due), None);
    assert_eq!(eve.to_string(), "once at 2026-12-24 08:00, Europe/Berlin");
}

#[test]
fn a_one_shot_in_a_gap_runs_at_the_shifted_instant() {
    let now = at("Europe/Berlin", "2026-03-01 10:00");
    let gap = Recurrence::at("2026-03-29 02:30", "Europe/Berlin", now).unwrap();
    assert_eq!(runs(&gap, now, 2), ["2026-03-29 03:30 +02:00"]);
}

#[test]
fn a_one_shot_in_the_past_or_unreadable_is_refused() {
    let now = at("Europe/Berlin", "2026-12-01 10:00");
    let past = Recurrence::at("2026-11-30 08:00", "Europe/Berlin", now).unwrap_err();
    assert!(matches!(
        past,
        Error::At {
            problem: AtProblem::InPast { .. },
            ..
        }
    ));
    for bad in ["tomorrow", "2026-13-01 08:00", "24.12.2026 08:00", ""] {
        let err = Recurrence::at(bad, "Europe/Berlin", now).unwrap_err();
        assert!(err.to_string().contains("YYYY-MM-DD HH:MM"), "{bad}: {err}");
    }
}

#[test]
fn an_unknown_zone_is_refused_with_an_example() {
    let err = Recurrence::cron("0 9 * * *", "Europe/Atlantis").unwrap_err();
    assert!(err.to_string().contains("Europe/Berlin"), "{err}");
}

#[test]
fn the_bundled_tz_database_gives_the_same_runs_as_the_system_one() {
    let bundled = bundled_zone("Europe/Berlin").unwrap();
    let civil: DateTime = "2026-03-29T02:30".parse().unwrap();
    let shifted = bundled.to_ambiguous_timestamp(civil).compatible().unwrap();
    assert_eq!(shifted, at("Europe/Berlin", "2026-03-29 03:30"));
    assert!(bundled_zone("Australia/Lord_Howe").is_ok());
    assert!(bundled_zone("Nowhere/Land").is_err());
}

#[test]
fn the_system_zone_is_a_zone_we_can_load() {
    let system = system_zone();
    assert!(zone::zone(system.name()).is_ok(), "{system:?}");
}

#[test]
fn intervals_that_do_not_divide_the_hour_or_day_show_no_cron() {
    let now = at("UTC", "2026-01-01 00:00");
    let seven = every("every 7 minutes", "UTC", now);
    assert_eq!(seven.cron_text(), None);
    assert_eq!(
        seven.to_string(),
        "every 7 minutes (elapsed time; no cron equivalent), UTC"
    );
    assert_eq!(every("every 5 hours", "UTC", now).cron_text(), None);
    assert_eq!(
        every("every 60 minutes", "UTC", now).cron_text().as_deref(),
        Some("0 * * * *")
    );
    assert!(matches!(
        Recurrence::every("every 0 minutes", "UTC", now),
        Err(Error::Interval { minutes: 0 })
    ));
}

#[test]
fn display_shows_the_cron_beside_the_phrase() {
    let rule = every("Weekday at 9:00", "Europe/Berlin", Timestamp::UNIX_EPOCH);
    assert_eq!(
        rule.to_string(),
        "0 9 * * 1-5 (Weekday at 9:00), Europe/Berlin"
    );
    assert_eq!(cron("0 9 * * *", "UTC").to_string(), "0 9 * * *, UTC");
}

#[test]
fn every_kind_survives_a_json_round_trip() {
    let now = at("Europe/Berlin", "2026-12-01 10:00");
    let rules = [
        cron("0 9 * * 1-5", "Europe/Berlin"),
        every("every monday and thursday at 8", "America/New_York", now),
        every("every 15 minutes", "Australia/Sydney", now),
        Recurrence::at("2026-12-24 08:00", "Europe/Berlin", now).unwrap(),
    ];
    for rule in rules {
        let json = serde_json::to_string(&rule).unwrap();
        let back: Recurrence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rule, "{json}");
    }
    let json = serde_json::to_string(&cron("0 9 * * 1-5", "Europe/Berlin")).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"cron","cron":"0 9 * * 1-5","zone":"Europe/Berlin"}"#
    );
}

#[test]
fn a_stored_recurrence_is_validated_when_read_back() {
    let bad_cron = r#"{"kind":"cron","cron":"0 25 * * *","zone":"UTC"}"#;
    let err = serde_json::from_str::<Recurrence>(bad_cron)
        .unwrap_err()
        .to_string();
    assert!(err.contains("hour (0-23): 25 is out of range"), "{err}");
    let bad_zone = r#"{"kind":"cron","cron":"0 1 * * *","zone":"Mars/Olympus"}"#;
    assert!(serde_json::from_str::<Recurrence>(bad_zone).is_err());
    let bad_time = r#"{"kind":"once","at":"soon","zone":"UTC"}"#;
    let err = serde_json::from_str::<Recurrence>(bad_time)
        .unwrap_err()
        .to_string();
    assert!(err.contains("RFC 3339"), "{err}");
    let zero = r#"{"kind":"interval","minutes":0,"anchor":"2026-01-01T00:00:00Z","zone":"UTC"}"#;
    assert!(serde_json::from_str::<Recurrence>(zero).is_err());
}
