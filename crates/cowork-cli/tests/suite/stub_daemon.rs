//! A stand-in for `cowork serve`: the routes the CLI uses, over the test's
//! own store, with tasks that play a scripted list of steps. It writes
//! `server.json` into the test's data dir, so the CLI finds it as it finds
//! the real daemon, and it records what the CLI asked of it.

use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::{get, post};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};

use cowork_protocol::{
    ApprovalDecision, Budget, Effect, Envelope, Event, FolderGrant, ModelChoice, PermissionMode,
    Provider, TaskId, TaskSpec, TaskStatus,
};
use cowork_store::{Owner, Store};

/// What a stub task does, in order.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "a handful of steps per test")]
pub enum Step {
    /// Records (if persistent) and publishes the event.
    Emit(Event),
    /// Asks about call `call_id` and waits for an answer over the API.
    Approval { call_id: String },
    /// Asks about call `call_id`; "the web UI" answers it after a while.
    AnsweredInTheWeb { call_id: String, after: Duration },
    /// Waits until the task is cancelled over the API, then ends
    /// cancelled.
    UntilCancelled,
    /// Waits this long.
    Sleep(Duration),
}

/// What the CLI asked of the stub.
#[derive(Debug, Default, Clone)]
pub struct Asked {
    pub tasks: Vec<Value>,
    pub decisions: Vec<(String, Value)>,
    pub cancels: u32,
    pub messages: Vec<String>,
    pub subscriptions: Vec<u64>,
}

enum Control {
    Decided { call_id: String },
    Cancel,
}

struct Inner {
    store: Store,
    token: String,
    steps: Vec<Step>,
    reply_steps: Vec<Step>,
    asked: Mutex<Asked>,
    pending: Mutex<Vec<(TaskId, String)>>,
    live: broadcast::Sender<Envelope>,
    control: mpsc::UnboundedSender<Control>,
    control_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Control>>,
}

