//! The responses the proxy writes itself: refusals and errors whose bodies
//! a model (or a person reading curl's output) understands.

use super::allowlist::{AllowEntry, Allowlist};
use super::connector::{Refusal, RefusedAddress};
use super::event::{Decision, DenyReason, EgressEvent};
use super::proxy::MAX_CONNECTIONS;

/// The reply to a tunnel the proxy accepted.
pub(crate) const ESTABLISHED: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";

/// The full response (head and body) for a request that was not relayed;
/// `None` for an allowed one.
pub(crate) fn refusal(event: &EgressEvent, allowlist: &Allowlist) -> Option<Vec<u8>> {
    let (status, tag, body) = match &event.decision {
        Decision::Allowed => return None,
        Decision::Denied(reason) => ("403 Forbidden", "denied", denial(event, reason, allowlist)),
        Decision::Unreachable { error } => (
            "502 Bad Gateway",
            "unreachable",
            format!(
                "cowork sandbox: could not reach {}:{} ({error}).\n\
                 The domain is allowed, but the connection failed outside the sandbox. \
                 Check the name; retrying later may help.\n",
                event.host, event.port
            ),
        ),
        Decision::BadRequest { problem } => (
            "400 Bad Request",
            "bad-request",
            format!(
                "cowork sandbox: the egress proxy could not understand this request: {problem}.\n\
                 Use an HTTP client with HTTP_PROXY and HTTPS_PROXY set to \
                 http://127.0.0.1:{}.\n",
                super::PROXY_PORT
            ),
        ),
        Decision::Busy => (
            "503 Service Unavailable",
            "busy",
            format!(
                "cowork sandbox: the egress proxy already has {MAX_CONNECTIONS} open connections; \
                 close some and retry.\n"
            ),
        ),
    };
    // Many clients show only the status line of a failed CONNECT (Python's
    // "Tunnel connection failed: 403 ..."), so it carries the gist too. The
    // host came from the request line, which holds printable ASCII only.
    let gist = match &event.decision {
        Decision::Denied(reason) => format!(
            " - cowork sandbox: {}:{} is not allowed ({reason})",
            event.host, event.port
        ),
        Decision::Unreachable { .. } => format!(
            " - cowork sandbox: could not reach {}:{}",
            event.host, event.port
        ),
        Decision::Allowed | Decision::BadRequest { .. } | Decision::Busy => String::new(),
    };
    Some(
        format!(
            "HTTP/1.1 {status}{gist}\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\n\
             Connection: close\r\n\
             X-Cowork-Egress: {tag}\r\n\
             \r\n\
             {body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn denial(event: &EgressEvent, reason: &DenyReason, allowlist: &Allowlist) -> String {
    let EgressEvent { host, port, .. } = event;
    let (why, what_to_do): (String, &str) = match reason {
        DenyReason::NotInAllowlist => (
            "the domain is not in the allowlist".to_owned(),
            "Ask the user to add the domain to the task's network allowlist.",
        ),
        DenyReason::PortNotAllowed => (
            format!("port {port} is not allowed; only http on port 80 and https on port 443 pass"),
            "Ports cannot be allowed; use the service's standard http or https port.",
        ),
        DenyReason::IpAddress => (
            "IP addresses are not allowed, only domain names from the allowlist".to_owned(),
            "Use the domain name instead of its address.",
        ),
        DenyReason::NotADomainName => (
            format!("`{host}` is not a valid domain name"),
            "Use a domain name from the allowlist.",
        ),
        DenyReason::LocalhostName => (
            format!("`{host}` always names the user's own machine"),
            "Services on the user's machine cannot be reached from the sandbox.",
        ),
        DenyReason::InternalAddress { refused } => (
            format!(
                "{host} resolves only to internal or special-purpose addresses: {}",
                refused
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            internal_advice(refused),
        ),
    };
    // Ranges are listed apart so they do not read as addresses to request.
    let mut domains = Vec::new();
    let mut ranges = Vec::new();
    for entry in allowlist.entries() {
        match entry {
            AllowEntry::Exact(_) | AllowEntry::Subdomains(_) => domains.push(entry.to_string()),
            AllowEntry::Range(net) => ranges.push(net.to_string()),
        }
    }
    let domains = domains.join(", ");
    let ranges = if ranges.is_empty() {
        String::new()
    } else {
        format!("; these names may lead into {}", ranges.join(", "))
    };
    format!(
        "cowork sandbox: network access to {host}:{port} is not allowed ({why}).\n\
         Allowed: {domains} (http on port 80, https on port 443){ranges}.\n\
         This is enforced outside the sandbox; other ports, IP addresses or other proxies \
         will not work. {what_to_do}\n"
    )
}

/// What the model can do about a name leading only to refused addresses:
/// nothing for this machine and its link; ask the user when a private
/// (or other special-purpose) range stands in the way.
fn internal_advice(refused: &[RefusedAddress]) -> &'static str {
    let special = refused.iter().any(|address| match address.reason {
        Refusal::Special(_) => true,
        Refusal::Internal(_) => false,
    });
    if special {
        "Special-purpose ranges such as private networks are closed unless the user lists \
         the range with the domain in the task's network allowlist (e.g. \
         `intranet.example,10.0.0.0/8`); \
         ask the user if this service is meant to be reachable. This machine, its link \
         and metadata services are never reachable from the sandbox."
    } else {
        "This machine, its link and cloud metadata services are never reachable from the \
         sandbox, whatever name points at them."
    }
}
