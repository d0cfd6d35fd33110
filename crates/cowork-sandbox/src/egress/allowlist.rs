//! The parsed `--allow-net` value and its matching rules.

use std::fmt;
use std::str::FromStr;

use super::address::{Internal, IpNet, IpNetError, internal_covering, judged_form};
use super::name::{HostKind, NameProblem, classify, is_localhost_name};

/// The domains a sandbox may reach, parsed from a `--allow-net` value such
/// as `example.org,*.pypi.org`.
///
/// Matching is case-insensitive and ignores a trailing dot. `example.org`
/// matches exactly that host; `*.pypi.org` matches every subdomain
/// (`files.pypi.org`, `a.b.pypi.org`) but neither `pypi.org` itself nor
/// `evilpypi.org`. Ports are not part of the list: http always goes to port
/// 80 and https to port 443. `localhost` names are never allowed.
///
/// A CIDR entry (`10.0.0.0/8`, `fd00::/8`) lets the listed names lead into
/// that special-purpose range (a private network, say), which is otherwise
/// refused. It allows no name and no IP literal request by itself, and it
/// never opens this machine's own addresses, loopback, link-local or
/// metadata addresses.
///
/// ```
/// use cowork_sandbox::egress::Allowlist;
/// let list = Allowlist::parse("Example.org, *.pypi.org, 10.0.0.0/8")?;
/// assert!(list.allows("example.org."));
/// assert!(list.allows("files.pypi.org"));
/// assert!(!list.allows("pypi.org"));
/// assert!(!list.allows("10.0.0.1"));
/// assert_eq!(list.to_string(), "example.org, *.pypi.org, 10.0.0.0/8");
/// # Ok::<(), cowork_sandbox::egress::AllowlistError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<AllowEntry>,
}

/// One entry of an [`Allowlist`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AllowEntry {
    /// Exactly this domain (lower case, no trailing dot).
    Exact(String),
    /// Every subdomain of this domain, at any depth, but not the domain
    /// itself; written `*.domain`.
    Subdomains(String),
    /// Listed names may lead to addresses in this range even though it is
    /// a special-purpose one; written as CIDR, `10.0.0.0/8`.
    Range(IpNet),
}

impl AllowEntry {
    /// Whether `domain` (already lower-cased, no trailing dot) matches.
    fn matches(&self, domain: &str) -> bool {
        match self {
            Self::Exact(exact) => domain == exact,
            Self::Subdomains(parent) => domain
                .strip_suffix(parent.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
            Self::Range(_) => false,
        }
    }
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(domain) => f.write_str(domain),
            Self::Subdomains(parent) => write!(f, "*.{parent}"),
            Self::Range(net) => write!(f, "{net}"),
        }
    }
}

/// Why a `--allow-net` value was rejected. Every variant names the entry
/// and says how to write it instead; show it to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowlistError {
    /// The value holds no domain at all.
    #[error("the network allowlist needs at least one domain, e.g. `example.org,*.pypi.org`")]
    NoEntries,
    /// An empty entry between commas.
    #[error("entry {position} of the network allowlist is empty: remove the extra comma")]
    EmptyEntry {
        /// 1-based position in the comma-separated list.
        position: usize,
    },
    /// Only address ranges, which by themselves allow nothing.
    #[error(
        "the network allowlist lists only address ranges; a range only lets listed domains lead into it, so list the domains too (e.g. `intranet.example,10.0.0.0/8`)"
    )]
    NoDomains,
    /// An IP address instead of a domain name.
    #[error(
        "`{entry}` is an IP address; only domain names can be allowed (write the domain, e.g. `example.org`; to let listed domains lead into a private network, add its range, e.g. `10.0.0.0/8`)"
    )]
    IpAddress {
        /// The entry as written.
        entry: String,
    },
    /// A malformed CIDR range.
    #[error("`{entry}` is not a valid address range: {problem}")]
    InvalidRange {
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        problem: IpNetError,
    },
    /// A range only this machine, its link or metadata services live in.
    #[error(
        "`{entry}` holds only {kind}s; the sandbox never reaches this machine, its link or cloud metadata services, whatever the allowlist says"
    )]
    NeverAllowedRange {
        /// The entry as written.
        entry: String,
        /// What the range holds.
        kind: Internal,
    },
    /// An IPv6 range of addresses that embed IPv4 ones (IPv4-mapped, NAT64,
    /// 6to4), which are judged by the IPv4 address.
    #[error(
        "`{entry}` is an IPv6 form of IPv4 addresses; write the IPv4 range (e.g. `10.0.0.0/8`)"
    )]
    EmbeddedRange {
        /// The entry as written.
        entry: String,
    },
    /// `localhost` or a name under it.
    #[error(
        "`{entry}` always names this machine, which the sandbox never reaches; list the service's real domain"
    )]
    Localhost {
        /// The entry as written.
        entry: String,
    },
    /// A `host:port` entry.
    #[error(
        "`{entry}`: ports are not configurable (http always uses port 80, https port 443); write `{host}`"
    )]
    Port {
        /// The entry as written.
        entry: String,
        /// The entry without its port.
        host: String,
    },
    /// A URL (scheme or path) instead of a domain name.
    #[error("`{entry}` is a URL; write just the domain: `{host}`")]
    Url {
        /// The entry as written.
        entry: String,
        /// The domain part of it.
        host: String,
    },
    /// `*` alone.
    #[error(
        "`*` alone would allow every domain; list the domains instead (e.g. `example.org,*.example.org`)"
    )]
    BareWildcard,
    /// A `*` anywhere but as the whole first label.
    #[error("`{entry}`: `*` may only be the whole first label, as in `*.example.org`")]
    MisplacedWildcard {
        /// The entry as written.
        entry: String,
    },
    /// A non-ASCII (internationalised) name.
    #[error(
        "`{entry}` contains non-ASCII characters; write its punycode form instead (e.g. `xn--bcher-kva.de` for `bücher.de`)"
    )]
    NonAscii {
        /// The entry as written.
        entry: String,
    },
    /// Not a valid domain name for another reason.
    #[error("`{entry}` is not a valid domain name: {problem}")]
    InvalidName {
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
}

