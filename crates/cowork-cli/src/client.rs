//! Talking to a running daemon (`cowork serve`): finding it through
//! `<data dir>/server.json`, and its JSON API and event stream.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::Deserialize;

use cowork_model::sse::SseParser;
use cowork_protocol::{ApprovalDecision, Envelope, TaskId};
use cowork_server::ServerInfo;
use cowork_server::backend::{NewTask, TaskDetail};

/// How long the daemon's `/api/health` may take before the CLI runs the
/// task itself: a daemon that does not answer that fast is not usable.
const HEALTH_TIMEOUT: Duration = Duration::from_millis(300);

/// Why a call to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The daemon answered with an error; `message` is its words.
    #[error("the daemon refused: {message} (HTTP {status})")]
    Refused { status: u16, message: String },
    /// The daemon could not be reached, or the connection broke.
    #[error("could not reach the daemon at {url}: {message}")]
    Connection { url: String, message: String },
    /// The daemon sent something that is not what its API promises.
    #[error("the daemon sent an answer cowork cannot read: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The request came too late (already answered, already finished).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ClientError::Refused { status: 409, .. })
    }
}

/// A running daemon of this data dir.
#[derive(Debug, Clone)]
pub struct Daemon {
    /// The base URL, without a trailing slash.
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Daemon {
    /// The daemon of `data_dir`, if one runs: its `server.json` is there,
    /// the process it names is alive, and `/api/health` answers quickly. A
    /// file left by a killed daemon is ignored.
    pub async fn find(data_dir: &Path) -> Option<Daemon> {
        let file = match ServerInfo::read(data_dir) {
            Ok(Some(file)) => file,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "server.json is not readable; running in-process");
                return None;
            }
        };
        if !Path::new(&format!("/proc/{}", file.pid)).exists() {
            return None;
        }
        let daemon = Daemon {
            base: file.url.trim_end_matches('/').to_owned(),
            token: file.token,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .build()
                .ok()?,
        };
        let health = daemon
            .http
            .get(daemon.url("/api/health"))
            .timeout(HEALTH_TIMEOUT)
            .send()
            .await;
        match health {
            Ok(response) if response.status().is_success() => Some(daemon),
            Ok(_) | Err(_) => None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn connection(&self, e: &reqwest::Error) -> ClientError {
        ClientError::Connection {
            url: self.base.clone(),
            message: e.to_string(),
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let response = request
            .bearer_auth(&self.token)
            // Approvals answered here are recorded as the terminal's.
            .header(cowork_server::FRONT_HEADER, "terminal")
            .send()
            .await
            .map_err(|e| self.connection(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        #[derive(Deserialize)]
        struct ErrorBody {
            error: String,
        }
        let message = serde_json::from_str::<ErrorBody>(&body)
            .map(|b| b.error)
            .unwrap_or_else(|_| body.chars().take(500).collect());
        Err(ClientError::Refused {
            status: status.as_u16(),
            message,
        })
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = self.send(request).await?;
        let bytes = response.bytes().await.map_err(|e| self.connection(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Submits a task; the daemon records and queues it at once.
    pub async fn create_task(&self, task: &NewTask) -> Result<TaskId, ClientError> {
        #[derive(Deserialize)]
        struct Created {
            id: TaskId,
        }
        let created: Created = self
            .json(self.http.post(self.url("/api/tasks")).json(task))
            .await?;
        Ok(created.id)
    }

    pub async fn task(&self, id: &TaskId) -> Result<TaskDetail, ClientError> {
        self.json(self.http.get(self.url(&format!("/api/tasks/{id}"))))
            .await
    }

    /// Answers a pending approval. [`ClientError::is_conflict`] when
    /// another front answered first.
    pub async fn decide(
        &self,
        id: &TaskId,
        call_id: &str,
        decision: &ApprovalDecision,
    ) -> Result<(), ClientError> {
        let body = match decision {
            ApprovalDecision::AllowOnce => serde_json::json!({"decision": "allowOnce"}),
            ApprovalDecision::AllowForTask => serde_json::json!({"decision": "allowTask"}),
            ApprovalDecision::AllowForSchedule => serde_json::json!({"decision": "allowSchedule"}),
            ApprovalDecision::Deny { message } => {
                serde_json::json!({"decision": "deny", "message": message})
            }
        };
        let path = format!("/api/tasks/{id}/approvals/{}", encode(call_id));
        self.send(self.http.post(self.url(&path)).json(&body))
            .await
            .map(drop)
    }

    pub async fn cancel(&self, id: &TaskId) -> Result<(), ClientError> {
        let path = format!("/api/tasks/{id}/cancel");
        self.send(self.http.post(self.url(&path))).await.map(drop)
    }

    /// A message for the task: taken at its next turn, or continuing it
    /// when it has finished.
    pub async fn message(&self, id: &TaskId, text: &str) -> Result<(), ClientError> {
        let path = format!("/api/tasks/{id}/messages");
        let body = serde_json::json!({ "text": text });
        self.send(self.http.post(self.url(&path)).json(&body))
            .await
            .map(drop)
    }

    /// The task's events with a seq above `after`, then live ones, until
    /// the daemon closes the stream.
    pub async fn events(
        &self,
        id: &TaskId,
        after: u64,
    ) -> Result<impl Stream<Item = Result<Envelope, ClientError>> + use<>, ClientError> {
        let path = format!("/api/tasks/{id}/events?after={after}");
        let response = self
            .send(
                self.http
                    .get(self.url(&path))
                    .header("accept", "text/event-stream"),
            )
            .await?;
        let base = self.base.clone();
        let bytes = response.bytes_stream();
        Ok(envelopes(bytes, base))
    }
}

/// Envelopes out of an SSE byte stream (`data:` holds each one's JSON).
/// A broken connection is the last item.
fn envelopes<S, B>(bytes: S, base: String) -> impl Stream<Item = Result<Envelope, ClientError>>
where
    S: Stream<Item = Result<B, reqwest::Error>> + Unpin,
    B: AsRef<[u8]>,
{
    struct State<S> {
        bytes: S,
        parser: SseParser,
        ready: VecDeque<Result<Envelope, ClientError>>,
        base: String,
        ended: bool,
    }
    let state = State {
        bytes,
        parser: SseParser::default(),
        ready: VecDeque::new(),
        base,
        ended: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.ready.pop_front() {
                return Some((item, state));
            }
            if state.ended {
                return None;
            }
            match state.bytes.next().await {
                Some(Ok(chunk)) => {
                    for event in state.parser.feed(chunk.as_ref()) {
                        state.ready.push_back(
                            serde_json::from_str::<Envelope>(&event.data)
                                .map_err(|e| ClientError::Protocol(e.to_string())),
                        );
                    }
                    if state.parser.overflowed() {
                        state.ended = true;
                        state.ready.push_back(Err(ClientError::Protocol(
                            "an event was larger than any the daemon sends".to_owned(),
                        )));
                    }
                }
                Some(Err(e)) => {
                    state.ended = true;
                    state.ready.push_back(Err(ClientError::Connection {
                        url: state.base.clone(),
                        message: e.to_string(),
                    }));
                }
                None => state.ended = true,
            }
        }
    })
}

/// A path segment with everything but unreserved characters escaped:
/// call ids come from the model's provider.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
