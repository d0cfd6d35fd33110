//! The seam between the MCP transports and OAuth: a transport asks for
//! the `Authorization` header before it connects, and hands back the
//! server's challenge when it answers 401 or 403.

use futures::future::BoxFuture;

use super::config::RemoteServer;

/// Why a remote server cannot be used without the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No stored login, or it expired and could not be refreshed, or the
    /// server wants more scope than the login has: `cowork mcp login`.
    #[error("needs login")]
    NeedsLogin,
    /// Discovery, registration or the token endpoint failed; says why.
    #[error("{0}")]
    Failed(String),
}

/// Supplies and renews credentials for remote servers.
pub trait AuthProvider: Send + Sync {
    /// The `Authorization` header value for `server` now, refreshing an
    /// expired token first. `Ok(None)`: the server has no stored login
    /// (connect without one; it may not need any).
    fn authorization<'a>(
        &'a self,
        server: &'a str,
        remote: &'a RemoteServer,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>>;

    /// The server refused a request with `status` (401 or 403) and this
    /// `WWW-Authenticate` header. `Ok(Some(header))`: retry once with it
    /// (a refreshed token); `Err(NeedsLogin)`: the person must log in
    /// (again, or with more scope on 403 `insufficient_scope`).
    fn challenged<'a>(
        &'a self,
        server: &'a str,
        remote: &'a RemoteServer,
        status: u16,
        www_authenticate: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>>;
}

/// For servers configured without OAuth, and tests: never a token.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl AuthProvider for NoAuth {
    fn authorization<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async { Ok(None) })
    }

    fn challenged<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
        _status: u16,
        _www_authenticate: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async { Err(AuthError::NeedsLogin) })
    }
}
