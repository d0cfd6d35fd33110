//! From a server's configuration to a running MCP session: a local
//! process over stdio, or a remote server over Streamable HTTP or the
//! older SSE transport, with its credentials from an [`AuthProvider`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use rmcp::service::{ClientInitializeError, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{Peer, RoleClient, ServiceError, ServiceExt};

use super::auth::{AuthError, AuthProvider, NoAuth};
use super::config::{McpServer, RemoteKind, RemoteServer};
use super::error::ConnectError;
use super::handler::{Handler, Notices};
use super::sse::{SseError, SseOpenError, SseTransport};
use super::stdio::{InheritedEnv, ServerProcess};
use crate::oauth::discovery::Challenge;

/// A server's configuration with every `${VAR}` and
/// `${CLAUDE_PLUGIN_ROOT}` already expanded: this module starts what it is
/// given and never reads a plugin folder or the environment for values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedServer {
    pub config: McpServer,
    /// A local server's working directory (a plugin's root); `None`:
    /// cowork's own.
    pub cwd: Option<PathBuf>,
}

impl ResolvedServer {
    pub fn new(config: McpServer) -> Self {
        Self { config, cwd: None }
    }

    /// "stdio", "http" or "sse".
    pub fn transport(&self) -> &'static str {
        match &self.config {
            McpServer::Stdio(_) => "stdio",
            McpServer::Remote(remote) => match remote.kind {
                RemoteKind::Http => "http",
                RemoteKind::Sse => "sse",
            },
        }
    }
}

/// How connecting and calling behave.
#[derive(Clone)]
pub struct ConnectOptions {
    /// Starting a server and its `initialize` handshake (default 10 s).
    pub connect_timeout: Duration,
    /// One tool call, resource read or prompt fetch (default 120 s).
    pub call_timeout: Duration,
    /// What local servers inherit of the person's environment.
    pub env: InheritedEnv,
    /// Credentials for remote servers.
    pub auth: Arc<dyn AuthProvider>,
    /// The first wait before restarting a crashed local server (default
    /// 1 s); each later attempt waits twice as long, up to 30 s.
    pub restart_backoff: Duration,
    /// Restarts tried before a crashed server is given up (default 5).
    pub restart_attempts: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(120),
            env: InheritedEnv::from_process(),
            auth: Arc::new(NoAuth),
            restart_backoff: Duration::from_secs(1),
            restart_attempts: 5,
        }
    }
}

/// What a server said about itself when it connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSummary {
    pub name: String,
    pub version: String,
    /// The negotiated protocol version (`2025-06-18`…).
    pub protocol: String,
    pub has_resources: bool,
    pub has_prompts: bool,
}

/// A running MCP session. Dropping it ends the session and stops a local
/// server's process group.
pub struct Connection {
    pub(crate) server: String,
    service: RunningService<RoleClient, Handler>,
    process: Option<Mutex<ServerProcess>>,
    pub(crate) notices: Arc<Notices>,
    pub(crate) call_timeout: Duration,
    /// A request was refused with 401/403 mid-session (a revoked or
    /// expired token, or one without the scope a call needs): the session
    /// is treated as ended, and the refusal goes to the auth provider
    /// before reconnecting.
    refused: Mutex<Option<Refusal>>,
}

/// The [`SseError::Refused`] among `error`'s sources.
fn sse_refusal(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut source = error.source();
    while let Some(current) = source {
        if let Some(SseError::Refused {
            status,
            www_authenticate,
            ..
        }) = current.downcast_ref::<SseError>()
        {
            return Some(Refusal {
                status: *status,
                www_authenticate: www_authenticate.clone(),
            });
        }
        source = current.source();
    }
    None
}

/// The SSE refusal that failed `initialize`. rmcp gives its transport
/// error no `source`, so the chain is entered by hand.
fn initialize_refusal(error: &ClientInitializeError) -> Option<Refusal> {
    match error {
        ClientInitializeError::TransportError { error, .. } => sse_refusal(error),
        _ => None,
    }
}

