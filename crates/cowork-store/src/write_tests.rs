use std::sync::{Arc, Barrier};

use cowork_protocol::{ModelChoice, Provider, TaskSpec};

use super::*;

/// `PRAGMA synchronous` values.
const NORMAL: i64 = 1;
const FULL: i64 = 2;

fn spec() -> TaskSpec {
    TaskSpec {
        prompt: "write".to_owned(),
        folders: vec![],
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".to_owned(),
            base_url: None,
            script: None,
        },
        budget: Default::default(),
        mode: Default::default(),
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

fn message(text: &str) -> Event {
    Event::UserMessage {
        text: text.to_owned(),
    }
}

/// A store on a file (an in-memory one has no WAL to sync), in a temp dir
/// kept alive by the returned guard.
fn file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cowork.db")).unwrap();
    (dir, store)
}

fn new_task(store: &Store) -> TaskId {
    let id = TaskId::new();
    store
        .create_task(&id, &spec(), &Owner::current().unwrap())
        .unwrap();
    id
}

/// Regression: `append_all_synced` once set `synchronous=FULL`, released
/// the connection, appended, then set it back in a third lock acquisition.
/// With several tasks writing, another thread's restore could land between
/// the first two, and a journal record was committed at NORMAL — without
/// the power-loss guarantee undo relies on.
#[test]
fn every_synced_append_commits_at_full_while_many_tasks_write() {
    let (_dir, store) = file_store();
    let store = Arc::new(store);
    const THREADS: usize = 8;
    const ROUNDS: usize = 40;
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|n| {
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let id = new_task(&store);
                start.wait();
                for round in 0..ROUNDS {
                    if (n + round) % 2 == 0 {
                        store.append_all_synced(&id, &[message("synced")]).unwrap();
                    } else {
                        store.append_all(&id, &[message("plain")]).unwrap();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }

    let commits = store.commits.lock().unwrap();
    // Every task's `create_task`, then its appends.
    assert_eq!(commits.len(), THREADS * (ROUNDS + 1));
    let synced = commits
        .iter()
        .filter(|(d, _)| *d == Durability::Full)
        .count();
    assert_eq!(synced, THREADS * ROUNDS / 2);
    let wrong: Vec<_> = commits
        .iter()
        .filter(|(durability, level)| *level != expected(*durability))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} writes committed at the wrong synchronous level: {wrong:?}",
        wrong.len(),
        commits.len()
    );
}

fn expected(durability: Durability) -> i64 {
    match durability {
        Durability::Normal => NORMAL,
        Durability::Full => FULL,
    }
}

fn last_commit(store: &Store) -> (Durability, i64) {
    *store.commits.lock().unwrap().last().unwrap()
}

#[test]
fn a_failed_synced_append_leaves_the_next_plain_append_at_normal() {
    let (_dir, store) = file_store();
    let id = new_task(&store);
    let unknown = TaskId::new();
    let err = store
        .append_all_synced(&unknown, &[message("synced")])
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    store.append(&id, &message("plain")).unwrap();
    assert_eq!(last_commit(&store), (Durability::Normal, NORMAL));
}

#[test]
fn a_write_that_panics_at_full_leaves_the_next_plain_append_at_normal() {
    let (_dir, store) = file_store();
    let id = new_task(&store);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.write(Durability::Full, |_| -> Result<(), StoreError> {
            panic!("a bug mid-write")
        })
    }));
    assert!(panicked.is_err());
    store.append(&id, &message("plain")).unwrap();
    assert_eq!(last_commit(&store), (Durability::Normal, NORMAL));
    // And the next synced one is synced again.
    store.append_all_synced(&id, &[message("synced")]).unwrap();
    assert_eq!(last_commit(&store), (Durability::Full, FULL));
}

#[test]
fn a_synced_append_between_plain_ones_is_the_only_one_at_full() {
    let (_dir, store) = file_store();
    let id = new_task(&store);
    store.append(&id, &message("before")).unwrap();
    store.append_all_synced(&id, &[message("synced")]).unwrap();
    store.append_all(&id, &[message("after")]).unwrap();
    let levels: Vec<i64> = store.commits.lock().unwrap().iter().map(|c| c.1).collect();
    assert_eq!(levels, [NORMAL, NORMAL, FULL, NORMAL]);
}

#[test]
fn claim_returns_the_seq_of_the_resumed_event() {
    let (_dir, store) = file_store();
    let id = new_task(&store);
    store.append(&id, &message("one")).unwrap();
    let seq = store.claim(&id, &Owner::current().unwrap()).unwrap();
    assert_eq!(seq, 3);
    let last = store.events(&id).unwrap().pop().unwrap();
    assert_eq!(last.seq, seq);
    assert_eq!(
        last.event,
        Event::StatusChanged {
            status: TaskStatus::Running,
            reason: Some("resumed".to_owned()),
            end: None,
        }
    );
}
