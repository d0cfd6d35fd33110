//! Building tasks through the factory: the tools and notices each mode
//! and sandbox choice gives (the cases the CLI used to decide itself), the
//! data dir kept from tasks, resume, and undo as a service.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cowork_model::ScriptModel;
use cowork_protocol::config::{Config, Rule, RuleAction};
use cowork_protocol::script::Script;
use cowork_protocol::{
    Budget, Event, FolderGrant, ModelChoice, PermissionMode, Provider, TaskStatus,
};
use cowork_sandbox::{Availability, Layers};
use cowork_store::{Owner, Store};

use super::*;

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    folder: PathBuf,
    store: Arc<Store>,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let folder = root.join("work");
    std::fs::create_dir(&folder).unwrap();
    let store = Arc::new(Store::open(&root.join("data/cowork.db")).unwrap());
    Env {
        _dir: dir,
        root,
        folder,
        store,
    }
}

fn factory_with(env: &Env, config: Config, probe: Availability) -> Factory {
    Factory::new(FactorySetup {
        hub: crate::Hub::new(Arc::clone(&env.store)),
        paths: OwnPaths::new(
            env.root.join("data"),
            Some(ConfigLocation::Folder(env.root.join("config"))),
        ),
        config,
    })
    .unwrap()
    .with_probe(move || probe.clone())
}

fn ready() -> Availability {
    Availability::Ready(Layers::default())
}

fn unavailable() -> Availability {
    Availability::Unavailable {
        cause: "user namespaces are disabled".into(),
        fix: "enable them".into(),
    }
}

