//! The CLI as a front of the daemon: `cowork run` submits the task there
//! and follows it, `cowork attach` follows one again, `cowork reply`
//! continues one. Events render exactly as for a task run in-process;
//! approvals are answered at the terminal unless another front answers
//! first. Ctrl-C cancels the task; closing the terminal (SIGHUP) only ends
//! this command, and the task runs on in the daemon.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use futures::{Stream, StreamExt};

use cowork_protocol::config::Config;
use cowork_protocol::{Envelope, Event, FolderGrant, PermissionMode, Provider, TaskId, TaskStatus};
use cowork_server::backend::{FolderRequest, NewTask};
use cowork_store::Store;

use crate::approve::TerminalLines;
use crate::cli::{AttachArgs, ProviderArg, ReplyArgs, RunArgs, SandboxArg};
use crate::client::{ClientError, Daemon};
use crate::render::Renderer;
use crate::run::parse_folder;

/// `cowork run` through the daemon.
pub async fn run(daemon: &Daemon, args: RunArgs, config: &Config) -> Result<ExitCode> {
    let request = new_task(&args, config)?;
    if interactive(args.yes, args.output.json) {
        let folders: Vec<FolderGrant> = request
            .folders
            .iter()
            .map(|f| FolderGrant {
                path: f.path.clone(),
                read_only: f.read_only,
            })
            .collect();
        crate::extensions::ask_folder_trust(&folders)?;
    }
    let id = daemon
        .create_task(&request)
        .await
        .context("the daemon did not take the task")?;
    if args.detach {
        println!("{id}");
        eprintln!(
            "task {} runs in the daemon; follow it with `cowork attach {}`",
            id.short(),
            id.short()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let json = args.output.json;
    let watch = Watch::new(daemon, id, json, interactive(args.yes, json), false);
    watch.follow(0, 0).await
}

/// `cowork attach`: replays the task's events (all, or after `--after`),
/// then follows it live until it ends.
pub async fn attach(daemon: &Daemon, args: &AttachArgs, store: &Store) -> Result<ExitCode> {
    let row = store.task(&args.id)?;
    let end = current_end(store, &row.id, row.status)?;
    let json = args.output.json;
    let scheduled = row.spec.schedule.is_some();
    let watch = Watch::new(daemon, row.id, json, interactive(false, json), scheduled);
    watch.follow(args.after.unwrap_or(0), end).await
}

/// `cowork reply` through the daemon: the message continues the task,
/// and only what follows it is shown.
pub async fn reply(daemon: &Daemon, args: &ReplyArgs, store: &Store) -> Result<ExitCode> {
    let row = store.task(&args.id)?;
    let last = store.events(&row.id)?.last().map_or(0, |e| e.seq);
    daemon.message(&row.id, &args.text).await.with_context(|| {
        format!(
            "the daemon did not take the message for task {}",
            row.id.short()
        )
    })?;
    let json = args.output.json;
    let scheduled = row.spec.schedule.is_some();
    let watch = Watch::new(daemon, row.id, json, interactive(false, json), scheduled);
    watch.follow(last, last).await
}

/// The seq after which a final status ends a follow: the task's last
/// final status if it has ended (so replaying an old run that a reply
/// continued does not stop early), else its last event.
fn current_end(store: &Store, id: &TaskId, status: TaskStatus) -> Result<u64> {
    let events = store.events(id)?;
    let last = events.last().map_or(0, |e| e.seq);
    if !status.is_terminal() {
        return Ok(last);
    }
    Ok(events
        .iter()
        .rev()
        .find(|e| matches!(&e.event, Event::StatusChanged { status, .. } if status.is_terminal()))
        .map_or(last, |e| e.seq.saturating_sub(1)))
}

/// A person can answer at this terminal: not `--json`, not `--yes`, and
/// both ends are a terminal.
fn interactive(yes: bool, json: bool) -> bool {
    !yes && !json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// What the daemon needs to run what `cowork run`'s flags say. The model
/// keys are the daemon's own: the provider is sent only when a flag names
/// it, so the daemon picks one from its environment otherwise.
fn new_task(args: &RunArgs, config: &Config) -> Result<NewTask> {
    let folders = args
        .folders
        .iter()
        .map(|f| {
            parse_folder(f).map(|g| FolderRequest {
                path: g.path,
                read_only: g.read_only,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let provider = match (args.model.provider, &args.model.script) {
        (Some(p), _) => Some(match p {
            ProviderArg::Anthropic => Provider::Anthropic,
            ProviderArg::Openai => Provider::Openai,
            ProviderArg::Script => Provider::Script,
        }),
        (None, Some(_)) => Some(Provider::Script),
        (None, None) => None,
    };
    let script = match &args.model.script {
        Some(path) => Some(
            std::path::absolute(path)
                .with_context(|| format!("cannot use the script path {}", path.display()))?,
        ),
        None => None,
    };
    Ok(NewTask {
        prompt: args.prompt.clone(),
        folders,
        // In a project, the daemon applies the project's mode (then the
        // configured one) where the command names none.
        mode: match &args.project {
            Some(_) => args.mode.map(PermissionMode::from),
            None => Some(
                args.mode
                    .map(PermissionMode::from)
                    .or(config.mode)
                    .unwrap_or_default(),
            ),
        },
        project: args.project.clone(),
        model: args.model.model.clone(),
        provider: provider.map(|p| p.as_str().to_owned()),
        base_url: args.model.base_url.clone(),
        script,
        max_turns: Some(args.max_turns),
        max_tokens: args.max_tokens,
        timeout_secs: args.timeout,
        assume_yes: args.yes,
        sandbox: Some(
            match args.sandbox.sandbox {
                SandboxArg::Auto => "auto",
                SandboxArg::None => "none",
            }
            .to_owned(),
        ),
        allow_net: args
            .sandbox
            .allow_net
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

type Envelopes = Pin<Box<dyn Stream<Item = Result<Envelope, ClientError>> + Send>>;

/// Following one task in the daemon.
struct Watch<'a> {
    daemon: &'a Daemon,
    id: TaskId,
    renderer: Renderer,
    /// Where answers come from, when a person is at the terminal.
    lines: Option<TerminalLines>,
    /// Events read while a question was open, not shown yet.
    held: VecDeque<Envelope>,
    /// A scheduled run: its questions offer "for every run of this
    /// schedule", which the daemon remembers.
    scheduled: bool,
}

impl<'a> Watch<'a> {
    fn new(daemon: &'a Daemon, id: TaskId, json: bool, interactive: bool, scheduled: bool) -> Self {
        Self {
            daemon,
            renderer: Renderer::new(id.clone(), json),
            id,
            lines: interactive.then(TerminalLines::spawn),
            held: VecDeque::new(),
            scheduled,
        }
    }

    /// Shows the events after `after` until a final status after `end`.
    async fn follow(mut self, after: u64, end: u64) -> Result<ExitCode> {
        // Installed here, before anything is shown: from the first line
        // on, Ctrl-C cancels the task rather than only ending this command.
        let sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .context("could not watch for Ctrl-C")?;
        let interrupts = tokio::spawn(cancel_on_ctrl_c(
            sigint,
            self.daemon.clone(),
            self.id.clone(),
        ));
        let events = match self.daemon.events(&self.id, after).await {
            Ok(events) => events,
            Err(e) => {
                interrupts.abort();
                return Err(e.into());
            }
        };
        let mut events: Envelopes = Box::pin(events);
        self.renderer.start(false);
        let outcome = self.show(&mut events, end).await;
        interrupts.abort();
        let outcome = outcome?;
        Ok(match outcome {
            Some(TaskStatus::Completed) => ExitCode::SUCCESS,
            Some(TaskStatus::Cancelled) => ExitCode::from(130),
            Some(TaskStatus::Failed | TaskStatus::Running | TaskStatus::Interrupted) => {
                ExitCode::FAILURE
            }
            None => {
                self.renderer.notice(&format!(
                    "the daemon stopped sending events; task {} resumes when it starts again. \
                     `cowork attach {}` follows it then",
                    self.id.short(),
                    self.id.short()
                ));
                ExitCode::FAILURE
            }
        })
    }

    /// Renders events until the task's final status (returned), or the
    /// stream ends (`None`).
    async fn show(&mut self, events: &mut Envelopes, end: u64) -> Result<Option<TaskStatus>> {
        loop {
            let envelope = match self.held.pop_front() {
                Some(envelope) => envelope,
                None => match events.next().await {
                    Some(item) => item?,
                    None => return Ok(None),
                },
            };
            render(&mut self.renderer, &envelope);
            match &envelope.event {
                Event::StatusChanged { status, .. }
                    if status.is_terminal() && envelope.seq > end =>
                {
                    return Ok(Some(*status));
                }
                Event::ApprovalRequested {
                    call_id,
                    tool,
                    summary,
                    ..
                } => {
                    self.answer(events, call_id, tool, summary).await?;
                }
                _ => {}
            }
        }
    }

    /// Asks the person about a pending call, unless it was answered
    /// already (a replayed request), and sends their answer; or tells them
    /// that another front answered first.
    async fn answer(
        &mut self,
        events: &mut Envelopes,
        call_id: &str,
        tool: &str,
        summary: &str,
    ) -> Result<()> {
        let pending = self.daemon.task(&self.id).await?.pending;
        if !pending.iter().any(|p| p.id == call_id) {
            return Ok(());
        }
        let Some(lines) = self.lines.as_mut() else {
            // Unlike a task run here, the daemon's task waits for a person
            // rather than taking "no".
            self.renderer.notice(&format!(
                "the task waits for an answer about this call: give it in the web UI, or at a \
                 terminal with `cowork attach {}`",
                self.id.short()
            ));
            return Ok(());
        };
        self.renderer.pause();
        let held = &mut self.held;
        let elsewhere = async {
            while let Some(item) = events.next().await {
                let Ok(envelope) = item else { break };
                let decided = match &envelope.event {
                    Event::ApprovalDecided {
                        call_id: id, by, ..
                    } if id == call_id => Some(by.clone()),
                    _ => None,
                };
                held.push_back(envelope);
                if decided.is_some() {
                    return decided;
                }
            }
            None
        };
        tokio::select! {
            decision = lines.ask(tool, summary, self.scheduled) => {
                match self.daemon.decide(&self.id, call_id, &decision).await {
                    Ok(()) => {}
                    Err(e) if e.is_conflict() => {
                        self.renderer.notice("this call was already answered in another front");
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            by = elsewhere => {
                // The question's input line is still open.
                eprintln!();
                let _ = std::io::stderr().flush();
                self.renderer.notice(&answered_by(by.as_deref()));
            }
        }
        Ok(())
    }
}

/// Who answered a question the terminal was asking.
fn answered_by(by: Option<&str>) -> String {
    match by {
        Some("web") => "answered in the web UI".to_owned(),
        Some("api") => "answered through the daemon's API".to_owned(),
        Some("terminal") => "answered at another terminal".to_owned(),
        Some(other) => format!("answered elsewhere ({})", crate::safe::line(other)),
        None => "the daemon stopped sending events before the call was answered".to_owned(),
    }
}

/// One place where an envelope meets the renderer.
fn render(renderer: &mut Renderer, envelope: &Envelope) {
    renderer.event(envelope);
}

/// Ctrl-C cancels the task in the daemon; a second one leaves at once
/// (the daemon finishes cancelling it).
async fn cancel_on_ctrl_c(mut sigint: tokio::signal::unix::Signal, daemon: Daemon, id: TaskId) {
    if sigint.recv().await.is_some() {
        if let Err(e) = daemon.cancel(&id).await {
            eprintln!("cowork: could not cancel task {}: {e}", id.short());
        }
        if sigint.recv().await.is_some() {
            std::process::exit(130);
        }
    }
}

/// No daemon runs: what `attach` says instead.
pub fn no_daemon(id: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "no daemon is running (start one with `cowork serve`), so there is nothing to follow; \
         `cowork show {id}` replays the task"
    )
}

/// Bails when `args` asks for the daemon and none runs.
pub fn need_daemon(detach: bool) -> Result<()> {
    if detach {
        bail!(
            "--detach needs a running daemon: start one with `cowork serve`, or run without \
             --detach"
        );
    }
    Ok(())
}
