//! The cowork daemon's HTTP layer: the JSON API, the SSE event stream and
//! the web UI, on 127.0.0.1 behind a token.
//!
//! It owns listening ([`serve`]), who may talk to it (`auth`: token,
//! session cookie, CSRF, `Host` and `Origin` checks, security headers),
//! the API's routes and their OpenAPI document, and `server.json`, which
//! tells clients on this machine where the daemon is and its token, and
//! [`export`]: a task as one file to share (HTML, Markdown, JSON), with
//! secrets redacted, for `cowork export` and the web UI (which gets what
//! only the front knows, the secrets and folder trust, as [`hand_ins`]). It
//! does not run tasks: whatever does implements [`Backend`] (the daemon's
//! task manager; a fake in tests), and the API and the web UI only call it.
//!
//! ```no_run
//! # async fn example(backend: std::sync::Arc<dyn cowork_server::Backend>) -> Result<(), Box<dyn std::error::Error>> {
//! use cowork_server::{DaemonLock, ServeOptions, serve};
//! // The lock first: a second daemon is refused before it touches a task.
//! let lock = DaemonLock::acquire(std::path::Path::new("/home/me/.local/share/cowork"))?;
//! let server = serve(backend, lock, ServeOptions::default()).await?;
//! println!("open {}", server.login_url());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

mod api;
mod auth;
pub mod backend;
pub mod daemon;
mod error;
pub mod export;
pub mod hand_ins;
mod headers;
mod lock;
mod login;
pub mod notify;
mod query;
mod secret;
mod server;
mod server_file;
pub mod state;
mod touched;
pub mod web;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router, middleware};

pub use auth::{CSRF_FIELD, CSRF_HEADER, FRONT_HEADER};
pub use backend::{Backend, BackendError, Front};
pub use error::ApiError;
pub use lock::DaemonLock;
pub use server::{
    DEFAULT_PORT, OPEN_PAGE, RunningServer, ServeError, ServeOptions, ShutdownSignal, serve,
};
pub use server_file::{SERVER_FILE, ServerInfo};
pub use state::{AppState, Session};
pub use touched::read_touched;

/// Every route behind the guard, with the security headers outside it so
/// refusals carry them too.
fn app(
    backend: Arc<dyn Backend>,
    hand_ins: hand_ins::HandIns,
    auth: Arc<auth::Auth>,
    shutdown: ShutdownSignal,
) -> Router {
    let state = AppState { backend, hand_ins };
    Router::new()
        .merge(api::router())
        .merge(login::routes())
        .merge(web::router())
        .fallback(not_found)
        .layer(Extension(auth.clone()))
        .layer(Extension(shutdown))
        .layer(middleware::from_fn_with_state(auth, auth::guard))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") {
        ApiError::not_found(format!("no such route: {} {path}", request.method())).into_response()
    } else {
        login::message_page(StatusCode::NOT_FOUND, "There is no page at this address.")
    }
}
