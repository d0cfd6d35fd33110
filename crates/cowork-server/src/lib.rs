//! The cowork daemon: runs tasks in the background and serves the JSON API,
//! the SSE event stream and the web UI on 127.0.0.1 behind a token.

pub mod backend;
pub mod daemon;
pub mod state;
pub mod web;

pub use backend::{Backend, BackendError, Front};
pub use state::{AppState, Session};
