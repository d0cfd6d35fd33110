//! The handlers: one dispatcher, since the well-known paths depend on the
//! configuration.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::sha256::s256;
use super::{Access, Code, IssMode, MetadataKind, Refresh, Registered, Seen, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn resource_metadata_path(shared: &Shared) -> String {
    if shared.config.resource_metadata_at_root {
        "/.well-known/oauth-protected-resource".to_owned()
    } else {
        "/.well-known/oauth-protected-resource/mcp".to_owned()
    }
}

fn server_metadata_path(shared: &Shared) -> String {
    let path = &shared.config.issuer_path;
    match (shared.config.metadata, path.is_empty()) {
        (MetadataKind::OAuth, _) => format!("/.well-known/oauth-authorization-server{path}"),
        (MetadataKind::OpenId, true) => "/.well-known/openid-configuration".to_owned(),
        (MetadataKind::OpenId, false) => format!("{path}/.well-known/openid-configuration"),
    }
}

async fn handle(
    Extract(shared): Extract<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params(&uri, &body);
    let path = uri.path().to_owned();
    shared.state().seen.push(Seen {
        method: method.to_string(),
        path: path.clone(),
        params: params.clone(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let config = &shared.config;
    match (method.as_str(), path.as_str()) {
        ("POST" | "GET", "/mcp") => mcp(&shared, &headers),
        ("GET", p) if p == resource_metadata_path(&shared) => resource_metadata(&shared),
        ("GET", p) if p == server_metadata_path(&shared) => server_metadata(&shared),
        ("GET", "/authorize") => authorize(&shared, &params).await,
        ("POST", "/token") => token(&shared, &params),
        ("POST", "/register") if config.dynamic_registration => register(&shared, &body),
        ("POST", "/revoke") if config.revocation => revoke(&shared, &params),
        ("GET", "/client.json") => match shared.state().client_document.clone() {
            Some(document) => axum::Json(document).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Query parameters, then form-body parameters, then a JSON body as
/// `body`.
fn params(uri: &Uri, body: &[u8]) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let text = String::from_utf8_lossy(body);
    for part in [uri.query().unwrap_or(""), &text] {
        if part.trim_start().starts_with('{') {
            params.insert("body".to_owned(), part.to_owned());
            continue;
        }
        if let Ok(url) = reqwest::Url::parse(&format!("http://x/?{part}")) {
            params.extend(url.query_pairs().into_owned());
        }
    }
    params
}

fn refuse(shared: &Shared, status: StatusCode, error: &str, why: String) -> Response {
    shared.state().refusals.push(format!("{error}: {why}"));
    (
        status,
        axum::Json(json!({"error": error, "error_description": why})),
    )
        .into_response()
}

fn challenge(shared: &Shared, status: StatusCode, params: &str) -> Response {
    let mut value = format!("Bearer {params}");
    if shared.config.metadata_in_challenge {
        value.push_str(&format!(
            ", resource_metadata=\"{}{}\"",
            shared.base,
            resource_metadata_path(shared)
        ));
    }
    (status, [(header::WWW_AUTHENTICATE, value)], "").into_response()
}

fn mcp(shared: &Shared, headers: &HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let (access, required) = {
        let state = shared.state();
        (
            state.access.get(token).cloned(),
            state.required_scope.clone(),
        )
    };
    let scope_param = match &shared.config.challenge_scope {
        Some(scope) => format!("scope=\"{scope}\""),
        None => "realm=\"mcp\"".to_owned(),
    };
    let Some(access) = access else {
        return challenge(shared, StatusCode::UNAUTHORIZED, &scope_param);
    };
    if access.expires_at <= now() || access.resource != shared.resource() {
        return challenge(
            shared,
            StatusCode::UNAUTHORIZED,
            &format!("error=\"invalid_token\", {scope_param}"),
        );
    }
    if let Some(required) = required {
        let granted: Vec<&str> = access.scope.split_whitespace().collect();
        if !required.split_whitespace().all(|s| granted.contains(&s)) {
            return challenge(
                shared,
                StatusCode::FORBIDDEN,
                &format!("error=\"insufficient_scope\", scope=\"{required}\""),
            );
        }
    }
    axum::Json(json!({"jsonrpc": "2.0", "id": 0, "result": {"ok": true}})).into_response()
}

fn resource_metadata(shared: &Shared) -> Response {
    let resource = shared
        .config
        .resource_override
        .clone()
        .unwrap_or_else(|| shared.resource());
    axum::Json(json!({
        "resource": resource,
        "authorization_servers": [shared.issuer()],
        "scopes_supported": shared.config.scopes_supported,
        "bearer_methods_supported": ["header"],
    }))
    .into_response()
}

fn server_metadata(shared: &Shared) -> Response {
    let config = &shared.config;
    let base = &shared.base;
    let mut metadata = json!({
        "issuer": config.metadata_issuer.clone().unwrap_or_else(|| shared.issuer()),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": config.token_endpoint.clone().unwrap_or_else(|| format!("{base}/token")),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": if config.s256 { json!(["plain", "S256"]) } else { json!(["plain"]) },
        "scopes_supported": config.scopes_supported.iter().map(String::as_str)
            .chain(config.offline_access.then_some("offline_access")).collect::<Vec<_>>(),
        "client_id_metadata_document_supported": config.client_id_metadata_documents,
        "authorization_response_iss_parameter_supported": matches!(config.iss, IssMode::Sent | IssMode::PromisedButMissing | IssMode::Wrong),
    });
    if config.omit_pkce_methods
        && let Some(fields) = metadata.as_object_mut()
    {
        fields.remove("code_challenge_methods_supported");
    }
    if config.dynamic_registration {
        metadata["registration_endpoint"] = json!(format!("{base}/register"));
    }
    if config.revocation {
        metadata["revocation_endpoint"] = json!(format!("{base}/revoke"));
    }
    if config.metadata == MetadataKind::OpenId {
        metadata["jwks_uri"] = json!(format!("{base}/jwks"));
        metadata["subject_types_supported"] = json!(["public"]);
    }
    axum::Json(metadata).into_response()
}

fn is_loopback_callback(uri: &str) -> bool {
    reqwest::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http" && u.host_str() == Some("127.0.0.1") && u.path() == "/callback"
    })
}

/// Loopback redirect URIs match whatever the port (RFC 8252 §7.3).
fn same_ignoring_loopback_port(registered: &str, given: &str) -> bool {
    let strip = |uri: &str| {
        reqwest::Url::parse(uri).ok().map(|mut u| {
            if u.host_str() == Some("127.0.0.1") {
                let _ = u.set_port(None);
            }
            u.to_string()
        })
    };
    strip(registered).is_some() && strip(registered) == strip(given)
}

fn param<'a>(params: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

async fn authorize(shared: &Shared, params: &BTreeMap<String, String>) -> Response {
    let bad = |why: String| refuse(shared, StatusCode::BAD_REQUEST, "invalid_request", why);
    let client_id = param(params, "client_id");
    let redirect_uri = param(params, "redirect_uri");
    if param(params, "response_type") != "code" {
        return bad("response_type must be code".into());
    }
    let registered = shared.state().clients.get(client_id).cloned();
    let known = if shared.config.preregistered.as_deref() == Some(client_id) {
        is_loopback_callback(redirect_uri)
    } else if let Some(registered) = registered {
        registered.redirect_uris.iter().any(|r| r == redirect_uri)
    } else if shared.config.client_id_metadata_documents && client_id.starts_with("http") {
        match fetch_document(client_id).await {
            Ok(document) => {
                document["client_id"] == client_id
                    && document["redirect_uris"].as_array().is_some_and(|uris| {
                        uris.iter()
                            .filter_map(Value::as_str)
                            .any(|r| same_ignoring_loopback_port(r, redirect_uri))
                    })
            }
            Err(why) => return bad(format!("client metadata document: {why}")),
        }
    } else {
        return bad(format!("unknown client {client_id}"));
    };
    if !known {
        return bad(format!(
            "redirect_uri {redirect_uri} is not registered for {client_id}"
        ));
    }
    if param(params, "code_challenge_method") != "S256"
        || param(params, "code_challenge").is_empty()
    {
        return bad("PKCE with S256 is required".into());
    }
    if param(params, "resource") != shared.resource() {
        return bad(format!(
            "resource is `{}`, expected `{}`",
            param(params, "resource"),
            shared.resource()
        ));
    }
    let scope = params
        .get("scope")
        .cloned()
        .unwrap_or_else(|| shared.config.scopes_supported.join(" "));
    let code = {
        let mut state = shared.state();
        state.counter += 1;
        let code = format!("code-{}", state.counter);
        state.codes.insert(
            code.clone(),
            Code {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                challenge: param(params, "code_challenge").to_owned(),
                resource: shared.resource(),
                scope,
            },
        );
        code
    };
    let mut location = match reqwest::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(e) => return bad(format!("redirect_uri: {e}")),
    };
    {
        let mut query = location.query_pairs_mut();
        query
            .append_pair("code", &code)
            .append_pair("state", param(params, "state"));
        match shared.config.iss {
            IssMode::Sent => {
                query.append_pair("iss", &shared.issuer());
            }
            IssMode::Wrong => {
                query.append_pair("iss", "https://evil.example.com");
            }
            IssMode::Absent | IssMode::PromisedButMissing => {}
        }
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

async fn fetch_document(url: &str) -> Result<Value, String> {
    let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    response.json().await.map_err(|e| e.to_string())
}

fn token(shared: &Shared, params: &BTreeMap<String, String>) -> Response {
    let grant = |why: String| refuse(shared, StatusCode::BAD_REQUEST, "invalid_grant", why);
    let client_id = param(params, "client_id").to_owned();
    let resource = param(params, "resource").to_owned();
    let secret = shared
        .state()
        .clients
        .get(&client_id)
        .and_then(|c| c.secret.clone());
    if let Some(secret) = secret
        && param(params, "client_secret") != secret
    {
        return refuse(
            shared,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "wrong client secret".into(),
        );
    }
    let (scope, bound_resource) = match param(params, "grant_type") {
        "authorization_code" => {
            let Some(code) = shared.state().codes.remove(param(params, "code")) else {
                return grant("unknown or used code".into());
            };
            if code.client_id != client_id || code.redirect_uri != param(params, "redirect_uri") {
                return grant("client_id or redirect_uri differ from the authorization".into());
            }
            if s256(param(params, "code_verifier")) != code.challenge {
                return grant("PKCE verification failed".into());
            }
            (code.scope, code.resource)
        }
        "refresh_token" => {
            let Some(refresh) = shared
                .state()
                .refresh
                .remove(param(params, "refresh_token"))
            else {
                return grant("unknown or revoked refresh token".into());
            };
            if refresh.client_id != client_id {
                return grant("refresh token of another client".into());
            }
            (refresh.scope, refresh.resource)
        }
        other => {
            return refuse(
                shared,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                other.to_owned(),
            );
        }
    };
    if resource != bound_resource {
        return refuse(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_target",
            format!("resource is `{resource}`, expected `{bound_resource}`"),
        );
    }
    let mut state = shared.state();
    state.counter += 1;
    let n = state.counter;
    let (access, refresh) = (format!("at-{n}"), format!("rt-{n}"));
    state.access.insert(
        access.clone(),
        Access {
            resource: bound_resource.clone(),
            scope: scope.clone(),
            expires_at: now() + shared.config.access_ttl,
        },
    );
    state.refresh.insert(
        refresh.clone(),
        Refresh {
            client_id,
            resource: bound_resource,
            scope: scope.clone(),
        },
    );
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": shared.config.access_ttl,
        "refresh_token": refresh,
        "scope": scope,
    }))
    .into_response()
}

fn register(shared: &Shared, body: &[u8]) -> Response {
    let bad = |why: String| {
        refuse(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            why,
        )
    };
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return bad("not JSON".into());
    };
    let redirect_uris: Vec<String> = request["redirect_uris"]
        .as_array()
        .map(|uris| {
            uris.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if redirect_uris.is_empty() || !redirect_uris.iter().all(|u| is_loopback_callback(u)) {
        return bad(format!(
            "redirect_uris {redirect_uris:?} are not loopback callbacks"
        ));
    }
    let mut state = shared.state();
    state.counter += 1;
    let client_id = format!("dcr-{}", state.counter);
    let secret = shared
        .config
        .registration_secret
        .then(|| format!("secret-{}", state.counter));
    state.clients.insert(
        client_id.clone(),
        Registered {
            redirect_uris: redirect_uris.clone(),
            secret: secret.clone(),
        },
    );
    let mut answer = json!({
        "client_id": client_id,
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": if secret.is_some() { "client_secret_post" } else { "none" },
    });
    if let Some(secret) = secret {
        answer["client_secret"] = json!(secret);
    }
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

fn revoke(shared: &Shared, params: &BTreeMap<String, String>) -> Response {
    let token = param(params, "token");
    let mut state = shared.state();
    state.refresh.remove(token);
    state.access.remove(token);
    StatusCode::OK.into_response()
}
