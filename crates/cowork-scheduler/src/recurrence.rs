//! A schedule's recurrence: a cron rule, an elapsed-time interval, or one
//! instant, in an IANA time zone; and its next run after a given instant.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::cron::Cron;
use crate::error::AtProblem;
use crate::phrase::{self, Phrase};
use crate::{Error, dst, stamp, zone};

/// When a schedule runs, in which zone. Stored as JSON by the daemon
/// (`{"kind":"cron","cron":"0 9 * * 1-5","zone":"Europe/Berlin"}`); reading
/// it back re-parses and re-validates everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Record", into = "Record")]
pub struct Recurrence {
    rule: Rule,
    zone_name: String,
    zone: TimeZone,
    /// The plain-language form the person wrote, if any, shown beside the
    /// cron it became.
    phrase: Option<String>,
}

/// The three kinds of rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Wall-clock matches of a cron expression (DST rules in [`crate::dst`]).
    Cron(Cron),
    /// Every `minutes` of elapsed time from `anchor`, through DST
    /// transitions: never twice in a repeated hour, no hole in a skipped one.
    Interval { minutes: u64, anchor: Timestamp },
    /// One run at this instant.
    Once { at: Timestamp },
}

/// Longest interval accepted: beyond a month, a cron rule says it better.
const MAX_INTERVAL_MINUTES: u64 = 31 * 24 * 60;

impl Recurrence {
    /// A cron expression in the zone named `zone_name`.
    ///
    /// # Errors
    /// [`Error::Cron`] or [`Error::UnknownZone`].
    pub fn cron(expr: &str, zone_name: &str) -> Result<Self, Error> {
        Self::build(Rule::Cron(Cron::parse(expr)?), zone_name, None)
    }

    /// A plain-language recurrence ("weekdays at 9:00", "every 15 minutes")
    /// in the zone named `zone_name`. Intervals are anchored at midnight of
    /// `now`'s day in that zone, so "every 15 minutes" runs at :00, :15, …
    ///
    /// # Errors
    /// [`Error::Phrase`] (listing the accepted forms) or
    /// [`Error::UnknownZone`].
    pub fn every(text: &str, zone_name: &str, now: Timestamp) -> Result<Self, Error> {
        let tz = zone::zone(zone_name)?;
        let rule = match phrase::parse(text)? {
            Phrase::Cron(cron) => Rule::Cron(cron),
            Phrase::Interval { minutes } => {
                if minutes == 0 || minutes > MAX_INTERVAL_MINUTES {
                    return Err(Error::Interval { minutes });
                }
                let anchor = now
                    .to_zoned(tz)
                    .start_of_day()
                    .map_or(now, |midnight| midnight.timestamp());
                Rule::Interval { minutes, anchor }
            }
        };
        Self::build(rule, zone_name, Some(text.trim().to_owned()))
    }

    /// A one-shot run at `text` ("2026-12-24 08:00") on the wall clock of
    /// the zone named `zone_name`. A wall time skipped by DST runs at the
    /// instant it would have had; a repeated one in its first pass.
    ///
    /// # Errors
    /// [`Error::At`] when unreadable or not after `now`;
    /// [`Error::UnknownZone`].
    pub fn at(text: &str, zone_name: &str, now: Timestamp) -> Result<Self, Error> {
        let tz = zone::zone(zone_name)?;
        let fail = |problem| Error::At {
            text: text.trim().to_owned(),
            problem,
        };
        let civil: DateTime = text
            .trim()
            .replacen(' ', "T", 1)
            .parse()
            .map_err(|_| fail(AtProblem::Format))?;
        let at = tz
            .to_ambiguous_timestamp(civil)
            .compatible()
            .map_err(|_| fail(AtProblem::Format))?;
        if at <= now {
            return Err(fail(AtProblem::InPast {
                now: now.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string(),
            }));
        }
        Self::build(Rule::Once { at }, zone_name, None)
    }

    fn build(rule: Rule, zone_name: &str, phrase: Option<String>) -> Result<Self, Error> {
        let zone = zone::zone(zone_name)?;
        // Stored as the database spells it: `europe/berlin` is Europe/Berlin.
        let zone_name = zone.iana_name().unwrap_or(zone_name).to_owned();
        Ok(Self {
            rule,
            zone_name,
            zone,
            phrase,
        })
    }

