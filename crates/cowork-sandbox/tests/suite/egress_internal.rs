//! Bug 12: the egress proxy must never lead a listed name to this machine
//! (on any interface), its link, metadata services, or special-purpose
//! ranges the allowlist does not open. These tests go through the real
//! address checks with a resolver seam, and send traffic only to loopback
//! and addresses of this machine.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cowork_sandbox::egress::{
    AddressClass, CheckedConnector, Decision, DenyReason, EgressEvent, Internal, Refusal, Resolve,
    classify_address,
};

use super::egress::{Harness, echo_server, http_server, routes};

/// Answers every name with the same addresses, counting lookups.
#[derive(Clone)]
struct FixedResolver {
    addrs: Vec<SocketAddr>,
    lookups: Arc<AtomicUsize>,
}

impl FixedResolver {
    fn new(addrs: &[SocketAddr]) -> Self {
        Self {
            addrs: addrs.to_vec(),
            lookups: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for FixedResolver {
    fn resolve(&self, _host: &str, _port: u16) -> io::Result<Vec<SocketAddr>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        Ok(self.addrs.clone())
    }
}

/// The machine's interface addresses, read independently of the code
/// under test, without loopback and the always-refused kinds.
// SAFETY (every block below): the list from a successful `getifaddrs` is
// walked node by node, each sockaddr read as the struct its family names,
// and freed once.
fn machine_addresses() -> Vec<IpAddr> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    assert_eq!(unsafe { libc::getifaddrs(&raw mut list) }, 0);
    let mut found = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        let node = unsafe { &*entry };
        let addr = node.ifa_addr;
        if !addr.is_null() {
            match i32::from(unsafe { (*addr).sa_family }) {
                libc::AF_INET => {
                    let v4 = unsafe { &*addr.cast::<libc::sockaddr_in>() };
                    found.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))));
                }
                libc::AF_INET6 => {
                    let v6 = unsafe { &*addr.cast::<libc::sockaddr_in6>() };
                    found.push(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)));
                }
                _ => {}
            }
        }
        entry = node.ifa_next;
    }
    unsafe { libc::freeifaddrs(list) };
    found.retain(|ip| !matches!(classify_address(*ip), AddressClass::Internal(_)));
    found
}

/// A listener on `ip` that must never see a connection.
fn untouched_listener(ip: IpAddr) -> Option<TcpListener> {
    let listener = TcpListener::bind((ip, 0)).ok()?;
    listener.set_nonblocking(true).unwrap();
    Some(listener)
}

fn assert_never_connected(listener: &TcpListener) {
    std::thread::sleep(Duration::from_millis(50));
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(error) if error.kind() == io::ErrorKind::WouldBlock),
        "the proxy connected to {:?}",
        listener.local_addr()
    );
}

fn refused_of(events: &[EgressEvent]) -> Vec<(IpAddr, Refusal)> {
    match events {
        [
            EgressEvent {
                decision: Decision::Denied(DenyReason::InternalAddress { refused }),
                ..
            },
        ] => refused.iter().map(|r| (r.address, r.reason)).collect(),
        other => panic!("expected one internal-address denial, got {other:?}"),
    }
}

#[test]
fn a_listed_name_resolving_to_an_address_of_this_machine_is_refused() {
    let addresses = machine_addresses();
    if addresses.is_empty() {
        eprintln!("skipped: this machine has no non-loopback interface address");
        return;
    }
    let mut checked = 0;
    for ip in addresses {
        let Some(listener) = untouched_listener(ip) else {
            continue; // e.g. an IPv6 address still in duplicate detection
        };
        let target = listener.local_addr().unwrap();
        let mut targets = vec![target];
        if let IpAddr::V4(v4) = ip {
            targets.push(SocketAddr::new(
                IpAddr::V6(v4.to_ipv6_mapped()),
                target.port(),
            ));
        }
        for addr in targets {
            // A range covering the address, so only the this-machine check
            // stands between the name and the host's service.
            let prefix = if ip.is_ipv4() { 32 } else { 128 };
            let allow = format!("host.test, {ip}/{prefix}");
            let resolver = FixedResolver::new(&[addr]);
            let proxy = Harness::start(&allow, CheckedConnector::new(resolver));
            let response = proxy.exchange(b"CONNECT host.test:443 HTTP/1.1\r\n\r\n");
            assert!(response.starts_with("HTTP/1.1 403 "), "{addr}: {response}");
            assert!(
                response.contains("an address of this machine"),
                "{response}"
            );
            assert!(response.contains("will not work"), "{response}");
            assert!(
                response.contains("never reachable from the sandbox")
                    && !response.contains("ask the user"),
                "{response}"
            );
            assert_eq!(
                refused_of(&proxy.events()),
                [(addr.ip(), Refusal::Internal(Internal::ThisMachine))]
            );
            checked += 1;
        }
        assert_never_connected(&listener);
    }
    assert!(checked > 0, "no address of this machine could be bound");
}

