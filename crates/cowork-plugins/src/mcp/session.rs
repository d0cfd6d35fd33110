//! cowork's own MCP session over a local server's pipes: newline-delimited
//! JSON-RPC, as the stdio transport defines it.
//!
//! Why not rmcp's client here: rmcp hands every request to its service-loop
//! task and every answer back from it, two task hand-offs per call, which
//! made a call through cowork about 1.4× a direct one on a fast tool. Here
//! the calling task writes its request to the server's stdin itself and
//! then reads the server's output itself until its answer comes, so the
//! answer wakes the caller directly, as in a hand-written client. Whoever
//! holds the output reads for everyone: answers to other requests go to
//! their callers, notifications to [`Notices`]. While no request waits, a
//! background task holds it, for notifications and for noticing that the
//! server went away; a caller takes it over while the server is still
//! working on the request. Remote servers still go through rmcp (see
//! `connect`), where the network dwarfs either.
//!
//! What the session does besides requests and answers:
//! - the `initialize` handshake, with the client identity and capabilities
//!   of [`Handler`] (none: no roots, sampling or elicitation);
//! - server notifications: `list_changed` for tools, resources and prompts
//!   and `progress` go to [`Notices`]; log messages to tracing;
//! - server requests: `ping` is answered, anything else refused with
//!   "method not found", since cowork declares no client capabilities;
//! - a request given up (its future dropped on a timeout or a cancel) is
//!   withdrawn and the server told with `notifications/cancelled`;
//! - when the server's output ends, every waiting request fails with
//!   "transport closed" at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::ServiceError;
use rmcp::model::{ErrorCode, ErrorData, ProgressNotificationParam};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Notify, oneshot};

use super::handler::{List, Notices, progress_text};

/// What a request's waiter receives.
type Answer = Result<Value, ErrorData>;

/// A session with one local server. Dropping it stops its background
/// reader; the process is the caller's to stop.
pub(crate) struct StdioSession {
    shared: Arc<Shared>,
    reader: tokio::task::JoinHandle<()>,
}

struct Shared {
    server: String,
    /// The server's stdin; `None` once the session was closed from our
    /// side.
    stdin: tokio::sync::Mutex<Option<Box<dyn AsyncWrite + Send + Unpin>>>,
    /// The server's output, read by whoever holds it.
    output: tokio::sync::Mutex<Output>,
    /// Requests whose callers want the output.
    readers: AtomicUsize,
    /// Asks the background reader to let go of the output.
    wanted: Notify,
    /// Tells the background reader no caller wants the output any more.
    unwanted: Notify,
    waiting: Mutex<Waiting>,
    next_id: AtomicU64,
    notices: Arc<Notices>,
}

/// The server's output and the line being read from it. The line is kept
/// here, not in a reader's stack, because a reader may be stopped halfway
/// through one (a cancelled call, the background reader letting go): the
/// next reader goes on from where it stopped.
struct Output {
    pipe: BufReader<Box<dyn AsyncRead + Send + Unpin>>,
    line: Vec<u8>,
    /// `line` holds a whole line, already handled.
    handled: bool,
}

impl Output {
    /// Reads up to the end of the next line; `false` at the end of the
    /// output. Cancel-safe: a partial line stays in `line`.
    async fn next_line(&mut self) -> bool {
        if self.handled {
            self.line.clear();
            self.handled = false;
        }
        match self.pipe.read_until(b'\n', &mut self.line).await {
            // The output ended: a last line without its newline still counts.
            Ok(0) if self.line.is_empty() => false,
            Ok(_) => {
                self.handled = true;
                true
            }
            Err(e) => {
                tracing::debug!("reading a local server's output failed: {e}");
                false
            }
        }
    }
}

#[derive(Default)]
struct Waiting {
    answers: HashMap<u64, oneshot::Sender<Answer>>,
    /// Set when the server's output ended: later requests fail at once.
    closed: bool,
}

impl Shared {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads and handles the next line of the output; `false` once the
    /// output has ended (and every waiter was told).
    async fn read_one(self: &Arc<Self>, output: &mut Output) -> bool {
        if !output.next_line().await {
            self.ended();
            return false;
        }
        handle_line(self, &output.line);
        true
    }

    /// The server's output ended: fails every waiting request, and those
    /// made later.
    fn ended(&self) {
        let answers = {
            let mut waiting = self.waiting();
            waiting.closed = true;
            std::mem::take(&mut waiting.answers)
        };
        // Dropping the senders wakes each waiter with "closed".
        drop(answers);
    }

    /// Writes one message as one line. A write that fails means the server
    /// is gone; the reader notices that too and fails the waiters.
    async fn send(&self, message: &impl Serialize) -> Result<(), ServiceError> {
        let mut line = serde_json::to_vec(message)
            .map_err(|e| ServiceError::McpError(ErrorData::internal_error(e.to_string(), None)))?;
        line.push(b'\n');
        let mut stdin = self.stdin.lock().await;
        let Some(pipe) = stdin.as_mut() else {
            return Err(ServiceError::TransportClosed);
        };
        if pipe.write_all(&line).await.is_err() || pipe.flush().await.is_err() {
            *stdin = None;
            return Err(ServiceError::TransportClosed);
        }
        Ok(())
    }

