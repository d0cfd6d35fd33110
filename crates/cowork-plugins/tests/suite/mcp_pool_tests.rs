//! Connections shared by the tasks of one process (the daemon's pool): a
//! server configured alike is started once for tasks that run together or
//! one after the other, and closed once unused for its idle time.

use std::time::{Duration, Instant};

use serde_json::json;

use cowork_core::Connectors;
use cowork_plugins::mcp::{ConnectOptions, ConnectionPool, ResolvedServer, TaskConnectors};
use cowork_protocol::ConnectorStatus;

use super::mcp_failure_tests::{alive, wait_dead};
use super::mcp_tests::{ctx, find, options, stdio, wait_for_status};

fn mock() -> Option<ResolvedServer> {
    let bin = cowork_test_support::consumers::mock_mcp_server()?;
    Some(stdio(bin.to_str().unwrap(), &[]))
}

fn pooled(pool: &ConnectionPool) -> ConnectOptions {
    ConnectOptions {
        pool: Some(pool.clone()),
        restart_backoff: Duration::from_millis(50),
        ..options()
    }
}

fn task(server: &ResolvedServer, pool: &ConnectionPool) -> TaskConnectors {
    TaskConnectors::new(vec![("mock".into(), server.clone())], pooled(pool))
}

fn pid_of(connectors: &TaskConnectors) -> u32 {
    connectors.process_ids().pop().unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_together_and_one_after_another_share_one_server_process() {
    let Some(server) = mock() else {
        return;
    };
    let pool = ConnectionPool::new(Duration::from_secs(60));
    let (first, second) = (task(&server, &pool), task(&server, &pool));
    // Started together: one process.
    let (a, b) = tokio::join!(first.poll(), second.poll());
    assert!(a.tools.is_some() && b.tools.is_some());
    let pid = pid_of(&first);
    assert_eq!(pid_of(&second), pid);
    assert_eq!(pool.open_connections(), 1);
    // The first ends; the second goes on with the same process.
    first.shutdown().await;
    assert!(alive(pid));
    let echo = find(&b.tools.unwrap(), "mcp__mock__echo");
    assert_eq!(
        echo.call(json!({"text": "still here"}), ctx())
            .await
            .unwrap(),
        "still here"
    );
    second.shutdown().await;
    // Unused but within its idle time: the next task finds it up.
    assert!(alive(pid));
    let third = task(&server, &pool);
    third.poll().await;
    assert_eq!(pid_of(&third), pid);
    third.shutdown().await;
    pool.close_idle().await;
    wait_dead(pid).await;
    assert_eq!(pool.open_connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_connection_is_closed_after_its_idle_time() {
    let Some(server) = mock() else {
        return;
    };
    let pool = ConnectionPool::new(Duration::from_millis(300));
    let connectors = task(&server, &pool);
    connectors.poll().await;
    let pid = pid_of(&connectors);
    connectors.shutdown().await;
    let ended = Instant::now();
    wait_dead(pid).await;
    assert!(
        ended.elapsed() >= Duration::from_millis(250),
        "closed before its idle time: {:?}",
        ended.elapsed()
    );
    assert_eq!(pool.open_connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differently_configured_servers_of_one_name_are_not_shared() {
    let Some(server) = mock() else {
        return;
    };
    let pool = ConnectionPool::new(Duration::from_secs(60));
    let mut other = server.clone();
    if let cowork_plugins::mcp::config::McpServer::Stdio(stdio) = &mut other.config {
        stdio
            .env
            .insert("MOCK_MCP_RECORD".into(), "/dev/null".into());
    }
    let (first, second) = (task(&server, &pool), task(&other, &pool));
    tokio::join!(first.poll(), second.poll());
    assert_ne!(pid_of(&first), pid_of(&second));
    first.shutdown().await;
    second.shutdown().await;
    pool.close_idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_server_that_crashes_is_restarted_once_for_every_task() {
    let Some(server) = mock() else {
        return;
    };
    let pool = ConnectionPool::new(Duration::from_secs(60));
    let (first, second) = (task(&server, &pool), task(&server, &pool));
    tokio::join!(first.poll(), second.poll());
    let pid = pid_of(&first);
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    let connected = |s: &ConnectorStatus| matches!(s, ConnectorStatus::Connected { .. });
    let limit = Duration::from_secs(10);
    let (_, tools) = wait_for_status(&first, "mock", limit, connected).await;
    wait_for_status(&second, "mock", limit, connected).await;
    let new_pid = pid_of(&first);
    assert_ne!(new_pid, pid);
    assert_eq!(
        pid_of(&second),
        new_pid,
        "both tasks are on one new process"
    );
    assert_eq!(pool.open_connections(), 1);
    let echo = find(&tools.unwrap(), "mcp__mock__echo");
    assert_eq!(
        echo.call(json!({"text": "back"}), ctx()).await.unwrap(),
        "back"
    );
    first.shutdown().await;
    second.shutdown().await;
    pool.close_idle().await;
    wait_dead(new_pid).await;
}
