use cowork_protocol::Event;
use cowork_store::StoreError;

use super::{file_store, new_task};

fn raw(store: &cowork_store::Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.path().unwrap()).unwrap()
}

#[test]
fn an_event_that_no_longer_parses_is_a_corrupt_error_naming_it() {
    let (_dir, store) = file_store();
    let id = new_task(&store, "will break");
    store.append(&id, &Event::TurnStarted { turn: 1 }).unwrap();
    raw(&store)
        .execute(
            "UPDATE events SET payload = '{\"type\":\"from_the_future\",\"x\":1}' \
             WHERE task_id = ?1 AND seq = 2",
            [id.as_str()],
        )
        .unwrap();
    let err = store.events(&id).unwrap_err();
    match &err {
        StoreError::Corrupt { task, seq, message } => {
            assert_eq!(task, &id);
            assert_eq!(*seq, 2);
            assert!(message.contains("from_the_future"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&format!("event 2 of task {id}")),
        "{err}"
    );
}

#[test]
fn a_payload_that_is_not_json_is_a_corrupt_error() {
    let (_dir, store) = file_store();
    let id = new_task(&store, "will break");
    raw(&store)
        .execute(
            "UPDATE events SET payload = 'not json {' WHERE task_id = ?1 AND seq = 1",
            [id.as_str()],
        )
        .unwrap();
    assert!(matches!(
        store.events(&id),
        Err(StoreError::Corrupt { seq: 1, .. })
    ));
    // The log stays appendable, and later events read fine on their own.
    let seq = store.append(&id, &Event::TurnStarted { turn: 1 }).unwrap();
    assert_eq!(store.events_after(&id, 1).unwrap()[0].seq, seq);
}

#[test]
fn a_task_row_with_a_broken_spec_or_status_is_a_corrupt_task_error() {
    let (_dir, store) = file_store();
    let broken_spec = new_task(&store, "spec");
    let broken_status = new_task(&store, "status");
    let conn = raw(&store);
    conn.execute(
        "UPDATE tasks SET spec = '{}' WHERE id = ?1",
        [broken_spec.as_str()],
    )
    .unwrap();
    conn.execute(
        "UPDATE tasks SET status = 'sleeping' WHERE id = ?1",
        [broken_status.as_str()],
    )
    .unwrap();
    assert!(matches!(
        store.task(broken_spec.as_str()),
        Err(StoreError::CorruptTask { task, .. }) if task == broken_spec
    ));
    let err = store.task(broken_status.as_str()).unwrap_err();
    assert!(err.to_string().contains("sleeping"), "{err}");
    assert!(matches!(
        store.list_tasks(10),
        Err(StoreError::CorruptTask { .. })
    ));
    // Reaping reads only what it needs and does not trip over the spec.
    assert!(store.reap_interrupted().unwrap().is_empty());
    // The log, the source of truth, still reads back in full.
    let first = store.events(&broken_spec).unwrap().remove(0).event;
    assert!(matches!(first, Event::TaskCreated { spec } if spec.prompt == "spec"));
}
