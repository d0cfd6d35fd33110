//! The MCP client: connecting to servers over stdio, Streamable HTTP and
//! the legacy SSE transport, and a task's connectors.
//!
//! - [`connect()`]: a [`ResolvedServer`] (a configuration whose `${VAR}`s
//!   the caller has expanded) to a running [`Connection`]. Local servers
//!   get a clean environment ([`INHERITED_VARS`] plus their own `env`) and
//!   their own process group; remote ones their headers and the
//!   `Authorization` an [`auth::AuthProvider`] gives.
//! - [`TaskConnectors`]: core's [`cowork_core::Connectors`] over a task's
//!   servers; each server's tools become `mcp__<server>__<tool>` tools with
//!   the `external` effect, plus tools to list and read its resources and
//!   prompts.
//!
//! ```no_run
//! # async fn f() {
//! use cowork_core::Connectors;
//! use cowork_plugins::mcp::{ConnectOptions, ResolvedServer, TaskConnectors};
//! use cowork_plugins::mcp::config::{McpServer, StdioServer};
//!
//! let server = McpServer::Stdio(StdioServer {
//!     kind: None,
//!     command: "npx".into(),
//!     args: vec!["-y".into(), "@modelcontextprotocol/server-everything".into()],
//!     env: Default::default(),
//! });
//! let connectors = TaskConnectors::new(
//!     vec![("everything".into(), ResolvedServer::new(server))],
//!     ConnectOptions::default(),
//! );
//! let update = connectors.poll().await; // starts it; tools and a status
//! connectors.shutdown().await;
//! # }
//! ```

pub mod auth;
pub mod config;
mod connect;
mod connectors;
mod error;
mod handler;
pub mod listing;
mod names;
mod pool;
pub mod render;
mod session;
mod sse;
mod stdio;
mod tool;
pub mod user_file;

pub use connect::{CallError, ConnectOptions, Connection, ResolvedServer, ServerSummary, connect};
pub use connectors::{TaskConnectors, status_of};
pub use error::ConnectError;
pub use names::{MAX_NAME, sanitize, tool_name};
pub use pool::{ConnectionPool, DEFAULT_IDLE};
pub use stdio::{INHERITED_VARS, InheritedEnv};
