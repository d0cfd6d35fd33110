//! What every handler shares, and what the auth layer hands to the ones
//! that render forms.

use std::sync::Arc;

use crate::backend::Backend;

/// The state of the router: the backend that runs tasks. The HTTP layer
/// adds what it needs (auth) as fields; handlers take it as
/// `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    pub backend: Arc<dyn Backend>,
    /// What the front handed in for the web UI (export, folder trust).
    pub hand_ins: crate::hand_ins::HandIns,
}

/// The signed-in browser session, put in the request's extensions by the
/// auth layer for cookie-authenticated requests. Pages render `csrf` into
/// forms (field `csrf`) and htmx's `hx-headers` (`X-CSRF-Token`); POSTs
/// authenticated by the cookie must carry it.
#[derive(Debug, Clone)]
pub struct Session {
    pub csrf: String,
}
