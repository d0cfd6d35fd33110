//! The mock model server's lifecycle: its own thread and runtime, so sync
//! tests (`assert_cmd`) and async tests can both use it, and shutdown on
//! drop.

use std::future::IntoFuture;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use cowork_protocol::script::Script;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::routes::{Shared, router};

/// Why the mock server could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockServerError {
    /// The port is taken or not ours to bind: pick another, or 0 for any.
    #[error("cannot bind the mock model server to 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The machine could not give the server a thread or a runtime (out of
    /// threads or file descriptors); nothing to retry in a test.
    #[error("cannot start the mock model server's thread: {source}")]
    Thread {
        #[source]
        source: std::io::Error,
    },
}

/// One request the server received, and how it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The HTTP method, such as `POST`.
    pub method: String,
    /// The path without the query, such as `/v1/messages`.
    pub path: String,
    /// Every header, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as JSON; a body that is not JSON is kept as a JSON string
    /// of its (lossily decoded) text.
    pub body: Value,
    /// The script turn the request asked for (its number of assistant
    /// messages); `None` when it was refused before that (auth, bad body,
    /// unknown route).
    pub turn: Option<usize>,
    /// The HTTP status answered (200 for a stream, even one that ends with
    /// a scripted `stream_error`).
    pub status: u16,
}

impl RecordedRequest {
    /// The value of header `name` (case-insensitive), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A model server on 127.0.0.1 that replays a [`Script`] over the Anthropic
/// Messages and OpenAI chat-completions streaming APIs. Stops when dropped.
pub struct MockModelServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockModelServer {
    /// Starts a server for `script` on a free port.
    ///
    /// # Panics
    /// When the server cannot start (no free port, no thread): a test
    /// cannot go on without it.
    #[expect(
        clippy::expect_used,
        reason = "test helper: failing to start must stop the test with the reason"
    )]
    pub fn start(script: Script) -> Self {
        Self::try_start(script, 0).expect("the mock model server must start")
    }

    /// Starts a server for `script` on `port` (0 for any free port).
    pub fn try_start(script: Script, port: u16) -> Result<Self, MockServerError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|source| MockServerError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| MockServerError::Bind { port, source })?;
        let shared = Arc::new(Shared::new(script));
        let app = router(Arc::clone(&shared));
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<std::io::Result<()>>(1);

        let thread = std::thread::Builder::new()
            .name(format!("mock-model-server-{}", addr.port()))
            .spawn(move || {
                // The runtime is built and dropped on this thread: dropping a
                // runtime inside a caller's async context would panic.
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let serve = axum::serve(listener, app).into_future();
                    tokio::select! {
                        _ = serve => {}
                        _ = shutdown_rx => {}
                    }
                });
                // Dropping the runtime cancels connections still streaming
                // (a delayed turn), so shutdown never waits on a client.
                drop(runtime);
            })
            .map_err(|source| MockServerError::Thread { source })?;

        let server = Self {
            addr,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(server),
            Ok(Err(source)) => Err(MockServerError::Thread { source }),
            Err(_) => Err(MockServerError::Thread {
                source: std::io::Error::other("the server thread ended before it was ready"),
            }),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`: Anthropic's base URL. The
    /// OpenAI base URL is [`MockModelServer::openai_url`].
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OpenAI-compatible base URL, `url() + "/v1"`.
    pub fn openai_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }
}

impl Drop for MockModelServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for MockModelServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockModelServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
