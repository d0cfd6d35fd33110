//! A fake [`Backend`] for the web UI's tests: tasks with a log, files and
//! their contents in memory; every action recorded; events published live
//! with [`FakeBackend::publish`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use futures::stream::BoxStream;
use tokio::sync::broadcast;

use cowork_protocol::{
    ApprovalDecision, Change, ContentBlock, Effect, Envelope, Event, FolderGrant, ModelChoice,
    PermissionMode, Provider, RawPath, StopReason, TaskId, TaskSpec, TaskStatus, Usage,
};
use cowork_server::backend::{
    Backend, BackendError, FileChangeKind, FileContent, FolderRequest, Front, NewTask,
    PendingApproval, TaskDetail, TaskFile, TaskSummary, UndoConflict, UndoReport,
};
use cowork_server::{AppState, Session};

pub const CSRF: &str = "csrf-0123456789";

#[derive(Default)]
struct Task {
    detail: Option<TaskDetail>,
    log: Vec<Envelope>,
    files: Vec<TaskFile>,
    contents: HashMap<String, Vec<u8>>,
}

#[derive(Clone)]
pub struct FakeBackend {
    tasks: Arc<Mutex<HashMap<TaskId, Task>>>,
    order: Arc<Mutex<Vec<TaskId>>>,
    live: broadcast::Sender<Envelope>,
    /// What the UI asked for, in order: "create …", "decide …", …
    pub calls: Arc<Mutex<Vec<String>>>,
    /// The answer `decide` gives (a conflict, to test "already answered").
    pub decide_error: Arc<Mutex<Option<String>>>,
    /// Whether a file changed after the task, so undo refuses.
    pub undo_conflict: Arc<Mutex<bool>>,
}

impl FakeBackend {
    pub fn new() -> Self {
        Self {
            tasks: Arc::default(),
            order: Arc::default(),
            live: broadcast::channel(256).0,
            calls: Arc::default(),
            decide_error: Arc::default(),
            undo_conflict: Arc::default(),
        }
    }

    /// Adds a task with `events` as its stored log.
    pub fn add_task(&self, id: &TaskId, prompt: &str, folder: &str, events: Vec<Event>) {
        let mut all = vec![Event::TaskCreated {
            spec: TaskSpec {
                prompt: prompt.to_owned(),
                folders: vec![FolderGrant {
                    path: folder.into(),
                    read_only: false,
                }],
                model: ModelChoice {
                    provider: Provider::Script,
                    model: "mock-model".into(),
                    base_url: None,
                    script: None,
                },
                budget: Default::default(),
                mode: PermissionMode::Ask,
                project: None,
                rules: Vec::new(),
                connectors: None,
                schedule: None,
            },
        }];
        all.extend(events);
        let mut seq = 0;
        let log: Vec<Envelope> = all
            .into_iter()
            .map(|event| {
                if event.is_persistent() {
                    seq += 1;
                }
                Envelope {
                    task: id.clone(),
                    seq,
                    at: 1_700_000_000_000,
                    event,
                }
            })
            .collect();
        let status = log
            .iter()
            .rev()
            .find_map(|e| match &e.event {
                Event::StatusChanged { status, .. } => Some(*status),
                _ => None,
            })
            .unwrap_or(TaskStatus::Running);
        let decided: Vec<&str> = log
            .iter()
            .filter_map(|e| match &e.event {
                Event::ApprovalDecided { call_id, .. } => Some(call_id.as_str()),
                _ => None,
            })
            .collect();
        let pending: Vec<PendingApproval> = log
            .iter()
            .filter_map(|e| match &e.event {
                Event::ApprovalRequested {
                    call_id,
                    tool,
                    effect,
                    summary,
                } if !decided.contains(&call_id.as_str()) && !status.is_terminal() => {
                    Some(PendingApproval {
                        id: call_id.clone(),
                        tool: tool.clone(),
                        effect: *effect,
                        summary: summary.clone(),
                        requested_at: 0,
                    })
                }
                _ => None,
            })
            .collect();
        // A minute ago, so lists read as they would for today's tasks.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap())
            - 60_000;
        let detail = TaskDetail {
            summary: TaskSummary {
                id: id.clone(),
                prompt: prompt.to_owned(),
                status,
                queued: false,
                created_at: now,
                updated_at: now,
                turns: 2,
                input_tokens: 100,
                output_tokens: 50,
                pending_approvals: pending.len() as u32,
            },
            reason: None,
            mode: PermissionMode::Ask,
            model: "mock-model".into(),
            folders: vec![FolderRequest {
                path: folder.into(),
                read_only: false,
            }],
            pending,
        };
        let mut tasks = self.tasks.lock().unwrap();
        let task = tasks.entry(id.clone()).or_default();
        task.detail = Some(detail);
        task.log = log;
        self.order.lock().unwrap().insert(0, id.clone());
    }

