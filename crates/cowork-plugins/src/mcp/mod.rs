//! The MCP client: connecting to servers over stdio, Streamable HTTP and
//! the legacy SSE transport, and a task's connectors.

pub mod auth;
pub mod config;
