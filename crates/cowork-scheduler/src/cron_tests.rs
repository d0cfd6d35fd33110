use super::*;
use crate::civil::Minute;

fn next(expr: &str, from: (i32, u32, u32, u32, u32)) -> Option<Minute> {
    let cron = Cron::parse(expr).unwrap();
    let (y, mo, d, h, mi) = from;
    cron.next_civil(Minute::new(y, mo, d, h, mi))
}

fn problem(expr: &str) -> CronProblem {
    match Cron::parse(expr) {
        Err(Error::Cron { problem, .. }) => problem,
        other => panic!("expected a cron error for {expr:?}, got {other:?}"),
    }
}

#[test]
fn weekday_mornings_skip_the_weekend() {
    // 2026-03-06 is a Friday.
    let found = next("0 9 * * 1-5", (2026, 3, 6, 9, 1)).unwrap();
    assert_eq!(found, Minute::new(2026, 3, 9, 9, 0));
}

#[test]
fn a_match_at_the_start_minute_is_returned() {
    let found = next("30 14 * * *", (2026, 1, 1, 14, 30)).unwrap();
    assert_eq!(found, Minute::new(2026, 1, 1, 14, 30));
}

#[test]
fn steps_ranges_lists_and_names_are_read() {
    let cron = Cron::parse("*/20 8-10/2 1,15 jan-mar,DEC mon-FRI").unwrap();
    assert_eq!(cron.minutes, (1 << 0) | (1 << 20) | (1 << 40));
    assert_eq!(cron.hours, (1 << 8) | (1 << 10));
    assert_eq!(cron.days, (1 << 1) | (1 << 15));
    assert_eq!(cron.months, 0b1_0000_0000_1110);
    assert_eq!(cron.weekdays, 0b011_1110);
    assert!(!cron.days_and);
}

#[test]
fn a_single_value_with_a_step_runs_from_it_to_the_end() {
    let cron = Cron::parse("5/15 * * * *").unwrap();
    assert_eq!(cron.minutes, (1 << 5) | (1 << 20) | (1 << 35) | (1 << 50));
}

#[test]
fn seven_and_zero_both_mean_sunday() {
    assert_eq!(Cron::parse("0 0 * * 7").unwrap().weekdays, 1);
    assert_eq!(Cron::parse("0 0 * * 0").unwrap().weekdays, 1);
    assert_eq!(Cron::parse("0 0 * * 5-7").unwrap().weekdays, 0b110_0001);
}

#[test]
fn restricted_day_of_month_and_weekday_match_either_as_in_vixie_cron() {
    // The 13th or any Friday: 2026-02-06 is a Friday before the 13th.
    let found = next("0 0 13 * 5", (2026, 2, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2026, 2, 6, 0, 0));
    // With a `*`-led day field, both must match: Friday the 13th.
    let found = next("0 0 */1 * 5", (2026, 2, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2026, 2, 6, 0, 0));
    let found = next("0 0 13 * *", (2026, 2, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2026, 2, 13, 0, 0));
}

#[test]
fn the_31st_runs_only_in_months_that_have_one() {
    let found = next("0 9 31 * *", (2026, 4, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2026, 5, 31, 9, 0));
}

#[test]
fn february_29th_waits_for_a_leap_year() {
    let found = next("0 0 29 2 *", (2026, 3, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2028, 2, 29, 0, 0));
    // 2100 is not a leap year.
    let found = next("0 0 29 2 *", (2097, 1, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2104, 2, 29, 0, 0));
}

#[test]
fn the_last_minute_of_the_year_rolls_into_the_next() {
    let found = next("0 0 * * *", (2026, 12, 31, 23, 59)).unwrap();
    assert_eq!(found, Minute::new(2027, 1, 1, 0, 0));
    let found = next("59 23 31 12 *", (2026, 12, 31, 23, 59)).unwrap();
    assert_eq!(found, Minute::new(2026, 12, 31, 23, 59));
}

#[test]
fn macros_expand_to_their_five_fields() {
    assert_eq!(Cron::parse("@daily").unwrap().as_str(), "0 0 * * *");
    assert_eq!(Cron::parse("@HOURLY").unwrap().as_str(), "0 * * * *");
    assert_eq!(Cron::parse("@weekly").unwrap().as_str(), "0 0 * * 0");
    assert_eq!(Cron::parse("@monthly").unwrap().as_str(), "0 0 1 * *");
    assert_eq!(Cron::parse("@annually").unwrap().as_str(), "0 0 1 1 *");
    assert!(matches!(problem("@reboot"), CronProblem::Macro { .. }));
}

