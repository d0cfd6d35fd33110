//! Reading and parsing a proxy request head: the request line, the headers,
//! and where the request wants to go.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The largest request head accepted.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// `CONNECT`, `GET`, ...
    pub method: String,
    /// The request target as sent.
    pub target: String,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: String,
    /// Header fields in order; values may hold non-UTF-8 bytes.
    pub headers: Vec<Header>,
}

/// One header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: String,
    pub value: Vec<u8>,
}

impl Head {
    /// The values of every header named `name` (case-insensitive), as text;
    /// a non-UTF-8 value is an error.
    pub fn values(&self, name: &str) -> Result<Vec<&str>, String> {
        self.headers
            .iter()
            .filter(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| {
                std::str::from_utf8(&header.value)
                    .map_err(|_| format!("the {name} header is not valid text"))
            })
            .collect()
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `CONNECT host:port`.
    Connect { host: String, port: u16 },
    /// `METHOD http://host[:port]/path` rewritten to origin form.
    Http {
        host: String,
        port: u16,
        path: String,
    },
}

/// Why no head was read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The client closed (or reset) before sending anything.
    Closed,
    /// Answer `400` with this explanation.
    Malformed(String),
}

/// Reads a request head from `stream`, giving up after `timeout` in total.
/// Returns the head and whatever the client already sent after it.
pub(crate) fn read_head(
    mut stream: &TcpStream,
    timeout: Duration,
) -> Result<(Head, Vec<u8>), HeadError> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let timed_out =
            || HeadError::Malformed(format!("no complete request head within {timeout:?}"));
        if remaining.is_zero() {
            return Err(timed_out());
        }
        stream
            .set_read_timeout(Some(remaining))
            .map_err(|_| HeadError::Closed)?;
        let read = match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(HeadError::Closed),
            Ok(0) => {
                return Err(HeadError::Malformed(
                    "the connection closed in the middle of the request head".to_owned(),
                ));
            }
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out());
            }
            Err(_) => return Err(HeadError::Closed),
        };
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..read]);
        if let Some(end) = head_end(&buf, searched_from) {
            let head = parse_head(&buf[..end]).map_err(HeadError::Malformed)?;
            return Ok((head, buf.split_off(end)));
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::Malformed(format!(
                "the request head is larger than {} KiB",
                MAX_HEAD / 1024
            )));
        }
    }
}

/// The index just past the blank line ending the head, searching from
/// `from`; bare `\n` line ends are accepted as RFC 9112 allows.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    (from..buf.len())
        .find_map(|i| {
            if buf[i] != b'\n' {
                return None;
            }
            match buf.get(i + 1..) {
                Some([b'\n', ..]) => Some(i + 2),
                Some([b'\r', b'\n', ..]) => Some(i + 3),
                Some(_) | None => None,
            }
        })
        .filter(|end| *end <= MAX_HEAD)
}

/// Parses a complete head (ending with its blank line).
pub(crate) fn parse_head(bytes: &[u8]) -> Result<Head, String> {
    let mut lines = bytes
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    let request_line = std::str::from_utf8(request_line)
        .ok()
        .filter(|line| line.bytes().all(|b| (0x20..0x7f).contains(&b)))
        .ok_or("the request line is not printable ASCII; this proxy speaks HTTP/1.x")?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "`{request_line}` is not an HTTP request line (METHOD TARGET HTTP/1.1)"
        ));
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(format!("`{method}` is not an HTTP method"));
    }
    if target.is_empty() {
        return Err("the request target is empty".to_owned());
    }
    match version {
        "HTTP/1.0" | "HTTP/1.1" => {}
        other if other.starts_with("HTTP/") => {
            return Err(format!("{other} is not supported; use HTTP/1.1"));
        }
        other => return Err(format!("`{other}` is not an HTTP version")),
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        headers.push(parse_header(line)?);
    }
    Ok(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
    })
}

fn parse_header(line: &[u8]) -> Result<Header, String> {
    if line.starts_with(b" ") || line.starts_with(b"\t") {
        return Err("folded header lines are not supported".to_owned());
    }
    let colon = line
        .iter()
        .position(|b| *b == b':')
        .ok_or("a header line has no `:`")?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().copied().all(is_token_byte) {
        return Err(format!(
            "`{}` is not a valid header name",
            String::from_utf8_lossy(name)
        ));
    }
    if value.iter().any(|b| matches!(*b, b'\r' | 0)) {
        return Err("a header value contains a control character".to_owned());
    }
    Ok(Header {
        name: String::from_utf8_lossy(name).into_owned(),
        value: value.trim_ascii().to_vec(),
    })
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Where `head` wants to go, or why that is unclear (`400`).
pub(crate) fn parse_target(head: &Head) -> Result<Target, String> {
    if head.method == "CONNECT" {
        let (host, port) = split_authority(&head.target)?;
        let port = port.ok_or_else(|| {
            format!(
                "CONNECT needs host:port, got `{}` (https uses port 443)",
                head.target
            )
        })?;
        return Ok(Target::Connect { host, port });
    }
    if head.target.starts_with('/') || head.target == "*" {
        return Err(
            "this is cowork's egress proxy, not a web server: send proxy requests \
                    (an absolute http:// URL, or CONNECT for https)"
                .to_owned(),
        );
    }
    let Some((scheme, rest)) = head.target.split_once("://") else {
        return Err(format!("`{}` is not an absolute URL", head.target));
    };
    if scheme.eq_ignore_ascii_case("https") {
        return Err("https URLs must be tunnelled with CONNECT".to_owned());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(format!(
            "the {scheme} scheme is not supported; only http and https"
        ));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(
            "credentials in the URL are not supported; send an Authorization header".to_owned(),
        );
    }
    let (host, port) = split_authority(authority)?;
    let path = path.split('#').next().unwrap_or_default();
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    Ok(Target::Http {
        host,
        port: port.unwrap_or(super::HTTP_PORT),
        path,
    })
}

/// `host[:port]` or `[v6][:port]`.
fn split_authority(authority: &str) -> Result<(String, Option<u16>), String> {
    let bad = || format!("`{authority}` is not a valid host[:port]");
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or_else(bad)?;
        let (host, rest) = authority.split_at(close + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return Err(bad()),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        None => None,
        Some(digits) => {
            let port = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<u16>().ok())
                .flatten()
                .filter(|port| *port != 0)
                .ok_or_else(bad)?;
            Some(port)
        }
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
#[path = "head_tests.rs"]
mod tests;
