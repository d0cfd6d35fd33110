//! [`TimedModelServer`]: an OpenAI-compatible model server that streams
//! each answer one token at a time, at a set pace, and remembers when it
//! sent each token — so a test or a benchmark can measure how long a token
//! takes from the model to whoever watches the task (the daemon's load
//! test, `xtask bench serve`).
//!
//! Every token is unique across the server's life (`r3t7 `), so a watcher
//! that sees a text delta knows exactly which send it matches.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;

/// What every answer looks like.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The wait before the first token, so watchers can attach first.
    pub lead: Duration,
    /// Tokens per answer.
    pub tokens: usize,
    /// The pause after each token.
    pub gap: Duration,
}

/// The server; stops accepting when dropped.
pub struct TimedModelServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    pace: Pace,
    requests: AtomicUsize,
    sent: Mutex<HashMap<String, Instant>>,
    stop: AtomicBool,
}

impl TimedModelServer {
    /// Starts on a free port of 127.0.0.1.
    pub fn start(pace: Pace) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            pace,
            requests: AtomicUsize::new(0),
            sent: Mutex::new(HashMap::new()),
            stop: AtomicBool::new(false),
        });
        let accept = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("timed-model-server".to_owned())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&accept);
                    // One thread per answer: answers stream side by side.
                    let _ = std::thread::Builder::new()
                        .name("timed-model-answer".to_owned())
                        .spawn(move || {
                            let _ = answer(stream, &shared);
                        });
                }
            })?;
        Ok(Self { addr, shared })
    }

    /// The base URL for the OpenAI provider.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// When `token` was written to its connection.
    pub fn sent_at(&self, token: &str) -> Option<Instant> {
        lock(&self.shared.sent).get(token).copied()
    }

    /// How many answers were asked for.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TimedModelServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn answer(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request = shared.requests.fetch_add(1, Ordering::SeqCst);
    let mut out = stream;
    // No length: the body ends when the connection closes.
    out.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n",
    )?;
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        let value = json!({
            "id": format!("chatcmpl-timed-{request}"),
            "object": "chat.completion.chunk",
            "created": 1_750_000_000u64,
            "model": "timed",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        format!("data: {value}\n\n")
    };
    out.write_all(chunk(json!({"role": "assistant", "content": ""}), None).as_bytes())?;
    out.flush()?;
    std::thread::sleep(shared.pace.lead);
    for i in 0..shared.pace.tokens {
        let token = format!("r{request}t{i} ");
        let frame = chunk(json!({"content": token}), None);
        // Timed as it leaves: what follows is cowork's latency.
        lock(&shared.sent).insert(token, Instant::now());
        out.write_all(frame.as_bytes())?;
        out.flush()?;
        std::thread::sleep(shared.pace.gap);
    }
    out.write_all(chunk(json!({}), Some("stop")).as_bytes())?;
    out.write_all(b"data: [DONE]\n\n")?;
    out.flush()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
