//! One client connection: read the head, decide, then tunnel (`CONNECT`)
//! or forward one plain-http request.

use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::connector::{ConnectError, Upstream};
use super::event::{Decision, DenyReason, EgressEvent, RequestKind};
use super::head::{self, Head, HeadError, Target};
use super::name::{HostKind, classify, is_localhost_name};
use super::proxy::{Shared, Slot};
use super::{HTTP_PORT, HTTPS_PORT, reply};

/// How long a client may take to send its whole request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a plain-http request body may stall between reads.
const BODY_IDLE: Duration = Duration::from_secs(10);
/// How long, and how much, to drain from a client after answering it.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 * 1024;
/// The longest chunk-size or trailer line of a chunked request body.
const MAX_LINE: u64 = 4096;
/// The most trailer lines after a chunked body.
const MAX_TRAILERS: usize = 64;

/// Request headers that concern only the hop to the proxy: never forwarded.
const HOP_BY_HOP: [&str; 7] = [
    "host",
    "connection",
    "proxy-connection",
    "proxy-authorization",
    "keep-alive",
    "te",
    "upgrade",
];

/// Serves one accepted client connection to the end.
pub(crate) fn connection(slot: &Slot, client: TcpStream) {
    let shared = slot.shared();
    let _ = client.set_nodelay(true);
    let (head, early) = match head::read_head(&client, HEAD_TIMEOUT) {
        Ok(read) => read,
        Err(HeadError::Closed) => return,
        Err(HeadError::Malformed(problem)) => {
            return refuse(shared, &client, &bad_request(RequestKind::Unknown, problem));
        }
    };
    let kind = if head.method == "CONNECT" {
        RequestKind::Connect
    } else {
        RequestKind::Http {
            method: head.method.clone(),
        }
    };
    match head::parse_target(&head) {
        Err(problem) => refuse(shared, &client, &bad_request(kind, problem)),
        Ok(Target::Connect { host, port }) => tunnel(slot, &client, &host, port, &early),
        Ok(Target::Http { host, port, path }) => {
            forward(slot, &client, &head, kind, &host, port, &path, early);
        }
    }
}

fn tunnel(slot: &Slot, client: &TcpStream, host: &str, port: u16, early: &[u8]) {
    let shared = slot.shared();
    let kind = RequestKind::Connect;
    let opened = authorize(shared, host, port, HTTPS_PORT, &kind)
        .and_then(|domain| connect(shared, &domain, port, &kind).map(|up| (domain, up)));
    let (
        domain,
        Upstream {
            stream: upstream,
            skipped,
        },
    ) = match opened {
        Ok(opened) => opened,
        Err(event) => return refuse(shared, client, &event),
    };
    if slot.track(&upstream).is_err() {
        return;
    }
    shared.log(&EgressEvent {
        skipped,
        ..event(domain, port, kind, Decision::Allowed)
    });
    // Bytes sent right after the CONNECT head (a pipelined TLS ClientHello)
    // belong to the tunnel.
    let (mut to_client, mut to_upstream) = (client, &upstream);
    if to_client.write_all(reply::ESTABLISHED).is_err() || to_upstream.write_all(early).is_err() {
        return;
    }
    let _ = client.set_read_timeout(None);
    relay(client, &upstream);
}

#[expect(clippy::too_many_arguments, reason = "the parts of one parsed request")]
fn forward(
    slot: &Slot,
    client: &TcpStream,
    head: &Head,
    kind: RequestKind,
    host: &str,
    port: u16,
    path: &str,
    early: Vec<u8>,
) {
    let shared = slot.shared();
    let domain = match authorize(shared, host, port, HTTP_PORT, &kind) {
        Ok(domain) => domain,
        Err(event) => return refuse(shared, client, &event),
    };
    let framing = match body_framing(head) {
        Ok(framing) => framing,
        Err(problem) => return refuse(shared, client, &bad_request(kind, problem)),
    };
    let Upstream {
        stream: upstream,
        skipped,
    } = match connect(shared, &domain, port, &kind) {
        Ok(upstream) => upstream,
        Err(event) => return refuse(shared, client, &event),
    };
    if slot.track(&upstream).is_err() {
        return;
    }
    let request = origin_head(head, &domain, path);
    shared.log(&EgressEvent {
        skipped,
        ..event(domain, port, kind, Decision::Allowed)
    });
    if (&upstream).write_all(&request).is_err() {
        return;
    }
    let _ = client.set_read_timeout(Some(BODY_IDLE));
    thread::scope(|scope| {
        // The response is relayed while the body is still being sent:
        // a client waiting for `100 Continue` needs it, and an upstream
        // may answer early.
        let response = thread::Builder::new().spawn_scoped(scope, || {
            let (mut from, mut to) = (&upstream, client);
            let _ = io::copy(&mut from, &mut to);
            let _ = client.shutdown(Shutdown::Write);
        });
        let body = BufReader::new(Cursor::new(early).chain(client));
        if response.is_err() || send_body(body, &upstream, framing).is_err() {
            let _ = upstream.shutdown(Shutdown::Both);
        }
    });
    linger(client);
}

