//! From a server's configuration to a running MCP session: a local
//! process over stdio, or a remote server over Streamable HTTP or the
//! older SSE transport, with its credentials from an [`AuthProvider`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use rmcp::model::{ClientRequest, ProtocolVersion};
use rmcp::service::{ClientInitializeError, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, RoleClient, ServiceError, ServiceExt};
use serde_json::{Value, json};

use super::auth::{AuthError, AuthProvider, NoAuth};
use super::config::{McpServer, RemoteKind, RemoteServer};
use super::error::ConnectError;
use super::handler::{Handler, Notices};
use super::session::StdioSession;
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
    /// Connections shared with the process's other tasks (the daemon's);
    /// `None` (the default): each task starts its own.
    pub pool: Option<super::pool::ConnectionPool>,
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
            pool: None,
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
    session: Session,
    summary: ServerSummary,
    process: Option<Mutex<ServerProcess>>,
    pub(crate) notices: Arc<Notices>,
    pub(crate) call_timeout: Duration,
    /// A request was refused with 401/403 mid-session (a revoked or
    /// expired token, or one without the scope a call needs): the session
    /// is treated as ended, and the refusal goes to the auth provider
    /// before reconnecting.
    refused: Mutex<Option<Refusal>>,
}

/// Who speaks MCP for a connection: our own session for a local server
/// (see `session` for why), rmcp for remote ones.
enum Session {
    Local(StdioSession),
    Remote(RunningService<RoleClient, Handler>),
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
    pub(crate) fn of(error: &CallError) -> Option<Self> {
        let CallError::Service(error) = error else {
            return None;
        };
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
    /// The server's name, version, protocol and what it offers.
    pub fn summary(&self) -> ServerSummary {
        self.summary.clone()
    }

    /// Sends one request and returns its `result`, unbounded: callers
    /// bound it with [`bounded_call`].
    pub(crate) async fn request(
        &self,
        method: &str,
        params: Option<Value>,
    ) -> Result<Value, ServiceError> {
        match &self.session {
            Session::Local(session) => session.request(method, params).await,
            Session::Remote(service) => {
                let mut request = json!({ "method": method });
                if let Some(params) = params {
                    request["params"] = params;
                }
                let request: ClientRequest = serde_json::from_value(request).map_err(|e| {
                    ServiceError::McpError(rmcp::model::ErrorData::invalid_params(
                        format!("cowork could not form the `{method}` request: {e}"),
                        None,
                    ))
                })?;
                let result = service.peer().send_request(request).await?;
                serde_json::to_value(result).map_err(|e| {
                    ServiceError::McpError(rmcp::model::ErrorData::internal_error(
                        e.to_string(),
                        None,
                    ))
                })
            }
        }
    }

    /// Every item under `key` of a paginated list (`tools/list` →
    /// `tools`), following `nextCursor` to the last page, the whole of it
    /// within the call timeout.
    pub(crate) async fn list_all(
        &self,
        method: &str,
        key: &str,
        cancel: Option<&AtomicBool>,
    ) -> Result<Vec<Value>, CallError> {
        let pages = async {
            let mut items = Vec::new();
            let mut cursor: Option<String> = None;
            // A server that hands back the same cursor forever would
            // otherwise keep us here until the timeout.
            for _ in 0..MAX_PAGES {
                let params = cursor.take().map(|c| json!({ "cursor": c }));
                let mut page = self.request(method, params).await?;
                if let Some(Value::Array(list)) = page.get_mut(key).map(Value::take) {
                    items.extend(list);
                }
                match page.get("nextCursor").and_then(Value::as_str) {
                    Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                    _ => return Ok(items),
                }
            }
            Ok(items)
        };
        bounded_call(pages, self.call_timeout, cancel).await
    }

    /// Every tool the server offers now (all pages). A tool whose
    /// definition cannot be read is left out with a warning, not the list.
    pub async fn list_tools(&self) -> Result<Vec<rmcp::model::Tool>, CallError> {
        let tools = self.list_all("tools/list", "tools", None).await?;
        Ok(tools
            .into_iter()
            .filter_map(|tool| {
                let name = tool["name"].as_str().unwrap_or("?").to_owned();
                serde_json::from_value(tool)
                    .map_err(|e| {
                        tracing::warn!(server = %self.server, "left out its tool `{name}`: {e}");
                    })
                    .ok()
            })
            .collect())
    }

    /// How many resources and prompts the server offers (0 for what it
    /// does not support).
    pub async fn counts(&self) -> Result<(usize, usize), CallError> {
        let resources = if self.summary.has_resources {
            self.list_all("resources/list", "resources", None)
                .await?
                .len()
        } else {
            0
        };
        let prompts = if self.summary.has_prompts {
            self.list_all("prompts/list", "prompts", None).await?.len()
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
        let closed = match &self.session {
            Session::Local(session) => session.is_closed(),
            Session::Remote(service) => service.is_closed() || service.peer().is_transport_closed(),
        };
        closed.then(|| "the connection closed".to_owned())
    }

    /// Notes a request's failure: a 401/403 challenge ends the session.
    pub(crate) fn saw_error(&self, error: &CallError) {
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

    /// Ends the session and stops the process group. A local server is
    /// first asked to exit by closing its stdin, as the stdio transport
    /// says, and given [`EXIT_GRACE`] to do so.
    pub async fn close(mut self) {
        match &mut self.session {
            Session::Local(session) => session.close().await,
            Session::Remote(service) => {
                let _ = service.close_with_timeout(Duration::from_millis(500)).await;
            }
        }
        if let Some(process) = self.process.take()
            && let Ok(mut process) = process.into_inner()
        {
            if matches!(self.session, Session::Local(_)) {
                let _ = process.wait_reason(EXIT_GRACE).await;
            }
            process.stop().await;
        }
    }
}

/// How long a local server has to exit once its stdin is closed, before
/// its process group is killed.
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// The most pages one list is read in.
const MAX_PAGES: usize = 1000;

/// Why a request did not answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
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
    let (session, summary, process) = match &server.config {
        McpServer::Stdio(stdio) => {
            let (mut process, pipes) =
                ServerProcess::spawn(stdio, &options.env, server.cwd.as_ref())?;
            let hello = serde_json::to_value(handler.get_info())
                .map_err(|e| ConnectError::Failed(e.to_string()))?;
            // Pinned here rather than moved into the timeout, so that on a
            // timeout the pipes are still open while we look at the
            // process: closing them first would make a hung server exit
            // and look like one that quit on its own.
            let start = StdioSession::start(name, pipes, Arc::clone(&notices), hello);
            tokio::pin!(start);
            match tokio::time::timeout(options.connect_timeout, &mut start).await {
                Ok(Ok((session, result))) => match local_summary(name, &result) {
                    Ok(summary) => (Session::Local(session), summary, Some(Mutex::new(process))),
                    Err(e) => {
                        drop(session);
                        process.stop().await;
                        return Err(e);
                    }
                },
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
            let summary = remote_summary(name, &service);
            (Session::Remote(service), summary, None)
        }
    };
    Ok(Connection {
        server: name.to_owned(),
        session,
        summary,
        process,
        notices,
        call_timeout: options.call_timeout,
        refused: Mutex::new(None),
    })
}

/// What a local server's `initialize` result says, once its protocol
/// version is one cowork speaks.
fn local_summary(name: &str, result: &Value) -> Result<ServerSummary, ConnectError> {
    let protocol = result["protocolVersion"].as_str().unwrap_or_default();
    let known = ProtocolVersion::KNOWN_VERSIONS
        .iter()
        .any(|v| v.as_str() == protocol && v.has_initialize());
    if !known {
        return Err(ConnectError::Failed(format!(
            "the server speaks MCP version `{protocol}`, which cowork does not (it speaks {} \
             and earlier); update the server",
            ProtocolVersion::LATEST_WITH_INITIALIZE
        )));
    }
    let info = &result["serverInfo"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let capabilities = &result["capabilities"];
    Ok(ServerSummary {
        name: text(&info["name"]).unwrap_or_else(|| name.to_owned()),
        version: text(&info["version"]).unwrap_or_default(),
        protocol: protocol.to_owned(),
        has_resources: capabilities.get("resources").is_some_and(Value::is_object),
        has_prompts: capabilities.get("prompts").is_some_and(Value::is_object),
    })
}

/// What a remote server told rmcp about itself.
fn remote_summary(name: &str, service: &RunningService<RoleClient, Handler>) -> ServerSummary {
    let info = service.peer_info();
    let capabilities = info
        .as_ref()
        .map(|i| i.capabilities.clone())
        .unwrap_or_default();
    let implementation = info.as_ref().and_then(|i| i.server_info.clone());
    ServerSummary {
        name: implementation
            .as_ref()
            .map(|i| i.name.clone())
            .unwrap_or_else(|| name.to_owned()),
        version: implementation.map(|i| i.version).unwrap_or_default(),
        protocol: info
            .map(|i| i.protocol_version.to_string())
            .unwrap_or_default(),
        has_resources: capabilities.resources.is_some(),
        has_prompts: capabilities.prompts.is_some(),
    }
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
