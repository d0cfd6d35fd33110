//! Cron expressions: parsing, and the next matching wall-clock minute.
//!
//! Five fields as in Vixie cron (minute hour day-of-month month
//! day-of-week), with names (`jan`, `mon`), ranges, lists and steps, `?` as
//! `*` in the day fields, and the `@hourly`…`@yearly` macros. Six- and
//! seven-field forms (a leading seconds field, a trailing year) are read
//! when the seconds are 0 and the year is `*`: cowork schedules to the
//! minute. As in Vixie cron, when both day fields are restricted (neither
//! starts with `*`) a day matches if either does; otherwise both must.
//!
//! How wall-clock matches become instants across DST is in [`crate::dst`].

use std::fmt;

use crate::error::{CronField, CronProblem};
use crate::{Error, civil};

/// A parsed cron expression, matched against wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// The canonical five-field text (macros expanded, seconds dropped).
    text: String,
    minutes: u64,
    hours: u32,
    /// Bits 1..=31.
    days: u32,
    /// Bits 1..=12.
    months: u16,
    /// Bits 0..=6, Sunday is 0.
    weekdays: u8,
    /// Vixie's rule: true when either day field starts with `*`.
    days_and: bool,
}

const ALL_HOURS: u32 = (1 << 24) - 1;
/// How far ahead a match is searched for: a leap day on a given weekday
/// recurs every 28 years, or up to 40 across a skipped leap year (2100).
/// Only such rare rules ever search this far.
const SEARCH_YEARS: i32 = 50;

impl Cron {
    /// Parses a cron expression.
    ///
    /// # Errors
    /// [`Error::Cron`] naming the field and the fix.
    pub fn parse(expr: &str) -> Result<Self, Error> {
        let fail = |problem| Error::Cron {
            expr: expr.trim().to_owned(),
            problem,
        };
        let trimmed = expr.trim();
        let expanded = match trimmed.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_owned(),
            "@monthly" => "0 0 1 * *".to_owned(),
            "@weekly" => "0 0 * * 0".to_owned(),
            "@daily" | "@midnight" => "0 0 * * *".to_owned(),
            "@hourly" => "0 * * * *".to_owned(),
            name if name.starts_with('@') => {
                return Err(fail(CronProblem::Macro {
                    name: trimmed.to_owned(),
                }));
            }
            _ => trimmed.to_owned(),
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let five: &[&str] = match fields.as_slice() {
            [_, _, _, _, _] => &fields,
            [seconds, rest @ ..] if rest.len() == 5 || rest.len() == 6 => {
                if parse_field(seconds, CronField::Second, 0, 59).map_err(fail)? != 1 {
                    return Err(fail(CronProblem::Unsupported {
                        field: CronField::Second,
                        text: (*seconds).to_owned(),
                    }));
                }
                if let [.., year] = rest
                    && rest.len() == 6
                    && *year != "*"
                {
                    return Err(fail(CronProblem::Unsupported {
                        field: CronField::Year,
                        text: (*year).to_owned(),
                    }));
                }
                &rest[..5]
            }
            _ => {
                return Err(fail(CronProblem::FieldCount {
                    found: fields.len(),
                }));
            }
        };
        let [minute, hour, dom, month, dow] = five else {
            return Err(fail(CronProblem::FieldCount { found: five.len() }));
        };
        let dom = if *dom == "?" { "*" } else { dom };
        let dow = if *dow == "?" { "*" } else { dow };
        let weekdays = parse_field(dow, CronField::DayOfWeek, 0, 7).map_err(fail)?;
        // 7 is a second spelling of Sunday.
        let weekdays = (weekdays | (weekdays >> 7)) & 0x7f;
        let cron = Self {
            text: [*minute, *hour, dom, *month, dow].join(" "),
            minutes: parse_field(minute, CronField::Minute, 0, 59).map_err(fail)?,
            hours: low_bits(parse_field(hour, CronField::Hour, 0, 23).map_err(fail)?),
            days: low_bits(parse_field(dom, CronField::DayOfMonth, 1, 31).map_err(fail)?),
            months: low_bits(parse_field(month, CronField::Month, 1, 12).map_err(fail)?),
            weekdays: low_bits(weekdays),
            days_and: dom.starts_with('*') || dow.starts_with('*'),
        };
        let probe = civil::Minute::new(2001, 1, 1, 0, 0);
        if cron.next_civil(probe).is_none() {
            let day = (1..=31).find(|d| cron.days & (1 << d) != 0).unwrap_or(31);
            return Err(fail(CronProblem::Never { day }));
        }
        Ok(cron)
    }

    /// The canonical five-field form, as shown back to the person.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the hour field matches every hour: such a schedule is
    /// "frequent", and in a repeated (fall-back) hour it runs in both passes,
    /// as elapsed time goes, instead of once.
    pub(crate) fn every_hour(&self) -> bool {
        self.hours == ALL_HOURS
    }

