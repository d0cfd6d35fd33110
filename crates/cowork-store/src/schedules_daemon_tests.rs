use cowork_protocol::ScheduleScope;
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, Timestamp};

use crate::NewSchedule;

use super::*;

fn new(name: &str) -> NewSchedule {
    let now: Timestamp = "2026-03-02T07:00:00Z".parse().unwrap();
    NewSchedule {
        name: name.into(),
        project: None,
        prompt: "Digest".into(),
        state: ScheduleState::new(
            "",
            Recurrence::cron("0 9 * * *", "UTC").unwrap(),
            CatchUp::Once,
            now,
        ),
        scope: ScheduleScope::default(),
    }
}

/// Regression: `list_schedules` fails whole on one unreadable record, so a
/// daemon reading schedules that way ran none of them.
#[test]
fn one_unreadable_schedule_leaves_the_others_readable() {
    let store = Store::open_in_memory().unwrap();
    let good = store.create_schedule(&new("digest")).unwrap();
    let bad = store.create_schedule(&new("standup")).unwrap();
    store
        .conn()
        .execute(
            "UPDATE schedules SET scope = '{\"from_a_newer_cowork\": 1}' WHERE id = ?1",
            [&bad.id],
        )
        .unwrap();
    assert!(store.list_schedules(None).is_err());
    let each = store.schedules_each().unwrap();
    assert_eq!(each.len(), 2);
    assert_eq!(each[0].0, good.id);
    assert_eq!(each[0].1.as_ref().unwrap(), &good);
    assert_eq!(each[1].0, bad.id);
    assert!(
        matches!(&each[1].1, Err(ScheduleError::Corrupt { name, .. }) if name == "standup"),
        "{:?}",
        each[1].1
    );
}