fn spec(folders: &[&Path], mode: PermissionMode) -> TaskSpec {
    TaskSpec {
        prompt: "do it".into(),
        folders: folders
            .iter()
            .map(|p| FolderGrant {
                path: p.to_path_buf(),
                read_only: false,
            })
            .collect(),
        model: ModelChoice {
            provider: Provider::Script,
            model: String::new(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

fn setup(sandbox: SandboxChoice) -> RunSetup {
    RunSetup {
        sandbox,
        allow_net: None,
        approver: Approver::Nobody,
    }
}

fn script(json: serde_json::Value) -> Arc<dyn Model> {
    let script: Script = serde_json::from_value(json).unwrap();
    Arc::new(ScriptModel::new(script))
}

fn done() -> Arc<dyn Model> {
    script(serde_json::json!({"turns": [{"text": "done"}]}))
}

/// The tool names and notices a task of `spec` would get.
fn built(
    factory: &Factory,
    spec: &TaskSpec,
    sandbox: SandboxChoice,
) -> (Vec<String>, Vec<SetupNotice>) {
    let (deps, notices) = factory
        .deps(done(), &TaskId::new(), spec, &setup(sandbox), None)
        .unwrap();
    let names = deps.tools.specs().into_iter().map(|t| t.name).collect();
    (names, notices)
}

fn hiding_rule(root: &Path) -> Rule {
    Rule {
        action: RuleAction::Deny,
        tool: None,
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: Some(format!("{}/secret/**", root.display())),
    }
}

async fn events(mut started: Started) -> Vec<Event> {
    let mut events = Vec::new();
    let collect = async {
        while let Some(event) = started.handle.next_event().await {
            events.push(event.event);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .expect("the task ends");
    started.handle.join().await;
    events
}

#[test]
fn a_sandboxed_task_gets_file_doc_and_bash_tools_and_no_notice() {
    let env = env();
    let factory = factory_with(&env, Config::default(), ready());
    let (names, notices) = built(
        &factory,
        &spec(&[&env.folder], PermissionMode::Ask),
        SandboxChoice::Auto,
    );
    assert!(names.iter().any(|n| n == "Bash"), "{names:?}");
    assert!(names.iter().any(|n| n == "Write"), "{names:?}");
    assert_eq!(notices, vec![]);
}

#[test]
fn without_the_sandbox_bash_runs_unsandboxed_and_says_so() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let (names, notices) = built(
        &factory,
        &spec(&[&env.folder], PermissionMode::Auto),
        SandboxChoice::None,
    );
    assert!(names.iter().any(|n| n == "Bash"), "{names:?}");
    assert_eq!(notices, vec![SetupNotice::BashUnsandboxed]);
}

#[test]
fn bash_is_off_with_the_probes_cause_and_fix_when_the_sandbox_is_unavailable() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let (names, notices) = built(
        &factory,
        &spec(&[&env.folder], PermissionMode::Ask),
        SandboxChoice::Auto,
    );
    assert!(!names.iter().any(|n| n == "Bash"), "{names:?}");
    assert_eq!(
        notices,
        vec![SetupNotice::BashOffSandboxUnavailable {
            cause: "user namespaces are disabled".into(),
            fix: "enable them".into(),
        }]
    );
}

#[test]
fn bash_is_off_when_deny_rules_hide_paths_whatever_the_sandbox_choice() {
    let env = env();
    let config = Config {
        rules: vec![hiding_rule(&env.root)],
        ..Config::default()
    };
    let factory = factory_with(&env, config, ready());
    for sandbox in [SandboxChoice::Auto, SandboxChoice::None] {
        let (names, notices) = built(
            &factory,
            &spec(&[&env.folder], PermissionMode::Auto),
            sandbox,
        );
        assert!(!names.iter().any(|n| n == "Bash"), "{names:?}");
        assert_eq!(notices, vec![SetupNotice::BashOffForHiddenPaths]);
    }
}

#[test]
fn a_plan_task_gets_no_bash_no_writing_tool_and_no_notice() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let (names, notices) = built(
        &factory,
        &spec(&[&env.folder], PermissionMode::Plan),
        SandboxChoice::None,
    );
    assert!(
        !names.iter().any(|n| n == "Bash" || n == "Write"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "Read"), "{names:?}");
    assert_eq!(notices, vec![]);
}

#[tokio::test]
async fn a_task_without_a_folder_starts_with_the_no_folder_notice_and_no_file_tool() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let started = factory
        .start(TaskRequest {
            spec: spec(&[], PermissionMode::Ask),
            setup: setup(SandboxChoice::Auto),
            model: Some(done()),
        })
        .unwrap();
    assert!(
        started.notices.contains(&SetupNotice::NoFolder),
        "{:?}",
        started.notices
    );
    let (names, _) = built(
        &factory,
        &spec(&[], PermissionMode::Ask),
        SandboxChoice::Auto,
    );
    assert!(!names.iter().any(|n| n == "Read"), "{names:?}");
    let events = events(started).await;
    assert!(matches!(
        events.last(),
        Some(Event::StatusChanged {
            status: TaskStatus::Completed,
            ..
        })
    ));
}

#[tokio::test]
async fn a_task_built_from_its_spec_records_the_models_reported_name() {
    let env = env();
    let path = env.root.join("script.json");
    std::fs::write(&path, r#"{"turns":[{"text":"done"}]}"#).unwrap();
    let mut spec = spec(&[&env.folder], PermissionMode::Ask);
    spec.model.script = Some(path);
    let factory = factory_with(&env, Config::default(), unavailable());
    let started = factory
        .start(TaskRequest {
            spec,
            setup: setup(SandboxChoice::Auto),
            model: None,
        })
        .unwrap();
    assert_eq!(started.spec.model.model, "script");
    let id = started.handle.id().clone();
    events(started).await;
    assert_eq!(
        env.store.task(id.as_str()).unwrap().spec.model.model,
        "script"
    );
}

#[test]
fn an_invalid_network_allowlist_is_a_typed_error_and_records_no_task() {
    let env = env();
    let factory = factory_with(&env, Config::default(), ready());
    let mut setup = setup(SandboxChoice::Auto);
    setup.allow_net = Some("http://not a domain/".into());
    let err = factory
        .start(TaskRequest {
            spec: spec(&[&env.folder], PermissionMode::Ask),
            setup,
            model: Some(done()),
        })
        .unwrap_err();
    assert!(matches!(err, FactoryError::AllowNet(_)), "{err:?}");
    assert!(env.store.list_tasks(10).unwrap().is_empty());
}

#[tokio::test]
async fn a_task_over_a_folder_holding_the_data_dir_cannot_read_cowork_s_own_files() {
    let env = env();
    std::fs::write(env.root.join("data/secret.txt"), "cowork's own").unwrap();
    let factory = factory_with(&env, Config::default(), unavailable());
    let model = script(serde_json::json!({"turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "data/secret.txt"}}]},
        {"text": "done"}
    ]}));
    let started = factory
        .start(TaskRequest {
            spec: spec(&[&env.root], PermissionMode::Auto),
            setup: setup(SandboxChoice::Auto),
            model: Some(model),
        })
        .unwrap();
    let events = events(started).await;
    let read = events
        .iter()
        .find_map(|e| match e {
            Event::ToolCallFinished {
                content, is_error, ..
            } => Some((content.clone(), *is_error)),
            _ => None,
        })
        .unwrap();
    assert!(read.1, "reading the data dir must fail: {}", read.0);
    assert!(!read.0.contains("cowork's own"), "{}", read.0);
}

fn write_twice_model() -> Arc<dyn Model> {
    script(serde_json::json!({"turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "a.txt", "content": "new"}}]},
        {"text": "done"}
    ]}))
}

#[tokio::test]
async fn a_resumed_task_reports_its_previous_status_and_goes_on() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let mut ask = setup(SandboxChoice::Auto);
    ask.approver = Approver::Person;
    let mut started = factory
        .start(TaskRequest {
            spec: spec(&[&env.folder], PermissionMode::Ask),
            setup: ask,
            model: Some(write_twice_model()),
        })
        .unwrap();
    let id = started.handle.id().clone();
    // Cancelled while it waits for a person: a status resume continues.
    while let Some(event) = started.handle.next_event().await {
        if matches!(event.event, Event::ApprovalRequested { .. }) {
            started.handle.submit(cowork_protocol::Op::Cancel);
        }
    }
    started.handle.join().await;
    assert_eq!(
        env.store.task(id.as_str()).unwrap().status,
        TaskStatus::Cancelled
    );
    let resumed = factory
        .resume(id.as_str(), setup(SandboxChoice::Auto), Some(done()))
        .unwrap();
    assert_eq!(resumed.previous, Some(TaskStatus::Cancelled));
    assert_eq!(resumed.spec.prompt, "do it");
    events(resumed).await;
    assert_eq!(
        env.store.task(id.as_str()).unwrap().status,
        TaskStatus::Completed
    );
}

