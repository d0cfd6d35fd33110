//! The web UI: server-rendered pages with htmx and SSE.

use axum::Router;

use crate::state::AppState;

/// The web UI's routes, mounted at `/` behind the auth layer.
pub fn router() -> Router<AppState> {
    Router::new()
}
