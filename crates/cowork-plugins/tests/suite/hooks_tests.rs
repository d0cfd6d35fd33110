//! hooks.json as plugins write it, and hooks run as Claude Code runs them:
//! in cowork's sandbox, with the documented stdin and output contract.

mod commands;
mod parsing;
mod prompts;

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use tempfile::TempDir;

use cowork_core::{HookContext, HookEvent, HookOutcome, Hooks};
use cowork_model::{Model, ScriptModel};
use cowork_plugins::hooks::{HookSandbox, HookSet, HookSetup, HookSource, PluginHooks, parse_str};
use cowork_protocol::script::{Script, ScriptTurn};
use cowork_protocol::{FolderGrant, PermissionMode, TaskId};

fn parse(text: &str) -> (Option<HookSet>, Vec<cowork_plugins::Diagnostic>) {
    parse_str(text, Path::new("hooks/hooks.json"))
}

fn hook_set(json: Value) -> HookSet {
    let (set, diagnostics) = parse(&json.to_string());
    assert_eq!(diagnostics, []);
    set.expect("a hook set")
}

fn setup(folders: &[&Path], sandbox: HookSandbox) -> HookSetup {
    HookSetup {
        folders: folders
            .iter()
            .map(|p| FolderGrant {
                path: p.to_path_buf(),
                read_only: false,
            })
            .collect(),
        mode: PermissionMode::Ask,
        sandbox,
        hidden: Vec::new(),
    }
}

fn pre_tool(tool: &str) -> HookEvent {
    HookEvent::PreToolUse {
        tool: tool.into(),
        call_id: "call_1".into(),
        input: json!({"file_path": "/work/a.md", "content": "hi"}),
    }
}

fn script_model(answers: Vec<ScriptTurn>) -> Arc<dyn Model> {
    Arc::new(ScriptModel::new(Script {
        turns: answers,
        context_window: None,
    }))
}

fn answer(text: &str) -> ScriptTurn {
    ScriptTurn {
        text: Some(text.into()),
        ..ScriptTurn::default()
    }
}

/// Whether commands can be sandboxed here; tests that need it return early
/// with a note when not.
#[expect(
    clippy::print_stderr,
    reason = "the skip note is for the person running the tests"
)]
fn sandbox_ready() -> bool {
    match cowork_sandbox::probe() {
        cowork_sandbox::Availability::Ready(_) => true,
        cowork_sandbox::Availability::Unavailable { cause, .. } => {
            eprintln!("note: the sandbox is unavailable ({cause}); skipping a sandboxed hook test");
            false
        }
    }
}

/// A plugin root and a task folder, each a temp dir.
struct World {
    root: TempDir,
    folder: TempDir,
}

impl World {
    fn new() -> Self {
        let world = Self {
            root: tempfile::tempdir().expect("temp dir"),
            folder: tempfile::tempdir().expect("temp dir"),
        };
        // Prints its stdin back as additionalContext.
        std::fs::write(
            world.root.path().join("echo.py"),
            "import json, sys\n\
             data = sys.stdin.read()\n\
             print(json.dumps({'hookSpecificOutput': {'additionalContext': data}}))\n",
        )
        .expect("write echo.py");
        world
    }

    fn hooks(&self, plugin: &str, json: Value, sandbox: HookSandbox) -> PluginHooks {
        PluginHooks::new(
            vec![HookSource {
                plugin: plugin.into(),
                root: self.root.path().to_path_buf(),
                hooks: hook_set(json),
            }],
            setup(&[self.folder.path()], sandbox),
        )
    }

    fn ctx(&self, model: Arc<dyn Model>) -> HookContext {
        HookContext {
            task: TaskId::from_raw("task-42"),
            model,
            cwd: Some(self.folder.path().to_path_buf()),
        }
    }

    async fn run(&self, hooks: &PluginHooks, event: HookEvent) -> HookOutcome {
        hooks.run(event, self.ctx(script_model(vec![]))).await
    }
}

fn one(event: &str, hook: Value) -> Value {
    json!({ event: [{"hooks": [hook]}] })
}

fn command(command: &str) -> Value {
    json!({"type": "command", "command": command, "timeout": 10})
}

/// The JSON a hook echoed back (its context without the label line).
fn echoed(outcome: &HookOutcome) -> Value {
    assert_eq!(outcome.context.len(), 1, "{outcome:?}");
    let (label, body) = outcome.context[0].split_once('\n').expect("a label line");
    assert!(label.starts_with("[The echo plugin's"), "{label}");
    serde_json::from_str(body).expect("the event JSON")
}
