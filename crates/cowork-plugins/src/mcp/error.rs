//! Why a server could not be connected, worded for its status line.

use std::time::Duration;

/// Why connecting to a server failed. Each becomes the server's
/// [`ConnectorStatus`](cowork_protocol::ConnectorStatus); none fails a task.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The local server's program could not be started (not installed, not
    /// executable): the person fixes the configuration.
    #[error("could not start `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// The local server ended before or during the handshake; says how and
    /// what it last wrote to stderr.
    #[error("{0}")]
    Exited(String),
    /// No answer to `initialize` in time.
    #[error("no answer within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    /// The remote server wants a login (or a new one): `cowork mcp login`.
    #[error("needs login")]
    NeedsLogin,
    /// The configuration cannot be used as written (a header that is not
    /// valid HTTP, a URL that does not parse).
    #[error("{0}")]
    Config(String),
    /// The server could not be reached or broke the protocol; says which.
    #[error("{0}")]
    Failed(String),
}
