//! Many tasks and many watchers at once: every watcher's stream of stored
//! events is exactly the task's log (nothing lost, doubled or out of
//! order), and a model's token reaches the watchers in milliseconds.

use std::time::Duration;

use cowork_protocol::{Event, PermissionMode, TaskStatus};
use cowork_server::Backend;
use cowork_test_support::timed::{Pace, TimedModelServer};

use super::daemon_support::*;

const TASKS: usize = 20;
const WATCHERS_PER_TASK: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tasks_and_a_hundred_watchers_each_see_exactly_the_log() {
    let server = TimedModelServer::start(Pace {
        lead: Duration::from_millis(300),
        tokens: 20,
        gap: Duration::from_millis(5),
    })
    .unwrap();
    let place = Place::new();
    let manager = place.start(TASKS);
    let script = place.script("unused", serde_json::json!({"turns": []}));
    let mut ids = Vec::new();
    let mut watchers = Vec::new();
    for n in 0..TASKS {
        let mut request = place.request(&format!("task {n}"), &script, PermissionMode::Plan);
        request.provider = Some("openai".to_owned());
        request.base_url = Some(server.openai_url());
        request.model = Some("timed".to_owned());
        request.script = None;
        let id = manager.create_task(request).unwrap();
        for _ in 0..WATCHERS_PER_TASK {
            let handle = watcher(&manager, &id);
            let id = id.clone();
            watchers.push(async move { (id, handle.await.unwrap()) });
        }
        ids.push(id);
    }
    let store = place.store();
    let mut latencies = Vec::new();
    for watcher in watchers {
        let (id, seen) = watcher.await;
        let logged: Vec<(u64, Event)> = log(&store, &id)
            .into_iter()
            .map(|e| (e.seq, e.event))
            .collect();
        let stored: Vec<(u64, Event)> = seen
            .iter()
            .filter(|(e, _)| e.is_persistent())
            .map(|(e, _)| (e.seq, e.event.clone()))
            .collect();
        assert_eq!(
            stored, logged,
            "task {id}: the watcher's stored events are the log"
        );
        assert!(seen.iter().all(|(e, _)| e.task == id));
        for (envelope, received) in &seen {
            if let Event::TextDelta { text } = &envelope.event
                && let Some(sent) = server.sent_at(text)
            {
                latencies.push(received.saturating_duration_since(sent));
            }
        }
    }
    for id in &ids {
        assert_eq!(status_of(&store, id), TaskStatus::Completed);
    }
    assert_eq!(server.requests(), TASKS);
    assert!(
        latencies.len() >= TASKS * WATCHERS_PER_TASK * 20 / 2,
        "watchers saw most of the model's tokens live: {}",
        latencies.len()
    );
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let (p50, p99) = (at(0.50), at(0.99));
    eprintln!(
        "model token -> watcher, {TASKS} tasks x {WATCHERS_PER_TASK} watchers, {} deltas: \
         p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
}
