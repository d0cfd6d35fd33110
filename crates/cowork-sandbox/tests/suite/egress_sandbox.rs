//! The allowlist from inside a real sandbox: listed domains pass through
//! the proxy; everything else — other names, other ports, IP addresses, and
//! any way around the proxy — fails, and the refusal explains itself.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use cowork_sandbox::egress::{Allowlist, Decision, DenyReason, StaticConnector};
use cowork_sandbox::{Egress, Network, Output};
use tempfile::tempdir;

use super::{err, out, sh};

/// A host-side HTTP server answering every request with `body`, and
/// echoing raw bytes for anything that is not an HTTP request.
fn upstream(body: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let Ok(n) = stream.read(&mut buf) else { return };
                if buf[..n].starts_with(b"GET ") {
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(reply.as_bytes());
                } else {
                    let _ = stream.write_all(&buf[..n]);
                }
            });
        }
    });
    addr
}

fn run_with_net(script: &str, allow: &str, addr: SocketAddr) -> Output {
    let dir = tempdir().unwrap();
    let mut spec = sh(script, dir.path());
    let connector = StaticConnector::new()
        .route("allowed.test", addr)
        .route("api.allowed.test", addr)
        .route("other.test", addr);
    spec.network = Network::Allow(
        Egress::new(Allowlist::parse(allow).unwrap()).with_connector(Arc::new(connector)),
    );
    cowork_sandbox::run(&spec).unwrap()
}

#[test]
fn an_allowed_domain_is_reached_through_the_proxy_with_plain_http() {
    let addr = upstream("hello from upstream");
    let output = run_with_net(
        "curl -sS http://allowed.test/file.txt",
        "allowed.test",
        addr,
    );
    assert_eq!(out(&output), "hello from upstream", "{}", err(&output));
    assert_eq!(output.egress.len(), 1, "{:?}", output.egress);
    assert_eq!(output.egress[0].to_string(), "allowed allowed.test:80");
}

#[test]
fn a_connect_tunnel_to_an_allowed_wildcard_domain_relays_both_ways() {
    let addr = upstream("unused");
    let script = "python3 -c \"
import socket
s = socket.create_connection(('127.0.0.1', 3128), timeout=5)
s.sendall(b'CONNECT api.allowed.test:443 HTTP/1.1\\r\\nHost: api.allowed.test:443\\r\\n\\r\\n')
head = b''
while b'\\r\\n\\r\\n' not in head:
    head += s.recv(1)
print(head.split(b'\\r\\n')[0].decode())
s.sendall(b'ping through the tunnel')
print(s.recv(100).decode())
\"";
    let output = run_with_net(script, "*.allowed.test", addr);
    let text = out(&output);
    assert!(text.starts_with("HTTP/1.1 200"), "{text} {}", err(&output));
    assert!(text.contains("ping through the tunnel"), "{text}");
}

#[test]
fn an_unlisted_domain_gets_a_readable_403() {
    let addr = upstream("secret");
    let output = run_with_net("curl -sS http://other.test/", "allowed.test", addr);
    let text = out(&output);
    assert!(!text.contains("secret"), "{text}");
    assert!(
        text.contains("other.test") && text.contains("not allowed"),
        "{text}"
    );
    assert!(text.contains("will not work"), "{text}");
    assert_eq!(
        output.egress[0].decision,
        Decision::Denied(DenyReason::NotInAllowlist)
    );
    // https: the tunnel is refused before any TLS.
    let output = run_with_net(
        "curl -sS https://other.test/ 2>&1; echo exit=$?",
        "allowed.test",
        addr,
    );
    assert!(out(&output).contains("403"), "{}", out(&output));
}

#[test]
fn an_allowed_name_on_another_port_and_raw_ips_are_refused() {
    let addr = upstream("secret");
    // (Loopback addresses skip the proxy by NO_PROXY and find nothing.)
    let script = "curl -sS http://allowed.test:8080/; echo; \
                  curl -sS http://93.184.216.34/; echo; \
                  curl -sS http://1572395042/; echo; \
                  curl -sS 'http://[2606:2800:220:1::1]/'; echo";
    let output = run_with_net(script, "allowed.test", addr);
    let text = out(&output);
    assert!(!text.contains("secret"), "{text}");
    let reasons: Vec<String> = output
        .egress
        .iter()
        .map(|e| e.decision.clone())
        .map(|d| format!("{d:?}"))
        .collect();
    assert_eq!(
        output.egress.len(),
        4,
        "{reasons:?} {text} {}",
        err(&output)
    );
    assert_eq!(
        output.egress[0].decision,
        Decision::Denied(DenyReason::PortNotAllowed),
        "{reasons:?}"
    );
    for event in &output.egress[1..] {
        assert_eq!(
            event.decision,
            Decision::Denied(DenyReason::IpAddress),
            "{reasons:?}"
        );
    }
}

#[test]
fn going_around_the_proxy_reaches_nothing() {
    let addr = upstream("secret");
    let script = format!(
        "curl -sS --noproxy '*' --max-time 3 http://allowed.test/ 2>&1; \
         curl -sS --noproxy '*' --max-time 3 http://127.0.0.1:{}/ 2>&1; \
         python3 -c \"
import socket
try:
    socket.create_connection(('1.1.1.1', 443), timeout=3); print('CONNECTED')
except OSError as e:
    print('unreachable', e)
\"",
        addr.port()
    );
    let output = run_with_net(&script, "allowed.test", addr);
    let text = out(&output);
    assert!(
        !text.contains("secret") && !text.contains("CONNECTED"),
        "{text}"
    );
    assert!(text.contains("unreachable"), "{text}");
    assert!(output.egress.is_empty(), "{:?}", output.egress);
}

#[test]
fn without_an_allowlist_there_is_no_proxy_to_talk_to() {
    let dir = tempdir().unwrap();
    let output = cowork_sandbox::run(&sh(
        "curl -sS --max-time 3 -x http://127.0.0.1:3128 http://allowed.test/ 2>&1; env | grep -i proxy; true",
        dir.path(),
    ))
    .unwrap();
    let text = out(&output);
    assert!(
        text.contains("Failed to connect") || text.contains("Couldn't connect"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("http_proxy="), "{text}");
}
