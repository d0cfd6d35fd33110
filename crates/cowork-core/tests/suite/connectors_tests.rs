//! Connectors (MCP servers) in a task: their tools offered after the
//! built-in ones, asked for like any external action, replaced when the
//! servers' lists change, statuses recorded, servers stopped however the
//! task ends.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::json;

use cowork_core::{Approver, CallContext, Tool, ToolFailure};
use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{ConnectorStatus, Effect, Event, Op, PermissionMode, TaskStatus, ToolSpec};

use super::ext_harness::*;
use super::harness::{final_status, tool_results};

fn slack() -> Arc<FakeConnectors> {
    FakeConnectors::new(vec![(
        Some(vec![mcp_tool("mcp__slack__post", false)]),
        vec![("slack".to_owned(), ConnectorStatus::Connected { tools: 1 })],
    )])
}

fn post_then_done() -> serde_json::Value {
    json!({"turns": [
        {"tool_calls": [{"name": "mcp__slack__post", "input": {"text": "hi"}}]},
        {"text": "done"}
    ]})
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

fn allow(rule: impl FnOnce(&mut Rule)) -> Rule {
    let mut r = Rule {
        action: RuleAction::Allow,
        tool: None,
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: None,
    };
    rule(&mut r);
    r
}

#[tokio::test]
async fn connector_tools_are_offered_after_the_built_ins_and_asked_for_in_ask_and_auto_mode() {
    for mode in [PermissionMode::Ask, PermissionMode::Auto] {
        let env = env();
        let connectors = slack();
        let source = Source {
            connectors: Some(Arc::clone(&connectors)),
            ..Source::default()
        };
        let model = Recording::new(post_then_done());
        let started = env
            .factory(source, vec![])
            .start(request(
                env.spec("post", mode),
                model.clone(),
                Approver::AssumeYes,
            ))
            .unwrap();
        let id = started.handle.id().clone();
        let events = events_of(started).await;
        assert_eq!(final_status(&events).0, TaskStatus::Completed, "{mode:?}");
        assert_eq!(decisions(&events), ["assume_yes"], "asked in {mode:?}");
        let results = tool_results(&events);
        assert_eq!(results[0].1, "mcp__slack__post ran");

        let names: Vec<String> = model.requests()[0]
            .tools
            .iter()
            .map(|t| t.name.clone())
            .collect();
        assert_eq!(names.last().map(String::as_str), Some("mcp__slack__post"));
        assert_eq!(names[0], "Read", "built-ins first: {names:?}");

        let stored: Vec<Event> = env
            .store
            .events(&id)
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert!(stored.contains(&Event::Connector {
            server: "slack".to_owned(),
            status: ConnectorStatus::Connected { tools: 1 },
        }));
        assert_eq!(connectors.polls.load(Ordering::SeqCst), 2, "once per turn");
        assert_eq!(connectors.shutdowns.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn nobody_answering_refuses_a_connector_call() {
    let env = env();
    let source = Source {
        connectors: Some(slack()),
        ..Source::default()
    };
    let model = Recording::new(post_then_done());
    let started = env
        .factory(source, vec![])
        .start(request(
            env.spec("post", PermissionMode::Auto),
            model,
            Approver::Nobody,
        ))
        .unwrap();
    let results = tool_results(&events_of(started).await);
    assert!(results[0].2 && results[0].1.contains("needs the user's approval"));
}

#[tokio::test]
async fn an_allow_rule_naming_the_server_or_a_tool_glob_lets_its_tools_run_unasked() {
    for rule in [
        allow(|r| r.server = Some("slack".to_owned())),
        allow(|r| r.tool = Some("mcp__SLACK__*".to_owned())),
        allow(|r| r.tool = Some("mcp__*".to_owned())),
    ] {
        let env = env();
        let source = Source {
            connectors: Some(slack()),
            ..Source::default()
        };
        let model = Recording::new(post_then_done());
        let started = env
            .factory(source, vec![rule.clone()])
            .start(request(
                env.spec("post", PermissionMode::Ask),
                model,
                Approver::Nobody,
            ))
            .unwrap();
        let events = events_of(started).await;
        assert!(decisions(&events).is_empty(), "{rule:?}");
        assert_eq!(tool_results(&events)[0].1, "mcp__slack__post ran");
    }
}

#[tokio::test]
async fn a_read_only_hint_is_trusted_only_by_a_rule_that_says_so() {
    let run = |rules: Vec<Rule>| async move {
        let env = env();
        let connectors = FakeConnectors::new(vec![(
            Some(vec![
                mcp_tool("mcp__notion__search", true),
                mcp_tool("mcp__notion__write", false),
            ]),
            vec![],
        )]);
        let source = Source {
            connectors: Some(connectors),
            ..Source::default()
        };
        let model = Recording::new(json!({"turns": [
            {"tool_calls": [{"name": "mcp__notion__search", "input": {}}]},
            {"tool_calls": [{"name": "mcp__notion__write", "input": {}}]},
            {"text": "done"}
        ]}));
        let started = env
            .factory(source, rules)
            .start(request(
                env.spec("find", PermissionMode::Auto),
                model,
                Approver::Nobody,
            ))
            .unwrap();
        tool_results(&events_of(started).await)
            .into_iter()
            .map(|(_, _, is_error)| !is_error)
            .collect::<Vec<bool>>()
    };
    assert_eq!(run(vec![]).await, [false, false], "no rule: both asked");
    let trusting = allow(|r| {
        r.server = Some("notion".to_owned());
        r.trust_read_only_hint = true;
    });
    assert_eq!(
        run(vec![trusting]).await,
        [true, false],
        "only the tool claiming to read runs unasked"
    );
}

#[tokio::test]
async fn tools_are_replaced_when_the_list_changes_and_a_vanished_tool_cannot_be_called() {
    let env = env();
    let connectors = FakeConnectors::new(vec![
        (Some(vec![mcp_tool("mcp__s__old", false)]), vec![]),
        (
            Some(vec![mcp_tool("mcp__s__new", false)]),
            vec![(
                "s".to_owned(),
                ConnectorStatus::Restarting {
                    error: "crashed".into(),
                    attempt: 1,
                },
            )],
        ),
    ]);
    let source = Source {
        connectors: Some(Arc::clone(&connectors)),
        ..Source::default()
    };
    let model = Recording::new(json!({"turns": [
        {"tool_calls": [{"name": "mcp__s__old", "input": {}}]},
        {"tool_calls": [{"name": "mcp__s__old", "input": {}}]},
        {"text": "done"}
    ]}));
    let factory = env.factory(source, vec![allow(|r| r.server = Some("s".to_owned()))]);
    let started = factory
        .start(request(
            env.spec("go", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let events = events_of(started).await;
    let offered = |turn: usize| -> Vec<String> {
        model.requests()[turn]
            .tools
            .iter()
            .filter(|t| t.name.starts_with("mcp__"))
            .map(|t| t.name.clone())
            .collect()
    };
    assert_eq!(offered(0), ["mcp__s__old"]);
    assert_eq!(offered(1), ["mcp__s__new"]);
    let results = tool_results(&events);
    assert_eq!(results[0].1, "mcp__s__old ran");
    assert!(
        results[1].2 && results[1].1.contains("There is no tool named mcp__s__old"),
        "{results:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Connector {
            status: ConnectorStatus::Restarting { attempt: 1, .. },
            ..
        }
    )));
}

struct Boom(ToolSpec);

impl Tool for Boom {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }

    fn call(
        &self,
        _input: serde_json::Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        Box::pin(async { panic!("the server's adapter blew up") })
    }
}

#[tokio::test]
async fn the_servers_are_stopped_when_the_task_fails_is_cancelled_or_panics() {
    // Fails: the model has no answer.
    let failed = env();
    let connectors = slack();
    let source = Source {
        connectors: Some(Arc::clone(&connectors)),
        ..Source::default()
    };
    let started = failed
        .factory(source, vec![])
        .start(request(
            failed.spec("x", PermissionMode::Auto),
            Recording::new(json!({"turns": []})),
            Approver::Nobody,
        ))
        .unwrap();
    assert_eq!(
        final_status(&events_of(started).await).0,
        TaskStatus::Failed
    );
    assert_eq!(connectors.shutdowns.load(Ordering::SeqCst), 1);

    // Cancelled while connecting: the poll does not hold the task up.
    let cancelled = env();
    let connectors = Arc::new(FakeConnectors {
        poll_delay: Some(Duration::from_secs(60)),
        ..FakeConnectors::default()
    });
    let source = Source {
        connectors: Some(Arc::clone(&connectors)),
        ..Source::default()
    };
    let started = cancelled
        .factory(source, vec![])
        .start(request(
            cancelled.spec("x", PermissionMode::Auto),
            Recording::new(json!({"turns": [{"text": "done"}]})),
            Approver::Nobody,
        ))
        .unwrap();
    let ops = started.handle.op_sender();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = ops.send(Op::Cancel);
    });
    assert_eq!(
        final_status(&events_of(started).await).0,
        TaskStatus::Cancelled
    );
    assert_eq!(connectors.shutdowns.load(Ordering::SeqCst), 1);

    // Panics in a connector's tool.
    let panicked = env();
    let boom: Arc<dyn Tool> = Arc::new(Boom(ToolSpec {
        name: "mcp__x__boom".into(),
        description: "boom".into(),
        input_schema: json!({"type": "object"}),
        effect: Effect::External,
    }));
    let connectors = FakeConnectors::new(vec![(Some(vec![boom]), vec![])]);
    let source = Source {
        connectors: Some(Arc::clone(&connectors)),
        ..Source::default()
    };
    let started = panicked
        .factory(source, vec![])
        .start(request(
            panicked.spec("x", PermissionMode::Auto),
            Recording::new(json!({"turns": [
                {"tool_calls": [{"name": "mcp__x__boom", "input": {}}]}
            ]})),
            Approver::AssumeYes,
        ))
        .unwrap();
    let (status, reason) = final_status(&events_of(started).await);
    assert_eq!(status, TaskStatus::Failed);
    assert!(reason.unwrap().contains("blew up"));
    assert_eq!(connectors.shutdowns.load(Ordering::SeqCst), 1);
}
