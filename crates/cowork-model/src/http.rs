//! The HTTP half both providers share: sending with retries, mapping
//! failed statuses to [`ModelError`]s, and turning a streamed body into
//! [`ModelEvent`]s through a provider's wire decoder.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::HeaderMap;

use crate::retry::retry_after;
use crate::{ModelError, ModelEvent, ModelSetting, RetryPolicy};

/// A provider's wire format: bytes of a streamed answer in, events out.
pub(crate) trait WireDecoder: Send + 'static {
    /// Decodes the next chunk. After an `Err`, the decoder yields nothing.
    fn feed(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>>;
    /// Ends the stream; reports a truncated answer as an `Err`.
    fn finish(&mut self) -> Vec<Result<ModelEvent, ModelError>>;
}

/// Where and how one provider sends its requests.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub provider: &'static str,
    pub client: reqwest::Client,
    pub url: String,
    pub headers: HeaderMap,
    pub retry: RetryPolicy,
    /// How to fix refused credentials.
    pub auth_hint: String,
    /// Said after a connection failure, e.g. "is Ollama running?".
    pub connect_hint: Option<String>,
}

/// Builds the HTTP client both providers use. The idle timeout bounds the
/// wait for the next byte, not the whole answer, which may stream for
/// minutes.
pub(crate) fn client(
    provider: &'static str,
    connect_timeout: Duration,
    idle_timeout: Duration,
) -> Result<reqwest::Client, ModelError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(idle_timeout)
        .user_agent(concat!("cowork/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| ModelError::Config {
            message: format!(
                "could not set up the HTTP client for {provider}: {}",
                chain(&err)
            ),
            hint: "check the system's TLS configuration".to_owned(),
            setting: None,
        })
}

/// The base URL without trailing slashes, or a `Config` error when it is
/// not an `http(s)://` URL. `source` names where the URL came from.
pub(crate) fn check_base_url(url: &str, source: &str) -> Result<String, ModelError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_owned())
        }
        Some(_) | None => Err(ModelError::Config {
            message: format!("the base URL {url:?} is not an http:// or https:// URL"),
            hint: format!("check the base URL or {source}"),
            setting: Some(ModelSetting::BaseUrl),
        }),
    }
}

/// Sends `body` to the endpoint, retrying per its policy, and streams the
/// answer through `decoder`.
pub(crate) fn stream_call<D: WireDecoder>(
    endpoint: Arc<Endpoint>,
    body: Bytes,
    decoder: D,
) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
    // One step per attempt. A failed attempt that will be retried yields a
    // `Retrying` event *before* its wait, so whoever watches learns at once
    // why nothing is coming; the wait happens at the start of the next step.
    let first = Some(Next {
        attempt: 1,
        wait: None,
    });
    let steps = stream::unfold(first, move |next| {
        let endpoint = Arc::clone(&endpoint);
        let body = body.clone();
        async move {
            let next = next?;
            if let Some(wait) = next.wait {
                tokio::time::sleep(wait).await;
            }
            Some(match attempt(&endpoint, body, next.attempt).await {
                Attempt::Answer(response) => (Step::Answer(endpoint, response), None),
                Attempt::Retry { wait, reason } => {
                    let event = ModelEvent::Retrying {
                        attempt: next.attempt,
                        max_attempts: endpoint.retry.max_attempts.max(1),
                        wait,
                        reason,
                    };
                    let then = Next {
                        attempt: next.attempt + 1,
                        wait: Some(wait),
                    };
                    (Step::Event(event), Some(then))
                }
                Attempt::Fail(error) => (Step::Fail(error), None),
            })
        }
    });
    let mut decoder = Some(decoder);
    steps
        .flat_map(move |step| match step {
            Step::Event(event) => stream::iter([Ok(event)]).boxed(),
            Step::Fail(error) => stream::iter([Err(error)]).boxed(),
            // Only the last step can be an answer, so the decoder is there.
            Step::Answer(endpoint, response) => match decoder.take() {
                Some(decoder) => decode_body(&endpoint, response, decoder),
                None => stream::empty().boxed(),
            },
        })
        .boxed()
}

/// The attempt to make next, and how long to wait before it.
struct Next {
    attempt: u32,
    wait: Option<Duration>,
}

enum Step {
    Event(ModelEvent),
    Answer(Arc<Endpoint>, reqwest::Response),
    Fail(ModelError),
}

enum Attempt {
    Answer(reqwest::Response),
    Retry { wait: Duration, reason: String },
    Fail(ModelError),
}

/// Sends the request once and judges the outcome against the retry policy.
async fn attempt(endpoint: &Endpoint, body: Bytes, attempt: u32) -> Attempt {
    let last = attempt >= endpoint.retry.max_attempts.max(1);
    let result = endpoint
        .client
        .post(&endpoint.url)
        .headers(endpoint.headers.clone())
        .body(body)
        .send()
        .await;
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            let error = connection_error(endpoint, &err);
            // Nothing of the answer was read yet, so trying again cannot
            // duplicate output.
            let transient = err.is_connect() || err.is_timeout() || err.is_request();
            if last || !transient {
                return Attempt::Fail(error);
            }
            let wait = endpoint.retry.backoff(attempt, None);
            tracing::warn!(provider = endpoint.provider, attempt, ?wait, %error, "retrying");
            return Attempt::Retry {
                wait,
                reason: format!("could not connect: {}", root_cause(&err)),
            };
        }
    };
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Attempt::Answer(response);
    }
    let wait_asked = retry_after(response.headers());
    let server_says_no = response
        .headers()
        .get("x-should-retry")
        .is_some_and(|v| v.as_bytes() == b"false");
    let text = error_body(response).await;
    let message = error_message(&text, status);
    if RetryPolicy::is_retryable_status(status) && !last && !server_says_no {
        let wait = endpoint.retry.backoff(attempt, wait_asked);
        tracing::warn!(provider = endpoint.provider, status, attempt, ?wait, %message, "retrying");
        return Attempt::Retry {
            wait,
            reason: format!("HTTP {status}: {message}"),
        };
    }
    Attempt::Fail(status_error(endpoint, status, message, attempt, wait_asked))
}