/// The lower-cased domain to connect to, or the refusal to send.
fn authorize(
    shared: &Shared,
    host: &str,
    port: u16,
    allowed_port: u16,
    kind: &RequestKind,
) -> Result<String, EgressEvent> {
    let denied =
        |host: String, reason| Err(event(host, port, kind.clone(), Decision::Denied(reason)));
    match classify(host) {
        HostKind::Ip => denied(host.to_owned(), DenyReason::IpAddress),
        HostKind::Invalid(_) => denied(host.to_owned(), DenyReason::NotADomainName),
        // A port that can never pass is the more useful answer than a domain
        // the user might still allow.
        HostKind::Domain(domain) if port != allowed_port => {
            denied(domain, DenyReason::PortNotAllowed)
        }
        // Resolvers answer `localhost` and its subdomains from this machine
        // (RFC 6761) without asking DNS; the allowlist cannot list them.
        HostKind::Domain(domain) if is_localhost_name(&domain) => {
            denied(domain, DenyReason::LocalhostName)
        }
        HostKind::Domain(domain) if !shared.allowlist.allows_domain(&domain) => {
            denied(domain, DenyReason::NotInAllowlist)
        }
        HostKind::Domain(domain) => Ok(domain),
    }
}

fn connect(
    shared: &Shared,
    domain: &str,
    port: u16,
    kind: &RequestKind,
) -> Result<Upstream, EgressEvent> {
    let failed = |decision| event(domain.to_owned(), port, kind.clone(), decision);
    let ranges = shared.allowlist.ranges();
    match shared
        .connector
        .connect(domain, port, &ranges, CONNECT_TIMEOUT)
    {
        Ok(upstream) => {
            let _ = upstream.stream.set_nodelay(true);
            Ok(upstream)
        }
        Err(ConnectError::Forbidden { refused, .. }) => {
            Err(failed(Decision::Denied(DenyReason::InternalAddress {
                refused,
            })))
        }
        Err(ConnectError::Unreachable {
            source, skipped, ..
        }) => Err(EgressEvent {
            skipped,
            ..failed(Decision::Unreachable {
                error: source.to_string(),
            })
        }),
    }
}

fn event(host: String, port: u16, kind: RequestKind, decision: Decision) -> EgressEvent {
    EgressEvent {
        host,
        port,
        kind,
        decision,
        skipped: Vec::new(),
    }
}

fn bad_request(kind: RequestKind, problem: String) -> EgressEvent {
    event(String::new(), 0, kind, Decision::BadRequest { problem })
}

/// Logs `event`, answers the client, and closes.
fn refuse(shared: &Shared, client: &TcpStream, event: &EgressEvent) {
    shared.log(event);
    if let Some(response) = reply::refusal(event, &shared.allowlist) {
        let _ = client.set_write_timeout(Some(HEAD_TIMEOUT));
        let _ = (&*client).write_all(&response);
    }
    linger(client);
}

/// Half-closes, then drains what the client still sends for a moment:
/// closing a socket with unread input sends a reset, which can destroy the
/// answer before the client has read it.
fn linger(client: &TcpStream) {
    let _ = client.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() || client.set_read_timeout(Some(remaining)).is_err() {
            return;
        }
        match (&*client).read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(read) => drained += read,
        }
    }
}

/// Copies both ways until both sides have closed, passing each half-close
/// on; an error on either side tears the whole tunnel down.
fn relay(client: &TcpStream, upstream: &TcpStream) {
    thread::scope(|scope| {
        let back = thread::Builder::new().spawn_scoped(scope, || pipe(upstream, client));
        if back.is_err() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
            return;
        }
        pipe(client, upstream);
    });
}

