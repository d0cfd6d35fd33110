//! `cowork run` and `cowork resume`: start or continue a task and render
//! it until it ends, answering approval requests at the terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use cowork_core::tools::{
    BashSetup, Isolation, JournalSetup, TaskJournal, register_bash, register_doc_tools,
    register_file_tools,
};
use cowork_core::{Approver, Hub, Policy, RunOptions, TaskDeps, TaskHandle, ToolRegistry};
use cowork_files::{Folders, JournalStore};
use cowork_model::Model;
use cowork_protocol::config::Config;
use cowork_protocol::{
    Budget, Event, FolderGrant, Op, PermissionMode, TaskId, TaskSpec, TaskStatus,
};
use cowork_sandbox::Availability;
use cowork_store::Store;

use crate::approve;
use crate::cli::{ResumeArgs, RunArgs, SandboxArg, SandboxArgs};
use crate::home;
use crate::render::Renderer;
use crate::setup;

pub async fn run(args: RunArgs, store: Arc<Store>, config: Config) -> Result<ExitCode> {
    let grants = args
        .folders
        .iter()
        .map(|f| parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let (model, choice) = setup::model_from_args(&args.model)?;
    let mode = args
        .mode
        .map(PermissionMode::from)
        .or(config.mode)
        .unwrap_or_default();
    let spec = TaskSpec {
        prompt: args.prompt,
        folders: grants,
        model: choice,
        budget: Budget {
            max_turns: Some(args.max_turns),
            max_tokens: args.max_tokens,
            max_wall_secs: args.timeout,
        },
        mode,
    };
    let id = TaskId::new();
    let approver = approver(args.yes, args.output.json);
    let (deps, mut notices) = deps(model, store, &id, &spec, &config, approver, &args.sandbox)?;
    if spec.folders.is_empty() {
        notices.push(
            "no folder is connected, so the model cannot see any file; add --folder PATH to share one"
                .to_owned(),
        );
    }
    let handle = cowork_core::start_task(deps, id, spec)?;
    drive(handle, args.output.json, false, &notices, approver).await
}

pub async fn resume(args: ResumeArgs, store: Arc<Store>, config: Config) -> Result<ExitCode> {
    let task = cowork_core::load_task(&store, &args.id)?;
    let model = setup::build_model(&task.spec.model, task.transcript.model_calls)?;
    let approver = approver(args.yes, args.output.json);
    let (deps, mut notices) = deps(
        model,
        Arc::clone(&store),
        &task.id,
        &task.spec,
        &config,
        approver,
        &args.sandbox,
    )?;
    let previous = task.status;
    let handle = cowork_core::resume_task(deps, task)?;
    match previous {
        TaskStatus::Interrupted => {}
        TaskStatus::Running
        | TaskStatus::Completed
        | TaskStatus::Failed
        | TaskStatus::Cancelled => {
            notices.push(format!("the task was {}; continuing it", previous.as_str()));
        }
    }
    drive(handle, args.output.json, true, &notices, approver).await
}

/// Who answers approval requests: `--yes` allows them; a person at a
/// terminal is asked; otherwise nobody can, and they are denied.
fn approver(yes: bool, json: bool) -> Approver {
    if yes {
        Approver::AssumeYes
    } else if !json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        Approver::Person
    } else {
        Approver::Nobody
    }
}