pub struct StubDaemon {
    inner: Arc<Inner>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StubDaemon {
    /// Starts the stub for the data dir `home`: new tasks play `steps`, a
    /// message continues a task with `reply_steps`.
    pub fn start(home: &Path, steps: Vec<Step>, reply_steps: Vec<Step>) -> Self {
        let (control, control_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            store: Store::open(&home.join("cowork.db")).unwrap(),
            token: "stub-token".to_owned(),
            steps,
            reply_steps,
            asked: Mutex::default(),
            pending: Mutex::default(),
            live: broadcast::channel(1024).0,
            control,
            control_rx: tokio::sync::Mutex::new(control_rx),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let app = router(Arc::clone(&inner));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = shutdown_rx.await;
                });
                let _ = serve.await;
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        let server = json!({
            "url": format!("http://127.0.0.1:{port}/"),
            "port": port,
            "token": inner.token,
            "pid": std::process::id(),
        });
        std::fs::write(home.join("server.json"), server.to_string()).unwrap();
        Self {
            inner,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn asked(&self) -> Asked {
        self.inner.asked.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was asked, or fails the test.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Asked) -> bool) -> Asked {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let asked = self.asked();
            if done(&asked) {
                return asked;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {what}: {asked:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Records a finished task with `events` after its creation, as if the
    /// daemon had run it, and returns its id.
    pub fn finished_task(&self, events: &[Event]) -> TaskId {
        let id = TaskId::new();
        self.inner
            .store
            .create_task(
                &id,
                &spec("an earlier task", Vec::new()),
                &Owner::current().unwrap(),
            )
            .unwrap();
        for event in events {
            self.inner.store.append(&id, event).unwrap();
        }
        id
    }
}

impl Drop for StubDaemon {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn spec(prompt: &str, folders: Vec<FolderGrant>) -> TaskSpec {
    TaskSpec {
        prompt: prompt.to_owned(),
        folders,
        model: ModelChoice {
            provider: Provider::Script,
            model: "stub".to_owned(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode: PermissionMode::Ask,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

type Shared = Arc<Inner>;

fn router(inner: Shared) -> Router {
    Router::new()
        .route("/api/health", get(|| async { Json(json!({"ok": true})) }))
        .route("/api/tasks", post(create))
        .route("/api/tasks/{id}", get(detail))
        .route("/api/tasks/{id}/events", get(events))
        .route("/api/tasks/{id}/approvals/{call}", post(decide))
        .route("/api/tasks/{id}/cancel", post(cancel))
        .route("/api/tasks/{id}/messages", post(message))
        .with_state(inner)
}

type Reply = (StatusCode, Json<Value>);

fn refuse(status: StatusCode, error: &str) -> Reply {
    (status, Json(json!({ "error": error })))
}

/// The token, and the CLI naming itself the terminal (so the daemon
/// records its answers as the terminal's).
fn authorized(inner: &Inner, headers: &HeaderMap) -> Result<(), Reply> {
    let expected = format!("Bearer {}", inner.token);
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(value) if value == expected => {}
        Some(_) | None => return Err(refuse(StatusCode::UNAUTHORIZED, "no token")),
    }
    match headers
        .get(cowork_server::FRONT_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some("terminal") => Ok(()),
        Some(_) | None => Err(refuse(StatusCode::BAD_REQUEST, "not the terminal")),
    }
}

async fn create(State(inner): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Reply {
    if let Err(refused) = authorized(&inner, &headers) {
        return refused;
    }
    // The CLI's request must be what the daemon's contract takes.
    if let Err(e) = serde_json::from_value::<cowork_server::backend::NewTask>(body.clone()) {
        return refuse(StatusCode::BAD_REQUEST, &e.to_string());
    }
    inner.asked.lock().unwrap().tasks.push(body.clone());
    let folders = body["folders"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| FolderGrant {
            path: f["path"].as_str().unwrap_or_default().into(),
            read_only: f["readOnly"].as_bool().unwrap_or(false),
        })
        .collect();
    let id = TaskId::new();
    let prompt = body["prompt"].as_str().unwrap_or_default();
    inner
        .store
        .create_task(&id, &spec(prompt, folders), &Owner::current().unwrap())
        .unwrap();
    tokio::spawn(play(Arc::clone(&inner), id.clone(), inner.steps.clone()));
    (StatusCode::CREATED, Json(json!({ "id": id })))
}

/// Plays `steps` for task `id`, as the daemon's task manager would run it.
async fn play(inner: Shared, id: TaskId, steps: Vec<Step>) {
    let mut control = inner.control_rx.lock().await;
    for step in steps {
        match step {
            Step::Emit(event) => publish(&inner, &id, event),
            Step::Approval { call_id } => {
                ask(&inner, &id, &call_id);
                loop {
                    match control.recv().await {
                        Some(Control::Decided { call_id: answered }) if answered == call_id => {
                            decided(&inner, &id, &call_id, "terminal");
                            break;
                        }
                        Some(Control::Cancel) | None => return cancelled(&inner, &id),
                        Some(Control::Decided { .. }) => {}
                    }
                }
            }
            Step::AnsweredInTheWeb { call_id, after } => {
                ask(&inner, &id, &call_id);
                tokio::time::sleep(after).await;
                inner.pending.lock().unwrap().retain(|(_, c)| *c != call_id);
                decided(&inner, &id, &call_id, "web");
            }
            Step::UntilCancelled => loop {
                match control.recv().await {
                    Some(Control::Cancel) | None => return cancelled(&inner, &id),
                    Some(Control::Decided { .. }) => {}
                }
            },
            Step::Sleep(time) => tokio::time::sleep(time).await,
        }
    }
}

fn ask(inner: &Inner, id: &TaskId, call_id: &str) {
    inner
        .pending
        .lock()
        .unwrap()
        .push((id.clone(), call_id.to_owned()));
    publish(
        inner,
        id,
        Event::ApprovalRequested {
            call_id: call_id.to_owned(),
            tool: "Write".to_owned(),
            effect: Effect::Write,
            summary: "write notes.txt".to_owned(),
        },
    );
}

fn decided(inner: &Inner, id: &TaskId, call_id: &str, by: &str) {
    publish(
        inner,
        id,
        Event::ApprovalDecided {
            call_id: call_id.to_owned(),
            decision: ApprovalDecision::AllowOnce,
            by: by.to_owned(),
        },
    );
}

fn cancelled(inner: &Inner, id: &TaskId) {
    publish(
        inner,
        id,
        Event::StatusChanged {
            status: TaskStatus::Cancelled,
            reason: Some("cancelled".to_owned()),
            end: None,
        },
    );
}

fn publish(inner: &Inner, id: &TaskId, event: Event) {
    let seq = if event.is_persistent() {
        inner.store.append(id, &event).unwrap()
    } else {
        inner.store.events(id).unwrap().last().map_or(0, |e| e.seq)
    };
    let _ = inner.live.send(Envelope {
        task: id.clone(),
        seq,
        at: 0,
        event,
    });
}

async fn detail(
    State(inner): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Reply {
    if let Err(refused) = authorized(&inner, &headers) {
        return refused;
    }
    let Ok(row) = inner.store.task(&id) else {
        return refuse(StatusCode::NOT_FOUND, "no such task");
    };
    let pending: Vec<Value> = inner
        .pending
        .lock()
        .unwrap()
        .iter()
        .filter(|(task, _)| *task == row.id)
        .map(|(_, call)| {
            json!({"id": call, "tool": "Write", "effect": "write", "summary": "write notes.txt",
                   "requestedAt": 0})
        })
        .collect();
    let detail = json!({
        "id": row.id, "prompt": row.prompt, "status": row.status, "queued": false,
        "createdAt": row.created_at, "updatedAt": row.updated_at, "turns": 0,
        "inputTokens": 0, "outputTokens": 0, "pendingCount": pending.len(),
        "reason": null, "mode": "ask", "model": "stub", "folders": [], "pendingApprovals": pending,
    });
    (StatusCode::OK, Json(detail))
}

async fn events(
    State(inner): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Reply> {
    authorized(&inner, &headers)?;
    let row = inner
        .store
        .task(&id)
        .map_err(|_| refuse(StatusCode::NOT_FOUND, "no such task"))?;
    let after: u64 = query
        .as_deref()
        .and_then(|q| q.strip_prefix("after="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    inner.asked.lock().unwrap().subscriptions.push(after);
    // Subscribed before reading the store: nothing falls between the two.
    let mut live = inner.live.subscribe();
    let stored: Vec<Envelope> = inner
        .store
        .events_after(&row.id, after)
        .unwrap()
        .into_iter()
        .map(|e| Envelope {
            task: row.id.clone(),
            seq: e.seq,
            at: e.at,
            event: e.event,
        })
        .collect();
    let last = stored.last().map_or(after, |e| e.seq);
    let task = row.id.clone();
    let live = async_stream(move |tx| async move {
        while let Ok(envelope) = live.recv().await {
            let new = if envelope.is_persistent() {
                envelope.seq > last
            } else {
                envelope.seq >= last
            };
            if envelope.task == task && new && tx.send(envelope).is_err() {
                break;
            }
        }
    });
    let all = futures::stream::iter(stored).chain(live).map(|envelope| {
        Ok(SseEvent::default()
            .id(envelope.seq.to_string())
            .event(envelope.event.kind())
            .data(serde_json::to_string(&envelope).unwrap()))
    });
    Ok(Sse::new(all).keep_alive(KeepAlive::default()))
}

/// A stream fed by a task.
fn async_stream<F, Fut>(body: F) -> impl Stream<Item = Envelope>
where
    F: FnOnce(mpsc::UnboundedSender<Envelope>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(body(tx));
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })
}

async fn decide(
    State(inner): State<Shared>,
    headers: HeaderMap,
    UrlPath((id, call)): UrlPath<(String, String)>,
    Json(body): Json<Value>,
) -> Reply {
    if let Err(refused) = authorized(&inner, &headers) {
        return refused;
    }
    inner
        .asked
        .lock()
        .unwrap()
        .decisions
        .push((call.clone(), body));
    let mut pending = inner.pending.lock().unwrap();
    let before = pending.len();
    pending.retain(|(task, c)| !(task.as_str() == id && *c == call));
    if pending.len() == before {
        return refuse(StatusCode::CONFLICT, "this call was already answered");
    }
    let _ = inner.control.send(Control::Decided { call_id: call });
    (StatusCode::OK, Json(json!({})))
}

async fn cancel(State(inner): State<Shared>, headers: HeaderMap) -> Reply {
    if let Err(refused) = authorized(&inner, &headers) {
        return refused;
    }
    inner.asked.lock().unwrap().cancels += 1;
    let _ = inner.control.send(Control::Cancel);
    (StatusCode::OK, Json(json!({})))
}

async fn message(
    State(inner): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Json(body): Json<Value>,
) -> Reply {
    if let Err(refused) = authorized(&inner, &headers) {
        return refused;
    }
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    inner.asked.lock().unwrap().messages.push(text.clone());
    let Ok(row) = inner.store.task(&id) else {
        return refuse(StatusCode::NOT_FOUND, "no such task");
    };
    publish(&inner, &row.id, Event::UserMessage { text });
    tokio::spawn(play(Arc::clone(&inner), row.id, inner.reply_steps.clone()));
    (StatusCode::OK, Json(json!({})))
}
