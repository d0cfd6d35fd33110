//! `cowork run` and `cowork resume`: start or continue a task and render
//! it until it ends, answering approval requests at the terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use cowork_core::{
    Approver, Factory, FactorySetup, RunSetup, SandboxChoice, SetupNotice, TaskHandle, TaskRequest,
};
use cowork_plugins::host::PluginHost;
use cowork_protocol::config::Config;
use cowork_protocol::{
    ApprovalDecision, Budget, Event, FolderGrant, Op, PermissionMode, ScheduleLink, TaskSpec,
    TaskStatus,
};
use cowork_store::Store;

use crate::approve;
use crate::cli::{ReplyArgs, ResumeArgs, RunArgs, SandboxArg, SandboxArgs};
use crate::render::Renderer;
use crate::setup;

pub async fn run(args: RunArgs, store: Arc<Store>, config: Config) -> Result<ExitCode> {
    let mut grants = args
        .folders
        .iter()
        .map(|f| parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let project = match &args.project {
        Some(name) => Some(crate::project_cmd::for_run(&store, name)?),
        None => None,
    };
    let mut model_args = args.model.clone();
    if let Some(project) = &project {
        crate::project_cmd::merge_folders(&mut grants, project);
        if model_args.model.is_none() {
            model_args.model.clone_from(&project.model);
        }
    }
    let choice = setup::choice_from_args(&setup::with_configured_model(&model_args, &config))?;
    let mode = args
        .mode
        .map(PermissionMode::from)
        .or(project.as_ref().and_then(|p| p.mode))
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
        project: project.map(|p| p.id),
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    };
    let approver = approver(args.yes, args.output.json);
    let sandbox = sandbox_choice(&args.sandbox);
    let host = crate::extensions::host(&config, sandbox)?;
    if approver == Approver::Person {
        crate::extensions::ask_folder_trust(&spec.folders)?;
    }
    let started = factory(store, config, host)?
        .start(TaskRequest {
            spec,
            setup: run_setup(&args.sandbox, approver),
            model: None,
        })
        .map_err(setup::factory_error)?;
    let notices: Vec<String> = started.notices.iter().map(notice).collect();
    drive(
        started.handle,
        args.output.json,
        false,
        &notices,
        approver,
        None,
    )
    .await
}

pub async fn resume(args: ResumeArgs, store: Arc<Store>, config: Config) -> Result<ExitCode> {
    let approver = approver(args.yes, args.output.json);
    let schedule = Schedule::of(&store, &args.id)?;
    let host = crate::extensions::host(&config, sandbox_choice(&args.sandbox))?;
    let started = factory(store, config, host)?
        .resume(&args.id, run_setup(&args.sandbox, approver), None)
        .map_err(setup::factory_error)?;
    let mut notices: Vec<String> = started.notices.iter().map(notice).collect();
    match started.previous {
        Some(TaskStatus::Interrupted) | None => {}
        Some(
            previous @ (TaskStatus::Running
            | TaskStatus::Completed
            | TaskStatus::Failed
            | TaskStatus::Cancelled),
        ) => {
            notices.push(format!("the task was {}; continuing it", previous.as_str()));
        }
    }
    drive(
        started.handle,
        args.output.json,
        true,
        &notices,
        approver,
        schedule.as_ref(),
    )
    .await
}

/// `cowork reply` without a daemon: continues the task here with the
/// message, in the same transcript.
pub async fn reply(args: ReplyArgs, store: Arc<Store>, config: Config) -> Result<ExitCode> {
    let approver = approver(args.yes, args.output.json);
    let schedule = Schedule::of(&store, &args.id)?;
    let host = crate::extensions::host(&config, sandbox_choice(&args.sandbox))?;
    let started = factory(store, config, host)?
        .continue_task(
            &args.id,
            args.text,
            run_setup(&args.sandbox, approver),
            None,
        )
        .map_err(setup::factory_error)?;
    let notices: Vec<String> = started.notices.iter().map(notice).collect();
    drive(
        started.handle,
        args.output.json,
        true,
        &notices,
        approver,
        schedule.as_ref(),
    )
    .await
}

/// The schedule of a scheduled run continued here, where "allow for every
/// run of this schedule" is remembered (the daemon does it for its own
/// tasks).
struct Schedule {
    store: Arc<Store>,
    link: ScheduleLink,
}

impl Schedule {
    fn of(store: &Arc<Store>, task: &str) -> Result<Option<Self>> {
        Ok(store.task(task)?.spec.schedule.map(|link| Self {
            store: Arc::clone(store),
            link,
        }))
    }

    /// Adds an allow rule for `tool` to the schedule's scope; says so, or
    /// why it could not.
    fn allow(&self, tool: &str) -> String {
        let rule = cowork_core::exact_tool_rule(tool);
        match self.store.add_schedule_rule(&self.link.id, &rule) {
            Ok(_) => format!(
                "every run of schedule “{}” may use {} from now on",
                crate::safe::line(&self.link.name),
                crate::safe::line(tool)
            ),
            Err(e) => format!("allowed for this run only: the schedule could not be changed ({e})"),
        }
    }
}

/// The one factory this process builds its tasks with.
pub fn factory(store: Arc<Store>, config: Config, host: Arc<PluginHost>) -> Result<Factory> {
    Ok(Factory::new(FactorySetup {
        hub: cowork_core::Hub::new(store),
        paths: crate::config::own_paths()?,
        config,
    })
    .map_err(setup::factory_error)?
    .with_extensions(host))
}

fn sandbox_choice(sandbox: &SandboxArgs) -> SandboxChoice {
    match sandbox.sandbox {
        SandboxArg::Auto => SandboxChoice::Auto,
        SandboxArg::None => SandboxChoice::None,
    }
}

fn run_setup(sandbox: &SandboxArgs, approver: Approver) -> RunSetup {
    RunSetup {
        sandbox: sandbox_choice(sandbox),
        allow_net: sandbox.allow_net.clone(),
        approver,
    }
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

/// What the task will not have, worded with the flags that change it.
pub fn notice(notice: &SetupNotice) -> String {
    match notice {
        SetupNotice::NoFolder => {
            "no folder is connected, so the model cannot see any file; add --folder PATH to share \
             one"
            .to_owned()
        }
        SetupNotice::BashOffForHiddenPaths => {
            "commands (Bash) are off: deny rules hide paths that the sandbox cannot mask yet"
                .to_owned()
        }
        SetupNotice::BashUnsandboxed => {
            "commands (Bash) run WITHOUT the sandbox (--sandbox none): they can read and change \
             anything your user can and reach any network (--allow-net does not limit them), and \
             what they change cannot be undone"
                .to_owned()
        }
        SetupNotice::BashOffSandboxUnavailable { cause, fix } => {
            format!("commands (Bash) are off: {cause}. Fix: {fix}")
        }
    }
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
    schedule: Option<&Schedule>,
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
            let decision = approve::ask(tool, summary, schedule.is_some()).await;
            if let (ApprovalDecision::AllowForSchedule, Some(schedule)) = (&decision, schedule) {
                renderer.notice(&schedule.allow(tool));
            }
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
