//! The accept loop, the connection registry, and stopping.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::allowlist::Allowlist;
use super::connector::Connector;
use super::event::{Decision, EgressEvent, EgressLog, RequestKind};
use super::{reply, serve};

/// Connections served at once; the next one gets `503`.
pub const MAX_CONNECTIONS: usize = 256;

/// How long [`ProxyHandle::stop`] waits for connection threads after
/// closing their sockets. Only a thread still inside the connector (a slow
/// DNS lookup) can take that long; it is left to finish on its own and
/// closes its upstream as soon as it returns.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// The egress proxy. See the [module documentation](super).
#[derive(Debug)]
pub struct Proxy;

impl Proxy {
    /// Serves `listener` (normally the socket bridged out of the sandbox)
    /// on background threads, one per connection, until the returned handle
    /// is stopped or dropped. `log` is called once per request.
    pub fn spawn(
        listener: TcpListener,
        allowlist: Allowlist,
        connector: Arc<dyn Connector>,
        log: EgressLog,
    ) -> io::Result<ProxyHandle> {
        listener.set_nonblocking(true)?;
        let (wake, woken) = UnixStream::pair()?;
        let shared = Arc::new(Shared {
            allowlist,
            connector,
            log,
            registry: Mutex::new(Registry::default()),
            idle: Condvar::new(),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("cowork-egress".to_owned())
                .spawn(move || accept_loop(&listener, &woken, &shared))?
        };
        Ok(ProxyHandle {
            shared,
            wake: Some(wake),
            acceptor: Some(acceptor),
        })
    }
}

/// A running proxy. Stopping it (or dropping it) stops accepting, closes
/// every open connection at once — relayed tunnels included — and joins
/// the proxy's threads.
#[derive(Debug)]
#[must_use = "dropping the handle stops the proxy"]
pub struct ProxyHandle {
    shared: Arc<Shared>,
    wake: Option<UnixStream>,
    acceptor: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl ProxyHandle {
    /// Stops the proxy; the same as dropping the handle.
    pub fn stop(self) {}

    fn shut_down(&mut self) {
        self.shared.close_all();
        // Closing our end of the pair wakes the acceptor's poll.
        drop(self.wake.take());
        let workers = self
            .acceptor
            .take()
            .and_then(|acceptor| acceptor.join().ok())
            .unwrap_or_default();
        self.shared.wait_idle(STOP_GRACE);
        for worker in workers {
            if worker.is_finished() {
                // A worker that panicked (in the log callback, say) has
                // already been reported by the panic hook.
                let _ = worker.join();
            }
        }
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// What every connection thread shares.
pub(crate) struct Shared {
    pub allowlist: Allowlist,
    pub connector: Arc<dyn Connector>,
    log: EgressLog,
    registry: Mutex<Registry>,
    idle: Condvar,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("allowlist", &self.allowlist)
            .finish_non_exhaustive()
    }
}

/// The open connections' sockets, so stopping can shut them all down.
#[derive(Default)]
struct Registry {
    stopped: bool,
    next_id: u64,
    open: HashMap<u64, Vec<TcpStream>>,
}

impl Shared {
    /// Reports `event` to the caller's log.
    pub fn log(&self, event: &EgressEvent) {
        (self.log)(event);
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // The registry holds no invariant a panicking holder could break.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, or says why not.
    fn open_slot(self: &Arc<Self>, client: &TcpStream) -> Result<Slot, SlotRefusal> {
        let mut registry = self.registry();
        if registry.stopped {
            return Err(SlotRefusal::Stopped);
        }
        if registry.open.len() >= MAX_CONNECTIONS {
            return Err(SlotRefusal::Full);
        }
        // Out of descriptors: as good as full.
        let clone = client.try_clone().map_err(|_| SlotRefusal::Full)?;
        let id = registry.next_id;
        registry.next_id += 1;
        registry.open.insert(id, vec![clone]);
        Ok(Slot {
            shared: Arc::clone(self),
            id,
        })
    }

    fn close_all(&self) {
        let mut registry = self.registry();
        registry.stopped = true;
        for stream in registry.open.values().flatten() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn wait_idle(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let mut registry = self.registry();
        while !registry.open.is_empty() {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return;
            }
            registry = self
                .idle
                .wait_timeout(registry, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

enum SlotRefusal {
    Stopped,
    Full,
}

/// One connection's place in the registry; dropping it frees the place.
pub(crate) struct Slot {
    shared: Arc<Shared>,
    id: u64,
}

impl Slot {
    /// The proxy state.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Adds `stream` (an upstream connection) to what stopping shuts down.
    /// Fails, shutting `stream` down, when the proxy is already stopping.
    pub fn track(&self, stream: &TcpStream) -> io::Result<()> {
        let mut registry = self.shared.registry();
        if registry.stopped {
            let _ = stream.shutdown(Shutdown::Both);
            return Err(io::Error::from(io::ErrorKind::ConnectionAborted));
        }
        let clone = stream.try_clone()?;
        registry.open.entry(self.id).or_default().push(clone);
        Ok(())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.registry().open.remove(&self.id);
        self.shared.idle.notify_all();
    }
}

fn accept_loop(
    listener: &TcpListener,
    woken: &UnixStream,
    shared: &Arc<Shared>,
) -> Vec<JoinHandle<()>> {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    loop {
        match wait(listener, woken) {
            Ok(Wake::Stop) => return workers,
            Ok(Wake::Listener) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return workers,
        }
        loop {
            let client = match listener.accept() {
                Ok((client, _)) => client,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    continue;
                }
                Err(_) => {
                    // Out of descriptors or memory: back off instead of
                    // spinning on a connection we cannot take yet.
                    thread::sleep(Duration::from_millis(20));
                    break;
                }
            };
            workers.retain(|worker| !worker.is_finished());
            let _ = client.set_nonblocking(false);
            match shared.open_slot(&client) {
                Ok(slot) => {
                    let spawned = thread::Builder::new()
                        .name("cowork-egress-conn".to_owned())
                        .spawn(move || serve::connection(&slot, client));
                    if let Ok(worker) = spawned {
                        workers.push(worker);
                    }
                }
                Err(SlotRefusal::Full) => refuse_busy(shared, client),
                Err(SlotRefusal::Stopped) => return workers,
            }
        }
    }
}

/// Answers `503` without waiting for the request: the answer is small
/// enough for the socket buffer, so this never blocks the accept loop.
fn refuse_busy(shared: &Shared, client: TcpStream) {
    let event = EgressEvent {
        host: String::new(),
        port: 0,
        kind: RequestKind::Unknown,
        decision: Decision::Busy,
        skipped: Vec::new(),
    };
    shared.log(&event);
    if let Some(response) = reply::refusal(&event, &shared.allowlist) {
        let _ = client.set_write_timeout(Some(Duration::from_millis(100)));
        let _ = (&client).write_all(&response);
        let _ = client.shutdown(Shutdown::Write);
    }
    // Closing with unread input sends a reset that can destroy the answer
    // in flight; read what has already arrived, without waiting for more.
    if client.set_nonblocking(true).is_ok() {
        let mut sink = [0u8; 4096];
        for _ in 0..16 {
            match (&client).read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

enum Wake {
    Listener,
    Stop,
}

/// Blocks until a connection is waiting or the handle asks to stop.
fn wait(listener: &TcpListener, woken: &UnixStream) -> io::Result<Wake> {
    let mut fds = [
        libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: woken.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: `fds` is a valid, exclusively borrowed array of two pollfd
    // structs for the whole call, and both descriptors outlive it.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
    if ready < 0 {
        return Err(io::Error::last_os_error());
    }
    if fds[1].revents != 0 || fds[0].revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
        return Ok(Wake::Stop);
    }
    Ok(Wake::Listener)
}
