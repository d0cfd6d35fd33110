//! The egress proxy on a real socket, talking to local upstreams through a
//! connector that maps test names to them: no network needed.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cowork_sandbox::egress::{
    Allowlist, ConnectError, Connector, Decision, DenyReason, EgressEvent, Internal,
    MAX_CONNECTIONS, Proxy, ProxyHandle, Refusal, RequestKind, StaticConnector, SystemConnector,
    proxy_env,
};

const ESTABLISHED: &str = "HTTP/1.1 200 Connection established\r\n\r\n";

/// A running proxy and what its log callback saw.
pub(super) struct Harness {
    handle: ProxyHandle,
    addr: SocketAddr,
    events: Arc<Mutex<Vec<EgressEvent>>>,
}

impl Harness {
    pub(super) fn start(allow: &str, connector: impl Connector) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        let handle = Proxy::spawn(
            listener,
            Allowlist::parse(allow).unwrap(),
            Arc::new(connector),
            Arc::new(move |event: &EgressEvent| seen.lock().unwrap().push(event.clone())),
        )
        .unwrap();
        Self {
            handle,
            addr,
            events,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        stream
    }

    /// Sends `request` on a fresh connection and reads until the proxy closes.
    pub(super) fn exchange(&self, request: &[u8]) -> String {
        let mut stream = self.connect();
        stream.write_all(request).unwrap();
        read_to_close(&mut stream)
    }

    pub(super) fn events(&self) -> Vec<EgressEvent> {
        self.events.lock().unwrap().clone()
    }
}

fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn read_exact_text(stream: &mut TcpStream, len: usize) -> String {
    let mut out = vec![0; len];
    stream.read_exact(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Echoes every connection back, passing the client's half-close on.
pub(super) fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            thread::spawn(move || {
                let _ = std::io::copy(&mut &stream, &mut &stream);
                let _ = stream.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

/// An HTTP upstream that reports each raw request it receives and answers
/// `200` with `body`.
pub(super) fn http_server(body: &'static str) -> (SocketAddr, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (sender, received) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let request = read_request(&mut stream);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
            drop(stream);
            if sender.send(request).is_err() {
                return;
            }
        }
    });
    (addr, received)
}

/// Reads one request: the head, then a `Content-Length` or chunked body.
fn read_request(stream: &mut TcpStream) -> String {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    let complete = |request: &[u8]| {
        let text = String::from_utf8_lossy(request);
        let Some(head_end) = text.find("\r\n\r\n") else {
            return false;
        };
        let head = text[..head_end].to_ascii_lowercase();
        if head.contains("transfer-encoding: chunked") {
            return text[head_end + 4..].ends_with("0\r\n\r\n");
        }
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .map_or(0, |value| value.trim().parse::<usize>().unwrap());
        text.len() >= head_end + 4 + length
    };
    while !complete(&request) {
        if stream.read(&mut byte).unwrap() == 0 {
            break;
        }
        request.push(byte[0]);
    }
    String::from_utf8(request).unwrap()
}

pub(super) fn routes(pairs: &[(&str, SocketAddr)]) -> StaticConnector {
    pairs
        .iter()
        .fold(StaticConnector::new(), |connector, (name, addr)| {
            connector.route(name, *addr)
        })
}

/// Splits a response into its head (lower-cased) and body, checking that
/// `Content-Length` matches the body.
fn split_response(response: &str) -> (String, String) {
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .unwrap()
        .parse::<usize>()
        .unwrap();
    assert_eq!(length, body.len(), "Content-Length is wrong in {response}");
    (head, body.to_owned())
}

#[test]
fn connect_to_an_allowed_name_relays_bytes_both_ways_including_pipelined_ones() {
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", echo_server())]));
    let mut client = proxy.connect();
    client
        .write_all(b"CONNECT allowed.test:443 HTTP/1.1\r\nHost: allowed.test:443\r\n\r\nHELLO")
        .unwrap();
    assert_eq!(
        read_exact_text(&mut client, ESTABLISHED.len() + 5),
        format!("{ESTABLISHED}HELLO")
    );
    client.write_all(b"second round").unwrap();
    assert_eq!(read_exact_text(&mut client, 12), "second round");
    // The client's half-close reaches the upstream, whose own close comes
    // back: the tunnel ends cleanly.
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut client), "");
}