    async fn notify(&self, method: &str, params: Value) -> Result<(), ServiceError> {
        self.send(&Outgoing {
            jsonrpc: "2.0",
            id: None,
            method: Some(method),
            params: Some(&params),
            result: None,
            error: None,
        })
        .await
    }
}

/// A message we write: a request (`id` and `method`), a notification
/// (`method` only) or an answer to the server's request (`id` and `result`
/// or `error`).
#[derive(Serialize)]
struct Outgoing<'a> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ErrorData>,
}

/// Our own requests, written without building a `Value` for the envelope.
#[derive(Serialize)]
struct Request<'a> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
}

/// Any message the server writes; which one it is follows from which
/// fields are present.
#[derive(Deserialize)]
struct Incoming {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorData>,
}

/// A request from the moment it is registered: when its caller stops
/// waiting before the answer (a timeout, a cancel), the request is
/// withdrawn and the server told it may stop working on it; and the
/// caller's claim on the output ends either way.
struct InFlight<'a> {
    shared: &'a Arc<Shared>,
    id: u64,
    answered: bool,
    reading: bool,
}

impl InFlight<'_> {
    /// Claims the output: the background reader lets go of it.
    fn want_output(&mut self) {
        self.reading = true;
        self.shared.readers.fetch_add(1, Ordering::SeqCst);
        self.shared.wanted.notify_one();
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.reading && self.shared.readers.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.shared.unwanted.notify_one();
        }
        if self.answered || self.shared.waiting().answers.remove(&self.id).is_none() {
            return;
        }
        let shared = Arc::clone(self.shared);
        let id = self.id;
        // Drop cannot wait for the pipe; without a runtime (the process is
        // ending) there is nobody left to tell.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = shared
                    .notify(
                        "notifications/cancelled",
                        json!({"requestId": id, "reason": "the caller gave up"}),
                    )
                    .await;
            });
        }
    }
}

impl StdioSession {
    /// Starts the session over a server's output and input and completes
    /// the `initialize` handshake with `hello` (the `initialize` params),
    /// returning the server's `initialize` result. No timeout here: the
    /// caller bounds it.
    pub(crate) async fn start(
        server: &str,
        (output, input): (
            impl AsyncRead + Send + Unpin + 'static,
            impl AsyncWrite + Send + Unpin + 'static,
        ),
        notices: Arc<Notices>,
        hello: Value,
    ) -> Result<(Self, Value), ServiceError> {
        let shared = Arc::new(Shared {
            server: server.to_owned(),
            stdin: tokio::sync::Mutex::new(Some(Box::new(input))),
            output: tokio::sync::Mutex::new(Output {
                pipe: BufReader::with_capacity(64 * 1024, Box::new(output)),
                line: Vec::with_capacity(4096),
                handled: false,
            }),
            readers: AtomicUsize::new(0),
            wanted: Notify::new(),
            unwanted: Notify::new(),
            waiting: Mutex::new(Waiting::default()),
            next_id: AtomicU64::new(0),
            notices,
        });
        let reader = tokio::spawn(read_while_idle(Arc::clone(&shared)));
        let session = Self { shared, reader };
        let result = session.request("initialize", Some(hello)).await?;
        session
            .shared
            .notify("notifications/initialized", json!({}))
            .await?;
        Ok((session, result))
    }

    /// Sends `method` with `params` and waits for the answer: its `result`,
    /// or the server's error as [`ServiceError::McpError`]. Dropping the
    /// future withdraws the request (see [`Withdraw`]).
    pub(crate) async fn request(
        &self,
        method: &str,
        params: Option<Value>,
    ) -> Result<Value, ServiceError> {
        let shared = &self.shared;
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, mut rx) = oneshot::channel();
        {
            let mut waiting = shared.waiting();
            if waiting.closed {
                return Err(ServiceError::TransportClosed);
            }
            waiting.answers.insert(id, tx);
        }
        let mut in_flight = InFlight {
            shared,
            id,
            answered: false,
            reading: false,
        };
        shared
            .send(&Request {
                jsonrpc: "2.0",
                id,
                method,
                params: params.as_ref(),
            })
            .await?;
        // Claimed after writing, so the hand-over from the background
        // reader happens while the server works on the request.
        in_flight.want_output();
        // Another caller may be reading and hand us our answer, or we get
        // the output and read it ourselves.
        let answer = tokio::select! {
            biased;
            answer = &mut rx => answer.ok(),
            mut output = shared.output.lock() => loop {
                // Until our own answer is among what was read, or the
                // output ended (which drops every waiter).
                match rx.try_recv() {
                    Ok(answer) => break Some(answer),
                    Err(oneshot::error::TryRecvError::Closed) => break None,
                    Err(oneshot::error::TryRecvError::Empty) => {}
                }
                shared.read_one(&mut output).await;
            },
        };
        in_flight.answered = true;
        match answer {
            Some(Ok(result)) => Ok(result),
            Some(Err(error)) => Err(ServiceError::McpError(error)),
            // Every waiter was dropped: the server's output ended.
            None => Err(ServiceError::TransportClosed),
        }
    }

    /// Whether the server's output has ended.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.waiting().closed
    }

    /// Closes the server's stdin, which tells a well-behaved server to exit.
    pub(crate) async fn close(&self) {
        self.shared.stdin.lock().await.take();
    }
}

