//! A daemon task manager over a real store file in a temp dir, with the
//! scripted model, and helpers to watch its tasks.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use cowork_protocol::config::Config;
use cowork_protocol::{Envelope, Event, PermissionMode, TaskId, TaskStatus};
use cowork_server::Backend;
use cowork_server::backend::{FolderRequest, NewTask, TaskDetail};
use cowork_server::daemon::{DaemonSetup, TaskManager};
use cowork_store::{Store, StoredEvent};

/// A temp dir holding the daemon's data dir (store, journal) and a folder
/// tasks may work in.
pub struct Place {
    pub dir: tempfile::TempDir,
}

impl Place {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("folder")).unwrap();
        Self { dir }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn folder(&self) -> PathBuf {
        self.dir.path().join("folder").canonicalize().unwrap()
    }

    pub fn store(&self) -> Arc<Store> {
        Arc::new(Store::open(&self.data_dir().join("cowork.db")).unwrap())
    }

    /// A daemon with its own store handle, as a fresh process opens it.
    pub fn start(&self, max_tasks: usize) -> Arc<TaskManager> {
        self.start_with(max_tasks, Config::default())
    }

    /// [`Place::start`] with a configuration (e.g. its `[model]`).
    pub fn start_with(&self, max_tasks: usize, config: Config) -> Arc<TaskManager> {
        self.start_extended(max_tasks, config, None)
    }

    /// [`Place::start_with`] whose tasks get `extensions` (skills,
    /// connectors, hooks, `/commands`).
    pub fn start_extended(
        &self,
        max_tasks: usize,
        config: Config,
        extensions: Option<Arc<dyn cowork_core::ExtensionSource>>,
    ) -> Arc<TaskManager> {
        let mut setup = DaemonSetup::new(self.store(), self.data_dir());
        setup.config = config;
        setup.max_tasks = max_tasks;
        setup.extensions = extensions;
        TaskManager::start(setup).unwrap()
    }

    /// [`Place::start`] whose tasks' notices go to `notifier`.
    pub fn start_notified(
        &self,
        max_tasks: usize,
        notifier: cowork_server::notify::Notifier,
    ) -> Arc<TaskManager> {
        let mut setup = DaemonSetup::new(self.store(), self.data_dir());
        setup.max_tasks = max_tasks;
        setup.notifier = Some(Arc::new(notifier));
        TaskManager::start(setup).unwrap()
    }

    /// Writes a script file and returns its path.
    pub fn script(&self, name: &str, script: serde_json::Value) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.json"));
        std::fs::write(&path, script.to_string()).unwrap();
        path
    }

    /// A request for the scripted model working in the folder.
    pub fn request(&self, prompt: &str, script: &Path, mode: PermissionMode) -> NewTask {
        NewTask {
            prompt: prompt.to_owned(),
            folders: vec![FolderRequest {
                path: self.folder(),
                read_only: false,
            }],
            mode: Some(mode),
            model: None,
            provider: Some("script".to_owned()),
            base_url: None,
            script: Some(script.to_path_buf()),
            max_turns: None,
            max_tokens: None,
            timeout_secs: None,
            assume_yes: false,
            sandbox: None,
            allow_net: vec![],
            project: None,
        }
    }
}

/// Polls `manager.task(id)` until `done` holds, or panics after `secs`.
pub async fn wait_for(
    manager: &TaskManager,
    id: &TaskId,
    secs: u64,
    what: &str,
    done: impl Fn(&TaskDetail) -> bool,
) -> TaskDetail {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let detail = manager.task(id.as_str()).unwrap();
        if done(&detail) {
            return detail;
        }
        assert!(
            Instant::now() < deadline,
            "task {id} never got to {what}: {detail:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the task ends (completed, failed or cancelled).
pub async fn ended(manager: &TaskManager, id: &TaskId) -> TaskDetail {
    wait_for(manager, id, 30, "an end", |d| {
        d.summary.status.is_terminal() && !d.summary.queued
    })
    .await
}

/// Subscribes now, then collects on a task of its own every envelope of
/// the task from the start until its final status, each with when it
/// arrived.
pub fn watcher(
    manager: &TaskManager,
    id: &TaskId,
) -> tokio::task::JoinHandle<Vec<(Envelope, Instant)>> {
    let stream = manager.subscribe(id, 0).unwrap();
    let id = id.clone();
    tokio::spawn(async move { collect_to_end(stream, &id).await })
}

async fn collect_to_end(
    mut stream: futures::stream::BoxStream<'static, Envelope>,
    id: &TaskId,
) -> Vec<(Envelope, Instant)> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let envelope = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("task {id} did not end in time"))
            .expect("a subscription never ends by itself");
        let at = Instant::now();
        let last = matches!(
            &envelope.event,
            Event::StatusChanged { status, .. } if status.is_terminal()
        );
        seen.push((envelope, at));
        if last {
            return seen;
        }
    }
}

pub fn log(store: &Store, id: &TaskId) -> Vec<StoredEvent> {
    store.events(id).unwrap()
}

pub fn status_of(store: &Store, id: &TaskId) -> TaskStatus {
    store.task(id.as_str()).unwrap().status
}

/// The log's turn numbers, tool results by call id, and assistant
/// messages: what "nothing lost, nothing doubled" is checked on.
pub fn assert_well_formed(events: &[StoredEvent]) {
    let mut turns = Vec::new();
    let mut calls = std::collections::HashMap::<String, usize>::new();
    let mut results = std::collections::HashMap::<String, usize>::new();
    for stored in events {
        if let Event::TurnStarted { turn } = &stored.event {
            turns.push(*turn);
        } else if let Event::AssistantMessage { content, .. } = &stored.event {
            for block in content {
                if let cowork_protocol::ContentBlock::ToolUse { id, .. } = block {
                    *calls.entry(id.clone()).or_default() += 1;
                }
            }
        } else if let Event::ToolCallFinished { id, .. } = &stored.event {
            *results.entry(id.clone()).or_default() += 1;
        }
    }
    let mut sorted = turns.clone();
    sorted.dedup();
    assert_eq!(sorted, turns, "a turn was started twice: {turns:?}");
    assert!(
        turns.windows(2).all(|w| w[0] < w[1]),
        "turns out of order: {turns:?}"
    );
    assert!(
        calls.values().all(|&n| n == 1),
        "a tool call was made twice: {calls:?}"
    );
    assert_eq!(
        calls.keys().collect::<std::collections::BTreeSet<_>>(),
        results.keys().collect::<std::collections::BTreeSet<_>>(),
        "every call needs exactly one result"
    );
    assert!(
        results.values().all(|&n| n == 1),
        "a call has two results: {results:?}"
    );
}

/// A pid no process has now: a child that has exited and been reaped.
pub fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// What a `kill -9` leaves behind, for a daemon "killed" by dropping its
/// runtime inside this test process: the same rows, owned by a process
/// that no longer exists.
pub fn owner_died(place: &Place, ids: &[&TaskId]) {
    let conn = rusqlite::Connection::open(place.data_dir().join("cowork.db")).unwrap();
    let pid = dead_pid();
    for id in ids {
        conn.execute(
            "UPDATE tasks SET owner_pid = ?2, owner_start = 0 WHERE id = ?1",
            rusqlite::params![id.as_str(), pid],
        )
        .unwrap();
    }
}
