//! Hooks at each point of the loop, with a test double of `Hooks`: what
//! they decide, what the model is told, what the log keeps.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use cowork_core::{Approver, HookEvent, HookOutcome, HookPermission, RunSetup, SandboxChoice};
use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{ContentBlock, Event, Op, PermissionMode, TaskStatus};

use super::ext_harness::*;
use super::harness::{final_status, tool_results};

fn with_hooks(hooks: &Arc<FakeHooks>) -> Source {
    Source {
        hooks: Some(Arc::clone(hooks)),
        ..Source::default()
    }
}

fn decisions(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ApprovalDecided { by, .. } => Some(by.clone()),
            _ => None,
        })
        .collect()
}

fn pre_tool(permission: HookPermission) -> Arc<FakeHooks> {
    FakeHooks::new(move |event| match event {
        HookEvent::PreToolUse { .. } => HookOutcome {
            permission: Some(permission.clone()),
            ..HookOutcome::default()
        },
        _ => HookOutcome::default(),
    })
}

fn write_then_done() -> serde_json::Value {
    json!({"turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "out.txt", "content": "x"}}]},
        {"text": "done"}
    ]})
}

fn deny_writes() -> Rule {
    Rule {
        action: RuleAction::Deny,
        tool: Some("Write".to_owned()),
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: None,
    }
}

async fn run(
    env: &Env,
    source: Source,
    rules: Vec<Rule>,
    mode: PermissionMode,
    approver: Approver,
    script: serde_json::Value,
) -> (Vec<Event>, Arc<Recording>) {
    let model = Recording::new(script);
    let started = env
        .factory(source, rules)
        .start(request(env.spec("do it", mode), model.clone(), approver))
        .unwrap();
    (events_of(started).await, model)
}

#[tokio::test]
async fn a_pre_tool_use_deny_refuses_the_call_and_the_model_hears_the_reason() {
    let env = env();
    std::fs::write(env.folder.join("a.txt"), "A").unwrap();
    let hooks = pre_tool(HookPermission::Deny {
        reason: "reading a.txt is off limits".into(),
    });
    let (events, model) = run(
        &env,
        with_hooks(&hooks),
        vec![],
        PermissionMode::Auto,
        Approver::AssumeYes,
        json!({"turns": [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
            {"text": "done"}
        ]}),
    )
    .await;
    assert_eq!(decisions(&events), ["hook"]);
    let result = &tool_results(&events)[0];
    assert!(result.2 && result.1.contains("reading a.txt is off limits"));
    let sent = &model.requests()[1].messages[2].content[0];
    assert!(
        matches!(sent, ContentBlock::ToolResult { content, is_error: true, .. } if content.contains("off limits"))
    );
    let heard = hooks.heard();
    assert!(heard.iter().any(|e| matches!(
        e,
        HookEvent::PreToolUse { tool, input, .. } if tool == "Read" && input["file_path"] == "a.txt"
    )));
}

#[tokio::test]
async fn a_pre_tool_use_ask_asks_where_the_mode_would_allow_but_a_deny_rule_still_wins() {
    let ask = || {
        pre_tool(HookPermission::Ask {
            reason: "check first".into(),
        })
    };
    // Auto mode would write in the folder without asking.
    let env1 = env();
    let (events, _) = run(
        &env1,
        with_hooks(&ask()),
        vec![],
        PermissionMode::Auto,
        Approver::Nobody,
        write_then_done(),
    )
    .await;
    assert_eq!(decisions(&events), ["nobody"]);
    assert!(!env1.folder.join("out.txt").exists());

    let env2 = env();
    let (events, _) = run(
        &env2,
        with_hooks(&ask()),
        vec![deny_writes()],
        PermissionMode::Auto,
        Approver::AssumeYes,
        write_then_done(),
    )
    .await;
    assert_eq!(decisions(&events), ["rule 1 in config.toml"]);
    assert!(!env2.folder.join("out.txt").exists());
}

#[tokio::test]
async fn a_pre_tool_use_allow_skips_a_question_but_never_a_deny_rule() {
    let env1 = env();
    let (events, _) = run(
        &env1,
        with_hooks(&pre_tool(HookPermission::Allow)),
        vec![],
        PermissionMode::Ask,
        Approver::Nobody,
        write_then_done(),
    )
    .await;
    assert!(decisions(&events).is_empty(), "not asked");
    assert!(env1.folder.join("out.txt").exists());

    let env2 = env();
    let (events, _) = run(
        &env2,
        with_hooks(&pre_tool(HookPermission::Allow)),
        vec![deny_writes()],
        PermissionMode::Auto,
        Approver::AssumeYes,
        write_then_done(),
    )
    .await;
    assert_eq!(decisions(&events), ["rule 1 in config.toml"]);
    assert!(!env2.folder.join("out.txt").exists());
}