    /// The first run strictly after `after`, or `None` when there is none
    /// (a one-shot already past).
    #[must_use]
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        match &self.rule {
            Rule::Cron(cron) => dst::next_after(cron, &self.zone, after),
            Rule::Interval { minutes, anchor } => {
                let step = i64::try_from(*minutes).ok()?.checked_mul(60)?;
                let since = after.as_second().checked_sub(anchor.as_second())?;
                let periods = if since < 0 {
                    0
                } else {
                    since.div_euclid(step) + 1
                };
                Timestamp::from_second(anchor.as_second().checked_add(periods * step)?).ok()
            }
            Rule::Once { at } => (*at > after).then_some(*at),
        }
    }

    /// The rule.
    #[must_use]
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The IANA zone name the rule is read in.
    #[must_use]
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The plain-language form the person wrote, if any.
    #[must_use]
    pub fn phrase(&self) -> Option<&str> {
        self.phrase.as_deref()
    }

    /// True for a one-shot (`at`) rule, which is done after its run.
    #[must_use]
    pub fn is_one_shot(&self) -> bool {
        match self.rule {
            Rule::Once { .. } => true,
            Rule::Cron(_) | Rule::Interval { .. } => false,
        }
    }

    /// The cron expression this recurrence is, or is shown as: an interval
    /// that divides the hour or the day has one (`*/15 * * * *`); others
    /// (every 7 minutes) and one-shots have none.
    #[must_use]
    pub fn cron_text(&self) -> Option<String> {
        match &self.rule {
            Rule::Cron(cron) => Some(cron.as_str().to_owned()),
            Rule::Interval { minutes, .. } => match *minutes {
                60 => Some("0 * * * *".to_owned()),
                m if m < 60 && 60 % m == 0 => Some(format!("*/{m} * * * *")),
                m if m % 60 == 0 && 24 % (m / 60) == 0 && m < 24 * 60 => {
                    Some(format!("0 */{} * * *", m / 60))
                }
                _ => None,
            },
            Rule::Once { .. } => None,
        }
    }
}

/// Shown in `schedule list`: `0 9 * * 1-5 (weekdays at 9:00), Europe/Berlin`.
impl fmt::Display for Recurrence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.rule, self.cron_text(), &self.phrase) {
            (Rule::Once { at }, _, _) => {
                let local = at.to_zoned(self.zone.clone());
                write!(f, "once at {}", local.strftime("%Y-%m-%d %H:%M"))?;
            }
            (_, Some(cron), Some(phrase)) => write!(f, "{cron} ({phrase})")?,
            (_, Some(cron), None) => f.write_str(&cron)?,
            (_, None, Some(phrase)) => write!(f, "{phrase} (elapsed time; no cron equivalent)")?,
            (Rule::Interval { minutes, .. }, None, None) => write!(f, "every {minutes} minutes")?,
            (Rule::Cron(cron), None, None) => write!(f, "{cron}")?,
        }
        write!(f, ", {}", self.zone_name)
    }
}

/// The stored form.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Record {
    Cron {
        cron: String,
        zone: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phrase: Option<String>,
    },
    Interval {
        minutes: u64,
        #[serde(with = "stamp")]
        anchor: Timestamp,
        zone: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phrase: Option<String>,
    },
    Once {
        #[serde(with = "stamp")]
        at: Timestamp,
        zone: String,
    },
}

impl TryFrom<Record> for Recurrence {
    type Error = Error;

    fn try_from(record: Record) -> Result<Self, Error> {
        match record {
            Record::Cron { cron, zone, phrase } => {
                Self::build(Rule::Cron(Cron::parse(&cron)?), &zone, phrase)
            }
            Record::Interval {
                minutes,
                anchor,
                zone,
                phrase,
            } => {
                if minutes == 0 || minutes > MAX_INTERVAL_MINUTES {
                    return Err(Error::Interval { minutes });
                }
                Self::build(Rule::Interval { minutes, anchor }, &zone, phrase)
            }
            Record::Once { at, zone } => Self::build(Rule::Once { at }, &zone, None),
        }
    }
}

impl From<Recurrence> for Record {
    fn from(recurrence: Recurrence) -> Self {
        let zone = recurrence.zone_name;
        match recurrence.rule {
            Rule::Cron(cron) => Self::Cron {
                cron: cron.as_str().to_owned(),
                zone,
                phrase: recurrence.phrase,
            },
            Rule::Interval { minutes, anchor } => Self::Interval {
                minutes,
                anchor,
                zone,
                phrase: recurrence.phrase,
            },
            Rule::Once { at } => Self::Once { at, zone },
        }
    }
}

#[cfg(test)]
#[path = "recurrence_tests.rs"]
mod tests;
