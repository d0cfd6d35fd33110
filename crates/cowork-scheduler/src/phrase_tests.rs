use super::*;

/// The cron a phrase becomes, or "every N min" for an interval.
fn becomes(text: &str) -> String {
    match parse(text) {
        Ok(Phrase::Cron(cron)) => cron.as_str().to_owned(),
        Ok(Phrase::Interval { minutes }) => format!("every {minutes} min"),
        Err(err) => panic!("{text:?} was refused: {err}"),
    }
}

fn refused(text: &str) -> PhraseProblem {
    match parse(text) {
        Err(Error::Phrase { problem, .. }) => problem,
        other => panic!("{text:?} should be refused, got {other:?}"),
    }
}

#[test]
fn every_n_minutes_and_hours_are_intervals() {
    assert_eq!(becomes("every 15 minutes"), "every 15 min");
    assert_eq!(becomes("every 1 minute"), "every 1 min");
    assert_eq!(becomes("every minute"), "every 1 min");
    assert_eq!(becomes("every 5 mins"), "every 5 min");
    assert_eq!(becomes("every 2 hours"), "every 120 min");
    assert_eq!(becomes("every 3 hrs"), "every 180 min");
    assert_eq!(becomes("every hour"), "every 60 min");
    assert_eq!(becomes("hourly"), "every 60 min");
    assert_eq!(becomes("Every 15 Minutes"), "every 15 min");
}

#[test]
fn daily_forms_become_one_time_every_day() {
    assert_eq!(becomes("daily at 9:00"), "0 9 * * *");
    assert_eq!(becomes("every day at 18:30"), "30 18 * * *");
    assert_eq!(becomes("each day at 07:05"), "5 7 * * *");
    assert_eq!(becomes("daily"), "0 0 * * *");
    assert_eq!(becomes("DAILY AT 9AM"), "0 9 * * *");
}

#[test]
fn times_read_in_24_hour_and_am_pm_forms() {
    assert_eq!(becomes("daily at 9am"), "0 9 * * *");
    assert_eq!(becomes("daily at 6:30pm"), "30 18 * * *");
    assert_eq!(becomes("daily at 6:30 pm"), "30 18 * * *");
    assert_eq!(becomes("daily at 12am"), "0 0 * * *");
    assert_eq!(becomes("daily at 12pm"), "0 12 * * *");
    assert_eq!(becomes("daily at noon"), "0 12 * * *");
    assert_eq!(becomes("daily at midnight"), "0 0 * * *");
    assert_eq!(becomes("daily at 8"), "0 8 * * *");
    assert_eq!(becomes("daily 21:15"), "15 21 * * *");
    assert_eq!(becomes("weekdays 9am"), "0 9 * * 1-5");
}

#[test]
fn bad_times_say_how_to_write_a_time() {
    for bad in [
        "daily at 25:00",
        "daily at 9:60",
        "daily at 13pm",
        "daily at 0am",
        "daily at nine",
        "daily at 9:5:0",
        "daily at",
    ] {
        assert!(matches!(refused(bad), PhraseProblem::Time { .. }), "{bad}");
    }
    let err = parse("every monday at 8 and 17").unwrap_err().to_string();
    assert!(err.contains("`8 and 17` is not a time of day"), "{err}");
    let err = parse("daily at 25:00").unwrap_err().to_string();
    assert!(err.contains("write 9:00, 18:30, 9am or 6:30pm"), "{err}");
}

#[test]
fn weekdays_and_weekends_become_day_of_week_ranges() {
    assert_eq!(becomes("weekday at 9:00"), "0 9 * * 1-5");
    assert_eq!(becomes("weekdays at 9:00"), "0 9 * * 1-5");
    assert_eq!(becomes("every weekday at 9am"), "0 9 * * 1-5");
    assert_eq!(becomes("on weekdays at 8:45"), "45 8 * * 1-5");
    assert_eq!(becomes("weekends at 10:00"), "0 10 * * 0,6");
    assert_eq!(becomes("every weekend at 10am"), "0 10 * * 0,6");
    assert_eq!(becomes("weekend at 10:00"), "0 10 * * 0,6");
}

#[test]
fn named_days_become_a_day_of_week_list() {
    assert_eq!(becomes("every monday at 8"), "0 8 * * 1");
    assert_eq!(becomes("every Sunday at 20:00"), "0 20 * * 0");
    assert_eq!(becomes("mondays at 9"), "0 9 * * 1");
    assert_eq!(becomes("on fridays at 5pm"), "0 17 * * 5");
    assert_eq!(becomes("every monday and thursday at 8"), "0 8 * * 1,4");
    assert_eq!(becomes("every mon, wed and fri at 7:30"), "30 7 * * 1,3,5");
    assert_eq!(becomes("every thursday and monday at 8"), "0 8 * * 1,4");
    assert_eq!(becomes("every tuesday"), "0 0 * * 2");
    assert_eq!(becomes("saturdays and sundays at 11"), "0 11 * * 0,6");
    for day in [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ] {
        let plural = format!("{day}s at 9");
        assert_eq!(
            becomes(&format!("every {day} at 9")),
            becomes(&plural),
            "{day}"
        );
    }
}

#[test]
fn the_nth_of_each_month_becomes_a_day_of_month() {
    assert_eq!(becomes("the 1st of each month at 9:00"), "0 9 1 * *");
    assert_eq!(becomes("on the 15th of every month"), "0 0 15 * *");
    assert_eq!(becomes("the 2nd of the month at 6pm"), "0 18 2 * *");
    assert_eq!(becomes("on the 3rd of each month at 7am"), "0 7 3 * *");
    assert_eq!(becomes("monthly on the 28th at 23:59"), "59 23 28 * *");
    assert_eq!(becomes("every month on the 31st"), "0 0 31 * *");
}

#[test]
fn impossible_days_of_the_month_are_refused() {
    assert!(matches!(
        refused("the 32nd of each month"),
        PhraseProblem::DayOfMonth { .. }
    ));
    assert!(matches!(
        refused("the 0th of each month"),
        PhraseProblem::DayOfMonth { .. }
    ));
    assert!(matches!(
        refused("the 1st and 15th of each month"),
        PhraseProblem::UnknownForm
    ));
    assert!(matches!(refused("monthly"), PhraseProblem::UnknownForm));
}

#[test]
fn unknown_phrases_list_the_accepted_forms() {
    for bad in [
        "sometimes",
        "every blue moon",
        "weekly",
        "every 15 parsecs",
        "every monday or so",
        "every 15 minutes at 9:00",
        "",
    ] {
        assert!(matches!(refused(bad), PhraseProblem::UnknownForm), "{bad}");
    }
    let err = parse("fortnightly").unwrap_err().to_string();
    assert!(err.contains("`fortnightly` is not a recurrence"), "{err}");
    assert!(err.contains("every 15 minutes"), "{err}");
    assert!(err.contains("the 1st of each month at 9:00"), "{err}");
}

#[test]
fn a_count_that_is_not_a_number_says_so() {
    assert!(matches!(
        refused("every x minutes"),
        PhraseProblem::Count { .. }
    ));
    assert!(matches!(
        refused("every -5 minutes"),
        PhraseProblem::Count { .. }
    ));
}
