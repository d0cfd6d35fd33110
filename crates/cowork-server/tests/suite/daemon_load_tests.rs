//! Many tasks and many watchers at once: every watcher's stream of stored
//! events is exactly the task's log (nothing lost, doubled or out of
//! order), and a model's token reaches the watchers in milliseconds.

use std::time::{Duration, Instant};

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

/// One SSE client of the real event route: every envelope until the
/// task's final status, each with when its frame arrived.
async fn sse_client(
    client: reqwest::Client,
    url: String,
    token: String,
) -> Vec<(cowork_protocol::Envelope, Instant)> {
    use futures::StreamExt;
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut seen = Vec::new();
    while let Some(chunk) = body.next().await {
        let received = Instant::now();
        buffer.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data:")) else {
                continue;
            };
            let envelope: cowork_protocol::Envelope = serde_json::from_str(data.trim()).unwrap();
            let id = frame
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|id| id.trim().parse::<u64>().unwrap());
            assert_eq!(id, Some(envelope.seq), "an SSE id is the envelope's seq");
            let last = matches!(
                &envelope.event,
                Event::StatusChanged { status, .. } if status.is_terminal()
            );
            seen.push((envelope, received));
            if last {
                return seen;
            }
        }
    }
    panic!("the event stream ended before the task did");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tasks_and_a_hundred_sse_clients_each_see_exactly_the_log() {
    let server = TimedModelServer::start(Pace {
        lead: Duration::from_millis(500),
        tokens: 20,
        gap: Duration::from_millis(5),
    })
    .unwrap();
    let place = Place::new();
    let manager = place.start(TASKS);
    let lock = cowork_server::DaemonLock::acquire(&place.data_dir()).unwrap();
    let options = cowork_server::ServeOptions {
        port: 0,
        ..cowork_server::ServeOptions::default()
    };
    let http = cowork_server::serve(manager.clone(), lock, options)
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let script = place.script("unused", serde_json::json!({"turns": []}));
    let mut clients = Vec::new();
    let mut ids = Vec::new();
    for n in 0..TASKS {
        let mut request = place.request(&format!("task {n}"), &script, PermissionMode::Plan);
        request.provider = Some("openai".to_owned());
        request.base_url = Some(server.openai_url());
        request.model = Some("timed".to_owned());
        request.script = None;
        let id = manager.create_task(request).unwrap();
        for _ in 0..WATCHERS_PER_TASK {
            let url = format!("http://127.0.0.1:{}/api/tasks/{id}/events", http.port());
            let watch = tokio::spawn(sse_client(client.clone(), url, http.token().to_owned()));
            let id = id.clone();
            clients.push(async move { (id, watch.await.unwrap()) });
        }
        ids.push(id);
    }
    let store = place.store();
    let mut latencies = Vec::new();
    for client in clients {
        let (id, seen) = client.await;
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
            "task {id}: the SSE client's stored events are the log"
        );
        for (envelope, received) in &seen {
            if let Event::TextDelta { text } = &envelope.event
                && let Some(sent) = server.sent_at(text)
            {
                latencies.push(received.saturating_duration_since(sent));
            }
        }
    }
    http.shutdown().await.unwrap();
    assert!(
        !latencies.is_empty(),
        "the SSE clients saw the model's tokens live"
    );
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    eprintln!(
        "model token -> SSE client, {TASKS} tasks x {WATCHERS_PER_TASK} clients, {} deltas: \
         p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}
