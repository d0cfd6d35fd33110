//! `bench serve`: a real release `cowork serve` on loopback, measured from
//! outside as a person's browser meets it: its memory when idle, how soon
//! the home page starts to answer, and how long a model's token takes to
//! reach an SSE client through the real event route (the model is a local
//! server that notes when it sends each token).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use futures::StreamExt;
use serde_json::{Value, json};

use cowork_test_support::timed::{Pace, TimedModelServer};

/// Home page requests timed, after as many untimed ones.
const PAGE_REQUESTS: usize = 200;
/// Tasks streamed to an SSE client, one after another.
const TASKS: usize = 10;
const PACE: Pace = Pace {
    // Time for the SSE client to connect after creating the task.
    lead: Duration::from_millis(200),
    tokens: 30,
    gap: Duration::from_millis(10),
};

pub fn run(args: &[&str]) -> Result<()> {
    ensure!(args.is_empty(), "usage: bench serve (no options)");
    let cowork = crate::exec_bench::cowork_binary()?;
    let home = tempfile::tempdir()?;
    let daemon = Daemon::start(&cowork, home.path())?;
    let server = wait_for_server_file(home.path(), &daemon)?;
    // Settled, before any request: what the daemon costs while nobody uses it.
    std::thread::sleep(Duration::from_secs(1));
    let rss = rss_bytes(daemon.child.id())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    let page = runtime.block_on(home_page(&client, &server))?;
    let model = TimedModelServer::start(PACE)?;
    let tokens = runtime.block_on(token_to_sse(&client, &server, &model))?;
    drop(daemon);

    println!(
        "idle daemon RSS: {:.1} MB (goal <= 30 MB)",
        rss as f64 / (1024.0 * 1024.0)
    );
    match page {
        Ok(page) => println!(
            "home page, time to first byte over {PAGE_REQUESTS} requests: p50 {}, p99 {} (goal <= 5 ms)",
            ms(quantile(&page, 0.50)),
            ms(quantile(&page, 0.99))
        ),
        Err(status) => println!("home page: not measured, `GET /` answered {status}"),
    }
    println!(
        "model token -> SSE client over {} tokens of {TASKS} tasks: p50 {}, p99 {} (goal p99 <= 5 ms)",
        tokens.len(),
        ms(quantile(&tokens, 0.50)),
        ms(quantile(&tokens, 0.99))
    );
    Ok(())
}

/// The daemon process, stopped when dropped.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn start(cowork: &Path, home: &Path) -> Result<Self> {
        let child = Command::new(cowork)
            .args(["serve", "--port", "0"])
            .env("COWORK_HOME", home)
            .env("COWORK_CONFIG", home.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {} serve", cowork.display()))?;
        Ok(Self { child })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the daemon listens and its token, once it wrote `server.json`.
struct Server {
    url: String,
    token: String,
}

fn wait_for_server_file(home: &Path, daemon: &Daemon) -> Result<Server> {
    let path = home.join("server.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(info) = serde_json::from_str::<Value>(&text)
            && info["pid"].as_u64() == Some(u64::from(daemon.child.id()))
        {
            let port = info["port"].as_u64().context("server.json has no port")?;
            let token = info["token"].as_str().context("server.json has no token")?;
            return Ok(Server {
                url: format!("http://127.0.0.1:{port}"),
                token: token.to_owned(),
            });
        }
        if Instant::now() > deadline {
            bail!("`cowork serve` wrote no {} within 30 s", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The resident set of a process, from `/proc/PID/status`.
fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .context("no VmRSS in /proc/PID/status")?
        .parse()?;
    Ok(kib * 1024)
}

/// Time from sending `GET /` to the response's status line and headers;
/// the status instead when the daemon serves no home page.
async fn home_page(
    client: &reqwest::Client,
    server: &Server,
) -> Result<Result<Vec<Duration>, reqwest::StatusCode>> {
    let mut times = Vec::with_capacity(PAGE_REQUESTS);
    for round in 0..PAGE_REQUESTS * 2 {
        let start = Instant::now();
        let response = client
            .get(format!("{}/", server.url))
            .bearer_auth(&server.token)
            .send()
            .await?;
        let first_byte = start.elapsed();
        if !response.status().is_success() {
            return Ok(Err(response.status()));
        }
        response.bytes().await?;
        if round >= PAGE_REQUESTS {
            times.push(first_byte);
        }
    }
    times.sort_unstable();
    Ok(Ok(times))
}

/// Starts tasks against the timed model and follows each over SSE,
/// matching every text delta the client receives with when the model sent
/// it.
async fn token_to_sse(
    client: &reqwest::Client,
    server: &Server,
    model: &TimedModelServer,
) -> Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    for n in 0..TASKS {
        let created: Value = client
            .post(format!("{}/api/tasks", server.url))
            .bearer_auth(&server.token)
            .json(&json!({
                "prompt": format!("benchmark {n}"),
                "mode": "plan",
                "provider": "openai",
                "baseUrl": model.openai_url(),
                "model": "timed",
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = created["id"]
            .as_str()
            .context("POST /api/tasks gave no id")?;
        let mut stream = client
            .get(format!("{}/api/tasks/{id}/events", server.url))
            .bearer_auth(&server.token)
            .send()
            .await?
            .error_for_status()?
            .bytes_stream();
        let mut buffer = String::new();
        'task: while let Some(chunk) = stream.next().await {
            let received = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk?));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let Some(envelope) = frame
                    .lines()
                    .find_map(|line| line.strip_prefix("data:"))
                    .and_then(|data| serde_json::from_str::<Value>(data.trim()).ok())
                else {
                    continue;
                };
                let event = &envelope["event"];
                match event["type"].as_str() {
                    Some("text_delta") => {
                        if let Some(sent) = event["text"].as_str().and_then(|t| model.sent_at(t)) {
                            latencies.push(received.saturating_duration_since(sent));
                        }
                    }
                    Some("status_changed")
                        if matches!(
                            event["status"].as_str(),
                            Some("completed" | "failed" | "cancelled")
                        ) =>
                    {
                        ensure!(
                            event["status"] == "completed",
                            "benchmark task {id} ended {}: {}",
                            event["status"],
                            event["reason"]
                        );
                        break 'task;
                    }
                    _ => {}
                }
            }
        }
    }
    ensure!(!latencies.is_empty(), "the SSE client saw no token");
    latencies.sort_unstable();
    Ok(latencies)
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len().saturating_sub(1)) as f64 * q).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
