//! Wall-clock minutes as plain integers: the cron search runs on these
//! because building a `jiff` date per step would dominate its cost.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

/// A wall-clock minute, always a valid date and time when built by this
/// crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Minute {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Minute {
    pub fn new(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Self {
        Self {
            year,
            month,
            day,
            hour,
            minute,
        }
    }

    /// The wall-clock minute that contains `at` in a zone at `offset`.
    pub fn of(at: Timestamp, offset: Offset) -> Self {
        let local = at.as_second() + i64::from(offset.seconds());
        Self::from_local_seconds(local)
    }

    /// Seconds since 1970-01-01 00:00 on the wall clock (no zone).
    pub fn local_seconds(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour * 3600 + self.minute * 60)
    }

    /// The inverse of [`Self::local_seconds`], rounded down to the minute.
    pub fn from_local_seconds(local: i64) -> Self {
        let days = local.div_euclid(SECONDS_PER_DAY);
        let in_day = local.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // in_day < 86_400, so these fit.
        let hour = u32::try_from(in_day / 3600).unwrap_or(0);
        let minute = u32::try_from(in_day % 3600 / 60).unwrap_or(0);
        Self::new(year, month, day, hour, minute)
    }

    /// The next minute on the wall clock.
    pub fn succ(self) -> Self {
        Self::from_local_seconds(self.local_seconds() + 60)
    }

    /// The instant of this wall-clock minute at `offset`.
    pub fn at_offset(self, offset: Offset) -> Option<Timestamp> {
        Timestamp::from_second(self.local_seconds() - i64::from(offset.seconds())).ok()
    }

    /// The same minute as a `jiff` civil datetime, for tz lookups.
    pub fn to_datetime(self) -> Option<DateTime> {
        let narrow = |v: u32| i8::try_from(v).ok();
        DateTime::new(
            i16::try_from(self.year).ok()?,
            narrow(self.month)?,
            narrow(self.day)?,
            narrow(self.hour)?,
            narrow(self.minute)?,
            0,
            0,
        )
        .ok()
    }
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day of the week, Sunday = 0.
pub(crate) fn weekday(year: i32, month: u32, day: u32) -> u32 {
    // 1970-01-01 was a Thursday (4).
    let days = days_from_civil(year, month, day);
    u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(i32::MAX),
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}
