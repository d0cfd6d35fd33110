//! Remote servers: server-everything over Streamable HTTP and over the
//! older SSE transport, and a server that refuses without a login.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use futures::future::BoxFuture;
use serde_json::json;

use cowork_core::Connectors;
use cowork_plugins::mcp::auth::{AuthError, AuthProvider};
use cowork_plugins::mcp::config::{McpServer, RemoteKind, RemoteServer};
use cowork_plugins::mcp::{ConnectOptions, ResolvedServer, TaskConnectors};
use cowork_protocol::ConnectorStatus;

use super::mcp_tests::{ctx, find, options};

/// server-everything listening on a free port with `transport`
/// (`streamableHttp` or `sse`); killed when dropped.
struct HttpEverything {
    _child: tokio::process::Child,
    port: u16,
}

async fn http_everything(transport: &str) -> Option<HttpEverything> {
    let entry =
        cowork_test_support::consumers::npm_package("@modelcontextprotocol/server-everything")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new("node")
        .arg(entry)
        .arg(transport)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server-everything {transport} did not listen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(HttpEverything {
        _child: child,
        port,
    })
}

fn remote(kind: RemoteKind, url: String) -> ResolvedServer {
    ResolvedServer::new(McpServer::Remote(RemoteServer {
        kind,
        url,
        headers: BTreeMap::from([("X-Trace".to_owned(), "cowork-test".to_owned())]),
        oauth: None,
    }))
}

