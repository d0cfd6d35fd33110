//! Prompt hooks, answered by the scripted model.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use serde_json::{Value, json};

use cowork_core::{HookEvent, HookOutcome, HookPermission, Hooks};
use cowork_model::{Model, ModelError, ModelEvent, ModelInfo, ModelRequest, ScriptModel};
use cowork_plugins::hooks::HookSandbox;
use cowork_protocol::script::{Script, ScriptTurn};

use super::{World, answer, one, pre_tool, script_model};

/// A model that remembers what it was asked.
struct Recording {
    inner: ScriptModel,
    requests: Mutex<Vec<ModelRequest>>,
}

impl Model for Recording {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
        self.requests.lock().expect("lock").push(request.clone());
        self.inner.stream(request)
    }
}

fn prompt_hook(prompt: &str, timeout: u64) -> Value {
    json!({"type": "prompt", "prompt": prompt, "timeout": timeout})
}

async fn ask(event: &str, hook: Value, answer: ScriptTurn, fired: HookEvent) -> HookOutcome {
    let world = World::new();
    let hooks = world.hooks("judge", one(event, hook), HookSandbox::Sandboxed);
    hooks
        .run(fired, world.ctx(script_model(vec![answer])))
        .await
}

#[tokio::test]
async fn a_prompt_hook_that_says_not_ok_denies_the_call_with_its_reason() {
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Does this write follow our naming rules? $ARGUMENTS", 30),
        answer("{\"ok\": false, \"reason\": \"file names must be kebab-case\"}"),
        pre_tool("Write"),
    )
    .await;
    assert_eq!(
        outcome.permission,
        Some(HookPermission::Deny {
            reason: "file names must be kebab-case".into()
        })
    );
}

#[tokio::test]
async fn a_prompt_hook_that_says_ok_decides_nothing() {
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Fine?", 30),
        answer("{\"ok\": true}"),
        pre_tool("Write"),
    )
    .await;
    assert_eq!(outcome, HookOutcome::default());
}

#[tokio::test]
async fn a_prompt_hook_that_says_block_on_a_prompt_blocks_it() {
    let outcome = ask(
        "UserPromptSubmit",
        prompt_hook("Is this prompt about work?", 30),
        answer("Here you go: {\"decision\": \"block\", \"reason\": \"off topic\"}"),
        HookEvent::UserPromptSubmit {
            prompt: "tell me a joke".into(),
        },
    )
    .await;
    assert_eq!(outcome.block.as_deref(), Some("off topic"));
}

#[tokio::test]
async fn an_unparseable_prompt_answer_is_a_report_and_no_decision() {
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Fine?", 30),
        answer("I think it is probably fine."),
        pre_tool("Write"),
    )
    .await;
    assert_eq!(outcome.permission, None);
    assert!(
        outcome.reports[0].contains("no decision"),
        "{:?}",
        outcome.reports
    );
}

#[tokio::test]
async fn a_prompt_hook_whose_model_is_too_slow_times_out_with_a_report() {
    let slow = ScriptTurn {
        delay_ms: Some(5_000),
        ..answer("{\"ok\": false}")
    };
    let started = Instant::now();
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Fine?", 1),
        slow,
        pre_tool("Write"),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.permission, None);
    assert!(
        outcome.reports[0].contains("within 1 s"),
        "{:?}",
        outcome.reports
    );
}

#[tokio::test]
async fn a_prompt_hook_sends_the_event_in_place_of_arguments() {
    let world = World::new();
    let hooks = world.hooks(
        "judge",
        one("PreToolUse", prompt_hook("Check: $ARGUMENTS -- end", 30)),
        HookSandbox::Sandboxed,
    );
    let model = Arc::new(Recording {
        inner: ScriptModel::new(Script {
            turns: vec![answer("{\"ok\": true}")],
            context_window: None,
        }),
        requests: Mutex::new(Vec::new()),
    });
    let dyn_model: Arc<dyn Model> = Arc::clone(&model) as Arc<dyn Model>;
    hooks.run(pre_tool("Write"), world.ctx(dyn_model)).await;
    let requests = model.requests.lock().expect("lock");
    assert_eq!(requests.len(), 1);
    let sent = serde_json::to_string(&requests[0].messages).expect("json");
    assert!(sent.contains("Check: {"), "{sent}");
    assert!(sent.contains("tool_name"), "{sent}");
    assert!(sent.contains("/work/a.md"), "{sent}");
    assert!(sent.contains("-- end"), "{sent}");
}
