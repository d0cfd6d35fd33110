//! Policy patterns: names, URLs and folders, each matched by its parts so
//! that no spelling of a URL slips past a blocklist and no URL of another
//! host passes an allowlist.
//!
//! - No `/` and no `:`: a **name** glob (`slack`, `acme-*`).
//! - Starts with `/`: a **folder** glob against a local path (`*` crosses
//!   `/`).
//! - Otherwise a **URL** pattern `[scheme://]host[:port][/path]`: the host
//!   glob is matched against the URL's host only (lower case, trailing dot
//!   and user info dropped), so `*.notion.com/*` never matches
//!   `https://evil.example/a.notion.com/`; no scheme means any scheme, no
//!   port any port, no path any path; in a path `*` crosses `/`.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub text: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Name(GlobMatcher),
    Folder(GlobMatcher),
    Url {
        scheme: Option<String>,
        host: GlobMatcher,
        port: Option<u16>,
        path: Option<GlobMatcher>,
    },
}

fn glob(text: &str, case_insensitive: bool, whole: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(text)
        .literal_separator(false)
        .case_insensitive(case_insensitive)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`{whole}` is not a valid pattern: {e}"))
}

impl Pattern {
    pub(crate) fn new(text: &str) -> Result<Self, String> {
        let kind = if text.starts_with('/') {
            Kind::Folder(glob(text, false, text)?)
        } else if text.contains('/') || text.contains(':') {
            url_pattern(text)?
        } else {
            Kind::Name(glob(text, true, text)?)
        };
        Ok(Self {
            text: text.to_owned(),
            kind,
        })
    }

    /// Whether the pattern matches something called `name` at `source`
    /// (a URL, a git address or a folder; `None` for a local server).
    pub(crate) fn matches(&self, name: &str, source: Option<&str>) -> bool {
        match &self.kind {
            Kind::Name(glob) => glob.is_match(name),
            Kind::Folder(glob) => source.and_then(Address::parse).is_some_and(|a| match a {
                Address::Folder(path) => glob.is_match(path),
                Address::Url { .. } => false,
            }),
            Kind::Url {
                scheme,
                host,
                port,
                path,
            } => source.and_then(Address::parse).is_some_and(|a| match a {
                Address::Folder(_) => false,
                Address::Url {
                    scheme: their_scheme,
                    host: their_host,
                    port: their_port,
                    path: their_path,
                } => {
                    scheme.as_ref().is_none_or(|s| *s == their_scheme)
                        && host.is_match(&their_host)
                        && port.is_none_or(|p| Some(p) == their_port)
                        && path.as_ref().is_none_or(|p| p.is_match(&their_path))
                }
            }),
        }
    }
}

fn url_pattern(text: &str) -> Result<Kind, String> {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, text),
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], Some(&rest[at..])),
        None => (rest, None),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port = port
                .parse::<u16>()
                .map_err(|_| format!("`{text}`: the port `{port}` is not a number"))?;
            (host, Some(port))
        }
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(format!("`{text}` names no host"));
    }
    Ok(Kind::Url {
        scheme,
        host: glob(host.trim_end_matches('.'), true, text)?,
        port,
        path: path.map(|p| glob(p, false, text)).transpose()?,
    })
}

/// A source, taken apart.
enum Address {
    Folder(String),
    Url {
        scheme: String,
        /// Lower case, no trailing dot.
        host: String,
        /// The port, the scheme's default filled in.
        port: Option<u16>,
        path: String,
    },
}

impl Address {
    fn parse(source: &str) -> Option<Self> {
        if source.starts_with('/') {
            return Some(Self::Folder(source.to_owned()));
        }
        if let Ok(url) = reqwest::Url::parse(source) {
            if url.scheme() == "file" {
                return Some(Self::Folder(url.path().to_owned()));
            }
            let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
            return Some(Self::Url {
                scheme: url.scheme().to_owned(),
                host,
                port: url.port_or_known_default(),
                path: url.path().to_owned(),
            });
        }
        // `git@host:owner/repo.git`, git's scp-like form of ssh.
        let (user_host, path) = source.split_once(':')?;
        let host = user_host.rsplit_once('@').map_or(user_host, |(_, h)| h);
        Some(Self::Url {
            scheme: "ssh".to_owned(),
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            port: Some(22),
            path: format!("/{}", path.trim_start_matches('/')),
        })
    }
}
