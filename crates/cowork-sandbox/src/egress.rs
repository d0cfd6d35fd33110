//! The egress allowlist proxy: how a sandbox with `--allow-net` reaches the
//! listed domains and nothing else.
//!
//! A sandbox's network namespace holds only loopback. With an allowlist, the
//! sandbox's init listens on `127.0.0.1:3128` *inside* that namespace and
//! hands the listening socket to the host process, which serves it with
//! [`Proxy::spawn`]. Programs in the sandbox find the proxy through
//! [`proxy_env`]. The proxy speaks HTTP/1.x: `CONNECT host:443` tunnels (for
//! https) and absolute-form plain-http requests on port 80 (one request per
//! client connection; the upstream is asked to close after its response).
//! Only domain names matching the [`Allowlist`] pass; IP literals, other
//! ports and `localhost` names are refused with a readable `403` that tells
//! the agent retrying around the proxy will not work. Outgoing connections
//! are made from the host's network through a [`Connector`], which judges
//! every address a name resolves to: addresses of this machine (on any
//! interface), its link and cloud metadata services are always refused;
//! IANA special-purpose ranges (private, shared, documentation, ...) only
//! when a CIDR entry of the allowlist (`intranet.corp,10.0.0.0/8`) covers
//! them. A CIDR entry never allows an IP literal request, only where the
//! listed names may lead.
//!
//! This module owns the policy and the relaying. It does not create the
//! bridged socket (the sandbox launcher does) and does not decide which
//! domains a task may reach (the permission engine and the user do).
//!
//! ```no_run
//! use std::net::TcpListener;
//! use std::sync::Arc;
//! use cowork_sandbox::egress::{Allowlist, EgressEvent, Proxy, SystemConnector};
//!
//! let allowlist = Allowlist::parse("example.org, *.pypi.org")?;
//! # let listener = TcpListener::bind("127.0.0.1:0")?;
//! // `listener` is the socket bridged out of the sandbox.
//! let handle = Proxy::spawn(
//!     listener,
//!     allowlist,
//!     Arc::new(SystemConnector),
//!     Arc::new(|_event: &EgressEvent| {}), // show or audit each request here
//! )?;
//! // ... run the sandboxed command with `egress::proxy_env()` ...
//! handle.stop(); // closes every relayed connection
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod allowlist;
mod connector;
mod event;
mod head;
mod local;
mod name;
mod proxy;
mod reply;
mod serve;

pub use address::{
    AddressClass, Internal, IpNet, IpNetError, SpecialRange, classify_address, judged_form,
};
pub use allowlist::{AllowEntry, Allowlist, AllowlistError};
pub use connector::{
    CheckedConnector, ConnectError, Connector, Refusal, RefusedAddress, Resolve, StaticConnector,
    SystemConnector, SystemResolver, Upstream, judge_address,
};
pub use event::{Decision, DenyReason, EgressEvent, EgressLog, RequestKind};
pub use name::NameProblem;
pub use proxy::{MAX_CONNECTIONS, Proxy, ProxyHandle};

/// The port the proxy listens on inside the sandbox (`127.0.0.1:3128`).
pub const PROXY_PORT: u16 = 3128;

/// The only port plain-http requests may go to.
pub const HTTP_PORT: u16 = 80;

/// The only port `CONNECT` tunnels may go to.
pub const HTTPS_PORT: u16 = 443;

/// Environment variables that point common tools (curl, pip, git, npm,
/// Python `requests`, Node with `NODE_USE_ENV_PROXY`) at the proxy, in both
/// the upper- and lower-case spellings tools disagree on. Loopback stays
/// direct so servers the command starts inside the sandbox keep working.
pub fn proxy_env() -> Vec<(String, String)> {
    let url = format!("http://127.0.0.1:{PROXY_PORT}");
    let no_proxy = "localhost,127.0.0.1,::1";
    let pairs = [
        ("HTTP_PROXY", url.as_str()),
        ("HTTPS_PROXY", url.as_str()),
        ("ALL_PROXY", url.as_str()),
        ("http_proxy", url.as_str()),
        ("https_proxy", url.as_str()),
        ("all_proxy", url.as_str()),
        ("NO_PROXY", no_proxy),
        ("no_proxy", no_proxy),
        ("NODE_USE_ENV_PROXY", "1"),
    ];
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}
