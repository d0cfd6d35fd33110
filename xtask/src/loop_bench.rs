//! `bench loop`: the agent loop's own cost per tool step, with the scripted
//! model, a real SQLite store on disk, and (a) a no-op tool, (b) the real
//! `Read` tool — so the number is cowork's overhead, not a model's latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::future::BoxFuture;
use serde_json::json;

use cowork_core::{
    Approver, CallContext, Policy, RunOptions, TaskDeps, Tool, ToolFailure, ToolRegistry,
    tools::register_file_tools,
};
use cowork_files::Folders;
use cowork_model::script::ScriptModel;
use cowork_protocol::script::Script;
use cowork_protocol::{
    Budget, Effect, Event, FolderGrant, ModelChoice, PermissionMode, Provider, TaskId, TaskSpec,
    TaskStatus, ToolSpec,
};
use cowork_store::Store;

struct Noop(ToolSpec);

impl Tool for Noop {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }
    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        Box::pin(async { Ok("ok".to_owned()) })
    }
}

pub fn run(steps: usize) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let noop = runtime.block_on(measure(steps, "Noop", json!({})))?;
    let read = runtime.block_on(measure(steps, "Read", json!({"file_path": "note.txt"})))?;
    let per_step = |d: Duration| d.as_secs_f64() * 1e3 / steps as f64;
    println!(
        "agent loop {steps} steps: {:.3} ms/step with a no-op tool, {:.3} ms/step with Read \
         (scripted model, SQLite on disk; goal <= 1 ms)",
        per_step(noop),
        per_step(read)
    );
    Ok(())
}

async fn measure(steps: usize, tool: &str, input: serde_json::Value) -> Result<Duration> {
    let dir = tempfile::tempdir()?;
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder)?;
    std::fs::write(folder.join("note.txt"), "one line of notes\n")?;
    let store = Arc::new(Store::open(&dir.path().join("cowork.db"))?);

    let mut turns: Vec<serde_json::Value> = (0..steps)
        .map(|_| json!({"tool_calls": [{"name": tool, "input": input}]}))
        .collect();
    turns.push(json!({"text": "done"}));
    let script: Script =
        serde_json::from_value(json!({"turns": turns, "context_window": 1_000_000_000_000u64}))?;

    let grant = FolderGrant {
        path: folder.canonicalize()?,
        read_only: true,
    };
    let mut tools = ToolRegistry::default();
    let folders = Folders::open(std::slice::from_ref(&grant))?;
    register_file_tools(&mut tools, Arc::new(folders), None, PermissionMode::Auto);
    tools.register(Arc::new(Noop(ToolSpec {
        name: "Noop".into(),
        description: "does nothing".into(),
        input_schema: json!({"type": "object"}),
        effect: Effect::Read,
    })));
    let deps = TaskDeps {
        model: Arc::new(ScriptModel::new(script)),
        hub: cowork_core::Hub::new(store),
        tools,
        policy: Policy::new(PermissionMode::Auto, &[])?,
        approver: Approver::Nobody,
        options: RunOptions::default(),
        extensions: Default::default(),
        instructions: Default::default(),
    };
    let spec = TaskSpec {
        prompt: "benchmark".into(),
        folders: vec![grant],
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Budget {
            max_turns: Some(u32::try_from(steps + 1)?),
            ..Budget::default()
        },
        mode: PermissionMode::Auto,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    };

    let started = Instant::now();
    let mut handle = cowork_core::start_task(deps, TaskId::new(), spec)?;
    let mut finished = 0usize;
    let mut status = None;
    while let Some(envelope) = handle.next_event().await {
        match envelope.event {
            Event::ToolCallFinished {
                is_error, content, ..
            } => {
                if is_error {
                    bail!("a benchmark tool call failed: {content}");
                }
                finished += 1;
            }
            Event::StatusChanged {
                status: s, reason, ..
            } if s.is_terminal() => {
                status = Some((s, reason));
            }
            _ => {}
        }
    }
    let elapsed = started.elapsed();
    match status {
        Some((TaskStatus::Completed, _)) if finished == steps => Ok(elapsed),
        other => Err(anyhow::anyhow!(
            "the benchmark task did not complete: {other:?}"
        ))
        .context(format!("{finished} of {steps} steps ran")),
    }
}