    /// Adds a file the task changed, with its content.
    pub fn add_file(&self, id: &TaskId, path: &str, bytes: &[u8]) {
        let mut tasks = self.tasks.lock().unwrap();
        let task = tasks.get_mut(id).unwrap();
        task.files.push(TaskFile {
            path: path.to_owned(),
            change: FileChangeKind::Created,
            size: Some(bytes.len() as u64),
            exists: true,
        });
        task.contents.insert(path.to_owned(), bytes.to_vec());
    }

    /// Gives `path` content the task's file list does not name: a backend
    /// that would serve more than it should.
    pub fn add_unlisted_content(&self, id: &TaskId, path: &str, bytes: &[u8]) {
        let mut tasks = self.tasks.lock().unwrap();
        let task = tasks.get_mut(id).unwrap();
        task.contents.insert(path.to_owned(), bytes.to_vec());
    }

    /// Stores `event` (when persistent) and sends it to watchers.
    pub fn publish(&self, id: &TaskId, event: Event) -> Envelope {
        let mut tasks = self.tasks.lock().unwrap();
        let task = tasks.get_mut(id).unwrap();
        let last = task
            .log
            .iter()
            .rev()
            .find(|e| e.is_persistent())
            .map_or(0, |e| e.seq);
        let envelope = Envelope {
            task: id.clone(),
            seq: if event.is_persistent() {
                last + 1
            } else {
                last
            },
            at: 1_700_000_000_000,
            event,
        };
        if envelope.is_persistent() {
            task.log.push(envelope.clone());
        }
        let _ = self.live.send(envelope.clone());
        envelope
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn with<T>(&self, id: &TaskId, f: impl FnOnce(&Task) -> T) -> Result<T, BackendError> {
        let tasks = self.tasks.lock().unwrap();
        let task = tasks
            .get(id)
            .ok_or_else(|| BackendError::NotFound(format!("no task {id}")))?;
        Ok(f(task))
    }
}

impl Backend for FakeBackend {
    fn create_task(&self, request: NewTask) -> Result<TaskId, BackendError> {
        if let Some(folder) = request.folders.first()
            && folder.path.to_string_lossy().contains("missing")
        {
            return Err(BackendError::BadRequest(format!(
                "{} does not exist: connect a folder that does",
                folder.path.display()
            )));
        }
        self.record(format!(
            "create {:?} folders={:?} mode={:?}",
            request.prompt, request.folders, request.mode
        ));
        let id = TaskId::new();
        self.add_task(&id, &request.prompt, "/data", Vec::new());
        Ok(id)
    }

    fn list_tasks(&self, limit: usize) -> Result<Vec<TaskSummary>, BackendError> {
        let order = self.order.lock().unwrap().clone();
        let tasks = self.tasks.lock().unwrap();
        Ok(order
            .iter()
            .take(limit)
            .filter_map(|id| tasks.get(id)?.detail.as_ref().map(|d| d.summary.clone()))
            .collect())
    }

    fn task(&self, id: &str) -> Result<TaskDetail, BackendError> {
        let tasks = self.tasks.lock().unwrap();
        tasks
            .iter()
            .find(|(key, _)| key.as_str().starts_with(id))
            .and_then(|(_, t)| t.detail.clone())
            .ok_or_else(|| BackendError::NotFound(format!("no task {id}")))
    }

    fn subscribe(
        &self,
        id: &TaskId,
        after: u64,
    ) -> Result<BoxStream<'static, Envelope>, BackendError> {
        // Subscribe before reading the log, so nothing falls in between.
        let mut live = self.live.subscribe();
        let stored: Vec<Envelope> = self.with(id, |t| {
            t.log.iter().filter(|e| e.seq > after).cloned().collect()
        })?;
        let last = stored.last().map_or(after, |e| e.seq);
        let task = id.clone();
        let live = async_stream(move |tx| async move {
            while let Ok(envelope) = live.recv().await {
                let fresh = !envelope.is_persistent() || envelope.seq > last;
                if envelope.task == task && fresh && tx.send(envelope).is_err() {
                    break;
                }
            }
        });
        Ok(futures::stream::iter(stored).chain(live).boxed())
    }

    fn decide(
        &self,
        id: &TaskId,
        approval: &str,
        decision: ApprovalDecision,
        by: Front,
    ) -> Result<(), BackendError> {
        if let Some(message) = self.decide_error.lock().unwrap().clone() {
            return Err(BackendError::Conflict(message));
        }
        self.with(id, |_| ())?;
        self.record(format!("decide {approval} {decision:?} by {}", by.as_str()));
        Ok(())
    }

    fn cancel(&self, id: &TaskId) -> Result<(), BackendError> {
        self.with(id, |_| ())?;
        self.record(format!("cancel {}", id.short()));
        Ok(())
    }

    fn message(&self, id: &TaskId, text: String) -> Result<(), BackendError> {
        self.with(id, |_| ())?;
        self.record(format!("message {text:?}"));
        Ok(())
    }