async fn echo_through(server: ResolvedServer) {
    let connectors = TaskConnectors::new(vec![("remote".into(), server)], options());
    let update = connectors.poll().await;
    assert!(
        matches!(
            update.statuses.as_slice(),
            [(_, ConnectorStatus::Connected { .. })]
        ),
        "{:?}",
        update.statuses
    );
    let tools = update.tools.unwrap();
    let echo = find(&tools, "mcp__remote__echo");
    assert_eq!(
        echo.call(json!({"message": "far"}), ctx()).await.unwrap(),
        "Echo: far"
    );
    let resources = find(&tools, "mcp__remote__list_resources")
        .call(json!({}), ctx())
        .await
        .unwrap();
    assert!(resources.contains("demo://resource/"), "{resources}");
    let summary = connectors.connection("remote").unwrap().summary();
    assert_eq!(summary.name, "mcp-servers/everything");
    assert!(summary.protocol.starts_with("20"), "{summary:?}");
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_streamable_http_echoes() {
    let Some(server) = http_everything("streamableHttp").await else {
        return;
    };
    echo_through(remote(
        RemoteKind::Http,
        format!("http://127.0.0.1:{}/mcp", server.port),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_legacy_sse_echoes() {
    let Some(server) = http_everything("sse").await else {
        return;
    };
    echo_through(remote(
        RemoteKind::Sse,
        format!("http://127.0.0.1:{}/sse", server.port),
    ))
    .await;
}

/// An auth provider with a stale token that it "refreshes" once.
#[derive(Default)]
struct Refreshing {
    challenges: Mutex<Vec<(u16, Option<String>)>>,
}

impl AuthProvider for Refreshing {
    fn authorization<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async { Ok(Some("Bearer stale".to_owned())) })
    }

    fn challenged<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
        status: u16,
        www_authenticate: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        let mut challenges = self.challenges.lock().unwrap();
        challenges.push((status, www_authenticate.map(str::to_owned)));
        let answer = if challenges.len() == 1 {
            Ok(Some("Bearer fresh".to_owned()))
        } else {
            Err(AuthError::NeedsLogin)
        };
        Box::pin(async move { answer })
    }
}

/// A server that refuses every request with 401 and records the
/// `Authorization` headers it was sent.
async fn refusing_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let record = Arc::clone(&record);
        async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            record.lock().unwrap().push(auth);
            (
                StatusCode::UNAUTHORIZED,
                [(
                    "www-authenticate",
                    "Bearer resource_metadata=\"http://127.0.0.1/.well-known/oauth-protected-resource\"",
                )],
                "",
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn refused_then_needs_login(kind: RemoteKind, path: &str) {
    let (url, seen) = refusing_server().await;
    let auth = Arc::new(Refreshing::default());
    let connectors = TaskConnectors::new(
        vec![("slack".into(), remote(kind, format!("{url}{path}")))],
        ConnectOptions {
            auth: Arc::clone(&auth) as Arc<dyn AuthProvider>,
            ..options()
        },
    );
    let update = connectors.poll().await;
    assert_eq!(
        update.statuses,
        vec![("slack".to_owned(), ConnectorStatus::NeedsLogin)]
    );
    let challenges = auth.challenges.lock().unwrap().clone();
    // Exactly one retry, with the refreshed token, after a 401 whose
    // challenge was handed to the provider.
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert_eq!(challenges[0].0, 401);
    assert!(
        challenges[0]
            .1
            .as_deref()
            .unwrap()
            .contains("resource_metadata")
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first().map(String::as_str), Some("Bearer stale"));
    assert_eq!(seen.last().map(String::as_str), Some("Bearer fresh"));
    connectors.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_http_server_gets_one_retry_with_a_fresh_token_then_needs_login() {
    refused_then_needs_login(RemoteKind::Http, "/mcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sse_server_gets_one_retry_with_a_fresh_token_then_needs_login() {
    refused_then_needs_login(RemoteKind::Sse, "/sse").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_server_nobody_listens_on_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let connectors = TaskConnectors::new(
        vec![(
            "gone".into(),
            remote(RemoteKind::Http, format!("http://127.0.0.1:{port}/mcp")),
        )],
        options(),
    );
    let update = connectors.poll().await;
    assert!(
        matches!(
            update.statuses.as_slice(),
            [(_, ConnectorStatus::Unreachable { .. })]
        ),
        "{:?}",
        update.statuses
    );
}

/// A minimal Streamable HTTP server speaking 2025-06-18 with JSON
/// responses, one tool (`ping`), that answers 401 once `revoked` is set.
async fn revocable_server(revoked: Arc<std::sync::atomic::AtomicBool>) -> String {
    use axum::Json;
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/mcp",
        axum::routing::post(move |Json(request): Json<serde_json::Value>| {
            let revoked = Arc::clone(&revoked);
            async move {
                if revoked.load(std::sync::atomic::Ordering::SeqCst) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        [("www-authenticate", "Bearer error=\"invalid_token\"")],
                    )
                        .into_response();
                }
                let Some(id) = request.get("id").cloned() else {
                    return StatusCode::ACCEPTED.into_response();
                };
                let result = match request["method"].as_str().unwrap_or("") {
                    "initialize" => json!({
                        "protocolVersion": "2025-06-18",
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": "revocable", "version": "1.0.0"}
                    }),
                    "tools/list" => json!({"tools": [
                        {"name": "ping", "inputSchema": {"type": "object"}}
                    ]}),
                    "tools/call" => json!({"content": [{"type": "text", "text": "pong"}]}),
                    _ => json!({}),
                };
                Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
            }
        })
        .get(|| async { StatusCode::METHOD_NOT_ALLOWED }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A login that the server later revokes and that cannot be refreshed.
struct Revoked;

impl AuthProvider for Revoked {
    fn authorization<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async { Ok(Some("Bearer t1".to_owned())) })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_revoked_mid_task_turns_the_connector_to_needs_login() {
    let revoked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = revocable_server(Arc::clone(&revoked)).await;
    let connectors = TaskConnectors::new(
        vec![("crm".into(), remote(RemoteKind::Http, url))],
        ConnectOptions {
            auth: Arc::new(Revoked),
            restart_backoff: Duration::from_millis(100),
            ..options()
        },
    );
    let update = connectors.poll().await;
    assert_eq!(
        update.statuses,
        vec![("crm".to_owned(), ConnectorStatus::Connected { tools: 1 })]
    );
    // A server that speaks 2025-06-18 is used as it is.
    assert_eq!(
        connectors.connection("crm").unwrap().summary().protocol,
        "2025-06-18"
    );
    let ping = find(&update.tools.unwrap(), "mcp__crm__ping");
    assert_eq!(ping.call(json!({}), ctx()).await.unwrap(), "pong");
    revoked.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(ping.call(json!({}), ctx()).await.is_err());
    let (seen, _) =
        super::mcp_tests::wait_for_status(&connectors, "crm", Duration::from_secs(10), |s| {
            *s == ConnectorStatus::NeedsLogin
        })
        .await;
    // The provider judged the refusal at once: no reconnecting with a
    // login it already knows is gone.
    assert_eq!(seen, vec![ConnectorStatus::NeedsLogin]);
    connectors.shutdown().await;
}

/// A Streamable HTTP server like the conformance suite's step-up one:
/// `initialize` is open to anyone, listing tools takes the token
/// `Bearer basic` (or `Bearer wide`), calling one takes `Bearer wide`.
async fn scoped_server() -> String {
    use axum::Json;
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/mcp",
        axum::routing::post(
            |headers: HeaderMap, Json(request): Json<serde_json::Value>| async move {
                let token = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let Some(id) = request.get("id").cloned() else {
                    return StatusCode::ACCEPTED.into_response();
                };
                let method = request["method"].as_str().unwrap_or("");
                if method != "initialize" && !["Bearer basic", "Bearer wide"].contains(&token) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        [("www-authenticate", "Bearer scope=\"basic\"")],
                    )
                        .into_response();
                }
                if method == "tools/call" && token != "Bearer wide" {
                    return (
                        StatusCode::FORBIDDEN,
                        [(
                            "www-authenticate",
                            "Bearer error=\"insufficient_scope\", scope=\"basic write\"",
                        )],
                    )
                        .into_response();
                }
                let result = match method {
                    "initialize" => json!({
                        "protocolVersion": "2025-06-18",
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": "scoped", "version": "1.0.0"}
                    }),
                    "tools/list" => json!({"tools": [
                        {"name": "write", "inputSchema": {"type": "object"}}
                    ]}),
                    "tools/call" => json!({"content": [{"type": "text", "text": "written"}]}),
                    _ => json!({}),
                };
                Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
            },
        )
        .get(|| async { StatusCode::METHOD_NOT_ALLOWED }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A stored login (or none) that cannot be refreshed; records what the
/// transports hand it.
#[derive(Default)]
struct Stored {
    token: Option<&'static str>,
    challenges: Mutex<Vec<(u16, Option<String>)>>,
}

impl AuthProvider for Stored {
    fn authorization<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async { Ok(self.token.map(str::to_owned)) })
    }

    fn challenged<'a>(
        &'a self,
        _server: &'a str,
        _remote: &'a RemoteServer,
        status: u16,
        www_authenticate: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        self.challenges
            .lock()
            .unwrap()
            .push((status, www_authenticate.map(str::to_owned)));
        Box::pin(async { Err(AuthError::NeedsLogin) })
    }
}

/// Conformance `auth/scope-step-up`: a server that answers `initialize`
/// without a login and refuses the tool listing made the connector
/// "unreachable (listing its tools failed: Auth required)", so nobody was
/// asked to log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_refusing_only_the_tool_listing_needs_login_rather_than_being_unreachable() {
    let auth = Arc::new(Stored::default());
    let connectors = TaskConnectors::new(
        vec![(
            "crm".into(),
            remote(RemoteKind::Http, scoped_server().await),
        )],
        ConnectOptions {
            auth: Arc::clone(&auth) as Arc<dyn AuthProvider>,
            ..options()
        },
    );
    let update = connectors.poll().await;
    assert_eq!(
        update.statuses,
        vec![("crm".to_owned(), ConnectorStatus::NeedsLogin)]
    );
    assert_eq!(
        *auth.challenges.lock().unwrap(),
        vec![(401, Some("Bearer scope=\"basic\"".to_owned()))]
    );
    connectors.shutdown().await;
}

