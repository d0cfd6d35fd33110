//! How an allowed request reaches its upstream: the host's resolver and
//! network in production, with every address judged before it is
//! connected to; a fixed, unchecked table in tests.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::address::{AddressClass, Internal, IpNet, SpecialRange, classify_address, judged_form};
use super::local;

/// Opens the upstream connection for an allowed request. The proxy has
/// already checked the name against the allowlist and the port; the
/// connector decides where the name leads and whether it may go there.
/// A connector that resolves names must refuse what [`judge_address`]
/// refuses; [`CheckedConnector`] does so around any [`Resolve`].
pub trait Connector: Send + Sync + 'static {
    /// Connects to `host` (a lower-cased domain name) on `port`, giving up
    /// after `timeout`. `ranges` are the allowlist's CIDR entries: the
    /// special-purpose addresses the name may lead to.
    fn connect(
        &self,
        host: &str,
        port: u16,
        ranges: &[IpNet],
        timeout: Duration,
    ) -> Result<Upstream, ConnectError>;
}

/// An open upstream connection.
#[derive(Debug)]
pub struct Upstream {
    /// The connection; nothing has been sent on it yet.
    pub stream: TcpStream,
    /// Addresses the name also resolved to that were refused and skipped.
    pub skipped: Vec<RefusedAddress>,
}

/// An address a name resolved to and why it was not connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusedAddress {
    /// The address as the resolver gave it.
    pub address: IpAddr,
    /// Why it was refused.
    pub reason: Refusal,
}

/// Why the proxy will not connect to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This machine, its link, or a metadata service: no allowlist entry
    /// opens it.
    Internal(Internal),
    /// A special-purpose range no CIDR entry of the allowlist covers.
    Special(SpecialRange),
}

impl fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = self.address;
        match &self.reason {
            Refusal::Internal(internal) => write!(f, "{address} ({internal})"),
            Refusal::Special(range) => write!(f, "{address} (in the {range})"),
        }
    }
}

/// Why a [`Connector`] did not connect.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The name leads only to addresses the sandbox must not reach. The
    /// proxy answers `403`; retrying will not help.
    #[error("{host} resolves only to refused addresses: {}", list(refused))]
    Forbidden {
        /// The requested name.
        host: String,
        /// Every address the name resolved to, each with its reason.
        refused: Vec<RefusedAddress>,
    },
    /// The name did not resolve or nothing answered in time. The proxy
    /// answers `502`; a later retry may work.
    #[error("cannot reach {host}:{port}: {source}")]
    Unreachable {
        /// The requested name.
        host: String,
        /// The requested port.
        port: u16,
        /// Addresses the name also resolved to that were refused.
        skipped: Vec<RefusedAddress>,
        /// The resolver's or the connection's error.
        #[source]
        source: io::Error,
    },
}

fn list(refused: &[RefusedAddress]) -> String {
    refused
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns a name into addresses: the seam between the address checks and
/// the resolver, so tests can aim names at real addresses of this machine.
pub trait Resolve: Send + Sync + 'static {
    /// Every address `host` has, with `port` filled in.
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;
}

/// The host's own resolver (`getaddrinfo`). It takes as long as the system
/// resolver does; only the connection honours the proxy's timeout.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok((host, port).to_socket_addrs()?.collect())
    }
}

/// Resolves names with the host's resolver and connects from the host's
/// network, judging every address first (see [`CheckedConnector`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemConnector;

impl Connector for SystemConnector {
    fn connect(
        &self,
        host: &str,
        port: u16,
        ranges: &[IpNet],
        timeout: Duration,
    ) -> Result<Upstream, ConnectError> {
        connect_checked(&SystemResolver, host, port, ranges, timeout)
    }
}

/// Resolves with `R`, then connects to the first address that passes
/// [`judge_address`] against the machine's current addresses, skipping the
/// others. The address checked is the address connected to, so a name
/// that resolves differently a moment later (DNS rebinding) cannot slip
/// through.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckedConnector<R> {
    resolver: R,
}

impl<R: Resolve> CheckedConnector<R> {
    /// Checks and connects whatever `resolver` answers.
    pub fn new(resolver: R) -> Self {
        Self { resolver }
    }
}

impl<R: Resolve> Connector for CheckedConnector<R> {
    fn connect(
        &self,
        host: &str,
        port: u16,
        ranges: &[IpNet],
        timeout: Duration,
    ) -> Result<Upstream, ConnectError> {
        connect_checked(&self.resolver, host, port, ranges, timeout)
    }
}

