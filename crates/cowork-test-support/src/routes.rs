//! The mock server's request handling: validate like the real provider,
//! pick the turn from the conversation, then answer with a scripted error or
//! the turn's event stream.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use cowork_protocol::script::Script;
use futures::{StreamExt, stream};
use serde_json::{Value, json};

use crate::server::RecordedRequest;
use crate::sse::{anthropic_frames, estimate_tokens, openai_frames};

/// The context window of a script that names none, as documented on
/// `Script::context_window`.
const DEFAULT_CONTEXT_WINDOW: u64 = 200_000;

/// What the server knows and remembers, shared by its handlers.
pub(crate) struct Shared {
    script: Script,
    state: Mutex<MutableState>,
}

#[derive(Default)]
struct MutableState {
    requests: Vec<RecordedRequest>,
    /// Requests that reached each turn (index = turn), whether answered
    /// with a scripted error or the turn; decides which error comes next
    /// and whether to delay.
    hits_per_turn: Vec<usize>,
}

impl Shared {
    pub(crate) fn new(script: Script) -> Self {
        let hits_per_turn = vec![0; script.turns.len()];
        Self {
            script,
            state: Mutex::new(MutableState {
                requests: Vec::new(),
                hits_per_turn,
            }),
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> MutexGuard<'_, MutableState> {
        // A handler that panicked mid-update cannot leave the state
        // inconsistent in a way later requests care about.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The router: every request goes through one handler so that even a wrong
/// method or path is recorded.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// Which provider's wire format a route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Anthropic,
    OpenAi,
}

/// What to answer, decided before any byte is sent.
enum Reply {
    Error {
        status: StatusCode,
        body: Value,
        retry_after: bool,
    },
    Stream {
        frames: Vec<String>,
        /// Sent after the first frame, before the rest.
        delay: Option<Duration>,
    },
}

impl Reply {
    fn status(&self) -> StatusCode {
        match self {
            Reply::Error { status, .. } => *status,
            Reply::Stream { .. } => StatusCode::OK,
        }
    }

    fn into_response(self) -> Response {
        match self {
            Reply::Error {
                status,
                body,
                retry_after,
            } => {
                let mut response = (status, axum::Json(body)).into_response();
                if retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
                }
                response
            }
            Reply::Stream { mut frames, delay } => {
                let rest = frames.split_off(frames.len().min(1));
                let pause = stream::once(async move {
                    if let Some(delay) = delay {
                        tokio::time::sleep(delay).await;
                    }
                })
                .filter_map(|()| async { None });
                let body = stream::iter(frames)
                    .chain(pause)
                    .chain(stream::iter(rest))
                    .map(|frame| Ok::<_, Infallible>(Bytes::from(frame)));
                let mut response = Body::from_stream(body).into_response();
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let wire = match (method == Method::POST, path.as_str()) {
        (true, "/v1/messages") => Some(Wire::Anthropic),
        (true, "/v1/chat/completions") => Some(Wire::OpenAi),
        _ => None,
    };
    let (turn, reply) = match wire {
        Some(wire) => decide(&shared, wire, &headers, &body),
        None => (
            None,
            Reply::Error {
                status: StatusCode::NOT_FOUND,
                // Both providers' clients read `error.message`.
                body: json!({"type": "error", "error": {"type": "not_found_error", "message": format!(
                    "the mock model server has no route {method} {path}; it serves POST /v1/messages and POST /v1/chat/completions"
                )}}),
                retry_after: false,
            },
        ),
    };
    let recorded = RecordedRequest {
        method: method.to_string(),
        path,
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
        turn,
        status: reply.status().as_u16(),
    };
    shared.lock().requests.push(recorded);
    reply.into_response()
}

/// Validates the request and picks the answer; returns the turn the request
/// asked for, when it got that far.
fn decide(shared: &Shared, wire: Wire, headers: &HeaderMap, body: &[u8]) -> (Option<usize>, Reply) {
    if let Err(message) = check_auth(wire, headers) {
        return (None, error_reply(wire, StatusCode::UNAUTHORIZED, &message));
    }
    let request = match check_body(wire, body) {
        Ok(request) => request,
        Err(message) => return (None, error_reply(wire, StatusCode::BAD_REQUEST, &message)),
    };
    let turn_index = request
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |messages| {
            messages
                .iter()
                .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                .count()
        });
    let input_tokens = estimate_tokens(body.len());
    let window = shared
        .script
        .context_window
        .unwrap_or(DEFAULT_CONTEXT_WINDOW);
    if input_tokens > window {
        return (
            Some(turn_index),
            context_too_long(wire, input_tokens, window),
        );
    }
    let turns = shared.script.turns.len();
    let Some(turn) = shared.script.turns.get(turn_index) else {
        let message = format!("mock script has no turn {turn_index} (it has {turns} turns)");
        return (
            Some(turn_index),
            error_reply(wire, StatusCode::BAD_REQUEST, &message),
        );
    };

    let hits = {
        let mut state = shared.lock();
        match state.hits_per_turn.get_mut(turn_index) {
            Some(hits) => {
                *hits += 1;
                *hits - 1
            }
            None => 0,
        }
    };
    if let Some(&code) = turn.http_errors.get(hits) {
        let reply = match StatusCode::from_u16(code) {
            Ok(status) => error_reply(
                wire,
                status,
                &format!(
                    "mock: scripted HTTP {code} for turn {turn_index} (error {} of {})",
                    hits + 1,
                    turn.http_errors.len()
                ),
            ),
            Err(_) => error_reply(
                wire,
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("mock script turn {turn_index} lists {code}, which is not an HTTP status"),
            ),
        };
        return (Some(turn_index), reply);
    }

    // Only the first time the turn itself is served: a resumed task that
    // re-sends the same conversation must not wait again.
    let delay = turn
        .delay_ms
        .filter(|_| hits == turn.http_errors.len())
        .map(Duration::from_millis);
    let frames = match wire {
        Wire::Anthropic => anthropic_frames(turn, turn_index, input_tokens),
        Wire::OpenAi => {
            let include_usage = request
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            openai_frames(turn, turn_index, include_usage, input_tokens)
        }
    };
    (Some(turn_index), Reply::Stream { frames, delay })
}

fn check_auth(wire: Wire, headers: &HeaderMap) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
    };
    match wire {
        Wire::Anthropic => {
            if header("x-api-key").is_none_or(|key| key.is_empty()) {
                return Err("x-api-key header is required".to_owned());
            }
            if header("anthropic-version").is_none_or(|v| v.is_empty()) {
                return Err("anthropic-version header is required".to_owned());
            }
            Ok(())
        }
        // Local servers (Ollama, llama.cpp) take no key at all; a key that
        // is sent must be a bearer token.
        Wire::OpenAi => match header("authorization") {
            None => Ok(()),
            Some(value) => match value.strip_prefix("Bearer ") {
                Some(token) if !token.trim().is_empty() => Ok(()),
                Some(_) | None => Err(format!(
                    "Authorization header must be `Bearer <key>`, got {value:?}"
                )),
            },
        },
    }
}

/// A field the provider requires: its name, its check, and what the check
/// expects (for the error message).
type RequiredField = (&'static str, fn(&Value) -> bool, &'static str);

fn check_body(wire: Wire, body: &[u8]) -> Result<Value, String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("request body is not valid JSON: {e}"))?;
    if !request.is_object() {
        return Err("request body must be a JSON object".to_owned());
    }
    let required: &[RequiredField] = match wire {
        Wire::Anthropic => &[
            ("model", Value::is_string, "a string"),
            ("max_tokens", Value::is_u64, "a positive integer"),
            ("messages", Value::is_array, "an array"),
        ],
        Wire::OpenAi => &[
            ("model", Value::is_string, "a string"),
            ("messages", Value::is_array, "an array"),
        ],
    };
    for (field, is_valid, expected) in required {
        match request.get(field) {
            None => return Err(format!("{field}: Field required")),
            Some(value) if !is_valid(value) => {
                return Err(format!("{field}: must be {expected}, got {value}"));
            }
            Some(_) => {}
        }
    }
    if request.get("stream") != Some(&Value::Bool(true)) {
        return Err(
            "the mock model server only streams: the request must set \"stream\": true".to_owned(),
        );
    }
    Ok(request)
}