#[tokio::test]
async fn a_post_tool_use_block_and_context_are_added_to_the_result_the_model_sees_and_the_log_keeps()
 {
    let env = env();
    std::fs::write(env.folder.join("a.txt"), "A-CONTENT").unwrap();
    let hooks = FakeHooks::new(|event| match event {
        HookEvent::PostToolUse { response, .. } if response.contains("A-CONTENT") => HookOutcome {
            block: Some("this file is stale".into()),
            context: vec!["see b.txt instead".into()],
            ..HookOutcome::default()
        },
        _ => HookOutcome::default(),
    });
    let (events, model) = run(
        &env,
        with_hooks(&hooks),
        vec![],
        PermissionMode::Auto,
        Approver::Nobody,
        json!({"turns": [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
            {"text": "done"}
        ]}),
    )
    .await;
    let result = &tool_results(&events)[0];
    assert!(
        result.1.contains("A-CONTENT")
            && result.1.contains("this file is stale")
            && result.1.contains("see b.txt instead"),
        "{result:?}"
    );
    let ContentBlock::ToolResult { content, .. } = &model.requests()[1].messages[2].content[0]
    else {
        panic!("a tool result");
    };
    assert_eq!(content, &result.1);
}

#[tokio::test]
async fn a_stop_hook_makes_the_model_go_on_at_most_three_times_in_a_row() {
    let env = env();
    let hooks = FakeHooks::new(|event| match event {
        HookEvent::Stop { .. } => HookOutcome {
            block: Some("the tests are not run yet".into()),
            ..HookOutcome::default()
        },
        _ => HookOutcome::default(),
    });
    let (events, model) = run(
        &env,
        with_hooks(&hooks),
        vec![],
        PermissionMode::Auto,
        Approver::Nobody,
        json!({"turns": [
            {"text": "done 1"}, {"text": "done 2"}, {"text": "done 3"}, {"text": "done 4"},
            {"text": "never reached"}
        ]}),
    )
    .await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(model.requests().len(), 4);
    let active: Vec<bool> = hooks
        .heard()
        .iter()
        .filter_map(|e| match e {
            HookEvent::Stop { active, .. } => Some(*active),
            _ => None,
        })
        .collect();
    assert_eq!(active, [false, true, true, true]);
    let last = model.requests()[1].messages.last().cloned().unwrap();
    assert!(
        matches!(&last.content[0], ContentBlock::Text { text } if text.contains("the tests are not run yet"))
    );
    let warnings = warnings(&events);
    assert!(
        warnings
            .iter()
            .any(|(s, m)| s == "hook Stop" && m.contains("more than 3 times")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_user_prompt_submit_block_ends_the_task_before_any_model_call() {
    let env = env();
    let hooks = FakeHooks::new(|event| match event {
        HookEvent::UserPromptSubmit { .. } => HookOutcome {
            block: Some("prompts may not name clients".into()),
            ..HookOutcome::default()
        },
        _ => HookOutcome::default(),
    });
    let (events, model) = run(
        &env,
        with_hooks(&hooks),
        vec![],
        PermissionMode::Auto,
        Approver::Nobody,
        json!({"turns": [{"text": "done"}]}),
    )
    .await;
    let (status, reason) = final_status(&events);
    assert_eq!(status, TaskStatus::Failed);
    assert!(reason.unwrap().contains("prompts may not name clients"));
    assert!(model.requests().is_empty());
    assert!(
        warnings(&events)
            .iter()
            .any(|(s, _)| s == "hook UserPromptSubmit")
    );
}

#[tokio::test]
async fn a_later_message_refused_by_a_hook_never_reaches_the_model() {
    let env = env();
    let hooks = FakeHooks::new(|event| match event {
        HookEvent::UserPromptSubmit { prompt } if prompt.contains("password") => HookOutcome {
            block: Some("no secrets".into()),
            ..HookOutcome::default()
        },
        _ => HookOutcome::default(),
    });
    let factory = env.factory(with_hooks(&hooks), vec![]);
    let first = Recording::new(json!({"turns": [{"text": "done"}]}));
    let started = factory
        .start(request(
            env.spec("hello", PermissionMode::Auto),
            first,
            Approver::Nobody,
        ))
        .unwrap();
    let id = started.handle.id().clone();
    events_of(started).await;
    let second = Recording::new(json!({"turns": [{"text": "done"}]}));
    let continued = factory
        .continue_task(
            id.as_str(),
            "my password is hunter2".into(),
            RunSetup {
                sandbox: SandboxChoice::Auto,
                allow_net: None,
                approver: Approver::Nobody,
            },
            Some(second.clone()),
        )
        .unwrap();
    let events = events_of(continued).await;
    assert!(second.requests().is_empty());
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, Event::UserMessage { text } if text.contains("hunter2")))
    );
    assert!(
        warnings(&events)
            .iter()
            .any(|(s, m)| s == "hook UserPromptSubmit" && m.contains("no secrets"))
    );
}

