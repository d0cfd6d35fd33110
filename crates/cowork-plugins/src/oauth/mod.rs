//! OAuth 2.1 for remote MCP servers, as the MCP authorization spec
//! (2026-07-28) requires of clients, hand-written on `reqwest` so that
//! every check the spec makes a MUST is ours to see and test.
//!
//! - [`discovery`]: the server's `WWW-Authenticate` challenge, its RFC 9728
//!   protected-resource metadata (whose `resource` must name the server),
//!   then the authorization server's RFC 8414 or OpenID metadata (whose
//!   `issuer` must be the one asked for, and which must offer PKCE S256).
//! - [`Login`]: one sign-in — client identity in the spec's order
//!   (preregistered `oauth.clientId`, a Client ID Metadata Document,
//!   dynamic registration), PKCE S256, RFC 8707 `resource` on every
//!   request, `state` and RFC 9207 `iss` checked on a loopback callback.
//! - [`TokenStore`]: `<data>/mcp/tokens/<server>.json`, mode 0600 in 0700
//!   folders, written atomically; dynamic registrations beside it.
//! - [`OAuthProvider`]: the [`crate::mcp::auth::AuthProvider`] transports
//!   use: the stored token, refreshed before it expires and once on 401;
//!   a revoked login or a 403 `insufficient_scope` means `cowork mcp
//!   login` (which then asks for the union of the scopes).
//!
//! Tokens never appear in `Debug` output or errors. The system keyring is
//! not used: the file is the store.
//!
//! ```no_run
//! # async fn f(paths: &cowork_plugins::PluginPaths, remote: &cowork_plugins::mcp::config::RemoteServer) -> Result<(), cowork_plugins::oauth::OAuthError> {
//! use cowork_plugins::oauth::{Login, LoginOptions, TokenStore};
//!
//! let store = TokenStore::new(paths.mcp_dir());
//! let login = Login::start(&store, "slack", remote, &LoginOptions::default()).await?;
//! // show login.authorization_url() to the person, then:
//! let done = login.finish().await?;
//! # let _ = done; Ok(()) }
//! ```

mod callback;
mod client;
pub mod discovery;
mod error;
mod flow;
mod form;
mod http;
mod pkce;
mod provider;
mod store;
mod token;

pub use client::{CLIENT_METADATA_URL, client_metadata_document};
pub use error::OAuthError;
pub use flow::{LoggedIn, LoggedOut, Login, LoginOptions, logout};
pub use provider::OAuthProvider;
pub use store::{ClientRegistration, Secret, StoredToken, TokenStore};