    fn undo(&self, id: &TaskId, dry_run: bool) -> Result<UndoReport, BackendError> {
        self.with(id, |_| ())?;
        self.record(format!("undo dry_run={dry_run}"));
        let conflicts = if *self.undo_conflict.lock().unwrap() {
            vec![UndoConflict {
                path: "/data/notes.md".into(),
                reason: "changed after the task <b>".into(),
            }]
        } else {
            Vec::new()
        };
        // As the daemon does: a conflict refuses the whole undo.
        let restored = u32::from(!dry_run && conflicts.is_empty());
        Ok(UndoReport {
            dry_run,
            steps: vec!["move /data/report.md to the trash".into()],
            conflicts,
            restored,
            skipped: 0,
        })
    }

    fn files(&self, id: &TaskId) -> Result<Vec<TaskFile>, BackendError> {
        self.with(id, |t| t.files.clone())
    }

    fn read_file(&self, id: &TaskId, path: &str) -> Result<FileContent, BackendError> {
        let bytes = self
            .with(id, |t| t.contents.get(path).cloned())?
            .ok_or_else(|| {
                BackendError::NotFound(format!("{path} is not a file this task touched"))
            })?;
        Ok(FileContent {
            name: path.rsplit('/').next().unwrap_or(path).to_owned(),
            bytes,
        })
    }
}

/// A stream fed by a task, ended when the task returns.
fn async_stream<F, Fut>(f: F) -> BoxStream<'static, Envelope>
where
    F: FnOnce(tokio::sync::mpsc::UnboundedSender<Envelope>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(f(tx));
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

/// The web UI on a free loopback port, with a cookie session's CSRF token
/// in each request as the auth layer would put it.
pub struct Server {
    pub url: String,
    pub backend: FakeBackend,
    pub client: reqwest::Client,
}

impl Server {
    pub async fn start(backend: FakeBackend) -> Self {
        let state = AppState {
            backend: Arc::new(backend.clone()),
            hand_ins: Default::default(),
        };
        let app = cowork_server::web::router()
            .layer(axum::Extension(Session { csrf: CSRF.into() }))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            url: format!("http://{addr}"),
            backend,
            client,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)], htmx: bool) -> reqwest::Response {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if htmx {
            request = request.header("hx-request", "true");
        }
        request.send().await.unwrap()
    }
}

/// A task's log with the kinds of step the page shows.
pub fn sample_events() -> Vec<Event> {
    let diff = "--- a/notes.md\n+++ b/notes.md\n@@ -1 +1 @@\n-draft\n+final";
    vec![
        Event::TurnStarted { turn: 1 },
        Event::AssistantMessage {
            content: vec![
                ContentBlock::Text {
                    text: "I'll **fix** the notes.".into(),
                },
                ContentBlock::ToolUse {
                    id: "call_1".into(),
                    name: "Edit".into(),
                    input: serde_json::json!({"file_path": "notes.md"}),
                    invalid_input: None,
                },
            ],
            stop_reason: StopReason::ToolUse,
            usage: Usage::default(),
        },
        Event::FileChanged {
            call_id: "call_1".into(),
            change: Change::Modified {
                path: RawPath("/data/notes.md".into()),
                before: "b".into(),
                mode: 0o644,
                after: "a".into(),
            },
        },
        Event::ToolCallFinished {
            id: "call_1".into(),
            name: "Edit".into(),
            content: diff.into(),
            is_error: false,
            duration_ms: 8,
        },
        Event::AssistantMessage {
            content: vec![ContentBlock::ToolUse {
                id: "call_2".into(),
                name: "Write".into(),
                input: serde_json::json!({"file_path": "report.md", "content": "# Report"}),
                invalid_input: None,
            }],
            stop_reason: StopReason::ToolUse,
            usage: Usage::default(),
        },
        Event::ApprovalRequested {
            call_id: "call_2".into(),
            tool: "Write".into(),
            effect: Effect::Write,
            summary: "create /data/report.md (1 line)".into(),
        },
    ]
}

/// A turn as it streams: text in pieces, a write that asks, then its
/// message and result.
pub fn live_events() -> Vec<Event> {
    let mut events = vec![Event::TurnStarted { turn: 1 }];
    for piece in ["Here is ", "a haiku ", "about <b>autumn</b>:"] {
        events.push(Event::TextDelta { text: piece.into() });
    }
    events.push(Event::AssistantMessage {
        content: vec![
            ContentBlock::Text {
                text: "Here is a haiku about <b>autumn</b>:".into(),
            },
            ContentBlock::ToolUse {
                id: "w1".into(),
                name: "Write".into(),
                input: serde_json::json!({"file_path": "poem.md", "content": "leaves fall"}),
                invalid_input: None,
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: Usage::default(),
    });
    events.push(Event::ToolCallStarted {
        id: "w1".into(),
        name: "Write".into(),
        input: serde_json::json!({"file_path": "poem.md", "content": "leaves fall"}),
        effect: Effect::Write,
    });
    events.push(Event::ApprovalRequested {
        call_id: "w1".into(),
        tool: "Write".into(),
        effect: Effect::Write,
        summary: "create /data/poems/poem.md (1 line)".into(),
    });
    events
}
