use std::time::Duration;

/// Why a model call failed. Variants say how the caller should react.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The credentials were refused (HTTP 401/403). Fix the key; retrying
    /// will not help.
    #[error("{provider} refused the credentials (HTTP {status}): {message}. {hint}")]
    Auth {
        provider: &'static str,
        status: u16,
        message: String,
        /// How to fix it, e.g. which environment variable to set.
        hint: String,
    },
    /// The request was malformed or too large (HTTP 400/413/422). When
    /// `prompt_too_long` is set, compacting the conversation may fix it.
    #[error("{provider} rejected the request (HTTP {status}): {message}")]
    BadRequest {
        provider: &'static str,
        status: u16,
        message: String,
        prompt_too_long: bool,
    },
    /// The model or endpoint does not exist (HTTP 404).
    #[error(
        "{provider} does not know this model or endpoint (HTTP 404): {message}. Check the model's name and the base URL"
    )]
    NotFound {
        provider: &'static str,
        message: String,
    },
    /// Overloaded, rate-limited or failing server (429/529/5xx) after every
    /// retry. Transient: the task may retry the turn later.
    #[error("{provider} is unavailable after {attempts} attempts (HTTP {status}): {message}")]
    Unavailable {
        provider: &'static str,
        status: u16,
        attempts: u32,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The server could not be reached or the connection broke.
    /// Transient.
    #[error("could not reach {provider} at {url}: {message}")]
    Connection {
        provider: &'static str,
        url: String,
        message: String,
    },
    /// The server sent an error event mid-stream (e.g. `overloaded_error`).
    #[error("{provider} stream error ({kind}): {message}")]
    Stream {
        provider: &'static str,
        kind: String,
        message: String,
    },
    /// The stream violated the wire format or ended early.
    #[error("{provider} sent a malformed stream: {message}")]
    Protocol {
        provider: &'static str,
        message: String,
    },
    /// The answer grew past [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES),
    /// the most one model turn may hold, and was dropped. Not transient:
    /// the same request would likely do the same again.
    #[error(
        "{provider}'s answer grew past {} MiB, the most one model turn may hold, and was dropped; ask for the work in smaller steps (for example large files written in parts)",
        .limit / (1024 * 1024)
    )]
    ResponseTooLarge {
        provider: &'static str,
        limit: usize,
    },
    /// The scripted conversation has no turn left for this call.
    #[error("the script has no turn left: it has {turns} turns and model call {} asked for one. Add turns to the script file", .call + 1)]
    ScriptExhausted { turns: usize, call: usize },
    /// The configuration cannot work (missing key, bad URL, unreadable
    /// script). `hint` says how to fix it without naming any front's
    /// controls; `setting` says which setting to change, so each front can
    /// point at its own (the CLI its flag, the web UI its field).
    #[error("{message} — {hint}")]
    Config {
        message: String,
        hint: String,
        setting: Option<ModelSetting>,
    },
}

/// The model setting a configuration problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelSetting {
    /// Which provider to use (another one may need no key).
    Provider,
    /// The model's name.
    Model,
    /// The server's base URL.
    BaseUrl,
    /// The scripted conversation's file.
    Script,
}

impl ModelError {
    /// Whether trying the same call again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ModelError::Unavailable { .. } | ModelError::Connection { .. } => true,
            ModelError::Stream { kind, .. } => {
                matches!(
                    kind.as_str(),
                    "overloaded_error" | "api_error" | "rate_limit_error"
                )
            }
            ModelError::Auth { .. }
            | ModelError::BadRequest { .. }
            | ModelError::NotFound { .. }
            | ModelError::Protocol { .. }
            | ModelError::ResponseTooLarge { .. }
            | ModelError::ScriptExhausted { .. }
            | ModelError::Config { .. } => false,
        }
    }
}
