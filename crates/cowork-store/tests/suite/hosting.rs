use cowork_protocol::{Event, TaskId, TaskStatus};
use cowork_store::{Host, Owner, Store, StoreError};

use super::{dead_owner, file_store, new_task, spec};

fn hosted_by_dead_daemon(store: &Store, prompt: &str) -> TaskId {
    let id = TaskId::new();
    store
        .create_hosted_task(&id, &spec(prompt), &dead_owner(), Host::Daemon)
        .unwrap();
    id
}

fn ids(rows: &[cowork_store::TaskRow]) -> Vec<TaskId> {
    rows.iter().map(|row| row.id.clone()).collect()
}

#[test]
fn a_task_is_hosted_by_the_cli_unless_said_otherwise() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "from a terminal");
    assert_eq!(store.task(id.as_str()).unwrap().host, Host::Cli);
}

#[test]
fn after_a_daemon_is_killed_its_tasks_and_only_its_tasks_are_to_resume() {
    let (_dir, store) = file_store();
    let first = hosted_by_dead_daemon(&store, "first");
    let second = hosted_by_dead_daemon(&store, "second");
    // A terminal's task that died too: `cowork resume` is for it.
    let cli = TaskId::new();
    store
        .create_task(&cli, &spec("cli"), &dead_owner())
        .unwrap();
    // A daemon task that had finished before the kill stays finished.
    let done = hosted_by_dead_daemon(&store, "done");
    store
        .append(
            &done,
            &Event::StatusChanged {
                status: TaskStatus::Completed,
                reason: None,
                end: None,
            },
        )
        .unwrap();
    // Nothing is interrupted until the reaper has looked.
    assert!(store.interrupted_daemon_tasks().unwrap().is_empty());

    let mut reaped = store.reap_interrupted().unwrap();
    reaped.sort();
    let mut expected = vec![first.clone(), second.clone(), cli];
    expected.sort();
    assert_eq!(reaped, expected);
    assert_eq!(
        ids(&store.interrupted_daemon_tasks().unwrap()),
        [first, second]
    );
}

#[test]
fn a_resumed_daemon_task_is_no_longer_to_resume() {
    let (_dir, store) = file_store();
    let id = hosted_by_dead_daemon(&store, "resume me");
    store.reap_interrupted().unwrap();
    store.claim(&id, &Owner::current().unwrap()).unwrap();
    assert!(store.interrupted_daemon_tasks().unwrap().is_empty());
    // `claim` keeps the host: killed again, the daemon takes it back again.
    assert_eq!(store.task(id.as_str()).unwrap().host, Host::Daemon);
}

#[test]
fn claiming_for_a_host_moves_the_task_to_it() {
    let (_dir, store) = file_store();
    let id = TaskId::new();
    store
        .create_task(&id, &spec("cli first"), &dead_owner())
        .unwrap();
    store.reap_interrupted().unwrap();
    let seq = store
        .claim_hosted(&id, &Owner::current().unwrap(), Host::Daemon)
        .unwrap();
    assert_eq!(seq, 3);
    assert_eq!(store.task(id.as_str()).unwrap().host, Host::Daemon);
}

#[test]
fn a_refused_claim_does_not_change_the_host() {
    let store = Store::open_in_memory().unwrap();
    // Running here; another process (a different identity) tries to take
    // it over for a daemon.
    let id = new_task(&store, "busy");
    let err = store
        .claim_hosted(&id, &dead_owner(), Host::Daemon)
        .unwrap_err();
    assert!(matches!(err, StoreError::Busy { .. }), "{err:?}");
    assert_eq!(store.task(id.as_str()).unwrap().host, Host::Cli);
}

#[test]
fn set_host_changes_the_host_and_names_an_unknown_task() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "moved");
    store.set_host(&id, Host::Daemon).unwrap();
    assert_eq!(store.task(id.as_str()).unwrap().host, Host::Daemon);
    let unknown = TaskId::new();
    let err = store.set_host(&unknown, Host::Daemon).unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound { id } if id == unknown.as_str()),
        "{err:?}"
    );
}

#[test]
fn tasks_from_before_hosts_existed_are_the_clis() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cowork.db");
    {
        // A database as the first schema left it, with one interrupted task.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../migrations/0001_init.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let spec = serde_json::to_string(&spec("old")).unwrap();
        conn.execute(
            "INSERT INTO tasks (id, created_at, updated_at, status, prompt, spec) \
             VALUES ('0123456789abcdef', 1, 1, 'interrupted', 'old', ?1)",
            [spec],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let row = store.task("0123456789abcdef").unwrap();
    assert_eq!(row.host, Host::Cli);
    assert!(store.interrupted_daemon_tasks().unwrap().is_empty());
}

#[test]
fn an_unknown_host_in_the_database_is_reported_as_a_damaged_task() {
    let (dir, store) = file_store();
    let id = new_task(&store, "tampered");
    drop(store);
    let path = dir.path().join("cowork.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE tasks SET host = 'toaster'", [])
        .unwrap();
    let err = Store::open(&path).unwrap().task(id.as_str()).unwrap_err();
    assert!(matches!(err, StoreError::CorruptTask { .. }), "{err:?}");
    assert!(err.to_string().contains("unknown host `toaster`"), "{err}");
}
