//! The MCP client against real servers from npm (server-everything,
//! server-filesystem) over stdio, and against programs that fail in the
//! ways real servers do.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::json;

use cowork_core::{CallContext, Connectors, Tool};
use cowork_plugins::mcp::config::{McpServer, StdioServer};
use cowork_plugins::mcp::{ConnectOptions, InheritedEnv, ResolvedServer, TaskConnectors};
use cowork_protocol::{ConnectorStatus, Effect};

pub fn stdio(command: &str, args: &[&str]) -> ResolvedServer {
    ResolvedServer::new(McpServer::Stdio(StdioServer {
        kind: None,
        command: command.to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: BTreeMap::new(),
    }))
}

/// server-everything over stdio, or `None` (skipped with a note).
pub fn everything() -> Option<ResolvedServer> {
    let entry =
        cowork_test_support::consumers::npm_package("@modelcontextprotocol/server-everything")?;
    Some(stdio("node", &[entry.to_str().unwrap(), "stdio"]))
}

pub fn options() -> ConnectOptions {
    ConnectOptions {
        env: InheritedEnv::from_vars([("PATH", std::env::var_os("PATH").unwrap_or_default())]),
        ..ConnectOptions::default()
    }
}

pub fn ctx() -> CallContext {
    CallContext {
        call_id: "call-1".into(),
        cancel: Arc::new(AtomicBool::new(false)),
    }
}

pub fn find(tools: &[Arc<dyn Tool>], name: &str) -> Arc<dyn Tool> {
    tools
        .iter()
        .find(|t| t.spec().name == name)
        .cloned()
        .unwrap_or_else(|| {
            let names: Vec<_> = tools.iter().map(|t| t.spec().name.clone()).collect();
            panic!("no tool {name} among {names:?}")
        })
}