#[tokio::test]
async fn session_start_context_reaches_the_model_as_framed_data_and_survives_a_resume() {
    let env = env();
    let hooks = FakeHooks::new(|event| match event {
        HookEvent::SessionStart { source } => HookOutcome {
            context: vec![format!("sprint 42 ({source})")],
            reports: vec!["hook printed a systemMessage".into()],
            ..HookOutcome::default()
        },
        _ => HookOutcome::default(),
    });
    let factory = env.factory(with_hooks(&hooks), vec![]);
    let model = Recording::new(json!({"turns": []}));
    let started = factory
        .start(request(
            env.spec("plan the sprint", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let id = started.handle.id().clone();
    let events = events_of(started).await;
    let texts = first_user_texts(&model.requests()[0]);
    assert_eq!(texts[0], "plan the sprint");
    assert!(
        texts[1].starts_with("Output of a SessionStart hook")
            && texts[1].ends_with("sprint 42 (startup)"),
        "{texts:?}"
    );
    assert!(
        warnings(&events)
            .iter()
            .any(|(s, m)| s == "hook SessionStart" && m == "hook printed a systemMessage")
    );

    // The first run failed (no scripted turn); the resumed run sends the
    // same first message, plus what the hook says on resume.
    let resumed_model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let resumed = factory
        .resume(
            id.as_str(),
            RunSetup {
                sandbox: SandboxChoice::Auto,
                allow_net: None,
                approver: Approver::Nobody,
            },
            Some(resumed_model.clone()),
        )
        .unwrap();
    events_of(resumed).await;
    let texts = first_user_texts(&resumed_model.requests()[0]);
    assert_eq!(texts[0], "plan the sprint");
    assert!(texts[1].ends_with("sprint 42 (startup)"), "{texts:?}");
    assert!(texts[2].ends_with("sprint 42 (resume)"), "{texts:?}");
}

#[tokio::test]
async fn a_slow_hook_does_not_keep_a_cancelled_task_waiting() {
    let env = env();
    let hooks = Arc::new(FakeHooks {
        delay: Some(Duration::from_secs(60)),
        ..Arc::into_inner(FakeHooks::new(|_| HookOutcome::default())).unwrap()
    });
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let started = env
        .factory(with_hooks(&hooks), vec![])
        .start(request(
            env.spec("x", PermissionMode::Auto),
            model,
            Approver::Nobody,
        ))
        .unwrap();
    let ops = started.handle.op_sender();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        ops.send(Op::Cancel);
    });
    assert_eq!(
        final_status(&events_of(started).await).0,
        TaskStatus::Cancelled
    );
}

#[tokio::test]
async fn events_nobody_listens_to_are_not_run() {
    let env = env();
    let hooks = Arc::new(FakeHooks {
        listens_to: Some(vec!["Stop"]),
        ..Arc::into_inner(FakeHooks::new(|_| HookOutcome::default())).unwrap()
    });
    std::fs::write(env.folder.join("a.txt"), "A").unwrap();
    run(
        &env,
        with_hooks(&hooks),
        vec![],
        PermissionMode::Auto,
        Approver::Nobody,
        json!({"turns": [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
            {"text": "done"}
        ]}),
    )
    .await;
    let kinds: Vec<&str> = hooks.heard().iter().map(kind).collect();
    assert_eq!(kinds, ["Stop"]);
}

#[tokio::test]
async fn a_post_tool_use_hook_hears_the_result_as_the_model_will_see_it_not_all_of_it() {
    let env = env();
    let line = "x".repeat(99) + "\n";
    std::fs::write(env.folder.join("big.txt"), line.repeat(2_000)).unwrap();
    let hooks = FakeHooks::new(|_| HookOutcome::default());
    run(
        &env,
        with_hooks(&hooks),
        vec![],
        PermissionMode::Auto,
        Approver::Nobody,
        json!({"turns": [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "big.txt"}}]},
            {"text": "done"}
        ]}),
    )
    .await;
    let response = hooks
        .heard()
        .into_iter()
        .find_map(|e| match e {
            HookEvent::PostToolUse { response, .. } => Some(response),
            _ => None,
        })
        .expect("the hook heard the call");
    assert!(response.len() < 40_000, "{}", response.len());
    assert!(response.contains("output truncated"));
}
