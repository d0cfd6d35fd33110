//! The one way to build a task, whichever front asks (the CLI in-process,
//! the daemon for the web UI and attached CLIs, core's own tests): opens
//! the folders with cowork's own files reserved and the configuration's
//! deny rules applied, opens the change journal, probes the sandbox,
//! registers the tools the mode allows, builds the policy and the model,
//! and starts or resumes the task.
//!
//! What the task will not have, and why, comes back as typed
//! [`SetupNotice`]s: each front words them for its people.

mod paths;
mod undo;

use std::path::PathBuf;
use std::sync::Arc;

use cowork_files::{Folders, JournalStore};
use cowork_model::Model;
use cowork_protocol::config::Config;
use cowork_protocol::{FolderGrant, PermissionMode, TaskId, TaskSpec, TaskStatus};
use cowork_sandbox::egress::{Allowlist, AllowlistError};
use cowork_sandbox::{Availability, Egress, Network};
use cowork_store::Store;

use crate::approvals::Approver;
use crate::error::CoreError;
use crate::extensions::{
    Commands, ExpandedPrompt, ExtensionSource, TaskContext, TaskExtensions, UnknownCommand,
};
use crate::handle::TaskHandle;
use crate::hub::Hub;
use crate::instructions::{self, Layers, ProjectInstructions};
use crate::permission::{Policy, RuleError, denied_paths, hidden_paths};
use crate::runner::{
    LoadedTask, RunOptions, TaskDeps, continue_task, is_fresh, load_task, resume_task,
    start_expanded_task, start_recorded_expanded,
};
use crate::tool::ToolRegistry;
use crate::tools::{
    BashSetup, DEFAULT_RECALL_TOKENS, Isolation, JournalSetup, MemorySettings, MemorySetup,
    TaskJournal, register_bash, register_doc_tools, register_file_tools, register_memory_tool,
    register_skill_tool,
};

pub use paths::{ConfigLocation, OwnPaths};
pub use undo::{UndoConflict, UndoOutcome, UndoReport, UndoRequest, undo_task};

/// What a [`Factory`] builds every task with.
pub struct FactorySetup {
    /// Where tasks' events are stored and published; one per process, so
    /// every watcher of a task sees every event.
    pub hub: Hub,
    /// cowork's data dir and configuration, which no task may touch.
    pub paths: OwnPaths,
    /// Rules, sandbox limits and defaults.
    pub config: Config,
}

/// How commands (`Bash`) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SandboxChoice {
    /// In cowork's sandbox; off (with a notice) where it is unavailable.
    #[default]
    Auto,
    /// Without isolation: the person chose so, knowing what it means.
    None,
}

/// How a task's commands run and who answers its approvals: what a front
/// chooses for each run (a resumed task may choose differently).
#[derive(Debug, Clone)]
pub struct RunSetup {
    pub sandbox: SandboxChoice,
    /// Domains (and ranges) commands may reach, in the allowlist syntax
    /// (`pypi.org,*.pythonhosted.org`); `None`: no network.
    pub allow_net: Option<String>,
    pub approver: Approver,
}

/// A new task.
#[derive(Clone)]
pub struct TaskRequest {
    /// What to do; `spec.model` names the model, and the name the provider
    /// reports is recorded in its place.
    pub spec: TaskSpec,
    pub setup: RunSetup,
    /// The model to talk to; `None` builds the one `spec.model` names.
    pub model: Option<Arc<dyn Model>>,
}

/// What a task will not have, and why. Each front words these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupNotice {
    /// No folder is connected: the model cannot see any file.
    NoFolder,
    /// Commands are off: deny rules hide paths that the sandbox cannot
    /// mask yet.
    BashOffForHiddenPaths,
    /// Commands run without the sandbox: they can read and change anything
    /// the user can, reach any network (the allowlist does not limit
    /// them), and what they change cannot be undone.
    BashUnsandboxed,
    /// Commands are off: the sandbox is unavailable here.
    BashOffSandboxUnavailable { cause: String, fix: String },
}

