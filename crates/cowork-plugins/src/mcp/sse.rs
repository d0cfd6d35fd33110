//! The older HTTP+SSE transport (MCP 2024-11-05), which rmcp no longer
//! ships a client for: GET the SSE URL and wait for its `endpoint` event,
//! POST each JSON-RPC message to that endpoint, read every answer from the
//! SSE stream.

use std::borrow::Cow;

use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

/// Why the SSE stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SseOpenError {
    /// 401 or 403: the caller asks its auth provider and may retry.
    #[error("HTTP {status}")]
    Refused {
        status: u16,
        www_authenticate: Option<String>,
    },
    #[error("{0}")]
    Failed(String),
}

/// A failed POST of one message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SseError {
    #[error("POST {endpoint}: {source}")]
    Http {
        endpoint: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("POST {endpoint}: HTTP {status}")]
    Status { endpoint: String, status: u16 },
    /// 401 or 403 mid-session: the login was revoked, expired, or lacks
    /// a scope; the connectors hand it to the auth provider.
    #[error("POST {endpoint}: HTTP {status} (the server refused the login)")]
    Refused {
        endpoint: String,
        status: u16,
        www_authenticate: Option<String>,
    },
    #[error("could not encode a message: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A connected SSE session.
pub(crate) struct SseTransport {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    headers: HeaderMap,
    incoming: mpsc::Receiver<ServerJsonRpcMessage>,
    reader: tokio::task::JoinHandle<()>,
}

impl SseTransport {
    /// Opens the stream at `url` and waits for the server to name the
    /// endpoint messages are posted to. The caller bounds the wait.
    pub(crate) async fn open(
        client: reqwest::Client,
        url: &str,
        headers: HeaderMap,
    ) -> Result<Self, SseOpenError> {
        let base = reqwest::Url::parse(url)
            .map_err(|e| SseOpenError::Failed(format!("`{url}` is not a URL: {e}")))?;
        let response = client
            .get(base.clone())
            .headers(headers.clone())
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .send()
            .await
            .map_err(|e| SseOpenError::Failed(format!("GET {url}: {e}")))?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            let www_authenticate = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Err(SseOpenError::Refused {
                status,
                www_authenticate,
            });
        }
        if !response.status().is_success() {
            return Err(SseOpenError::Failed(format!("GET {url}: HTTP {status}")));
        }
        let mut events = Box::pin(sse_events(response));
        let endpoint = loop {
            match events.next().await {
                Some(event) if event.name == "endpoint" => {
                    break base.join(event.data.trim()).map_err(|e| {
                        SseOpenError::Failed(format!(
                            "the server named `{}` as its endpoint, which is not a URL: {e}",
                            event.data
                        ))
                    })?;
                }
                Some(_) => continue,
                None => {
                    return Err(SseOpenError::Failed(format!(
                        "GET {url}: the stream ended before the server named its endpoint"
                    )));
                }
            }
        };
        let (tx, incoming) = mpsc::channel(64);
        let reader = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if event.name != "message" {
                    continue;
                }
                match serde_json::from_str::<ServerJsonRpcMessage>(&event.data) {
                    Ok(message) => {
                        if tx.send(message).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("an SSE server sent a message that is not JSON-RPC: {e}")
                    }
                }
            }
        });
        Ok(Self {
            client,
            endpoint,
            headers,
            incoming,
            reader,
        })
    }
}

impl Transport<RoleClient> for SseTransport {
    type Error = SseError;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed("sse")
    }

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let request = serde_json::to_vec(&item).map(|body| {
            self.client
                .post(self.endpoint.clone())
                .headers(self.headers.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body)
        });
        let endpoint = self.endpoint.to_string();
        async move {
            let response = request?.send().await.map_err(|source| SseError::Http {
                endpoint: endpoint.clone(),
                source,
            })?;
            let status = response.status().as_u16();
            if response.status().is_success() {
                Ok(())
            } else if status == 401 || status == 403 {
                Err(SseError::Refused {
                    endpoint,
                    status,
                    www_authenticate: response
                        .headers()
                        .get(WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                })
            } else {
                Err(SseError::Status {
                    endpoint,
                    status: response.status().as_u16(),
                })
            }
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<ServerJsonRpcMessage>> + Send {
        self.incoming.recv()
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.reader.abort();
        std::future::ready(Ok(()))
    }
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// `message` when the server named none.
    pub name: String,
    pub data: String,
}

/// The events of an SSE response body, as the HTML spec parses them
/// (`event:` and `data:` fields, a blank line ends an event, `:` starts a
/// comment). Ends with the body.
fn sse_events(response: reqwest::Response) -> impl futures::Stream<Item = SseEvent> + Send {
    let bytes = response.bytes_stream();
    futures::stream::unfold(
        (
            bytes,
            SseParser::default(),
            std::collections::VecDeque::new(),
        ),
        |(mut bytes, mut parser, mut ready)| async move {
            loop {
                if let Some(event) = ready.pop_front() {
                    return Some((event, (bytes, parser, ready)));
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => ready.extend(parser.feed(&chunk)),
                    Some(Err(e)) => {
                        tracing::debug!("an SSE stream broke: {e}");
                        return None;
                    }
                    None => return None,
                }
            }
        },
    )
}

/// Incremental SSE parsing over arbitrary chunk boundaries.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    name: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut done = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                self.line.push(byte);
                continue;
            }
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    done.push(SseEvent {
                        name: self.name.take().unwrap_or_else(|| "message".to_owned()),
                        data,
                    });
                }
                self.name = None;
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line.as_str(), ""),
            };
            match field {
                "event" => self.name = Some(value.to_owned()),
                "data" => match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                },
                // Comments (an empty field), `id` and `retry`: a session
                // of the old transport is not resumed.
                _ => {}
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_lines_are_put_back_together() {
        let mut parser = SseParser::default();
        let mut events = parser.feed(b"event: endpoint\r\ndata: /message?sess");
        assert!(events.is_empty());
        events.extend(parser.feed(b"ionId=1\r\n\r\n: keepalive\n\ndata: {\"a\":\ndata: 1}\n\n"));
        assert_eq!(
            events,
            vec![
                SseEvent {
                    name: "endpoint".into(),
                    data: "/message?sessionId=1".into()
                },
                SseEvent {
                    name: "message".into(),
                    data: "{\"a\":\n1}".into()
                },
            ]
        );
    }
}
