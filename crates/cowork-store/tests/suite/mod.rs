//! Shared helpers for the store's integration tests.

mod approvals;
mod concurrency;
mod corruption;
mod events;
mod hosting;
mod lookup;
mod memory;
mod memory_deletion;
mod migrations;
mod ownership;
mod perf;

use std::path::PathBuf;

use cowork_protocol::{Budget, FolderGrant, ModelChoice, Provider, TaskId, TaskSpec};
use cowork_store::{Owner, Store};

/// A spec with a folder, a model and a budget, so every field round-trips.
pub fn spec(prompt: &str) -> TaskSpec {
    TaskSpec {
        prompt: prompt.to_owned(),
        folders: vec![FolderGrant {
            path: PathBuf::from("/home/someone/Reports"),
            read_only: true,
        }],
        model: ModelChoice {
            provider: Provider::Anthropic,
            model: "claude-sonnet".to_owned(),
            base_url: Some("http://127.0.0.1:9".to_owned()),
            script: None,
        },
        budget: Budget {
            max_turns: Some(12),
            max_tokens: None,
            max_wall_secs: Some(600),
        },
        mode: cowork_protocol::PermissionMode::Auto,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

/// A store on a file in a fresh temp dir (kept alive by the returned guard).
pub fn file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cowork.db")).unwrap();
    (dir, store)
}

/// Creates a task owned by the current process and returns its id.
pub fn new_task(store: &Store, prompt: &str) -> TaskId {
    let id = TaskId::new();
    store
        .create_task(&id, &spec(prompt), &Owner::current().unwrap())
        .unwrap();
    id
}

/// An owner that has certainly ended: a child that ran `true` and was
/// waited for, with a start time no process has.
pub fn dead_owner() -> Owner {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    Owner { pid, start_time: 1 }
}
