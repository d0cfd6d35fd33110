//! Test doubles of what plugins hand core — an extension source, connectors
//! and hooks — and a model that remembers what it was sent, with a factory
//! over temp folders to start tasks through.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;

use cowork_core::factory::{ConfigLocation, OwnPaths};
use cowork_core::{
    Approver, CallContext, Connectors, ConnectorsUpdate, ExpandedPrompt, ExtensionSource, Factory,
    FactorySetup, HookContext, HookEvent, HookOutcome, Hooks, Hub, RunSetup, SandboxChoice, Skill,
    Started, TaskContext, TaskExtensions, TaskRequest, Tool, ToolFailure, UnknownCommand,
    close_matches,
};
use cowork_model::script::ScriptModel;
use cowork_model::{Model, ModelError, ModelEvent, ModelInfo, ModelRequest};
use cowork_protocol::config::{Config, Rule};
use cowork_protocol::{
    Budget, ConnectorStatus, Effect, Event, FolderGrant, ModelChoice, PermissionMode, Provider,
    TaskSpec, ToolSpec,
};
use cowork_sandbox::{Availability, Layers};
use cowork_store::Store;

use super::harness::script;

/// A scripted model that keeps every request it was sent.
pub struct Recording {
    inner: ScriptModel,
    pub requests: Arc<Mutex<Vec<ModelRequest>>>,
}

impl Recording {
    pub fn new(json: serde_json::Value) -> Arc<Self> {
        Arc::new(Self {
            inner: ScriptModel::new(script(json)),
            requests: Arc::default(),
        })
    }

    pub fn requests(&self) -> Vec<ModelRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Model for Recording {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
        self.requests.lock().unwrap().push(request.clone());
        self.inner.stream(request)
    }
}

/// The text blocks of a request's first user message.
pub fn first_user_texts(request: &ModelRequest) -> Vec<String> {
    request.messages[0]
        .content
        .iter()
        .filter_map(|b| match b {
            cowork_protocol::ContentBlock::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// An extension source handing every task the same things.
#[derive(Default, Clone)]
pub struct Source {
    pub skills: Vec<Skill>,
    pub read_only: Vec<PathBuf>,
    /// `/name` → the text it expands to (`$ARGUMENTS` substituted).
    pub commands: HashMap<String, String>,
    pub connectors: Option<Arc<FakeConnectors>>,
    pub hooks: Option<Arc<FakeHooks>>,
    pub notices: Vec<String>,
    /// Folders the person trusted.
    pub trusted: Vec<PathBuf>,
}

impl ExtensionSource for Source {
    fn for_task(&self, _ctx: &TaskContext) -> TaskExtensions {
        TaskExtensions {
            skills: self.skills.clone(),
            read_only: self.read_only.clone(),
            connectors: self.connectors.clone().map(|c| c as Arc<dyn Connectors>),
            hooks: self.hooks.clone().map(|h| h as Arc<dyn Hooks>),
            notices: self.notices.clone(),
            commands: None,
            trusted_folders: self.trusted.clone(),
        }
    }

    fn expand(
        &self,
        prompt: &str,
        _ctx: &TaskContext,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        let Some(rest) = prompt.strip_prefix('/') else {
            return Ok(None);
        };
        let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
        match self.commands.get(name) {
            Some(template) => Ok(Some(ExpandedPrompt {
                name: name.to_owned(),
                text: template.replace("$ARGUMENTS", args),
            })),
            None => Err(UnknownCommand {
                name: name.to_owned(),
                close: close_matches(name, self.commands.keys().map(String::as_str)),
            }),
        }
    }
}

/// A skill whose folder holds `SKILL.md` and `references/guide.md`.
pub fn skill_in(root: &Path, qualified: &str, body: &str) -> Skill {
    let dir = root.join(qualified.replace(':', "/"));
    std::fs::create_dir_all(dir.join("references")).unwrap();
    std::fs::write(dir.join("SKILL.md"), format!("---\nname: x\n---\n{body}")).unwrap();
    std::fs::write(dir.join("references/guide.md"), "GUIDE: use blue ink\n").unwrap();
    Skill {
        qualified: qualified.to_owned(),
        description: format!("Does {qualified} work."),
        argument_hint: None,
        user_invocable: true,
        dir: dir.canonicalize().unwrap(),
        body: body.to_owned(),
    }
}

/// One scripted poll: the tools now offered (`None`: unchanged) and the
/// servers whose status changed.
pub type Update = (Option<Vec<Arc<dyn Tool>>>, Vec<(String, ConnectorStatus)>);

/// Connectors that answer each poll with the next scripted update and
/// count how often they were stopped.
#[derive(Default)]
pub struct FakeConnectors {
    pub updates: Mutex<VecDeque<Update>>,
    pub polls: AtomicUsize,
    pub shutdowns: AtomicUsize,
    /// How long each poll takes (to cancel a task during one).
    pub poll_delay: Option<Duration>,
}

impl FakeConnectors {
    pub fn new(updates: Vec<Update>) -> Arc<Self> {
        Arc::new(Self {
            updates: Mutex::new(updates.into()),
            ..Self::default()
        })
    }
}

impl Connectors for FakeConnectors {
    fn poll(&self) -> BoxFuture<'_, ConnectorsUpdate> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let next = self.updates.lock().unwrap().pop_front();
        let delay = self.poll_delay;
        Box::pin(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            match next {
                Some((tools, statuses)) => ConnectorsUpdate { tools, statuses },
                None => ConnectorsUpdate::default(),
            }
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

/// A connector's tool: says it was called.
pub struct McpTool {
    spec: ToolSpec,
    read_only: bool,
}

pub fn mcp_tool(name: &str, read_only: bool) -> Arc<dyn Tool> {
    Arc::new(McpTool {
        spec: ToolSpec {
            name: name.to_owned(),
            description: format!("the {name} tool"),
            input_schema: serde_json::json!({"type": "object"}),
            effect: Effect::External,
        },
        read_only,
    })
}

impl Tool for McpTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn read_only_hint(&self) -> bool {
        self.read_only
    }

    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let name = self.spec.name.clone();
        Box::pin(async move { Ok(format!("{name} ran")) })
    }
}

pub type Answer = Box<dyn Fn(&HookEvent) -> HookOutcome + Send + Sync>;

/// Hooks that answer every event with `answer` and keep what they heard.
pub struct FakeHooks {
    pub answer: Answer,
    pub heard: Mutex<Vec<HookEvent>>,
    /// Event kinds it listens to (`None`: all).
    pub listens_to: Option<Vec<&'static str>>,
    /// How long each run takes (to cancel a task during one).
    pub delay: Option<Duration>,
}

impl FakeHooks {
    pub fn new(answer: impl Fn(&HookEvent) -> HookOutcome + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            answer: Box::new(answer),
            heard: Mutex::default(),
            listens_to: None,
            delay: None,
        })
    }

    pub fn heard(&self) -> Vec<HookEvent> {
        self.heard.lock().unwrap().clone()
    }
}

pub fn kind(event: &HookEvent) -> &'static str {
    match event {
        HookEvent::SessionStart { .. } => "SessionStart",
        HookEvent::UserPromptSubmit { .. } => "UserPromptSubmit",
        HookEvent::PreToolUse { .. } => "PreToolUse",
        HookEvent::PostToolUse { .. } => "PostToolUse",
        HookEvent::Stop { .. } => "Stop",
    }
}