impl Drop for StdioSession {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Reads the server's output while no caller does, until it ends: a
/// caller that wants it takes it over (see [`InFlight::want_output`]).
async fn read_while_idle(shared: Arc<Shared>) {
    loop {
        while shared.readers.load(Ordering::SeqCst) > 0 {
            shared.unwanted.notified().await;
        }
        let mut output = shared.output.lock().await;
        while shared.readers.load(Ordering::SeqCst) == 0 {
            tokio::select! {
                biased;
                () = shared.wanted.notified() => {}
                more = shared.read_one(&mut output) => if !more {
                    return;
                },
            }
        }
    }
}

fn handle_line(shared: &Arc<Shared>, line: &[u8]) {
    let text = line.trim_ascii();
    if text.is_empty() {
        return;
    }
    // A batch (allowed by the 2025-03-26 revision) is its messages.
    let messages = if text.first() == Some(&b'[') {
        serde_json::from_slice::<Vec<Incoming>>(text)
    } else {
        serde_json::from_slice::<Incoming>(text).map(|m| vec![m])
    };
    match messages {
        Ok(messages) => {
            for message in messages {
                dispatch(shared, message);
            }
        }
        Err(e) => tracing::warn!(
            server = %shared.server,
            "ignored a line that is not JSON-RPC ({e}): {}",
            String::from_utf8_lossy(&text[..text.len().min(200)])
        ),
    }
}

fn dispatch(shared: &Arc<Shared>, message: Incoming) {
    match (message.id, message.method) {
        (Some(id), None) => answer(shared, id, message.result, message.error),
        (None, Some(method)) => notification(shared, &method, message.params),
        (Some(id), Some(method)) => {
            let shared = Arc::clone(shared);
            // Answered from its own task, so the reader never waits on the
            // server's stdin (a server blocked writing to us would never
            // read it).
            tokio::spawn(async move {
                let reply = server_request(&method);
                let (result, error) = match &reply {
                    Ok(result) => (Some(result), None),
                    Err(error) => (None, Some(error)),
                };
                let _ = shared
                    .send(&Outgoing {
                        jsonrpc: "2.0",
                        id: Some(&id),
                        method: None,
                        params: None,
                        result,
                        error,
                    })
                    .await;
            });
        }
        (None, None) => {
            // An error answer to something unparseable (`id: null`).
            if let Some(error) = message.error {
                tracing::warn!(server = %shared.server, "the server reported: {error}");
            }
        }
    }
}

fn answer(shared: &Shared, id: Value, result: Option<Value>, error: Option<ErrorData>) {
    let Some(id) = id.as_u64() else {
        tracing::debug!(server = %shared.server, "an answer to an id we never sent: {id}");
        return;
    };
    let Some(waiter) = shared.waiting().answers.remove(&id) else {
        // A request given up before its answer came.
        return;
    };
    let answer = match (result, error) {
        (_, Some(error)) => Err(error),
        (Some(result), None) => Ok(result),
        (None, None) => Err(ErrorData::new(
            ErrorCode::INTERNAL_ERROR,
            "the server's answer has neither a result nor an error",
            None,
        )),
    };
    let _ = waiter.send(answer);
}

fn notification(shared: &Shared, method: &str, params: Option<Value>) {
    let notices = &shared.notices;
    match method {
        "notifications/tools/list_changed" => notices.changed(List::Tools),
        "notifications/resources/list_changed" => notices.changed(List::Resources),
        "notifications/prompts/list_changed" => notices.changed(List::Prompts),
        "notifications/progress" => {
            match params.map(serde_json::from_value::<ProgressNotificationParam>) {
                Some(Ok(progress)) => {
                    let message = progress_text(&progress);
                    tracing::info!(target: "cowork::mcp::progress", server = %shared.server, "{message}");
                    notices.record_progress(message);
                }
                _ => {
                    tracing::debug!(server = %shared.server, "a progress notification without progress")
                }
            }
        }
        "notifications/message" => {
            let params = params.unwrap_or_default();
            tracing::debug!(target: "cowork::mcp::log", server = %shared.server, "{}", params["data"]);
        }
        other => tracing::debug!(server = %shared.server, "notification {other}"),
    }
}

/// The answer to a request from the server.
fn server_request(method: &str) -> Result<Value, ErrorData> {
    match method {
        "ping" => Ok(json!({})),
        // Roots, sampling and elicitation are capabilities cowork does not
        // declare: a server that asks anyway is told so.
        other => Err(ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("cowork does not offer `{other}`"),
            None,
        )),
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