#[tokio::test]
async fn undo_plans_then_restores_and_records_what_it_did() {
    let env = env();
    std::fs::write(env.folder.join("a.txt"), "old").unwrap();
    let factory = factory_with(&env, Config::default(), unavailable());
    let started = factory
        .start(TaskRequest {
            spec: spec(&[&env.folder], PermissionMode::Auto),
            setup: setup(SandboxChoice::Auto),
            model: Some(write_twice_model()),
        })
        .unwrap();
    let id = started.handle.id().clone();
    events(started).await;
    assert_eq!(
        std::fs::read_to_string(env.folder.join("a.txt")).unwrap(),
        "new"
    );

    let plan = factory
        .undo(
            id.as_str(),
            UndoRequest {
                dry_run: true,
                force: false,
            },
        )
        .unwrap();
    assert_eq!(plan.outcome, UndoOutcome::DryRun);
    assert_eq!(plan.steps.len(), 1, "{:?}", plan.steps);
    assert_eq!(
        std::fs::read_to_string(env.folder.join("a.txt")).unwrap(),
        "new"
    );

    // A page or terminal watching the task sees the undo as it happens,
    // not only after it reconnects (regression: it was stored unpublished).
    let after = env.store.events(&id).unwrap().len() as u64;
    let mut watcher = factory.hub().subscribe(&id, after).unwrap();
    let done = factory.undo(id.as_str(), UndoRequest::default()).unwrap();
    assert_eq!(
        done.outcome,
        UndoOutcome::Applied {
            restored: 1,
            skipped: 0,
            forced: 0
        }
    );
    assert_eq!(
        std::fs::read_to_string(env.folder.join("a.txt")).unwrap(),
        "old"
    );
    let live = tokio::time::timeout(Duration::from_secs(5), watcher.next())
        .await
        .expect("the undo is published")
        .unwrap();
    assert!(
        matches!(live.event, Event::Undone { restored: 1, .. }),
        "{live:?}"
    );
    let logged = env.store.events(&id).unwrap();
    assert_eq!(logged.last().map(|e| e.seq), Some(live.seq));
}

