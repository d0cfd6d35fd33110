//! A task's connectors: its servers, connected together on the first
//! poll, watched cheaply afterwards, restarted with backoff when a local
//! one crashes, and stopped when the task ends.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{Mutex, mpsc};

use cowork_core::{Connectors, ConnectorsUpdate, Tool};
use cowork_protocol::ConnectorStatus;

use super::connect::{ConnectOptions, Connection, Refusal, ResolvedServer, connect, refused};
use super::error::ConnectError;
use super::tool::{Live, tools_of};

/// The longest wait between two restarts of a crashed server.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The connectors of one task ([`cowork_core::Connectors`]). The caller
/// has already removed servers the policy blocks and expanded every
/// configuration: this runs exactly what it is given.
pub struct TaskConnectors {
    inner: Arc<Inner>,
}

struct Inner {
    options: ConnectOptions,
    servers: Vec<Server>,
    state: Mutex<State>,
}

struct Server {
    resolved: ResolvedServer,
    live: Arc<Live>,
}

#[derive(Default)]
struct State {
    started: bool,
    per_server: Vec<ServerState>,
    restarts: Option<mpsc::UnboundedReceiver<Restart>>,
    restart_tx: Option<mpsc::UnboundedSender<Restart>>,
}

#[derive(Default)]
struct ServerState {
    tools: Vec<Arc<dyn Tool>>,
    /// The status last reported (`None`: never).
    reported: Option<ConnectorStatus>,
    status: Option<ConnectorStatus>,
    restarter: Option<tokio::task::JoinHandle<()>>,
}

/// News from a background restart.
enum Restart {
    Attempt {
        server: usize,
        attempt: u32,
        error: String,
    },
    Up {
        server: usize,
        conn: Box<Connection>,
        tools: Vec<rmcp::model::Tool>,
    },
    GaveUp {
        server: usize,
        status: ConnectorStatus,
    },
}

impl TaskConnectors {
    /// The connectors over `servers` (name, resolved configuration).
    /// Nothing starts until the first [`Connectors::poll`].
    pub fn new(servers: Vec<(String, ResolvedServer)>, options: ConnectOptions) -> Self {
        let per_server = servers.iter().map(|_| ServerState::default()).collect();
        let servers = servers
            .into_iter()
            .map(|(name, resolved)| Server {
                resolved,
                live: Arc::new(Live::new(name)),
            })
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            inner: Arc::new(Inner {
                options,
                servers,
                state: Mutex::new(State {
                    started: false,
                    per_server,
                    restarts: Some(rx),
                    restart_tx: Some(tx),
                }),
            }),
        }
    }

    /// The process ids of the local servers running now, by server name
    /// (for diagnostics, and tests that check nothing outlives a task).
    pub fn process_ids(&self) -> Vec<(String, u32)> {
        self.inner
            .servers
            .iter()
            .filter_map(|s| {
                let pid = s.live.get()?.process_id()?;
                Some((s.live.server.clone(), pid))
            })
            .collect()
    }

    /// The live connection of `server`, for diagnostics and tests.
    pub fn connection(&self, server: &str) -> Option<Arc<Connection>> {
        self.inner
            .servers
            .iter()
            .find(|s| s.live.server == server)
            .and_then(|s| s.live.get())
    }
}

impl Connectors for TaskConnectors {
    fn poll(&self) -> BoxFuture<'_, ConnectorsUpdate> {
        Box::pin(self.inner.poll())
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.inner.shutdown())
    }
}

impl Inner {
    async fn poll(&self) -> ConnectorsUpdate {
        let mut state = self.state.lock().await;
        let mut tools_changed = false;
        if !state.started {
            state.started = true;
            tools_changed = true;
            // Together: a dead or slow server costs its own timeout and
            // delays no other.
            let attempts = self
                .servers
                .iter()
                .map(|s| connect_and_list(&s.live.server, &s.resolved, &self.options));
            let results = futures::future::join_all(attempts).await;
            for (i, result) in results.into_iter().enumerate() {
                self.settle(&mut state, i, result);
            }
        } else {
            tools_changed |= self.drain_restarts(&mut state);
            for i in 0..self.servers.len() {
                tools_changed |= self.watch(&mut state, i).await;
            }
        }
        let mut update = ConnectorsUpdate::default();
        for (i, server_state) in state.per_server.iter_mut().enumerate() {
            if server_state.status != server_state.reported
                && let Some(status) = server_state.status.clone()
            {
                server_state.reported = Some(status.clone());
                update
                    .statuses
                    .push((self.servers[i].live.server.clone(), status));
            }
        }
        if tools_changed {
            update.tools = Some(
                state
                    .per_server
                    .iter()
                    .flat_map(|s| s.tools.iter().cloned())
                    .collect(),
            );
        }
        update
    }