#[test]
fn every_refused_address_of_a_name_is_named_in_the_403_and_the_event() {
    let listener = untouched_listener(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let addrs: Vec<SocketAddr> = [
        "127.0.0.1",
        "169.254.169.254",
        "10.0.0.1",
        "::ffff:127.0.0.1",
        "::",
        "0.0.0.0",
        "64:ff9b::7f00:1",
    ]
    .iter()
    .map(|ip| SocketAddr::new(ip.parse().unwrap(), port))
    .collect();
    let resolver = FixedResolver::new(&addrs);
    let proxy = Harness::start("multi.test", CheckedConnector::new(resolver.clone()));
    let response = proxy.exchange(b"CONNECT multi.test:443 HTTP/1.1\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    for text in [
        "127.0.0.1 (a loopback address)",
        "169.254.169.254 (a cloud metadata service address)",
        "10.0.0.1 (in the private-use range 10.0.0.0/8)",
        "0.0.0.0 (an unspecified",
        "will not work",
        "ask the user",
        "Allowed: multi.test (http on port 80, https on port 443).",
    ] {
        assert!(response.contains(text), "{text} missing: {response}");
    }
    let refused = refused_of(&proxy.events());
    assert_eq!(
        refused.iter().map(|(ip, _)| *ip).collect::<Vec<_>>(),
        addrs.iter().map(SocketAddr::ip).collect::<Vec<_>>()
    );
    // Resolved once, and only the checked addresses were ever candidates:
    // a rebinding answer has no second lookup to slip into.
    assert_eq!(resolver.lookups(), 1);
    assert_never_connected(&listener);
}

#[test]
fn no_range_opens_loopback_metadata_or_unspecified_addresses() {
    let listener = untouched_listener(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let addrs: Vec<SocketAddr> = ["127.0.0.1", "0.0.0.0", "169.254.169.254", "::1", "::"]
        .iter()
        .map(|ip| SocketAddr::new(ip.parse().unwrap(), port))
        .collect();
    let proxy = Harness::start(
        "open.test, 0.0.0.0/0, ::/0",
        CheckedConnector::new(FixedResolver::new(&addrs)),
    );
    let response = proxy.exchange(b"GET http://open.test/ HTTP/1.1\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    assert!(
        response.contains(
            "Allowed: open.test (http on port 80, https on port 443); \
             these names may lead into 0.0.0.0/0, ::/0."
        ),
        "{response}"
    );
    assert!(
        refused_of(&proxy.events())
            .iter()
            .all(|(_, reason)| matches!(reason, Refusal::Internal(_)))
    );
    assert_never_connected(&listener);
}

#[test]
fn raw_ip_requests_stay_refused_in_every_notation_whatever_ranges_are_listed() {
    let echo = echo_server();
    let hosts = [
        "127.0.0.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f.1",
        "0x7f000001",
        "127.1",
        "10.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[fe80::1%25eth0]",
        "[fe80::1%eth0]",
        "[fd00::2]",
    ];
    let connector = routes(&hosts.map(|host| (host, echo)));
    let proxy = Harness::start("allowed.test, 0.0.0.0/0, ::/0", connector);
    for host in hosts {
        for request in [
            format!("CONNECT {host}:443 HTTP/1.1\r\n\r\n"),
            format!("GET http://{host}/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n"),
        ] {
            let response = proxy.exchange(request.as_bytes());
            assert!(
                response.starts_with("HTTP/1.1 403 "),
                "{request}: {response}"
            );
        }
    }
    // An unbracketed zone id is not even a host:port.
    let response = proxy.exchange(b"CONNECT fe80::1%eth0:443 HTTP/1.1\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 400 "), "{response}");
    assert!(
        proxy
            .events()
            .iter()
            .all(|event| !event.decision.is_allowed())
    );
}

#[test]
fn localhost_names_are_refused_without_being_resolved() {
    let resolver = FixedResolver::new(&["127.0.0.1:1".parse().unwrap()]);
    let proxy = Harness::start("allowed.test", CheckedConnector::new(resolver.clone()));
    for request in [
        "CONNECT localhost:443 HTTP/1.1\r\n\r\n",
        "CONNECT LOCALHOST.:443 HTTP/1.1\r\n\r\n",
        "CONNECT app.localhost:443 HTTP/1.1\r\n\r\n",
        "GET http://localhost/ HTTP/1.1\r\n\r\n",
    ] {
        let response = proxy.exchange(request.as_bytes());
        assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
        assert!(
            response.contains("always names the user's own machine"),
            "{response}"
        );
    }
    assert!(
        proxy
            .events()
            .iter()
            .all(|event| event.decision == Decision::Denied(DenyReason::LocalhostName))
    );
    assert_eq!(resolver.lookups(), 0);
}

#[test]
fn a_host_header_naming_another_host_cannot_redirect_plain_http() {
    let (upstream, received) = http_server("ok");
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", upstream)]));
    let response = proxy.exchange(
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: 127.0.0.1:22\r\nhost: localhost\r\n\r\n",
    );
    assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
    let request = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        request,
        "GET / HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n"
    );
    // The URL decides where a request goes, never the Host header.
    let response = proxy.exchange(b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
}
