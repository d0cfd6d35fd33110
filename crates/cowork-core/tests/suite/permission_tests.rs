//! The runner asking, allowing and denying through the policy, with a fake
//! writing tool so these tests need no journal.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::json;

use cowork_core::{Approver, CallContext, Policy, Preview, TaskDeps, Tool, ToolFailure};
use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{
    ApprovalDecision, Effect, Event, Op, PermissionMode, TaskSpec, TaskStatus, ToolSpec,
};
use cowork_store::Store;

use super::harness::*;

/// Pretends to write `path` inside the folder; counts its runs.
struct Touch {
    spec: ToolSpec,
    root: PathBuf,
    runs: Arc<AtomicUsize>,
}

impl Tool for Touch {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }
    fn preview(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        let path = self.root.join(input["path"].as_str().unwrap_or(""));
        Box::pin(async move {
            Ok(Preview {
                summary: format!("touch {}", path.display()),
                paths: vec![path],
            })
        })
    }
    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok("touched".to_owned()) })
    }
}

/// Registers `Touch` (a writing tool) over `root`; returns its run count.
pub(super) fn register_touch(deps: &mut TaskDeps, root: PathBuf) -> Arc<AtomicUsize> {
    let runs = Arc::new(AtomicUsize::new(0));
    deps.tools.register(Arc::new(Touch {
        spec: ToolSpec {
            name: "Touch".into(),
            description: "touches a file".into(),
            input_schema: json!({"type": "object"}),
            effect: Effect::Write,
        },
        root,
        runs: Arc::clone(&runs),
    }));
    runs
}

struct Setup {
    _dir: tempfile::TempDir,
    deps: TaskDeps,
    spec: TaskSpec,
    runs: Arc<AtomicUsize>,
}

fn setup(
    mode: PermissionMode,
    approver: Approver,
    rules: &[Rule],
    turns: serde_json::Value,
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_memory().unwrap());
    let mut spec = spec("touch things", dir.path());
    spec.mode = mode;
    let mut deps = script_deps(script(json!({ "turns": turns })), store, &spec);
    deps.policy = Policy::new(mode, rules).unwrap();
    deps.approver = approver;
    let runs = register_touch(&mut deps, spec.folders[0].path.clone());
    Setup {
        _dir: dir,
        deps,
        spec,
        runs,
    }
}

pub(super) fn touches(n: usize) -> serde_json::Value {
    let mut turns: Vec<serde_json::Value> = (0..n)
        .map(|i| json!({"tool_calls": [{"name": "Touch", "input": {"path": format!("f{i}.txt")}}]}))
        .collect();
    turns.push(json!({"text": "done"}));
    json!(turns)
}

/// Runs the task, answering each approval request with the next decision.
async fn run_answering(setup: Setup, mut answers: Vec<ApprovalDecision>) -> (Vec<Event>, usize) {
    let mut handle = start_with(setup.deps, setup.spec);
    let mut events = Vec::new();
    let drive = async {
        while let Some(envelope) = handle.next_event().await {
            let event = envelope.event;
            if let Event::ApprovalRequested { call_id, .. } = &event {
                let decision = answers.remove(0);
                handle.submit(Op::Approval {
                    call_id: call_id.clone(),
                    decision,
                });
            }
            events.push(event);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), drive)
        .await
        .unwrap();
    (events, setup.runs.load(Ordering::SeqCst))
}

fn asked(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::ApprovalRequested { .. }))
        .count()
}

#[tokio::test]
async fn ask_mode_asks_before_each_change_until_allowed_for_the_task() {
    let setup = setup(PermissionMode::Ask, Approver::Person, &[], touches(4));
    let answers = vec![ApprovalDecision::AllowOnce, ApprovalDecision::AllowForTask];
    let (events, runs) = run_answering(setup, answers).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(
        asked(&events),
        2,
        "the third and fourth calls were allowed for the task"
    );
    assert_eq!(runs, 4);
    let summary = events.iter().find_map(|e| match e {
        Event::ApprovalRequested { summary, .. } => Some(summary.clone()),
        _ => None,
    });
    assert!(summary.unwrap().contains("f0.txt"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ApprovalDecided { by, .. } if by == "user"))
    );
}

#[tokio::test]
async fn a_denial_reaches_the_model_plainly_with_the_persons_reason() {
    let setup = setup(PermissionMode::Ask, Approver::Person, &[], touches(1));
    let answers = vec![ApprovalDecision::Deny {
        message: Some("not that folder".into()),
    }];
    let (events, runs) = run_answering(setup, answers).await;
    assert_eq!(runs, 0);
    let (_, content, is_error) = &tool_results(&events)[0];
    assert!(is_error);
    assert!(
        content.contains("Denied by the user — do not retry this another way"),
        "{content}"
    );
    assert!(content.contains("not that folder"));
}