    /// Records the outcome of connecting server `i`.
    fn settle(
        &self,
        state: &mut State,
        i: usize,
        result: Result<(Connection, Vec<rmcp::model::Tool>), ConnectError>,
    ) {
        let server = &self.servers[i];
        let entry = &mut state.per_server[i];
        match result {
            Ok((conn, tools)) => {
                let summary = conn.summary();
                entry.tools = tools_of(
                    &server.live,
                    &tools,
                    summary.has_resources,
                    summary.has_prompts,
                );
                entry.status = Some(ConnectorStatus::Connected {
                    tools: u32::try_from(tools.len()).unwrap_or(u32::MAX),
                });
                server.live.set(Some(Arc::new(conn)));
            }
            Err(e) => {
                entry.tools.clear();
                entry.status = Some(status_of(&e));
                server.live.set(None);
            }
        }
    }

    /// Applies what background restarts reported since the last poll.
    fn drain_restarts(&self, state: &mut State) -> bool {
        let mut news = Vec::new();
        if let Some(rx) = state.restarts.as_mut() {
            while let Ok(item) = rx.try_recv() {
                news.push(item);
            }
        }
        let mut changed = false;
        for item in news {
            match item {
                Restart::Attempt {
                    server,
                    attempt,
                    error,
                } => {
                    state.per_server[server].status =
                        Some(ConnectorStatus::Restarting { error, attempt });
                }
                Restart::Up {
                    server,
                    conn,
                    tools,
                } => {
                    self.settle(state, server, Ok((*conn, tools)));
                    state.per_server[server].restarter = None;
                    changed = true;
                }
                Restart::GaveUp { server, status } => {
                    state.per_server[server].status = Some(status);
                    state.per_server[server].restarter = None;
                }
            }
        }
        changed
    }

    /// Checks server `i` without I/O: a crash starts a restart, a
    /// `list_changed` re-lists its tools. Returns whether its tools changed.
    async fn watch(&self, state: &mut State, i: usize) -> bool {
        let server = &self.servers[i];
        let Some(conn) = server.live.get() else {
            return false;
        };
        if let Some(reason) = conn.ended() {
            server.live.set(None);
            let refusal = conn.refusal();
            drop(conn);
            let entry = &mut state.per_server[i];
            entry.tools.clear();
            // A refused login is the auth provider's to judge: a 403
            // `insufficient_scope` must reach it, or the next login would
            // not ask for the scope and reconnecting would only repeat it.
            if let Some(refusal) = refusal {
                let judged = refused(
                    &server.live.server,
                    &server.resolved,
                    self.options.auth.as_ref(),
                    &refusal,
                )
                .await;
                if let Err(error) = judged {
                    entry.status = Some(status_of(&error));
                    return true;
                }
            }
            // A local server crashed, or a remote one closed the session
            // or refused the login mid-task: both are reconnected the
            // same way (a remote one's login is asked for again).
            if self.options.restart_attempts == 0 {
                entry.status = Some(ConnectorStatus::Unreachable { error: reason });
            } else {
                entry.status = Some(ConnectorStatus::Restarting {
                    error: reason,
                    attempt: 1,
                });
                let tx = state.restart_tx.clone();
                let entry = &mut state.per_server[i];
                if let Some(tx) = tx {
                    entry.restarter = Some(tokio::spawn(restart(
                        i,
                        server.live.server.clone(),
                        server.resolved.clone(),
                        self.options.clone(),
                        tx,
                    )));
                }
            }
            return true;
        }
        if !conn.notices.any_changed.swap(false, Ordering::SeqCst) {
            return false;
        }
        // Resource and prompt lists are read live by their tools; only a
        // new tool list changes what the model is offered.
        if !conn.notices.tools_changed.swap(false, Ordering::SeqCst) {
            return false;
        }
        match conn.list_tools().await {
            Ok(tools) => {
                let summary = conn.summary();
                let entry = &mut state.per_server[i];
                entry.tools = tools_of(
                    &server.live,
                    &tools,
                    summary.has_resources,
                    summary.has_prompts,
                );
                entry.status = Some(ConnectorStatus::Connected {
                    tools: u32::try_from(tools.len()).unwrap_or(u32::MAX),
                });
                true
            }
            Err(e) => {
                // A refused login shows on the next poll, as after a call.
                conn.saw_error(&e);
                tracing::warn!(server = %server.live.server, "re-listing tools failed: {e}");
                false
            }
        }
    }

