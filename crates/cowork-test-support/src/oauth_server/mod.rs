//! An OAuth 2.1 authorization server and an MCP-ish protected resource on
//! 127.0.0.1, written for the tests of cowork's OAuth client. It checks
//! what a strict server checks (PKCE S256 against its own SHA-256, the RFC
//! 8707 `resource` on every request, redirect URIs, client identity) and
//! records every request, so tests can assert both that the client did
//! the right thing and that a wrong client would be caught. Approval is
//! automatic: following the authorization URL with any HTTP client ends
//! at the client's loopback callback.
//!
//! ```no_run
//! use cowork_test_support::oauth_server::{OAuthServer, OAuthServerConfig};
//!
//! let server = OAuthServer::start(OAuthServerConfig::default());
//! let mcp_url = server.mcp_url(); // answers 401 with a Bearer challenge
//! ```

mod routes;
pub mod sha256;

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// Where the authorization server publishes its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataKind {
    /// RFC 8414 `/.well-known/oauth-authorization-server`.
    OAuth,
    /// OpenID Connect `/.well-known/openid-configuration`.
    OpenId,
}

/// How the server treats RFC 9207's `iss` on the authorization response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssMode {
    /// Not advertised, not sent.
    Absent,
    /// Advertised and sent, correct.
    Sent,
    /// Advertised, but not sent (a broken or attacked response).
    PromisedButMissing,
    /// Sent with another issuer's name (a mix-up).
    Wrong,
}

/// What the servers do; [`Default`] is a well-behaved pair.
#[derive(Debug, Clone)]
pub struct OAuthServerConfig {
    /// Advertise PKCE S256 (the server always enforces it).
    pub s256: bool,
    /// Leave `code_challenge_methods_supported` out of the metadata.
    pub omit_pkce_methods: bool,
    /// Advertise this token endpoint instead of the server's own.
    pub token_endpoint: Option<String>,
    pub metadata: MetadataKind,
    /// The issuer's path (`""` or e.g. `"/tenant"`).
    pub issuer_path: String,
    /// Metadata claiming another issuer than the one it is published for.
    pub metadata_issuer: Option<String>,
    /// The 401 challenge carries `resource_metadata`; else the client must
    /// probe the well-known URLs.
    pub metadata_in_challenge: bool,
    /// Publish the resource metadata at the root well-known URL only
    /// (not the path-inserted one).
    pub resource_metadata_at_root: bool,
    /// Resource metadata naming another resource than `/mcp`.
    pub resource_override: Option<String>,
    pub iss: IssMode,
    pub client_id_metadata_documents: bool,
    pub dynamic_registration: bool,
    /// Dynamic registration hands out a secret (client_secret_post).
    pub registration_secret: bool,
    /// A client id the server knows without registration.
    pub preregistered: Option<String>,
    pub scopes_supported: Vec<String>,
    /// The authorization server also lists `offline_access` (OIDC style).
    pub offline_access: bool,
    /// The scope the challenge asks for.
    pub challenge_scope: Option<String>,
    /// Lifetime of access tokens, seconds.
    pub access_ttl: i64,
    pub revocation: bool,
}

impl Default for OAuthServerConfig {
    fn default() -> Self {
        Self {
            s256: true,
            omit_pkce_methods: false,
            token_endpoint: None,
            metadata: MetadataKind::OAuth,
            issuer_path: String::new(),
            metadata_issuer: None,
            metadata_in_challenge: true,
            resource_metadata_at_root: false,
            resource_override: None,
            iss: IssMode::Sent,
            client_id_metadata_documents: false,
            dynamic_registration: true,
            registration_secret: false,
            preregistered: None,
            scopes_supported: vec!["mcp:read".into(), "mcp:write".into()],
            offline_access: false,
            challenge_scope: Some("mcp:read".into()),
            access_ttl: 3600,
            revocation: true,
        }
    }
}

/// One request the servers received: its path and its parameters (query
/// and form body merged, JSON bodies as `body`).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub params: BTreeMap<String, String>,
    pub authorization: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    resource: String,
    scope: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Access {
    resource: String,
    scope: String,
    expires_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Refresh {
    client_id: String,
    resource: String,
    scope: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Registered {
    redirect_uris: Vec<String>,
    secret: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    seen: Vec<Seen>,
    refusals: Vec<String>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    clients: HashMap<String, Registered>,
    client_document: Option<serde_json::Value>,
    required_scope: Option<String>,
    counter: u64,
}

pub(crate) struct Shared {
    config: OAuthServerConfig,
    base: String,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn issuer(&self) -> String {
        format!("{}{}", self.base, self.config.issuer_path)
    }

    pub(crate) fn resource(&self) -> String {
        format!("{}/mcp", self.base)
    }
}

/// The authorization server and the resource at `/mcp`, on one port.
/// Stops when dropped.
pub struct OAuthServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl OAuthServer {
    /// # Panics
    /// When no port or thread is free: a test cannot go on without it.
    #[expect(
        clippy::expect_used,
        reason = "test helper: failing to start must stop the test with the reason"
    )]
    pub fn start(config: OAuthServerConfig) -> Self {
        Self::try_start(config).expect("the test OAuth server must start")
    }

    pub fn try_start(config: OAuthServerConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            base: format!("http://{addr}"),
            state: Mutex::new(State::default()),
        });
        let app = routes::router(Arc::clone(&shared));
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<std::io::Result<()>>(1);
        let thread = std::thread::Builder::new()
            .name(format!("oauth-server-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    tokio::select! {
                        _ = axum::serve(listener, app).into_future() => {}
                        _ = shutdown_rx => {}
                    }
                });
                drop(runtime);
            })?;
        let server = Self {
            addr,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(result) => result.map(|()| server),
            Err(_) => Err(std::io::Error::other("the server thread ended early")),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The protected MCP endpoint, which is also the resource identifier.
    pub fn mcp_url(&self) -> String {
        self.shared.resource()
    }

    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    /// Requests to `path`, in order.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let state = self.shared.state();
        state
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// Why the server refused requests, in order (empty when it refused
    /// none).
    pub fn refusals(&self) -> Vec<String> {
        self.shared.state().refusals.clone()
    }

    /// Serves `document` at [`OAuthServer::client_document_url`].
    pub fn publish_client_document(&self, document: serde_json::Value) {
        self.shared.state().client_document = Some(document);
    }

    pub fn client_document_url(&self) -> String {
        format!("{}/client.json", self.url())
    }

    /// Clients registered dynamically so far.
    pub fn registrations(&self) -> usize {
        self.shared.state().clients.len()
    }

    /// From now on `/mcp` wants this scope (403 `insufficient_scope`
    /// otherwise).
    pub fn require_scope(&self, scope: Option<&str>) {
        self.shared.state().required_scope = scope.map(str::to_owned);
    }

    /// Makes every access token expired (the server side of a clock
    /// passing), so the next call is answered 401.
    pub fn expire_access_tokens(&self) {
        for access in self.shared.state().access.values_mut() {
            access.expires_at = 0;
        }
    }

    /// Revokes every refresh token, as a person revoking the app would.
    pub fn revoke_refresh_tokens(&self) {
        self.shared.state().refresh.clear();
    }

    /// Live refresh tokens.
    pub fn refresh_tokens(&self) -> usize {
        self.shared.state().refresh.len()
    }
}

impl Drop for OAuthServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for OAuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