/// An error body shaped like the provider's own.
fn error_reply(wire: Wire, status: StatusCode, message: &str) -> Reply {
    let code = status.as_u16();
    let body = match wire {
        Wire::Anthropic => {
            let kind = match code {
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                400..=499 => "invalid_request_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
        Wire::OpenAi => {
            let (kind, error_code) = match code {
                401 => ("invalid_request_error", json!("invalid_api_key")),
                429 => ("requests", json!("rate_limit_exceeded")),
                400..=499 => ("invalid_request_error", Value::Null),
                _ => ("server_error", Value::Null),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": error_code}})
        }
    };
    Reply::Error {
        status,
        body,
        retry_after: matches!(code, 429 | 529),
    }
}

/// The provider's answer to a prompt larger than the script's context
/// window, so clients can be tested on overflow (and compaction before it).
fn context_too_long(wire: Wire, tokens: u64, window: u64) -> Reply {
    match wire {
        Wire::Anthropic => error_reply(
            wire,
            StatusCode::BAD_REQUEST,
            &format!("prompt is too long: {tokens} tokens > {window} maximum"),
        ),
        Wire::OpenAi => Reply::Error {
            status: StatusCode::BAD_REQUEST,
            body: json!({"error": {
                "message": format!(
                    "This model's maximum context length is {window} tokens. However, your messages resulted in {tokens} tokens. Please reduce the length of the messages."
                ),
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }}),
            retry_after: false,
        },
    }
}