    async fn shutdown(&self) {
        let mut state = self.state.lock().await;
        for entry in &mut state.per_server {
            if let Some(task) = entry.restarter.take() {
                task.abort();
            }
            entry.tools.clear();
        }
        state.restart_tx = None;
        let closing = self
            .servers
            .iter()
            .filter_map(|s| s.live.set(None))
            .map(|conn| async move {
                // A call still running holds its own handle: dropping ours
                // then is enough, the process group dies with the last one.
                if let Ok(conn) = Arc::try_unwrap(conn) {
                    conn.close().await;
                }
            });
        futures::future::join_all(closing).await;
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for server in &self.servers {
            // Connections drop here: their sessions end and each local
            // server's process group is killed.
            server.live.set(None);
        }
        if let Ok(state) = self.state.try_lock() {
            for entry in &state.per_server {
                if let Some(task) = &entry.restarter {
                    task.abort();
                }
            }
        }
    }
}

async fn connect_and_list(
    name: &str,
    resolved: &ResolvedServer,
    options: &ConnectOptions,
) -> Result<(Connection, Vec<rmcp::model::Tool>), ConnectError> {
    // A server may accept `initialize` from anyone and refuse the listing
    // instead: that refusal is a login's business, as at connecting, with
    // one retry after the provider refreshed the token.
    for retry in [false, true] {
        let conn = connect(name, resolved, options).await?;
        let error = match conn.list_tools().await {
            Ok(tools) => return Ok((conn, tools)),
            Err(error) => error,
        };
        conn.close().await;
        match Refusal::of(&error) {
            Some(_) if retry => break,
            Some(refusal) => refused(name, resolved, options.auth.as_ref(), &refusal).await?,
            None => {
                return Err(ConnectError::Failed(format!(
                    "listing its tools failed: {error}"
                )));
            }
        }
    }
    Err(ConnectError::NeedsLogin)
}

/// Restarts a crashed server (reconnects a remote one) after 1 s, 2 s,
/// 4 s… until it connects or the attempts run out, reporting each attempt.
async fn restart(
    server: usize,
    name: String,
    resolved: ResolvedServer,
    options: ConnectOptions,
    tx: mpsc::UnboundedSender<Restart>,
) {
    let mut wait = options.restart_backoff;
    for attempt in 1..=options.restart_attempts {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_BACKOFF);
        match connect_and_list(&name, &resolved, &options).await {
            Ok((conn, tools)) => {
                let _ = tx.send(Restart::Up {
                    server,
                    conn: Box::new(conn),
                    tools,
                });
                return;
            }
            // Trying again cannot help until the person logs in.
            Err(ConnectError::NeedsLogin) => {
                let _ = tx.send(Restart::GaveUp {
                    server,
                    status: ConnectorStatus::NeedsLogin,
                });
                return;
            }
            Err(e) if attempt == options.restart_attempts => {
                let _ = tx.send(Restart::GaveUp {
                    server,
                    status: ConnectorStatus::Unreachable {
                        error: format!("gave up after {attempt} restarts: {e}"),
                    },
                });
            }
            Err(e) => {
                let _ = tx.send(Restart::Attempt {
                    server,
                    attempt: attempt + 1,
                    error: e.to_string(),
                });
            }
        }
    }
}

/// The status a failed connection shows.
pub fn status_of(error: &ConnectError) -> ConnectorStatus {
    match error {
        ConnectError::NeedsLogin => ConnectorStatus::NeedsLogin,
        ConnectError::Spawn { .. }
        | ConnectError::Exited(_)
        | ConnectError::Timeout(_)
        | ConnectError::Config(_)
        | ConnectError::Failed(_) => ConnectorStatus::Unreachable {
            error: error.to_string(),
        },
    }
}