impl Allowlist {
    /// Parses a comma-separated list of domains and `*.domain` wildcards;
    /// whitespace around entries is ignored, duplicates are dropped.
    pub fn parse(spec: &str) -> Result<Self, AllowlistError> {
        if spec.trim().is_empty() {
            return Err(AllowlistError::NoEntries);
        }
        let mut entries = Vec::new();
        for (index, raw) in spec.split(',').enumerate() {
            let entry = parse_entry(raw.trim(), index + 1)?;
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        if entries
            .iter()
            .all(|entry| matches!(entry, AllowEntry::Range(_)))
        {
            return Err(AllowlistError::NoDomains);
        }
        Ok(Self { entries })
    }

    /// Whether a request for `host` (no port) may pass. IP literals and
    /// anything else that is not a proper domain name never do.
    pub fn allows(&self, host: &str) -> bool {
        match classify(host) {
            HostKind::Domain(domain) => self.allows_domain(&domain),
            HostKind::Ip | HostKind::Invalid(_) => false,
        }
    }

    /// [`Self::allows`] for a name already normalised by `classify`.
    pub(crate) fn allows_domain(&self, domain: &str) -> bool {
        self.entries.iter().any(|entry| entry.matches(domain))
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[AllowEntry] {
        &self.entries
    }

    /// The CIDR entries: the special-purpose ranges listed names may lead
    /// into.
    pub fn ranges(&self) -> Vec<IpNet> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                AllowEntry::Range(net) => Some(*net),
                AllowEntry::Exact(_) | AllowEntry::Subdomains(_) => None,
            })
            .collect()
    }
}

impl FromStr for Allowlist {
    type Err = AllowlistError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        Self::parse(spec)
    }
}

impl fmt::Display for Allowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

fn parse_entry(entry: &str, position: usize) -> Result<AllowEntry, AllowlistError> {
    if entry.is_empty() {
        return Err(AllowlistError::EmptyEntry { position });
    }
    let owned = || entry.to_owned();
    if let Some(range) = parse_range(entry)? {
        return Ok(AllowEntry::Range(range));
    }
    if entry.contains("://") || entry.contains('/') {
        return Err(AllowlistError::Url {
            entry: owned(),
            host: url_host(entry),
        });
    }
    if entry.starts_with('[') || entry.parse::<std::net::IpAddr>().is_ok() {
        return Err(AllowlistError::IpAddress { entry: owned() });
    }
    if let Some((host, port)) = entry.rsplit_once(':') {
        // More than one colon: an IPv6 address without brackets.
        if host.contains(':') {
            return Err(AllowlistError::IpAddress { entry: owned() });
        }
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AllowlistError::Port {
                entry: owned(),
                host: host.to_owned(),
            });
        }
        return Err(AllowlistError::Url {
            entry: owned(),
            host: host.to_owned(),
        });
    }
    if entry == "*" || entry == "*." {
        return Err(AllowlistError::BareWildcard);
    }
    let (wildcard, rest) = match entry.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    if rest.contains('*') {
        return Err(AllowlistError::MisplacedWildcard { entry: owned() });
    }
    match classify(rest) {
        HostKind::Domain(domain) if is_localhost_name(&domain) => {
            Err(AllowlistError::Localhost { entry: owned() })
        }
        HostKind::Domain(domain) if wildcard => Ok(AllowEntry::Subdomains(domain)),
        HostKind::Domain(domain) => Ok(AllowEntry::Exact(domain)),
        HostKind::Ip => Err(AllowlistError::IpAddress { entry: owned() }),
        HostKind::Invalid(NameProblem::NonAscii) => {
            Err(AllowlistError::NonAscii { entry: owned() })
        }
        HostKind::Invalid(problem) => Err(AllowlistError::InvalidName {
            entry: owned(),
            problem,
        }),
    }
}

/// A CIDR entry, `None` for anything whose part before the `/` is not an
/// IP address (a URL, say).
fn parse_range(entry: &str) -> Result<Option<IpNet>, AllowlistError> {
    let Some((address, _)) = entry.split_once('/') else {
        return Ok(None);
    };
    if address.parse::<std::net::IpAddr>().is_err() {
        return Ok(None);
    }
    let owned = || entry.to_owned();
    let net: IpNet = entry
        .parse()
        .map_err(|problem| AllowlistError::InvalidRange {
            entry: owned(),
            problem,
        })?;
    if let Some(kind) = internal_covering(&net) {
        return Err(AllowlistError::NeverAllowedRange {
            entry: owned(),
            kind,
        });
    }
    // Addresses that embed IPv4 are judged by it, so a range of them would
    // never match.
    if judged_form(net.network()) != net.network() {
        return Err(AllowlistError::EmbeddedRange { entry: owned() });
    }
    Ok(Some(net))
}

/// The host part of a URL-like entry, for the "write just the domain" hint.
fn url_host(entry: &str) -> String {
    let rest = entry.split_once("://").map_or(entry, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) | None => host,
    };
    if host.is_empty() {
        "example.org".to_owned()
    } else {
        host.to_ascii_lowercase()
    }
}

#[cfg(test)]
#[path = "allowlist_tests.rs"]
mod tests;
