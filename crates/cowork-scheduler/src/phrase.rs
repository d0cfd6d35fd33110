//! Plain-language recurrences ("weekdays at 9:00", "every 15 minutes",
//! "the 1st of each month at 9am") turned into a cron expression or an
//! elapsed-time interval. Case-insensitive; anything else is refused with
//! the list of accepted forms ([`crate::error::ACCEPTED_FORMS`]).

use crate::Error;
use crate::cron::Cron;
use crate::error::PhraseProblem;

/// What a phrase became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phrase {
    Cron(Cron),
    Interval { minutes: u64 },
}

const WEEKDAY_NAMES: [(&str, &str); 7] = [
    ("sunday", "sun"),
    ("monday", "mon"),
    ("tuesday", "tue"),
    ("wednesday", "wed"),
    ("thursday", "thu"),
    ("friday", "fri"),
    ("saturday", "sat"),
];

/// Hour and minute on the wall clock.
type TimeOfDay = (u32, u32);

/// Parses a phrase.
///
/// # Errors
/// [`Error::Phrase`] naming what could not be read.
pub(crate) fn parse(text: &str) -> Result<Phrase, Error> {
    let fail = |problem| Error::Phrase {
        phrase: text.trim().to_owned(),
        problem,
    };
    let lower = text.to_lowercase().replace(',', " ");
    let lower = lower.trim().trim_end_matches('.');
    let words: Vec<&str> = lower.split_whitespace().collect();
    let (body, time) = split_time(&words).map_err(fail)?;
    let body: Vec<&str> = body.iter().copied().filter(|w| *w != "and").collect();

    if let Some(minutes) = interval(&body).map_err(fail)? {
        return match time {
            Some(_) => Err(fail(PhraseProblem::UnknownForm)),
            None => Ok(Phrase::Interval { minutes }),
        };
    }
    let (hour, minute) = time.unwrap_or((0, 0));
    let days = day_rule(&body).map_err(fail)?;
    let expr = match days {
        Days::Every => format!("{minute} {hour} * * *"),
        Days::Weekdays(list) => format!("{minute} {hour} * * {list}"),
        Days::OfMonth(day) => format!("{minute} {hour} {day} * *"),
    };
    Cron::parse(&expr).map(Phrase::Cron)
}

/// Splits off a trailing time of day: `at 9:00`, `at 6:30 pm`, or a bare
/// `9am` / `18:30` at the end.
fn split_time<'a>(
    words: &'a [&'a str],
) -> Result<(&'a [&'a str], Option<TimeOfDay>), PhraseProblem> {
    if let Some(at) = words.iter().rposition(|w| *w == "at") {
        let time = words[at + 1..].join(" ");
        return Ok((&words[..at], Some(time_of_day(&time)?)));
    }
    match words {
        [rest @ .., number, meridiem] if matches!(*meridiem, "am" | "pm") => {
            let time = format!("{number} {meridiem}");
            Ok((rest, Some(time_of_day(&time)?)))
        }
        [rest @ .., last]
            if last.contains(':')
                || last.ends_with("am")
                || last.ends_with("pm")
                || matches!(*last, "noon" | "midnight") =>
        {
            Ok((rest, Some(time_of_day(last)?)))
        }
        _ => Ok((words, None)),
    }
}

/// `9`, `09:30`, `9am`, `6:30 pm`, `12am`, `noon`, `midnight`.
fn time_of_day(written: &str) -> Result<TimeOfDay, PhraseProblem> {
    let bad = || PhraseProblem::Time {
        text: written.to_owned(),
    };
    let compact: String = written.split_whitespace().collect();
    let text = compact.as_str();
    match text {
        "noon" => return Ok((12, 0)),
        "midnight" => return Ok((0, 0)),
        _ => {}
    }
    let (clock, meridiem) = if let Some(clock) = text.strip_suffix("am") {
        (clock, Some(false))
    } else if let Some(clock) = text.strip_suffix("pm") {
        (clock, Some(true))
    } else {
        (text, None)
    };
    let (hour, minute) = clock.split_once(':').unwrap_or((clock, "0"));
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (hour, minute) = (
        number(hour).ok_or_else(bad)?,
        number(minute).ok_or_else(bad)?,
    );
    let hour = match meridiem {
        None if hour <= 23 => hour,
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        None | Some(_) => return Err(bad()),
    };
    if minute > 59 {
        return Err(bad());
    }
    Ok((hour, minute))
}

