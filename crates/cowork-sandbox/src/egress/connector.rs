//! How an allowed request reaches its upstream: the host's resolver and
//! network in production, a fixed table in tests.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Opens the upstream connection for an allowed request. The proxy has
/// already checked the name against the allowlist and the port; the
/// connector decides where the name leads.
pub trait Connector: Send + Sync + 'static {
    /// Connects to `host` (a lower-cased domain name) on `port`, giving up
    /// after `timeout`.
    fn connect(&self, host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError>;
}

/// Why a [`Connector`] did not connect.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The name leads only to addresses the sandbox must not reach. The
    /// proxy answers `403`; retrying will not help.
    #[error("{host} resolves to {address}, an internal address of this machine")]
    Forbidden {
        /// The requested name.
        host: String,
        /// The first refused address.
        address: IpAddr,
    },
    /// The name did not resolve or nothing answered in time. The proxy
    /// answers `502`; a later retry may work.
    #[error("cannot reach {host}:{port}: {source}")]
    Unreachable {
        /// The requested name.
        host: String,
        /// The requested port.
        port: u16,
        /// The resolver's or the connection's error.
        #[source]
        source: io::Error,
    },
}

/// Resolves with the host's resolver and connects from the host's network,
/// skipping addresses for which [`is_internal_address`] holds: a listed
/// name must not become a way into the host's own services. Private
/// (RFC 1918, ULA) ranges stay reachable, since intranet names are
/// legitimate. Only the connection honours the timeout; resolution takes
/// as long as the system resolver does.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemConnector;

impl Connector for SystemConnector {
    fn connect(&self, host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
        let unreachable = |source| ConnectError::Unreachable {
            host: host.to_owned(),
            port,
            source,
        };
        let deadline = Instant::now() + timeout;
        let mut refused = None;
        let mut last_error = None;
        // The checked address is the one connected to, so a name that
        // re-resolves differently (DNS rebinding) cannot slip through.
        for addr in (host, port).to_socket_addrs().map_err(unreachable)? {
            if is_internal_address(addr.ip()) {
                refused.get_or_insert(addr.ip());
                continue;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                last_error = Some(io::Error::from(io::ErrorKind::TimedOut));
                break;
            }
            match TcpStream::connect_timeout(&addr, remaining) {
                Ok(stream) => return Ok(stream),
                Err(error) => last_error = Some(error),
            }
        }
        match (last_error, refused) {
            (Some(error), _) => Err(unreachable(error)),
            (None, Some(address)) => Err(ConnectError::Forbidden {
                host: host.to_owned(),
                address,
            }),
            (None, None) => Err(unreachable(io::Error::new(
                io::ErrorKind::NotFound,
                "the name has no addresses",
            ))),
        }
    }
}

/// Whether `ip` belongs to the machine itself or its link rather than to
/// some other host: loopback, unspecified and `0.0.0.0/8`, link-local
/// (including the `169.254.169.254` cloud metadata service), multicast,
/// broadcast and reserved `240.0.0.0/4`, the other known metadata addresses
/// (`fd00:ec2::254`, `100.100.100.200`), and IPv6 forms embedding any of
/// these (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4).
pub fn is_internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [first, ..] = ip.octets();
    first == 0
        || first >= 240
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip == Ipv4Addr::new(100, 100, 100, 200)
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        is_internal_v4(Ipv4Addr::new(a, b, c, d))
    };
    if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() {
        return true;
    }
    if segments[0] & 0xffc0 == 0xfe80 || ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return true;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    match segments {
        // IPv4-compatible (deprecated, still routed to the IPv4 stack by
        // some systems) and NAT64.
        [0, 0, 0, 0, 0, 0, high, low] | [0x64, 0xff9b, 0, 0, 0, 0, high, low] => {
            embedded_v4(high, low)
        }
        [0x2002, high, low, ..] => embedded_v4(high, low),
        _ => false,
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
    fn connect(&self, host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
        let unreachable = |source| ConnectError::Unreachable {
            host: host.to_owned(),
            port,
            source,
        };
        let addr = self.routes.get(&host.to_ascii_lowercase()).ok_or_else(|| {
            unreachable(io::Error::new(
                io::ErrorKind::NotFound,
                "no route for this name",
            ))
        })?;
        TcpStream::connect_timeout(addr, timeout).map_err(unreachable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(text: &str) -> bool {
        is_internal_address(text.parse().unwrap())
    }

    #[test]
    fn loopback_link_local_metadata_and_unspecified_addresses_are_internal() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "100.100.100.200",
            "::1",
            "::",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
        ] {
            assert!(internal(ip), "{ip} should be internal");
        }
    }

    #[test]
    fn public_and_private_network_addresses_are_not_internal() {
        for ip in [
            "93.184.216.34",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "2606:4700::1111",
            "fd12:3456::1",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
        ] {
            assert!(!internal(ip), "{ip} should be reachable");
        }
    }
}
