//! The SSE stream: ids are seqs, replay then live, no gap, no duplicate.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;

use cowork_protocol::{Envelope, Event, TaskStatus};

use super::harness::{TestServer, error_message, header};

#[derive(Debug)]
struct Frame {
    id: String,
    event: String,
    envelope: Envelope,
}

/// Reads frames from an SSE response until `count` have come.
struct SseReader {
    stream: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buffer: String,
}

impl SseReader {
    fn new(response: reqwest::Response) -> Self {
        Self {
            stream: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    async fn next_frames(&mut self, count: usize) -> Vec<Frame> {
        let mut frames = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), async {
            while frames.len() < count {
                while let Some(end) = self.buffer.find("\n\n") {
                    let raw: String = self.buffer.drain(..end + 2).collect();
                    if let Some(frame) = parse(&raw) {
                        frames.push(frame);
                    }
                }
                if frames.len() >= count {
                    break;
                }
                let chunk = self.stream.next().await.expect("stream open").unwrap();
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("frames in time");
        frames
    }
}

fn parse(raw: &str) -> Option<Frame> {
    let (mut id, mut event, mut data) = (None, None, None);
    for line in raw.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("event:") {
            event = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data = Some(v.trim().to_owned());
        }
    }
    Some(Frame {
        id: id?,
        event: event?,
        envelope: serde_json::from_str(&data?).unwrap(),
    })
}

fn turn(n: u32) -> Event {
    Event::TurnStarted { turn: n }
}

#[tokio::test]
async fn reconnect_with_last_event_id_replays_the_rest_then_goes_live_without_gap_or_duplicate() {
    let t = TestServer::start().await;
    let id = t.new_task("hi"); // seq 1
    for n in 1..=4 {
        t.backend.publish(&id, turn(n)); // seqs 2..=5
    }
    let response = t
        .api(Method::GET, &format!("/api/tasks/{id}/events"))
        .header("last-event-id", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(response.headers(), "content-type").starts_with("text/event-stream"));
    let mut reader = SseReader::new(response);
    let replayed = reader.next_frames(3).await;
    assert_eq!(
        replayed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["3", "4", "5"]
    );
    for frame in &replayed {
        assert_eq!(frame.id, frame.envelope.seq.to_string());
        assert_eq!(frame.event, "turn_started");
        assert_eq!(frame.envelope.task, id);
    }

    t.backend
        .publish(&id, Event::TextDelta { text: "he".into() });
    t.backend.publish(
        &id,
        Event::StatusChanged {
            status: TaskStatus::Completed,
            reason: None,
            end: None,
        },
    );
    let live = reader.next_frames(2).await;
    assert_eq!(live[0].event, "text_delta");
    assert_eq!(
        live[0].id, "5",
        "a transient event carries the last stored seq"
    );
    assert_eq!(live[1].event, "status_changed");
    assert_eq!(live[1].id, "6");
}

#[tokio::test]
async fn after_parameter_replays_like_last_event_id_and_the_header_wins() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    for n in 1..=3 {
        t.backend.publish(&id, turn(n));
    }
    let by_query = t
        .api(Method::GET, &format!("/api/tasks/{id}/events?after=3"))
        .send()
        .await
        .unwrap();
    let frames = SseReader::new(by_query).next_frames(1).await;
    assert_eq!(frames[0].id, "4");

    // A browser reconnecting keeps the URL's `after` and adds the header.
    let both = t
        .api(Method::GET, &format!("/api/tasks/{id}/events?after=1"))
        .header("last-event-id", "3")
        .send()
        .await
        .unwrap();
    let frames = SseReader::new(both).next_frames(1).await;
    assert_eq!(frames[0].id, "4");

    let all = t
        .api(Method::GET, &format!("/api/tasks/{id}/events"))
        .send()
        .await
        .unwrap();
    let frames = SseReader::new(all).next_frames(4).await;
    assert_eq!(
        frames.iter().map(|f| f.envelope.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(frames[0].event, "user_message");
}

#[tokio::test]
async fn events_published_while_replaying_are_neither_lost_nor_doubled() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let publisher = {
        let backend = t.backend.clone();
        let id = id.clone();
        tokio::spawn(async move {
            for n in 1..=200 {
                backend.publish(&id, turn(n));
                if n % 20 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let response = t
        .api(Method::GET, &format!("/api/tasks/{id}/events"))
        .send()
        .await
        .unwrap();
    let frames = SseReader::new(response).next_frames(201).await;
    publisher.await.unwrap();
    let seqs: Vec<u64> = frames.iter().map(|f| f.envelope.seq).collect();
    assert_eq!(seqs, (1..=201).collect::<Vec<_>>());
}

#[tokio::test]
async fn malformed_replay_position_is_a_400_naming_it() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let header_bad = t
        .api(Method::GET, &format!("/api/tasks/{id}/events"))
        .header("last-event-id", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(header_bad.status(), 400);
    assert!(error_message(header_bad).await.contains("Last-Event-ID"));
    let query_bad = t
        .api(Method::GET, &format!("/api/tasks/{id}/events?after=-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(query_bad.status(), 400);
    assert!(error_message(query_bad).await.contains("`after`"));
    let unknown = t
        .api(Method::GET, "/api/tasks/nope/events")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn shutdown_ends_open_event_streams_promptly() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let response = t
        .api(Method::GET, &format!("/api/tasks/{id}/events"))
        .send()
        .await
        .unwrap();
    let mut reader = SseReader::new(response);
    reader.next_frames(1).await;
    let started = std::time::Instant::now();
    t.server.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown waited {:?} for a watcher",
        started.elapsed()
    );
    let rest = tokio::time::timeout(Duration::from_secs(5), reader.stream.next())
        .await
        .expect("the stream ends");
    assert!(rest.is_none() || rest.is_some_and(|r| r.is_err()));
}

#[tokio::test]
async fn browser_session_can_watch_a_task_with_its_cookie_alone() {
    // EventSource sends no custom headers: the cookie must be enough for
    // this GET, and no CSRF token is asked of it.
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let session = t.sign_in().await;
    let response = t
        .browser(&session, Method::GET, &format!("/api/tasks/{id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let frames = SseReader::new(response).next_frames(1).await;
    assert_eq!(frames[0].id, "1");
}
