//! `bench mcp [--calls N]`: what cowork's MCP client adds to a tool call
//! over stdio. The same server (server-everything's `echo`, from
//! `target/npm`, as `.ci/run` installs it) is called `N` times:
//!
//! 1. directly: a minimal JSON-RPC client written here, one line to the
//!    child's stdin and the matching line back from its stdout;
//! 2. through cowork: the `mcp__everything__echo` tool of a task's
//!    connectors (`Tool::call`, rmcp underneath).
//!
//! Each gets a warm-up, then p50 and p99 of its calls are printed with the
//! ratio of the p50s (goal ≤ 1.2×).

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use cowork_core::{CallContext, Connectors};
use cowork_plugins::mcp::config::{McpServer, StdioServer};
use cowork_plugins::mcp::{ConnectOptions, ResolvedServer, TaskConnectors};

const WARM_UP: usize = 50;
/// The goal: a call through cowork at most this many times a direct one.
const GOAL: f64 = 1.2;

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let calls = match args {
        [] => 500,
        ["--calls", n] => n.parse().context("--calls takes a number")?,
        _ => bail!("usage: bench mcp [--calls N]"),
    };
    let entry =
        cowork_test_support::consumers::npm_package("@modelcontextprotocol/server-everything")
            .context(
                "server-everything is not installed: run `npm install --prefix target/npm \
         @modelcontextprotocol/server-everything@2026.8.31` (as .ci/run does)",
            )?;
    let entry = entry.to_string_lossy().into_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let direct = direct(&entry, calls).await?;
        let cowork = through_cowork(&entry, calls).await?;
        let (d50, d99) = percentiles(direct);
        let (c50, c99) = percentiles(cowork);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "mcp echo over stdio, {calls} calls: direct p50 {:.3} ms p99 {:.3} ms; \
             cowork Tool p50 {:.3} ms p99 {:.3} ms; cowork/direct p50 {:.2}x (goal <= {GOAL}x)",
            ms(d50),
            ms(d99),
            ms(c50),
            ms(c99),
            c50.as_secs_f64() / d50.as_secs_f64()
        );
        Ok(())
    })
}

/// The calls of a hand-written JSON-RPC line client.
async fn direct(entry: &str, calls: usize) -> anyhow::Result<Vec<Duration>> {
    let mut child = tokio::process::Command::new("node")
        .args([entry, "stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("could not start node")?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        bail!("node's pipes were not created");
    };
    let mut lines = BufReader::new(stdout).lines();
    let mut send = async |message: Value| -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&message)?;
        line.push(b'\n');
        stdin.write_all(&line).await?;
        stdin.flush().await?;
        Ok(())
    };
    send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"}
        }}),
    )
    .await?;
    answer(&mut lines, 0).await?;
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await?;
    let mut times = Vec::with_capacity(calls);
    for i in 0..WARM_UP + calls {
        let id = i + 1;
        let start = Instant::now();
        send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"message": "hi"}}}))
        .await?;
        let result = answer(&mut lines, id).await?;
        let elapsed = start.elapsed();
        ensure!(
            result["result"]["content"][0]["text"] == "Echo: hi",
            "unexpected answer: {result}"
        );
        if i >= WARM_UP {
            times.push(elapsed);
        }
    }
    drop(child);
    Ok(times)
}

/// Reads lines until the response with `id` (skipping notifications and
/// the server's own requests).
async fn answer(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    id: usize,
) -> anyhow::Result<Value> {
    while let Some(line) = lines.next_line().await? {
        let message: Value = serde_json::from_str(&line)?;
        if message["id"] == json!(id) && message.get("method").is_none() {
            return Ok(message);
        }
    }
    bail!("the server closed its stdout before answering {id}")
}

/// The calls of the `mcp__everything__echo` tool.
async fn through_cowork(entry: &str, calls: usize) -> anyhow::Result<Vec<Duration>> {
    let server = ResolvedServer::new(McpServer::Stdio(StdioServer {
        kind: None,
        command: "node".into(),
        args: vec![entry.to_owned(), "stdio".into()],
        env: Default::default(),
    }));
    let connectors = TaskConnectors::new(
        vec![("everything".into(), server)],
        ConnectOptions::default(),
    );
    let update = connectors.poll().await;
    let Some(echo) = update
        .tools
        .unwrap_or_default()
        .into_iter()
        .find(|t| t.spec().name == "mcp__everything__echo")
    else {
        bail!("server-everything did not connect: {:?}", update.statuses);
    };
    let mut times = Vec::with_capacity(calls);
    for i in 0..WARM_UP + calls {
        let ctx = CallContext {
            call_id: format!("call-{i}"),
            cancel: Arc::new(AtomicBool::new(false)),
        };
        let start = Instant::now();
        let out = echo
            .call(json!({"message": "hi"}), ctx)
            .await
            .map_err(|e| anyhow::anyhow!("echo failed: {e}"))?;
        let elapsed = start.elapsed();
        ensure!(out == "Echo: hi", "unexpected answer: {out}");
        if i >= WARM_UP {
            times.push(elapsed);
        }
    }
    connectors.shutdown().await;
    Ok(times)
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    (at(0.5), at(0.99))
}
