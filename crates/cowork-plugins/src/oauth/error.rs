//! What can go wrong signing in to a remote server, worded so the person
//! learns which server, which URL, and what to do.

use std::path::PathBuf;

/// Why an OAuth step failed. [`OAuthError::needs_login`] tells the
/// variants that only a new `cowork mcp login` can fix.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// A URL from the configuration or from metadata does not parse.
    #[error("{what} `{url}` is not a valid URL: {reason}")]
    BadUrl {
        what: &'static str,
        url: String,
        reason: String,
    },
    /// OAuth endpoints must be HTTPS; plain HTTP only on the loopback
    /// interface (local test servers).
    #[error(
        "{what} `{url}` is not HTTPS; cowork sends credentials only over HTTPS (or to 127.0.0.1)"
    )]
    Insecure { what: &'static str, url: String },
    /// Network failure talking to `url`: transient, retry later.
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// `url` answered with an unexpected HTTP status.
    #[error("{url} answered HTTP {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    /// `url` answered something that is not the JSON the spec describes.
    #[error("{url} did not answer valid {what}: {reason}")]
    BadResponse {
        url: String,
        what: &'static str,
        reason: String,
    },
    /// Neither the challenge nor the RFC 9728 well-known URLs gave
    /// protected-resource metadata.
    #[error(
        "{server_url} publishes no OAuth protected-resource metadata (RFC 9728; tried {tried}); it cannot be signed in to with OAuth"
    )]
    NoResourceMetadata { server_url: String, tried: String },
    /// RFC 9728 §3.3: metadata for another resource must not be used.
    #[error(
        "the protected-resource metadata at {metadata_url} is for `{found}`, not for the server `{expected}`; cowork refuses to use it"
    )]
    ResourceMismatch {
        metadata_url: String,
        expected: String,
        found: String,
    },
    #[error("the protected-resource metadata at {metadata_url} names no authorization server")]
    NoAuthorizationServer { metadata_url: String },
    /// Neither RFC 8414 nor OpenID discovery found metadata for `issuer`.
    #[error("the authorization server {issuer} publishes no metadata (tried {tried})")]
    NoIssuerMetadata { issuer: String, tried: String },
    /// RFC 8414 §3.3: the metadata's `issuer` must be the issuer asked for.
    #[error(
        "the metadata at {metadata_url} says its issuer is `{found}`, not `{expected}`; cowork refuses to use it"
    )]
    IssuerMismatch {
        metadata_url: String,
        expected: String,
        found: String,
    },
    /// The MCP spec makes PKCE with S256 mandatory.
    #[error(
        "the authorization server {issuer} does not support PKCE with S256; cowork refuses to log in without it"
    )]
    NoS256 { issuer: String },
    /// No preregistered client, no Client ID Metadata Document support, no
    /// registration endpoint.
    #[error(
        "the authorization server {issuer} offers no way for cowork to identify itself (no client ID metadata documents, no dynamic registration); set `oauth.clientId` for server `{server}` in its configuration"
    )]
    NoClientIdentity { server: String, issuer: String },
    /// A server name that cannot be a file name.
    #[error("`{name}` cannot name a server's token file: use letters, digits, `.`, `_` and `-`")]
    BadServerName { name: String },
    /// The loopback callback listener could not start.
    #[error("could not listen for the sign-in callback on 127.0.0.1:{port}: {reason}")]
    Listen { port: u16, reason: String },
    #[error("no sign-in arrived within {seconds} s; run `cowork mcp login` again")]
    CallbackTimeout { seconds: u64 },
    /// The authorization server refused the authorization request.
    #[error("the authorization server refused: {error}{description}")]
    Denied { error: String, description: String },
    /// RFC 9207: a callback without `iss` from a server that promises it,
    /// or with another issuer's name: a mix-up attack, or a misconfigured
    /// server.
    #[error(
        "the sign-in callback {problem}; expected the issuer `{expected}`. cowork refused the code"
    )]
    IssuerCheck { problem: String, expected: String },
    /// The token endpoint refused a grant other than a dead refresh token.
    #[error("the token endpoint {url} refused: {error}{description}")]
    TokenRefused {
        url: String,
        error: String,
        description: String,
    },
    /// `invalid_grant` on refresh: the login was revoked or expired.
    #[error("the login to `{server}` was revoked or has expired; run `cowork mcp login {server}`")]
    LoginRevoked { server: String },
    /// No stored login, or it no longer fits the server.
    #[error("not logged in to `{server}`; run `cowork mcp login {server}`")]
    NotLoggedIn { server: String },
    /// The token store could not be read or written.
    #[error("{action} {path}: {source}")]
    Store {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A stored file that is not what cowork wrote.
    #[error("{path} is damaged ({reason}); delete it and run `cowork mcp login` again")]
    CorruptStore { path: PathBuf, reason: String },
}

impl OAuthError {
    /// Only a new `cowork mcp login` fixes this (not waiting, not a fix
    /// of the configuration).
    pub fn needs_login(&self) -> bool {
        match self {
            Self::LoginRevoked { .. } | Self::NotLoggedIn { .. } => true,
            Self::BadUrl { .. }
            | Self::Insecure { .. }
            | Self::Unreachable { .. }
            | Self::Status { .. }
            | Self::BadResponse { .. }
            | Self::NoResourceMetadata { .. }
            | Self::ResourceMismatch { .. }
            | Self::NoAuthorizationServer { .. }
            | Self::NoIssuerMetadata { .. }
            | Self::IssuerMismatch { .. }
            | Self::NoS256 { .. }
            | Self::NoClientIdentity { .. }
            | Self::BadServerName { .. }
            | Self::Listen { .. }
            | Self::CallbackTimeout { .. }
            | Self::Denied { .. }
            | Self::IssuerCheck { .. }
            | Self::TokenRefused { .. }
            | Self::Store { .. }
            | Self::CorruptStore { .. } => false,
        }
    }
}

/// `": description"` when the server gave one, for the messages above.
pub(crate) fn with_description(description: Option<&str>) -> String {
    match description {
        Some(d) if !d.trim().is_empty() => format!(": {}", d.trim()),
        Some(_) | None => String::new(),
    }
}