impl std::fmt::Display for SetupNotice {
    /// A wording that names no front's controls; fronts with their own
    /// (the CLI's flags) word it themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupNotice::NoFolder => {
                f.write_str("no folder is connected, so the model cannot see any file")
            }
            SetupNotice::BashOffForHiddenPaths => f.write_str(
                "commands (Bash) are off: deny rules hide paths that the sandbox cannot mask yet",
            ),
            SetupNotice::BashUnsandboxed => f.write_str(
                "commands (Bash) run WITHOUT the sandbox: they can read and change anything your \
                 user can and reach any network, and what they change cannot be undone",
            ),
            SetupNotice::BashOffSandboxUnavailable { cause, fix } => {
                write!(f, "commands (Bash) are off: {cause}. Fix: {fix}")
            }
        }
    }
}

/// A task the factory started or resumed.
#[derive(Debug)]
pub struct Started {
    pub handle: TaskHandle,
    /// The task as recorded (the model's reported name filled in).
    pub spec: TaskSpec,
    pub notices: Vec<SetupNotice>,
    /// For a resumed task, its status before it was resumed.
    pub previous: Option<TaskStatus>,
}

/// Why a task could not be built, started or undone.
#[derive(Debug, thiserror::Error)]
pub enum FactoryError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Store(#[from] cowork_store::StoreError),
    /// The connected folders or cowork's journal could not be opened.
    #[error(transparent)]
    Files(#[from] cowork_files::FileError),
    /// A rule in the configuration is invalid; fix the configuration.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The model could not be set up (missing key, bad URL, unreadable
    /// script); the error says how to fix it.
    #[error(transparent)]
    Model(#[from] cowork_model::ModelError),
    /// The network allowlist is invalid; the error names the entry.
    #[error("the network allowlist is not valid: {0}")]
    AllowNet(#[from] AllowlistError),
    /// The prompt starts with a `/name` no command or skill has; no task
    /// was recorded. The error lists close matches.
    #[error(transparent)]
    UnknownCommand(#[from] UnknownCommand),
    /// Undo was asked of a task that a live process is still running:
    /// stop (cancel) it first.
    #[error("task {} is still running; cancel it before undoing it", .id.short())]
    StillRunning { id: TaskId },
}

type Probe = Arc<dyn Fn() -> Availability + Send + Sync>;

/// Builds and starts tasks; one per store, shared by every task a process
/// runs.
pub struct Factory {
    hub: Hub,
    paths: OwnPaths,
    config: Config,
    journal: Arc<JournalStore>,
    probe: Probe,
    /// Where tasks get skills, connectors, hooks and `/commands`.
    extensions: Option<Arc<dyn ExtensionSource>>,
}

impl Factory {
    /// Opens cowork's journal in the data dir (creating it): first, so the
    /// data dir exists and tasks' folders can reserve it by identity.
    pub fn new(setup: FactorySetup) -> Result<Self, FactoryError> {
        let journal = Arc::new(JournalStore::open(setup.paths.data_dir())?);
        let cache = setup.paths.probe_cache_dir();
        Ok(Self {
            hub: setup.hub,
            paths: setup.paths,
            config: setup.config,
            journal,
            probe: Arc::new(move || cowork_sandbox::probe_cached(&cache)),
            extensions: None,
        })
    }

    /// Gives every task this factory builds the skills, connectors, hooks
    /// and commands `source` provides.
    #[must_use]
    pub fn with_extensions(mut self, source: Arc<dyn ExtensionSource>) -> Self {
        self.extensions = Some(source);
        self
    }

    /// Replaces the sandbox probe (tests; a daemon that probed already).
    #[must_use]
    pub fn with_probe(mut self, probe: impl Fn() -> Availability + Send + Sync + 'static) -> Self {
        self.probe = Arc::new(probe);
        self
    }

    pub fn store(&self) -> &Arc<Store> {
        self.hub.store()
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub fn paths(&self) -> &OwnPaths {
        &self.paths
    }

    /// Records a new task and starts it.
    pub fn start(&self, request: TaskRequest) -> Result<Started, FactoryError> {
        self.start_in_project(request, None)
    }

    /// [`Factory::start`] for a task in a project: its instructions join
    /// the layers after the global ones. The seam for projects (nothing
    /// calls it with a project yet); a resumed task finds them in its log.
    pub fn start_in_project(
        &self,
        request: TaskRequest,
        project: Option<&ProjectInstructions>,
    ) -> Result<Started, FactoryError> {
        let TaskRequest {
            mut spec,
            setup,
            model,
        } = request;
        let model = match model {
            Some(model) => model,
            None => cowork_model::build(&spec.model, 0)?,
        };
        spec.model.model = model.info().model;
        let id = TaskId::new();
        let (deps, mut notices) = self.deps(model, &id, &spec, &setup, project)?;
        // Before anything is recorded (building the deps records nothing):
        // an unknown command records no task.
        let expanded = first_expansion(&deps, &spec.prompt)?;
        if spec.folders.is_empty() {
            notices.push(SetupNotice::NoFolder);
        }
        let handle = start_expanded_task(deps, id, spec.clone(), expanded)?;
        Ok(Started {
            handle,
            spec,
            notices,
            previous: None,
        })
    }

    /// Continues a stored task (by id, unique prefix or `last`) from where
    /// its log ends.
    pub fn resume(
        &self,
        id_or_prefix: &str,
        setup: RunSetup,
        model: Option<Arc<dyn Model>>,
    ) -> Result<Started, FactoryError> {
        self.run_stored(id_or_prefix, setup, model, |deps, task| {
            Ok(resume_task(deps, task)?)
        })
    }

    /// Continues a finished task with a new message from the person, in
    /// the same transcript (see [`continue_task`]).
    pub fn continue_task(
        &self,
        id_or_prefix: &str,
        text: String,
        setup: RunSetup,
        model: Option<Arc<dyn Model>>,
    ) -> Result<Started, FactoryError> {
        self.run_stored(id_or_prefix, setup, model, |deps, task| {
            Ok(continue_task(deps, task, text)?)
        })
    }

    /// Starts a task this process recorded earlier and has not run yet (a
    /// daemon's queued task), without calling it resumed; see
    /// [`start_recorded_task`](crate::start_recorded_task). A prompt that is
    /// a `/command` is expanded here, as [`Factory::start`] does; a front
    /// that records tasks itself should refuse unknown commands before
    /// recording, with [`Factory::expand_prompt`].
    pub fn start_recorded(
        &self,
        id: &str,
        setup: RunSetup,
        model: Option<Arc<dyn Model>>,
    ) -> Result<Started, FactoryError> {
        let mut started = self.run_stored(id, setup, model, |deps, task| {
            let expanded = if is_fresh(deps.hub.store(), &task)? {
                first_expansion(&deps, &task.spec.prompt)?
            } else {
                None
            };
            Ok(start_recorded_expanded(deps, task, expanded)?)
        })?;
        if started.spec.folders.is_empty() {
            started.notices.insert(0, SetupNotice::NoFolder);
        }
        started.previous = None;
        Ok(started)
    }

    /// Loads a stored task, builds what it runs with, and hands both to
    /// `run` (resume, continue, or start a recorded one).
    fn run_stored(
        &self,
        id_or_prefix: &str,
        setup: RunSetup,
        model: Option<Arc<dyn Model>>,
        run: impl FnOnce(TaskDeps, LoadedTask) -> Result<TaskHandle, FactoryError>,
    ) -> Result<Started, FactoryError> {
        let task = load_task(self.store(), id_or_prefix)?;
        let model = match model {
            Some(model) => model,
            None => cowork_model::build(&task.spec.model, task.transcript.model_calls)?,
        };
        let (deps, notices) = self.deps(model, &task.id, &task.spec, &setup, None)?;
        let previous = task.status;
        let spec = task.spec.clone();
        let handle = run(deps, task)?;
        Ok(Started {
            handle,
            spec,
            notices,
            previous: Some(previous),
        })
    }

    /// What the model is sent for `spec`'s prompt when it starts with a
    /// `/command`: `Ok(None)` when it does not (or no extension source is
    /// set), `Err` when it names nothing known (with close matches).
    pub fn expand_prompt(
        &self,
        id: &TaskId,
        spec: &TaskSpec,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        self.expand_message(id, spec, &spec.prompt)
    }

    /// [`Factory::expand_prompt`] for a later message of the task: a front
    /// refuses an unknown `/command` before the task gets it.
    pub fn expand_message(
        &self,
        id: &TaskId,
        spec: &TaskSpec,
        message: &str,
    ) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        match &self.extensions {
            Some(source) => source.expand(message, &task_context(id, spec)),
            None => Ok(None),
        }
    }

    /// Undoes a task's file changes (or plans it, with `dry_run`); see
    /// [`undo_task`].
    pub fn undo(
        &self,
        id_or_prefix: &str,
        request: UndoRequest,
    ) -> Result<UndoReport, FactoryError> {
        undo_task(&self.hub, &self.journal, id_or_prefix, request)
    }

    /// The instructions layer of the task's project (its instructions,
    /// links and where its files are), and its files as a read-only
    /// folder of the task. A project that cannot be read is a notice, not
    /// a failed task.
    fn project_layer(
        &self,
        project_id: &str,
        extensions: &mut TaskExtensions,
    ) -> Option<ProjectInstructions> {
        let project = match self.hub.store().project(project_id) {
            Ok(project) => project,
            Err(e) => {
                extensions
                    .notices
                    .push(format!("the task's project cannot be read: {e}"));
                return None;
            }
        };
        let mut text = project.instructions.trim_end().to_owned();
        if !project.links.is_empty() {
            text.push_str("\n\nThe project's links:\n");
            for link in &project.links {
                text.push_str(&format!("- {link}\n"));
            }
        }
        let files = self.paths.project_files(&project.id);
        if files.is_dir() {
            text.push_str(&format!(
                "\n\nThe project's files are in {} (read-only).\n",
                files.display()
            ));
            extensions.read_only.push(files);
        }
        Some(ProjectInstructions {
            name: project.name,
            text: text.trim().to_owned(),
        })
    }

    /// What a task runs with: the only place [`TaskDeps`] is built.
    fn deps(
        &self,
        model: Arc<dyn Model>,
        id: &TaskId,
        spec: &TaskSpec,
        setup: &RunSetup,
        project: Option<&ProjectInstructions>,
    ) -> Result<(TaskDeps, Vec<SetupNotice>), FactoryError> {
        let ctx = task_context(id, spec);
        let mut extensions = match &self.extensions {
            Some(source) => source.for_task(&ctx),
            None => TaskExtensions::default(),
        };
        let stored_project = match (project, &spec.project) {
            (None, Some(project_id)) => self.project_layer(project_id, &mut extensions),
            (Some(_), _) | (None, None) => None,
        };
        let project = project.or(stored_project.as_ref());
        extensions.read_only = readable_dirs(&extensions.read_only, &mut extensions.notices);
        if let Some(source) = &self.extensions
            && extensions.commands.is_none()
        {
            extensions.commands = Some(Arc::new(SourceCommands {
                source: Arc::clone(source),
                ctx,
            }));
        }
        let (tools, folders, notices) = self.tools(id, spec, setup, &mut extensions)?;
        let global = self.paths.global_instructions();
        let instructions = instructions::load(&Layers {
            global: global.as_deref(),
            project,
            folders: &folders,
            task_folders: spec.folders.len(),
            trusted: &extensions.trusted_folders,
        });
        let policy = Policy::with_task_rules(spec.mode, &self.config.rules, &spec.rules)?;
        let deps = TaskDeps {
            model,
            hub: self.hub.clone(),
            tools,
            policy,
            approver: setup.approver,
            options: RunOptions {
                memory: self.memory_settings(spec),
                ..RunOptions::default()
            },
            extensions,
            instructions,
        };
        Ok((deps, notices))
    }

    /// Whose memory a task sees and how much it starts with. Every task
    /// sees the global memory only, for now: the seam where a task's
    /// project (once tasks belong to projects) names its project memory.
    fn memory_settings(&self, spec: &TaskSpec) -> MemorySettings {
        MemorySettings {
            project: spec.project.clone(),
            recall_tokens: self
                .config
                .memory
                .recall_tokens
                .map_or(DEFAULT_RECALL_TOKENS, |t| {
                    usize::try_from(t).unwrap_or(usize::MAX)
                }),
        }
    }

    /// The tools `spec`'s mode and folders allow, and what is left out.
    /// The skill folders of `extensions` join the task's folders as
    /// read-only grants, after them, so relative paths still resolve in
    /// the first connected folder.
    fn tools(
        &self,
        id: &TaskId,
        spec: &TaskSpec,
        setup: &RunSetup,
        extensions: &mut TaskExtensions,
    ) -> Result<(ToolRegistry, Arc<Folders>, Vec<SetupNotice>), FactoryError> {
        let network = match &setup.allow_net {
            None => Network::None,
            Some(spec) => Network::Allow(Egress::new(Allowlist::parse(spec)?)),
        };
        let rules = [self.config.rules.as_slice(), &spec.rules].concat();
        let hidden = hidden_paths(&rules);
        let grants: Vec<FolderGrant> = spec
            .folders
            .iter()
            .cloned()
            .chain(extensions.read_only.iter().map(|path| FolderGrant {
                path: path.clone(),
                read_only: true,
            }))
            .collect();
        let folders = Arc::new(
            Folders::open(&grants)?
                .with_hidden(&hidden)?
                .with_protected(&denied_paths(&rules))?
                .with_reserved(&self.paths.reserved())
                .with_readable(&inside(&extensions.read_only, &self.paths.reserved())),
        );
        let journal = TaskJournal::new(JournalSetup {
            store: Arc::clone(&self.journal),
            log: self.hub.publisher(id),
        });
        let mut tools = ToolRegistry::default();
        let mut notices = Vec::new();
        if !spec.folders.is_empty() {
            register_file_tools(&mut tools, Arc::clone(&folders), Some(&journal), spec.mode);
            let writing = (spec.mode != PermissionMode::Plan).then_some(&journal);
            register_doc_tools(&mut tools, Arc::clone(&folders), writing);
        } else if !extensions.read_only.is_empty() {
            // No folder of the person's, but skills: the model reads their
            // files, and there is nothing it may change.
            register_file_tools(&mut tools, Arc::clone(&folders), None, spec.mode);
            register_doc_tools(&mut tools, Arc::clone(&folders), None);
        }
        register_skill_tool(&mut tools, &extensions.skills);
        register_memory_tool(
            &mut tools,
            MemorySetup {
                store: Arc::clone(self.store()),
                task: id.clone(),
                settings: self.memory_settings(spec),
                mode: spec.mode,
            },
        );
        let isolation = match (spec.mode, hidden.is_empty(), setup.sandbox) {
            (PermissionMode::Plan, _, _) => None,
            (PermissionMode::Ask | PermissionMode::Auto, false, _) => {
                notices.push(SetupNotice::BashOffForHiddenPaths);
                None
            }
            (PermissionMode::Ask | PermissionMode::Auto, true, SandboxChoice::None) => {
                notices.push(SetupNotice::BashUnsandboxed);
                Some(Isolation::Unsandboxed)
            }
            (PermissionMode::Ask | PermissionMode::Auto, true, SandboxChoice::Auto) => {
                match (self.probe)() {
                    Availability::Ready(_) => Some(Isolation::Sandboxed),
                    Availability::Unavailable { cause, fix } => {
                        notices.push(SetupNotice::BashOffSandboxUnavailable { cause, fix });
                        None
                    }
                }
            }
        };
        if let Some(isolation) = isolation {
            let (hidden, unseen) = command_masks(
                self.paths.hidden_from_commands(),
                &folders.grants()[..spec.folders.len()],
                &extensions.read_only,
            );
            extensions.notices.extend(unseen.iter().map(|dir| {
                format!(
                    "commands (Bash) cannot see the skill folder {}: it lies in cowork's own \
                     files, which a connected folder holds and commands never see (the read \
                     tools still read it)",
                    dir.display()
                )
            }));
            register_bash(
                &mut tools,
                BashSetup {
                    folders: Arc::clone(&folders),
                    journal: Some(journal),
                    isolation,
                    network,
                    limits: self.config.sandbox.clone(),
                    hidden,
                },
            );
        }
        Ok((tools, folders, notices))
    }
}

/// The folders of `dirs` (real paths) that lie inside one of `reserved`
/// (cowork's data and configuration directories, where installed plugins
/// and the person's skills are kept) without holding one: the task may
/// read them although they are cowork's.
fn inside(dirs: &[PathBuf], reserved: &[PathBuf]) -> Vec<PathBuf> {
    let reserved: Vec<PathBuf> = reserved
        .iter()
        .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()))
        .collect();
    dirs.iter()
        .filter(|d| reserved.iter().any(|r| d.starts_with(r) && *d != r))
        .filter(|d| !reserved.iter().any(|r| r.starts_with(d)))
        .cloned()
        .collect()
}

/// What the sandbox masks for commands: cowork's own directories, except
/// one that holds a skill folder and that no task folder overlaps — there
/// the mask would hide the skill's files, and nothing else of it is
/// mounted. When a task folder holds it (`--folder ~`), it stays masked,
/// and the skill folders in it are out of the commands' sight: those come
/// back second.
fn command_masks(
    hidden: Vec<PathBuf>,
    task_folders: &[FolderGrant],
    skill_dirs: &[PathBuf],
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut unseen = Vec::new();
    let masks = hidden
        .into_iter()
        .filter(|h| {
            let real = std::fs::canonicalize(h).unwrap_or_else(|_| h.clone());
            let held: Vec<&PathBuf> = skill_dirs.iter().filter(|d| d.starts_with(&real)).collect();
            let overlaps_task = task_folders
                .iter()
                .any(|g| g.path.starts_with(&real) || real.starts_with(&g.path));
            if overlaps_task {
                unseen.extend(held.into_iter().cloned());
                true
            } else {
                held.is_empty()
            }
        })
        .collect();
    (masks, unseen)
}

/// A task's `/commands` as its extension source expands them.
struct SourceCommands {
    source: Arc<dyn ExtensionSource>,
    ctx: TaskContext,
}

impl Commands for SourceCommands {
    fn expand(&self, message: &str) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        self.source.expand(message, &self.ctx)
    }
}

/// The prompt's `/command` expanded by the task's own commands: from the
/// catalog its extensions were built with, so a task start reads the
/// plugins once (the source's [`ExtensionSource::expand`] reads them again).
fn first_expansion(
    deps: &TaskDeps,
    prompt: &str,
) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
    match &deps.extensions.commands {
        Some(commands) => commands.expand(prompt),
        None => Ok(None),
    }
}

/// What an extension source learns about the task it serves.
fn task_context(id: &TaskId, spec: &TaskSpec) -> TaskContext {
    TaskContext {
        id: id.clone(),
        folders: spec.folders.clone(),
        mode: spec.mode,
        connectors: spec.connectors.clone(),
    }
}

/// The skill folders a task can be given: each one's real path, in order,
/// once. One that cannot be opened is left out with a notice rather than
/// failing the task (a plugin removed while it was listed).
fn readable_dirs(dirs: &[PathBuf], notices: &mut Vec<String>) -> Vec<PathBuf> {
    let mut readable: Vec<PathBuf> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        match std::fs::canonicalize(dir) {
            Ok(real) if real.is_dir() => {
                if !readable.contains(&real) {
                    readable.push(real);
                }
            }
            Ok(_) => notices.push(format!(
                "{} is not a folder, so the task cannot read the files there",
                dir.display()
            )),
            Err(e) => notices.push(format!(
                "the task cannot read the files in {}: {e}",
                dir.display()
            )),
        }
    }
    readable
}

#[cfg(test)]
#[path = "factory_tests.rs"]
mod tests;
