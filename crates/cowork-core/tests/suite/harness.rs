//! Running tasks with the scripted model over a temp folder.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cowork_core::{
    Approver, Hub, Policy, RunOptions, TaskDeps, TaskHandle, ToolRegistry,
    tools::register_file_tools,
};
use cowork_files::Folders;
use cowork_model::Model;
use cowork_model::script::ScriptModel;
use cowork_protocol::script::Script;
use cowork_protocol::{
    Budget, Event, FolderGrant, ModelChoice, PermissionMode, Provider, TaskId, TaskSpec, TaskStatus,
};
use cowork_store::Store;

pub fn script(json: serde_json::Value) -> Script {
    serde_json::from_value(json).expect("a valid script")
}

pub fn spec(prompt: &str, folder: &Path) -> TaskSpec {
    TaskSpec {
        prompt: prompt.into(),
        folders: vec![FolderGrant {
            path: folder.canonicalize().unwrap(),
            read_only: false,
        }],
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode: PermissionMode::Auto,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

/// Reading file tools over the spec's folders (writing tools need a
/// journal; the CLI's end-to-end tests cover them), and a policy that
/// nobody answers.
pub fn deps(model: Arc<dyn Model>, store: Arc<Store>, spec: &TaskSpec) -> TaskDeps {
    let mut tools = ToolRegistry::default();
    let folders = Folders::open(&spec.folders).unwrap();
    register_file_tools(&mut tools, Arc::new(folders), None, spec.mode);
    TaskDeps {
        model,
        hub: Hub::new(store),
        tools,
        policy: Policy::new(spec.mode, &[]).unwrap(),
        approver: Approver::Nobody,
        options: RunOptions::default(),
        extensions: Default::default(),
        instructions: Default::default(),
    }
}

pub fn script_deps(script: Script, store: Arc<Store>, spec: &TaskSpec) -> TaskDeps {
    deps(Arc::new(ScriptModel::new(script)), store, spec)
}

/// Starts a scripted task with the default deps.
pub fn start(script: Script, store: Arc<Store>, spec: TaskSpec) -> TaskHandle {
    start_with(script_deps(script, store, &spec), spec)
}

pub fn start_with(deps: TaskDeps, spec: TaskSpec) -> TaskHandle {
    cowork_core::start_task(deps, TaskId::new(), spec).unwrap()
}

/// Every event until the task ends, with a generous timeout so a hung
/// runner fails the test instead of hanging it.
pub async fn run_to_end(mut handle: TaskHandle) -> Vec<Event> {
    let mut events = Vec::new();
    let collect = async {
        while let Some(envelope) = handle.next_event().await {
            events.push(envelope.event);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .expect("the task ended in time");
    events
}

pub fn final_status(events: &[Event]) -> (TaskStatus, Option<String>) {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::StatusChanged { status, reason, .. } => Some((*status, reason.clone())),
            _ => None,
        })
        .expect("a final status")
}

pub fn tool_results(events: &[Event]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished {
                name,
                content,
                is_error,
                ..
            } => Some((name.clone(), content.clone(), *is_error)),
            _ => None,
        })
        .collect()
}
