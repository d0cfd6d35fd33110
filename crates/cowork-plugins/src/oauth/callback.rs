//! The loopback redirect (RFC 8252 §7.3): a one-shot HTTP listener on
//! 127.0.0.1 that takes the browser's `/callback?code=…&state=…` and
//! answers with a page saying the tab can be closed.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use reqwest::Url;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::error::OAuthError;

/// A request line and headers longer than this are not a browser's
/// redirect.
const MAX_HEAD: usize = 16 * 1024;

/// The listener, bound before the authorization URL is shown so the port
/// in the redirect URI is ours.
pub(crate) struct Callback {
    listener: TcpListener,
    port: u16,
}

impl Callback {
    /// Listens on `127.0.0.1:port` (0: any free port).
    pub async fn bind(port: u16) -> Result<Self, OAuthError> {
        let listen = |reason: String| OAuthError::Listen { port, reason };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| listen(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| listen(e.to_string()))?
            .port();
        Ok(Self { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// The query of the first `/callback` request carrying `state`. Other
    /// requests (a favicon, a stale tab, another local program guessing)
    /// are answered and ignored: they must not end the login.
    pub async fn wait(
        self,
        state: &str,
        timeout: Duration,
    ) -> Result<HashMap<String, String>, OAuthError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let Ok(accepted) = accepted else {
                return Err(OAuthError::CallbackTimeout {
                    seconds: timeout.as_secs(),
                });
            };
            let Ok((stream, _)) = accepted else {
                continue;
            };
            if let Some(query) = serve(stream, state).await {
                return Ok(query);
            }
        }
    }
}

/// Answers one connection; the query when it is the callback for `state`.
async fn serve(mut stream: TcpStream, state: &str) -> Option<HashMap<String, String>> {
    let head = tokio::time::timeout(Duration::from_secs(10), read_head(&mut stream))
        .await
        .ok()
        .flatten()?;
    let target = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("");
    let url = Url::parse(&format!("http://127.0.0.1{target}")).ok();
    let Some(url) = url.filter(|u| u.path() == "/callback") else {
        respond(&mut stream, "404 Not Found", "Not found.").await;
        return None;
    };
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    if query.get("state").map(String::as_str) != Some(state) {
        respond(
            &mut stream,
            "400 Bad Request",
            "This sign-in does not belong to the login cowork is waiting for. Start again with <code>cowork mcp login</code>.",
        )
        .await;
        return None;
    }
    let message = match query.get("error") {
        Some(error) => format!(
            "The server refused the sign-in ({}). You can close this tab.",
            escape(error)
        ),
        None => "cowork received the sign-in. You can close this tab.".to_owned(),
    };
    respond(&mut stream, "200 OK", &message).await;
    Some(query)
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(head).ok()
}

async fn respond(stream: &mut TcpStream, status: &str, message: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>cowork</title><p style=\"font-family:sans-serif\">{message}</p>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser's fate does not change the login's.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}