/// `every 15 minutes`, `every 2 hours`, `every minute`, `every hour`,
/// `hourly`: the interval in minutes, or `None` when the phrase is not one.
fn interval(body: &[&str]) -> Result<Option<u64>, PhraseProblem> {
    let unit = |word: &str| match word {
        "minute" | "minutes" | "min" | "mins" => Some(1),
        "hour" | "hours" | "hr" | "hrs" => Some(60),
        _ => None,
    };
    Ok(match body {
        ["hourly"] => Some(60),
        ["every" | "each", word] => unit(word),
        ["every", count, word] => match unit(word) {
            Some(per) => {
                let count: u64 = count.parse().map_err(|_| PhraseProblem::Count {
                    text: (*count).to_owned(),
                })?;
                Some(count.saturating_mul(per))
            }
            None => None,
        },
        _ => None,
    })
}

/// Which days a daily-or-slower phrase runs on.
enum Days {
    Every,
    /// A cron day-of-week field.
    Weekdays(String),
    OfMonth(u32),
}

fn day_rule(body: &[&str]) -> Result<Days, PhraseProblem> {
    match body {
        ["daily"] | ["every" | "each", "day"] => return Ok(Days::Every),
        ["weekdays" | "weekday"] | ["every" | "each" | "on", "weekday" | "weekdays"] => {
            return Ok(Days::Weekdays("1-5".to_owned()));
        }
        ["weekends" | "weekend"] | ["every" | "each" | "on", "weekend" | "weekends"] => {
            return Ok(Days::Weekdays("0,6".to_owned()));
        }
        _ => {}
    }
    if body.iter().any(|w| matches!(*w, "month" | "monthly")) {
        return day_of_month(body).map(Days::OfMonth);
    }
    let names = match body {
        ["every" | "each" | "on", rest @ ..] => rest,
        rest => rest,
    };
    let days: Option<Vec<usize>> = names.iter().map(|w| weekday(w)).collect();
    match days {
        Some(mut days) if !days.is_empty() => {
            days.sort_unstable();
            days.dedup();
            let list: Vec<String> = days.iter().map(usize::to_string).collect();
            Ok(Days::Weekdays(list.join(",")))
        }
        Some(_) | None => Err(PhraseProblem::UnknownForm),
    }
}

/// `monday`, `mondays`, `mon`: Sunday is 0.
fn weekday(word: &str) -> Option<usize> {
    let word = word
        .strip_suffix('s')
        .filter(|w| w.len() > 3)
        .unwrap_or(word);
    WEEKDAY_NAMES
        .iter()
        .position(|(full, short)| word == *full || word == *short)
}

/// `the 1st of each month`, `on the 15th of every month`, `monthly on the
/// 3rd`, `every month on the 2nd`: exactly one ordinal among the filler.
fn day_of_month(body: &[&str]) -> Result<u32, PhraseProblem> {
    let mut day = None;
    for word in body {
        match *word {
            "the" | "on" | "of" | "each" | "every" | "month" | "monthly" => {}
            ordinal if day.is_none() => {
                let digits = ordinal.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let suffix = &ordinal[digits.len()..];
                let bad = || PhraseProblem::DayOfMonth {
                    text: ordinal.to_owned(),
                };
                if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
                    return Err(PhraseProblem::UnknownForm);
                }
                let value: u32 = digits.parse().map_err(|_| bad())?;
                if !(1..=31).contains(&value) {
                    return Err(bad());
                }
                day = Some(value);
            }
            _ => return Err(PhraseProblem::UnknownForm),
        }
    }
    day.ok_or(PhraseProblem::UnknownForm)
}

#[cfg(test)]
#[path = "phrase_tests.rs"]
mod tests;
