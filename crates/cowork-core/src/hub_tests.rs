use std::sync::Arc;
use std::time::Duration;

use cowork_protocol::{Envelope, Event, ModelChoice, Provider, TaskId, TaskSpec};
use cowork_store::{Owner, Store};

use super::*;

fn task(store: &Store) -> TaskId {
    let id = TaskId::new();
    let spec = TaskSpec {
        prompt: "hi".into(),
        folders: Vec::new(),
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Default::default(),
        mode: Default::default(),
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    };
    store
        .create_task(&id, &spec, &Owner::current().unwrap())
        .unwrap();
    id
}

fn turn(n: u32) -> Event {
    Event::TurnStarted { turn: n }
}

fn delta(text: &str) -> Event {
    Event::TextDelta { text: text.into() }
}

async fn next(sub: &mut Subscription) -> Envelope {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("an envelope in time")
        .expect("an envelope")
}

fn hub() -> (Hub, TaskId) {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let id = task(&store);
    (Hub::new(store), id)
}

#[tokio::test]
async fn a_published_event_carries_the_stores_seq_and_a_transient_one_the_last_stored_seq() {
    let (hub, id) = hub();
    let mut sub = hub.subscribe(&id, 1).unwrap();
    let publisher = hub.publisher(&id);
    assert_eq!(publisher.publish(turn(1)).unwrap(), 2);
    assert_eq!(publisher.publish(delta("a")).unwrap(), 2);
    assert_eq!(publisher.publish(turn(2)).unwrap(), 3);
    let seqs: Vec<(u64, &str)> = [
        next(&mut sub).await,
        next(&mut sub).await,
        next(&mut sub).await,
    ]
    .iter()
    .map(|e| (e.seq, e.event.kind()))
    .collect::<Vec<_>>()
    .into_iter()
    .collect();
    assert_eq!(
        seqs,
        vec![(2, "turn_started"), (2, "text_delta"), (3, "turn_started")]
    );
}

#[tokio::test]
async fn subscribing_replays_the_stored_events_then_goes_live_without_gap_or_duplicate() {
    let (hub, id) = hub();
    let publisher = hub.publisher(&id);
    for n in 1..=3 {
        publisher.publish(turn(n)).unwrap();
    }
    let mut sub = hub.subscribe(&id, 2).unwrap();
    // Published after the subscription read the store, and also
    // broadcast: it must come once.
    publisher.publish(turn(4)).unwrap();
    let seqs: Vec<u64> = [
        next(&mut sub).await,
        next(&mut sub).await,
        next(&mut sub).await,
    ]
    .iter()
    .map(|e| e.seq)
    .collect();
    assert_eq!(seqs, vec![3, 4, 5]);
}

#[tokio::test]
async fn an_event_stored_between_joining_the_broadcast_and_reading_the_store_comes_once() {
    let (hub, id) = hub();
    let publisher = hub.publisher(&id);
    publisher.publish(turn(1)).unwrap();
    // The broadcast is joined first; the replay then holds seq 2 too.
    let mut sub = hub.subscribe(&id, 0).unwrap();
    publisher.publish(turn(2)).unwrap();
    let mut seqs = Vec::new();
    for _ in 0..3 {
        seqs.push(next(&mut sub).await.seq);
    }
    assert_eq!(seqs, vec![1, 2, 3]);
    publisher.publish(turn(3)).unwrap();
    assert_eq!(next(&mut sub).await.seq, 4);
}

