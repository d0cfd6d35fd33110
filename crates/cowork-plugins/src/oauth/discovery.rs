//! Finding who signs a person in to an MCP server: the server's
//! challenge, its protected-resource metadata (RFC 9728), then its
//! authorization server's metadata (RFC 8414, or OpenID Connect
//! discovery), each checked as the MCP authorization spec requires.

use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;

use super::error::OAuthError;
use super::http::{self, canonical_resource, secure_url};
use crate::mcp::config::{RemoteKind, RemoteServer};

/// The parameters of a `Bearer` challenge in `WWW-Authenticate`
/// (RFC 6750 §3, RFC 9728 §5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub resource_metadata: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
}

impl Challenge {
    /// The `Bearer` challenge in a `WWW-Authenticate` value, which may
    /// hold several challenges (`Basic realm="x", Bearer scope="a"`).
    /// `None` when there is no `Bearer` one.
    pub fn parse(header: &str) -> Option<Self> {
        let mut rest = header;
        let mut in_bearer = false;
        let mut found = None::<Self>;
        loop {
            rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
            if rest.is_empty() {
                return found;
            }
            let token_end = rest
                .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let token = &rest[..token_end];
            let after = rest[token_end..].trim_start();
            if let Some(value_start) = after.strip_prefix('=') {
                let (value, remainder) = param_value(value_start.trim_start());
                if in_bearer && let Some(challenge) = found.as_mut() {
                    match token.to_ascii_lowercase().as_str() {
                        "resource_metadata" => challenge.resource_metadata = Some(value),
                        "scope" => challenge.scope = Some(value),
                        "error" => challenge.error = Some(value),
                        _ => {}
                    }
                }
                rest = remainder;
            } else {
                // A token not followed by `=` starts a new challenge.
                in_bearer = token.eq_ignore_ascii_case("bearer");
                if in_bearer && found.is_none() {
                    found = Some(Self::default());
                } else if found.is_some() {
                    return found;
                }
                rest = after;
            }
        }
    }
}

/// A parameter value (token or quoted-string with `\` escapes) and what
/// follows it.
fn param_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(text.len());
        return (text[..end].to_owned(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &quoted[index + 1..]),
            other => value.push(other),
        }
    }
    (value, "")
}

/// RFC 9728 protected-resource metadata, the fields cowork uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceMetadata {
    pub resource: String,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

/// RFC 8414 / OpenID authorization-server metadata, the fields cowork
/// uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

/// Everything discovery learnt about a server, checked.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The canonical URI of the MCP server: the RFC 8707 `resource`.
    pub resource: String,
    /// The scope the server's challenge asked for, if it said.
    pub challenge_scope: Option<String>,
    pub resource_metadata: ResourceMetadata,
    pub server: ServerMetadata,
}

impl Discovered {
    /// The scope to ask for before any login: the challenge's, else every
    /// scope the resource lists (the MCP spec's order); `None` to omit it.
    pub fn default_scope(&self) -> Option<String> {
        self.challenge_scope.clone().or_else(|| {
            (!self.resource_metadata.scopes_supported.is_empty())
                .then(|| self.resource_metadata.scopes_supported.join(" "))
        })
    }
}

/// Runs discovery for `remote`: challenge, resource metadata, issuer
/// metadata.
pub async fn discover(http: &Client, remote: &RemoteServer) -> Result<Discovered, OAuthError> {
    let server_url = secure_url("the server URL", &remote.url)?;
    let challenge = probe(http, remote, &server_url).await?;
    let resource = canonical_resource(&server_url);
    let (resource_metadata, metadata_url, at_root) =
        fetch_resource_metadata(http, &server_url, challenge.as_ref()).await?;
    if !names_the_server(&server_url, &resource_metadata.resource, at_root) {
        return Err(OAuthError::ResourceMismatch {
            metadata_url: metadata_url.to_string(),
            expected: resource,
            found: resource_metadata.resource,
        });
    }
    let issuer = resource_metadata
        .authorization_servers
        .first()
        .ok_or_else(|| OAuthError::NoAuthorizationServer {
            metadata_url: metadata_url.to_string(),
        })?
        .clone();
    let server = fetch_server_metadata(http, &issuer).await?;
    Ok(Discovered {
        resource,
        challenge_scope: challenge.and_then(|c| c.scope),
        resource_metadata,
        server,
    })
}

/// Whether protected-resource metadata naming `found` may be used for
/// the server at `server_url` (RFC 9728 §3.3): metadata must name the
/// resource whose identifier its URL was built from. That is the server's
/// URL, except for metadata found at the root well-known URL, which was
/// built from the origin alone and may name the origin: the whole host is
/// then one resource, which the MCP server is part of. A resource on
/// another host, or another path, is never accepted.
fn names_the_server(server_url: &Url, found: &str, at_root: bool) -> bool {
    let found = secure_url("the metadata's resource", found)
        .map(|url| canonical_resource(&url))
        .unwrap_or_else(|_| found.to_owned());
    found == canonical_resource(server_url)
        || (at_root && found == canonical_resource(&with_path(server_url, "/")))
}

