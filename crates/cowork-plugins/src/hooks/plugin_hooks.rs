//! [`PluginHooks`]: every enabled plugin's hooks for one task, behind core's
//! [`Hooks`] trait.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, join_all};

use cowork_core::{HookContext, HookEvent, HookOutcome, Hooks};
use cowork_protocol::{FolderGrant, PermissionMode};

use super::command::{self, CommandRun, HookSandbox, NotRun};
use super::config::{HookAction, HookSet, HookSpec};
use super::event::{EventName, MatcherSubject};
use super::input::{event_json, name_and_subject};
use super::output::{HookResult, interpret, merge_into};
use super::prompt;

/// One plugin's hooks.
#[derive(Debug, Clone)]
pub struct HookSource {
    /// The plugin's name, which labels what its hooks say.
    pub plugin: String,
    /// Its root: `${CLAUDE_PLUGIN_ROOT}`, mounted read-only for its hooks.
    pub root: PathBuf,
    pub hooks: HookSet,
}

/// What a task's hooks run with.
#[derive(Debug, Clone)]
pub struct HookSetup {
    /// The task's folders, all mounted READ-ONLY for command hooks
    /// whatever the grant says: a hook's changes would bypass the journal.
    /// Leave it empty when the configuration's deny rules hide paths
    /// inside the folders (`cowork_core::hidden_paths` is not empty): the
    /// sandbox cannot mask those yet, as for `Bash`.
    pub folders: Vec<FolderGrant>,
    /// The task's mode, told to hooks as `permission_mode`.
    pub mode: PermissionMode,
    pub sandbox: HookSandbox,
    /// cowork's own data and configuration, which hooks must never see.
    pub hidden: Vec<PathBuf>,
}

/// Runs the hooks of a task's plugins. Cloning shares them.
#[derive(Clone)]
pub struct PluginHooks {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Vec<HookSource>,
    folders: Vec<PathBuf>,
    mode: PermissionMode,
    sandbox: HookSandbox,
    hidden: Vec<PathBuf>,
    /// Hooks already reported as not run for want of a sandbox: told once
    /// per task, not at every tool call.
    told_no_sandbox: Mutex<HashSet<String>>,
}

impl PluginHooks {
    pub fn new(sources: Vec<HookSource>, setup: HookSetup) -> Self {
        // The sandbox mounts only absolute paths, and hooks are told the
        // root as `CLAUDE_PLUGIN_ROOT` from another working directory.
        let sources = sources
            .into_iter()
            .map(|mut source| {
                if let Ok(root) = std::path::absolute(&source.root) {
                    source.root = root;
                }
                source
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                sources,
                folders: setup.folders.into_iter().map(|g| g.path).collect(),
                mode: setup.mode,
                sandbox: setup.sandbox,
                hidden: setup.hidden,
                told_no_sandbox: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// Whether no plugin declares a hook cowork fires.
    pub fn is_empty(&self) -> bool {
        self.inner
            .sources
            .iter()
            .flat_map(|s| &s.hooks.groups)
            .all(|g| !g.event.fired() || g.hooks.is_empty())
    }
}

impl Inner {
    /// The hooks that hear `event` (with `subject` for its matcher), with
    /// the plugin that declared each.
    fn matching<'a>(
        &'a self,
        event: EventName,
        subject: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a HookSource, &'a HookSpec)> + 'a {
        self.sources
            .iter()
            .flat_map(|source| source.hooks.groups.iter().map(move |g| (source, g)))
            .filter(move |(_, group)| {
                group.event == event
                    && event.fired()
                    && match (event.matcher_subject(), subject) {
                        (MatcherSubject::Ignored, _) => true,
                        (MatcherSubject::ToolName | MatcherSubject::Source, Some(subject)) => {
                            group.matcher.matches(subject)
                        }
                        (MatcherSubject::ToolName | MatcherSubject::Source, None) => {
                            group.matcher.is_any()
                        }
                    }
            })
            .flat_map(|(source, group)| group.hooks.iter().map(move |spec| (source, spec)))
    }

    /// A report the first time `label` is skipped, nothing after.
    fn tell_once(&self, label: &str, why: String) -> HookResult {
        let first = match self.told_no_sandbox.lock() {
            Ok(mut told) => told.insert(label.to_owned()),
            // A panic elsewhere poisoned it: telling again is harmless.
            Err(_) => true,
        };
        if first {
            HookResult::report(why)
        } else {
            HookResult::default()
        }
    }

    async fn run(self: Arc<Self>, event: HookEvent, ctx: HookContext) -> HookOutcome {
        let (name, subject) = name_and_subject(&event);
        let jobs: Vec<_> = self.matching(name, subject).collect();
        if jobs.is_empty() {
            return HookOutcome::default();
        }
        let input = event_json(&event, &ctx, self.mode);
        let stdin = input.to_string().into_bytes();
        let runs = jobs.iter().map(|&(source, spec)| {
            let stdin = stdin.clone();
            let input = &input;
            let ctx = &ctx;
            let this = &self;
            async move {
                let result = match &spec.action {
                    HookAction::Command(command) => {
                        let run = CommandRun {
                            command,
                            root: &source.root,
                            timeout: spec.timeout,
                            stdin,
                            cwd: ctx.cwd.as_deref(),
                            folders: &this.folders,
                            hidden: &this.hidden,
                            sandbox: &this.sandbox,
                        };
                        match command::run(run).await {
                            Ok(ended) => interpret(name, ended),
                            Err(NotRun::Failed(why)) => HookResult::report(why),
                            Err(NotRun::NoSandbox(why)) => {
                                this.tell_once(&label(source, spec, name), why)
                            }
                        }
                    }
                    HookAction::Prompt(text) => {
                        let model = Arc::clone(&ctx.model);
                        prompt::run(text, spec.timeout, name, input, model).await
                    }
                };
                (label(source, spec, name), result)
            }
        });
        let results = join_all(runs).await;
        let mut merged = HookResult::default();
        for (label, mut result) in results {
            result.context = result
                .context
                .into_iter()
                .map(|text| format!("[{label}]\n{text}"))
                .collect();
            result.reports = result
                .reports
                .into_iter()
                .map(|text| format!("{label} {text}"))
                .collect();
            merge_into(&mut merged, result);
        }
        HookOutcome {
            permission: merged.permission,
            block: merged.block,
            context: merged.context,
            reports: merged.reports,
        }
    }
}

/// "The hookify plugin's PreToolUse hook `python3 …`", for reports and
/// context: which plugin said it, and which of its hooks.
fn label(source: &HookSource, spec: &HookSpec, event: EventName) -> String {
    let (kind, text) = match &spec.action {
        HookAction::Command(command) => ("hook", command.as_str()),
        HookAction::Prompt(prompt) => ("prompt hook", prompt.as_str()),
    };
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("The {} plugin's {event} {kind} `{short}`", source.plugin)
}

impl Hooks for PluginHooks {
    fn listens(&self, event: &HookEvent) -> bool {
        let (name, subject) = name_and_subject(event);
        self.inner.matching(name, subject).next().is_some()
    }

    fn run(&self, event: HookEvent, ctx: HookContext) -> BoxFuture<'static, HookOutcome> {
        Box::pin(Arc::clone(&self.inner).run(event, ctx))
    }
}
