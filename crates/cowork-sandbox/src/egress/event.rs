//! What the proxy reports about each request, for display and audit.

use std::fmt;
use std::sync::Arc;

use super::connector::RefusedAddress;

/// The callback [`super::Proxy::spawn`] calls once per request. It runs on
/// the connection's thread before any byte is relayed: keep it quick.
pub type EgressLog = Arc<dyn Fn(&EgressEvent) + Send + Sync>;

/// One request through the proxy and what became of it.
///
/// Displays as `allowed pypi.org:443` or
/// `denied evil.com:443 (not in the allowlist)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressEvent {
    /// The requested host as the client wrote it (lower-cased when it is a
    /// domain name); empty when the request could not be parsed.
    pub host: String,
    /// The requested port; 0 when the request could not be parsed.
    pub port: u16,
    /// Tunnel or plain http.
    pub kind: RequestKind,
    /// What the proxy did.
    pub decision: Decision,
    /// Addresses the name resolved to that were refused and skipped while
    /// another address was tried (whatever the decision); empty when the
    /// first address tried passed, and for requests never resolved.
    pub skipped: Vec<RefusedAddress>,
}

/// How the client asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestKind {
    /// A `CONNECT` tunnel (https).
    Connect,
    /// A plain-http request with this method.
    Http {
        /// `GET`, `POST`, ...
        method: String,
    },
    /// The request head could not be parsed, or was never read.
    Unknown,
}

/// What the proxy did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Connected upstream and relayed.
    Allowed,
    /// Refused by policy with `403 Forbidden`.
    Denied(DenyReason),
    /// Allowed by policy, but the upstream could not be reached
    /// (`502 Bad Gateway`).
    Unreachable {
        /// Why, as the system said it.
        error: String,
    },
    /// The request was not a well-formed proxy request (`400 Bad Request`).
    BadRequest {
        /// What was wrong.
        problem: String,
    },
    /// Too many open connections (`503 Service Unavailable`).
    Busy,
}

impl Decision {
    /// Whether the request was relayed.
    pub fn is_allowed(&self) -> bool {
        match self {
            Self::Allowed => true,
            Self::Denied(_) | Self::Unreachable { .. } | Self::BadRequest { .. } | Self::Busy => {
                false
            }
        }
    }
}

/// Why a request was refused by policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// The domain matches no allowlist entry.
    NotInAllowlist,
    /// Not port 443 for `CONNECT`, or not port 80 for plain http.
    PortNotAllowed,
    /// The host is an IP address (in any notation).
    IpAddress,
    /// The host is not a valid domain name.
    NotADomainName,
    /// A `localhost` name, which always means this machine.
    LocalhostName,
    /// Every address the domain resolves to is refused: an address of this
    /// machine, its link or a metadata service, or a special-purpose range
    /// (private, shared, documentation, ...) no CIDR entry of the allowlist
    /// covers.
    InternalAddress {
        /// Each address with the reason it was refused.
        refused: Vec<RefusedAddress>,
    },
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInAllowlist => f.write_str("not in the allowlist"),
            Self::PortNotAllowed => f.write_str("port not allowed"),
            Self::IpAddress => f.write_str("IP address"),
            Self::NotADomainName => f.write_str("not a domain name"),
            Self::LocalhostName => f.write_str("localhost name"),
            Self::InternalAddress { refused } => {
                f.write_str("resolves to refused addresses: ")?;
                write_list(f, refused)
            }
        }
    }
}

impl fmt::Display for EgressEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = format!("{}:{}", self.host, self.port);
        match &self.decision {
            Decision::Allowed if self.skipped.is_empty() => write!(f, "allowed {target}"),
            Decision::Allowed => {
                write!(f, "allowed {target} (skipped ")?;
                write_list(f, &self.skipped)?;
                f.write_str(")")
            }
            Decision::Denied(reason) => write!(f, "denied {target} ({reason})"),
            Decision::Unreachable { error } => write!(f, "unreachable {target} ({error})"),
            Decision::BadRequest { problem } => write!(f, "bad request ({problem})"),
            Decision::Busy => f.write_str("refused a connection (too many open connections)"),
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, refused: &[RefusedAddress]) -> fmt::Result {
    for (index, address) in refused.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{address}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::address::Internal;
    use crate::egress::connector::Refusal;

    fn loopback() -> RefusedAddress {
        RefusedAddress {
            address: "127.0.0.1".parse().unwrap(),
            reason: Refusal::Internal(Internal::Loopback),
        }
    }

    #[test]
    fn events_name_the_addresses_skipped_or_refused() {
        let allowed = EgressEvent {
            host: "multi.test".into(),
            port: 443,
            kind: RequestKind::Connect,
            decision: Decision::Allowed,
            skipped: vec![loopback()],
        };
        assert_eq!(
            allowed.to_string(),
            "allowed multi.test:443 (skipped 127.0.0.1 (a loopback address))"
        );
        let denied = EgressEvent {
            decision: Decision::Denied(DenyReason::InternalAddress {
                refused: vec![loopback(), loopback()],
            }),
            skipped: Vec::new(),
            ..allowed
        };
        assert_eq!(
            denied.to_string(),
            "denied multi.test:443 (resolves to refused addresses: \
             127.0.0.1 (a loopback address), 127.0.0.1 (a loopback address))"
        );
    }
}