/// What a task runs with, and notices for the person about what it will
/// not have (and why).
fn deps(
    model: Arc<dyn Model>,
    store: Arc<Store>,
    id: &TaskId,
    spec: &TaskSpec,
    config: &Config,
    approver: Approver,
    sandbox: &SandboxArgs,
) -> Result<(TaskDeps, Vec<String>)> {
    let network = sandbox.network()?;
    let policy = Policy::new(spec.mode, &config.rules)?;
    let hub = Hub::new(store);
    let mut tools = ToolRegistry::default();
    let mut notices = Vec::new();
    let hidden = cowork_core::hidden_paths(&config.rules);
    let data_dir = home::data_dir()?;
    // Opened first, so the data dir exists and is reserved by identity.
    let journal_store = Arc::new(JournalStore::open(&data_dir)?);
    let folders = Arc::new(
        Folders::open(&spec.folders)?
            .with_hidden(&hidden)?
            .with_protected(&cowork_core::denied_paths(&config.rules))?
            .with_reserved(&crate::config::own_paths(&data_dir)),
    );
    let journal = TaskJournal::new(JournalSetup {
        store: journal_store,
        log: hub.publisher(id),
    });
    if !spec.folders.is_empty() {
        register_file_tools(&mut tools, Arc::clone(&folders), Some(&journal), spec.mode);
        let writing = (spec.mode != PermissionMode::Plan).then_some(&journal);
        register_doc_tools(&mut tools, Arc::clone(&folders), writing);
    }
    match (spec.mode, hidden.is_empty()) {
        (PermissionMode::Plan, _) => {}
        (PermissionMode::Ask | PermissionMode::Auto, false) => notices.push(
            "commands (Bash) are off: deny rules hide paths that the sandbox cannot mask yet"
                .to_owned(),
        ),
        (PermissionMode::Ask | PermissionMode::Auto, true) => {
            let isolation = match sandbox.sandbox {
                SandboxArg::None => {
                    notices.push(
                        "commands (Bash) run WITHOUT the sandbox (--sandbox none): they can read \
                         and change anything your user can and reach any network (--allow-net \
                         does not limit them), and what they change cannot be undone"
                            .to_owned(),
                    );
                    Some(Isolation::Unsandboxed)
                }
                SandboxArg::Auto => match crate::exec::probe_cache_dir()
                    .map_or_else(cowork_sandbox::probe, |dir| {
                        cowork_sandbox::probe_cached(&dir)
                    }) {
                    Availability::Ready(_) => Some(Isolation::Sandboxed),
                    Availability::Unavailable { cause, fix } => {
                        notices.push(format!("commands (Bash) are off: {cause}. Fix: {fix}"));
                        None
                    }
                },
            };
            if let Some(isolation) = isolation {
                register_bash(
                    &mut tools,
                    BashSetup {
                        folders,
                        journal: Some(journal),
                        isolation,
                        network,
                        limits: config.sandbox.clone(),
                        hidden: crate::exec::cowork_state_dirs(),
                    },
                );
            }
        }
    }
    let deps = TaskDeps {
        model,
        hub,
        tools,
        policy,
        approver,
        options: RunOptions::default(),
    };
    Ok((deps, notices))
}

/// `PATH` or `PATH:ro` (also `PATH:rw`) → a grant on the canonical path.
pub fn parse_folder(arg: &str) -> Result<FolderGrant> {
    let (path, read_only) = match arg.rsplit_once(':') {
        Some((path, "ro")) => (path, true),
        Some((path, "rw")) => (path, false),
        Some(_) | None => (arg, false),
    };
    let canonical = std::fs::canonicalize(Path::new(path))
        .with_context(|| format!("--folder {arg}: cannot open the folder {path}"))?;
    if !canonical.is_dir() {
        bail!(
            "--folder {arg}: {} is a file, not a folder",
            canonical.display()
        );
    }
    Ok(FolderGrant {
        path: canonical,
        read_only,
    })
}

async fn drive(
    mut handle: TaskHandle,
    json: bool,
    resumed: bool,
    notices: &[String],
    approver: Approver,
) -> Result<ExitCode> {
    let mut renderer = Renderer::new(handle.id().clone(), json);
    renderer.start(resumed);
    for notice in notices {
        renderer.notice(notice);
    }
    let ops = handle.op_sender();
    let interrupts = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ops.send(Op::Cancel);
            if tokio::signal::ctrl_c().await.is_ok() {
                // Second Ctrl-C: leave now; the task shows as interrupted
                // and `cowork resume` continues it.
                std::process::exit(130);
            }
        }
    });
    let mut outcome = None;
    while let Some(envelope) = handle.next_event().await {
        let event = &envelope.event;
        if let Event::StatusChanged { status, .. } = event
            && status.is_terminal()
        {
            outcome = Some(*status);
        }
        renderer.event(&envelope);
        if let Event::ApprovalRequested {
            call_id,
            tool,
            summary,
            ..
        } = event
            && approver == Approver::Person
        {
            renderer.pause();
            let decision = approve::ask(tool, summary).await;
            // Another front (the web UI of a daemon) may have answered
            // first; the task then goes on with that answer.
            let _ = handle.op_sender().decide(call_id, decision, "terminal");
        }
    }
    interrupts.abort();
    handle.join().await;
    Ok(match outcome {
        Some(TaskStatus::Completed) => ExitCode::SUCCESS,
        Some(TaskStatus::Cancelled) => ExitCode::from(130),
        Some(TaskStatus::Failed | TaskStatus::Running | TaskStatus::Interrupted) | None => {
            ExitCode::FAILURE
        }
    })
}