impl Hooks for FakeHooks {
    fn listens(&self, event: &HookEvent) -> bool {
        self.listens_to
            .as_ref()
            .is_none_or(|kinds| kinds.contains(&kind(event)))
    }

    fn run(&self, event: HookEvent, _ctx: HookContext) -> BoxFuture<'static, HookOutcome> {
        let outcome = (self.answer)(&event);
        self.heard.lock().unwrap().push(event);
        let delay = self.delay;
        Box::pin(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            outcome
        })
    }
}

/// A factory over a temp dir: a connected folder `work/`, cowork's data
/// dir and configuration, a plugins folder beside them.
pub struct Env {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub folder: PathBuf,
    pub store: Arc<Store>,
}

pub fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let folder = root.join("work");
    std::fs::create_dir(&folder).unwrap();
    let store = Arc::new(Store::open(&root.join("data/cowork.db")).unwrap());
    Env {
        _dir: dir,
        root,
        folder,
        store,
    }
}

impl Env {
    pub fn factory(&self, source: Source, rules: Vec<Rule>) -> Factory {
        self.factory_probed(source, rules, || Availability::Ready(Layers::default()))
    }

    pub fn factory_probed(
        &self,
        source: Source,
        rules: Vec<Rule>,
        probe: impl Fn() -> Availability + Send + Sync + 'static,
    ) -> Factory {
        Factory::new(FactorySetup {
            hub: Hub::new(Arc::clone(&self.store)),
            paths: OwnPaths::new(
                self.root.join("data"),
                Some(ConfigLocation::Folder(self.root.join("config"))),
            ),
            config: Config {
                rules,
                ..Config::default()
            },
        })
        .unwrap()
        .with_probe(probe)
        .with_extensions(Arc::new(source))
    }

    pub fn spec(&self, prompt: &str, mode: PermissionMode) -> TaskSpec {
        task_spec(prompt, vec![self.folder.clone()], mode)
    }
}

pub fn task_spec(prompt: &str, folders: Vec<PathBuf>, mode: PermissionMode) -> TaskSpec {
    TaskSpec {
        prompt: prompt.into(),
        folders: folders
            .into_iter()
            .map(|path| FolderGrant {
                path,
                read_only: false,
            })
            .collect(),
        model: ModelChoice {
            provider: Provider::Script,
            model: String::new(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

pub fn request(spec: TaskSpec, model: Arc<dyn Model>, approver: Approver) -> TaskRequest {
    TaskRequest {
        spec,
        setup: RunSetup {
            sandbox: SandboxChoice::Auto,
            allow_net: None,
            approver,
        },
        model: Some(model),
    }
}

/// Every event of a started task until it ends.
pub async fn events_of(mut started: Started) -> Vec<Event> {
    let mut events = Vec::new();
    let collect = async {
        while let Some(envelope) = started.handle.next_event().await {
            events.push(envelope.event);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), collect)
        .await
        .expect("the task ends in time");
    started.handle.join().await;
    events
}

pub fn warnings(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { source, message } => Some((source.clone(), message.clone())),
            _ => None,
        })
        .collect()
}
