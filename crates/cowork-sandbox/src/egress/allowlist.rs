//! The parsed `--allow-net` value and its matching rules.

use std::fmt;
use std::str::FromStr;

use super::name::{HostKind, NameProblem, classify};

/// The domains a sandbox may reach, parsed from a `--allow-net` value such
/// as `example.org,*.pypi.org`.
///
/// Matching is case-insensitive and ignores a trailing dot. `example.org`
/// matches exactly that host; `*.pypi.org` matches every subdomain
/// (`files.pypi.org`, `a.b.pypi.org`) but neither `pypi.org` itself nor
/// `evilpypi.org`. Ports are not part of the list: http always goes to port
/// 80 and https to port 443.
///
/// ```
/// use cowork_sandbox::egress::Allowlist;
/// let list = Allowlist::parse("Example.org, *.pypi.org")?;
/// assert!(list.allows("example.org."));
/// assert!(list.allows("files.pypi.org"));
/// assert!(!list.allows("pypi.org"));
/// assert_eq!(list.to_string(), "example.org, *.pypi.org");
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
}

impl AllowEntry {
    /// Whether `domain` (already lower-cased, no trailing dot) matches.
    fn matches(&self, domain: &str) -> bool {
        match self {
            Self::Exact(exact) => domain == exact,
            Self::Subdomains(parent) => domain
                .strip_suffix(parent.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
        }
    }
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(domain) => f.write_str(domain),
            Self::Subdomains(parent) => write!(f, "*.{parent}"),
        }
    }
}

/// Why a `--allow-net` value was rejected. Every variant names the entry
/// and says how to write it instead; show it to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowlistError {
    /// The value holds no domain at all.
    #[error("--allow-net needs at least one domain, e.g. `example.org,*.pypi.org`")]
    NoEntries,
    /// An empty entry between commas.
    #[error("--allow-net entry {position} is empty: remove the extra comma")]
    EmptyEntry {
        /// 1-based position in the comma-separated list.
        position: usize,
    },
    /// An IP address instead of a domain name.
    #[error(
        "`{entry}` is an IP address; only domain names can be allowed (write the domain, e.g. `example.org`)"
    )]
    IpAddress {
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