#[test]
fn a_large_transfer_through_a_tunnel_arrives_intact() {
    let proxy = Harness::start(
        "*.allowed.test",
        routes(&[("big.allowed.test", echo_server())]),
    );
    let mut client = proxy.connect();
    client
        .write_all(b"CONNECT big.allowed.test:443 HTTP/1.1\r\n\r\n")
        .unwrap();
    assert_eq!(read_exact_text(&mut client, ESTABLISHED.len()), ESTABLISHED);
    let payload: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut writer = client.try_clone().unwrap();
    let sent = payload.clone();
    let sender = thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut echoed = Vec::new();
    client.read_to_end(&mut echoed).unwrap();
    sender.join().unwrap();
    assert!(echoed == payload, "echoed {} bytes", echoed.len());
}

#[test]
fn connect_to_an_unlisted_name_is_refused_naming_the_domain() {
    let echo = echo_server();
    let proxy = Harness::start("example.org, *.pypi.org", routes(&[("evil.example", echo)]));
    let response =
        proxy.exchange(b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n");
    assert!(
        response.starts_with(
            "HTTP/1.1 403 Forbidden - cowork sandbox: evil.example:443 is not allowed (not in the allowlist)\r\n"
        ),
        "{response}"
    );
    let (head, body) = split_response(&response);
    assert!(
        head.contains("content-type: text/plain; charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("connection: close"), "{head}");
    assert!(head.contains("x-cowork-egress: denied"), "{head}");
    assert_eq!(
        body,
        "cowork sandbox: network access to evil.example:443 is not allowed \
         (the domain is not in the allowlist).\n\
         Allowed: example.org, *.pypi.org (http on port 80, https on port 443).\n\
         This is enforced outside the sandbox; other ports, IP addresses or other proxies \
         will not work. Ask the user to add the domain to the task's network allowlist.\n"
    );
}

#[test]
fn a_refused_connect_does_not_lose_the_answer_to_pipelined_bytes() {
    let proxy = Harness::start("example.org", StaticConnector::new());
    let mut request = b"CONNECT evil.example:443 HTTP/1.1\r\n\r\n".to_vec();
    request.extend(vec![0x16; 64 * 1024]);
    let response = proxy.exchange(&request);
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    assert!(response.contains("evil.example:443"));
}

#[test]
fn an_allowed_name_on_another_port_is_refused_naming_the_port() {
    let echo = echo_server();
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", echo)]));
    let response = proxy.exchange(b"CONNECT allowed.test:8443 HTTP/1.1\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    assert!(response.contains("port 8443 is not allowed"), "{response}");
    let response = proxy.exchange(b"GET http://allowed.test:8080/ HTTP/1.1\r\n\r\n");
    assert!(response.contains("port 8080 is not allowed"), "{response}");
    // https goes through CONNECT on 443 only, http on 80 only.
    let response = proxy.exchange(b"CONNECT allowed.test:80 HTTP/1.1\r\n\r\n");
    assert!(response.contains("port 80 is not allowed"), "{response}");
    let denied = proxy.events();
    assert!(
        denied
            .iter()
            .all(|event| event.decision == Decision::Denied(DenyReason::PortNotAllowed))
    );
}

#[test]
fn ip_literals_are_refused_in_every_notation() {
    let echo = echo_server();
    let connector = routes(&[("127.0.0.1", echo), ("2130706433", echo), ("0x7f.1", echo)]);
    let proxy = Harness::start("allowed.test", connector);
    for request in [
        "CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n",
        "CONNECT [::1]:443 HTTP/1.1\r\n\r\n",
        "CONNECT 2130706433:443 HTTP/1.1\r\n\r\n",
        "CONNECT 0x7f.1:443 HTTP/1.1\r\n\r\n",
        "GET http://1.2.3.4/ HTTP/1.1\r\n\r\n",
        "GET http://[2606:4700::1111]/ HTTP/1.1\r\n\r\n",
    ] {
        let response = proxy.exchange(request.as_bytes());
        assert!(
            response.starts_with("HTTP/1.1 403 "),
            "{request}: {response}"
        );
        assert!(
            response.contains("IP addresses are not allowed"),
            "{response}"
        );
    }
    assert!(
        proxy
            .events()
            .iter()
            .all(|event| event.decision == Decision::Denied(DenyReason::IpAddress))
    );
}

#[test]
fn plain_http_is_forwarded_in_origin_form_without_proxy_headers() {
    let (upstream, received) = http_server("hello from upstream");
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", upstream)]));
    let response = proxy.exchange(
        b"GET http://Allowed.Test/path/file.txt?q=1 HTTP/1.1\r\n\
          Host: allowed.test\r\n\
          User-Agent: test\r\n\
          Proxy-Authorization: Basic c2VjcmV0\r\n\
          Proxy-Connection: Keep-Alive\r\n\r\n",
    );
    assert_eq!(
        response,
        "HTTP/1.1 200 OK\r\nContent-Length: 19\r\nConnection: close\r\n\r\nhello from upstream"
    );
    let request = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        request,
        "GET /path/file.txt?q=1 HTTP/1.1\r\n\
         Host: allowed.test\r\n\
         User-Agent: test\r\n\
         Connection: close\r\n\r\n"
    );
}

#[test]
fn plain_http_request_bodies_are_forwarded_whole() {
    let (upstream, received) = http_server("ok");
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", upstream)]));
    let response = proxy.exchange(
        b"POST http://allowed.test/upload HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world",
    );
    assert!(response.ends_with("\r\n\r\nok"), "{response}");
    let request = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        request.starts_with("POST /upload HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(request.ends_with("Content-Length: 11\r\nConnection: close\r\n\r\nhello world"));

    let chunked = "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
    let response = proxy.exchange(
        format!(
            "PUT http://allowed.test/c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}"
        )
        .as_bytes(),
    );
    assert!(response.ends_with("\r\n\r\nok"), "{response}");
    let request = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        request.ends_with(&format!("Connection: close\r\n\r\n{chunked}")),
        "{request}"
    );
}

#[test]
fn malformed_request_heads_get_a_readable_400() {
    let proxy = Harness::start("allowed.test", StaticConnector::new());
    let oversized = format!(
        "GET http://allowed.test/ HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    for request in [
        "\u{16}\u{3}\u{1}\u{2}\u{0}garbage\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
        "CONNECT allowed.test HTTP/1.1\r\n\r\n",
        "GET http://allowed.test/ HTTP/1.1\r\nNo-Colon\r\n\r\n",
        oversized.as_str(),
    ] {
        let response = proxy.exchange(request.as_bytes());
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{response}"
        );
        let (head, body) = split_response(&response);
        assert!(head.contains("x-cowork-egress: bad-request"));
        assert!(body.starts_with("cowork sandbox: the egress proxy could not understand"));
    }
    assert!(
        proxy
            .events()
            .iter()
            .all(|event| matches!(event.decision, Decision::BadRequest { .. }))
    );
}

#[test]
fn a_client_that_closes_mid_head_is_dropped_without_a_hang() {
    let proxy = Harness::start("allowed.test", StaticConnector::new());
    let mut client = proxy.connect();
    client.write_all(b"GET http://allowed.te").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let response = read_to_close(&mut client);
    assert!(response.starts_with("HTTP/1.1 400 "), "{response}");
}

#[test]
fn an_unreachable_upstream_gets_a_readable_502() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", closed)]));
    let response = proxy.exchange(b"CONNECT allowed.test:443 HTTP/1.1\r\n\r\n");
    assert!(
        response.starts_with(
            "HTTP/1.1 502 Bad Gateway - cowork sandbox: could not reach allowed.test:443\r\n"
        ),
        "{response}"
    );
    let (head, body) = split_response(&response);
    assert!(head.contains("x-cowork-egress: unreachable"));
    assert!(body.contains("could not reach allowed.test:443"), "{body}");
    assert!(matches!(
        &proxy.events()[..],
        [EgressEvent {
            decision: Decision::Unreachable { .. },
            ..
        }]
    ));
}

#[test]
fn the_system_connector_refuses_names_that_resolve_to_the_host_itself() {
    let error = SystemConnector
        .connect("localhost", 443, &[], Duration::from_secs(2))
        .unwrap_err();
    match error {
        ConnectError::Forbidden { host, refused } => {
            assert_eq!(host, "localhost");
            assert!(!refused.is_empty());
            for refused in refused {
                assert!(refused.address.is_loopback(), "{refused}");
                assert_eq!(refused.reason, Refusal::Internal(Internal::Loopback));
            }
        }
        ConnectError::Unreachable { source, .. } => panic!("not refused: {source}"),
    }
}

#[test]
fn dropping_the_handle_closes_open_tunnels_and_idle_clients_promptly() {
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", echo_server())]));
    let mut tunnel = proxy.connect();
    tunnel
        .write_all(b"CONNECT allowed.test:443 HTTP/1.1\r\n\r\nping")
        .unwrap();
    assert_eq!(
        read_exact_text(&mut tunnel, ESTABLISHED.len() + 4),
        format!("{ESTABLISHED}ping")
    );
    let mut idle = proxy.connect();
    idle.write_all(b"GET http://allow").unwrap();

    let started = Instant::now();
    drop(proxy.handle);
    let mut rest = Vec::new();
    let tunnel_end = tunnel.read_to_end(&mut rest);
    assert!(tunnel_end.is_err() || rest.is_empty(), "{tunnel_end:?}");
    let idle_end = idle.read_to_end(&mut rest);
    assert!(idle_end.is_err() || rest.is_empty(), "{idle_end:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Nothing listens any more.
    assert!(TcpStream::connect(proxy.addr).is_err());
}

#[test]
fn the_log_sees_one_event_per_request_with_its_decision() {
    let (upstream, _received) = http_server("ok");
    let proxy = Harness::start(
        "allowed.test, *.pypi.org",
        routes(&[
            ("allowed.test", upstream),
            ("files.pypi.org", echo_server()),
        ]),
    );
    proxy.exchange(b"GET http://allowed.test/ HTTP/1.1\r\n\r\n");
    proxy.exchange(b"CONNECT evil.com:443 HTTP/1.1\r\n\r\n");
    let mut tunnel = proxy.connect();
    tunnel
        .write_all(b"CONNECT FILES.pypi.org.:443 HTTP/1.1\r\n\r\n")
        .unwrap();
    read_exact_text(&mut tunnel, ESTABLISHED.len());

    let events = proxy.events();
    let lines: Vec<String> = events.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "allowed allowed.test:80",
            "denied evil.com:443 (not in the allowlist)",
            "allowed files.pypi.org:443",
        ]
    );
    assert_eq!(
        events[0].kind,
        RequestKind::Http {
            method: "GET".into()
        }
    );
    assert_eq!(events[2].kind, RequestKind::Connect);
    assert!(events[0].decision.is_allowed() && !events[1].decision.is_allowed());
}