#[tokio::test]
async fn undo_refuses_over_later_edits_unless_forced() {
    let env = env();
    std::fs::write(env.folder.join("a.txt"), "old").unwrap();
    let factory = factory_with(&env, Config::default(), unavailable());
    let started = factory
        .start(TaskRequest {
            spec: spec(&[&env.folder], PermissionMode::Auto),
            setup: setup(SandboxChoice::Auto),
            model: Some(write_twice_model()),
        })
        .unwrap();
    let id = started.handle.id().clone();
    events(started).await;
    std::fs::write(env.folder.join("a.txt"), "edited later").unwrap();

    let refused = factory.undo(id.as_str(), UndoRequest::default()).unwrap();
    assert_eq!(refused.outcome, UndoOutcome::RefusedForConflicts);
    assert_eq!(refused.conflicts.len(), 1);
    assert_eq!(
        std::fs::read_to_string(env.folder.join("a.txt")).unwrap(),
        "edited later"
    );
    let forced = factory
        .undo(
            id.as_str(),
            UndoRequest {
                dry_run: false,
                force: true,
            },
        )
        .unwrap();
    assert!(
        matches!(forced.outcome, UndoOutcome::Applied { forced: 1, .. }),
        "{forced:?}"
    );
    assert_eq!(
        std::fs::read_to_string(env.folder.join("a.txt")).unwrap(),
        "old"
    );
}

#[test]
fn undo_refuses_a_task_a_live_process_still_runs_naming_no_cli_control() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let id = TaskId::new();
    env.store
        .create_task(
            &id,
            &spec(&[&env.folder], PermissionMode::Ask),
            &Owner::current().unwrap(),
        )
        .unwrap();
    let err = factory
        .undo(id.as_str(), UndoRequest::default())
        .unwrap_err();
    assert!(matches!(err, FactoryError::StillRunning { .. }), "{err:?}");
    assert!(!err.to_string().contains("Ctrl-C"), "{err}");
}

#[test]
fn undo_of_a_task_that_changed_nothing_says_so() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let id = TaskId::new();
    env.store
        .create_task(
            &id,
            &spec(&[&env.folder], PermissionMode::Ask),
            &Owner::current().unwrap(),
        )
        .unwrap();
    env.store
        .append(
            &id,
            &Event::StatusChanged {
                status: TaskStatus::Completed,
                reason: None,
                end: None,
            },
        )
        .unwrap();
    let report = factory.undo(id.as_str(), UndoRequest::default()).unwrap();
    assert_eq!(report.outcome, UndoOutcome::NothingToUndo);
}

#[tokio::test]
async fn a_finished_task_continues_with_a_message_in_the_same_transcript() {
    let env = env();
    let factory = factory_with(&env, Config::default(), unavailable());
    let started = factory
        .start(TaskRequest {
            spec: spec(&[&env.folder], PermissionMode::Ask),
            setup: setup(SandboxChoice::Auto),
            model: Some(done()),
        })
        .unwrap();
    let id = started.handle.id().clone();
    events(started).await;
    let continued = factory
        .continue_task(
            id.as_str(),
            "and one more thing".into(),
            setup(SandboxChoice::Auto),
            Some(done()),
        )
        .unwrap();
    assert_eq!(continued.previous, Some(TaskStatus::Completed));
    events(continued).await;
    let logged = env.store.events(&id).unwrap();
    assert!(
        logged.iter().any(
            |e| matches!(&e.event, Event::UserMessage { text } if text == "and one more thing")
        )
    );
    assert_eq!(
        env.store.task(id.as_str()).unwrap().status,
        TaskStatus::Completed
    );
}

#[path = "factory_ext_tests.rs"]
mod extensions;
