//! `cowork run` and `cowork resume`: start or continue a task and render
//! it until it ends.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use cowork_core::{RunOptions, TaskDeps, TaskHandle, ToolRegistry, tools::register_file_tools};
use cowork_files::{FileTools, Folders};
use cowork_model::Model;
use cowork_protocol::{Budget, Event, FolderGrant, Op, TaskSpec, TaskStatus};
use cowork_store::Store;

use crate::cli::{ResumeArgs, RunArgs};
use crate::render::Renderer;
use crate::setup;

pub async fn run(args: RunArgs, store: Arc<Store>) -> Result<ExitCode> {
    let grants = args
        .folders
        .iter()
        .map(|f| parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let (model, choice) = setup::model_from_args(&args.model)?;
    let spec = TaskSpec {
        prompt: args.prompt,
        folders: grants,
        model: choice,
        budget: Budget {
            max_turns: Some(args.max_turns),
            max_tokens: args.max_tokens,
            max_wall_secs: args.timeout,
        },
        mode: args.mode.into(),
    };
    let deps = deps(model, store, &spec.folders)?;
    let no_folder = spec.folders.is_empty();
    let handle = cowork_core::start_task(deps, spec)?;
    let notice = no_folder.then_some(
        "no folder is connected, so the model cannot see any file; add --folder PATH to share one",
    );
    drive(handle, args.output.json, false, notice).await
}

pub async fn resume(args: ResumeArgs, store: Arc<Store>) -> Result<ExitCode> {
    let task = cowork_core::load_task(&store, &args.id)?;
    let model = setup::build_model(&task.spec.model, task.transcript.model_calls)?;
    let deps = deps(model, Arc::clone(&store), &task.spec.folders)?;
    let previous = task.status;
    let handle = cowork_core::resume_task(deps, task)?;
    let notice = match previous {
        TaskStatus::Interrupted => None,
        TaskStatus::Running
        | TaskStatus::Completed
        | TaskStatus::Failed
        | TaskStatus::Cancelled => {
            Some(format!("the task was {}; continuing it", previous.as_str()))
        }
    };
    drive(handle, args.output.json, true, notice.as_deref()).await
}

fn deps(model: Arc<dyn Model>, store: Arc<Store>, grants: &[FolderGrant]) -> Result<TaskDeps> {
    let mut tools = ToolRegistry::default();
    if !grants.is_empty() {
        let folders = Folders::open(grants)?;
        register_file_tools(&mut tools, Arc::new(FileTools::new(Arc::new(folders))));
    }
    Ok(TaskDeps {
        model,
        store,
        tools,
        options: RunOptions::default(),
    })
}

/// `PATH` or `PATH:ro` (also `PATH:rw`) → a grant on the canonical path.
fn parse_folder(arg: &str) -> Result<FolderGrant> {
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
    notice: Option<&str>,
) -> Result<ExitCode> {
    let mut renderer = Renderer::new(handle.id().clone(), json);
    renderer.start(resumed);
    if let Some(notice) = notice {
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
    while let Some(event) = handle.next_event().await {
        if let Event::StatusChanged { status, .. } = &event
            && status.is_terminal()
        {
            outcome = Some(*status);
        }
        renderer.event(&event);
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
