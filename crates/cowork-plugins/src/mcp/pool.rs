//! Connections shared by the tasks of one process (the daemon): a server
//! configured the same way for two tasks is started once, and stays up a
//! while after the last task using it ended, so the next task (a
//! scheduled run every few minutes, a follow-up) does not wait for `npx`
//! or a remote handshake again. The CLI runs one task per process and
//! does not pool.
//!
//! A pooled connection is shared as Claude's desktop app shares a server
//! between conversations: state the server itself keeps (a login, an open
//! browser) is the same for every task. What each task may do with it is
//! still decided per task, by its own permission engine.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::connect::{Connection, ResolvedServer};

/// How long an unused connection stays up by default.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(5 * 60);

/// The connections of a process's tasks. Cheap to clone: clones share
/// the same connections.
#[derive(Clone)]
pub struct ConnectionPool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("idle", &self.inner.idle)
            .finish_non_exhaustive()
    }
}

struct PoolInner {
    slots: Mutex<Vec<Arc<Slot>>>,
    idle: Duration,
    reaper: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// One server, by name and configuration.
struct Slot {
    name: String,
    resolved: ResolvedServer,
    state: Mutex<SlotState>,
    /// Held while connecting, so tasks that start together start the
    /// server once.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct SlotState {
    conn: Option<Arc<Connection>>,
    leases: usize,
    idle_since: Option<Instant>,
}

/// A task's use of a pooled connection; dropping it gives it back.
pub(crate) struct Lease {
    slot: Arc<Slot>,
    conn: Arc<Connection>,
}

impl Lease {
    pub(crate) fn conn(&self) -> &Arc<Connection> {
        &self.conn
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut state = self.slot.lock();
        state.leases = state.leases.saturating_sub(1);
        if state.leases == 0 {
            state.idle_since = Some(Instant::now());
        }
    }
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ConnectionPool {
    /// A pool that closes a connection once no task used it for `idle`.
    pub fn new(idle: Duration) -> Self {
        Self {
            inner: Arc::new(PoolInner {
                slots: Mutex::new(Vec::new()),
                idle,
                reaper: Mutex::new(None),
            }),
        }
    }

    /// A lease on the live connection to `name` configured as `resolved`,
    /// or on a new one from `connect` when there is none (or it ended).
    /// `connect`'s error is returned as is.
    pub(crate) async fn lease<E, F>(
        &self,
        name: &str,
        resolved: &ResolvedServer,
        connect: F,
    ) -> Result<Lease, E>
    where
        F: AsyncFnOnce() -> Result<Connection, E>,
    {
        self.start_reaper();
        let slot = self.slot(name, resolved);
        let _connecting = slot.connecting.lock().await;
        let live = slot.lock().conn.clone().filter(|c| c.ended().is_none());
        let conn = match live {
            Some(conn) => conn,
            None => {
                let conn = Arc::new(connect().await?);
                // The ended one (if any) goes when its last holder lets go.
                slot.lock().conn = Some(Arc::clone(&conn));
                conn
            }
        };
        let mut state = slot.lock();
        state.leases += 1;
        state.idle_since = None;
        drop(state);
        Ok(Lease {
            slot: Arc::clone(&slot),
            conn,
        })
    }

    /// Forgets the connection a lease holder found unusable, so the next
    /// lease connects afresh.
    pub(crate) fn discard(&self, lease: &Lease) {
        let mut state = lease.slot.lock();
        if state
            .conn
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, &lease.conn))
        {
            state.conn = None;
        }
    }

    /// How many connections the pool holds open now (for tests and
    /// diagnostics).
    pub fn open_connections(&self) -> usize {
        self.inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|s| s.lock().conn.is_some())
            .count()
    }

    /// Closes every connection no task uses now.
    pub async fn close_idle(&self) {
        close_idle(&self.inner, Duration::ZERO).await;
    }

    fn slot(&self, name: &str, resolved: &ResolvedServer) -> Arc<Slot> {
        let mut slots = self
            .inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots
            .iter()
            .find(|s| s.name == name && &s.resolved == resolved)
        {
            return Arc::clone(slot);
        }
        let slot = Arc::new(Slot {
            name: name.to_owned(),
            resolved: resolved.clone(),
            state: Mutex::new(SlotState::default()),
            connecting: tokio::sync::Mutex::new(()),
        });
        slots.push(Arc::clone(&slot));
        slot
    }

    /// Starts the task that closes idle connections, once, on the runtime
    /// of the first lease.
    fn start_reaper(&self) {
        let mut reaper = self
            .inner
            .reaper
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if reaper.is_some() {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let every = (self.inner.idle / 2).clamp(Duration::from_millis(50), Duration::from_secs(30));
        *reaper = Some(tokio::spawn(reap(weak, every)));
    }
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        if let Some(reaper) = self
            .reaper
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            reaper.abort();
        }
    }
}

async fn reap(pool: Weak<PoolInner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(pool) = pool.upgrade() else {
            return;
        };
        let idle = pool.idle;
        close_idle(&pool, idle).await;
    }
}

/// Closes the connections unused for at least `idle`.
async fn close_idle(pool: &PoolInner, idle: Duration) {
    let slots: Vec<Arc<Slot>> = pool
        .slots
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for slot in slots {
        let expired = {
            let mut state = slot.lock();
            let due = state.leases == 0
                && state
                    .idle_since
                    .is_some_and(|since| since.elapsed() >= idle);
            if due { state.conn.take() } else { None }
        };
        if let Some(conn) = expired {
            tracing::debug!(server = %slot.name, "closing an unused connection");
            match Arc::try_unwrap(conn) {
                Ok(conn) => conn.close().await,
                // A call of a task that just ended still holds it: it
                // closes when that call lets go.
                Err(shared) => drop(shared),
            }
        }
    }
}
