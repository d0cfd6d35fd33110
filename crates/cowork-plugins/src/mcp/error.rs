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

/// What went wrong underneath `error`, for a person: the innermost cause
/// in its chain ("dns error: failed to lookup address information"),
/// after the outermost context, instead of the transport's own wording
/// (which names Rust types).
pub(crate) fn reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let text = innermost.to_string();
    // rmcp stringifies reqwest's error, losing its cause: say what it means.
    if text.contains("error sending request") {
        return "the request could not be sent (no network, or the name does not resolve, or \
                TLS failed)"
            .to_owned();
    }
    // Transports that only stringify their cause: keep what follows the
    // last "error: ".
    match text.rfind("error: ") {
        Some(i) if text.contains("Transport [") => text[i + "error: ".len()..].to_owned(),
        Some(_) | None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer wrapper [some::Type<Generic>]")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_reason_is_the_innermost_cause_not_the_wrappers_type_names() {
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(reason(&error), "connection refused");
    }
}