#[tokio::test]
async fn a_slow_subscriber_catches_up_from_the_store_and_loses_no_stored_event() {
    let (hub, id) = hub();
    let publisher = hub.publisher(&id);
    let mut sub = hub.subscribe(&id, 1).unwrap();
    let total = u32::try_from(BUFFER).unwrap() * 2 + 10;
    for n in 1..=total {
        // The task never waits for the slow watcher.
        publisher.publish(turn(n)).unwrap();
        publisher.publish(delta("x")).unwrap();
    }
    let mut stored = Vec::new();
    while stored.len() < total as usize {
        let envelope = next(&mut sub).await;
        if envelope.is_persistent() {
            stored.push(envelope.seq);
        }
    }
    let expected: Vec<u64> = (2..=u64::from(total) + 1).collect();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn a_task_channel_is_dropped_when_nobody_holds_it() {
    let (hub, id) = hub();
    let sub = hub.subscribe(&id, 0).unwrap();
    let publisher = hub.publisher(&id);
    assert_eq!(hub.live_tasks(), 1);
    drop(sub);
    assert_eq!(hub.live_tasks(), 1);
    drop(publisher);
    assert_eq!(hub.live_tasks(), 0);
    assert!(lock(&hub.inner.channels).is_empty());
}

#[tokio::test]
async fn synced_journal_events_reach_subscribers_live_with_their_seqs() {
    let (hub, id) = hub();
    let mut sub = hub.subscribe(&id, 1).unwrap();
    let publisher = hub.publisher(&id);
    let notes = [
        Event::UserMessage { text: "a".into() },
        Event::UserMessage { text: "b".into() },
    ];
    assert_eq!(publisher.publish_all_synced(&notes).unwrap(), vec![2, 3]);
    assert_eq!(next(&mut sub).await.seq, 2);
    assert_eq!(next(&mut sub).await.seq, 3);
}

#[tokio::test]
async fn a_stale_transient_event_is_not_delivered_after_a_later_stored_one() {
    let (hub, id) = hub();
    let publisher = hub.publisher(&id);
    publisher.publish(turn(1)).unwrap();
    let mut sub = hub.subscribe(&id, 0).unwrap();
    // Live copies of what the replay holds, and a transient one from
    // before seq 2: all stale once seq 2 was delivered.
    publisher.announce(
        1,
        Event::TaskCreated {
            spec: match &hub.store().events(&id).unwrap()[0].event {
                Event::TaskCreated { spec } => spec.clone(),
                other => panic!("{other:?}"),
            },
        },
    );
    publisher.broadcast(1, delta("stale"));
    publisher.publish(delta("fresh")).unwrap();
    let kinds: Vec<(u64, String)> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let e = next(&mut sub).await;
            let text = match &e.event {
                Event::TextDelta { text } => text.clone(),
                other => other.kind().to_owned(),
            };
            v.push((e.seq, text));
        }
        v
    };
    assert_eq!(
        kinds,
        vec![
            (1, "task_created".to_owned()),
            (2, "turn_started".to_owned()),
            (2, "fresh".to_owned())
        ]
    );
}

/// Regression: the end of a task whose store failed went out with the
/// last stored seq, so every watcher dropped it as already delivered and
/// waited for an end that never came.
#[tokio::test]
async fn a_status_that_could_not_be_stored_still_reaches_watchers() {
    let (hub, id) = hub();
    let publisher = hub.publisher(&id);
    publisher.publish(turn(1)).unwrap();
    let mut sub = hub.subscribe(&id, 0).unwrap();
    let end = Event::StatusChanged {
        status: cowork_protocol::TaskStatus::Failed,
        reason: Some("the disk is full".into()),
        end: None,
    };
    publisher.broadcast_unstored(end.clone());
    assert_eq!(next(&mut sub).await.seq, 1);
    assert_eq!(next(&mut sub).await.seq, 2);
    let last = next(&mut sub).await;
    assert_eq!((last.seq, last.event), (3, end));
}

/// The runner and the journal's sink publish one task's events from
/// different threads; watchers must still get them in seq order, or a
/// later seq delivered first makes them drop the earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishers_on_several_threads_reach_every_watcher_in_seq_order() {
    let (hub, id) = hub();
    let mut watchers: Vec<Subscription> = (0..20).map(|_| hub.subscribe(&id, 1).unwrap()).collect();
    let per_thread = 200u32;
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let publisher = hub.publisher(&id);
            std::thread::spawn(move || {
                for n in 0..per_thread {
                    if n % 2 == 0 {
                        publisher.publish(turn(t * 1000 + n)).unwrap();
                    } else {
                        publisher.publish_all_synced(&[turn(t * 1000 + n)]).unwrap();
                    }
                    publisher.publish(delta("x")).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let expected: Vec<u64> = (2..=u64::from(2 * per_thread) + 1).collect();
    for watcher in &mut watchers {
        let mut stored = Vec::new();
        let mut last_seen = 1;
        while stored.len() < expected.len() {
            let envelope = next(watcher).await;
            assert!(envelope.seq >= last_seen, "out of order: {envelope:?}");
            last_seen = envelope.seq;
            if envelope.is_persistent() {
                stored.push(envelope.seq);
            }
        }
        assert_eq!(stored, expected);
    }
}
