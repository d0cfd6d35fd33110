//! Servers that cannot start, exit at once, hang, or crash mid-task: each
//! is a status, never a failed task, and never delays the others.

use std::time::{Duration, Instant};

use serde_json::json;

use cowork_core::Connectors;
use cowork_plugins::mcp::{ConnectOptions, TaskConnectors};
use cowork_protocol::ConnectorStatus;

use super::mcp_tests::{ctx, everything, find, options, stdio, wait_for_status};

pub fn alive(pid: u32) -> bool {
    // A zombie is dead for our purposes: it holds no resources but its
    // exit status.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

pub async fn wait_dead(pid: u32) {
    let start = Instant::now();
    while alive(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "process {pid} outlived its task"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_servers_are_unreachable_with_a_reason_and_do_not_delay_the_others() {
    let mut servers = vec![
        ("missing".to_owned(), stdio("/nonexistent/mcp-server", &[])),
        (
            "notion".to_owned(),
            stdio(
                "sh",
                &["-c", "echo 'Error: NOTION_TOKEN is not set' >&2; exit 1"],
            ),
        ),
        // Reads its input and never answers `initialize`.
        ("hangs".to_owned(), stdio("sh", &["-c", "cat >/dev/null"])),
    ];
    let with_everything = everything();
    if let Some(server) = &with_everything {
        servers.push(("everything".to_owned(), server.clone()));
    }
    let timeout = Duration::from_secs(3);
    let connectors = TaskConnectors::new(
        servers,
        ConnectOptions {
            connect_timeout: timeout,
            ..options()
        },
    );
    let start = Instant::now();
    let update = connectors.poll().await;
    let elapsed = start.elapsed();
    assert!(
        elapsed < timeout + Duration::from_secs(2),
        "one hung server must cost its own timeout only: {elapsed:?}"
    );
    let status = |name: &str| {
        update
            .statuses
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
            .unwrap()
    };
    let ConnectorStatus::Unreachable { error } = status("missing") else {
        panic!("{:?}", status("missing"))
    };
    assert!(
        error.contains("could not start `/nonexistent/mcp-server`"),
        "{error}"
    );
    assert_eq!(
        status("notion"),
        ConnectorStatus::Unreachable {
            error: "exited with 1: Error: NOTION_TOKEN is not set".into()
        }
    );
    assert_eq!(
        status("hangs"),
        ConnectorStatus::Unreachable {
            error: "no answer within 3 s".into()
        }
    );
    assert_eq!(
        status("notion").to_string(),
        "unreachable: exited with 1: Error: NOTION_TOKEN is not set"
    );
    if with_everything.is_some() {
        assert!(matches!(
            status("everything"),
            ConnectorStatus::Connected { .. }
        ));
        let tools = update.tools.unwrap();
        assert!(
            tools
                .iter()
                .all(|t| t.spec().name.starts_with("mcp__everything__"))
        );
    }
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_crashes_mid_task_is_restarted_with_backoff() {
    let Some(server) = everything() else {
        return;
    };
    let connectors = TaskConnectors::new(vec![("everything".into(), server)], options());
    connectors.poll().await;
    let (_, pid) = connectors.process_ids().pop().unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    let crashed_at = Instant::now();
    let (seen, tools) = wait_for_status(&connectors, "everything", Duration::from_secs(15), |s| {
        matches!(s, ConnectorStatus::Connected { .. })
    })
    .await;
    assert!(
        matches!(&seen[0], ConnectorStatus::Restarting { error, attempt: 1 } if error.contains("killed by signal 9")),
        "{seen:?}"
    );
    // The first restart waits the backoff's first step (1 s).
    assert!(crashed_at.elapsed() >= Duration::from_secs(1));
    let (_, new_pid) = connectors.process_ids().pop().unwrap();
    assert_ne!(pid, new_pid);
    // The tools offered again reach the new process.
    let echo = find(&tools.unwrap(), "mcp__everything__echo");
    assert_eq!(
        echo.call(json!({"message": "back"}), ctx()).await.unwrap(),
        "Echo: back"
    );
    connectors.shutdown().await;
    wait_dead(new_pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_crashing_is_given_up_after_its_attempts() {
    let Some(server) = everything() else {
        return;
    };
    // It connects once; then its program is gone, as when a package is
    // uninstalled under a running task.
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node");
    let real_node = std::process::Command::new("sh")
        .args(["-c", "command -v node"])
        .output()
        .unwrap();
    let real_node = String::from_utf8(real_node.stdout).unwrap();
    std::os::unix::fs::symlink(real_node.trim(), &node).unwrap();
    let mut server = server;
    if let cowork_plugins::mcp::config::McpServer::Stdio(s) = &mut server.config {
        s.command = node.to_str().unwrap().to_owned();
    }
    let connectors = TaskConnectors::new(
        vec![("everything".into(), server)],
        ConnectOptions {
            restart_backoff: Duration::from_millis(100),
            restart_attempts: 2,
            ..options()
        },
    );
    connectors.poll().await;
    std::fs::remove_file(&node).unwrap();
    let (_, pid) = connectors.process_ids().pop().unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    let (seen, _) = wait_for_status(&connectors, "everything", Duration::from_secs(10), |s| {
        matches!(s, ConnectorStatus::Unreachable { .. })
    })
    .await;
    let ConnectorStatus::Unreachable { error } = seen.last().unwrap() else {
        unreachable!()
    };
    assert!(
        error.starts_with("gave up after 2 restarts: could not start"),
        "{error}"
    );
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_process_outlives_its_task_after_shutdown_or_drop() {
    let Some(server) = everything() else {
        return;
    };
    let connectors = TaskConnectors::new(vec![("everything".into(), server.clone())], options());
    connectors.poll().await;
    let (_, pid) = connectors.process_ids().pop().unwrap();
    assert!(alive(pid));
    connectors.shutdown().await;
    wait_dead(pid).await;

    let dropped = TaskConnectors::new(vec![("everything".into(), server)], options());
    dropped.poll().await;
    let (_, pid) = dropped.process_ids().pop().unwrap();
    drop(dropped);
    wait_dead(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrapper_scripts_children_die_with_the_server() {
    // A server started through a shell (as `npx` starts `node`): killing
    // only the direct child would leave the grandchild running.
    let Some(everything) = everything() else {
        return;
    };
    let cowork_plugins::mcp::config::McpServer::Stdio(inner) = &everything.config else {
        unreachable!()
    };
    let script = format!("{} {}; :", inner.command, inner.args.join(" "));
    let server = stdio("sh", &["-c", &script]);
    let connectors = TaskConnectors::new(vec![("wrapped".into(), server)], options());
    let tools = connectors.poll().await.tools.unwrap();
    let env = find(&tools, "mcp__wrapped__get-env");
    assert!(env.call(json!({}), ctx()).await.is_ok());
    let (_, sh) = connectors.process_ids().pop().unwrap();
    let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap();
    let node: u32 = children.split_whitespace().next().unwrap().parse().unwrap();
    drop(connectors);
    wait_dead(sh).await;
    wait_dead(node).await;
}
