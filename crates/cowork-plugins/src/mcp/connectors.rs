//! A task's connectors: its servers, connected together on the first
//! poll, watched cheaply afterwards, restarted with backoff when a local
//! one crashes, and stopped when the task ends.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{Mutex, mpsc};

use cowork_core::{Connectors, ConnectorsUpdate, Tool};
use cowork_protocol::ConnectorStatus;

use super::connect::{ConnectOptions, Connection, Refusal, ResolvedServer, connect, refused};
use super::error::ConnectError;
use super::handler::List;
use super::pool::Lease;
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
    /// The connection this task holds: its own, or a lease on a pooled one.
    held: Option<Held>,
    /// The count of the server's `tools/list_changed` when its tools were
    /// last listed for this task.
    tools_seen: u64,
    tools: Vec<Arc<dyn Tool>>,
    /// The status last reported (`None`: never).
    reported: Option<ConnectorStatus>,
    status: Option<ConnectorStatus>,
    restarter: Option<tokio::task::JoinHandle<()>>,
}

/// A task's hold on a connection.
enum Held {
    Own(Arc<Connection>),
    Leased(Lease),
}

impl Held {
    fn conn(&self) -> &Arc<Connection> {
        match self {
            Held::Own(conn) => conn,
            Held::Leased(lease) => lease.conn(),
        }
    }

    /// Lets go: closes an own connection (unless a call still holds it,
    /// which then closes it as it ends); gives a lease back to the pool.
    async fn release(self) {
        match self {
            Held::Own(conn) => {
                if let Ok(conn) = Arc::try_unwrap(conn) {
                    conn.close().await;
                }
            }
            Held::Leased(lease) => drop(lease),
        }
    }
}

/// A connection and its tools, as listed for this task.
struct Connected {
    held: Held,
    tools: Vec<rmcp::model::Tool>,
    /// The `tools/list_changed` count before the listing.
    tools_seen: u64,
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
        connected: Connected,
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
    fn settle(&self, state: &mut State, i: usize, result: Result<Connected, ConnectError>) {
        let server = &self.servers[i];
        let entry = &mut state.per_server[i];
        match result {
            Ok(Connected {
                held,
                tools,
                tools_seen,
            }) => {
                let summary = held.conn().summary();
                entry.tools = tools_of(
                    &server.live,
                    &tools,
                    summary.has_resources,
                    summary.has_prompts,
                );
                entry.status = Some(ConnectorStatus::Connected {
                    tools: u32::try_from(tools.len()).unwrap_or(u32::MAX),
                });
                entry.tools_seen = tools_seen;
                server.live.set(Some(Arc::clone(held.conn())));
                entry.held = Some(held);
            }
            Err(e) => {
                entry.tools.clear();
                entry.status = Some(status_of(&e));
                server.live.set(None);
                entry.held = None;
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
                Restart::Up { server, connected } => {
                    self.settle(state, server, Ok(connected));
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
            entry.held = None;
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
        // Resource and prompt lists are read live by their tools; only a
        // new tool list changes what the model is offered.
        let generation = conn.notices.generation(List::Tools);
        if generation == state.per_server[i].tools_seen {
            return false;
        }
        match conn.list_tools().await {
            Ok(tools) => {
                let summary = conn.summary();
                let entry = &mut state.per_server[i];
                entry.tools_seen = generation;
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
        let mut held = Vec::new();
        for entry in &mut state.per_server {
            if let Some(task) = entry.restarter.take() {
                task.abort();
            }
            entry.tools.clear();
            held.extend(entry.held.take());
        }
        state.restart_tx = None;
        for server in &self.servers {
            server.live.set(None);
        }
        // A call still running holds its own handle: letting go of ours
        // is then enough, the process group dies with the last one.
        futures::future::join_all(held.into_iter().map(Held::release)).await;
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

/// Connects `name` for this task (through the pool when there is one)
/// and lists its tools.
async fn connect_and_list(
    name: &str,
    resolved: &ResolvedServer,
    options: &ConnectOptions,
) -> Result<Connected, ConnectError> {
    let Some(pool) = &options.pool else {
        let (conn, tools, tools_seen) = connect_fresh(name, resolved, options).await?;
        return Ok(Connected {
            held: Held::Own(Arc::new(conn)),
            tools,
            tools_seen,
        });
    };
    // A connection another task opened is listed again for this one (its
    // tools may have changed); one that cannot list them any more is
    // dropped from the pool and replaced, once.
    for _ in 0..2 {
        let mut fresh = None;
        let lease = pool
            .lease(name, resolved, async || {
                let (conn, tools, seen) = connect_fresh(name, resolved, options).await?;
                fresh = Some((tools, seen));
                Ok::<_, ConnectError>(conn)
            })
            .await?;
        if let Some((tools, tools_seen)) = fresh {
            return Ok(Connected {
                held: Held::Leased(lease),
                tools,
                tools_seen,
            });
        }
        let tools_seen = lease.conn().notices.generation(List::Tools);
        match lease.conn().list_tools().await {
            Ok(tools) => {
                return Ok(Connected {
                    held: Held::Leased(lease),
                    tools,
                    tools_seen,
                });
            }
            Err(e) => {
                tracing::debug!(server = %name, "a pooled connection could not list its tools: {e}");
                pool.discard(&lease);
            }
        }
    }
    Err(ConnectError::Failed(
        "the shared connection failed twice in a row".to_owned(),
    ))
}

/// A new connection and its tools, with the `tools/list_changed` count
/// from before the listing.
async fn connect_fresh(
    name: &str,
    resolved: &ResolvedServer,
    options: &ConnectOptions,
) -> Result<(Connection, Vec<rmcp::model::Tool>, u64), ConnectError> {
    // A server may accept `initialize` from anyone and refuse the listing
    // instead: that refusal is a login's business, as at connecting, with
    // one retry after the provider refreshed the token.
    for retry in [false, true] {
        let conn = connect(name, resolved, options).await?;
        let seen = conn.notices.generation(List::Tools);
        let error = match conn.list_tools().await {
            Ok(tools) => return Ok((conn, tools, seen)),
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
            Ok(connected) => {
                let _ = tx.send(Restart::Up { server, connected });
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