#[tokio::test]
async fn without_anyone_to_ask_changes_are_denied_in_words_that_name_no_cli_flag() {
    let setup = setup(PermissionMode::Ask, Approver::Nobody, &[], touches(1));
    let (events, runs) = run_answering(setup, vec![]).await;
    assert_eq!(runs, 0);
    assert_eq!(asked(&events), 0);
    let (_, content, _) = &tool_results(&events)[0];
    // Regression: core told the model to "run again with --yes", a flag
    // of one front the model cannot use and other fronts do not have.
    assert!(
        content.contains("do not retry") && content.contains("allow rule"),
        "{content}"
    );
    assert!(!content.contains("--"), "{content}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ApprovalDecided { by, .. } if by == "nobody"))
    );
}

#[tokio::test]
async fn yes_allows_but_a_deny_rule_still_wins() {
    let setup_yes = setup(PermissionMode::Ask, Approver::AssumeYes, &[], touches(2));
    let (events, runs) = run_answering(setup_yes, vec![]).await;
    assert_eq!((runs, asked(&events)), (2, 0));

    let deny = Rule {
        action: RuleAction::Deny,
        tool: None,
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: Some("**/f1.txt".into()),
    };
    let setup_rule = setup(
        PermissionMode::Auto,
        Approver::AssumeYes,
        &[deny],
        touches(2),
    );
    let (events, runs) = run_answering(setup_rule, vec![]).await;
    assert_eq!(runs, 1, "f0 ran, f1 was denied");
    let results = tool_results(&events);
    assert!(
        results[1].1.contains("Denied by policy") && results[1].1.contains("rule 1"),
        "{results:?}"
    );
}

#[tokio::test]
async fn plan_mode_refuses_changes_even_if_the_model_calls_them() {
    let setup = setup(PermissionMode::Plan, Approver::AssumeYes, &[], touches(1));
    let (events, runs) = run_answering(setup, vec![]).await;
    assert_eq!(runs, 0);
    assert!(tool_results(&events)[0].1.contains("plan mode"));
}

#[tokio::test]
async fn cancelling_while_asked_ends_the_task_and_answers_the_call() {
    let setup = setup(PermissionMode::Ask, Approver::Person, &[], touches(1));
    let mut handle = start_with(setup.deps, setup.spec);
    let mut events = Vec::new();
    while let Some(envelope) = handle.next_event().await {
        let event = envelope.event;
        if matches!(event, Event::ApprovalRequested { .. }) {
            handle.submit(Op::Cancel);
        }
        events.push(event);
    }
    assert_eq!(final_status(&events).0, TaskStatus::Cancelled);
    assert!(tool_results(&events)[0].1.contains("cancelled"));
    assert_eq!(setup.runs.load(Ordering::SeqCst), 0);
}

/// Reads a file in its preview (like Edit's match count) and names its
/// path in `targets` without reading anything.
struct Peek {
    spec: ToolSpec,
    root: PathBuf,
    previews: Arc<AtomicUsize>,
}

impl Tool for Peek {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }
    fn targets(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Option<Vec<PathBuf>>, ToolFailure>> {
        let path = self.root.join(input["path"].as_str().unwrap_or(""));
        Box::pin(async move { Ok(Some(vec![path])) })
    }
    fn preview(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        self.previews.fetch_add(1, Ordering::SeqCst);
        let path = self.root.join(input["path"].as_str().unwrap_or(""));
        Box::pin(async move {
            Err(ToolFailure::new(format!(
                "content-dependent answer about {}",
                path.display()
            )))
        })
    }
    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        Box::pin(async { Ok("peeked".to_owned()) })
    }
}

/// Regression for "deny rules leak through the write tools": a deny rule
/// naming a tool (not a hiding rule) was judged only after the preview had
/// read the file and answered from its content.
#[tokio::test]
async fn a_deny_rule_is_judged_on_the_targets_before_any_preview_runs() {
    let deny = Rule {
        action: RuleAction::Deny,
        tool: Some("Peek".into()),
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: Some("**/*.key".into()),
    };
    let turns = json!([
        {"tool_calls": [{"name": "Peek", "input": {"path": "id.key"}}]},
        {"tool_calls": [{"name": "Peek", "input": {"path": "notes.txt"}}]},
        {"text": "done"}
    ]);
    let mut setup = setup(PermissionMode::Auto, Approver::AssumeYes, &[deny], turns);
    let previews = Arc::new(AtomicUsize::new(0));
    setup.deps.tools.register(Arc::new(Peek {
        spec: ToolSpec {
            name: "Peek".into(),
            description: "peeks".into(),
            input_schema: json!({"type": "object"}),
            effect: Effect::Write,
        },
        root: setup.spec.folders[0].path.clone(),
        previews: Arc::clone(&previews),
    }));
    let (events, _) = run_answering(setup, vec![]).await;
    let results = tool_results(&events);
    assert!(results[0].1.contains("Denied by policy"), "{results:?}");
    assert!(!results[0].1.contains("content-dependent"), "{results:?}");
    // Only the allowed call reached its preview.
    assert!(results[1].1.contains("content-dependent"), "{results:?}");
    assert_eq!(previews.load(Ordering::SeqCst), 1);
}