#[test]
fn many_concurrent_tunnels_all_work() {
    let proxy = Harness::start(
        "*.allowed.test",
        routes(&[("a.allowed.test", echo_server())]),
    );
    let clients: Vec<_> = (0..48)
        .map(|i| {
            let mut client = proxy.connect();
            thread::spawn(move || {
                let message = format!("client {i}");
                client
                    .write_all(
                        format!("CONNECT a.allowed.test:443 HTTP/1.1\r\n\r\n{message}").as_bytes(),
                    )
                    .unwrap();
                let reply = read_exact_text(&mut client, ESTABLISHED.len() + message.len());
                assert_eq!(reply, format!("{ESTABLISHED}{message}"));
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    assert_eq!(proxy.events().len(), 48);
}

#[test]
fn connections_beyond_the_cap_get_a_503() {
    let proxy = Harness::start("allowed.test", StaticConnector::new());
    let held: Vec<TcpStream> = (0..MAX_CONNECTIONS).map(|_| proxy.connect()).collect();
    // The refusal comes before the request is read, so none is sent here.
    let response = read_to_close(&mut proxy.connect());
    assert!(
        response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{response}"
    );
    let (head, _) = split_response(&response);
    assert!(head.contains("x-cowork-egress: busy"), "{head}");
    drop(held);
    assert!(matches!(
        &proxy.events()[..],
        [EgressEvent {
            decision: Decision::Busy,
            ..
        }]
    ));
}

#[test]
fn proxy_env_points_every_spelling_at_the_proxy_and_keeps_loopback_direct() {
    let env = proxy_env();
    let get = |key: &str| {
        env.iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    };
    for key in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        assert_eq!(get(key), Some("http://127.0.0.1:3128"), "{key}");
    }
    assert_eq!(get("NO_PROXY"), Some("localhost,127.0.0.1,::1"));
    assert_eq!(get("no_proxy"), Some("localhost,127.0.0.1,::1"));
    assert_eq!(get("NODE_USE_ENV_PROXY"), Some("1"));
}

#[test]
fn curl_fetches_an_allowed_page_and_shows_the_refusal_for_others() {
    let (upstream, _received) = http_server("fetched through cowork");
    let proxy = Harness::start("allowed.test", routes(&[("allowed.test", upstream)]));
    let curl = |url: &str| {
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10"])
            .args(["--proxy", &format!("http://{}", proxy.addr), url])
            .env_clear()
            .output()
    };
    let output = match curl("http://allowed.test/page") {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: curl is not installed");
            return;
        }
        Err(error) => panic!("curl failed to start: {error}"),
    };
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "fetched through cowork"
    );

    let denied = curl("http://denied.test/").unwrap();
    let text = String::from_utf8_lossy(&denied.stdout);
    assert!(text.contains("denied.test:80 is not allowed"), "{denied:?}");
}