/// Conformance `auth/scope-step-up`: a call refused with 403
/// `insufficient_scope` mid-task never reached the auth provider, so the
/// next login did not ask for the scope, and the connector reconnected
/// with the same login and showed "connected" instead of "needs login".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_refused_for_insufficient_scope_hands_the_challenge_to_the_provider_and_needs_login()
{
    let auth = Arc::new(Stored {
        token: Some("Bearer basic"),
        ..Default::default()
    });
    let connectors = TaskConnectors::new(
        vec![(
            "crm".into(),
            remote(RemoteKind::Http, scoped_server().await),
        )],
        ConnectOptions {
            auth: Arc::clone(&auth) as Arc<dyn AuthProvider>,
            restart_backoff: Duration::from_millis(100),
            ..options()
        },
    );
    let update = connectors.poll().await;
    assert_eq!(
        update.statuses,
        vec![("crm".to_owned(), ConnectorStatus::Connected { tools: 1 })]
    );
    let write = find(&update.tools.unwrap(), "mcp__crm__write");
    assert!(write.call(json!({}), ctx()).await.is_err());
    let (seen, _) =
        super::mcp_tests::wait_for_status(&connectors, "crm", Duration::from_secs(10), |s| {
            *s == ConnectorStatus::NeedsLogin
        })
        .await;
    assert_eq!(seen, vec![ConnectorStatus::NeedsLogin]);
    assert_eq!(
        *auth.challenges.lock().unwrap(),
        vec![(
            403,
            Some("Bearer error=\"insufficient_scope\", scope=\"basic write\"".to_owned())
        )]
    );
    connectors.shutdown().await;
}