/// Asks the server, without credentials, to say how to authorize: a
/// Streamable HTTP server is sent `initialize`, an SSE server a `GET`.
async fn probe(
    http: &Client,
    remote: &RemoteServer,
    server_url: &Url,
) -> Result<Option<Challenge>, OAuthError> {
    let request = match remote.kind {
        RemoteKind::Http => http
            .post(server_url.clone())
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-11-25",
                        "capabilities": {},
                        "clientInfo": {"name": "cowork", "version": env!("CARGO_PKG_VERSION")}
                    }
                })
                .to_string(),
            ),
        RemoteKind::Sse => http
            .get(server_url.clone())
            .header("accept", "text/event-stream"),
    };
    let response = request
        .send()
        .await
        .map_err(|e| http::unreachable(server_url, &e))?;
    let status = response.status();
    if status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN {
        return Ok(None);
    }
    Ok(response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(Challenge::parse))
}

/// The challenge's `resource_metadata` URL when given (the spec says to
/// use it), else the RFC 9728 well-known URLs: path-inserted, then root.
/// Also says whether it was the root URL of a server with a path.
async fn fetch_resource_metadata(
    http: &Client,
    server_url: &Url,
    challenge: Option<&Challenge>,
) -> Result<(ResourceMetadata, Url, bool), OAuthError> {
    if let Some(url) = challenge.and_then(|c| c.resource_metadata.as_deref()) {
        let url = secure_url("the resource metadata URL", url)?;
        return match fetch_json(http, &url, "protected-resource metadata").await? {
            Some(metadata) => Ok((metadata, url, false)),
            None => Err(OAuthError::NoResourceMetadata {
                server_url: server_url.to_string(),
                tried: url.to_string(),
            }),
        };
    }
    let candidates = well_known(server_url, "oauth-protected-resource");
    for (i, url) in candidates.iter().enumerate() {
        if let Some(metadata) = fetch_json(http, url, "protected-resource metadata").await? {
            // Only a server with a path has two candidates; the second is
            // the root one.
            return Ok((metadata, url.clone(), i == 1));
        }
    }
    Err(OAuthError::NoResourceMetadata {
        server_url: server_url.to_string(),
        tried: list(&candidates),
    })
}

/// `/.well-known/NAME/<path>` then `/.well-known/NAME` (RFC 9728 §3.1).
fn well_known(server_url: &Url, name: &str) -> Vec<Url> {
    let path = server_url.path().trim_end_matches('/');
    let mut urls = Vec::new();
    if !path.is_empty() {
        urls.push(with_path(server_url, &format!("/.well-known/{name}{path}")));
    }
    urls.push(with_path(server_url, &format!("/.well-known/{name}")));
    urls
}

fn with_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

fn list(urls: &[Url]) -> String {
    urls.iter().map(Url::as_str).collect::<Vec<_>>().join(", ")
}

/// For an issuer without a path: RFC 8414, then OpenID. With a path: RFC
/// 8414 path-inserted, OpenID path-inserted, OpenID path-appended (the
/// MCP spec's order). The metadata must name `issuer` as its issuer, and
/// offer PKCE with S256.
pub async fn fetch_server_metadata(
    http: &Client,
    issuer: &str,
) -> Result<ServerMetadata, OAuthError> {
    let issuer_url = secure_url("the authorization server", issuer)?;
    let path = issuer_url.path().trim_end_matches('/');
    let candidates = if path.is_empty() {
        vec![
            with_path(&issuer_url, "/.well-known/oauth-authorization-server"),
            with_path(&issuer_url, "/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            with_path(
                &issuer_url,
                &format!("/.well-known/oauth-authorization-server{path}"),
            ),
            with_path(
                &issuer_url,
                &format!("/.well-known/openid-configuration{path}"),
            ),
            with_path(
                &issuer_url,
                &format!("{path}/.well-known/openid-configuration"),
            ),
        ]
    };
    for url in &candidates {
        let Some(metadata) =
            fetch_json::<ServerMetadata>(http, url, "authorization-server metadata").await?
        else {
            continue;
        };
        if metadata.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(OAuthError::IssuerMismatch {
                metadata_url: url.to_string(),
                expected: issuer.to_owned(),
                found: metadata.issuer,
            });
        }
        if !metadata
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
        {
            return Err(OAuthError::NoS256 {
                issuer: issuer.to_owned(),
            });
        }
        secure_url(
            "the authorization endpoint",
            &metadata.authorization_endpoint,
        )?;
        secure_url("the token endpoint", &metadata.token_endpoint)?;
        return Ok(metadata);
    }
    Err(OAuthError::NoIssuerMetadata {
        issuer: issuer.to_owned(),
        tried: list(&candidates),
    })
}

/// GETs `url` as JSON. `Ok(None)` when the server has nothing there
/// (4xx): the next candidate is tried. 5xx and network errors stop
/// discovery: a server that is down must not be skipped past.
async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &Client,
    url: &Url,
    what: &'static str,
) -> Result<Option<T>, OAuthError> {
    let response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| http::unreachable(url, &e))?;
    let status = response.status();
    if status.is_client_error() {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(OAuthError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            detail: String::new(),
        });
    }
    let body = http::body(url, response).await?;
    http::parse(url, what, &body).map(Some)
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
