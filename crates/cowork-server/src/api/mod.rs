//! The JSON API under `/api`: one module per resource, the OpenAPI document
//! generated from the handlers' annotations.

mod events;
mod extract;
mod files;
mod tasks;

use std::sync::Arc;

use axum::extract::{Extension, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::state::{AppState, Session};

pub use extract::ApiJson;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cowork",
        description = "The cowork daemon's API: start, watch, steer and review tasks. \
Every route but `/api/health` needs `Authorization: Bearer TOKEN` (the token is in \
`server.json` in cowork's data dir)."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "tasks", description = "Tasks and what they do"),
        (name = "files", description = "Files tasks created or changed"),
        (name = "meta", description = "The server itself")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and the OpenAPI document describing them.
pub fn router() -> Router<AppState> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(tasks::create_task, tasks::list_tasks))
        .routes(routes!(tasks::get_task))
        .routes(routes!(events::events))
        .routes(routes!(tasks::decide))
        .routes(routes!(tasks::cancel))
        .routes(routes!(tasks::message))
        .routes(routes!(tasks::undo))
        .routes(routes!(tasks::files))
        .routes(routes!(files::preview))
        .routes(routes!(files::download))
        .routes(routes!(session))
        .routes(routes!(openapi_json))
        .routes(routes!(health))
        .split_for_parts();
    // Rendered once: the document does not change while the server runs.
    let document = Arc::new(OpenApiDocument(
        serde_json::to_string(&openapi).unwrap_or_else(|_| String::from("{}")),
    ));
    router
        .layer(Extension(document))
        .layer(axum::middleware::from_fn(json_errors))
}

/// The largest plain error body turned into JSON; axum's own are a line.
const MAX_PLAIN_ERROR: usize = 16 * 1024;

/// Every API error is `{"error": "…"}`, axum's own refusals too (a wrong
/// method, a path that does not decode): a client never has to guess the
/// shape of a failure.
async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let body = axum::body::to_bytes(response.into_body(), MAX_PLAIN_ERROR)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        format!("{path} does not take {method}")
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut json = ApiError::new(status, message).into_response();
    if let Some(allow) = allow {
        json.headers_mut().insert(header::ALLOW, allow);
    }
    json
}

#[derive(Debug)]
struct OpenApiDocument(String);

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = OK, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn openapi_json(Extension(document): Extension<Arc<OpenApiDocument>>) -> Response {
    let mut response = document.0.clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SessionInfo {
    /// What a state-changing request signed in by the cookie carries in
    /// `X-CSRF-Token` (or the form field `csrf`).
    csrf: String,
}

/// The browser session's CSRF token. A page of ours can read it; another
/// site cannot (no CORS), and bearer clients need none.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "meta",
    responses(
        (status = OK, body = SessionInfo),
        (status = NOT_FOUND, body = ErrorBody, description = "Signed in by a bearer token: no session")
    )
)]
async fn session(session: Option<Extension<Session>>) -> Result<Json<SessionInfo>, ApiError> {
    match session {
        Some(Extension(session)) => Ok(Json(SessionInfo { csrf: session.csrf })),
        None => Err(ApiError::not_found(
            "no browser session: this request was signed in by a bearer token, which needs no CSRF token",
        )),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Health {
    ok: bool,
    version: &'static str,
}

/// Whether the server is up, and its version. Needs no token.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "meta",
    security(()),
    responses((status = OK, body = Health))
)]
async fn health() -> Json<Health> {
    Json(Health {
        ok: true,
        version: env!("CARGO_PKG_VERSION"),
    })
}