/// The most of an error response's body that is read: enough for any
/// real error message, and a bound on what a hostile server can make the
/// client hold.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The start of an error response's body, as text; the rest is not read.
async fn error_body(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ERROR_BODY_BYTES {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

fn decode_body<D: WireDecoder>(
    endpoint: &Endpoint,
    response: reqwest::Response,
    decoder: D,
) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
    struct State<D> {
        body: BoxStream<'static, reqwest::Result<Bytes>>,
        decoder: D,
        queue: VecDeque<Result<ModelEvent, ModelError>>,
        ended: bool,
        failed: bool,
        provider: &'static str,
        url: String,
    }
    let state = State {
        body: response.bytes_stream().boxed(),
        decoder,
        queue: VecDeque::new(),
        ended: false,
        failed: false,
        provider: endpoint.provider,
        url: endpoint.url.clone(),
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if state.failed {
                return None;
            }
            if let Some(item) = state.queue.pop_front() {
                state.failed = item.is_err();
                return Some((item, state));
            }
            if state.ended {
                return None;
            }
            match state.body.next().await {
                Some(Ok(bytes)) => state.queue.extend(state.decoder.feed(&bytes)),
                Some(Err(err)) => {
                    state.ended = true;
                    state.queue.push_back(Err(ModelError::Connection {
                        provider: state.provider,
                        url: state.url.clone(),
                        message: format!("the connection broke mid-answer: {}", chain(&err)),
                    }));
                }
                None => {
                    state.ended = true;
                    state.queue.extend(state.decoder.finish());
                }
            }
        }
    })
    .boxed()
}

fn connection_error(endpoint: &Endpoint, err: &reqwest::Error) -> ModelError {
    let mut message = root_cause(err);
    if let Some(hint) = &endpoint.connect_hint
        && err.is_connect()
    {
        message = format!("{message} — {hint}");
    }
    ModelError::Connection {
        provider: endpoint.provider,
        url: endpoint.url.clone(),
        message,
    }
}

/// What went wrong at the bottom of a transport error ("Connection
/// refused", "failed to lookup address information: …"), without the
/// layers above it, which repeat the URL and say little.
fn root_cause(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out waiting for the server".to_owned();
    }
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// The error with its causes: reqwest's own message alone ("error sending
/// request") rarely says what went wrong.
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

fn status_error(
    endpoint: &Endpoint,
    status: u16,
    message: String,
    attempts: u32,
    retry_after: Option<Duration>,
) -> ModelError {
    let provider = endpoint.provider;
    match status {
        401 | 403 => ModelError::Auth {
            provider,
            status,
            message,
            hint: endpoint.auth_hint.clone(),
        },
        404 => ModelError::NotFound { provider, message },
        _ if RetryPolicy::is_retryable_status(status) || status >= 500 => ModelError::Unavailable {
            provider,
            status,
            attempts,
            message,
            retry_after,
        },
        _ => ModelError::BadRequest {
            provider,
            status,
            prompt_too_long: status == 413 || is_prompt_too_long(&message),
            message,
        },
    }
}

/// The message of an error body, in the shapes the servers we speak to
/// use: `{"error": {"message": …}}` (Anthropic, OpenAI, vLLM),
/// `{"error": "…"}` (Ollama), `{"message": …}`, or the raw text.
pub(crate) fn error_message(body: &str, status: u16) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(body).ok();
    let from_json = parsed.as_ref().and_then(|json| {
        let error = json.get("error");
        error
            .and_then(|e| e.get("message"))
            .and_then(|m| m.as_str())
            .or_else(|| error.and_then(|e| e.as_str()))
            .or_else(|| json.get("message").and_then(|m| m.as_str()))
            .or_else(|| json.get("detail").and_then(|m| m.as_str()))
            .map(str::to_owned)
    });
    if let Some(message) = from_json {
        return message;
    }
    let text = body.trim();
    if text.is_empty() {
        return reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no error message")
            .to_owned();
    }
    let mut end = text.len().min(500);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Whether a rejection says the conversation no longer fits the context,
/// which compaction can fix. Each server words it differently.
fn is_prompt_too_long(message: &str) -> bool {
    let message = message.to_lowercase();
    [
        "prompt is too long",
        "too many tokens",
        "context length",
        "context_length",
        "context window",
        "maximum context",
        "exceeds the available context",
        "exceed_context_size",
        "input is too long",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_found_in_every_servers_shape() {
        assert_eq!(
            error_message(
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#,
                400
            ),
            "bad"
        );
        assert_eq!(
            error_message(r#"{"error":"model 'x' not found"}"#, 404),
            "model 'x' not found"
        );
        assert_eq!(error_message("", 503), "Service Unavailable");
        assert_eq!(error_message("<html>oops</html>", 502), "<html>oops</html>");
    }

    #[test]
    fn prompt_too_long_is_recognised_from_anthropic_openai_and_llama_cpp() {
        assert!(is_prompt_too_long(
            "prompt is too long: 210000 tokens > 200000 maximum"
        ));
        assert!(is_prompt_too_long(
            "This model's maximum context length is 8192 tokens. However, you requested 9000"
        ));
        assert!(is_prompt_too_long(
            "the request exceeds the available context size"
        ));
        assert!(!is_prompt_too_long("max_tokens: Field required"));
    }
}
