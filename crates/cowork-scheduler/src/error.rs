//! What parsing a schedule or driving the scheduler can fail with. Every
//! parse error names what was wrong and how to write it instead, so a front
//! (CLI, web UI, model tool) can show it as is.

use std::fmt;

/// Everything this crate can fail with. Parse variants are the person's
/// input to fix; `UnknownSchedule` is the caller's bookkeeping to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A cron expression was malformed: show it; the message names the
    /// field and the fix.
    #[error("cron expression `{expr}`: {problem}")]
    Cron { expr: String, problem: CronProblem },

    /// A plain-language recurrence was not one of the forms this crate reads.
    #[error("`{phrase}` is not a recurrence cowork understands: {problem}")]
    Phrase {
        phrase: String,
        problem: PhraseProblem,
    },

    /// A one-shot time could not be read or lies in the past.
    #[error("one-shot time `{text}`: {problem}")]
    At { text: String, problem: AtProblem },

    /// The time zone name is not in the tz database (system or bundled).
    #[error(
        "unknown time zone `{name}`: use an IANA name such as Europe/Berlin, America/New_York \
         or UTC"
    )]
    UnknownZone { name: String },

    /// A stored timestamp could not be read back (a corrupted or hand-edited
    /// state file): the daemon should report the schedule, not guess.
    #[error("stored time `{text}` is not an RFC 3339 timestamp such as 2026-12-24T07:00:00Z")]
    StoredTime { text: String },

    /// The caller named a schedule the scheduler does not hold.
    #[error("no schedule with id `{id}`")]
    UnknownSchedule { id: String },

    /// The caller added a schedule whose id is already taken.
    #[error("a schedule with id `{id}` already exists")]
    DuplicateSchedule { id: String },

    /// An interval of zero, or one too long to be useful.
    #[error("interval of {minutes} minutes: use between 1 minute and 31 days")]
    Interval { minutes: u64 },
}

/// One of the five cron fields, named as people know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronField {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl CronField {
    /// The field's name and its accepted values, for messages.
    fn describe(self) -> &'static str {
        match self {
            Self::Second => "second (must be 0)",
            Self::Minute => "minute (0-59)",
            Self::Hour => "hour (0-23)",
            Self::DayOfMonth => "day of month (1-31)",
            Self::Month => "month (1-12 or jan-dec)",
            Self::DayOfWeek => "day of week (0-7 or sun-sat; 0 and 7 are Sunday)",
            Self::Year => "year (must be *)",
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronProblem {
    #[error(
        "has {found} fields; write 5 (minute hour day-of-month month day-of-week, e.g. \
         `0 9 * * 1-5`), or 6/7 with a leading seconds field of 0 and a trailing year of *"
    )]
    FieldCount { found: usize },
    #[error("field {field}: `{text}` is not a number, name, range a-b, list a,b, step */n or *")]
    Syntax { field: CronField, text: String },
    #[error("field {field}: {value} is out of range")]
    OutOfRange { field: CronField, value: u32 },
    #[error("field {field}: a step of 0 never advances; use */1 or *")]
    ZeroStep { field: CronField },
    #[error(
        "field {field}: the range {from}-{to} runs backwards; write it as two ranges, e.g. \
         {from}-max,min-{to}"
    )]
    BackwardRange {
        field: CronField,
        from: u32,
        to: u32,
    },
    #[error(
        "field {field}: `{text}` is not supported; cowork schedules to the minute, so seconds \
         must be 0 and the year *"
    )]
    Unsupported { field: CronField, text: String },
    #[error(
        "never matches a real date (day {day} does not occur in the months given); pick days \
         that exist in those months"
    )]
    Never { day: u32 },
    #[error(
        "`{name}` is not a schedule; use @hourly, @daily (@midnight), @weekly, @monthly or \
         @yearly (@annually)"
    )]
    Macro { name: String },
}

/// Why a plain-language recurrence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseProblem {
    #[error("{ACCEPTED_FORMS}")]
    UnknownForm,
    #[error("`{text}` is not a time of day; write 9:00, 18:30, 9am or 6:30pm")]
    Time { text: String },
    #[error("`{text}` is not a day of the month; write 1st to 31st")]
    DayOfMonth { text: String },
    #[error("`{text}` is not a count; write a whole number such as 15")]
    Count { text: String },
}

/// The forms `--every` accepts, listed in every "unknown phrase" error.
pub const ACCEPTED_FORMS: &str = "accepted forms: `every 15 minutes`, `every 2 hours`, \
     `hourly`, `daily at 9:00`, `every day at 6:30pm`, `weekdays at 9am`, `weekends at 10:00`, \
     `every monday at 8`, `every monday and thursday at 8:30`, `mondays at 9`, \
     `the 1st of each month at 9:00`, `on the 15th of every month`; times are 24h (18:30) or \
     am/pm (6:30pm) and default to 00:00 when left out";

/// Why a one-shot time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtProblem {
    #[error("write it as YYYY-MM-DD HH:MM, e.g. 2026-12-24 08:00")]
    Format,
    #[error("it is already past ({now} now); pick a time in the future")]
    InPast { now: String },
}
