use std::sync::{Arc, Barrier};

use cowork_protocol::{Event, TaskId};
use cowork_store::Store;

use super::new_task;

const APPENDS: u32 = 300;

#[test]
fn two_stores_on_one_file_append_from_two_threads_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cowork.db");
    let start = Arc::new(Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|n| {
            let path = path.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || -> TaskId {
                // Each thread opens its own Store, as two cowork processes
                // would, including racing to migrate the fresh file.
                start.wait();
                let store = Store::open(&path).unwrap();
                let id = new_task(&store, &format!("worker {n}"));
                for turn in 1..=APPENDS {
                    store.append(&id, &Event::TurnStarted { turn }).unwrap();
                }
                id
            })
        })
        .collect();
    let ids: Vec<TaskId> = workers.into_iter().map(|w| w.join().unwrap()).collect();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.list_tasks(10).unwrap().len(), 2);
    for id in &ids {
        let events = store.events(id).unwrap();
        assert_eq!(events.len(), APPENDS as usize + 1);
        assert!(events.iter().zip(1..).all(|(e, seq)| e.seq == seq));
        assert_eq!(store.task(id.as_str()).unwrap().turns, APPENDS);
    }
}

#[test]
fn one_store_is_shared_between_threads() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let id = new_task(&store, "shared");
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            let id = id.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    store
                        .append(
                            &id,
                            &Event::UserMessage {
                                text: "more".to_owned(),
                            },
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let seqs: Vec<u64> = store.events(&id).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=201).collect::<Vec<_>>());
}
