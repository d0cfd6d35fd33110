//! A real [`Backend`] over an in-memory list of tasks and a broadcast
//! channel: what the HTTP layer sees of the daemon, without running models.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast;

use cowork_protocol::{
    ApprovalDecision, Effect, Envelope, Event, PermissionMode, TaskId, TaskStatus,
};
use cowork_server::backend::{
    FileChangeKind, FileContent, NewTask, PendingApproval, TaskDetail, TaskFile, TaskSummary,
    UndoReport,
};
use cowork_server::{Backend, BackendError, Front};

#[derive(Default)]
pub struct FakeBackend {
    inner: Mutex<Inner>,
    live: Mutex<Option<broadcast::Sender<Envelope>>>,
}

#[derive(Default)]
struct Inner {
    tasks: Vec<FakeTask>,
    /// What `read_file` would return for any path: deliberately more than
    /// the tasks touched, so the HTTP layer's own check is what refuses.
    disk: HashMap<String, Vec<u8>>,
}

pub struct FakeTask {
    pub id: TaskId,
    pub prompt: String,
    pub status: TaskStatus,
    pub log: Vec<Envelope>,
    pub pending: Vec<PendingApproval>,
    pub decisions: Vec<(String, ApprovalDecision, Front)>,
    pub messages: Vec<String>,
    pub files: Vec<TaskFile>,
}

impl FakeBackend {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self {
            inner: Mutex::default(),
            live: Mutex::new(Some(sender)),
        }
    }

    /// Appends `event` to the task's log (a persistent one gets the next
    /// seq) and publishes it to subscribers, as the task manager does.
    pub fn publish(&self, id: &TaskId, event: Event) -> u64 {
        let mut inner = self.inner.lock().unwrap();
        let task = inner.tasks.iter_mut().find(|t| &t.id == id).unwrap();
        let last = task.log.last().map_or(0, |e| e.seq);
        let seq = if event.is_persistent() {
            last + 1
        } else {
            last
        };
        let envelope = Envelope {
            task: id.clone(),
            seq,
            at: 0,
            event,
        };
        if envelope.is_persistent() {
            task.log.push(envelope.clone());
        }
        // Sent under the lock, so a subscriber's replay and its live part
        // meet exactly.
        if let Some(live) = self.live.lock().unwrap().as_ref() {
            let _ = live.send(envelope);
        }
        seq
    }

    pub fn ask_approval(&self, id: &TaskId, approval: &str) {
        let mut inner = self.inner.lock().unwrap();
        let task = inner.tasks.iter_mut().find(|t| &t.id == id).unwrap();
        task.pending.push(PendingApproval {
            id: approval.to_owned(),
            tool: "write_file".into(),
            effect: Effect::Write,
            summary: "write notes.md".into(),
            requested_at: 0,
        });
    }

    /// Records that the task touched `path`, now holding `bytes`.
    pub fn touch(&self, id: &TaskId, path: &str, bytes: &[u8]) {
        let mut inner = self.inner.lock().unwrap();
        inner.disk.insert(path.to_owned(), bytes.to_vec());
        let task = inner.tasks.iter_mut().find(|t| &t.id == id).unwrap();
        task.files.push(TaskFile {
            path: path.to_owned(),
            change: FileChangeKind::Created,
            size: Some(bytes.len() as u64),
            exists: true,
        });
    }

    /// A file on "disk" that no task touched.
    pub fn put_untouched(&self, path: &str, bytes: &[u8]) {
        self.inner
            .lock()
            .unwrap()
            .disk
            .insert(path.to_owned(), bytes.to_vec());
    }

    pub fn with_task<T>(&self, id: &TaskId, f: impl FnOnce(&FakeTask) -> T) -> T {
        let inner = self.inner.lock().unwrap();
        f(inner.tasks.iter().find(|t| &t.id == id).unwrap())
    }

    fn find<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut FakeTask) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        let mut inner = self.inner.lock().unwrap();
        match inner
            .tasks
            .iter_mut()
            .find(|t| t.id.as_str().starts_with(id))
        {
            Some(task) => f(task),
            None => Err(BackendError::NotFound(format!("no task {id}"))),
        }
    }
}

fn summary(task: &FakeTask) -> TaskSummary {
    TaskSummary {
        id: task.id.clone(),
        prompt: task.prompt.clone(),
        status: task.status,
        queued: false,
        created_at: 0,
        updated_at: 0,
        turns: 0,
        input_tokens: 0,
        output_tokens: 0,
        pending_approvals: task.pending.len() as u32,
    }
}

