//! Clocks, and noticing that the machine slept or its wall clock jumped.
//!
//! On Linux the monotonic clock (`std::time::Instant`) stops while the
//! machine is suspended and the boot clock (`/proc/uptime`) does not, so
//! between two readings: boot − monotonic is time spent asleep, and
//! wall − boot is a wall-clock step (NTP, a manual change). Where the boot
//! clock cannot be read, wall − monotonic is all there is: a forward jump is
//! reported as sleep (the common cause on a laptop), a backward one as a
//! step.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

/// The clocks the scheduler's driver reads. A real one for the daemon, a
/// test one whose hands the test moves.
pub trait Clock: Send + Sync {
    /// Wall-clock time, which NTP or the person may change.
    fn wall(&self) -> Timestamp;
    /// Time since an arbitrary origin that never goes back and stops while
    /// the machine is suspended.
    fn monotonic(&self) -> Duration;
    /// Time since boot including suspend, where the system tells it.
    fn boot(&self) -> Option<Duration>;

    /// All three, read together.
    fn read(&self) -> Reading {
        Reading {
            wall: self.wall(),
            monotonic: self.monotonic(),
            boot: self.boot(),
        }
    }
}

/// The machine's clocks.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn wall(&self) -> Timestamp {
        Timestamp::now()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn boot(&self) -> Option<Duration> {
        // The first field of /proc/uptime is CLOCK_BOOTTIME in seconds with
        // two decimals; reading it avoids a clock_gettime binding.
        let text = std::fs::read_to_string("/proc/uptime").ok()?;
        let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
        Duration::try_from_secs_f64(seconds).ok()
    }
}

/// A clock for tests: starts where it is told, moves only when told.
#[derive(Debug)]
pub struct TestClock {
    hands: Mutex<Reading>,
}

impl TestClock {
    /// A clock reading `wall`, with monotonic and boot time at zero.
    #[must_use]
    pub fn new(wall: Timestamp) -> Self {
        Self {
            hands: Mutex::new(Reading {
                wall,
                monotonic: Duration::ZERO,
                boot: Some(Duration::ZERO),
            }),
        }
    }

    /// A clock that, like some systems, has no boot clock.
    #[must_use]
    pub fn without_boot_clock(wall: Timestamp) -> Self {
        let clock = Self::new(wall);
        clock.with(|hands| hands.boot = None);
        clock
    }

    fn with(&self, change: impl FnOnce(&mut Reading)) {
        let mut hands = self.hands.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut hands);
    }

    /// Time passes with the machine awake: every clock moves.
    pub fn advance(&self, by: Duration) {
        self.with(|hands| {
            hands.wall = add(hands.wall, by);
            hands.monotonic += by;
            hands.boot = hands.boot.map(|boot| boot + by);
        });
    }

    /// The machine sleeps: wall and boot time move, monotonic time stops.
    pub fn suspend(&self, by: Duration) {
        self.with(|hands| {
            hands.wall = add(hands.wall, by);
            hands.boot = hands.boot.map(|boot| boot + by);
        });
    }

    /// The wall clock is set (NTP step or by hand); nothing else moves.
    pub fn step_wall(&self, by: SignedDuration) {
        self.with(|hands| hands.wall = hands.wall.checked_add(by).unwrap_or(hands.wall));
    }
}

fn add(at: Timestamp, by: Duration) -> Timestamp {
    at.checked_add(by).unwrap_or(at)
}

impl Clock for TestClock {
    fn wall(&self) -> Timestamp {
        self.read().wall
    }

    fn monotonic(&self) -> Duration {
        self.read().monotonic
    }

    fn boot(&self) -> Option<Duration> {
        self.read().boot
    }

    fn read(&self) -> Reading {
        *self.hands.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The clocks at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub wall: Timestamp,
    pub monotonic: Duration,
    pub boot: Option<Duration>,
}

/// Something that happened to time between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEvent {
    /// The machine was asleep for about this long.
    Resumed { slept: SignedDuration },
    /// The wall clock was set forward (positive) or back (negative).
    WallStepped { by: SignedDuration },
}

/// For logs: "the machine slept for about 8h 10m".
impl std::fmt::Display for ClockEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whole minutes: the boot clock's 10 ms resolution is noise here.
        let minutes = |d: SignedDuration| SignedDuration::from_mins(d.as_mins());
        match *self {
            Self::Resumed { slept } => {
                write!(f, "the machine slept for about {:#}", minutes(slept))
            }
            Self::WallStepped { by } if by.is_negative() => {
                write!(f, "the wall clock was set back by {:#}", by.abs())
            }
            Self::WallStepped { by } => write!(f, "the wall clock was set forward by {by:#}"),
        }
    }
}

/// Compares successive readings; see the module doc for how.
#[derive(Debug)]
pub struct SleepDetector {
    last: Option<Reading>,
    threshold: SignedDuration,
}

impl SleepDetector {
    /// Reports differences larger than `threshold` (a few seconds: NTP
    /// slews small errors and the boot clock has 10 ms resolution).
    #[must_use]
    pub fn new(threshold: SignedDuration) -> Self {
        Self {
            last: None,
            threshold,
        }
    }

    /// Takes a new reading; returns what happened since the previous one.
    pub fn observe(&mut self, now: Reading) -> Vec<ClockEvent> {
        let Some(last) = self.last.replace(now) else {
            return Vec::new();
        };
        let signed = |d: Duration| SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX);
        let wall = now.wall.duration_since(last.wall);
        let monotonic = signed(now.monotonic.saturating_sub(last.monotonic));
        let mut events = Vec::new();
        match now.boot.zip(last.boot) {
            Some((boot_now, boot_last)) => {
                let boot = signed(boot_now.saturating_sub(boot_last));
                let slept = boot - monotonic;
                if slept > self.threshold {
                    events.push(ClockEvent::Resumed { slept });
                }
                let step = wall - boot;
                if step.abs() > self.threshold {
                    events.push(ClockEvent::WallStepped { by: step });
                }
            }
            None => {
                let drift = wall - monotonic;
                if drift > self.threshold {
                    events.push(ClockEvent::Resumed { slept: drift });
                } else if -drift > self.threshold {
                    events.push(ClockEvent::WallStepped { by: drift });
                }
            }
        }
        events
    }
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
