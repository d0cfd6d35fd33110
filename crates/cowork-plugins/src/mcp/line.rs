//! The stdio transport: one JSON-RPC message per line over a local
//! server's pipes.
//!
//! rmcp's own (`AsyncRwTransport`) serialises and writes each message in a
//! task its service loop spawns, so every request waits for that task to
//! be scheduled — on a busy runtime, on the other worker thread — before a
//! byte reaches the server. This one serialises in `send` itself and, when
//! no earlier write is still pending, writes the line straight into the
//! pipe without blocking (a pipe takes 64 KiB at once): the spawned future
//! is then already done. Only a line the pipe cannot take whole waits in
//! that future, and later lines queue behind it, so order is kept.
//!
//! Reading and the tolerance for what servers send are rmcp's: lines up to
//! [`MAX_LINE`] (longer ones are dropped, the session goes on), a `\r\n`
//! or leading BOM accepted, unknown notifications and unparsable lines
//! ignored, and well-formed JSON that is no JSON-RPC message answered with
//! an `Invalid Request` error.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use futures::future::Either;
use rmcp::RoleClient;
use rmcp::model::ErrorData;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::process::ChildStdout;
use tokio::sync::Mutex;

/// The longest line read from a server (rmcp's limit too): a server that
/// never ends a line cannot grow cowork's memory without bound.
pub(crate) const MAX_LINE: usize = 16 * 1024 * 1024;

/// Read buffer size: most answers fit, so one `read` gets a whole line.
const READ_BUFFER: usize = 64 * 1024;

/// The transport over a local server's stdout and stdin.
pub(crate) struct LineTransport<R = ChildStdout> {
    read: BufReader<R>,
    max_line: usize,
    line: Vec<u8>,
    /// Set while the rest of an over-long line is being skipped; kept here
    /// because `receive` may be dropped mid-line (it runs in a `select!`).
    discarding: bool,
    writer: Arc<Writer>,
}

struct Writer {
    /// `None` once closed.
    pipe: Arc<Mutex<Option<pipe::Sender>>>,
    /// Lines handed to a spawned future and not fully written yet: while
    /// any is, a new line may not be written directly (it would overtake).
    queued: AtomicUsize,
    /// Lines waiting for their turn, in the order `send` was called.
    backlog: StdMutex<VecDeque<Vec<u8>>>,
}

impl<R: AsyncRead + Unpin + Send> LineTransport<R> {
    pub(crate) fn new(stdout: R, stdin: pipe::Sender) -> Self {
        Self {
            read: BufReader::with_capacity(READ_BUFFER, stdout),
            max_line: MAX_LINE,
            line: Vec::new(),
            discarding: false,
            writer: Arc::new(Writer {
                pipe: Arc::new(Mutex::new(Some(stdin))),
                queued: AtomicUsize::new(0),
                backlog: StdMutex::new(VecDeque::new()),
            }),
        }
    }

    /// One `\n`-terminated line into `self.line`, never more than
    /// `max_line` of it; cancel-safe (see `discarding`).
    async fn read_line(&mut self) -> Option<io::Result<bool>> {
        loop {
            let available = match self.read.fill_buf().await {
                Ok(available) => available,
                Err(e) => return Some(Err(e)),
            };
            if available.is_empty() {
                return None;
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let take = newline.map_or(available.len(), |i| i + 1);
            let mut done = None;
            if self.discarding {
                if newline.is_some() {
                    self.discarding = false;
                }
            } else if self.line.len().saturating_add(take) > self.max_line {
                self.line.clear();
                self.discarding = newline.is_none();
                done = Some(false);
            } else {
                self.line.extend_from_slice(&available[..take]);
                if newline.is_some() {
                    done = Some(true);
                }
            }
            self.read.consume(take);
            if let Some(whole) = done {
                return Some(Ok(whole));
            }
        }
    }
}

impl Writer {
    /// Writes `line` now if nothing is queued and the pipe takes it
    /// without blocking; `false`: (the rest of) it is queued for
    /// [`Writer::drain`].
    fn write_now(&self, line: Vec<u8>) -> bool {
        if self.queued.load(Ordering::Acquire) == 0
            && let Ok(guard) = self.pipe.try_lock()
            && let Some(pipe) = guard.as_ref()
        {
            match pipe.try_write(&line) {
                Ok(n) if n == line.len() => return true,
                // The pipe is full: the rest goes first in the queue, which
                // is empty (only `send` queues, and it checked above).
                Ok(n) => {
                    self.enqueue(line[n..].to_vec());
                    return false;
                }
                // Would block, or failed: the queued path waits, or
                // reports the error.
                Err(_) => {}
            }
        }
        self.enqueue(line);
        false
    }