    fn day_matches(&self, year: i32, month: u32, day: u32) -> bool {
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << civil::weekday(year, month, day)) != 0;
        if self.days_and {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first matching wall-clock minute at or after `from`, or `None`
    /// when there is none within [`SEARCH_YEARS`].
    pub(crate) fn next_civil(&self, from: civil::Minute) -> Option<civil::Minute> {
        let civil::Minute {
            mut year,
            mut month,
            mut day,
            mut hour,
            mut minute,
        } = from;
        let last_year = year + SEARCH_YEARS;
        loop {
            if year > last_year {
                return None;
            }
            if self.months & (1 << month) == 0 {
                match next_bit(u64::from(self.months), month + 1, 12) {
                    Some(next) => month = next,
                    None => {
                        year += 1;
                        month = next_bit(u64::from(self.months), 1, 12)?;
                    }
                }
                (day, hour, minute) = (1, 0, 0);
                continue;
            }
            if day > civil::days_in_month(year, month) {
                (month, day, hour, minute) = (month + 1, 1, 0, 0);
                if month > 12 {
                    (year, month) = (year + 1, 1);
                }
                continue;
            }
            if !self.day_matches(year, month, day) {
                (day, hour, minute) = (day + 1, 0, 0);
                continue;
            }
            if self.hours & (1 << hour) == 0 {
                match next_bit(u64::from(self.hours), hour + 1, 23) {
                    Some(next) => (hour, minute) = (next, 0),
                    None => (day, hour, minute) = (day + 1, 0, 0),
                }
                continue;
            }
            if self.minutes & (1 << minute) == 0 {
                match next_bit(self.minutes, minute + 1, 59) {
                    Some(next) => minute = next,
                    None => (hour, minute) = (hour + 1, 0),
                }
                if hour > 23 {
                    (day, hour) = (day + 1, 0);
                }
                continue;
            }
            return Some(civil::Minute {
                year,
                month,
                day,
                hour,
                minute,
            });
        }
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Narrows a field's bit set; callers pass sets whose bits all fit.
fn low_bits<T: TryFrom<u64> + Default>(bits: u64) -> T {
    T::try_from(bits).unwrap_or_default()
}

/// The lowest set bit in `from..=to`.
fn next_bit(bits: u64, from: u32, to: u32) -> Option<u32> {
    if from > to {
        return None;
    }
    let masked = bits >> from << from;
    let found = masked.trailing_zeros();
    (found <= to).then_some(found)
}

/// Parses one field into a bit set over `min..=max`.
fn parse_field(text: &str, field: CronField, min: u32, max: u32) -> Result<u64, CronProblem> {
    let mut bits = 0u64;
    for item in text.split(',') {
        let syntax = || CronProblem::Syntax {
            field,
            text: text.to_owned(),
        };
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| syntax())?;
                if step == 0 {
                    return Err(CronProblem::ZeroStep { field });
                }
                (range, Some(step))
            }
            None => (item, None),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((from, to)) = range.split_once('-') {
            let from = value(from, field, min, max).ok_or_else(syntax)??;
            let to = value(to, field, min, max).ok_or_else(syntax)??;
            if from > to {
                return Err(CronProblem::BackwardRange { field, from, to });
            }
            (from, to)
        } else {
            let at = value(range, field, min, max).ok_or_else(syntax)??;
            // `5/15` means "from 5 on, every 15", as in Vixie cron.
            (at, if step.is_some() { max } else { at })
        };
        let step = step.unwrap_or(1);
        let mut at = from;
        while at <= to {
            bits |= 1 << at;
            at += step;
        }
    }
    Ok(bits)
}

/// One value: a number or, in the month and weekday fields, a name.
/// `None` when unreadable; `Some(Err)` when out of range.
fn value(text: &str, field: CronField, min: u32, max: u32) -> Option<Result<u32, CronProblem>> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let lower = text.to_ascii_lowercase();
    let named = match field {
        CronField::Month => MONTHS.iter().position(|m| *m == lower).map(|i| i + 1),
        CronField::DayOfWeek => WEEKDAYS.iter().position(|d| *d == lower),
        CronField::Second
        | CronField::Minute
        | CronField::Hour
        | CronField::DayOfMonth
        | CronField::Year => None,
    };
    let number = match named {
        Some(index) => u32::try_from(index).ok()?,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().unwrap_or(u32::MAX)
        }
        None => return None,
    };
    Some(if (min..=max).contains(&number) {
        Ok(number)
    } else {
        Err(CronProblem::OutOfRange {
            field,
            value: number,
        })
    })
}

#[cfg(test)]
#[path = "cron_tests.rs"]
mod tests;
