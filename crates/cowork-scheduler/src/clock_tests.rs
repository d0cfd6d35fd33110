use super::*;

const HOUR: Duration = Duration::from_secs(3600);

fn start() -> Timestamp {
    "2026-06-01T22:00:00Z".parse().unwrap()
}

fn detector(clock: &TestClock) -> SleepDetector {
    let mut detector = SleepDetector::new(SignedDuration::from_secs(5));
    assert!(detector.observe(clock.read()).is_empty());
    detector
}

#[test]
fn time_passing_awake_is_not_an_event() {
    let clock = TestClock::new(start());
    let mut detector = detector(&clock);
    for _ in 0..10 {
        clock.advance(Duration::from_secs(60));
        assert!(detector.observe(clock.read()).is_empty());
    }
}

#[test]
fn an_8_hour_sleep_is_reported_as_about_8_hours() {
    let clock = TestClock::new(start());
    let mut detector = detector(&clock);
    clock.advance(Duration::from_secs(30));
    clock.suspend(8 * HOUR);
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        detector.observe(clock.read()),
        [ClockEvent::Resumed {
            slept: SignedDuration::from_hours(8)
        }]
    );
}

#[test]
fn a_forward_wall_step_is_told_apart_from_sleep_by_the_boot_clock() {
    let clock = TestClock::new(start());
    let mut detector = detector(&clock);
    clock.advance(Duration::from_secs(60));
    clock.step_wall(SignedDuration::from_mins(90));
    assert_eq!(
        detector.observe(clock.read()),
        [ClockEvent::WallStepped {
            by: SignedDuration::from_mins(90)
        }]
    );
}

#[test]
fn sleep_and_a_step_together_are_both_reported() {
    let clock = TestClock::new(start());
    let mut detector = detector(&clock);
    clock.suspend(2 * HOUR);
    clock.step_wall(SignedDuration::from_mins(-10));
    assert_eq!(
        detector.observe(clock.read()),
        [
            ClockEvent::Resumed {
                slept: SignedDuration::from_hours(2)
            },
            ClockEvent::WallStepped {
                by: SignedDuration::from_mins(-10)
            }
        ]
    );
}

#[test]
fn without_a_boot_clock_a_forward_jump_counts_as_sleep_and_a_backward_one_as_a_step() {
    let clock = TestClock::without_boot_clock(start());
    let mut detector = detector(&clock);
    clock.suspend(8 * HOUR);
    assert_eq!(
        detector.observe(clock.read()),
        [ClockEvent::Resumed {
            slept: SignedDuration::from_hours(8)
        }]
    );
    clock.step_wall(SignedDuration::from_mins(-30));
    assert_eq!(
        detector.observe(clock.read()),
        [ClockEvent::WallStepped {
            by: SignedDuration::from_mins(-30)
        }]
    );
}

#[test]
fn differences_under_the_threshold_are_ignored() {
    let clock = TestClock::new(start());
    let mut detector = detector(&clock);
    clock.suspend(Duration::from_secs(3));
    clock.step_wall(SignedDuration::from_secs(2));
    assert!(detector.observe(clock.read()).is_empty());
}

#[test]
fn the_system_clock_reads_moving_clocks() {
    let clock = SystemClock::new();
    let first = clock.read();
    let second = clock.read();
    assert!(second.monotonic >= first.monotonic);
    assert!(second.wall >= first.wall - SignedDuration::from_secs(1));
    if cfg!(target_os = "linux") {
        assert!(
            first.boot.is_some(),
            "/proc/uptime should be readable on Linux"
        );
    }
    let mut detector = SleepDetector::new(SignedDuration::from_secs(5));
    detector.observe(first);
    assert!(detector.observe(second).is_empty());
}

#[test]
fn events_read_as_sentences_for_the_log() {
    let slept = ClockEvent::Resumed {
        slept: SignedDuration::from_secs(8 * 3600 + 10 * 60 + 7),
    };
    assert_eq!(slept.to_string(), "the machine slept for about 8h 10m");
    let back = ClockEvent::WallStepped {
        by: SignedDuration::from_mins(-90),
    };
    assert_eq!(back.to_string(), "the wall clock was set back by 1h 30m");
    let forward = ClockEvent::WallStepped {
        by: SignedDuration::from_secs(42),
    };
    assert_eq!(forward.to_string(), "the wall clock was set forward by 42s");
}