fn pipe(mut from: &TcpStream, mut to: &TcpStream) {
    match io::copy(&mut from, &mut to) {
        Ok(_) => {
            let _ = to.shutdown(Shutdown::Write);
        }
        Err(_) => {
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
        }
    }
}

/// How the request body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
}

/// Reads the body framing the way the upstream will, refusing the
/// ambiguous combinations request smuggling relies on.
fn body_framing(head: &Head) -> Result<Framing, String> {
    let encodings = head.values("transfer-encoding")?;
    let lengths = head.values("content-length")?;
    if !encodings.is_empty() {
        if !lengths.is_empty() {
            return Err("a request may not carry both Transfer-Encoding and Content-Length".into());
        }
        let last = encodings
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rfind(|coding| !coding.is_empty());
        return match last {
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            Some(_) | None => Err("the request's Transfer-Encoding does not end in chunked".into()),
        };
    }
    let mut length = None;
    for value in lengths.iter().flat_map(|value| value.split(',')) {
        let value = value.trim();
        let parsed = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| value.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| format!("`{value}` is not a valid Content-Length"))?;
        if length.is_some_and(|known| known != parsed) {
            return Err("the request has conflicting Content-Length values".into());
        }
        length = Some(parsed);
    }
    Ok(length.map_or(Framing::Empty, Framing::Length))
}

/// Forwards exactly one body, as framed, without reading past it.
fn send_body(mut body: impl BufRead, upstream: &TcpStream, framing: Framing) -> io::Result<()> {
    let mut upstream = upstream;
    match framing {
        Framing::Empty => Ok(()),
        Framing::Length(length) => copy_exact(&mut body, upstream, length),
        Framing::Chunked => loop {
            let size_line = read_line(&mut body)?;
            upstream.write_all(&size_line)?;
            let size = chunk_size(&size_line)?;
            if size == 0 {
                for _ in 0..MAX_TRAILERS {
                    let trailer = read_line(&mut body)?;
                    upstream.write_all(&trailer)?;
                    if trailer.trim_ascii().is_empty() {
                        return Ok(());
                    }
                }
                return Err(invalid("too many trailer lines"));
            }
            copy_exact(&mut body, upstream, size)?;
            let end = read_line(&mut body)?;
            if !end.trim_ascii().is_empty() {
                return Err(invalid("a chunk is longer than its size"));
            }
            upstream.write_all(&end)?;
        },
    }
}

fn copy_exact(body: &mut impl Read, mut upstream: &TcpStream, length: u64) -> io::Result<()> {
    let copied = io::copy(&mut body.take(length), &mut upstream)?;
    if copied < length {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    Ok(())
}

fn read_line(body: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    body.take(MAX_LINE).read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\n") {
        return Err(invalid("a chunked body line is too long or cut off"));
    }
    Ok(line)
}

fn chunk_size(line: &[u8]) -> io::Result<u64> {
    let text = std::str::from_utf8(line).map_err(|_| invalid("bad chunk size"))?;
    let digits = text.split(';').next().unwrap_or_default().trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("bad chunk size"));
    }
    u64::from_str_radix(digits, 16).map_err(|_| invalid("chunk size too large"))
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The request head for the upstream: origin-form target, `Host` set from
/// the URL, hop-by-hop and `Proxy-*` headers dropped, `Connection: close`.
fn origin_head(head: &Head, host: &str, path: &str) -> Vec<u8> {
    // Headers the client marks as hop-by-hop go too, except the framing
    // ones: dropping those would make the upstream read the body as the
    // next request.
    let listed: Vec<String> = head
        .values("connection")
        .unwrap_or_default()
        .iter()
        .flat_map(|value| value.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .filter(|token| token != "content-length" && token != "transfer-encoding")
        .collect();
    let mut out = format!(
        "{} {path} {}\r\nHost: {host}\r\n",
        head.method, head.version
    )
    .into_bytes();
    for header in &head.headers {
        let name = header.name.to_ascii_lowercase();
        if HOP_BY_HOP.contains(&name.as_str()) || listed.contains(&name) {
            continue;
        }
        out.extend_from_slice(header.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(&header.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out
}

#[cfg(test)]
#[path = "serve_tests.rs"]
mod tests;
