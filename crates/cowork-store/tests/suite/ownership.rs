use cowork_protocol::{Event, TaskId, TaskStatus};
use cowork_store::{Owner, Store, StoreError};

use super::{dead_owner, file_store, new_task, spec};

fn task_owned_by(store: &Store, owner: &Owner, prompt: &str) -> TaskId {
    let id = TaskId::new();
    store.create_task(&id, &spec(prompt), owner).unwrap();
    id
}

#[test]
fn a_running_task_whose_owner_died_is_marked_interrupted() {
    let (_dir, store) = file_store();
    let dead = dead_owner();
    let orphan = task_owned_by(&store, &dead, "orphan");

    let reaped = store.reap_interrupted().unwrap();
    assert_eq!(reaped, std::slice::from_ref(&orphan));

    let row = store.task(orphan.as_str()).unwrap();
    assert_eq!(row.status, TaskStatus::Interrupted);
    let reason = format!(
        "the process running it (pid {}) ended unexpectedly",
        dead.pid
    );
    assert_eq!(row.status_reason.as_deref(), Some(reason.as_str()));
    let last = store.events(&orphan).unwrap().pop().unwrap();
    assert_eq!(
        last.event,
        Event::StatusChanged {
            status: TaskStatus::Interrupted,
            reason: Some(reason),
            end: None,
        }
    );
    // Reaping again finds nothing new and appends nothing.
    assert!(store.reap_interrupted().unwrap().is_empty());
    assert_eq!(store.events(&orphan).unwrap().len(), 2);
}

#[test]
fn a_running_task_whose_owner_lives_is_not_reaped() {
    let store = Store::open_in_memory().unwrap();
    let alive = new_task(&store, "busy");
    assert!(store.reap_interrupted().unwrap().is_empty());
    assert_eq!(
        store.task(alive.as_str()).unwrap().status,
        TaskStatus::Running
    );
}

#[test]
fn a_recycled_pid_does_not_keep_a_task_alive() {
    let store = Store::open_in_memory().unwrap();
    let me = Owner::current().unwrap();
    if me.start_time == 0 {
        // No procfs: start times cannot be compared here.
        return;
    }
    // Our own pid, but recorded for a process that started at another time.
    let earlier = Owner {
        pid: me.pid,
        start_time: me.start_time - 1,
    };
    let id = task_owned_by(&store, &earlier, "recycled");
    assert_eq!(store.reap_interrupted().unwrap(), [id]);
}

#[test]
fn ended_tasks_are_never_reaped_even_if_their_owner_died() {
    let store = Store::open_in_memory().unwrap();
    let id = task_owned_by(&store, &dead_owner(), "finished");
    store
        .append(
            &id,
            &Event::StatusChanged {
                status: TaskStatus::Completed,
                reason: None,
                end: None,
            },
        )
        .unwrap();
    assert!(store.reap_interrupted().unwrap().is_empty());
    assert_eq!(
        store.task(id.as_str()).unwrap().status,
        TaskStatus::Completed
    );
}

#[test]
fn claim_is_refused_while_the_owner_is_alive() {
    let store = Store::open_in_memory().unwrap();
    let me = Owner::current().unwrap();
    let id = task_owned_by(&store, &me, "mine");
    // Another process (here: a different identity) tries to take it over.
    let intruder = dead_owner();
    let err = store.claim(&id, &intruder).unwrap_err();
    assert!(
        matches!(&err, StoreError::Busy { id: busy, pid } if *busy == id && *pid == me.pid),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&format!("pid {}", me.pid)),
        "{err}"
    );
    assert_eq!(store.owner(&id).unwrap(), Some(me));
    assert_eq!(store.events(&id).unwrap().len(), 1, "nothing appended");
}

#[test]
fn an_interrupted_task_can_be_claimed_and_is_running_again() {
    let store = Store::open_in_memory().unwrap();
    let id = task_owned_by(&store, &dead_owner(), "resume me");
    store.reap_interrupted().unwrap();

    let me = Owner::current().unwrap();
    store.claim(&id, &me).unwrap();

    assert_eq!(store.owner(&id).unwrap(), Some(me));
    let row = store.task(id.as_str()).unwrap();
    assert_eq!(row.status, TaskStatus::Running);
    assert_eq!(row.status_reason.as_deref(), Some("resumed"));
    let events = store.events(&id).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[2].event,
        Event::StatusChanged {
            status: TaskStatus::Running,
            reason: Some("resumed".to_owned()),
            end: None,
        }
    );
    // Now owned by a live process, it is no longer reaped.
    assert!(store.reap_interrupted().unwrap().is_empty());
}

#[test]
fn a_running_task_with_a_dead_owner_can_be_claimed_before_any_reaping() {
    let store = Store::open_in_memory().unwrap();
    let id = task_owned_by(&store, &dead_owner(), "crashed");
    store.claim(&id, &Owner::current().unwrap()).unwrap();
    assert_eq!(store.task(id.as_str()).unwrap().status, TaskStatus::Running);
}

#[test]
fn the_owner_may_claim_its_own_task_again() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "mine");
    store.claim(&id, &Owner::current().unwrap()).unwrap();
    assert_eq!(store.events(&id).unwrap().len(), 2);
}

#[test]
fn claiming_an_unknown_task_is_not_found() {
    let store = Store::open_in_memory().unwrap();
    let err = store
        .claim(&TaskId::new(), &Owner::current().unwrap())
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}