/// A server's 401 or 403, as the auth provider needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub www_authenticate: Option<String>,
}

impl Refusal {
    /// The refusal behind a failed request, if that is why it failed:
    /// rmcp's Streamable HTTP transport says so itself, the legacy SSE
    /// transport (ours) with [`SseError::Refused`].
    pub(crate) fn of(error: &ServiceError) -> Option<Self> {
        if let Some(challenge) = error.auth_challenge() {
            return Some(Self::from_challenge(Some(challenge)));
        }
        sse_refusal(error)
    }

    /// rmcp keeps the challenge, not the status: a 403 is the one whose
    /// challenge says `insufficient_scope` (RFC 6750 §3.1).
    fn from_challenge(challenge: Option<&str>) -> Self {
        let insufficient = challenge
            .and_then(Challenge::parse)
            .is_some_and(|c| c.error.as_deref() == Some("insufficient_scope"));
        Self {
            status: if insufficient { 403 } else { 401 },
            www_authenticate: challenge.map(str::to_owned),
        }
    }
}

impl Connection {
    pub(crate) fn peer(&self) -> &Peer<RoleClient> {
        self.service.peer()
    }

    /// The server's name, version, protocol and what it offers.
    pub fn summary(&self) -> ServerSummary {
        let info = self.service.peer_info();
        let capabilities = info
            .as_ref()
            .map(|i| i.capabilities.clone())
            .unwrap_or_default();
        let implementation = info.as_ref().and_then(|i| i.server_info.clone());
        ServerSummary {
            name: implementation
                .as_ref()
                .map(|i| i.name.clone())
                .unwrap_or_else(|| self.server.clone()),
            version: implementation.map(|i| i.version).unwrap_or_default(),
            protocol: info
                .map(|i| i.protocol_version.to_string())
                .unwrap_or_default(),
            has_resources: capabilities.resources.is_some(),
            has_prompts: capabilities.prompts.is_some(),
        }
    }

    /// Every tool the server offers now (all pages).
    pub async fn list_tools(&self) -> Result<Vec<rmcp::model::Tool>, ServiceError> {
        bounded(self.peer().list_all_tools(), self.call_timeout, None).await
    }

    /// How many resources and prompts the server offers (0 for what it
    /// does not support).
    pub async fn counts(&self) -> Result<(usize, usize), ServiceError> {
        let summary = self.summary();
        let resources = if summary.has_resources {
            bounded(self.peer().list_all_resources(), self.call_timeout, None)
                .await?
                .len()
        } else {
            0
        };
        let prompts = if summary.has_prompts {
            bounded(self.peer().list_all_prompts(), self.call_timeout, None)
                .await?
                .len()
        } else {
            0
        };
        Ok((resources, prompts))
    }

    /// The most recent progress message the server sent about any call.
    pub fn last_progress(&self) -> Option<String> {
        self.notices.last_progress()
    }

    /// The local server's process id, while it runs.
    pub fn process_id(&self) -> Option<u32> {
        self.process
            .as_ref()
            .and_then(|p| p.lock().ok().and_then(|p| p.id()))
    }

    /// Why the session ended on its own (the process exited, the stream
    /// closed); `None` while it works. No I/O: a `waitpid(WNOHANG)`.
    pub(crate) fn ended(&self) -> Option<String> {
        if self.refusal().is_some() {
            return Some("the server refused the stored login".to_owned());
        }
        if let Some(process) = &self.process
            && let Ok(mut process) = process.lock()
            && let Some(reason) = process.exit_reason()
        {
            return Some(reason);
        }
        (self.service.is_closed() || self.peer().is_transport_closed())
            .then(|| "the connection closed".to_owned())
    }

    /// Notes a request's failure: a 401/403 challenge ends the session.
    pub(crate) fn saw_error(&self, error: &ServiceError) {
        if let Some(refusal) = Refusal::of(error) {
            *self.refused.lock().unwrap_or_else(PoisonError::into_inner) = Some(refusal);
        }
    }