/// Polls until `server` reports a status matching `done`, or panics after
/// `limit`.
pub async fn wait_for_status(
    connectors: &TaskConnectors,
    server: &str,
    limit: Duration,
    done: impl Fn(&ConnectorStatus) -> bool,
) -> (Vec<ConnectorStatus>, Option<Vec<Arc<dyn Tool>>>) {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut tools = None;
    loop {
        let update = connectors.poll().await;
        if update.tools.is_some() {
            tools = update.tools;
        }
        for (name, status) in update.statuses {
            if name == server {
                seen.push(status);
            }
        }
        if seen.last().is_some_and(&done) {
            return (seen, tools);
        }
        assert!(
            start.elapsed() < limit,
            "{server} never got there: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn connected_everything() -> Option<(TaskConnectors, Vec<Arc<dyn Tool>>)> {
    let server = everything()?;
    let connectors = TaskConnectors::new(vec![("everything".into(), server)], options());
    let update = connectors.poll().await;
    assert!(
        matches!(update.statuses.as_slice(), [(name, ConnectorStatus::Connected { tools })] if name == "everything" && *tools > 5),
        "{:?}",
        update.statuses
    );
    Some((connectors, update.tools.unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_stdio_offers_its_tools_and_echoes() {
    let Some((connectors, tools)) = connected_everything().await else {
        return;
    };
    let echo = find(&tools, "mcp__everything__echo");
    assert_eq!(echo.spec().effect, Effect::External);
    assert!(echo.spec().description.starts_with("[everything] "));
    assert_eq!(echo.spec().input_schema["type"], "object");
    let preview = echo.preview(&json!({"message": "hi"})).await.unwrap();
    assert_eq!(preview.summary, "everything → echo(message: \"hi\")");
    let out = echo.call(json!({"message": "hi"}), ctx()).await.unwrap();
    assert_eq!(out, "Echo: hi");
    let sum = find(&tools, "mcp__everything__get-sum");
    let out = sum.call(json!({"a": 2, "b": 40}), ctx()).await.unwrap();
    assert!(out.contains("42"), "{out}");
    // The server's readOnlyHint is carried, for a rule that trusts it.
    assert!(find(&tools, "mcp__everything__get-env").read_only_hint());
    assert!(!find(&tools, "mcp__everything__gzip-file-as-resource").read_only_hint());
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_result_becomes_a_note_with_its_type_and_size() {
    let Some((connectors, tools)) = connected_everything().await else {
        return;
    };
    let out = find(&tools, "mcp__everything__get-tiny-image")
        .call(json!({}), ctx())
        .await
        .unwrap();
    assert!(out.contains("[image/png, "), "{out}");
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_server_sees_only_the_allowlist_and_its_declared_env() {
    // Regression: a server must not inherit the person's whole
    // environment (API keys in their shell).
    let Some(mut server) = everything() else {
        return;
    };
    if let McpServer::Stdio(s) = &mut server.config {
        s.env.insert("DECLARED".into(), "yes".into());
    }
    let home = tempfile::tempdir().unwrap();
    let options = ConnectOptions {
        env: InheritedEnv::from_vars([
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("HOME", home.path().as_os_str().to_owned()),
            ("SECRET_TOKEN", "hunter2".into()),
        ]),
        ..ConnectOptions::default()
    };
    let connectors = TaskConnectors::new(vec![("everything".into(), server)], options);
    let tools = connectors.poll().await.tools.unwrap();
    let out = find(&tools, "mcp__everything__get-env")
        .call(json!({}), ctx())
        .await
        .unwrap();
    let env: BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
    assert_eq!(env.get("DECLARED").map(String::as_str), Some("yes"));
    assert!(env.contains_key("PATH") && env.contains_key("HOME"));
    assert!(!env.contains_key("SECRET_TOKEN"), "{env:?}");
    // cargo sets these in this test's own environment: a server that
    // inherited it would see them.
    assert!(!env.keys().any(|k| k.starts_with("CARGO")), "{env:?}");
    let allowed = [
        "PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "DECLARED",
    ];
    let unexpected: Vec<_> = env
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_and_prompts_are_listed_and_read() {
    let Some((connectors, tools)) = connected_everything().await else {
        return;
    };
    let list = find(&tools, "mcp__everything__list_resources");
    assert!(list.read_only_hint());
    assert_eq!(list.spec().effect, Effect::External);
    let listed = list.call(json!({}), ctx()).await.unwrap();
    assert!(
        listed.contains("demo://resource/static/document/"),
        "{listed}"
    );
    assert!(
        listed.contains("demo://resource/dynamic/text/{"),
        "{listed}"
    );
    let read = find(&tools, "mcp__everything__read_resource")
        .call(json!({"uri": "demo://resource/dynamic/text/1"}), ctx())
        .await
        .unwrap();
    assert!(!read.is_empty());
    let missing = find(&tools, "mcp__everything__read_resource")
        .call(json!({}), ctx())
        .await
        .unwrap_err();
    assert!(missing.message.contains("`uri` is required"), "{missing}");
    let prompts = find(&tools, "mcp__everything__list_prompts")
        .call(json!({}), ctx())
        .await
        .unwrap();
    assert!(prompts.contains("simple-prompt"), "{prompts}");
    assert!(prompts.contains("args-prompt(city*, state)"), "{prompts}");
    let got = find(&tools, "mcp__everything__get_prompt")
        .call(
            json!({"name": "args-prompt", "arguments": {"city": "Paris"}}),
            ctx(),
        )
        .await
        .unwrap();
    assert!(got.starts_with("user: ") && got.contains("Paris"), "{got}");
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_of_a_long_running_tool_is_kept() {
    let Some((connectors, tools)) = connected_everything().await else {
        return;
    };
    find(&tools, "mcp__everything__trigger-long-running-operation")
        .call(json!({"duration": 1, "steps": 2}), ctx())
        .await
        .unwrap();
    // Notifications are handled beside the call's answer, so the last one
    // may land just after the call returns.
    let connection = connectors.connection("everything").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut progress = connection.last_progress().unwrap_or_default();
    while !progress.starts_with("2/2") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        progress = connection.last_progress().unwrap_or_default();
    }
    assert!(progress.starts_with("2/2"), "{progress}");
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_resource_announced_by_list_changed_is_listed() {
    let Some((connectors, tools)) = connected_everything().await else {
        return;
    };
    let list = find(&tools, "mcp__everything__list_resources");
    // Listed before and after the server adds a resource: the second
    // listing must show the server's list as it is now.
    let before = list.call(json!({}), ctx()).await.unwrap();
    assert!(!before.contains("demo://resource/session/notes.gz"));
    find(&tools, "mcp__everything__gzip-file-as-resource")
        .call(
            json!({"name": "notes.gz", "data": "data:text/plain;base64,aGVsbG8=", "outputType": "resourceLink"}),
            ctx(),
        )
        .await
        .unwrap();
    let after = list.call(json!({}), ctx()).await.unwrap();
    assert!(
        after.contains("demo://resource/session/notes.gz"),
        "{after}"
    );
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tools_list_changed_makes_the_next_poll_offer_the_new_list() {
    let Some((connectors, _tools)) = connected_everything().await else {
        return;
    };
    // server-everything registers its capability-dependent tools after
    // the handshake and announces them with tools/list_changed.
    let start = Instant::now();
    loop {
        let update = connectors.poll().await;
        if let Some(tools) = update.tools {
            assert!(
                tools
                    .iter()
                    .any(|t| t.spec().name == "mcp__everything__echo")
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no tools/list_changed was acted on"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing changed since: the next poll is cheap and offers nothing.
    let quiet = connectors.poll().await;
    assert!(quiet.tools.is_none() && quiet.statuses.is_empty());
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_timeout_fails_and_a_cancelled_one_stops() {
    let Some(server) = everything() else {
        return;
    };
    let options = ConnectOptions {
        call_timeout: Duration::from_millis(700),
        ..options()
    };
    let connectors = TaskConnectors::new(vec![("everything".into(), server)], options);
    let tools = connectors.poll().await.tools.unwrap();
    let slow = find(&tools, "mcp__everything__trigger-long-running-operation");
    let start = Instant::now();
    let failure = slow
        .call(json!({"duration": 10, "steps": 2}), ctx())
        .await
        .unwrap_err();
    assert!(
        failure.message.contains("no answer within 0.7 s"),
        "{failure}"
    );
    assert!(start.elapsed() < Duration::from_secs(3));

    let cancel = ctx();
    let flag = Arc::clone(&cancel.cancel);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let start = Instant::now();
    let failure = slow
        .call(json!({"duration": 10, "steps": 2}), cancel)
        .await
        .unwrap_err();
    assert!(failure.message.contains("cancelled"), "{failure}");
    assert!(start.elapsed() < Duration::from_millis(650));
    // The session survives both.
    let echo = find(&tools, "mcp__everything__echo");
    assert_eq!(
        echo.call(json!({"message": "ok"}), ctx()).await.unwrap(),
        "Echo: ok"
    );
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_filesystem_reads_a_file_in_its_folder() {
    let Some(entry) =
        cowork_test_support::consumers::npm_package("@modelcontextprotocol/server-filesystem")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("hello.txt"), "hello from disk\n").unwrap();
    let server = stdio("node", &[entry.to_str().unwrap(), root.to_str().unwrap()]);
    let connectors = TaskConnectors::new(vec![("fs".into(), server)], options());
    let tools = connectors.poll().await.tools.unwrap();
    let read = tools
        .iter()
        .find(|t| {
            t.spec().name == "mcp__fs__read_text_file" || t.spec().name == "mcp__fs__read_file"
        })
        .cloned()
        .unwrap();
    let path: PathBuf = root.join("hello.txt");
    let out = read
        .call(json!({"path": path.to_str().unwrap()}), ctx())
        .await
        .unwrap();
    assert!(out.contains("hello from disk"), "{out}");
    let outside = read.call(json!({"path": "/etc/hostname"}), ctx()).await;
    assert!(
        outside.is_err(),
        "the server refuses a path outside its folder: {outside:?}"
    );
    connectors.shutdown().await;
}

/// Many calls at once on one session, some answered while a slow one is
/// still running: each gets its own answer, whoever happens to be reading
/// the server's output when it comes.
async fn calls_at_once(
    tools: &[Arc<dyn Tool>],
    echo: &str,
    field: &'static str,
    expect: fn(usize) -> String,
) {
    let echo = find(tools, echo);
    let calls = (0..48).map(|i| {
        let echo = Arc::clone(&echo);
        tokio::spawn(async move {
            let mut input = serde_json::Map::new();
            input.insert(field.to_owned(), json!(format!("message {i}")));
            let ctx = CallContext {
                call_id: format!("call-{i}"),
                cancel: Arc::new(AtomicBool::new(false)),
            };
            echo.call(serde_json::Value::Object(input), ctx).await
        })
    });
    let answers = futures::future::join_all(calls).await;
    for (i, answer) in answers.into_iter().enumerate() {
        assert_eq!(answer.unwrap().unwrap(), expect(i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_each_get_their_own_answer_beside_a_slow_one() {
    let Some((connectors, tools)) = connected_everything().await else {
        return;
    };
    let slow = find(&tools, "mcp__everything__trigger-long-running-operation");
    let slow =
        tokio::spawn(async move { slow.call(json!({"duration": 1, "steps": 2}), ctx()).await });
    let start = Instant::now();
    calls_at_once(&tools, "mcp__everything__echo", "message", |i| {
        format!("Echo: message {i}")
    })
    .await;
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "the echoes waited for the slow call: {:?}",
        start.elapsed()
    );
    let slow = slow.await.unwrap().unwrap();
    assert!(slow.contains("Long running operation completed"), "{slow}");
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_to_a_one_at_a_time_server_each_get_their_own_answer() {
    let Some(mock) = cowork_test_support::consumers::mock_mcp_server() else {
        return;
    };
    let connectors = TaskConnectors::new(
        vec![("mock".into(), stdio(mock.to_str().unwrap(), &[]))],
        options(),
    );
    let tools = connectors.poll().await.tools.unwrap();
    calls_at_once(&tools, "mcp__mock__echo", "text", |i| {
        format!("message {i}")
    })
    .await;
    connectors.shutdown().await;
}