fn connect_checked(
    resolver: &dyn Resolve,
    host: &str,
    port: u16,
    ranges: &[IpNet],
    timeout: Duration,
) -> Result<Upstream, ConnectError> {
    let deadline = Instant::now() + timeout;
    let mut skipped = Vec::new();
    let unreachable = |skipped: Vec<RefusedAddress>, source| ConnectError::Unreachable {
        host: host.to_owned(),
        port,
        skipped,
        source,
    };
    let addrs = match resolver.resolve(host, port) {
        Ok(addrs) => addrs,
        Err(source) => return Err(unreachable(skipped, source)),
    };
    // Listed afresh for every request: addresses change (DHCP, VPNs,
    // container bridges) while a task runs. Without the list nothing can
    // be judged, so nothing is connected.
    let held = match local::interface_addresses() {
        Ok(held) => held,
        Err(error) => {
            let source = io::Error::new(
                error.kind(),
                format!("cannot list this machine's own addresses to rule them out: {error}"),
            );
            return Err(unreachable(skipped, source));
        }
    };
    let mut last_error = None;
    for addr in addrs {
        let refuse = |reason| RefusedAddress {
            address: addr.ip(),
            reason,
        };
        if let Err(reason) = judge_address(addr.ip(), ranges, &held) {
            skipped.push(refuse(reason));
            continue;
        }
        match local::routes_to_self(addr) {
            Ok(false) => {}
            Ok(true) => {
                skipped.push(refuse(Refusal::Internal(Internal::ThisMachine)));
                continue;
            }
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            last_error = Some(io::Error::from(io::ErrorKind::TimedOut));
            break;
        }
        let stream = match TcpStream::connect_timeout(&addr, remaining) {
            Ok(stream) => stream,
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        };
        match local::is_self_connection(&stream) {
            Ok(false) => return Ok(Upstream { stream, skipped }),
            Ok(true) => {
                let _ = stream.shutdown(Shutdown::Both);
                skipped.push(refuse(Refusal::Internal(Internal::ThisMachine)));
            }
            Err(error) => last_error = Some(error),
        }
    }
    match last_error {
        Some(error) => Err(unreachable(skipped, error)),
        None if !skipped.is_empty() => Err(ConnectError::Forbidden {
            host: host.to_owned(),
            refused: skipped,
        }),
        None => Err(unreachable(
            skipped,
            io::Error::new(io::ErrorKind::NotFound, "the name has no addresses"),
        )),
    }
}

/// Whether the proxy may connect to `ip`, given the allowlist's CIDR
/// `ranges` and the addresses the machine `held` at the time. A range
/// opens a special-purpose address; nothing opens an internal one or one
/// the machine holds.
pub fn judge_address(ip: IpAddr, ranges: &[IpNet], held: &[IpAddr]) -> Result<(), Refusal> {
    match classify_address(ip) {
        AddressClass::Internal(internal) => Err(Refusal::Internal(internal)),
        AddressClass::Global | AddressClass::Special(_) if local::is_held(ip, held) => {
            Err(Refusal::Internal(Internal::ThisMachine))
        }
        AddressClass::Global => Ok(()),
        AddressClass::Special(range) => {
            let judged = judged_form(ip);
            if ranges.iter().any(|allowed| allowed.contains(judged)) {
                Ok(())
            } else {
                Err(Refusal::Special(range))
            }
        }
    }
}

/// Sends each name to a fixed address, whatever port was asked, without
/// resolving or checking it: for tests, and for callers that have already
/// pinned where a name goes. Unknown names are unreachable.
#[derive(Debug, Clone, Default)]
pub struct StaticConnector {
    routes: HashMap<String, SocketAddr>,
}

impl StaticConnector {
    /// An empty table: every name is unreachable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `host` (matched case-insensitively) to `addr`.
    #[must_use]
    pub fn route(mut self, host: &str, addr: SocketAddr) -> Self {
        self.routes.insert(host.to_ascii_lowercase(), addr);
        self
    }
}

impl Connector for StaticConnector {
    fn connect(
        &self,
        host: &str,
        port: u16,
        _ranges: &[IpNet],
        timeout: Duration,
    ) -> Result<Upstream, ConnectError> {
        let unreachable = |source| ConnectError::Unreachable {
            host: host.to_owned(),
            port,
            skipped: Vec::new(),
            source,
        };
        let addr = self.routes.get(&host.to_ascii_lowercase()).ok_or_else(|| {
            unreachable(io::Error::new(
                io::ErrorKind::NotFound,
                "no route for this name",
            ))
        })?;
        let stream = TcpStream::connect_timeout(addr, timeout).map_err(unreachable)?;
        Ok(Upstream {
            stream,
            skipped: Vec::new(),
        })
    }
}

#[cfg(test)]
#[path = "connector_tests.rs"]
mod tests;
