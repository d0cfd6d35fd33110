//! `bench mcp [--calls N] [--runs R]`: what cowork's MCP client adds to a
//! tool call over stdio. Two copies of the same server (server-everything's
//! `echo`, from `target/npm`, as `.ci/run` installs it), started the same
//! way (a clean environment, their own process group, stderr drained), are
//! called in turns:
//!
//! 1. directly: a minimal JSON-RPC client written here, one line to the
//!    child's stdin and the matching line back from its stdout, parsed into
//!    JSON and the text taken out;
//! 2. through cowork: the `mcp__everything__echo` tool of a task's
//!    connectors (`Tool::call`, what the agent loop calls), whose answer is
//!    the same text.
//!
//! The calls alternate (direct, cowork, cowork, direct, …) so load from
//! other processes on the machine falls on both sides alike, and both run
//! in a task of a multi-threaded runtime, as the agent loop does. After a
//! warm-up, each run prints p50 and p99 of both and their ratios; the
//! summary is the median over runs of the p50 ratio (goal ≤ 1.2×).

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use cowork_core::{CallContext, Connectors, Tool};
use cowork_plugins::mcp::config::{McpServer, StdioServer};
use cowork_plugins::mcp::{ConnectOptions, INHERITED_VARS, ResolvedServer, TaskConnectors};

const WARM_UP: usize = 200;
/// The goal: a call through cowork at most this many times a direct one.
const GOAL: f64 = 1.2;

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    // Nine runs: on a loaded 2-core machine single runs range ±0.2×.
    let (mut calls, mut runs) = (2000, 9);
    let mut rest = args;
    while let [flag, value, tail @ ..] = rest {
        match *flag {
            "--calls" => calls = value.parse().context("--calls takes a number")?,
            "--runs" => runs = value.parse().context("--runs takes a number")?,
            _ => bail!("usage: bench mcp [--calls N] [--runs R]"),
        }
        rest = tail;
    }
    ensure!(
        rest.is_empty() && calls > 0 && runs > 0,
        "usage: bench mcp [--calls N] [--runs R]"
    );
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
    runtime.block_on(async move {
        // Spawned, not run on the thread that blocks: the agent loop calls
        // tools from a runtime task, and wake-ups differ between the two.
        tokio::spawn(measure(entry, calls, runs)).await?
    })
}

async fn measure(entry: String, calls: usize, runs: usize) -> anyhow::Result<()> {
    let mut direct = Direct::start(&entry).await?;
    let (connectors, echo) = through_cowork(&entry).await?;
    for _ in 0..WARM_UP {
        direct.echo().await?;
        cowork_echo(echo.as_ref()).await?;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut ratios = Vec::with_capacity(runs);
    for run in 1..=runs {
        let mut direct_times = Vec::with_capacity(calls);
        let mut cowork_times = Vec::with_capacity(calls);
        for i in 0..calls {
            // Each side goes first half of the time.
            if i % 2 == 0 {
                direct_times.push(direct.echo().await?);
                cowork_times.push(cowork_echo(echo.as_ref()).await?);
            } else {
                cowork_times.push(cowork_echo(echo.as_ref()).await?);
                direct_times.push(direct.echo().await?);
            }
        }
        let (d50, d99) = percentiles(direct_times);
        let (c50, c99) = percentiles(cowork_times);
        let ratio = c50.as_secs_f64() / d50.as_secs_f64();
        ratios.push(ratio);
        println!(
            "run {run}: {calls} calls each: direct p50 {:.3} ms p99 {:.3} ms; \
             cowork p50 {:.3} ms p99 {:.3} ms; cowork/direct p50 {ratio:.2}x p99 {:.2}x",
            ms(d50),
            ms(d99),
            ms(c50),
            ms(c99),
            c99.as_secs_f64() / d99.as_secs_f64(),
        );
    }
    connectors.shutdown().await;
    direct.stop().await;
    ratios.sort_by(f64::total_cmp);
    let median = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
    let (low, high) = (
        ratios.first().copied().unwrap_or(f64::NAN),
        ratios.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "mcp echo over stdio: cowork/direct p50 median {median:.2}x over {runs} runs \
         (range {low:.2}x-{high:.2}x; goal <= {GOAL}x)"
    );
    Ok(())
}

/// A hand-written JSON-RPC line client of one server process.
struct Direct {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    next_id: u64,
}

impl Direct {
    /// Starts the server as cowork does (see `mcp::stdio`) and completes
    /// the handshake.
    async fn start(entry: &str) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new("node")
            .args([entry, "stdio"])
            .env_clear()
            .envs(
                std::env::vars_os()
                    .filter(|(k, _)| k.to_str().is_some_and(|k| INHERITED_VARS.contains(&k))),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .context("could not start node")?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            bail!("node's pipes were not created");
        };
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(_)) = lines.next_line().await {}
        });
        let mut direct = Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            next_id: 0,
        };
        direct
            .send(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"}
                }}),
            )
            .await?;
        direct.answer(0).await?;
        direct
            .send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(direct)
    }

    async fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// Reads lines until the response with `id` (skipping notifications and
    /// the server's own requests).
    async fn answer(&mut self, id: u64) -> anyhow::Result<Value> {
        while let Some(line) = self.lines.next_line().await? {
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] == json!(id) && message.get("method").is_none() {
                return Ok(message);
            }
        }
        bail!("the server closed its stdout before answering {id}")
    }

    /// One `echo` call, timed.
    async fn echo(&mut self) -> anyhow::Result<Duration> {
        self.next_id += 1;
        let id = self.next_id;
        let start = Instant::now();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"message": "hi"}}}))
            .await?;
        let mut result = self.answer(id).await?;
        let text = match result["result"]["content"][0]["text"].take() {
            Value::String(text) => text,
            _ => bail!("unexpected answer: {result}"),
        };
        let elapsed = start.elapsed();
        ensure!(text == "Echo: hi", "unexpected answer: {text}");
        Ok(elapsed)
    }

    async fn stop(mut self) {
        drop(self.stdin);
        let _ = self.child.kill().await;
    }
}

/// A task's connectors over the server, and its `mcp__everything__echo`.
async fn through_cowork(entry: &str) -> anyhow::Result<(TaskConnectors, Arc<dyn Tool>)> {
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
    Ok((connectors, echo))
}

/// One call of the cowork tool, timed as the agent loop would see it.
async fn cowork_echo(echo: &dyn Tool) -> anyhow::Result<Duration> {
    let ctx = CallContext {
        call_id: "call".to_owned(),
        cancel: Arc::new(AtomicBool::new(false)),
    };
    let start = Instant::now();
    let out = echo
        .call(json!({"message": "hi"}), ctx)
        .await
        .map_err(|e| anyhow::anyhow!("echo failed: {e}"))?;
    let elapsed = start.elapsed();
    ensure!(out == "Echo: hi", "unexpected answer: {out}");
    Ok(elapsed)
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    (at(0.5), at(0.99))
}