    fn enqueue(&self, line: Vec<u8>) {
        self.queued.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut backlog) = self.backlog.lock() {
            backlog.push_back(line);
        }
    }

    /// Writes queued lines, oldest first, until the queue is empty.
    async fn drain(self: Arc<Self>) -> io::Result<()> {
        let mut pipe = self.pipe.lock().await;
        loop {
            let next = self.backlog.lock().ok().and_then(|mut b| b.pop_front());
            let Some(line) = next else {
                return Ok(());
            };
            let result = match pipe.as_mut() {
                Some(pipe) => pipe.write_all(&line).await,
                None => Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the transport is closed",
                )),
            };
            self.queued.fetch_sub(1, Ordering::AcqRel);
            result?;
        }
    }
}

fn encode(message: &TxJsonRpcMessage<RoleClient>) -> io::Result<Vec<u8>> {
    let mut line = Vec::with_capacity(256);
    serde_json::to_writer(&mut line, message)?;
    line.push(b'\n');
    Ok(line)
}

impl<R: AsyncRead + Unpin + Send> Transport<RoleClient> for LineTransport<R> {
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let line = match encode(&item) {
            Ok(line) => line,
            Err(e) => return Either::Left(std::future::ready(Err(e))),
        };
        if self.writer.write_now(line) {
            Either::Left(std::future::ready(Ok(())))
        } else {
            Either::Right(Arc::clone(&self.writer).drain())
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            match self.read_line().await? {
                Ok(true) => {}
                Ok(false) => {
                    tracing::error!(
                        max = self.max_line,
                        "a message from the MCP server was longer than the limit; dropped"
                    );
                    continue;
                }
                Err(e) => {
                    tracing::error!("could not read from the MCP server: {e}");
                    return None;
                }
            }
            let parsed = parse(&self.line);
            self.line.clear();
            match parsed {
                Parsed::Message(message) => return Some(*message),
                Parsed::Skip => {}
                Parsed::Invalid => {
                    // Answered from its own task: a write awaited here could
                    // be cut short when the service loop drops `receive`.
                    let error = TxJsonRpcMessage::<RoleClient>::error(
                        ErrorData::invalid_request("Invalid request", None),
                        None,
                    );
                    let send = self.send(error);
                    tokio::spawn(async move {
                        if let Err(e) = send.await {
                            tracing::debug!("could not answer an invalid message: {e}");
                        }
                    });
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // Dropping stdin is the server's signal to exit.
        self.writer.pipe.lock().await.take();
        Ok(())
    }
}

enum Parsed {
    Message(Box<RxJsonRpcMessage<RoleClient>>),
    /// Blank, unparsable, or a notification cowork does not know.
    Skip,
    /// Well-formed JSON that is no message cowork understands.
    Invalid,
}

fn parse(line: &[u8]) -> Parsed {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.is_empty() {
        return Parsed::Skip;
    }
    let error = match serde_json::from_slice(line) {
        Ok(message) => return Parsed::Message(Box::new(message)),
        Err(e) => e,
    };
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(line)
        && let Some(method) = value.get("method").and_then(serde_json::Value::as_str)
        && ignored_notification(method, value.get("id").is_none())
    {
        return Parsed::Skip;
    }
    match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            // No id to answer to, and answering garbage can start an
            // error storm with a peer that echoes it back.
            tracing::debug!("ignoring an unparsable line from the MCP server: {error}");
            Parsed::Skip
        }
        serde_json::error::Category::Data | serde_json::error::Category::Io => {
            tracing::debug!("an invalid message from the MCP server: {error}");
            Parsed::Invalid
        }
    }
}

/// A notification rmcp's model does not know (an LSP message, a vendor
/// extension): ignored rather than refused, as the other SDKs do.
fn ignored_notification(method: &str, is_notification: bool) -> bool {
    let standard_notification = matches!(
        method,
        "notifications/cancelled"
            | "notifications/initialized"
            | "notifications/message"
            | "notifications/progress"
            | "notifications/prompts/list_changed"
            | "notifications/resources/list_changed"
            | "notifications/resources/updated"
            | "notifications/roots/list_changed"
            | "notifications/subscriptions/acknowledged"
            | "notifications/tools/list_changed"
    );
    let standard = standard_notification
        || matches!(
            method,
            "initialize"
                | "ping"
                | "server/discover"
                | "prompts/get"
                | "prompts/list"
                | "resources/list"
                | "resources/read"
                | "resources/subscribe"
                | "resources/unsubscribe"
                | "resources/templates/list"
                | "subscriptions/listen"
                | "tools/call"
                | "tools/list"
                | "completion/complete"
                | "elicitation/create"
                | "logging/setLevel"
                | "roots/list"
                | "sampling/createMessage"
        );
    (is_notification && !standard)
        || (method.starts_with("notifications/") && !standard_notification)
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