impl Backend for FakeBackend {
    fn create_task(&self, request: NewTask) -> Result<TaskId, BackendError> {
        let id = TaskId::new();
        self.inner.lock().unwrap().tasks.push(FakeTask {
            id: id.clone(),
            prompt: request.prompt.clone(),
            status: TaskStatus::Running,
            log: Vec::new(),
            pending: Vec::new(),
            decisions: Vec::new(),
            messages: Vec::new(),
            files: Vec::new(),
        });
        self.publish(
            &id,
            Event::UserMessage {
                text: request.prompt,
            },
        );
        Ok(id)
    }

    fn list_tasks(&self, limit: usize) -> Result<Vec<TaskSummary>, BackendError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner.tasks.iter().rev().take(limit).map(summary).collect())
    }

    fn task(&self, id: &str) -> Result<TaskDetail, BackendError> {
        self.find(id, |task| {
            Ok(TaskDetail {
                summary: summary(task),
                reason: None,
                mode: PermissionMode::Ask,
                model: "fake".into(),
                folders: Vec::new(),
                pending: task.pending.clone(),
            })
        })
    }

    fn subscribe(
        &self,
        id: &TaskId,
        after: u64,
    ) -> Result<BoxStream<'static, Envelope>, BackendError> {
        let inner = self.inner.lock().unwrap();
        let task = inner
            .tasks
            .iter()
            .find(|t| &t.id == id)
            .ok_or_else(|| BackendError::NotFound(format!("no task {id}")))?;
        let replay: Vec<Envelope> = task.log.iter().filter(|e| e.seq > after).cloned().collect();
        let last = replay.last().map_or(after, |e| e.seq);
        let receiver = self
            .live
            .lock()
            .unwrap()
            .as_ref()
            .map(broadcast::Sender::subscribe);
        drop(inner);
        let task = id.clone();
        let live = futures::stream::unfold(receiver, |receiver| async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Ok(envelope) => Some((envelope, Some(receiver))),
                Err(_) => None,
            }
        })
        .filter(move |e| {
            let keep = e.task == task
                && if e.is_persistent() {
                    e.seq > last
                } else {
                    e.seq >= last
                };
            async move { keep }
        });
        Ok(futures::stream::iter(replay).chain(live).boxed())
    }

    fn decide(
        &self,
        id: &TaskId,
        approval: &str,
        decision: ApprovalDecision,
        by: Front,
    ) -> Result<(), BackendError> {
        self.find(id.as_str(), |task| {
            if task.decisions.iter().any(|(a, _, _)| a == approval) {
                return Err(BackendError::Conflict(format!(
                    "{approval} was already answered"
                )));
            }
            let Some(index) = task.pending.iter().position(|p| p.id == approval) else {
                return Err(BackendError::NotFound(format!(
                    "no pending approval {approval}"
                )));
            };
            task.pending.remove(index);
            task.decisions.push((approval.to_owned(), decision, by));
            Ok(())
        })
    }

    fn cancel(&self, id: &TaskId) -> Result<(), BackendError> {
        self.find(id.as_str(), |task| match task.status {
            TaskStatus::Running => {
                task.status = TaskStatus::Cancelled;
                Ok(())
            }
            other => Err(BackendError::Conflict(format!(
                "the task already ended ({})",
                other.as_str()
            ))),
        })
    }

    fn message(&self, id: &TaskId, text: String) -> Result<(), BackendError> {
        self.find(id.as_str(), |task| {
            task.messages.push(text);
            Ok(())
        })
    }

    fn undo(&self, id: &TaskId, dry_run: bool) -> Result<UndoReport, BackendError> {
        self.find(id.as_str(), |task| {
            Ok(UndoReport {
                dry_run,
                steps: task
                    .files
                    .iter()
                    .map(|f| format!("remove {}", f.path))
                    .collect(),
                conflicts: Vec::new(),
                restored: if dry_run { 0 } else { task.files.len() as u32 },
                skipped: 0,
            })
        })
    }

    fn files(&self, id: &TaskId) -> Result<Vec<TaskFile>, BackendError> {
        self.find(id.as_str(), |task| Ok(task.files.clone()))
    }

    fn read_file(&self, _id: &TaskId, path: &str) -> Result<FileContent, BackendError> {
        let inner = self.inner.lock().unwrap();
        match inner.disk.get(path) {
            Some(bytes) => Ok(FileContent {
                name: path.rsplit('/').next().unwrap_or(path).to_owned(),
                bytes: bytes.clone(),
            }),
            None => Err(BackendError::NotFound(format!("{path} does not exist"))),
        }
    }
}