    /// The 401/403 that ended the session, if one did.
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Ends the session and stops the process group.
    pub async fn close(mut self) {
        let _ = self
            .service
            .close_with_timeout(Duration::from_millis(500))
            .await;
        if let Some(process) = self.process.take()
            && let Ok(mut process) = process.into_inner()
        {
            process.stop().await;
        }
    }
}

/// Why a bounded request did not answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    #[error("no answer within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<CallError> for ServiceError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Timeout(timeout) => ServiceError::Timeout { timeout },
            CallError::Cancelled => ServiceError::Cancelled { reason: None },
            CallError::Service(e) => e,
        }
    }
}

/// Runs `request` for at most `timeout`, giving up early when `cancel`
/// becomes true. Giving up drops the request, and rmcp then tells the
/// server `notifications/cancelled`.
pub(crate) async fn bounded_call<T>(
    request: impl Future<Output = Result<T, ServiceError>>,
    timeout: Duration,
    cancel: Option<&AtomicBool>,
) -> Result<T, CallError> {
    let cancelled = async {
        match cancel {
            Some(flag) => {
                while !flag.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        result = tokio::time::timeout(timeout, request) => match result {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(CallError::Timeout(timeout)),
        },
        () = cancelled => Err(CallError::Cancelled),
    }
}

async fn bounded<T>(
    request: impl Future<Output = Result<T, ServiceError>>,
    timeout: Duration,
    cancel: Option<&AtomicBool>,
) -> Result<T, ServiceError> {
    Ok(bounded_call(request, timeout, cancel).await?)
}

/// Connects to `server` (named `name` in statuses and tool names) and
/// completes the `initialize` handshake, within `options.connect_timeout`.
pub async fn connect(
    name: &str,
    server: &ResolvedServer,
    options: &ConnectOptions,
) -> Result<Connection, ConnectError> {
    let notices = Arc::new(Notices::default());
    let handler = Handler {
        server: name.to_owned(),
        notices: Arc::clone(&notices),
    };
    let (service, process) = match &server.config {
        McpServer::Stdio(stdio) => {
            let (mut process, pipes) =
                ServerProcess::spawn(stdio, &options.env, server.cwd.as_ref())?;
            // Pinned here rather than moved into the timeout, so that on a
            // timeout the pipes are still open while we look at the
            // process: closing them first would make a hung server exit
            // and look like one that quit on its own.
            let serve = handler.serve(pipes);
            tokio::pin!(serve);
            match tokio::time::timeout(options.connect_timeout, &mut serve).await {
                Ok(Ok(service)) => (service, Some(Mutex::new(process))),
                Ok(Err(e)) => {
                    // The usual cause is a server that exited (a missing
                    // token, a bad argument): say how, with its stderr.
                    let reason = process.wait_reason(Duration::from_secs(2)).await;
                    process.stop().await;
                    return Err(match reason {
                        Some(reason) => ConnectError::Exited(reason),
                        None => ConnectError::Failed(super::error::reason(&e)),
                    });
                }
                Err(_) => {
                    let reason = process.exit_reason();
                    process.stop().await;
                    return Err(match reason {
                        Some(reason) => ConnectError::Exited(reason),
                        None => ConnectError::Timeout(options.connect_timeout),
                    });
                }
            }
        }
        McpServer::Remote(remote) => {
            let service = tokio::time::timeout(
                options.connect_timeout,
                connect_remote(name, remote, handler, options.auth.as_ref()),
            )
            .await
            .map_err(|_| ConnectError::Timeout(options.connect_timeout))??;
            (service, None)
        }
    };
    Ok(Connection {
        server: name.to_owned(),
        service,
        process,
        notices,
        call_timeout: options.call_timeout,
        refused: Mutex::new(None),
    })
}

async fn connect_remote(
    name: &str,
    remote: &RemoteServer,
    handler: Handler,
    auth: &dyn AuthProvider,
) -> Result<RunningService<RoleClient, Handler>, ConnectError> {
    let mut authorization = auth.authorization(name, remote).await.map_err(auth_error)?;
    // One retry after the server's challenge (a refreshed token); a second
    // refusal means the person must log in.
    for retry in [false, true] {
        let headers = headers_of(remote, authorization.as_deref())?;
        let refused = match remote.kind {
            RemoteKind::Http => {
                let mut config = StreamableHttpClientTransportConfig::with_uri(remote.url.as_str());
                config.custom_headers = headers
                    .into_iter()
                    .filter_map(|(k, v)| Some((k?, v)))
                    .collect();
                let transport =
                    StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
                match handler.clone().serve(transport).await {
                    Ok(service) => return Ok(service),
                    Err(e) if e.is_authorization_required() || e.auth_challenge().is_some() => {
                        let refusal = Refusal::from_challenge(e.auth_challenge());
                        (refusal.status, refusal.www_authenticate)
                    }
                    Err(e) => {
                        return Err(ConnectError::Failed(format!(
                            "cannot reach {}: {}",
                            remote.url,
                            super::error::reason(&e)
                        )));
                    }
                }
            }
            RemoteKind::Sse => {
                match SseTransport::open(reqwest::Client::new(), &remote.url, headers).await {
                    Ok(transport) => match handler.clone().serve(transport).await {
                        Ok(service) => return Ok(service),
                        // The stream opened but posting `initialize` was
                        // refused: a login matter, as a refused GET is.
                        Err(e) => match initialize_refusal(&e) {
                            Some(refusal) => (refusal.status, refusal.www_authenticate),
                            None => return Err(ConnectError::Failed(super::error::reason(&e))),
                        },
                    },
                    Err(SseOpenError::Refused {
                        status,
                        www_authenticate,
                    }) => (status, www_authenticate),
                    Err(SseOpenError::Failed(message)) => {
                        return Err(ConnectError::Failed(message));
                    }
                }
            }
        };
        if retry {
            break;
        }
        let (status, challenge) = refused;
        authorization = match auth
            .challenged(name, remote, status, challenge.as_deref())
            .await
            .map_err(auth_error)?
        {
            Some(header) => Some(header),
            None => return Err(ConnectError::NeedsLogin),
        };
    }
    Err(ConnectError::NeedsLogin)
}

/// Hands a refusal seen after connecting (listing tools, a call) to the
/// auth provider: `Ok` when reconnecting may work (it refreshed the
/// token), `NeedsLogin` when the person must log in, with the scope a 403
/// asked for remembered for that login.
pub(crate) async fn refused(
    name: &str,
    server: &ResolvedServer,
    auth: &dyn AuthProvider,
    refusal: &Refusal,
) -> Result<(), ConnectError> {
    let McpServer::Remote(remote) = &server.config else {
        return Ok(());
    };
    match auth
        .challenged(
            name,
            remote,
            refusal.status,
            refusal.www_authenticate.as_deref(),
        )
        .await
        .map_err(auth_error)?
    {
        Some(_) => Ok(()),
        None => Err(ConnectError::NeedsLogin),
    }
}

fn auth_error(e: AuthError) -> ConnectError {
    match e {
        AuthError::NeedsLogin => ConnectError::NeedsLogin,
        AuthError::Failed(message) => ConnectError::Failed(message),
    }
}

/// The configured headers, with `authorization` (from the auth provider)
/// replacing a configured `Authorization`.
fn headers_of(
    remote: &RemoteServer,
    authorization: Option<&str>,
) -> Result<HeaderMap, ConnectError> {
    let mut headers = HeaderMap::new();
    for (key, value) in &remote.headers {
        let name = HeaderName::from_bytes(key.as_bytes()).map_err(|_| {
            ConnectError::Config(format!("`{key}` is not a valid HTTP header name"))
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            ConnectError::Config(format!("the value of header `{key}` is not valid in HTTP"))
        })?;
        headers.insert(name, value);
    }
    if let Some(authorization) = authorization {
        let mut value = HeaderValue::from_str(authorization).map_err(|_| {
            ConnectError::Config("the stored login is not a valid Authorization header".to_owned())
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