#[test]
fn six_and_seven_fields_are_read_when_seconds_are_zero_and_the_year_is_any() {
    assert_eq!(
        Cron::parse("0 0 9 * * 1-5").unwrap().as_str(),
        "0 9 * * 1-5"
    );
    assert_eq!(
        Cron::parse("0 0 9 ? * MON *").unwrap().as_str(),
        "0 9 * * MON"
    );
    assert!(matches!(
        problem("30 0 9 * * *"),
        CronProblem::Unsupported {
            field: CronField::Second,
            ..
        }
    ));
    assert!(matches!(
        problem("0 0 9 * * * 2027"),
        CronProblem::Unsupported {
            field: CronField::Year,
            ..
        }
    ));
}

#[test]
fn the_wrong_number_of_fields_says_how_many_are_expected() {
    let err = Cron::parse("0 9 * *").unwrap_err().to_string();
    assert!(err.contains("has 4 fields"), "{err}");
    assert!(
        err.contains("minute hour day-of-month month day-of-week"),
        "{err}"
    );
    assert!(matches!(problem(""), CronProblem::FieldCount { found: 0 }));
    assert!(matches!(
        problem("1 2 3 4 5 6 7 8"),
        CronProblem::FieldCount { found: 8 }
    ));
}

#[test]
fn out_of_range_values_name_the_field_and_its_range() {
    let err = Cron::parse("60 9 * * *").unwrap_err().to_string();
    assert!(err.contains("minute (0-59): 60 is out of range"), "{err}");
    assert!(matches!(
        problem("0 24 * * *"),
        CronProblem::OutOfRange {
            field: CronField::Hour,
            value: 24
        }
    ));
    assert!(matches!(
        problem("0 0 0 * *"),
        CronProblem::OutOfRange {
            field: CronField::DayOfMonth,
            value: 0
        }
    ));
    assert!(matches!(
        problem("0 0 * 13 *"),
        CronProblem::OutOfRange {
            field: CronField::Month,
            ..
        }
    ));
    assert!(matches!(
        problem("0 0 * * 8"),
        CronProblem::OutOfRange {
            field: CronField::DayOfWeek,
            ..
        }
    ));
    // A number too large for u32 is out of range, not a crash.
    assert!(matches!(
        problem("99999999999 0 * * *"),
        CronProblem::OutOfRange { .. }
    ));
}

#[test]
fn malformed_fields_are_refused_with_the_accepted_syntax() {
    for bad in [
        "a 9 * * *",
        "0 9 * * mon-",
        "0 9 * * -1",
        "0 9,, * * *",
        "*/x * * * *",
        "0 9 * * funday",
        "0 9 1.5 * *",
    ] {
        let err = Cron::parse(bad).unwrap_err().to_string();
        assert!(err.contains("is not a number, name, range"), "{bad}: {err}");
    }
    assert!(matches!(
        problem("*/0 * * * *"),
        CronProblem::ZeroStep {
            field: CronField::Minute
        }
    ));
    assert!(matches!(
        problem("0 0 * * 5-1"),
        CronProblem::BackwardRange {
            field: CronField::DayOfWeek,
            from: 5,
            to: 1
        }
    ));
}

#[test]
fn names_are_only_read_in_their_own_field() {
    assert!(matches!(
        problem("0 0 mon * *"),
        CronProblem::Syntax {
            field: CronField::DayOfMonth,
            ..
        }
    ));
}

#[test]
fn an_expression_that_never_matches_a_real_date_is_refused() {
    let err = Cron::parse("0 0 30 2 *").unwrap_err().to_string();
    assert!(err.contains("never matches a real date"), "{err}");
    assert!(matches!(
        problem("0 0 31 4,6,9,11 *"),
        CronProblem::Never { day: 31 }
    ));
    // A weekday alternative makes it satisfiable (either day field matches).
    assert!(Cron::parse("0 0 30 2 1").is_ok());
}

#[test]
fn whitespace_is_collapsed_in_the_canonical_form() {
    assert_eq!(
        Cron::parse("  0\t9  * *   1-5 ").unwrap().as_str(),
        "0 9 * * 1-5"
    );
}

#[test]
fn a_leap_day_that_must_be_a_sunday_is_found_across_2100() {
    // `*/7` in the weekday field is `*`-led, so both day fields must match:
    // Feb 29 on a Sunday. After 2088 the next is 2128, 40 years on, past
    // the skipped leap year 2100.
    let found = next("0 0 29 2 */7", (2089, 1, 1, 0, 0)).unwrap();
    assert_eq!(found, Minute::new(2128, 2, 29, 0, 0));
}
